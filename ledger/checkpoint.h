// Signed checkpoints of the log's Merkle tree in the C2SP formats (c2sp.org/tlog-
// checkpoint, c2sp.org/signed-note), so that tooling for transparency logs reads them:
//
//   <origin>\n<tree size, decimal>\n<base64 root hash>\n\n— <origin> <base64(key id || sig)>\n
//
// The signature is Ed25519 over the body (the three lines and their newlines); the key id
// is the first 4 bytes of SHA-256(name || 0x0A || 0x01 || public key). The verifier key
// is `<name>+<hex key id>+<base64(0x01 || public key)>`, as golang.org/x/mod/sumdb/note
// reads it. The key name is the origin.
//
// Thread-safe after construction (signing only reads the key).
#ifndef SIXHEARTS_LEDGER_CHECKPOINT_H_
#define SIXHEARTS_LEDGER_CHECKPOINT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace sixhearts::ledger {

class CheckpointSigner {
 public:
  // Reads the Ed25519 private key (PEM, PKCS #8) in `key_file`, creating it with mode
  // 0600 when missing. INVALID_ARGUMENT naming the field for an origin that cannot be a
  // key name (empty, or with a space, '+' or a control character); FAILED_PRECONDITION
  // for a file that is not an Ed25519 key or that others may read; the key itself is
  // never in a message.
  static absl::StatusOr<std::unique_ptr<CheckpointSigner>> LoadOrCreate(const std::string& key_file,
                                                                        const std::string& origin,
                                                                        bool* created = nullptr);
  // From a 32-byte Ed25519 seed (tests, known vectors).
  static absl::StatusOr<std::unique_ptr<CheckpointSigner>> FromSeed(std::string_view seed,
                                                                    const std::string& origin);
  ~CheckpointSigner();

  // The signed note text of the checkpoint for `tree_size` with the 32-byte `root`.
  std::string Sign(uint64_t tree_size, std::string_view root) const;
  // A signed note of any text ending in a newline.
  std::string SignNote(std::string_view text) const;
  // `<origin>+<hex key id>+<base64(0x01 || public key)>`.
  std::string VerifierKey() const;
  const std::string& origin() const { return origin_; }

 private:
  struct Key;
  CheckpointSigner(std::unique_ptr<Key> key, std::string origin);
  std::unique_ptr<Key> key_;
  std::string origin_;
  std::string public_key_;  // 32 bytes
  std::string key_id_;      // 4 bytes
};

// The checkpoint body: origin, size and base64 root, one per line.
std::string CheckpointBody(std::string_view origin, uint64_t tree_size, std::string_view root);

// The signed checkpoint of `tree_size` with `root` by `signer`; empty when `signer` is
// nullptr (a server without a key signs nothing).
std::string SignedCheckpoint(const CheckpointSigner* signer, uint64_t tree_size,
                             std::string_view root);

// Checks that the signed note `note` carries a valid Ed25519 signature by `verifier_key`
// (`<name>+<hex key id>+<base64(0x01 || public key)>`) over its text: INVALID_ARGUMENT
// naming what is malformed (the key, or the note's text or signature lines),
// UNAUTHENTICATED when no signature line of that key verifies.
absl::Status VerifyNote(std::string_view note, std::string_view verifier_key);

}  // namespace sixhearts::ledger

#endif  // SIXHEARTS_LEDGER_CHECKPOINT_H_
