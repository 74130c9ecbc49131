// The reading commands: read, stream, tail, digest and verify.
#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "ledger/dates.h"
#include "ledger/event_types.h"
#include "tools/ledgerctl/commands.h"
#include "tools/ledgerctl/event_output.h"
#include "tools/ledgerctl/limits.h"

namespace sixhearts::ledgerctl {
namespace {

namespace v1 = ::sixhearts::ledger::v1;

// RFC 3339, or a bare date meaning its first instant in UTC, or its end when `end_of_day`.
absl::StatusOr<google::protobuf::Timestamp> ParseInstant(const std::string& flag,
                                                         const std::string& text, bool end_of_day) {
  absl::Time t;
  if (std::optional<absl::CivilDay> day = ledger::ParseIsoDay(text)) {
    t = end_of_day ? ledger::EndOfUtcDay(*day) : absl::FromCivil(*day, absl::UTCTimeZone());
  } else {
    std::string error;
    if (!absl::ParseTime(absl::RFC3339_full, text, &t, &error)) {
      return absl::InvalidArgumentError(
          absl::StrCat(flag, ": \"", text,
                       "\" is neither RFC 3339 (2026-01-31T12:00:00Z) nor a date "
                       "(2026-01-31)"));
    }
  }
  google::protobuf::Timestamp timestamp;
  timestamp.set_seconds(absl::ToUnixSeconds(t));
  timestamp.set_nanos(static_cast<int32_t>((t - absl::FromUnixSeconds(timestamp.seconds())) /
                                           absl::Nanoseconds(1)));
  return timestamp;
}

}  // namespace

int ExitCodeFor(const absl::Status& status) {
  return IsServerError(status) ? kExitServerError : kExitUsage;
}

absl::StatusOr<v1::EventFilter> BuildFilter(const FilterOptions& options) {
  v1::EventFilter filter;
  for (const std::string& type : options.types) {
    if (!ledger::IsKnownEventType(type)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--type: unknown event type \"", type, "\"; known: ",
          absl::StrJoin(ledger::AllEventTypes(), ", ",
                        [](std::string* out, std::string_view name) { out->append(name); })));
    }
    filter.add_types(type);
  }
  filter.set_stream_prefix(options.stream_prefix);
  if (!options.occurred_from.empty()) {
    auto from = ParseInstant("--occurred-from", options.occurred_from, false);
    if (!from.ok()) return from.status();
    *filter.mutable_occurred_from() = *from;
  }
  if (!options.occurred_to.empty()) {
    auto to = ParseInstant("--occurred-to", options.occurred_to, true);
    if (!to.ok()) return to.status();
    *filter.mutable_occurred_to() = *to;
  }
  return filter;
}

absl::StatusOr<int> RunRead(const CommandContext& context, const ReadOptions& options) {
  v1::ReadLogRequest request;
  auto filter = BuildFilter(options.filter);
  if (!filter.ok()) return filter.status();
  *request.mutable_filter() = *std::move(filter);
  request.set_from_position(options.from_position);
  request.set_direction(options.backward ? v1::DIRECTION_BACKWARD : v1::DIRECTION_FORWARD);
  request.set_limit(options.limit);
  EventPrinter printer(context.format, context.out, kMaxBufferedTableRows);
  absl::Status status =
      context.client->ReadLog(request, [&](v1::Event& event) { return printer.Print(event); });
  printer.Finish();
  if (!status.ok()) return status;
  return kExitOk;
}

absl::StatusOr<int> RunStream(const CommandContext& context, const StreamOptions& options) {
  v1::ReadStreamRequest request;
  auto filter = BuildFilter(options.filter);
  if (!filter.ok()) return filter.status();
  *request.mutable_filter() = *std::move(filter);
  request.set_stream(options.stream);
  request.set_from_version(options.from_version);
  request.set_limit(options.limit);
  EventPrinter printer(context.format, context.out, kMaxBufferedTableRows);
  absl::Status status =
      context.client->ReadStream(request, [&](v1::Event& event) { return printer.Print(event); });
  printer.Finish();
  if (!status.ok()) return status;
  return kExitOk;
}

absl::StatusOr<int> RunTail(const CommandContext& context, const TailOptions& options) {
  v1::SubscribeRequest request;
  auto filter = BuildFilter(options.filter);
  if (!filter.ok()) return filter.status();
  *request.mutable_filter() = *std::move(filter);
  uint64_t checkpoint = 0;
  if (options.from_start) {
    checkpoint = 0;
  } else if (options.after_position.has_value()) {
    checkpoint = *options.after_position;
  } else {
    absl::StatusOr<v1::DigestResponse> digest = context.client->Digest();
    if (!digest.ok()) return digest.status();
    checkpoint = digest->head_position();
  }

  // Rows are printed as they arrive, so nothing can be held back to measure columns.
  EventPrinter printer(context.format, context.out, 0);
  const absl::Duration initial_backoff = absl::Milliseconds(kReconnectInitialBackoffMs);
  absl::Duration backoff = initial_backoff;
  uint64_t received = 0;
  for (;;) {
    request.set_after_position(checkpoint);
    auto subscription = context.client->Subscribe(request);
    v1::SubscribeResponse response;
    bool done = false;
    while (!done && subscription->Read(&response)) {
      backoff = initial_backoff;
      for (const v1::Event& event : response.events()) {
        if (absl::Status s = printer.Print(event); !s.ok()) {
          subscription->Cancel();
          (void)subscription->Finish();
          return s;
        }
        checkpoint = std::max(checkpoint, event.position());
        if (options.count != 0 && ++received >= options.count) {
          done = true;
          break;
        }
      }
      if (!done) checkpoint = std::max(checkpoint, response.checkpoint_position());
      printer.Flush();
    }
    if (done) {
      subscription->Cancel();
      (void)subscription->Finish();
      printer.Finish();
      return kExitOk;
    }
    absl::Status status = subscription->Finish();
    // Falling behind and a server restart are expected over a long tail (a stopping
    // server cancels its calls, and tail itself only cancels once done); anything else (a
    // bad filter, ...) would fail again the same way.
    const bool retry = status.ok() || absl::IsResourceExhausted(status) ||
                       absl::IsUnavailable(status) || absl::IsCancelled(status);
    if (!retry) {
      printer.Finish();
      return status;
    }
    *context.err << "ledgerctl: tail: "
                 << (status.ok() ? std::string("the server ended the subscription")
                                 : absl::StrCat(absl::StatusCodeToString(status.code()), ": ",
                                                status.message()))
                 << "; reconnecting after position " << checkpoint << " in "
                 << absl::ToInt64Milliseconds(backoff) << " ms" << std::endl;
    context.sleep(backoff);
    backoff = std::min(backoff * 2, absl::Milliseconds(kReconnectMaxBackoffMs));
  }
}

absl::StatusOr<int> RunDigest(const CommandContext& context) {
  absl::StatusOr<v1::DigestResponse> digest = context.client->Digest();
  if (!digest.ok()) return digest.status();
  Record record;
  record.Add("head_position", absl::StrCat(digest->head_position()), ColumnKind::kNumber);
  record.Add("head_hash", HexBytes(digest->head_hash()));
  *context.out << record.Render(context.format);
  return kExitOk;
}

absl::StatusOr<int> RunVerify(const CommandContext& context, const VerifyOptions& options) {
  v1::VerifyRequest request;
  request.set_from_position(options.from_position);
  request.set_to_position(options.to_position);
  absl::StatusOr<v1::VerifyResponse> result = context.client->Verify(request);
  if (!result.ok()) return result.status();
  Record record;
  record.Add("ok", result->ok() ? "true" : "false", ColumnKind::kBool);
  record.Add("checked", absl::StrCat(result->checked()), ColumnKind::kNumber);
  record.Add("first_bad_position", result->ok() ? "" : absl::StrCat(result->first_bad_position()),
             ColumnKind::kNumber);
  record.Add("problem", result->problem());
  record.Add("head_hash", HexBytes(result->head_hash()));
  *context.out << record.Render(context.format);
  return result->ok() ? kExitOk : kExitVerifyFailed;
}

}  // namespace sixhearts::ledgerctl
