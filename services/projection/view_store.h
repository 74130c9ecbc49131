// The projection kit's storage: bitemporal views kept as rows in a RocksDB instance of
// their own (derived data, rebuilt from the log when missing or of another format). A
// projection declares its rows and its fold (RowProjection); ViewWriter applies events to
// the rows in force at every business day they change, writing only the changed rows and
// the projection's checkpoint in one WriteBatch; ReadCut assembles a fold holding exactly
// the events of a cut (business day, known-at position) from the rows in force at it, and
// a ViewCut reads parts of a cut (one entity, one prefix, the items the index of open
// intervals lists as maybe open on a day) without assembling the rest.
// The key layout, the version rule and why it is exact: services/projection/FORMAT.md.
#ifndef SIXHEARTS_SERVICES_PROJECTION_VIEW_STORE_H_
#define SIXHEARTS_SERVICES_PROJECTION_VIEW_STORE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/node_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "services/projection/projection_engine.h"
#include "sixhearts/ledger/v1/events.pb.h"

namespace rocksdb {
class DB;
class Cache;
class ColumnFamilyHandle;
class Snapshot;
class WriteBatch;
}  // namespace rocksdb

namespace sixhearts::services::projection {

// The view format this code writes and reads (FORMAT.md "Format"). A view store of another
// format is wiped at open and its projections rebuilt from the log.
inline constexpr char kViewFormat[] = "sixhearts-views 3";
// The column family of the heads' open sets (FORMAT.md "Keys"), and its memtable size.
inline constexpr char kOpenSetFamily[] = "open_set";
inline constexpr size_t kViewOpenSetWriteBufferBytes = size_t{4} << 20;
// A rebuild or a catch-up commits its rows and checkpoint every this many events.
inline constexpr uint64_t kViewCommitEveryEvents = 4096;
// A cut read steps over at most this many versions of an entity dated after the cut's
// business day, then skips the rest of the entity's versions with one seek (a step costs
// far less than a seek, so short histories are stepped over).
inline constexpr int kViewSeekPastVersions = 4;
// Bits of a rebuild writer's filter of the entities it released from memory (1 MiB; two
// probes each, so about 15% false positives, each a RocksDB read, at 2M entities).
inline constexpr size_t kViewReleasedFilterBits = size_t{1} << 23;

// Appends `part` to `key` so that keys built of parts sort as their parts do and no part
// is a prefix of another: each 0x00 byte becomes 0x00 0xFF, and 0x00 0x01 ends the part.
// Entity keys (RowProjection) are built of such parts, so they are prefix-free.
void AppendKeyPart(std::string* key, std::string_view part);
// Reads one part written by AppendKeyPart from the front of `*key` (advancing it);
// nullopt when `*key` does not start with a whole part.
std::optional<std::string> ConsumeKeyPart(std::string_view* key);

// One stored version of an entity's state: from business day `day`, written by the event
// at `position`. An empty `state` means "absent" (FORMAT.md "Rows").
struct RowVersion {
  absl::CivilDay day;
  uint64_t position = 0;
  std::string state;
};

// What a projection's rows look like to the kit while it applies one event.
class EntityLookup {
 public:
  virtual ~EntityLookup() = default;
  // Every stored version of `entity`, ordered by (day, position).
  virtual absl::StatusOr<std::vector<RowVersion>> VersionsOf(std::string_view entity) = 0;
  // The entity keys that start with `prefix` and have a stored version.
  virtual absl::StatusOr<std::vector<std::string>> EntitiesUnder(std::string_view prefix) = 0;
};

// An entity's state before (in force at the cut) and after an event; nullopt: absent.
struct RowState {
  std::string entity;
  std::optional<std::string> state;
};

// A projection stored as rows: its entities, their encoding, and its fold. The fold is the
// projection's own per-event code (e.g. ReceivablesState::Apply) run on a partial state.
// Implementations are stateless and thread-safe.
class RowProjection {
 public:
  virtual ~RowProjection() = default;
  // The projection's name (keys, checkpoint, logs); 1..64 of [a-z0-9_].
  virtual std::string_view name() const = 0;
  // An empty fold in memory: the base of ReadCut, the replay of a gap, and the oracle.
  virtual std::unique_ptr<Fold> NewFold() const = 0;
  // Adds `entities` (prefix-free keys, AppendKeyPart) that `event` may read or change, at
  // any cut: the fold of `event` must depend on, and change, nothing else. `lookup` gives
  // stored versions, for references such as a payment's applications. An event that
  // touches no stored entity adds none.
  virtual absl::Status EntitiesOf(const ledger::v1::Event& event, EntityLookup& lookup,
                                  std::vector<std::string>* entities) const = 0;
  // Folds `event` into `rows`: on entry each holds its entity's state in force just before
  // the event, on return its state after. INTERNAL when the fold changed an entity not in
  // `rows` (EntitiesOf is then wrong).
  virtual absl::Status ApplyToRows(const ledger::v1::Event& event,
                                   std::vector<RowState>& rows) const = 0;
  // Adds the state of `entity` in force at a cut to `fold` (made by NewFold()). ReadCut
  // calls it once per present entity, in ascending key order. DATA_LOSS on bad bytes.
  virtual absl::Status AddRow(Fold& fold, std::string_view entity,
                              std::string_view state) const = 0;
  // The index of open intervals (FORMAT.md "The open index"): whether `entity` with
  // `state` (present) may be open on some day >= `from`. It must be true whenever the
  // projection's reports would list the entity as open on such a day with this state
  // (false positives only cost time). Entities it is never true for are not indexed; the
  // default indexes nothing, and such a projection writes no index at all.
  virtual bool MayBeOpenFrom(std::string_view entity, std::string_view state,
                             absl::CivilDay from) const {
    (void)entity;
    (void)state;
    (void)from;
    return false;
  }
  // True when MayBeOpenFrom can be true for some entity: the writer keeps the index.
  virtual bool HasOpenIndex() const { return false; }
};

// Where a projection stands in the view store: the generation its rows are under
// (a rebuild writes a new one and switches to it), the last position applied, and the
// log's chain hash at that position (32 bytes; empty at position 0), so a view is never
// followed on a log other than the one it was built from (a data directory restored or
// replaced under it).
struct ViewCheckpoint {
  uint32_t generation = 0;
  uint64_t position = 0;
  std::string chain_hash;
};

class ViewCut;

struct ViewStoreOptions {
  // Directory of the view store's RocksDB; created when missing. Required. ledgerd's:
  // the data directory + ".views" (README "Data directory").
  std::string dir;
  // Its RocksDB block cache, in bytes. Default: 64 MiB.
  size_t block_cache_bytes = 64 << 20;
};

// Thread-safe. Readers see a consistent snapshot (rows with their checkpoint); one writer
// per projection (ViewWriter) at a time.
class ViewStore {
 public:
  // Opens (creating) the store. A store of another format (kViewFormat) is wiped first,
  // with a line to `log` (may be null); its projections then have no checkpoint.
  static absl::StatusOr<std::unique_ptr<ViewStore>> Open(
      const ViewStoreOptions& options, const std::function<void(std::string_view)>& log);
  ~ViewStore();

  // nullopt when the projection has never been built here.
  absl::StatusOr<std::optional<ViewCheckpoint>> LoadCheckpoint(std::string_view projection) const;

  // Drops every generation of `projection` but `keep` (left by an interrupted rebuild).
  absl::Status DropOtherGenerations(std::string_view projection, uint32_t keep);
  // Drops the rows of one generation (before a rebuild writes it, so rows left by an
  // interrupted one are never mixed in).
  absl::Status DropGeneration(std::string_view projection, uint32_t generation);

  // Builds into `fold` (made by projection.NewFold()) the state of the cut: every entity
  // as in force on `business_day` (nullopt: no bound) among versions written at positions
  // <= min(max_position, checkpoint). Returns that position (0 when never built), so the
  // caller replays (position, max_position] of the log on top.
  absl::StatusOr<uint64_t> ReadCut(const RowProjection& projection,
                                   std::optional<absl::CivilDay> business_day,
                                   uint64_t max_position, Fold& fold) const;

  // A cut of `projection` at min(max_position, checkpoint), read part by part from one
  // RocksDB snapshot (ViewCut). Its position is 0 when the projection was never built.
  absl::StatusOr<std::unique_ptr<ViewCut>> OpenCut(const RowProjection& projection,
                                                   uint64_t max_position) const;

  // Compacts the head's open set of one generation (flushing what it overlaps), so a read
  // at the head steps over none of the writes a rebuild superseded: a write per batch per
  // open item and a tombstone per item closed after the batch that opened it.
  absl::Status CompactOpenSet(std::string_view projection, uint32_t generation);

  // Stored row versions of one projection's current generation (status and tests).
  absl::StatusOr<uint64_t> CountRows(std::string_view projection) const;
  // Entries of its index of open intervals (month buckets) and of its head's open set
  // (tests and status).
  absl::StatusOr<uint64_t> CountIndexEntries(std::string_view projection) const;

 private:
  friend class ViewWriter;
  friend class ViewCut;
  ViewStore() = default;
  absl::StatusOr<uint64_t> CountKeys(const std::string& prefix,
                                     rocksdb::ColumnFamilyHandle* family = nullptr) const;
  rocksdb::DB* db_ = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;  // every family opened
  rocksdb::ColumnFamilyHandle* open_set_ = nullptr;    // kOpenSetFamily
  std::shared_ptr<rocksdb::Cache> block_cache_;
};

// One cut (business day chosen per call, known-at position fixed) of a projection's rows,
// read from a RocksDB snapshot taken at OpenCut, so every part read belongs to the same
// checkpoint. Reads cost what they return plus the versions of the entities they touch.
// Thread-compatible; the store must outlive it.
class ViewCut {
 public:
  ~ViewCut();
  // The position the cut holds: min(max_position, the checkpoint); 0 when never built.
  uint64_t position() const { return position_; }

  // The state of `entity` in force on `day` (nullopt: no bound); nullopt when absent.
  absl::StatusOr<std::optional<std::string>> Read(std::string_view entity,
                                                  std::optional<absl::CivilDay> day) const;
  // Calls `row` for every entity whose key starts with `prefix` ("" for all), in
  // ascending key order, with its state in force on `day` (absent ones are skipped).
  absl::Status ReadUnder(std::string_view prefix, std::optional<absl::CivilDay> day,
                         const std::function<absl::Status(std::string_view entity,
                                                          std::string_view state)>& row) const;
  // Calls `entity` once for each entity, in ascending key order, that the index of open
  // intervals lists as maybe open on `day` at position() and is present there, with its
  // state in force on `day`: a superset of the entities open on `day` at this cut
  // (FORMAT.md "The open index"). Lists nothing for a projection without an index.
  absl::Status ForEachMaybeOpen(
      absl::CivilDay day,
      const std::function<absl::Status(std::string_view entity, std::string_view state)>& entity)
      const;
  // How the last ForEachMaybeOpen chose its candidates (tests): "head" (the head's open
  // set), "month" (a month bucket) or "none".
  std::string_view last_source() const { return last_source_; }

 private:
  friend class ViewStore;
  ViewCut() = default;
  rocksdb::DB* db_ = nullptr;
  rocksdb::ColumnFamilyHandle* open_set_ = nullptr;
  const rocksdb::Snapshot* snapshot_ = nullptr;
  std::string generation_prefix_;
  uint64_t position_ = 0;
  uint64_t checkpoint_position_ = 0;
  bool built_ = false;
  mutable std::string last_source_ = "none";
};

// Applies events to one projection's rows (FORMAT.md "Applying an event"): for an event of
// business day d at position p, the rows of the entities it touches, in force on d and on
// every later day one of them has a version from, are folded and the changed states
// written as versions (day, p). Versions it reads come from this writer's pending batch,
// then a cache of decoded versions bounded by `cache_bytes`, then RocksDB.
// Thread-compatible: one thread at a time (the engine's follower or rebuild).
class ViewWriter {
 public:
  ViewWriter(ViewStore* store, const RowProjection* projection, uint32_t generation,
             size_t cache_bytes);
  ~ViewWriter();

  // Applies `event` to the pending batch. Events come in position order.
  absl::Status Apply(const ledger::v1::Event& event);
  // Writes the pending batch and the checkpoint (generation, `position`, `chain_hash`,
  // the log's chain hash at `position`) in one WriteBatch. REQUIRES: `position` >= the
  // last applied event's.
  absl::Status Commit(uint64_t position, std::string_view chain_hash);
  // Writes the pending batch's rows only (a rebuild's batches before it switches
  // generations).
  absl::Status CommitRows();
  // Commit() plus, in the same WriteBatch, the removal of every other generation.
  absl::Status CommitAndSwitch(uint64_t position, std::string_view chain_hash);
  // Drops the pending batch (after an error: its events are applied again later).
  void Abandon();
  // Events applied since the last commit.
  uint64_t pending_events() const { return pending_events_; }
  // Declares the generation empty (DropGeneration just ran: a rebuild's): an entity this
  // writer has not held in memory then has no stored version, and is not read from
  // RocksDB (a filter of the entities it let go, kViewReleasedFilterBits, says which
  // may have). REQUIRES: no event applied yet.
  void AssumeEmptyGeneration();

 private:
  class Lookup;
  rocksdb::DB* db() const { return store_->db_; }
  // The stored versions of `entity` (pending, cached or read), pinned in the pending batch
  // (a reference into pending_, stable until the batch is written or abandoned).
  absl::StatusOr<std::vector<RowVersion>*> Pin(const std::string& entity);
  // Those versions read from RocksDB (none when the generation is known not to hold them).
  absl::StatusOr<std::vector<RowVersion>> ReadVersions(const std::string& entity);
  // The filter of released entities (AssumeEmptyGeneration).
  void Release(std::string_view entity);
  bool MayHaveReleased(std::string_view entity) const;
  std::string RowKey(std::string_view entity, absl::CivilDay day, uint64_t position) const;
  void CacheInsert(const std::string& entity, std::vector<RowVersion> versions);
  absl::Status CommitBatch(const ViewCheckpoint* checkpoint, bool drop_others);
  // The open index (FORMAT.md "The open index"): loads the business clock (the greatest
  // business day applied) once, advances it for an event at `position` of `day` (writing
  // the new months' entries of the head's open set), and indexes an entity's new versions.
  absl::Status LoadClock();
  absl::Status AdvanceClock(absl::CivilDay day, uint64_t position);
  void IndexVersions(const std::string& entity, const std::vector<RowVersion>& added,
                     const std::vector<RowVersion>& all, uint64_t position);

  ViewStore* const store_;
  const RowProjection* const projection_;
  const uint32_t generation_;
  const size_t cache_bytes_;
  const std::string generation_prefix_;  // the projection's generation prefix
  const std::string prefix_;             // that of its row versions
  std::unique_ptr<rocksdb::WriteBatch> batch_;
  // The pending batch's puts of the default family (row versions, index entries, clock),
  // written to batch_ in key order when it is committed.
  std::vector<std::pair<std::string, std::string>> puts_;
  uint64_t pending_events_ = 0;
  // Versions of the entities the pending batch touched: pinned until it is written.
  absl::node_hash_map<std::string, std::vector<RowVersion>> pending_;
  // AssumeEmptyGeneration: set, with the bits of the entities released from memory.
  bool empty_generation_ = false;
  std::vector<uint64_t> released_;
  // The least recently used entity at the front.
  std::list<std::pair<std::string, std::vector<RowVersion>>> lru_;
  // The open index: the business clock (nullopt before the first event; loaded lazily),
  // and the changes of the head's open set in the pending batch (entity -> its head state
  // when open, nullopt when not), written once per entity when the batch is.
  bool clock_loaded_ = false;
  std::optional<absl::CivilDay> clock_;
  absl::flat_hash_map<std::string, std::optional<std::string>> pending_open_;
  // Entities the pending batch pinned with no stored version (so not in the stored open set).
  absl::flat_hash_set<std::string> unstored_;
  absl::flat_hash_map<std::string, decltype(lru_)::iterator> cached_;
  size_t cached_bytes_ = 0;
};

}  // namespace sixhearts::services::projection

#endif  // SIXHEARTS_SERVICES_PROJECTION_VIEW_STORE_H_
