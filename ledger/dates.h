// Conversions between the schema's civil `Date` and Abseil's civil time, and the
// rendering used everywhere a date is shown ("2026-03-31").
#ifndef SIXHEARTS_LEDGER_DATES_H_
#define SIXHEARTS_LEDGER_DATES_H_

#include <optional>
#include <string>
#include <string_view>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "sixhearts/ledger/v1/events.pb.h"

namespace sixhearts::ledger {

// True when the date names a real calendar day in years 1..9999.
bool IsValidDate(const v1::Date& date);

// True when no field is set (the proto default, meaning "absent").
bool IsUnsetDate(const v1::Date& date);

// REQUIRES: IsValidDate(date).
absl::CivilDay ToCivilDay(const v1::Date& date);
v1::Date FromCivilDay(absl::CivilDay day);

// "YYYY-MM-DD"; an invalid date renders its raw fields, e.g. "2026-02-30".
std::string FormatDate(const v1::Date& date);

// Parses "YYYY-MM-DD" strictly; nullopt when malformed or not a real day.
std::optional<absl::CivilDay> ParseIsoDay(std::string_view text);

// The civil day (UTC) an instant falls on; business times are read in UTC.
absl::CivilDay UtcDay(absl::Time t);

// The first instant after the end of `day` in UTC: events that occurred by `day`
// are those with occurred_at < EndOfUtcDay(day).
absl::Time EndOfUtcDay(absl::CivilDay day);

}  // namespace sixhearts::ledger

#endif  // SIXHEARTS_LEDGER_DATES_H_
