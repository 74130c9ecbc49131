// Checks of request fields shared by the report services: a business day that defaults
// to today, and a record time. Errors name the field.
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

// A known_at field: nullopt when absent; INVALID_ARGUMENT outside Timestamp's range.
absl::StatusOr<std::optional<absl::Time>> KnownAt(bool present,
                                                  const google::protobuf::Timestamp& known_at);

}  // namespace sixhearts::services

#endif  // SIXHEARTS_SERVICES_REQUEST_FIELDS_H_
