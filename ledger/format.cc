// Key and value encodings and the chain hash, as specified in ledger/FORMAT.md.

// OpenSSL 3 deprecates the SHA256_* functions in favour of EVP, whose digest context is
// freed and allocated again on every init. Reads hash every record they pass (README
// "Storage faults"), and through EVP that cost a projection rebuild about a tenth of its
// time (BENCHMARKS.md "Cost of the read-path chain check"). The functions are still part
// of OpenSSL 3; asking for the 1.1.1 API declares them without the deprecation.
#define OPENSSL_API_COMPAT 10101

#include "ledger/format.h"

#include <openssl/sha.h>

#include <cstdlib>
#include <cstring>
#include <initializer_list>

#include "absl/strings/escaping.h"

namespace sixhearts::ledger::format {

std::string EncodeUint64(uint64_t value) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(value & 0xff);
    value >>= 8;
  }
  return out;
}

uint64_t DecodeUint64(std::string_view bytes) {
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value = (value << 8) | static_cast<uint8_t>(bytes[i]);
  return value;
}

std::string PositionKey(uint64_t position) { return EncodeUint64(position); }

std::string StreamKey(std::string_view stream, uint64_t version) {
  std::string key;
  key.reserve(stream.size() + 9);
  key.append(stream);
  key.push_back('\0');
  key.append(EncodeUint64(version));
  return key;
}

namespace {
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::optional<std::string> IdKey(std::string_view event_id) {
  if (event_id.size() != 36) return std::nullopt;
  std::string out;
  out.reserve(16);
  int high = -1;
  for (size_t i = 0; i < event_id.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (event_id[i] != '-') return std::nullopt;
      continue;
    }
    const int v = HexValue(event_id[i]);
    if (v < 0) return std::nullopt;
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<char>((high << 4) | v));
      high = -1;
    }
  }
  return out;
}

std::string EntityKey(std::string_view stream, char kind, std::string_view id) {
  std::string key;
  key.reserve(stream.size() + id.size() + 2);
  key.append(stream);
  key.push_back('\0');
  key.push_back(kind);
  key.append(id);
  return key;
}

std::string SnapshotKey(std::string_view name, uint64_t position) {
  return StreamKey(name, position);  // the same shape: name 0x00 position
}

std::string SnapshotIndexKey(std::string_view name, uint64_t position) {
  std::string key(name);
  key.push_back('\x01');
  key.append(EncodeUint64(position));
  return key;
}

std::string EncodeRecord(const Hash& hash, std::string_view event_bytes) {
  std::string value;
  value.reserve(1 + kHashBytes + event_bytes.size());
  value.push_back(static_cast<char>(kRecordFormat));
  value.append(reinterpret_cast<const char*>(hash.data()), hash.size());
  value.append(event_bytes);
  return value;
}

std::optional<RecordView> DecodeRecord(std::string_view value) {
  if (value.size() < 1 + kHashBytes) return std::nullopt;
  if (static_cast<uint8_t>(value[0]) != kRecordFormat) return std::nullopt;
  RecordView view;
  std::memcpy(view.hash.data(), value.data() + 1, kHashBytes);
  view.event_bytes = value.substr(1 + kHashBytes);
  return view;
}

std::string EncodeEntity(const EntityValue& value) {
  std::string out = value.currency;
  out.resize(3, ' ');
  out.append(EncodeUint64(static_cast<uint64_t>(value.amount_minor)));
  out.append(EncodeUint64(value.position));
  return out;
}

std::optional<EntityValue> DecodeEntity(std::string_view bytes) {
  if (bytes.size() != 19) return std::nullopt;
  EntityValue value;
  value.currency = std::string(bytes.substr(0, 3));
  if (value.currency == "   ") value.currency.clear();
  value.amount_minor = static_cast<int64_t>(DecodeUint64(bytes.substr(3)));
  value.position = DecodeUint64(bytes.substr(11));
  return value;
}

namespace {

// SHA-256 over `parts` in order. A failure means OpenSSL itself is broken; no event may
// be stored unhashed, so it stops the process.
Hash Sha256(std::initializer_list<std::string_view> parts) {
  static_assert(SHA256_DIGEST_LENGTH == kHashBytes);
  Hash out;
  SHA256_CTX context;
  bool ok = SHA256_Init(&context) == 1;
  for (std::string_view part : parts) {
    ok = ok && SHA256_Update(&context, part.data(), part.size()) == 1;
  }
  ok = ok && SHA256_Final(out.data(), &context) == 1;
  if (!ok) std::abort();
  return out;
}

std::string_view View(const Hash& hash) {
  return std::string_view(reinterpret_cast<const char*>(hash.data()), hash.size());
}

}  // namespace

Hash LeafHash(std::string_view event_bytes) {
  const char prefix = static_cast<char>(kLeafPrefix);
  return Sha256({std::string_view(&prefix, 1), event_bytes});
}

Hash ChainHash(const Hash& previous, uint64_t position, const Hash& leaf) {
  const char prefix = static_cast<char>(kChainPrefix);
  const std::string position_bytes = EncodeUint64(position);
  return Sha256({std::string_view(&prefix, 1), View(previous), position_bytes, View(leaf)});
}

Hash ChainHashOfEvent(const Hash& previous, uint64_t position, std::string_view event_bytes) {
  return ChainHash(previous, position, LeafHash(event_bytes));
}

namespace {

// The top-level field of `bytes` starting at `pos`: its number, and where it ends. False when
// the bytes do not hold one whole field there (or it is a group, which proto3 never writes).
bool NextField(std::string_view bytes, size_t pos, uint64_t* number, size_t* end) {
  auto varint = [&](uint64_t* value) {
    *value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos >= bytes.size()) return false;
      const uint8_t byte = static_cast<uint8_t>(bytes[pos++]);
      *value |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return true;
    }
    return false;
  };
  uint64_t tag = 0;
  if (!varint(&tag)) return false;
  *number = tag >> 3;
  uint64_t skip = 0;
  switch (tag & 7) {
    case 0:
      if (!varint(&skip)) return false;
      skip = 0;
      break;
    case 1:
      skip = 8;
      break;
    case 2:
      if (!varint(&skip)) return false;
      break;
    case 5:
      skip = 4;
      break;
    default:
      return false;
  }
  if (*number == 0 || skip > bytes.size() - pos) return false;
  *end = pos + skip;
  return true;
}

}  // namespace

std::optional<std::string> MergeEventFields(std::string_view first, std::string_view second) {
  std::string out;
  out.reserve(first.size() + second.size());
  size_t a = 0;
  size_t b = 0;
  uint64_t a_number = 0;
  uint64_t b_number = 0;
  size_t a_end = 0;
  size_t b_end = 0;
  bool a_has = a < first.size() && NextField(first, a, &a_number, &a_end);
  bool b_has = b < second.size() && NextField(second, b, &b_number, &b_end);
  if ((a < first.size() && !a_has) || (b < second.size() && !b_has)) return std::nullopt;
  while (a_has || b_has) {
    if (a_has && b_has && a_number == b_number) return std::nullopt;
    if (a_has && (!b_has || a_number < b_number)) {
      out.append(first.substr(a, a_end - a));
      a = a_end;
      a_has = a < first.size();
      if (a_has && !NextField(first, a, &a_number, &a_end)) return std::nullopt;
    } else {
      out.append(second.substr(b, b_end - b));
      b = b_end;
      b_has = b < second.size();
      if (b_has && !NextField(second, b, &b_number, &b_end)) return std::nullopt;
    }
  }
  return out;
}

std::string HashToHex(const Hash& hash) { return absl::BytesToHexString(HashBytes(hash)); }

std::string HashBytes(const Hash& hash) {
  return std::string(reinterpret_cast<const char*>(hash.data()), hash.size());
}

}  // namespace sixhearts::ledger::format
