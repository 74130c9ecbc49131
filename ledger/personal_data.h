// Personal data sealed per subject, for erasure by crypto-shredding (issue 6 item 7;
// ledger/FORMAT.md "Personal data"). The name, phone and email of every Contact are
// stored encrypted (AES-256-GCM) with a key of the person's subject; the keys live in a
// keystore directory apart from the log. Destroying a subject's key erases its data while
// the log, and so the hash chain, stays byte for byte the same.
//
// Thread-safety: KeyStore may be used from any thread.
#ifndef SIXHEARTS_LEDGER_PERSONAL_DATA_H_
#define SIXHEARTS_LEDGER_PERSONAL_DATA_H_

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "sixhearts/ledger/v1/events.pb.h"

namespace rocksdb {
class DB;
}

namespace sixhearts::ledger {

// What an erased name, phone or email reads as (the Contact's `erased` is also set).
inline constexpr char kErasedMarker[] = "[erased]";

// The stream a SubjectErased event goes to when the subject is not a client.
inline constexpr char kSubjectsStream[] = "subjects";

struct SubjectKey {
  std::string key_id;  // 16 random bytes, new with each key
  std::string key;     // 32 random bytes: AES-256
};

// The keys of every subject, in their own RocksDB directory. A key is created the first
// time personal data of its subject is stored and destroyed by Destroy().
class KeyStore {
 public:
  // Opens (creating when missing) the keystore in `dir`. FAILED_PRECONDITION when another
  // process holds it. Keeps at most `max_cached_keys` keys in memory.
  static absl::StatusOr<std::unique_ptr<KeyStore>> Open(const std::string& dir,
                                                        size_t max_cached_keys);
  ~KeyStore();
  KeyStore(const KeyStore&) = delete;
  KeyStore& operator=(const KeyStore&) = delete;

  // The subject's key; a new random one (written with a synced write) when it has none.
  absl::StatusOr<SubjectKey> GetOrCreate(std::string_view subject);
  // The subject's key; nullopt when it has none (never created, or destroyed).
  absl::StatusOr<std::optional<SubjectKey>> Find(std::string_view subject);
  // Destroys the subject's key: a synced delete, then a flush and a full compaction so
  // that the key's bytes leave the keystore's files (FORMAT.md "Personal data").
  absl::Status Destroy(std::string_view subject);

 private:
  KeyStore(rocksdb::DB* db, size_t max_cached_keys) : db_(db), max_cached_keys_(max_cached_keys) {}

  rocksdb::DB* db_;
  const size_t max_cached_keys_;
  // Serialises creation and destruction, so a key is created once and a destroyed key
  // is never served from the cache.
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, SubjectKey> cache_ ABSL_GUARDED_BY(mu_);
};

// The subject of `contact` in `event`: its subject_id, else the event's stream.
std::string SubjectOf(const v1::Event& event, const v1::Contact& contact);

// True when a contact of `event` holds a name, phone or email in the clear.
bool HasPlainPersonalData(const v1::Event& event);
// True when a contact of `event` holds sealed personal data.
bool HasSealedPersonalData(const v1::Event& event);

// Seals the name, phone and email of every contact of `event` with its subject's key
// (creating keys as needed). REQUIRES: the event id is final (it is authenticated).
absl::Status SealPersonalData(v1::Event& event, KeyStore& keys);

// Opens what SealPersonalData sealed; a contact whose subject's key is gone reads
// kErasedMarker with `erased` set. DATA_LOSS when a ciphertext does not authenticate.
absl::Status OpenPersonalData(v1::Event& event, KeyStore& keys);

}  // namespace sixhearts::ledger

#endif  // SIXHEARTS_LEDGER_PERSONAL_DATA_H_
