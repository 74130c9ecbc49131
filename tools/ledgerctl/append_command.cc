// `ledgerctl append`: JSON lines in, Append requests of `batch_events` events out, the
// stored positions printed.
#include <fstream>
#include <memory>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "tools/ledgerctl/commands.h"
#include "tools/ledgerctl/json_lines.h"
#include "tools/ledgerctl/limits.h"

namespace sixhearts::ledgerctl {
namespace {

// The server names a bad event as "events[N]..." within its batch; say which line that
// was, since the person holds a file, not a batch.
absl::Status WithLine(const absl::Status& status, const std::vector<int64_t>& lines) {
  const absl::string_view message = status.message();
  size_t index = 0;
  if (absl::StartsWith(message, "events[")) {
    const size_t close = message.find(']');
    if (close != std::string_view::npos &&
        absl::SimpleAtoi(absl::string_view(message.data() + 7, close - 7), &index) &&
        index < lines.size()) {
      absl::Status annotated(status.code(), absl::StrCat(message, " (events[", index, "] is line ",
                                                         lines[index], ")"));
      status.ForEachPayload([&](absl::string_view url, const absl::Cord& payload) {
        annotated.SetPayload(url, payload);
      });
      return annotated;
    }
  }
  return status;
}

}  // namespace

absl::StatusOr<ledger::v1::ExpectedVersion> ParseExpectation(const std::string& text) {
  const size_t equals = text.find('=');
  if (equals == std::string::npos || equals == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--expect: expected STREAM=any|no-stream|VERSION, got \"", text, "\""));
  }
  ledger::v1::ExpectedVersion expected;
  expected.set_stream(text.substr(0, equals));
  const std::string value = text.substr(equals + 1);
  uint64_t version = 0;
  if (value == "any") {
    expected.set_kind(ledger::v1::ExpectedVersion::KIND_ANY);
  } else if (value == "no-stream") {
    expected.set_kind(ledger::v1::ExpectedVersion::KIND_NO_STREAM);
  } else if (absl::SimpleAtoi(value, &version)) {
    expected.set_kind(ledger::v1::ExpectedVersion::KIND_EXACT);
    expected.set_version(version);
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("--expect ", text, ": the version must be any, no-stream or a number"));
  }
  return expected;
}

absl::StatusOr<int> RunAppend(const CommandContext& context, const AppendOptions& options) {
  const size_t batch_events =
      options.batch_events == 0 ? kDefaultAppendBatchEvents : options.batch_events;
  if (batch_events > kMaxAppendBatchEvents) {
    return absl::InvalidArgumentError(
        absl::StrCat("--batch: at most ", kMaxAppendBatchEvents, " events per request"));
  }
  std::vector<ledger::v1::ExpectedVersion> expectations;
  std::set<std::string> expected_streams;
  for (const std::string& text : options.expect) {
    absl::StatusOr<ledger::v1::ExpectedVersion> expected = ParseExpectation(text);
    if (!expected.ok()) return expected.status();
    if (!expected_streams.insert(expected->stream()).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("--expect: stream ", expected->stream(), " given twice"));
    }
    expectations.push_back(*std::move(expected));
  }

  std::unique_ptr<std::ifstream> file;
  std::istream* in = context.in;
  if (options.file != "-") {
    file = std::make_unique<std::ifstream>(options.file, std::ios::binary);
    if (!file->is_open()) {
      return absl::NotFoundError(absl::StrCat("cannot open ", options.file));
    }
    in = file.get();
  }

  TableWriter table({{"line", ColumnKind::kNumber},
                     {"position", ColumnKind::kNumber},
                     {"stream", ColumnKind::kText},
                     {"version", ColumnKind::kNumber},
                     {"event_id", ColumnKind::kText},
                     {"status", ColumnKind::kText}},
                    context.format, context.out, kMaxBufferedTableRows);
  ledger::v1::AppendRequest request;
  std::vector<int64_t> lines;
  bool first_request = true;
  // Sends the events gathered so far as one request and prints where they went.
  const auto send = [&]() -> absl::Status {
    if (request.events_size() == 0) return absl::OkStatus();
    // Expectations describe the streams before the file: checked once, with the first
    // request (a later request would see the file's own earlier events).
    if (first_request) {
      for (const auto& expected : expectations) *request.add_expected() = expected;
      first_request = false;
    }
    absl::StatusOr<ledger::v1::AppendResponse> response = context.client->Append(request);
    if (!response.ok()) return WithLine(response.status(), lines);
    if (response->positions_size() != request.events_size() ||
        response->stream_versions_size() != request.events_size()) {
      return ServerError(
          absl::InternalError(absl::StrCat("the server answered ", response->positions_size(),
                                           " positions for ", request.events_size(), " events")));
    }
    for (int i = 0; i < request.events_size(); ++i) {
      const auto& event = request.events(i);
      table.AddRow({absl::StrCat(lines[i]), absl::StrCat(response->positions(i)), event.stream(),
                    absl::StrCat(response->stream_versions(i)), event.event_id(),
                    response->duplicate() ? "already_stored" : "appended"});
    }
    request.Clear();
    lines.clear();
    return absl::OkStatus();
  };

  LineReader reader(in, kMaxJsonLineBytes);
  std::string line;
  absl::Status status = absl::OkStatus();
  for (;;) {
    absl::StatusOr<bool> more = reader.Next(&line);
    if (!more.ok()) {
      status = more.status();
      break;
    }
    if (!*more) break;
    if (absl::StripAsciiWhitespace(line).empty()) continue;
    absl::StatusOr<ledger::v1::Event> event = ParseEventLine(line, reader.line_number());
    if (!event.ok()) {
      status = event.status();
      break;
    }
    *request.add_events() = *std::move(event);
    lines.push_back(reader.line_number());
    if (static_cast<size_t>(request.events_size()) >= batch_events) {
      status = send();
      if (!status.ok()) break;
    }
  }
  if (status.ok()) status = send();
  // What earlier requests stored is printed even when a later one failed: it is in the
  // ledger now.
  table.Finish();
  if (!status.ok()) return status;
  return kExitOk;
}

}  // namespace sixhearts::ledgerctl
