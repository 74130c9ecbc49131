// Internal to ledger/: the append path of a primary store (FORMAT.md "What one append
// writes"). Nothing outside ledger/ includes this header (STYLE.md rule 2).
//
// Three stages, so that the one thread that must order the log does only what needs the
// order:
//   1. the caller's thread prepares its request (Append): the checks of the request alone,
//      normalisation, sealing of personal data, and the event bytes without the fields the
//      writer stamps (MergeEventFields adds them later, byte for byte the deterministic
//      serialization of the whole event);
//   2. the writer thread takes the queued requests as one group, looks up every id and
//      business object of the group with one MultiGet, checks ids, expected versions and
//      objects against the staged and stored state, stamps positions, versions and
//      recorded_at, chains the hashes and builds one WriteBatch with the Merkle tree's
//      nodes;
//   3. the commit thread writes each group with one synced write, publishes it to the live
//      feed and runs the callbacks; meanwhile the writer stages the next group on top of
//      the one being written (at most one group is written while one is staged).
// A group is written only after the one before it, and none after a failed write, so the
// log stays one gap-free chain. When a group's write fails, so does every request whose
// answer rests on it: those it wrote and those answered from what it staged.
#ifndef SIXHEARTS_LEDGER_WRITER_H_
#define SIXHEARTS_LEDGER_WRITER_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "ledger/event_store.h"
#include "ledger/format.h"
#include "ledger/live_feed.h"
#include "ledger/merkle_store.h"
#include "ledger/options.h"
#include "ledger/personal_data.h"
#include "rocksdb/db.h"

namespace sixhearts::ledger {

// The newest event of a stream: its version and position (0 and 0 for no stream yet).
struct StreamTip {
  uint64_t version = 0;
  uint64_t position = 0;
};

// The stored tip of `stream` (newest key of its prefix in `streams`).
absl::StatusOr<StreamTip> StoredStreamTip(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* streams,
                                          std::string_view stream);

// Deterministic serialization (FORMAT.md "log record").
std::string SerializeCanonical(const google::protobuf::Message& message);

class Writer {
 public:
  // What the writer writes into and reads from; not owned, all outlive the writer.
  struct Target {
    rocksdb::DB* db = nullptr;
    rocksdb::ColumnFamilyHandle* meta = nullptr;  // `default`: the Merkle tree's nodes
    rocksdb::ColumnFamilyHandle* log = nullptr;
    rocksdb::ColumnFamilyHandle* streams = nullptr;
    rocksdb::ColumnFamilyHandle* ids = nullptr;
    rocksdb::ColumnFamilyHandle* entities = nullptr;
    KeyStore* keys = nullptr;
    LiveFeed* feed = nullptr;
  };
  // The head recovered at open, which the first group chains onto.
  struct Head {
    uint64_t position = 0;
    format::Hash hash{};
    absl::Time recorded_at = absl::InfinitePast();
  };
  // `read_event`: the stored event at a position, chain-checked and opened (to compare a
  // retry with what is stored). `damage`: OK, or the damage of the log found so far; a
  // group staged while it is not OK is refused. Both are called on the writer thread.
  Writer(const EventStoreOptions& options, Clock* clock, Target target, Head head,
         merkle::TreeWriter tree,
         std::function<absl::StatusOr<v1::Event>(uint64_t position)> read_event,
         std::function<absl::Status()> damage);
  // Shutdown().
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Prepares `request` on the calling thread and queues it; `done` runs on the commit
  // thread once it is durable or refused, or at once on the calling thread when the
  // request alone is refused (bad input, the queue full, shutting down). `ledger_events`:
  // the request comes from the store itself (EraseSubject) and may hold events callers
  // may not append.
  void Append(const v1::AppendRequest& request, std::string_view actor, AppendCallback done,
              bool ledger_events);

  // The erasure of `subject` whose SubjectErased event has the id `event_id` is over: the
  // subject's key is destroyed, or the erasure failed. EraseSubject calls it once its
  // append has an outcome, whatever it is (see CheckSealingKeys).
  void EndErasure(std::string_view subject, std::string_view event_id);

  // A cut at `t` has been answered: waits until every group stamped so far is published
  // (or refused), and makes every later group's recorded_at later than `t`.
  void SealCut(absl::Time t);

  // Refuses new appends (UNAVAILABLE), finishes the queued ones, stops both threads.
  // Idempotent.
  void Shutdown();

 private:
  struct PreparedEvent;
  struct PendingAppend;
  struct Overlay;
  struct Group;

  absl::Status Prepare(const v1::AppendRequest& request, std::string_view actor, PendingAppend& out,
                       bool ledger_events) const;
  void StageLoop();
  void CommitLoop();
  // Opens `group`: refused after a failed write or damage, else stamped with recorded_at.
  void OpenGroup(Group& group);
  // Prefetches and stages `requests` into the open `group`.
  void StageRequests(Group& group, const std::vector<PendingAppend*>& requests);
  void Prefetch(const std::vector<PendingAppend*>& requests);
  absl::StatusOr<v1::AppendResponse> Stage(PendingAppend& pending, Group& group);
  absl::StatusOr<v1::AppendResponse> ResolveDuplicates(
      const PendingAppend& pending, const std::vector<const v1::Event*>& staged,
      const std::vector<std::optional<uint64_t>>& stored) const;
  absl::StatusOr<StreamTip> CurrentTip(const std::string& stream, const Overlay& local,
                                       const Overlay& group);
  absl::StatusOr<std::optional<format::EntityValue>> FindEntity(const std::string& key,
                                                                const Overlay& local,
                                                                const Overlay& group);
  // The previous group is written: its state is in RocksDB now, and moves into the caches.
  void ForgetWritten();
  // Personal data is sealed on the caller's thread, before the request is ordered: ABORTED
  // naming the subject when a key that sealed `pending` is destroyed by an erasure ordered
  // before it (its SubjectErased staged, the key not yet destroyed), or was destroyed
  // since it was sealed; the data would be stored unreadable.
  absl::Status CheckSealingKeys(const PendingAppend& pending);
  // Notes the erasures among the events `pending` staged from `first`.
  void NoteErasures(const std::vector<v1::Event>& events, size_t first);
  // Refuses every request of `group` with `status`.
  static void RefuseAll(Group& group, const absl::Status& status);
  // The refusal of appends after the failed write `failure`.
  static absl::Status AfterFailedWrite(const absl::Status& failure);
  void Finish(Group& group);

  const EventStoreOptions& options_;
  Clock* const clock_;
  const Target target_;
  const std::function<absl::StatusOr<v1::Event>(uint64_t)> read_event_;
  const std::function<absl::Status()> damage_;

  // The queue between callers and the writer thread, and the hand-over between the writer
  // and the commit thread. At most one group is handed over and unwritten while the writer
  // stages the next one, so memory holds two groups besides the queue.
  absl::Mutex mu_;
  std::deque<PendingAppend*> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::shared_ptr<Group> handoff_ ABSL_GUARDED_BY(mu_);
  bool staging_done_ ABSL_GUARDED_BY(mu_) = false;
  // Groups the commit thread has finished (written or refused), by sequence number.
  uint64_t finished_seq_ ABSL_GUARDED_BY(mu_) = 0;
  // The first failed write: every later group is refused until the store is reopened.
  absl::Status storage_failure_ ABSL_GUARDED_BY(mu_);

  // Taken by the writer to stamp a group's recorded_at, by the commit thread once the group
  // is published, and by SealCut; never together with mu_.
  absl::Mutex cut_mu_;
  absl::Time sealed_until_ ABSL_GUARDED_BY(cut_mu_) = absl::InfinitePast();
  uint64_t stamped_seq_ ABSL_GUARDED_BY(cut_mu_) = 0;
  uint64_t published_seq_ ABSL_GUARDED_BY(cut_mu_) = 0;

  // Erasures whose SubjectErased event is staged and whose EndErasure has not come: subject
  // -> those events' ids (bounded by the EraseSubject calls in flight). erasing_count_ is
  // their number and erasures_ended_ counts EndErasure calls, so that the writer reads
  // them without the lock while no erasure is near. erase_mu_ is never held with another
  // lock (the keystore's included).
  absl::Mutex erase_mu_;
  absl::flat_hash_map<std::string, absl::flat_hash_set<std::string>> erasing_
      ABSL_GUARDED_BY(erase_mu_);
  std::atomic<size_t> erasing_count_{0};
  std::atomic<uint64_t> erasures_ended_{0};

  // Owned by the writer thread: the head as staged (groups being written included).
  uint64_t head_position_;
  format::Hash head_hash_;
  absl::Time last_recorded_at_;
  merkle::TreeWriter tree_;
  // The group handed over last, until the writer knows it is written: lookups see it
  // before RocksDB does.
  std::shared_ptr<Group> unwritten_;
  // Committed state cached (limits.max_cached_streams, max_cached_entities; cleared when
  // full): stream tips, and business objects that exist.
  absl::flat_hash_map<std::string, StreamTip> stream_tips_;
  absl::flat_hash_map<std::string, format::EntityValue> entities_;
  // The group's prefetched stored ids (id key -> position) and objects (nullopt: none).
  absl::flat_hash_map<std::string, std::optional<uint64_t>> fetched_ids_;
  absl::flat_hash_map<std::string, std::optional<format::EntityValue>> fetched_entities_;
  // Set by the lookups of the request being staged that find state staged by other
  // requests of its group (PendingAppend::depends_on_group).
  bool read_group_state_ = false;
  // Reused to serialize the writer's fields of one event.
  v1::Event stamp_;
  std::string stamp_bytes_;

  std::thread stage_thread_;
  std::thread commit_thread_;
};

}  // namespace sixhearts::ledger

#endif  // SIXHEARTS_LEDGER_WRITER_H_
