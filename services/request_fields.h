// Checks of request fields shared by the services: a business day that defaults to
// today, a record time, an enum. Errors name the field.
#ifndef SIXHEARTS_SERVICES_REQUEST_FIELDS_H_
#define SIXHEARTS_SERVICES_REQUEST_FIELDS_H_

#include <optional>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"
#include "ledger/clock.h"
#include "sixhearts/ledger/v1/events.pb.h"

namespace sixhearts::services {

// A day field: absent, or all zero (the proto default; JSON clients send {} for no date),
// means today (UTC) per `clock`. INVALID_ARGUMENT "<field>: not a valid date: ..." else.
absl::StatusOr<absl::CivilDay> DayOrToday(bool present, const ledger::v1::Date& date,
                                          const char* field, ledger::Clock* clock);

// A known_at field: nullopt when absent; INVALID_ARGUMENT naming it outside Timestamp's
// range or when later than `clock`'s now: a cut in the future would take in events
// appended after the answer, so the same request would not give the same answer
// (README "Cuts").
absl::StatusOr<std::optional<absl::Time>> KnownAt(bool present,
                                                  const google::protobuf::Timestamp& known_at,
                                                  ledger::Clock* clock);

// An enum field: INVALID_ARGUMENT "<field>: unknown value N" unless `is_valid(value)`
// (the generated <Enum>_IsValid).
absl::Status CheckEnum(int value, bool (*is_valid)(int), const char* field);

}  // namespace sixhearts::services

#endif  // SIXHEARTS_SERVICES_REQUEST_FIELDS_H_
