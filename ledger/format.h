// The on-disk encoding of the event store: column families, keys, values and the hash
// chain. ledger/FORMAT.md is the specification; this file implements it and nothing
// outside ledger/ includes it, except the benchmark that writes the same keys straight
// into RocksDB as its baseline.
#ifndef SIXHEARTS_LEDGER_FORMAT_H_
#define SIXHEARTS_LEDGER_FORMAT_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sixhearts::ledger::format {

// Version 2: the chain commits to a per-event leaf digest (FORMAT.md "The hash chain"),
// so one client's events can be proven without the bytes of anyone else's.
inline constexpr char kFormatVersion[] = "2";
inline constexpr char kMetaFormatKey[] = "format_version";

// Column families (FORMAT.md "Column families").
inline constexpr char kLogFamily[] = "log";
inline constexpr char kStreamsFamily[] = "streams";
inline constexpr char kIdsFamily[] = "ids";
inline constexpr char kEntitiesFamily[] = "entities";
inline constexpr char kProjectionsFamily[] = "projections";
inline constexpr char kSnapshotsFamily[] = "snapshots";

inline constexpr size_t kHashBytes = 32;
using Hash = std::array<uint8_t, kHashBytes>;

// Record format byte of a `log` value.
inline constexpr uint8_t kRecordFormat = 1;

// 8 bytes, big-endian, so RocksDB's bytewise order is numeric order.
std::string EncodeUint64(uint64_t value);
uint64_t DecodeUint64(std::string_view bytes);  // REQUIRES: bytes.size() >= 8

std::string PositionKey(uint64_t position);
// stream 0x00 version(8)
std::string StreamKey(std::string_view stream, uint64_t version);
// The 16 bytes of a canonical UUID; nullopt when `event_id` is not one.
std::optional<std::string> IdKey(std::string_view event_id);
// stream 0x00 kind id
std::string EntityKey(std::string_view stream, char kind, std::string_view id);

// `log` value: format(1) hash(32) event-bytes.
std::string EncodeRecord(const Hash& hash, std::string_view event_bytes);
struct RecordView {
  Hash hash;
  std::string_view event_bytes;
};
// nullopt when the value is too short or has an unknown format byte.
std::optional<RecordView> DecodeRecord(std::string_view value);

// `entities` value: currency(3, blank when none) amount(8, two's complement) position(8).
struct EntityValue {
  std::string currency;
  int64_t amount_minor = 0;
  uint64_t position = 0;
};
std::string EncodeEntity(const EntityValue& value);
std::optional<EntityValue> DecodeEntity(std::string_view bytes);

// `projections` value: position(8) state-bytes.
// `snapshots` key: name 0x00 position(8); value: max_occurred_at micros(8, two's
// complement) state-bytes.
std::string SnapshotKey(std::string_view name, uint64_t position);
// `snapshots` index key: name 0x01 position(8); value: max_occurred_at micros(8), the same
// as the snapshot's first 8 bytes, so a search reads small index values, not whole states.
std::string SnapshotIndexKey(std::string_view name, uint64_t position);

// Domain-separation prefixes of the two SHA-256 inputs, so that a leaf digest can never
// be passed off as a chain hash or the reverse (FORMAT.md "The hash chain").
inline constexpr uint8_t kLeafPrefix = 0x00;
inline constexpr uint8_t kChainPrefix = 0x01;

// leaf(E) = SHA-256(0x00 || event bytes).
Hash LeafHash(std::string_view event_bytes);
// hash(p) = SHA-256(0x01 || hash(p-1) || uint64_be(p) || leaf(p)).
Hash ChainHash(const Hash& previous, uint64_t position, const Hash& leaf);
// ChainHash(previous, position, LeafHash(event_bytes)).
Hash ChainHashOfEvent(const Hash& previous, uint64_t position, std::string_view event_bytes);

inline Hash ZeroHash() { return Hash{}; }

// The event bytes of a record from two parts of one Event, each serialized with protobuf's
// deterministic serialization, whose top-level fields are disjoint: the fields the caller
// sent and the ones the writer stamps (position, versions, recorded_at, actor). Their fields
// merged in field-number order are the deterministic serialization of the whole event, byte
// for byte, so the caller's part can be serialized before the writer knows the position.
// nullopt when a part is not well-formed wire format or both hold one field number.
std::optional<std::string> MergeEventFields(std::string_view first, std::string_view second);

std::string HashToHex(const Hash& hash);
std::string HashBytes(const Hash& hash);

}  // namespace sixhearts::ledger::format

#endif  // SIXHEARTS_LEDGER_FORMAT_H_
