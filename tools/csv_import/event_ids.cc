// Version-5 UUIDs over OpenSSL's SHA-1. SHA-1 is used as a naming function here, not for
// security: RFC 9562 fixes it for version 5, which keeps the ids reproducible elsewhere.
#include "tools/csv_import/event_ids.h"

#include <openssl/evp.h>

#include <array>
#include <cstdint>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "tools/csv_import/string_views.h"

namespace sixhearts::csv_import {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::array<uint8_t, 16> UuidBytes(std::string_view text) {
  std::array<uint8_t, 16> bytes{};
  size_t n = 0;
  int high = -1;
  for (char c : text) {
    if (c == '-') continue;
    const int v = HexValue(c);
    if (v < 0 || n >= bytes.size()) std::abort();  // a broken REQUIRES, not bad input
    if (high < 0) {
      high = v;
    } else {
      bytes[n++] = static_cast<uint8_t>(high << 4 | v);
      high = -1;
    }
  }
  if (n != bytes.size() || high >= 0) std::abort();
  return bytes;
}

}  // namespace

std::string NameBasedUuid(std::string_view namespace_uuid, std::string_view name) {
  const std::array<uint8_t, 16> ns = UuidBytes(namespace_uuid);
  std::array<uint8_t, EVP_MAX_MD_SIZE> digest{};
  unsigned int digest_len = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok = ctx != nullptr && EVP_DigestInit_ex(ctx, EVP_sha1(), nullptr) == 1 &&
                  EVP_DigestUpdate(ctx, ns.data(), ns.size()) == 1 &&
                  EVP_DigestUpdate(ctx, name.data(), name.size()) == 1 &&
                  EVP_DigestFinal_ex(ctx, digest.data(), &digest_len) == 1;
  EVP_MD_CTX_free(ctx);
  // Hashing in memory fails only when OpenSSL itself is broken.
  if (!ok || digest_len < 16) std::abort();

  digest[6] = static_cast<uint8_t>((digest[6] & 0x0F) | 0x50);  // version 5
  digest[8] = static_cast<uint8_t>((digest[8] & 0x3F) | 0x80);  // RFC variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0x0F]);
  }
  return out;
}

std::string ImportEventId(std::string_view stream, std::string_view event_kind,
                          std::string_view business_id) {
  return NameBasedUuid(
      kImportNamespaceUuid,
      absl::StrCat(AbslView(stream), "/", AbslView(event_kind), "/", AbslView(business_id)));
}

}  // namespace sixhearts::csv_import
