// Cells and JSON pieces shared by the report commands (receivables and relationships), so
// every report prints dates, record times and nested JSON the same way.
#ifndef SIXHEARTS_TOOLS_LEDGERCTL_REPORT_FORMAT_H_
#define SIXHEARTS_TOOLS_LEDGERCTL_REPORT_FORMAT_H_

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"
#include "ledger/dates.h"
#include "tools/ledgerctl/table.h"

namespace sixhearts::ledgerctl {

// "" for an unset date, else "YYYY-MM-DD".
inline std::string DateCell(const ledger::v1::Date& date) {
  return ledger::IsUnsetDate(date) ? std::string() : ledger::FormatDate(date);
}

// RFC 3339 with "Z", as people write UTC instants (absl's RFC3339_full writes +00:00).
inline std::string FormatTimestamp(const google::protobuf::Timestamp& t) {
  return absl::FormatTime("%E4Y-%m-%d%ET%H:%M:%E*SZ",
                          absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos()),
                          absl::UTCTimeZone());
}

// ", as known at 2026-03-20T00:00:00Z" when the report was asked for a record time.
template <typename Response>
std::string KnownAtText(const Response& response) {
  if (!response.has_known_at()) return "";
  return absl::StrCat(", as known at ", FormatTimestamp(response.known_at()));
}

template <typename Response>
std::string KnownAtJson(const Response& response) {
  return response.has_known_at() ? JsonQuote(FormatTimestamp(response.known_at())) : "null";
}

// A rendered JSON value without its trailing line break, to nest it in a record.
inline std::string Nested(std::string json) {
  while (!json.empty() && json.back() == '\n') json.pop_back();
  return json;
}

inline std::string JsonArray(const std::vector<std::string>& values) {
  if (values.empty()) return "[]";
  return absl::StrCat("[\n", absl::StrJoin(values, ",\n"), "\n]");
}

}  // namespace sixhearts::ledgerctl

#endif  // SIXHEARTS_TOOLS_LEDGERCTL_REPORT_FORMAT_H_
