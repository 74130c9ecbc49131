// Personal data sealed per subject, for erasure by crypto-shredding (issue 6 item 7,
// issue 16; ledger/FORMAT.md "Personal data"). The name, phone and email of every Contact
// and the free text of the events that carry it (a client's name, summaries, a survey's
// comment, a dispute's reason) are stored encrypted (AES-256-GCM) with a key of their
// subject; the keys live in a keystore directory apart from the log. Destroying a
// subject's key erases its data while the log, and so the hash chain, stays byte for
// byte the same. Views (projection state) keep a reference to the event in place of
// the text, opened when a report is read.
//
// Thread-safety: KeyStore may be used from any thread.
#ifndef SIXHEARTS_LEDGER_PERSONAL_DATA_H_
#define SIXHEARTS_LEDGER_PERSONAL_DATA_H_

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "ledger/personal_text.h"
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
  // Opens the keystore in `dir`, which a primary ledger holds, read-only and without
  // its lock (a RocksDB secondary instance whose own logs go under `own_dir`), for a
  // read replica. CatchUp() follows the primary's new and destroyed keys; GetOrCreate
  // and Destroy are FAILED_PRECONDITION. FAILED_PRECONDITION when `dir` holds no
  // keystore.
  static absl::StatusOr<std::unique_ptr<KeyStore>> OpenFollower(const std::string& dir,
                                                                const std::string& own_dir,
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
  // A follower: when the primary's keystore files changed, reopens them as they are now
  // and forgets cached keys (a destroyed key stops opening data here from this call
  // on). OK and a no-op on a primary.
  absl::Status CatchUp();

 private:
  KeyStore(rocksdb::DB* db, size_t max_cached_keys, std::string follows)
      : db_(db), max_cached_keys_(max_cached_keys), follows_(std::move(follows)) {}

  rocksdb::DB* db_;
  const size_t max_cached_keys_;
  // The primary's keystore directory for a follower; empty for the keystore's owner.
  const std::string follows_;
  // A follower's: where its RocksDB logs go; below, the primary's files when last opened,
  // and how many times it reopened.
  std::string own_dir_;
  // Serialises creation and destruction, so a key is created once and a destroyed key
  // is never served from the cache; and a follower's reopening.
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, SubjectKey> cache_ ABSL_GUARDED_BY(mu_);
  std::string fingerprint_ ABSL_GUARDED_BY(mu_);
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
};

// The subject of `contact` in `event`: its subject_id, else the event's stream.
std::string SubjectOf(const v1::Event& event, const v1::Contact& contact);

// True when a contact of `event`, or its personal text, is in the clear.
bool HasPlainPersonalData(const v1::Event& event);
// True when a contact of `event`, or its personal text, is sealed.
bool HasSealedPersonalData(const v1::Event& event);

// A subject's key that sealed part of an event.
struct SealedUnder {
  std::string subject;
  std::string key_id;
};

// Seals the name, phone and email of every contact of `event`, and its personal text,
// with their subjects' keys (creating keys as needed); appends each key used to
// `sealed_under` when it is not null. REQUIRES: the event id is final (it is
// authenticated).
absl::Status SealPersonalData(v1::Event& event, KeyStore& keys,
                              std::vector<SealedUnder>* sealed_under = nullptr);

// Opens what SealPersonalData sealed; a contact whose subject's key is gone reads
// kErasedMarker with `erased` set, a text reads kErasedMarker. DATA_LOSS when a
// ciphertext does not authenticate.
absl::Status OpenPersonalData(v1::Event& event, KeyStore& keys);

}  // namespace sixhearts::ledger

#endif  // SIXHEARTS_LEDGER_PERSONAL_DATA_H_
