// libFuzzer target for the Append handler's path: the input is the raw bytes of a gRPC
// Append request, given to services::AppendRequestBytes as EventStoreService::Append
// gives them (parse and the field at fault, unknown fields, validation, the writer of a
// real EventStore), checking what the call answers against what the bytes are.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "grpc/grpc.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/support/proto_buffer_reader.h"
#include "ledger/clock.h"
#include "ledger/event_store.h"
#include "ledger/validate.h"
#include "ledger/wire_check.h"
#include "services/event_store_service.h"
#include "sixhearts/ledger/v1/event_store.pb.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_store.h"
#include "tests/testing/test_events.h"

namespace sixhearts::fuzz {
namespace {

namespace v1 = ::sixhearts::ledger::v1;
using ledger::EventStore;

constexpr char kActor[] = "fuzz-writer";
constexpr char kCouldNotParse[] =
    "the request could not be parsed as sixhearts.ledger.v1.AppendRequest";

struct Fixture : FuzzStore {
  // Outcomes, printed at exit: a run whose inputs never parse, or never append, is not
  // testing what it claims, whatever its coverage says.
  uint64_t unparsed = 0;
  uint64_t refused = 0;
  uint64_t duplicate = 0;
  uint64_t accepted = 0;
};

Fixture& TheFixture() {
  static Fixture* fixture = [] {
    auto* f = new Fixture;  // never destroyed: libFuzzer may exit from any thread
    f->Reopen();
    return f;
  }();
  return *fixture;
}

// The handler's answer to `bytes`: its status and, when OK, the response bytes.
grpc::Status CallAppend(std::string_view bytes, grpc::ByteBuffer* response) {
  grpc::Slice slice(bytes.data(), bytes.size());
  grpc::ByteBuffer request(&slice, 1);
  absl::Notification done;
  grpc::Status result;
  services::AppendRequestBytes(*TheFixture().store, request, kActor, response,
                               [&](const grpc::Status& status) {
                                 result = status;
                                 done.Notify();
                               });
  done.WaitForNotification();
  return result;
}

bool IsAppendRefusal(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::ABORTED:
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
    case grpc::StatusCode::FAILED_PRECONDITION:
      return true;
    default:
      return false;
  }
}

std::string Describe(const grpc::Status& status) {
  return absl::StrCat(status.error_code(), " ", status.error_message());
}

// Whether the request is refused whatever the store holds, by the checks the request
// alone decides.
bool RefusedByItself(const v1::AppendRequest& request, const ledger::Limits& limits) {
  if (request.events().empty()) return true;
  if (static_cast<size_t>(request.events_size()) > limits.max_batch_events) return true;
  if (!ledger::RefuseUnknownFields(request, "").ok()) return true;
  for (int i = 0; i < request.events_size(); ++i) {
    if (!ledger::ValidateEvent(request.events(i), absl::StrCat("events[", i, "]"), limits).ok()) {
      return true;
    }
  }
  return false;
}

void CheckAccepted(const v1::AppendRequest& request, const ledger::Head& before,
                   const ledger::Head& after, const grpc::ByteBuffer& response_bytes) {
  Fixture& f = TheFixture();
  v1::AppendResponse response;
  {
    grpc::ByteBuffer copy(response_bytes);
    grpc::ProtoBufferReader reader(&copy);
    Check(response.ParseFromZeroCopyStream(&reader), "an OK Append's response bytes parse");
  }
  const int n = request.events_size();
  Check(response.positions_size() == n && response.stream_versions_size() == n,
        "one position and one stream version per event");
  if (response.duplicate()) {
    ++f.duplicate;
    Check(after.position == before.position, "a duplicate batch writes nothing");
    return;
  }
  ++f.accepted;
  Check(after.position == before.position + static_cast<uint64_t>(n),
        "an accepted Append moves the head by the batch size",
        absl::StrCat(before.position, " -> ", after.position, " for ", n, " events"));
  absl::StatusOr<ledger::ReadPage> page =
      f.store->ReadLog(before.position + 1, /*backward=*/false, static_cast<uint32_t>(n), {});
  Check(page.ok() && page->events.size() == static_cast<size_t>(n),
        "every appended event reads back", page.ok() ? "" : page.status().ToString());
  for (int i = 0; i < n; ++i) {
    const v1::Event& stored = page->events[static_cast<size_t>(i)];
    Check(response.positions(i) == before.position + 1 + static_cast<uint64_t>(i),
          "positions are the next ones, in request order");
    Check(stored.position() == response.positions(i), "stored positions match the response");
    Check(stored.event_id() == absl::AsciiStrToLower(request.events(i).event_id()),
          "stored event ids are the request's, lower-cased");
    Check(stored.actor() == kActor, "the stored actor is the caller's principal", stored.actor());
    // What the log keeps must itself be a message a reader can parse and that holds no
    // field outside the schema.
    Check(ledger::RefuseUnknownFields(stored, "").ok(), "stored events hold no unknown fields");
  }
  absl::StatusOr<ledger::VerifyResult> verified =
      f.store->Verify(before.position + 1, after.position);
  Check(verified.ok() && verified->ok, "the chain verifies over the appended range",
        verified.ok() ? verified->problem : verified.status().ToString());
}

}  // namespace
}  // namespace sixhearts::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Held for the whole run: gRPC objects made per input (contexts, buffers) would
  // otherwise start and stop the library each time.
  grpc_init();
  sixhearts::fuzz::SilenceProtobufLogs();
  sixhearts::fuzz::TheFixture();
  std::atexit([] {
    const sixhearts::fuzz::Fixture& f = sixhearts::fuzz::TheFixture();
    std::fprintf(stderr, "fuzz_append: unparsable %lu, refused %lu, duplicate %lu, accepted %lu\n",
                 static_cast<unsigned long>(f.unparsed), static_cast<unsigned long>(f.refused),
                 static_cast<unsigned long>(f.duplicate), static_cast<unsigned long>(f.accepted));
  });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sixhearts::fuzz;
  namespace v1 = ::sixhearts::ledger::v1;
  Fixture& f = TheFixture();
  if (f.store->head().position > kMaxFuzzStoreEvents) f.Reopen();
  f.clock.Advance(absl::Seconds(1));
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);

  // The oracle: protobuf's own parser on the same bytes, apart from gRPC's buffers.
  v1::AppendRequest request;
  const bool parses = request.ParseFromArray(data, static_cast<int>(size));
  const std::string fault =
      sixhearts::ledger::DescribeParseFailure(*v1::AppendRequest::descriptor(), bytes);
  Check(!parses || fault.empty(), "DescribeParseFailure finds no fault in bytes that parse", fault);

  const sixhearts::ledger::Head before = f.store->head();
  grpc::ByteBuffer response;
  const grpc::Status status = CallAppend(bytes, &response);
  const sixhearts::ledger::Head after = f.store->head();

  if (!parses) {
    ++f.unparsed;
    Check(status.error_code() == grpc::StatusCode::INVALID_ARGUMENT &&
              absl::StartsWith(status.error_message(), kCouldNotParse),
          "bytes that do not parse answer INVALID_ARGUMENT \"the request could not be parsed\"",
          Describe(status));
    // The field is named whenever the walk can tell.
    Check(fault.empty() || absl::EndsWith(status.error_message(), fault),
          "the parse failure names the field the walk found", Describe(status));
    Check(after.position == before.position && after.hash == before.hash,
          "an unparsable request writes nothing");
    return 0;
  }
  Check(!absl::StartsWith(status.error_message(), "the request could not be parsed"),
        "bytes that parse are not called unparsable", Describe(status));
  if (!status.ok()) {
    ++f.refused;
    Check(IsAppendRefusal(status.error_code()) && !status.error_message().empty(),
          "a refused Append answers a documented code with a message", Describe(status));
    Check(after.position == before.position && after.hash == before.hash,
          "a refused Append leaves the head where it was", Describe(status));
    return 0;
  }
  Check(!RefusedByItself(request, f.store->limits()),
        "Append accepts only requests with events, within max_batch_events, without unknown "
        "fields, whose every event ValidateEvent accepts");
  CheckAccepted(request, before, after, response);
  return 0;
}
