// Event rows and JSON lines.
#include "tools/ledgerctl/event_output.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "google/protobuf/util/json_util.h"
#include "ledger/event_types.h"

namespace sixhearts::ledgerctl {

std::vector<Column> EventColumns() {
  // Least widths fit the usual values, so that tail's rows line up without buffering.
  return {
      {"position", ColumnKind::kNumber, 8},   {"stream", ColumnKind::kText, 18},
      {"version", ColumnKind::kNumber, 7},    {"type", ColumnKind::kText, 16},
      {"occurred_at", ColumnKind::kText, 20}, {"recorded_at", ColumnKind::kText, 27},
      {"actor", ColumnKind::kText, 9},        {"hash", ColumnKind::kText, kShortHashHexDigits},
  };
}

std::vector<std::string> EventRow(const v1::Event& event) {
  return {absl::StrCat(event.position()),
          event.stream(),
          absl::StrCat(event.stream_version()),
          std::string(ledger::EventTypeName(event)),
          FormatTimestamp(event.occurred_at()),
          FormatTimestamp(event.recorded_at()),
          event.actor(),
          HexBytes(event.hash()).substr(0, kShortHashHexDigits)};
}

std::string FormatTimestamp(const google::protobuf::Timestamp& timestamp) {
  if (timestamp.seconds() == 0 && timestamp.nanos() == 0) return "";
  const absl::Time t =
      absl::FromUnixSeconds(timestamp.seconds()) + absl::Nanoseconds(timestamp.nanos());
  return absl::FormatTime("%E4Y-%m-%dT%H:%M:%E*SZ", t, absl::UTCTimeZone());
}

std::string HexBytes(std::string_view bytes) {
  return absl::BytesToHexString(absl::string_view(bytes.data(), bytes.size()));
}

absl::StatusOr<std::string> EventJson(const v1::Event& event) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string json;
  const auto status = google::protobuf::util::MessageToJsonString(event, &json, options);
  if (!status.ok()) {
    return absl::InternalError(
        absl::StrCat("event at position ", event.position(),
                     " cannot be written as JSON: ", status.message().ToString()));
  }
  return json;
}

EventPrinter::EventPrinter(OutputFormat format, std::ostream* out, size_t max_buffered_rows)
    : format_(format), out_(out), table_(EventColumns(), format, out, max_buffered_rows) {}

absl::Status EventPrinter::Print(const v1::Event& event) {
  if (format_ != OutputFormat::kJson) {
    table_.AddRow(EventRow(event));
    return absl::OkStatus();
  }
  absl::StatusOr<std::string> json = EventJson(event);
  if (!json.ok()) return json.status();
  *out_ << *json << '\n';
  return absl::OkStatus();
}

void EventPrinter::Finish() {
  if (format_ != OutputFormat::kJson) {
    table_.Finish();
  } else {
    out_->flush();
  }
}

}  // namespace sixhearts::ledgerctl
