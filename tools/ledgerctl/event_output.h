// How ledgerctl shows stored events: the columns of read, stream and tail, and one
// protobuf JSON object per line for --json (field names as in the .proto, so the output
// of `read --json` can be fed back to `append`).
#ifndef SIXHEARTS_TOOLS_LEDGERCTL_EVENT_OUTPUT_H_
#define SIXHEARTS_TOOLS_LEDGERCTL_EVENT_OUTPUT_H_

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "google/protobuf/timestamp.pb.h"
#include "sixhearts/ledger/v1/events.pb.h"
#include "tools/ledgerctl/table.h"

namespace sixhearts::ledgerctl {

namespace v1 = ::sixhearts::ledger::v1;

// Hex digits of the hash shown in tables: enough to tell records apart by eye.
inline constexpr size_t kShortHashHexDigits = 12;

// position, stream, version, type, occurred_at, recorded_at, actor, hash.
std::vector<Column> EventColumns();
std::vector<std::string> EventRow(const v1::Event& event);

// RFC 3339 in UTC with only the fractional digits needed: "2026-01-05T00:00:00Z",
// "2026-03-01T09:15:02.25Z". An unset timestamp renders as "".
std::string FormatTimestamp(const google::protobuf::Timestamp& timestamp);

// Lower-case hex of `bytes`.
std::string HexBytes(std::string_view bytes);

// The event as one line of protobuf JSON, without a line break.
absl::StatusOr<std::string> EventJson(const v1::Event& event);

// Writes events as a table (text, CSV) or JSON lines, as they come. Finish() once.
class EventPrinter {
 public:
  // `max_buffered_rows`: see TableWriter; tail passes 0 and relies on the columns' least
  // widths.
  EventPrinter(OutputFormat format, std::ostream* out, size_t max_buffered_rows);

  absl::Status Print(const v1::Event& event);
  void Finish();
  // Makes rows printed so far visible (tail calls it after each message).
  void Flush() { out_->flush(); }

 private:
  OutputFormat format_;
  std::ostream* out_;
  TableWriter table_;
};

}  // namespace sixhearts::ledgerctl

#endif  // SIXHEARTS_TOOLS_LEDGERCTL_EVENT_OUTPUT_H_
