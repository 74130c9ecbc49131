// Ed25519 through OpenSSL's EVP interface; the key file is PEM PKCS #8, written once
// with O_EXCL and mode 0600.
#include "ledger/checkpoint.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace sixhearts::ledger {

struct CheckpointSigner::Key {
  EVP_PKEY* pkey = nullptr;
  ~Key() { EVP_PKEY_free(pkey); }
};

namespace {

constexpr unsigned char kEd25519Type = 0x01;

absl::Status CheckOrigin(const std::string& origin) {
  if (origin.empty()) return absl::InvalidArgumentError("checkpoint_origin: required");
  for (unsigned char c : origin) {
    if (c <= 0x20 || c == '+' || c == 0x7f) {
      return absl::InvalidArgumentError(
          absl::StrCat("checkpoint_origin: \"", absl::CEscape(origin),
                       "\" cannot be a key name (no spaces, '+' or control characters)"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<EVP_PKEY, void (*)(EVP_PKEY*)>> ReadKey(const std::string& path) {
  FILE* file = std::fopen(path.c_str(), "r");
  if (file == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("checkpoint key ", path, ": cannot read: ", std::strerror(errno)));
  }
  EVP_PKEY* pkey = PEM_read_PrivateKey(file, nullptr, nullptr, nullptr);
  std::fclose(file);
  if (pkey == nullptr || EVP_PKEY_id(pkey) != EVP_PKEY_ED25519) {
    EVP_PKEY_free(pkey);
    return absl::FailedPreconditionError(
        absl::StrCat("checkpoint key ", path, ": not an Ed25519 private key in PEM"));
  }
  return std::unique_ptr<EVP_PKEY, void (*)(EVP_PKEY*)>(pkey, EVP_PKEY_free);
}

absl::Status CreateKey(const std::string& path) {
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr);
  EVP_PKEY* pkey = nullptr;
  const bool ok =
      ctx != nullptr && EVP_PKEY_keygen_init(ctx) == 1 && EVP_PKEY_keygen(ctx, &pkey) == 1;
  EVP_PKEY_CTX_free(ctx);
  if (!ok) return absl::InternalError("Ed25519 key generation failed");
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) {
    EVP_PKEY_free(pkey);
    return absl::FailedPreconditionError(
        absl::StrCat("checkpoint key ", path, ": cannot create: ", std::strerror(errno)));
  }
  FILE* file = ::fdopen(fd, "w");
  const bool written =
      file != nullptr &&
      PEM_write_PrivateKey(file, pkey, nullptr, nullptr, 0, nullptr, nullptr) == 1 &&
      std::fflush(file) == 0 && ::fsync(fd) == 0;
  if (file != nullptr) std::fclose(file);
  EVP_PKEY_free(pkey);
  if (!written) {
    ::unlink(path.c_str());
    return absl::InternalError(absl::StrCat("checkpoint key ", path, ": write failed"));
  }
  return absl::OkStatus();
}

}  // namespace

std::string CheckpointBody(std::string_view origin, uint64_t tree_size, std::string_view root) {
  return absl::StrCat(std::string(origin), "\n", tree_size, "\n",
                      absl::Base64Escape(std::string(root)), "\n");
}

CheckpointSigner::CheckpointSigner(std::unique_ptr<Key> key, std::string origin)
    : key_(std::move(key)), origin_(std::move(origin)) {
  unsigned char pub[32];
  size_t length = sizeof(pub);
  EVP_PKEY_get_raw_public_key(key_->pkey, pub, &length);
  public_key_.assign(reinterpret_cast<const char*>(pub), length);
  std::string input = absl::StrCat(origin_, "\n");
  input.push_back(static_cast<char>(kEd25519Type));
  input += public_key_;
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  key_id_.assign(reinterpret_cast<const char*>(digest), 4);
}

CheckpointSigner::~CheckpointSigner() = default;

absl::StatusOr<std::unique_ptr<CheckpointSigner>> CheckpointSigner::LoadOrCreate(
    const std::string& key_file, const std::string& origin, bool* created) {
  if (absl::Status s = CheckOrigin(origin); !s.ok()) return s;
  if (key_file.empty()) return absl::InvalidArgumentError("checkpoint_key_file: required");
  struct stat st;
  if (::stat(key_file.c_str(), &st) != 0) {
    if (errno != ENOENT) {
      return absl::FailedPreconditionError(
          absl::StrCat("checkpoint key ", key_file, ": ", std::strerror(errno)));
    }
    if (absl::Status s = CreateKey(key_file); !s.ok()) return s;
    if (created != nullptr) *created = true;
  } else if ((st.st_mode & 077) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("checkpoint key ", key_file, ": readable by others (mode ",
                     absl::StrCat(absl::Hex(st.st_mode & 0777)), " hex); chmod 600 it"));
  }
  auto pkey = ReadKey(key_file);
  if (!pkey.ok()) return pkey.status();
  auto key = std::make_unique<Key>();
  key->pkey = pkey->release();
  return std::unique_ptr<CheckpointSigner>(new CheckpointSigner(std::move(key), origin));
}

absl::StatusOr<std::unique_ptr<CheckpointSigner>> CheckpointSigner::FromSeed(
    std::string_view seed, const std::string& origin) {
  if (absl::Status s = CheckOrigin(origin); !s.ok()) return s;
  if (seed.size() != 32) return absl::InvalidArgumentError("seed: must be 32 bytes");
  EVP_PKEY* pkey = EVP_PKEY_new_raw_private_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(seed.data()), seed.size());
  if (pkey == nullptr) return absl::InternalError("Ed25519 key from seed failed");
  auto key = std::make_unique<Key>();
  key->pkey = pkey;
  return std::unique_ptr<CheckpointSigner>(new CheckpointSigner(std::move(key), origin));
}

std::string CheckpointSigner::SignNote(std::string_view text) const {
  unsigned char signature[64];
  size_t length = sizeof(signature);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok =
      ctx != nullptr && EVP_DigestSignInit(ctx, nullptr, nullptr, nullptr, key_->pkey) == 1 &&
      EVP_DigestSign(ctx, signature, &length, reinterpret_cast<const unsigned char*>(text.data()),
                     text.size()) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok) {
    // A loaded Ed25519 key always signs; failing here is a broken invariant.
    std::fprintf(stderr, "Ed25519 signing failed\n");
    std::abort();
  }
  const std::string blob = key_id_ + std::string(reinterpret_cast<const char*>(signature), length);
  return absl::StrCat(std::string(text), "\n\u2014 ", origin_, " ", absl::Base64Escape(blob), "\n");
}

std::string CheckpointSigner::Sign(uint64_t tree_size, std::string_view root) const {
  return SignNote(CheckpointBody(origin_, tree_size, root));
}

std::string CheckpointSigner::VerifierKey() const {
  std::string typed(1, static_cast<char>(kEd25519Type));
  typed += public_key_;
  return absl::StrCat(origin_, "+", absl::BytesToHexString(key_id_), "+",
                      absl::Base64Escape(typed));
}

std::string SignedCheckpoint(const CheckpointSigner* signer, uint64_t tree_size,
                             std::string_view root) {
  return signer == nullptr ? std::string() : signer->Sign(tree_size, root);
}

absl::Status VerifyNote(std::string_view note, std::string_view verifier_key) {
  // The name and the key id hold no '+'; the base64 key may.
  const std::vector<std::string> key_parts =
      absl::StrSplit(std::string(verifier_key), absl::MaxSplits('+', 2));
  std::string typed;
  const auto is_hex = [](std::string_view v) {
    return std::all_of(v.begin(), v.end(), [](char c) { return absl::ascii_isxdigit(c); });
  };
  if (key_parts.size() != 3 || key_parts[1].size() != 8 || !is_hex(key_parts[1]) ||
      !absl::Base64Unescape(key_parts[2], &typed) || typed.size() != 33 ||
      static_cast<unsigned char>(typed[0]) != kEd25519Type) {
    return absl::InvalidArgumentError(
        "verifier_key: not <name>+<8 hex digits>+<base64 of 0x01 and a 32-byte Ed25519 key>");
  }
  const std::string key_id = absl::HexStringToBytes(key_parts[1]);
  const size_t split = note.find("\n\n");
  if (split == std::string_view::npos || note.back() != '\n') {
    return absl::InvalidArgumentError("note: no text and signature lines");
  }
  const std::string_view text = note.substr(0, split + 1);
  const std::string prefix = absl::StrCat("\u2014 ", key_parts[0], " ");
  std::unique_ptr<EVP_PKEY, void (*)(EVP_PKEY*)> pkey(
      EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                  reinterpret_cast<const unsigned char*>(typed.data()) + 1, 32),
      EVP_PKEY_free);
  if (pkey == nullptr) return absl::InvalidArgumentError("verifier_key: not an Ed25519 key");
  const std::vector<std::string> lines =
      absl::StrSplit(std::string(note.substr(split + 2, note.size() - split - 3)), '\n');
  for (const std::string& line : lines) {
    if (!absl::StartsWith(line, prefix)) continue;
    std::string blob;
    if (!absl::Base64Unescape(line.substr(prefix.size()), &blob) || blob.size() != 4 + 64) {
      return absl::InvalidArgumentError("note: a signature line is not base64 of 68 bytes");
    }
    if (blob.substr(0, 4) != key_id) continue;
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    const bool ok =
        ctx != nullptr && EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, pkey.get()) == 1 &&
        EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(blob.data()) + 4, 64,
                         reinterpret_cast<const unsigned char*>(text.data()), text.size()) == 1;
    EVP_MD_CTX_free(ctx);
    if (ok) return absl::OkStatus();
  }
  return absl::UnauthenticatedError(
      absl::StrCat("note: no valid signature by ", key_parts[0], "+", key_parts[1]));
}

}  // namespace sixhearts::ledger
