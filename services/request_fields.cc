// Request field checks shared by the Receivables and Relationships services.
#include "services/request_fields.h"

#include "absl/strings/str_cat.h"
#include "ledger/dates.h"

namespace sixhearts::services {
namespace {

// Bounds of google.protobuf.Timestamp: 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59Z.
constexpr int64_t kMinTimestampSeconds = -62'135'596'800;
constexpr int64_t kMaxTimestampSeconds = 253'402'300'799;

}  // namespace

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
                                                  const google::protobuf::Timestamp& known_at) {
  if (!present) return std::nullopt;
  if (known_at.seconds() < kMinTimestampSeconds || known_at.seconds() > kMaxTimestampSeconds ||
      known_at.nanos() < 0 || known_at.nanos() > 999'999'999) {
    return absl::InvalidArgumentError(
        absl::StrCat("known_at: not a valid timestamp: seconds=", known_at.seconds(),
                     " nanos=", known_at.nanos()));
  }
  return absl::FromUnixSeconds(known_at.seconds()) + absl::Nanoseconds(known_at.nanos());
}

}  // namespace sixhearts::services
