// Conversions between the schema's civil `Date` and Abseil's civil time, the check of a
// `google.protobuf.Timestamp` every request field goes through, and the renderings used
// everywhere a date or a time is shown: ISO 8601 with four-digit years ("0001-01-01",
// "2026-03-31T10:00:00Z"), which Abseil's "%Y" does not pad.
#ifndef SIXHEARTS_LEDGER_DATES_H_
#define SIXHEARTS_LEDGER_DATES_H_

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
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

// "YYYY-MM-DD" and "YYYY-MM", years zero-padded to four digits.
std::string FormatDay(absl::CivilDay day);
std::string FormatMonth(absl::CivilMonth month);

// RFC 3339 in UTC with as many fraction digits as needed: "2026-03-31T10:00:00.5Z".
std::string FormatUtcTime(absl::Time t);

// `t` as a google.protobuf.Timestamp, truncated to whole microseconds (what the store
// stamps on recorded_at and on an erasure's occurred_at). REQUIRES: t is after 1970.
google::protobuf::Timestamp TimestampAtMicros(absl::Time t);

// True when `t` lies in google.protobuf.Timestamp's range, 0001-01-01T00:00:00Z ..
// 9999-12-31T23:59:59.999999999Z, with nanos in [0, 999999999].
bool IsValidTimestamp(const google::protobuf::Timestamp& t);

// INVALID_ARGUMENT "<field>: not a valid timestamp: seconds=S nanos=N" unless
// IsValidTimestamp(t): the one check of every timestamp field of a request.
absl::Status CheckTimestamp(const google::protobuf::Timestamp& t, const char* field);

// REQUIRES: IsValidTimestamp(t).
absl::Time ToTime(const google::protobuf::Timestamp& t);

// Parses "YYYY-MM-DD" strictly; nullopt when malformed or not a real day.
std::optional<absl::CivilDay> ParseIsoDay(std::string_view text);

// The civil day (UTC) an instant falls on; business times are read in UTC.
absl::CivilDay UtcDay(absl::Time t);

// The first instant after the end of `day` in UTC: events that occurred by `day`
// are those with occurred_at < EndOfUtcDay(day).
absl::Time EndOfUtcDay(absl::CivilDay day);

}  // namespace sixhearts::ledger

#endif  // SIXHEARTS_LEDGER_DATES_H_
