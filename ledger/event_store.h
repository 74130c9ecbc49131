// The event store: a durable, ordered, idempotent, hash-chained log of protobuf events
// in RocksDB. The public surface of ledger/; RocksDB stays behind it. On-disk layout:
// ledger/FORMAT.md.
//
// Thread-safety: every method may be called from any thread. Appends are prepared on the
// caller's thread, then serialised through one writer thread that stages concurrent
// requests as one group, and written by a commit thread with one synced write per group
// (group commit) while the writer stages the next group (ledger/writer.h). Reads never
// block appends.
#ifndef SIXHEARTS_LEDGER_EVENT_STORE_H_
#define SIXHEARTS_LEDGER_EVENT_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "ledger/options.h"
#include "sixhearts/ledger/v1/event_store.pb.h"
#include "sixhearts/ledger/v1/events.pb.h"

namespace sixhearts::ledger {

class Subscription;

// One page of a read.
struct ReadPage {
  std::vector<v1::Event> events;
  // Last position looked at, matching or not (0 when nothing was looked at).
  uint64_t scanned_to_position = 0;
  // ReadStream only: the stream version of the last event looked at.
  uint64_t scanned_to_version = 0;
  // True when the read reached the end of its range (the head, the start of the log,
  // or the end of the stream).
  bool end = false;
};

struct Head {
  uint64_t position = 0;
  std::string hash;  // 32 bytes; all zero for an empty log
  absl::Time recorded_at = absl::InfinitePast();
};

struct VerifyResult {
  bool ok = true;
  uint64_t checked = 0;
  uint64_t first_bad_position = 0;
  std::string problem;
  std::string head_hash;  // recomputed hash at the last position checked
};

// A projection's durable state: the fold's bytes and the position they include, stored
// in one value so they can never disagree (FORMAT.md "projections").
struct StoredProjection {
  uint64_t position = 0;
  std::string state;
};

// A snapshot of a projection at a position, kept for as-of queries (FORMAT.md
// "snapshots"). `max_occurred_at` is the latest business time among the events folded,
// so the snapshot also serves "as the books stood on D" for any D after it.
struct StoredSnapshot {
  uint64_t position = 0;
  absl::Time max_occurred_at = absl::InfinitePast();
  std::string state;
};

// Receives the outcome of an asynchronous append, on the store's commit thread: it must be
// quick and must not call back into the store's append path.
using AppendCallback = std::function<void(absl::StatusOr<v1::AppendResponse>)>;

class EventStore {
 public:
  // Opens (creating when missing) the store in options.data_dir and recovers the head.
  // Errors: FAILED_PRECONDITION when another process holds the directory or its format
  // is unknown; UNAVAILABLE / PERMISSION_DENIED when it cannot be created or written.
  static absl::StatusOr<std::unique_ptr<EventStore>> Open(const EventStoreOptions& options);

  // Opens the store in `primary_dir`, which another process serves, as a read replica
  // (a RocksDB secondary instance; options.data_dir keeps the replica's own RocksDB
  // logs). Reads, subscriptions, Verify and projections work; Append returns
  // FAILED_PRECONDITION naming the primary; projection saves are skipped (the primary's
  // directory is never written). A thread catches up with the primary every
  // `catch_up_interval` and publishes what arrived to subscriptions.
  static absl::StatusOr<std::unique_ptr<EventStore>> OpenReplica(const EventStoreOptions& options,
                                                                 const std::string& primary_dir,
                                                                 absl::Duration catch_up_interval);

  // Finishes in-flight appends, ends subscriptions, closes RocksDB.
  ~EventStore();

  // The primary's directory when this is a read replica; empty otherwise.
  const std::string& replica_of() const;

  EventStore(const EventStore&) = delete;
  EventStore& operator=(const EventStore&) = delete;

  // Appends request.events atomically; blocks until they are durable (or rejected).
  // `actor` is the authenticated principal, stamped on every event; recorded_at comes
  // from the store's clock. Errors: see proto/sixhearts/ledger/v1/event_store.proto.
  absl::StatusOr<v1::AppendResponse> Append(const v1::AppendRequest& request,
                                            std::string_view actor);

  // The same, without blocking: `done` runs once the batch is durable or rejected (at
  // once, on the calling thread, for a request that fails validation). `request` is
  // copied; it need not outlive the call.
  void AppendAsync(const v1::AppendRequest& request, std::string_view actor, AppendCallback done);

  // Reads up to `limit` events (at most limits.max_read_events) matching `filter`,
  // starting at `from_position` (forward: 0 = start; backward: 0 = head).
  absl::StatusOr<ReadPage> ReadLog(uint64_t from_position, bool backward, uint32_t limit,
                                   const v1::EventFilter& filter) const;

  // Calls `fn` for every event in [from_position, to_position] (0 = start / head) that
  // matches `filter`, in order, with its hash set; for folds over long ranges: one
  // iterator and one reused message, no page copies. Stops at the first error of `fn`.
  absl::Status ForEachEvent(uint64_t from_position, uint64_t to_position,
                            const v1::EventFilter& filter,
                            absl::FunctionRef<absl::Status(const v1::Event&)> fn) const;

  // The same, but a second thread reads and parses the log while `fn` runs on the
  // calling thread, so a fold costs max(scan, fold) instead of their sum. The two hand
  // over batches of kScanBatchEvents reused messages through a ring of kScanBatches, so
  // memory stays bounded whatever the range. For rebuilds and long as-of replays.
  absl::Status ForEachEventPipelined(uint64_t from_position, uint64_t to_position,
                                     const v1::EventFilter& filter,
                                     absl::FunctionRef<absl::Status(const v1::Event&)> fn) const;
  static constexpr size_t kScanBatchEvents = 1024;
  static constexpr size_t kScanBatches = 4;

  // Calls `fn(position, chain hash (32 bytes), event bytes)` for every stored record in
  // [from_position, to_position] (0 = start / head), in order: the bytes exactly as
  // hashed, for audit exports. DATA_LOSS for a record whose header does not decode or a
  // gap. Stops at the first error of `fn`.
  absl::Status ForEachRecord(
      uint64_t from_position, uint64_t to_position,
      absl::FunctionRef<absl::Status(uint64_t, std::string_view, std::string_view)> fn) const;

  // Reads up to `limit` events of `stream` from version `from_version` (0 = start).
  absl::StatusOr<ReadPage> ReadStream(std::string_view stream, uint64_t from_version,
                                      uint32_t limit, const v1::EventFilter& filter) const;

  // The last version of `stream` (0 when it has no events).
  absl::StatusOr<uint64_t> StreamVersion(std::string_view stream) const;

  // The head of the log: what has been durably committed and published.
  Head head() const;

  // Recomputes the chain over [from_position, to_position] (0 = start / head).
  // OUT_OF_RANGE naming the head when either position lies beyond it.
  absl::StatusOr<VerifyResult> Verify(uint64_t from_position, uint64_t to_position) const;

  // OK, or the first damage of the log found so far (DATA_LOSS naming the position): by
  // the check of the head record at open, by any read that met a record failing its
  // chain, a gap or a record that does not parse, or by Verify. From then on appends are
  // refused with FAILED_PRECONDITION naming it, and on_storage_failure has run; reads of
  // the intact ranges go on (a page ends before the damage, the next one is refused).
  absl::Status damage() const;

  // Starts a subscription delivering events after `after_position`: catch-up from the
  // log, then live. RESOURCE_EXHAUSTED when limits.max_subscriptions are open.
  absl::StatusOr<std::unique_ptr<Subscription>> Subscribe(uint64_t after_position,
                                                          const v1::EventFilter& filter);

  // The last position whose event was recorded at or before `t` (0 when none: the empty
  // view, never "no bound"): the log "as the ledger knew it at t". recorded_at never
  // decreases, so this is a prefix, and whole group commits. A cut that reaches the head
  // waits for a group being committed and makes later groups record after `t`, so the
  // same `t` always gives the same position (FORMAT.md "What one append writes").
  absl::StatusOr<uint64_t> PositionKnownAt(absl::Time t) const;

  // Projection state and snapshots. Names are 1..max_id_bytes of [A-Za-z0-9._:-].
  // SaveProjection is one synced write of state and position together.
  absl::Status SaveProjection(std::string_view name, uint64_t position, std::string_view state);
  absl::StatusOr<std::optional<StoredProjection>> LoadProjection(std::string_view name) const;
  absl::Status DeleteProjection(std::string_view name);
  absl::Status SaveSnapshot(std::string_view name, const StoredSnapshot& snapshot);
  // Snapshots are a cache: they are written without the WAL (a crash may lose the newest
  // ones, which only makes an as-of read replay further) and their large values go to
  // RocksDB blob files.
  // The newest snapshot at or before `max_position` whose max_occurred_at is before
  // `occurred_before`, looking at most `max_candidates` snapshots back. It searches the
  // small index entries and reads one snapshot value.
  absl::StatusOr<std::optional<StoredSnapshot>> FindSnapshot(std::string_view name,
                                                             uint64_t max_position,
                                                             absl::Time occurred_before,
                                                             int max_candidates = 1 << 16) const;
  absl::StatusOr<size_t> CountSnapshots(std::string_view name) const;

  // Erases the personal data of `subject_id` (FORMAT.md "Personal data"): appends a
  // SubjectErased event with `reason`, stamped with `actor`, then destroys the subject's
  // key. From then on its contacts and the texts sealed under it read kErasedMarker.
  // INVALID_ARGUMENT naming the field for a malformed subject id or a missing reason;
  // NOT_FOUND when the subject has no key (nothing stored for it, or already erased);
  // FAILED_PRECONDITION naming the primary on a read replica.
  absl::StatusOr<v1::EraseSubjectResponse> EraseSubject(std::string_view subject_id,
                                                        std::string_view reason,
                                                        std::string_view actor);

  // Opens the sealed personal data of an event parsed from stored bytes (reads do this
  // themselves; for callers of ForEachRecord).
  absl::Status OpenPersonalData(v1::Event& event) const;

  // A view's text with each reference to an event's personal text
  // (PersonalTextReference in personal_text.h) replaced by that text as it reads now:
  // opened, or kErasedMarker once its subject is erased. Views call this when a report
  // is read, never when they store. Errors: DATA_LOSS for a damaged record or reference.
  absl::StatusOr<std::string> OpenViewText(std::string_view text) const;
  // The same over every string field of `message`, recursively (a response before it
  // is sent).
  absl::Status OpenViewTexts(google::protobuf::Message* message) const;

  // Stops taking appends (they return UNAVAILABLE), waits for the writer to finish the
  // ones already queued and ends live subscriptions. Idempotent.
  void Shutdown();

  const Limits& limits() const;

  // Subscriptions open (live or catching up).
  size_t open_subscriptions() const;

  // RocksDB statistics tickers by name ("rocksdb.bytes.written"), when
  // options.statistics is on; empty otherwise.
  std::vector<std::pair<std::string, uint64_t>> StatisticsTickers() const;

  // A few RocksDB size properties summed over the column families, by name
  // ("rocksdb.total-sst-files-size", "rocksdb.cur-size-all-mem-tables", ...).
  std::vector<std::pair<std::string, uint64_t>> StorageProperties() const;

  // Opaque outside event_store.cc; ledger/'s own utilities (backup.cc) reach the database
  // through ledger/log_chain.h.
  class Impl;
  Impl* impl() const { return impl_.get(); }

 private:
  explicit EventStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// True when `event` matches every non-empty criterion of `filter`.
bool MatchesFilter(const v1::Event& event, const v1::EventFilter& filter);

// INVALID_ARGUMENT naming the field when a filter is malformed (unknown type name).
absl::Status ValidateFilter(const v1::EventFilter& filter);

}  // namespace sixhearts::ledger

#endif  // SIXHEARTS_LEDGER_EVENT_STORE_H_
