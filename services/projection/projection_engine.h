// The projection engine: one fold over the event stream serving three uses with the same
// code (STYLE.md rule 8):
//   live    - a follower applies new events and keeps the fold's state and checkpoint in
//             RocksDB, written together, so a crash never applies an event twice or
//             skips one;
//   rebuild - a fresh fold replays the log from position zero and replaces the live one;
//   as-of   - a fold holding what the ledger held for a business day and/or a record time.
// It keeps a projection in one of two ways:
//   stored views (StartStored, view_store.h) - the state is rows in the view store, each
//             a bitemporal version; the follower writes the rows a batch changed with the
//             checkpoint in one WriteBatch, nothing of the state stays in memory but a
//             bounded cache, and a cut is read from the rows in force at it (FORMAT.md);
//   whole folds (Start) - the fold lives in memory, saved and snapshotted as one blob,
//             and a past cut replays from a snapshot. Kept for the projections not yet
//             stored as views (relationships, compliance).
// Thread-safety: every method may be called from any thread.
#ifndef SIXHEARTS_SERVICES_PROJECTION_PROJECTION_ENGINE_H_
#define SIXHEARTS_SERVICES_PROJECTION_PROJECTION_ENGINE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "ledger/event_store.h"

namespace sixhearts::services::projection {

class RowProjection;
class ViewCut;
class ViewStore;

// A pure fold over events. Implementations never read the clock or any other input.
class Fold {
 public:
  virtual ~Fold() = default;
  virtual void Apply(const ledger::v1::Event& event) = 0;
  virtual std::string Serialize() const = 0;
  // Replaces the state with a serialized one. DATA_LOSS / FAILED_PRECONDITION when the
  // bytes are damaged or from an incompatible version (the engine then rebuilds).
  virtual absl::Status Restore(std::string_view bytes) = 0;
  // The event types (ledger/event_types.h names) Apply reads; empty means every type.
  // Replays and rebuilds skip events of other types before parsing them, and the live
  // follower still hands every event to Apply, so Apply must leave the state untouched
  // for an event of a type not listed.
  virtual std::vector<std::string> EventTypes() const { return {}; }
};

using FoldFactory = std::function<std::unique_ptr<Fold>()>;

struct EngineOptions {
  // The live state and its checkpoint are saved after this many new events or this much
  // time with unsaved events, whichever comes first. A save serializes the whole fold
  // (BENCHMARKS.md: ~2.8 s for the receivables state of 10M events), so the cadence
  // bounds that cost; a crash only means replaying from the last save.
  // Defaults: 100,000 events, 10 s.
  uint64_t checkpoint_every_events = 100'000;
  absl::Duration checkpoint_every = absl::Seconds(10);
  // A snapshot is kept every this many events (live and during rebuilds), so an as-of
  // query replays at most this many events past one. Default: 1,000,000.
  uint64_t snapshot_every_events = 1'000'000;
  // A rebuild, or a catch-up replay at start (below), writes its snapshots at positions
  // that grow by this factor (with the default 2 and 1,000,000 events: at 1M, 2M, 4M,
  // 8M, ...), never closer than snapshot_every_events. Each snapshot serializes the whole
  // state, which grows with the log, so with a fixed spacing a replay's cost is quadratic
  // in the log's length; with a growing one it stays linear (at most about twice the final
  // state is written). The live follower keeps the fixed spacing. 1: fixed spacing.
  uint64_t replay_snapshot_growth = 2;
  // A projection further than this many events behind the head when its follower starts
  // (a new projection, one stopped while the log grew, or a follower that fell behind)
  // first catches up with one type-filtered replay of the gap, as a rebuild does, then
  // follows live. Following hands over every event and checkpoints the whole state every
  // checkpoint_every_events, which from far behind costs far more. Default: 100,000.
  uint64_t catch_up_replay_events = 100'000;
  // Stored views only (StartStored): the bytes of decoded row versions the follower keeps
  // in memory, so a batch need not read back the rows it just wrote. The only state the
  // live path holds. The five options above are of whole folds and do not apply to
  // stored views, which commit every batch (kViewCommitEveryEvents during a replay).
  // Default: 64 MiB.
  size_t view_cache_bytes = 64 << 20;
};

// Which events a view includes. Both fields together are the bitemporal query.
struct AsOf {
  // "As the books stood on this day": events whose occurred_at is before the end of the
  // day (UTC). nullopt: no business-time bound.
  std::optional<absl::CivilDay> business_day = std::nullopt;
  // "As the ledger knew it at this time": events recorded at or before it.
  // nullopt: everything stored now.
  std::optional<absl::Time> known_at = std::nullopt;
};

struct ProjectionStatus {
  std::string name;
  uint64_t position = 0;        // last position the live fold includes
  uint64_t head_position = 0;   // the log's head
  uint64_t lag_events = 0;      // head_position - position
  uint64_t saved_position = 0;  // position of the last saved checkpoint
  size_t snapshots = 0;
};

// Called during long replays: positions done and the position to reach.
using ProgressFn = std::function<void(uint64_t done_position, uint64_t target_position)>;

class ProjectionEngine {
 public:
  // Loads the saved state (or rebuilds when there is none or it does not restore) and
  // starts following the log. `store` must outlive the engine.
  static absl::StatusOr<std::unique_ptr<ProjectionEngine>> Start(ledger::EventStore* store,
                                                                 std::string name,
                                                                 FoldFactory factory,
                                                                 EngineOptions options = {});
  // Starts a projection kept as stored views in `views` (view_store.h): follows the log
  // from the view's checkpoint, or, when `views` holds no view of it (a new view store,
  // one wiped for its format, or a data directory whose projection was saved as one blob
  // by an older ledgerd), first builds it from position zero with progress in the log,
  // then drops the old blob state and its snapshots so they are never read. Reads
  // assemble the cut's fold (rows->NewFold()) from the rows in force. `store` and `views`
  // must outlive the engine.
  static absl::StatusOr<std::unique_ptr<ProjectionEngine>> StartStored(
      ledger::EventStore* store, ViewStore* views, std::shared_ptr<const RowProjection> rows,
      EngineOptions options = {});
  ~ProjectionEngine();

  // Calls `read` with a fold holding exactly the events `as_of` selects, and the last
  // position it considered. Uses the live fold when it qualifies, else a snapshot plus
  // replay; a stored view reads the rows in force at the cut, plus a replay of the events
  // past its checkpoint when the follower has not reached the cut. `read` must not keep
  // the reference.
  absl::Status Read(const AsOf& as_of,
                    absl::FunctionRef<absl::Status(const Fold& fold, uint64_t position)> read,
                    const ProgressFn& progress = nullptr);

  // Stored views only: calls `read` with the view's cut holding exactly the events `as_of`
  // selects (a ViewCut, read part by part, with the business day given per call) and its
  // position, so a report reads only the rows it needs, not the whole fold. Returns false,
  // without calling `read`, for a whole fold or when the stored view has not reached the
  // cut's position (the caller then uses Read, which replays the gap). `read` must not
  // keep the reference.
  absl::StatusOr<bool> ReadViewCut(
      const AsOf& as_of,
      absl::FunctionRef<absl::Status(const ViewCut& cut, uint64_t position)> read);

  // ReadViewCut() of several engines at one position, for reports that read parts of
  // several stored views: `read` gets their cuts in the order of `engines`, each at the
  // same position (no lock is taken: every cut is a RocksDB snapshot). Returns false,
  // without calling `read`, when one of them is a whole fold or has not reached the cut
  // (the caller then uses ReadTogether). REQUIRES: every engine reads the same store;
  // `read` keeps no reference.
  static absl::StatusOr<bool> ReadViewCutsTogether(
      const std::vector<ProjectionEngine*>& engines, const AsOf& as_of,
      absl::FunctionRef<absl::Status(const std::vector<const ViewCut*>& cuts, uint64_t position)>
          read);

  // Read() of several engines over the same store at one cut, for reports that need their
  // folds together: folds whose live state qualifies are read live (each held under its
  // engine's read lock during `read`), the others start from their newest usable
  // snapshots and replay in ONE scan of the log, so the log is read and parsed once, not
  // once per engine. `read` gets the folds in the order of `engines` and the last position
  // considered (without known_at, a live fold may also hold events appended after it was
  // taken, as with Read()). REQUIRES: every engine reads the same store and is listed
  // once; `read` keeps no reference.
  //
  // Lock order: every read that holds more than one engine's lock goes through here, and
  // takes the locks in ascending order of the engines' names ("compliance" <
  // "receivables" < "relationships"; engines of one name by address), whatever the order
  // of `engines`. No other path holds two engines' locks, so reads never wait for each
  // other in a cycle (Abseil's deadlock detector would abort the process on one). A stored
  // view takes no lock: its fold is assembled for the read from a RocksDB snapshot of its
  // rows at the cut's position, and replays with the others from there.
  static absl::Status ReadTogether(
      const std::vector<ProjectionEngine*>& engines, const AsOf& as_of,
      absl::FunctionRef<absl::Status(const std::vector<const Fold*>& folds, uint64_t position)>
          read,
      const ProgressFn& progress = nullptr);

  // Replays the log from position zero into a fresh fold, drops old snapshots, keeps new
  // ones, and replaces the live fold. Returns the position reached.
  absl::StatusOr<uint64_t> Rebuild(const ProgressFn& progress = nullptr);

  // Waits until the live fold includes `position`; false on timeout.
  bool WaitFor(uint64_t position, absl::Duration timeout);

  ProjectionStatus status() const;

  // The store it folds; reads open the personal text its views refer to through it
  // (EventStore::OpenViewTexts).
  const ledger::EventStore& store() const;

  // Stops the follower after saving a checkpoint. Idempotent.
  void Stop();

  class Impl;

 private:
  explicit ProjectionEngine(std::unique_ptr<Impl> impl);
  // The indices of `engines` in lock order (ReadTogether).
  static std::vector<size_t> LockOrder(const std::vector<ProjectionEngine*>& engines);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sixhearts::services::projection

#endif  // SIXHEARTS_SERVICES_PROJECTION_PROJECTION_ENGINE_H_
