// libFuzzer target for decoding what the ledger reads back from disk: the `log` record and
// `entities` value encodings (ledger/FORMAT.md), event ids, Event protobufs, receivables
// and compliance snapshots. Each decoder must refuse or accept any bytes without crashing, and
// whatever it accepts must encode back to the very same bytes, as the formats claim to be
// canonical.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "ledger/format.h"
#include "services/compliance/compliance_state.h"
#include "services/receivables/receivables_state.h"
#include "sixhearts/ledger/v1/events.pb.h"
#include "tests/fuzz/fuzz_check.h"

namespace sixhearts::fuzz {
namespace {

namespace format = ::sixhearts::ledger::format;
namespace v1 = ::sixhearts::ledger::v1;
using services::receivables::ReceivablesState;

std::string Hex(std::string_view bytes) {
  return absl::BytesToHexString(absl::string_view(bytes.data(), bytes.size()));
}

void CheckRecord(std::string_view bytes) {
  const std::optional<format::RecordView> record = format::DecodeRecord(bytes);
  if (!record) return;
  Check(bytes.size() >= 1 + format::kHashBytes, "DecodeRecord accepts only full headers");
  Check(format::EncodeRecord(record->hash, record->event_bytes) == bytes,
        "EncodeRecord(DecodeRecord(b)) == b", Hex(bytes));
}

void CheckEntity(std::string_view bytes) {
  const std::optional<format::EntityValue> value = format::DecodeEntity(bytes);
  if (!value) return;
  Check(format::EncodeEntity(*value) == bytes, "EncodeEntity(DecodeEntity(b)) == b", Hex(bytes));
}

void CheckIdKey(std::string_view text) {
  const std::optional<std::string> key = format::IdKey(text);
  if (!key) return;
  Check(key->size() == 16, "IdKey gives 16 bytes", std::string(text));
  // The key is the UUID's bytes: printing them in 8-4-4-4-12 form gives the id back,
  // up to case (ids are case-insensitive; the store lower-cases them).
  const std::string hex = Hex(*key);
  const std::string canonical =
      absl::StrCat(hex.substr(0, 8), "-", hex.substr(8, 4), "-", hex.substr(12, 4), "-",
                   hex.substr(16, 4), "-", hex.substr(20, 12));
  Check(canonical == absl::AsciiStrToLower(absl::string_view(text.data(), text.size())),
        "IdKey is the UUID's bytes", std::string(text));
}

void CheckUint64(std::string_view bytes) {
  if (bytes.size() < 8) return;
  Check(format::EncodeUint64(format::DecodeUint64(bytes)) == bytes.substr(0, 8),
        "EncodeUint64(DecodeUint64(b)) == b[0:8]");
}

void CheckEvent(std::string_view bytes) {
  v1::Event event;
  if (!event.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return;
  // Protobuf's binary form is not canonical (field order, repeated tags), so the check is
  // that one round trip reaches a fixed point that parses.
  const std::string once = event.SerializeAsString();
  v1::Event again;
  Check(again.ParseFromString(once), "a parsed Event re-serializes to bytes that parse");
  Check(again.SerializeAsString() == once, "Event serialization reaches a fixed point");
}

void CheckSnapshot(std::string_view bytes) {
  absl::StatusOr<ReceivablesState> state = ReceivablesState::Deserialize(bytes);
  if (!state.ok()) {
    const absl::StatusCode code = state.status().code();
    Check(code == absl::StatusCode::kDataLoss || code == absl::StatusCode::kFailedPrecondition,
          "Deserialize refuses with DATA_LOSS or FAILED_PRECONDITION", state.status().ToString());
    return;
  }
  const std::string out = state->Serialize();
  Check(out == bytes, "Serialize(Deserialize(b)) == b (the snapshot codec is canonical)",
        absl::StrCat("in  ", Hex(bytes), "\nout ", Hex(out)));
}

void CheckComplianceSnapshot(std::string_view bytes) {
  absl::StatusOr<services::compliance::ComplianceState> state =
      services::compliance::ComplianceState::Deserialize(bytes);
  if (!state.ok()) {
    const absl::StatusCode code = state.status().code();
    Check(code == absl::StatusCode::kDataLoss || code == absl::StatusCode::kFailedPrecondition,
          "compliance Deserialize refuses with DATA_LOSS or FAILED_PRECONDITION",
          state.status().ToString());
    return;
  }
  const std::string out = state->Serialize();
  Check(out == bytes, "compliance Serialize(Deserialize(b)) == b",
        absl::StrCat("in  ", Hex(bytes), "\nout ", Hex(out)));
}

}  // namespace
}  // namespace sixhearts::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  sixhearts::fuzz::SilenceProtobufLogs();
  return 0;
}

// Every decoder sees every input: they are cheap, and a seed for one (a snapshot, say)
// is also odd input for the others.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sixhearts::fuzz;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  CheckRecord(bytes);
  CheckEntity(bytes);
  CheckIdKey(bytes);
  CheckUint64(bytes);
  CheckEvent(bytes);
  CheckSnapshot(bytes);
  CheckComplianceSnapshot(bytes);
  // A record's payload is what the store parses as an Event.
  if (const auto record = sixhearts::ledger::format::DecodeRecord(bytes)) {
    CheckEvent(record->event_bytes);
  }
  return 0;
}
