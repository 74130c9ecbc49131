// The follower, the as-of read and the rebuild of one projection, kept as stored views
// (view_store.h, FORMAT.md) or as a whole fold. A whole fold's saved state layout (inside
// the ledger's `projections` value, after the position): max_occurred_at in Unix
// microseconds (8 bytes, big-endian, two's complement) then the fold's bytes.
#include "services/projection/projection_engine.h"

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "ledger/dates.h"
#include "ledger/subscription.h"
#include "services/projection/view_store.h"
#include "spdlog/spdlog.h"

namespace sixhearts::services::projection {
namespace {

namespace v1 = ::sixhearts::ledger::v1;

absl::Time OccurredAt(const v1::Event& event) {
  return absl::FromUnixSeconds(event.occurred_at().seconds()) +
         absl::Nanoseconds(event.occurred_at().nanos());
}

std::string EncodeTime(absl::Time t) {
  const int64_t micros = t == absl::InfinitePast() ? INT64_MIN : absl::ToUnixMicros(t);
  std::string out(8, '\0');
  uint64_t v = static_cast<uint64_t>(micros);
  for (int i = 7; i >= 0; --i, v >>= 8) out[i] = static_cast<char>(v & 0xff);
  return out;
}

absl::Time DecodeTime(std::string_view bytes) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(bytes[i]);
  const auto micros = static_cast<int64_t>(v);
  return micros == INT64_MIN ? absl::InfinitePast() : absl::FromUnixMicros(micros);
}

v1::EventFilter TypeFilter(const Fold& fold) {
  v1::EventFilter filter;
  for (const std::string& type : fold.EventTypes()) filter.add_types(type);
  return filter;
}

// A fold plus what the engine tracks about it.
struct Folded {
  std::unique_ptr<Fold> fold;
  uint64_t position = 0;
  absl::Time max_occurred_at = absl::InfinitePast();

  void Apply(const v1::Event& event) {
    fold->Apply(event);
    position = event.position();
    max_occurred_at = std::max(max_occurred_at, OccurredAt(event));
  }
};

}  // namespace

class ProjectionEngine::Impl {
 public:
  Impl(ledger::EventStore* store, std::string name, FoldFactory factory, EngineOptions options)
      : store_(store), name_(std::move(name)), factory_(std::move(factory)), options_(options) {}
  // A projection kept as stored views.
  Impl(ledger::EventStore* store, ViewStore* views, std::shared_ptr<const RowProjection> rows,
       EngineOptions options)
      : store_(store),
        name_(rows->name()),
        factory_([rows] { return rows->NewFold(); }),
        options_(options),
        views_(views),
        rows_(std::move(rows)) {}

  ~Impl() { Stop(); }

  absl::Status Start() {
    if (rows_ != nullptr) {
      if (absl::Status s = StartStored(); !s.ok()) return s;
      StartFollower();
      return absl::OkStatus();
    }
    absl::Status loaded = Load();
    if (!loaded.ok()) {
      spdlog::warn("projection {}: saved state unusable ({}); rebuilding", name_,
                   loaded.ToString());
      if (auto rebuilt = RebuildLocked(nullptr); !rebuilt.ok()) return rebuilt.status();
    }
    StartFollower();
    return absl::OkStatus();
  }

  void Stop() { StopFollower(); }

  absl::Status Read(const AsOf& as_of, absl::FunctionRef<absl::Status(const Fold&, uint64_t)> read,
                    const ProgressFn& progress) {
    const absl::Time occurred_before =
        as_of.business_day ? ledger::EndOfUtcDay(*as_of.business_day) : absl::InfiniteFuture();
    uint64_t target = store_->head().position;
    if (as_of.known_at) {
      auto known = store_->PositionKnownAt(*as_of.known_at);
      if (!known.ok()) return known.status();
      target = *known;
    } else {
      // Read-your-writes: let the follower catch up with what is stored now.
      WaitFor(target, absl::Seconds(5));
    }
    if (rows_ != nullptr) {
      Folded cut;
      if (absl::Status s = ReadStoredCut(as_of, target, cut); !s.ok()) return s;
      if (absl::Status s = ReplayInto(cut, target, CutFilter(as_of), progress, nullptr); !s.ok()) {
        return s;
      }
      return read(*cut.fold, target);
    }
    {
      absl::ReaderMutexLock lock(&mu_);
      const bool position_fits =
          as_of.known_at ? live_.position == target : live_.position >= target;
      if (position_fits && live_.max_occurred_at < occurred_before) {
        return read(*live_.fold, live_.position);
      }
    }
    // Replay: the newest snapshot that holds only qualifying events, then the rest.
    Folded replay{factory_(), 0, absl::InfinitePast()};
    auto snapshot = store_->FindSnapshot(name_, target, occurred_before);
    if (!snapshot.ok()) return snapshot.status();
    if (snapshot->has_value()) {
      if (absl::Status s = replay.fold->Restore((*snapshot)->state); s.ok()) {
        replay.position = (*snapshot)->position;
        replay.max_occurred_at = (*snapshot)->max_occurred_at;
      } else {
        replay.fold = factory_();  // a damaged snapshot only costs a longer replay
      }
    }
    v1::EventFilter filter = TypeFilter(*replay.fold);
    if (as_of.business_day) {
      const int64_t seconds = absl::ToUnixSeconds(occurred_before);
      filter.mutable_occurred_to()->set_seconds(seconds);
    }
    if (absl::Status s = ReplayInto(replay, target, filter, progress, nullptr); !s.ok()) return s;
    return read(*replay.fold, target);
  }

  absl::StatusOr<bool> ReadViewCut(const AsOf& as_of,
                                   absl::FunctionRef<absl::Status(const ViewCut&, uint64_t)> read) {
    if (rows_ == nullptr) return false;
    absl::StatusOr<uint64_t> target = TargetOf(as_of);
    if (!target.ok()) return target.status();
    auto cut = views_->OpenCut(*rows_, *target);
    if (!cut.ok()) return cut.status();
    if ((*cut)->position() < *target) return false;
    if (absl::Status s = read(**cut, *target); !s.ok()) return s;
    return true;
  }

  // ReadTogether's parts: the target position of a cut, a fold of this engine for it
  // (live when it qualifies, with `lock` then holding the engine's read lock), and the
  // engine's store.
  absl::StatusOr<uint64_t> TargetOf(const AsOf& as_of) {
    uint64_t target = store_->head().position;
    if (as_of.known_at) {
      auto known = store_->PositionKnownAt(*as_of.known_at);
      if (!known.ok()) return known.status();
      return *known;
    }
    WaitFor(target, absl::Seconds(5));
    return target;
  }

  // The live fold when it holds exactly the cut (returned with `lock` holding mu_ shared),
  // else a fold restored from the newest usable snapshot (nullptr lock) whose `position`
  // says where its replay starts.
  absl::StatusOr<const Fold*> LiveOrSnapshot(const AsOf& as_of, uint64_t target,
                                             std::unique_ptr<absl::ReaderMutexLock>& lock,
                                             Folded& replay) {
    if (rows_ != nullptr) {
      lock.reset();
      if (absl::Status s = ReadStoredCut(as_of, target, replay); !s.ok()) return s;
      return replay.fold.get();
    }
    const absl::Time occurred_before =
        as_of.business_day ? ledger::EndOfUtcDay(*as_of.business_day) : absl::InfiniteFuture();
    lock = std::make_unique<absl::ReaderMutexLock>(&mu_);
    const bool position_fits = as_of.known_at ? live_.position == target : live_.position >= target;
    if (position_fits && live_.max_occurred_at < occurred_before) return live_.fold.get();
    lock.reset();
    replay = Folded{factory_(), 0, absl::InfinitePast()};
    auto snapshot = store_->FindSnapshot(name_, target, occurred_before);
    if (!snapshot.ok()) return snapshot.status();
    if (snapshot->has_value()) {
      if (absl::Status s = replay.fold->Restore((*snapshot)->state); s.ok()) {
        replay.position = (*snapshot)->position;
        replay.max_occurred_at = (*snapshot)->max_occurred_at;
      } else {
        replay.fold = factory_();
      }
    }
    return replay.fold.get();
  }

  ledger::EventStore* store() const { return store_; }
  const std::string& name() const { return name_; }

  absl::StatusOr<uint64_t> Rebuild(const ProgressFn& progress) {
    StopFollower();
    auto reached = rows_ != nullptr ? RebuildStored(progress) : RebuildLocked(progress);
    StartFollower();
    return reached;
  }

  bool WaitFor(uint64_t position, absl::Duration timeout) {
    absl::ReaderMutexLock lock(&mu_);
    auto reached = [this, position]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      return live_.position >= position || stopping_;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&reached), timeout) && live_.position >= position;
  }

  ProjectionStatus status() const {
    ProjectionStatus s;
    s.name = name_;
    {
      absl::ReaderMutexLock lock(&mu_);
      s.position = live_.position;
      s.saved_position = saved_position_;
    }
    s.head_position = store_->head().position;
    s.lag_events = s.head_position > s.position ? s.head_position - s.position : 0;
    auto count = store_->CountSnapshots(name_);
    s.snapshots = count.ok() ? *count : 0;
    return s;
  }

 private:
  absl::Status Load() {
    auto stored = store_->LoadProjection(name_);
    if (!stored.ok()) return stored.status();
    absl::MutexLock lock(&mu_);
    live_ = Folded{factory_(), 0, absl::InfinitePast()};
    if (!stored->has_value()) return absl::OkStatus();  // a new projection starts at zero
    const std::string& bytes = (*stored)->state;
    if (bytes.size() < 8) return absl::DataLossError("saved projection state is too short");
    if (absl::Status s = live_.fold->Restore(std::string_view(bytes).substr(8)); !s.ok()) {
      live_.fold = factory_();
      return s;
    }
    live_.position = (*stored)->position;
    live_.max_occurred_at = DecodeTime(bytes);
    saved_position_ = live_.position;
    if (live_.position > store_->head().position) {
      return absl::FailedPreconditionError(absl::StrCat("saved projection is at position ",
                                                        live_.position, ", past the log's head ",
                                                        store_->head().position));
    }
    return absl::OkStatus();
  }

  // Applies events (position, target] matching `filter` in one pass over the log.
  // `on_event` (optional) runs after each event, for snapshots during rebuilds. An empty
  // range scans nothing: the store reads a `to` of 0 as "the head", and a cut before
  // the first event (target 0) must stay the empty view.
  absl::Status ReplayInto(Folded& folded, uint64_t target, const v1::EventFilter& filter,
                          const ProgressFn& progress,
                          const std::function<absl::Status(const Folded&)>& on_event) {
    if (target <= folded.position) {
      if (progress) progress(target, target);
      return absl::OkStatus();
    }
    absl::Time last_progress = absl::Now();
    uint64_t since_clock_check = 0;
    absl::Status scanned = store_->ForEachEventPipelined(
        folded.position + 1, target, filter, [&](const v1::Event& event) -> absl::Status {
          folded.Apply(event);
          if (on_event) {
            if (absl::Status s = on_event(folded); !s.ok()) return s;
          }
          // Reading the clock per event would cost more than many folds.
          if (progress && ++since_clock_check >= 4096) {
            since_clock_check = 0;
            if (absl::Now() - last_progress > absl::Milliseconds(200)) {
              progress(event.position(), target);
              last_progress = absl::Now();
            }
          }
          return absl::OkStatus();
        });
    if (!scanned.ok()) return scanned;
    // Filtered-out events still count as considered.
    folded.position = std::max(folded.position, target);
    if (progress) progress(target, target);
    return absl::OkStatus();
  }

  absl::StatusOr<uint64_t> RebuildLocked(const ProgressFn& progress) {
    if (absl::Status s = store_->DeleteProjection(name_); !s.ok()) return s;
    Folded fresh{factory_(), 0, absl::InfinitePast()};
    const uint64_t target = store_->head().position;
    // Snapshots are spaced by log positions, not by events applied: a type-filtered
    // replay applies only some of them, and an as-of read replays positions. The spacing
    // grows by replay_snapshot_growth (EngineOptions).
    uint64_t next_snapshot = NextReplaySnapshot(0);
    absl::Status replayed = ReplayInto(
        fresh, target, TypeFilter(*fresh.fold), progress, [&](const Folded& f) -> absl::Status {
          if (f.position < next_snapshot) return absl::OkStatus();
          next_snapshot = NextReplaySnapshot(f.position);
          return store_->SaveSnapshot(name_, {f.position, f.max_occurred_at, f.fold->Serialize()});
        });
    if (!replayed.ok()) return replayed;
    if (absl::Status s = Save(fresh); !s.ok()) return s;
    absl::MutexLock lock(&mu_);
    live_ = std::move(fresh);
    saved_position_ = live_.position;
    return live_.position;
  }

  // Where a replay that wrote a snapshot at `position` (0: none yet) writes its next one:
  // snapshot_every_events later, or at `position` times replay_snapshot_growth if that is
  // further (EngineOptions).
  uint64_t NextReplaySnapshot(uint64_t position) const {
    const uint64_t every = std::max<uint64_t>(options_.snapshot_every_events, 1);
    const uint64_t growth = std::max<uint64_t>(options_.replay_snapshot_growth, 1);
    const uint64_t spaced = position > UINT64_MAX - every ? UINT64_MAX : position + every;
    const uint64_t grown = position > UINT64_MAX / growth ? UINT64_MAX : position * growth;
    return std::max(spaced, grown);
  }

  // Far behind the head: replays the gap with one pipelined, type-filtered scan into the
  // live fold (a lock per event, so reads go on), with snapshots spaced as in a rebuild,
  // then saves it. Returns once caught up, on an error (the subscription then goes on
  // from where the replay stopped) or when stopping.
  void CatchUpIfFarBehind() {
    if (rows_ != nullptr) return CatchUpStored();
    uint64_t from;
    v1::EventFilter filter;
    {
      absl::ReaderMutexLock lock(&mu_);
      from = live_.position;
      filter = TypeFilter(*live_.fold);
    }
    const uint64_t head = store_->head().position;
    if (head <= from || head - from <= options_.catch_up_replay_events) return;
    spdlog::info("projection {}: {} events behind the head; catching up by replay", name_,
                 head - from);
    const absl::Time start = absl::Now();
    uint64_t next_snapshot = NextReplaySnapshot(from);
    absl::Status replayed = store_->ForEachEventPipelined(
        from + 1, head, filter, [&](const v1::Event& event) -> absl::Status {
          {
            absl::MutexLock lock(&mu_);
            if (stopping_) return absl::CancelledError("projection stopping");
            live_.Apply(event);
          }
          if (event.position() >= next_snapshot) {
            next_snapshot = NextReplaySnapshot(event.position());
            absl::ReaderMutexLock lock(&mu_);
            absl::Status s = store_->SaveSnapshot(
                name_, {live_.position, live_.max_occurred_at, live_.fold->Serialize()});
            if (!s.ok()) spdlog::warn("projection {}: snapshot failed: {}", name_, s.ToString());
          }
          return absl::OkStatus();
        });
    if (!replayed.ok()) {
      if (!absl::IsCancelled(replayed)) {
        spdlog::warn("projection {}: catch-up replay stopped: {}", name_, replayed.ToString());
      }
      return;
    }
    {
      absl::MutexLock lock(&mu_);
      // Events of types the fold does not read were skipped, not applied.
      live_.position = std::max(live_.position, head);
    }
    SaveLive();
    spdlog::info("projection {}: caught up with {} events in {:.1f} s", name_, head - from,
                 absl::ToDoubleSeconds(absl::Now() - start));
  }

  // ---------------------------------------------------------------- stored views

  // The type filter of replays, bounded by the cut's business day.
  v1::EventFilter CutFilter(const AsOf& as_of) const {
    v1::EventFilter filter = TypeFilter(*factory_());
    if (as_of.business_day) {
      filter.mutable_occurred_to()->set_seconds(
          absl::ToUnixSeconds(ledger::EndOfUtcDay(*as_of.business_day)));
    }
    return filter;
  }

  // `cut` becomes a fold of the rows in force at (as_of.business_day, position <= target),
  // at the position the view holds (<= target); the caller replays the rest.
  absl::Status ReadStoredCut(const AsOf& as_of, uint64_t target, Folded& cut) {
    cut = Folded{factory_(), 0, absl::InfinitePast()};
    auto position = views_->ReadCut(*rows_, as_of.business_day, target, *cut.fold);
    if (!position.ok()) return position.status();
    cut.position = *position;
    return absl::OkStatus();
  }

  absl::Status StartStored() {
    auto checkpoint = views_->LoadCheckpoint(name_);
    if (!checkpoint.ok()) return checkpoint.status();
    auto blob = store_->LoadProjection(name_);
    const bool has_blob = blob.ok() && blob->has_value();
    const uint64_t head = store_->head().position;
    if (checkpoint->has_value()) {
      // A rebuild below writes the next generation, whichever checkpoint is followed.
      absl::MutexLock lock(&mu_);
      generation_ = (*checkpoint)->generation;
    }
    if (checkpoint->has_value() && (*checkpoint)->position > head) {
      spdlog::warn(
          "projection {}: its stored view is at position {}, past the log's head {}; "
          "rebuilding it",
          name_, (*checkpoint)->position, head);
      *checkpoint = std::nullopt;
    }
    if (checkpoint->has_value() && (*checkpoint)->position > 0) {
      // A view built from another log (a data directory restored or replaced under it)
      // is never followed: its chain hash at the checkpoint differs.
      auto hash = ChainHashAt((*checkpoint)->position);
      if (!hash.ok()) return hash.status();
      if (*hash != (*checkpoint)->chain_hash) {
        spdlog::warn(
            "projection {}: its stored view was built from another log (the chain hash at "
            "its position {} differs); rebuilding it",
            name_, (*checkpoint)->position);
        *checkpoint = std::nullopt;
      }
    }
    if (checkpoint->has_value()) {
      if (absl::Status s = views_->DropOtherGenerations(name_, (*checkpoint)->generation);
          !s.ok()) {
        return s;
      }
      absl::MutexLock lock(&mu_);
      generation_ = (*checkpoint)->generation;
      live_.position = (*checkpoint)->position;
      saved_position_ = live_.position;
    } else {
      if (has_blob) {
        spdlog::info(
            "projection {}: the saved state at position {} is of the whole-fold "
            "format, which is not read; building the stored view from the log's {} "
            "events",
            name_, (*blob)->position, head);
      } else {
        spdlog::info("projection {}: no stored view; building it from the log's {} events", name_,
                     head);
      }
      auto built = RebuildStored(LogProgress());
      if (!built.ok()) return built.status();
      spdlog::info("projection {}: stored view built to position {}", name_, *built);
    }
    if (has_blob) {
      // The whole-fold state and its snapshots are superseded: drop them.
      if (absl::Status s = store_->DeleteProjection(name_); !s.ok()) {
        spdlog::warn("projection {}: cannot drop the old saved state: {}", name_, s.ToString());
      }
    }
    uint32_t generation;
    {
      absl::ReaderMutexLock lock(&mu_);
      generation = generation_;
    }
    if (writer_ == nullptr) {
      writer_ =
          std::make_unique<ViewWriter>(views_, rows_.get(), generation, options_.view_cache_bytes);
    }
    return absl::OkStatus();
  }

  // Progress of a long build, in the log every 5 s.
  ProgressFn LogProgress() const {
    auto last = std::make_shared<absl::Time>(absl::Now());
    return [name = name_, last](uint64_t done, uint64_t target) {
      if (done < target && absl::Now() - *last < absl::Seconds(5)) return;
      *last = absl::Now();
      spdlog::info("projection {}: building its stored view: position {} of {}", name, done,
                   target);
    };
  }

  // Applies the events (from, target] the projection reads to `writer`, committing every
  // kViewCommitEveryEvents (with the checkpoint when `live`, which also publishes the
  // position and stops when the engine stops). A rebuild (`live` false) commits rows only;
  // its caller switches generations.
  absl::Status ReplayRows(ViewWriter& writer, uint64_t from, uint64_t target, bool live,
                          const ProgressFn& progress) {
    if (target <= from) {
      if (progress) progress(target, target);
      return absl::OkStatus();
    }
    absl::Time last_progress = absl::Now();
    absl::Status scanned = store_->ForEachEventPipelined(
        from + 1, target, TypeFilter(*factory_()), [&](const v1::Event& event) -> absl::Status {
          if (absl::Status s = writer.Apply(event); !s.ok()) return s;
          if (writer.pending_events() < kViewCommitEveryEvents) return absl::OkStatus();
          if (live) {
            auto hash = ChainHashOf(event);
            if (!hash.ok()) return hash.status();
            if (absl::Status s = writer.Commit(event.position(), *hash); !s.ok()) return s;
          } else if (absl::Status s = writer.CommitRows(); !s.ok()) {
            return s;
          }
          if (live) {
            absl::MutexLock lock(&mu_);
            if (stopping_) return absl::CancelledError("projection stopping");
            live_.position = saved_position_ = event.position();
          }
          if (progress && absl::Now() - last_progress > absl::Milliseconds(200)) {
            progress(event.position(), target);
            last_progress = absl::Now();
          }
          return absl::OkStatus();
        });
    if (!scanned.ok()) {
      writer.Abandon();
      return scanned;
    }
    if (live) {
      auto hash = ChainHashAt(target);
      absl::Status s = hash.ok() ? writer.Commit(target, *hash) : hash.status();
      if (!s.ok()) {
        writer.Abandon();
        return s;
      }
      absl::MutexLock lock(&mu_);
      live_.position = saved_position_ = target;
    }
    if (progress) progress(target, target);
    return absl::OkStatus();
  }

  // Builds the view from position zero under a new generation, then switches to it in
  // the WriteBatch that drops the old one. Reads see the old generation until then.
  // REQUIRES: the follower is stopped.
  absl::StatusOr<uint64_t> RebuildStored(const ProgressFn& progress) {
    uint32_t generation;
    {
      absl::ReaderMutexLock lock(&mu_);
      generation = generation_ + 1;
    }
    if (absl::Status s = views_->DropGeneration(name_, generation); !s.ok()) return s;
    auto fresh =
        std::make_unique<ViewWriter>(views_, rows_.get(), generation, options_.view_cache_bytes);
    fresh->AssumeEmptyGeneration();  // dropped above
    const uint64_t target = store_->head().position;
    if (absl::Status s = ReplayRows(*fresh, 0, target, /*live=*/false, progress); !s.ok()) {
      return s;
    }
    auto hash = ChainHashAt(target);
    if (!hash.ok()) return hash.status();
    if (absl::Status s = fresh->CommitAndSwitch(target, *hash); !s.ok()) return s;
    // The rebuild wrote the head's open set once per batch per open item, and a tombstone
    // for every item closed after the batch that opened it: compacted away, so live reads
    // do not step over them.
    if (absl::Status s = views_->CompactOpenSet(name_, generation); !s.ok()) return s;
    writer_ = std::move(fresh);
    absl::MutexLock lock(&mu_);
    generation_ = generation;
    live_.position = saved_position_ = target;
    return target;
  }

  // The log's chain hash at `position` (empty at 0), which a view checkpoint carries.
  absl::StatusOr<std::string> ChainHashAt(uint64_t position) const {
    if (position == 0) return std::string();
    std::string hash;
    absl::Status read = store_->ForEachRecord(
        position, position, [&](uint64_t, std::string_view chain_hash, std::string_view) {
          hash.assign(chain_hash);
          return absl::OkStatus();
        });
    if (!read.ok()) return read;
    if (hash.empty()) {
      return absl::InternalError(absl::StrCat("projection ", name_, ": no record at position ",
                                              position, " for its checkpoint"));
    }
    return hash;
  }
  // The same for an event read from the log (its hash set on read).
  absl::StatusOr<std::string> ChainHashOf(const v1::Event& event) const {
    if (!event.hash().empty()) return event.hash();
    return ChainHashAt(event.position());
  }

  void CatchUpStored() {
    uint64_t from;
    {
      absl::ReaderMutexLock lock(&mu_);
      from = live_.position;
    }
    const uint64_t head = store_->head().position;
    if (head <= from || head - from <= options_.catch_up_replay_events) return;
    spdlog::info("projection {}: {} events behind the head; catching up by replay", name_,
                 head - from);
    const absl::Time start = absl::Now();
    absl::Status replayed = ReplayRows(*writer_, from, head, /*live=*/true, LogProgress());
    if (!replayed.ok()) {
      if (!absl::IsCancelled(replayed)) {
        spdlog::warn("projection {}: catch-up replay stopped: {}", name_, replayed.ToString());
      }
      return;
    }
    spdlog::info("projection {}: caught up with {} events in {:.1f} s", name_, head - from,
                 absl::ToDoubleSeconds(absl::Now() - start));
  }

  // One subscription batch: its new events and the checkpoint in one WriteBatch.
  absl::Status ApplyStored(const std::vector<v1::Event>& events) {
    uint64_t position;
    {
      absl::ReaderMutexLock lock(&mu_);
      position = live_.position;
    }
    const uint64_t from = position;
    const v1::Event* last = nullptr;
    for (const v1::Event& event : events) {
      if (event.position() <= position) continue;
      if (absl::Status s = writer_->Apply(event); !s.ok()) {
        writer_->Abandon();
        return s;
      }
      position = event.position();
      last = &event;
    }
    if (position == from) return absl::OkStatus();
    auto hash = ChainHashOf(*last);
    absl::Status committed = hash.ok() ? writer_->Commit(position, *hash) : hash.status();
    if (!committed.ok()) {
      const absl::Status s = committed;
      writer_->Abandon();
      return s;
    }
    absl::MutexLock lock(&mu_);
    live_.position = saved_position_ = position;
    return absl::OkStatus();
  }

  absl::Status Save(const Folded& folded) {
    std::string state = EncodeTime(folded.max_occurred_at);
    state.append(folded.fold->Serialize());
    return store_->SaveProjection(name_, folded.position, state);
  }

  void StartFollower() {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = false;
    }
    follower_ = std::thread([this] { Follow(); });
  }

  void StopFollower() {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    if (follower_.joinable()) follower_.join();
  }

  bool stopping() const {
    absl::ReaderMutexLock lock(&mu_);
    return stopping_;
  }

  // The live loop: subscribe from the live position, apply, checkpoint, snapshot.
  void Follow() {
    uint64_t unsaved = 0;
    uint64_t since_snapshot = 0;
    absl::Time last_save = absl::Now();
    std::unique_ptr<ledger::Subscription> subscription;
    while (!stopping()) {
      if (subscription == nullptr) {
        CatchUpIfFarBehind();
        if (stopping()) break;
        uint64_t from;
        {
          absl::ReaderMutexLock lock(&mu_);
          from = live_.position;
        }
        auto opened = store_->Subscribe(from, {});
        if (!opened.ok()) {
          spdlog::warn("projection {}: cannot subscribe: {}", name_, opened.status().ToString());
          absl::SleepFor(absl::Milliseconds(200));
          continue;
        }
        subscription = std::move(*opened);
      }
      auto batch = subscription->Next(absl::Milliseconds(100));
      if (!batch.ok()) {
        if (batch.status().code() == absl::StatusCode::kUnavailable) break;  // store closing
        subscription.reset();  // fell behind: resubscribe from the live position
        if (batch.status().code() != absl::StatusCode::kResourceExhausted) {
          // A damaged or missing record (DATA_LOSS) stays until the log is restored: say so,
          // and retry once a second rather than reread the log in a loop.
          spdlog::error("projection {}: cannot follow the log: {}", name_,
                        batch.status().ToString());
          absl::MutexLock lock(&mu_);
          mu_.AwaitWithTimeout(absl::Condition(&stopping_), absl::Seconds(1));
        }
        continue;
      }
      if (rows_ != nullptr) {
        if (absl::Status s = ApplyStored(batch->events); !s.ok()) {
          spdlog::error("projection {}: cannot apply events to its stored view: {}", name_,
                        s.ToString());
          subscription.reset();
          absl::MutexLock lock(&mu_);
          mu_.AwaitWithTimeout(absl::Condition(&stopping_), absl::Seconds(1));
        }
        continue;
      }
      if (!batch->events.empty()) {
        absl::MutexLock lock(&mu_);
        for (const auto& event : batch->events) {
          if (event.position() <= live_.position) continue;
          live_.Apply(event);
          ++unsaved;
          ++since_snapshot;
        }
      }
      const bool due = unsaved >= options_.checkpoint_every_events ||
                       (unsaved > 0 && absl::Now() - last_save >= options_.checkpoint_every);
      if (due) {
        SaveLive();
        unsaved = 0;
        last_save = absl::Now();
      }
      if (since_snapshot >= options_.snapshot_every_events) {
        absl::ReaderMutexLock lock(&mu_);
        absl::Status s = store_->SaveSnapshot(
            name_, {live_.position, live_.max_occurred_at, live_.fold->Serialize()});
        if (!s.ok()) spdlog::warn("projection {}: snapshot failed: {}", name_, s.ToString());
        since_snapshot = 0;
      }
    }
    if (unsaved > 0) SaveLive();
  }

  void SaveLive() {
    std::string state;
    uint64_t position;
    {
      absl::ReaderMutexLock lock(&mu_);
      state = EncodeTime(live_.max_occurred_at);
      state.append(live_.fold->Serialize());
      position = live_.position;
    }
    absl::Status s = store_->SaveProjection(name_, position, state);
    if (!s.ok()) {
      spdlog::warn("projection {}: checkpoint failed: {}", name_, s.ToString());
      return;
    }
    absl::MutexLock lock(&mu_);
    saved_position_ = position;
  }

  ledger::EventStore* store_;
  const std::string name_;
  const FoldFactory factory_;
  const EngineOptions options_;

  mutable absl::Mutex mu_;
  Folded live_ ABSL_GUARDED_BY(mu_);
  uint64_t saved_position_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread follower_;

  // Stored views only (null for a whole fold).
  ViewStore* const views_ = nullptr;
  const std::shared_ptr<const RowProjection> rows_;
  uint32_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  // The follower's (or a rebuild's, with the follower stopped) writer.
  std::unique_ptr<ViewWriter> writer_;
};

ProjectionEngine::ProjectionEngine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ProjectionEngine::~ProjectionEngine() = default;

absl::StatusOr<std::unique_ptr<ProjectionEngine>> ProjectionEngine::Start(ledger::EventStore* store,
                                                                          std::string name,
                                                                          FoldFactory factory,
                                                                          EngineOptions options) {
  auto impl = std::make_unique<Impl>(store, std::move(name), std::move(factory), options);
  if (absl::Status s = impl->Start(); !s.ok()) return s;
  return std::unique_ptr<ProjectionEngine>(new ProjectionEngine(std::move(impl)));
}

absl::StatusOr<std::unique_ptr<ProjectionEngine>> ProjectionEngine::StartStored(
    ledger::EventStore* store, ViewStore* views, std::shared_ptr<const RowProjection> rows,
    EngineOptions options) {
  auto impl = std::make_unique<Impl>(store, views, std::move(rows), options);
  if (absl::Status s = impl->Start(); !s.ok()) return s;
  return std::unique_ptr<ProjectionEngine>(new ProjectionEngine(std::move(impl)));
}

absl::Status ProjectionEngine::Read(const AsOf& as_of,
                                    absl::FunctionRef<absl::Status(const Fold&, uint64_t)> read,
                                    const ProgressFn& progress) {
  return impl_->Read(as_of, read, progress);
}

absl::StatusOr<bool> ProjectionEngine::ReadViewCut(
    const AsOf& as_of, absl::FunctionRef<absl::Status(const ViewCut&, uint64_t)> read) {
  return impl_->ReadViewCut(as_of, read);
}

std::vector<size_t> ProjectionEngine::LockOrder(const std::vector<ProjectionEngine*>& engines) {
  std::vector<size_t> order(engines.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const std::string& name_a = engines[a]->impl_->name();
    const std::string& name_b = engines[b]->impl_->name();
    if (name_a != name_b) return name_a < name_b;
    return std::less<const ProjectionEngine*>()(engines[a], engines[b]);
  });
  for (size_t i = 1; i < order.size(); ++i) {
    // A reader lock taken twice by one thread can wait for itself behind a writer.
    if (engines[order[i]] == engines[order[i - 1]]) {
      spdlog::critical("ReadTogether: engine {} listed twice", engines[order[i]]->impl_->name());
      std::abort();
    }
  }
  return order;
}

absl::Status ProjectionEngine::ReadTogether(
    const std::vector<ProjectionEngine*>& engines, const AsOf& as_of,
    absl::FunctionRef<absl::Status(const std::vector<const Fold*>&, uint64_t)> read,
    const ProgressFn& progress) {
  if (engines.empty()) return absl::InvalidArgumentError("ReadTogether: no engines");
  absl::StatusOr<uint64_t> target = engines.front()->impl_->TargetOf(as_of);
  if (!target.ok()) return target.status();
  if (!as_of.known_at) {
    // A live read: let every engine catch up with the cut, so none replays for lagging.
    for (ProjectionEngine* engine : engines) engine->impl_->WaitFor(*target, absl::Seconds(5));
  }
  std::vector<std::unique_ptr<absl::ReaderMutexLock>> locks(engines.size());
  std::vector<Folded> replays(engines.size());
  std::vector<const Fold*> folds(engines.size());
  std::vector<size_t> replaying;  // indices of engines whose fold replays
  uint64_t from = *target;
  // The lock order (header): the engines' locks are taken by rank, whatever the order of
  // `engines`, so two reads of the same engines never wait for each other in a cycle.
  for (size_t i : LockOrder(engines)) {
    auto fold = engines[i]->impl_->LiveOrSnapshot(as_of, *target, locks[i], replays[i]);
    if (!fold.ok()) return fold.status();
    folds[i] = *fold;
    if (locks[i] == nullptr) {
      replaying.push_back(i);
      from = std::min(from, replays[i].position);
    }
  }
  // Nothing to replay when every replaying fold is at the cut; in particular a cut before
  // the first event (target 0) is the empty view, never "to the head" (the store's 0).
  if (!replaying.empty() && *target > from) {
    // The union of the replaying folds' types; no type filter when one reads every type.
    v1::EventFilter filter;
    for (size_t i : replaying) {
      const std::vector<std::string> types = replays[i].fold->EventTypes();
      if (types.empty()) {
        filter.clear_types();
        break;
      }
      for (const std::string& type : types) filter.add_types(type);
    }
    if (as_of.business_day) {
      filter.mutable_occurred_to()->set_seconds(
          absl::ToUnixSeconds(ledger::EndOfUtcDay(*as_of.business_day)));
    }
    absl::Time last_progress = absl::Now();
    uint64_t since_clock_check = 0;
    absl::Status scanned = engines.front()->impl_->store()->ForEachEventPipelined(
        from + 1, *target, filter, [&](const v1::Event& event) -> absl::Status {
          for (size_t i : replaying) {
            // A fold restored from a later snapshot already holds this event.
            if (event.position() > replays[i].position) replays[i].Apply(event);
          }
          if (progress && ++since_clock_check >= 4096) {
            since_clock_check = 0;
            if (absl::Now() - last_progress > absl::Milliseconds(200)) {
              progress(event.position(), *target);
              last_progress = absl::Now();
            }
          }
          return absl::OkStatus();
        });
    if (!scanned.ok()) return scanned;
    if (progress) progress(*target, *target);
  }
  return read(folds, *target);
}

absl::StatusOr<uint64_t> ProjectionEngine::Rebuild(const ProgressFn& progress) {
  return impl_->Rebuild(progress);
}

bool ProjectionEngine::WaitFor(uint64_t position, absl::Duration timeout) {
  return impl_->WaitFor(position, timeout);
}

const ledger::EventStore& ProjectionEngine::store() const { return *impl_->store(); }

ProjectionStatus ProjectionEngine::status() const { return impl_->status(); }

void ProjectionEngine::Stop() { impl_->Stop(); }

}  // namespace sixhearts::services::projection
