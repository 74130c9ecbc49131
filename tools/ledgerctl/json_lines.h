// Input of `ledgerctl append`: events as JSON lines (the protobuf JSON mapping of
// sixhearts.ledger.v1.Event), read with a bound on the line length, and the event id
// derived from a line that does not carry one.
#ifndef SIXHEARTS_TOOLS_LEDGERCTL_JSON_LINES_H_
#define SIXHEARTS_TOOLS_LEDGERCTL_JSON_LINES_H_

#include <cstdint>
#include <istream>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "sixhearts/ledger/v1/events.pb.h"

namespace sixhearts::ledgerctl {

namespace v1 = ::sixhearts::ledger::v1;

// The event id of a line without one: the first 16 bytes of SHA-256 over the line's
// bytes (without its line break or a CR before it), with the version nibble set to 8
// (RFC 9562 "custom") and the variant bits to 10, in canonical lower-case 8-4-4-4-12
// form. The same line always gets the same id, so appending a file again stores nothing
// new; two identical lines are one event.
std::string LineEventId(std::string_view line);

// Parses one line. INVALID_ARGUMENT naming the line, e.g. `line 3: ...`, when it is not
// JSON of an Event (unknown fields included). A missing event_id is filled with
// LineEventId(line).
absl::StatusOr<v1::Event> ParseEventLine(std::string_view line, int64_t line_number);

// Reads lines of at most `max_line_bytes` from a stream it does not own.
class LineReader {
 public:
  LineReader(std::istream* in, size_t max_line_bytes) : in_(in), max_line_bytes_(max_line_bytes) {}

  // The next line without its "\n" or "\r\n"; false at the end of input. A line over
  // the limit is an INVALID_ARGUMENT error naming it; so is a read error (DATA_LOSS).
  absl::StatusOr<bool> Next(std::string* line);

  // 1-based number of the line last returned.
  int64_t line_number() const { return line_number_; }

 private:
  std::istream* in_;
  size_t max_line_bytes_;
  int64_t line_number_ = 0;
};

}  // namespace sixhearts::ledgerctl

#endif  // SIXHEARTS_TOOLS_LEDGERCTL_JSON_LINES_H_
