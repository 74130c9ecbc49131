// libFuzzer target for request validation: arbitrary bytes read as an AppendRequest (the
// protobuf binary form, or the JSON mapping when the input starts with '{'), run through
// ValidateEvent and DescribeEntities, folded into the receivables projection, and appended
// to a real EventStore, checking the promises those make to their callers.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "google/protobuf/util/json_util.h"
#include "ledger/clock.h"
#include "ledger/event_store.h"
#include "ledger/format.h"
#include "ledger/validate.h"
#include "services/receivables/receivables_state.h"
#include "sixhearts/ledger/v1/event_store.pb.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_store.h"
#include "tests/testing/test_events.h"

namespace sixhearts::fuzz {
namespace {

namespace v1 = ::sixhearts::ledger::v1;
using ledger::EntityEffects;
using ledger::EventStore;

// One store per process (fuzz_store.h).
struct Fixture : FuzzStore {
  // Outcomes of Append, printed at exit: a run that never gets an append accepted is not
  // testing the writer, whatever its coverage says.
  uint64_t appends_accepted = 0;
  uint64_t appends_duplicate = 0;
  uint64_t appends_refused = 0;
};

Fixture& TheFixture() {
  static Fixture* fixture = [] {
    auto* f = new Fixture;  // never destroyed: libFuzzer may exit from any thread
    f->Reopen();
    return f;
  }();
  return *fixture;
}

bool ParseRequest(const uint8_t* data, size_t size, v1::AppendRequest* request) {
  if (size > 0 && data[0] == '{') {
    const std::string text(reinterpret_cast<const char*>(data), size);
    return google::protobuf::util::JsonStringToMessage(text, request).ok();
  }
  return request->ParseFromArray(data, static_cast<int>(size));
}

// What ValidateEvent promises when it returns OK.
void CheckValidEvent(const v1::Event& event, const ledger::Limits& limits) {
  Check(ledger::format::IdKey(event.event_id()).has_value(), "valid event => IdKey(event_id)",
        event.event_id());
  Check(ledger::IsValidStreamName(event.stream(), limits), "valid event => valid stream name",
        event.stream());
  Check(event.payload_case() != v1::Event::PAYLOAD_NOT_SET, "valid event => payload set");

  const EntityEffects effects = ledger::DescribeEntities(event);
  for (const ledger::EntityCreation& c : effects.creations) {
    Check(!c.id.empty(), "DescribeEntities: creations have ids", c.field);
    Check(c.id.size() <= limits.max_id_bytes, "DescribeEntities: creation ids within max_id_bytes",
          c.field);
    Check(!c.field.empty(), "DescribeEntities: creations name their field");
    // The entities value stores exactly three currency bytes (format::EncodeEntity).
    Check(c.currency.empty() || c.currency.size() == 3,
          "DescribeEntities: a creation's currency is blank or three letters", c.currency);
    Check(c.amount_minor >= 0, "DescribeEntities: creation amounts are not negative",
          absl::StrCat(c.field, " ", c.amount_minor));
  }
  for (const ledger::EntityReference& r : effects.references) {
    Check(!r.id.empty(), "DescribeEntities: references have ids", r.field);
    Check(!r.field.empty(), "DescribeEntities: references name their field");
  }
}

// Appends the request and checks the all-or-nothing promise against the head.
void CheckAppend(const v1::AppendRequest& request, bool all_events_valid) {
  Fixture& f = TheFixture();
  if (f.store->head().position > kMaxFuzzStoreEvents) f.Reopen();
  f.clock.Advance(absl::Seconds(1));

  const ledger::Head before = f.store->head();
  absl::StatusOr<v1::AppendResponse> response = f.store->Append(request, "fuzz");
  const ledger::Head after = f.store->head();

  if (!response.ok()) {
    ++f.appends_refused;
    Check(after.position == before.position && after.hash == before.hash,
          "a failed Append leaves the head where it was", response.status().ToString());
    if (!all_events_valid) {
      Check(response.status().code() == absl::StatusCode::kInvalidArgument,
            "an event ValidateEvent refuses makes Append INVALID_ARGUMENT",
            response.status().ToString());
    }
    return;
  }

  Check(all_events_valid, "Append accepts only events ValidateEvent accepts");
  const int n = request.events_size();
  Check(response->positions_size() == n && response->stream_versions_size() == n,
        "one position and one stream version per event");
  if (response->duplicate()) {
    ++f.appends_duplicate;
    Check(after.position == before.position, "a duplicate batch writes nothing");
    return;
  }
  ++f.appends_accepted;
  Check(after.position == before.position + static_cast<uint64_t>(n),
        "a successful Append moves the head by the batch size",
        absl::StrCat(before.position, " -> ", after.position, " for ", n, " events"));
  for (int i = 0; i < n; ++i) {
    Check(response->positions(i) == before.position + 1 + static_cast<uint64_t>(i),
          "positions are the next ones, in request order");
  }

  // The stored events read back, parse, and are the ones sent.
  absl::StatusOr<ledger::ReadPage> page =
      f.store->ReadLog(before.position + 1, /*backward=*/false, static_cast<uint32_t>(n), {});
  Check(page.ok(), "appended events read back", page.status().ToString());
  Check(page->events.size() == static_cast<size_t>(n), "every appended event reads back");
  for (int i = 0; i < n; ++i) {
    const v1::Event& stored = page->events[static_cast<size_t>(i)];
    Check(stored.event_id() == absl::AsciiStrToLower(request.events(i).event_id()),
          "stored event ids are the request's, lower-cased");
    Check(stored.position() == response->positions(i), "stored positions match the response");
  }
  absl::StatusOr<ledger::VerifyResult> verified =
      f.store->Verify(before.position + 1, after.position);
  Check(verified.ok() && verified->ok, "the chain verifies over the appended range",
        verified.ok() ? verified->problem : verified.status().ToString());
}

// The projection must take any valid event and keep a snapshot that reloads exactly.
void CheckReceivablesFold(const std::vector<const v1::Event*>& events) {
  services::receivables::ReceivablesState state;
  for (const v1::Event* event : events) state.Apply(*event);
  const std::string bytes = state.Serialize();
  absl::StatusOr<services::receivables::ReceivablesState> reloaded =
      services::receivables::ReceivablesState::Deserialize(bytes);
  Check(reloaded.ok(), "a folded state's snapshot deserializes", reloaded.status().ToString());
  Check(*reloaded == state, "a folded state's snapshot reloads equal");
}

}  // namespace
}  // namespace sixhearts::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  sixhearts::fuzz::SilenceProtobufLogs();
  sixhearts::fuzz::TheFixture();
  std::atexit([] {
    const sixhearts::fuzz::Fixture& f = sixhearts::fuzz::TheFixture();
    std::fprintf(stderr, "fuzz_validate: appends accepted %lu, duplicate %lu, refused %lu\n",
                 static_cast<unsigned long>(f.appends_accepted),
                 static_cast<unsigned long>(f.appends_duplicate),
                 static_cast<unsigned long>(f.appends_refused));
  });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sixhearts::fuzz;
  sixhearts::ledger::v1::AppendRequest request;
  if (!ParseRequest(data, size, &request)) return 0;

  const sixhearts::ledger::Limits limits;
  bool all_valid = true;
  std::vector<const sixhearts::ledger::v1::Event*> valid_events;
  for (int i = 0; i < request.events_size(); ++i) {
    const auto& event = request.events(i);
    const absl::Status status =
        sixhearts::ledger::ValidateEvent(event, absl::StrCat("events[", i, "]"), limits);
    if (status.ok()) {
      CheckValidEvent(event, limits);
      valid_events.push_back(&event);
    } else {
      all_valid = false;
      Check(status.code() == absl::StatusCode::kInvalidArgument,
            "ValidateEvent fails only with INVALID_ARGUMENT", status.ToString());
      Check(absl::StartsWith(status.message(), absl::StrCat("events[", i, "].")),
            "ValidateEvent's message names the event path", status.ToString());
    }
  }
  CheckReceivablesFold(valid_events);
  CheckAppend(request, all_valid);
  return 0;
}
