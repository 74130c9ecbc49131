// Request field checks shared by the services.
#include "services/request_fields.h"

#include "absl/strings/str_cat.h"
#include "ledger/dates.h"

namespace sixhearts::services {

absl::StatusOr<absl::CivilDay> DayOrToday(bool present, const ledger::v1::Date& date,
                                          const char* field, ledger::Clock* clock) {
  if (!present || ledger::IsUnsetDate(date)) return ledger::UtcDay(clock->Now());
  if (!ledger::IsValidDate(date)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": not a valid date: ", ledger::FormatDate(date)));
  }
  return ledger::ToCivilDay(date);
}

absl::StatusOr<std::optional<absl::Time>> KnownAt(bool present,
                                                  const google::protobuf::Timestamp& known_at,
                                                  ledger::Clock* clock) {
  if (!present) return std::nullopt;
  if (absl::Status s = ledger::CheckTimestamp(known_at, "known_at"); !s.ok()) return s;
  const absl::Time t = ledger::ToTime(known_at);
  const absl::Time now = clock->Now();
  if (t > now) {
    return absl::InvalidArgumentError(absl::StrCat(
        "known_at: ", ledger::FormatUtcTime(t), " is later than the server's clock (",
        ledger::FormatUtcTime(now), "); a cut in the future would change as events are appended"));
  }
  return t;
}

absl::Status CheckEnum(int value, bool (*is_valid)(int), const char* field) {
  if (is_valid(value)) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(field, ": unknown value ", value));
}

}  // namespace sixhearts::services
