// The append path of a primary store: preparation on the callers' threads, one writer
// thread that orders and stages groups, one commit thread that writes and publishes them
// (ledger/writer.h; FORMAT.md "What one append writes").
#include "ledger/writer.h"

#include <pthread.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "ledger/dates.h"
#include "ledger/quoted.h"
#include "ledger/rocksdb_status.h"
#include "ledger/validate.h"
#include "ledger/wire_check.h"
#include "rocksdb/write_batch.h"

namespace sixhearts::ledger {

namespace {

void SerializeCanonicalTo(const google::protobuf::Message& message, std::string* out) {
  out->clear();
  google::protobuf::io::StringOutputStream stream(out);
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.SetSerializationDeterministic(true);
  message.SerializeToCodedStream(&coded);
  coded.Trim();
}

// The caller-controlled content of an event, for comparing a retry with what is stored.
std::string CallerContent(v1::Event event) {
  event.clear_position();
  event.clear_stream_version();
  event.clear_previous_stream_position();
  event.clear_recorded_at();
  event.clear_actor();
  event.clear_hash();
  return SerializeCanonical(event);
}

std::string ExpectedText(const v1::ExpectedVersion& expected) {
  switch (expected.kind()) {
    case v1::ExpectedVersion::KIND_NO_STREAM:
      return "no stream";
    case v1::ExpectedVersion::KIND_EXACT:
      return absl::StrCat("version ", expected.version());
    default:
      return "any version";
  }
}

}  // namespace

std::string SerializeCanonical(const google::protobuf::Message& message) {
  std::string out;
  SerializeCanonicalTo(message, &out);
  return out;
}

absl::StatusOr<StreamTip> StoredStreamTip(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* streams,
                                          std::string_view stream) {
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), streams));
  const std::string last = format::StreamKey(stream, UINT64_MAX);
  it->SeekForPrev(last);
  if (!it->status().ok()) return FromRocksDB(it->status(), "read stream version");
  if (!it->Valid()) return StreamTip{};
  const std::string_view key = it->key().ToStringView();
  const std::string_view prefix = std::string_view(last).substr(0, stream.size() + 1);
  if (key.size() != stream.size() + 9 || !key.starts_with(prefix)) return StreamTip{};
  return StreamTip{format::DecodeUint64(key.substr(stream.size() + 1)),
                   format::DecodeUint64(it->value().ToStringView())};
}

// One event as prepared on the caller's thread.
struct Writer::PreparedEvent {
  v1::Event event;           // normalised, personal data open; stamped by the writer
  std::string id_key;        // format::IdKey of the event id
  std::string caller_bytes;  // deterministic bytes as stored, personal data sealed, unstamped
  EntityEffects effects;
  std::vector<std::string> reference_keys;  // format::EntityKey of each effects.references
  std::vector<std::string> creation_keys;   // and of each effects.creations
  std::vector<SealedUnder> sealed_under;    // the keys that sealed its personal data
};

// One Append waiting for, or staged by, the writer.
struct Writer::PendingAppend {
  std::vector<PreparedEvent> events;
  std::vector<v1::ExpectedVersion> expected;
  std::string actor;
  // erasures_ended_ before any of its data was sealed.
  uint64_t erasures_ended_before_sealing = 0;
  bool sealed = false;  // some of its personal data is sealed
  absl::StatusOr<v1::AppendResponse> result;
  AppendCallback done;
  bool writes = false;  // staged events into the group's batch
  // Its answer depends on the group's write: it wrote, or it read what other requests of
  // its group staged (a retry resolved against them, a version or object they made). When
  // the write fails, so does it.
  bool depends_on_group = false;
};

// Staged state layered over the stored state.
struct Writer::Overlay {
  absl::flat_hash_map<std::string, StreamTip> tips;
  absl::flat_hash_map<std::string, size_t> ids;  // id key -> index in Group::events
  absl::flat_hash_map<std::string, format::EntityValue> entities;
  std::vector<format::Hash> leaves;  // leaf digests of the staged events, in order
};

// One group commit, from the writer to the commit thread.
struct Writer::Group {
  uint64_t seq = 0;
  std::vector<PendingAppend*> requests;
  absl::Time recorded_at;
  google::protobuf::Timestamp recorded_ts;  // recorded_at as stored
  uint64_t first_position = 0;
  uint64_t end_position = 0;  // one past the last staged
  format::Hash head_hash{};   // chain hash at end_position - 1
  rocksdb::WriteBatch batch;
  // The staged events, in position order, stamped and hashed: published as they are.
  std::shared_ptr<std::vector<v1::Event>> events;
  Overlay overlay;
  // Set once before it is handed over: refuse every request with it (storage failure or
  // damage found before staging).
  absl::Status refused;
};

Writer::Writer(const EventStoreOptions& options, Clock* clock, Target target, Head head,
               merkle::TreeWriter tree,
               std::function<absl::StatusOr<v1::Event>(uint64_t)> read_event,
               std::function<absl::Status()> damage)
    : options_(options),
      clock_(clock),
      target_(target),
      read_event_(std::move(read_event)),
      damage_(std::move(damage)),
      head_position_(head.position),
      head_hash_(head.hash),
      last_recorded_at_(head.recorded_at),
      tree_(std::move(tree)) {
  stage_thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "ledger-writer");
    StageLoop();
  });
  commit_thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "ledger-commit");
    CommitLoop();
  });
}

Writer::~Writer() { Shutdown(); }

void Writer::Shutdown() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (stage_thread_.joinable()) stage_thread_.join();
  if (commit_thread_.joinable()) commit_thread_.join();
}

// ------------------------------------------------------------------ the caller's thread

void Writer::Append(const v1::AppendRequest& request, std::string_view actor, AppendCallback done,
                    bool ledger_events) {
  auto pending = std::make_unique<PendingAppend>();
  pending->done = std::move(done);
  absl::Status prepared = Prepare(request, actor, *pending, ledger_events);
  if (!prepared.ok()) {
    pending->done(std::move(prepared));
    return;
  }
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) {
      prepared = absl::UnavailableError("the ledger is shutting down");
    } else if (queue_.size() >= options_.limits.max_pending_appends) {
      prepared = absl::ResourceExhaustedError(
          absl::StrCat("more than max_pending_appends (", options_.limits.max_pending_appends,
                       ") appends are waiting for the writer; retry later"));
    } else {
      queue_.push_back(pending.release());
      return;
    }
  }
  pending->done(std::move(prepared));
}

absl::Status Writer::Prepare(const v1::AppendRequest& request, std::string_view actor,
                             PendingAppend& out, bool ledger_events) const {
  const Limits& limits = options_.limits;
  if (request.events().empty()) {
    return absl::InvalidArgumentError("events: at least one event is required");
  }
  if (static_cast<size_t>(request.events_size()) > limits.max_batch_events) {
    return absl::InvalidArgumentError(absl::StrCat("events: ", request.events_size(),
                                                   " events exceed max_batch_events (",
                                                   limits.max_batch_events, ")"));
  }
  // Unknown fields would be stored as they came: unvalidated, outside the text limits and
  // the per-subject encryption, and so beyond erasure.
  if (absl::Status s = RefuseUnknownFields(request, ""); !s.ok()) return s;
  out.expected.assign(request.expected().begin(), request.expected().end());
  out.actor = std::string(actor);
  out.erasures_ended_before_sealing = erasures_ended_.load();
  out.events.resize(request.events_size());
  absl::flat_hash_map<std::string_view, int> seen_ids;
  seen_ids.reserve(request.events_size());
  for (int i = 0; i < request.events_size(); ++i) {
    const v1::Event& in = request.events(i);
    auto path = [i] { return absl::StrCat("events[", i, "]"); };
    if (absl::Status s = ValidateEvent(in, path(), limits); !s.ok()) return s;
    if (in.has_subject_erased() && !ledger_events) {
      return absl::InvalidArgumentError(
          absl::StrCat(path(),
                       ".subject_erased: appended only by EraseSubject (ledgerctl erase-subject), "
                       "which also destroys the key"));
    }
    PreparedEvent& prepared = out.events[i];
    v1::Event& event = prepared.event;
    event = in;
    event.set_event_id(absl::AsciiStrToLower(event.event_id()));
    event.clear_position();
    event.clear_stream_version();
    event.clear_previous_stream_position();
    event.clear_recorded_at();
    event.clear_actor();
    event.clear_hash();
    if (event.schema_version() == 0) event.set_schema_version(1);
    const size_t bytes = event.ByteSizeLong();
    if (bytes > limits.max_event_bytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          path(), ": ", bytes, " bytes exceed max_event_bytes (", limits.max_event_bytes, ")"));
    }
    auto [it, inserted] = seen_ids.emplace(event.event_id(), i);
    if (!inserted) {
      return absl::InvalidArgumentError(
          absl::StrCat(path(), ".event_id: repeats events[", it->second, "].event_id"));
    }
    prepared.id_key = *format::IdKey(event.event_id());
    prepared.effects = DescribeEntities(event);
    for (const EntityReference& ref : prepared.effects.references) {
      prepared.reference_keys.push_back(
          format::EntityKey(event.stream(), static_cast<char>(ref.kind), ref.id));
    }
    for (const EntityCreation& creation : prepared.effects.creations) {
      prepared.creation_keys.push_back(
          format::EntityKey(event.stream(), static_cast<char>(creation.kind), creation.id));
    }
    // The log gets the personal data sealed; the staged event (published to subscribers,
    // compared with retries) keeps it open. Sealing needs the event id and stream only.
    if (HasPlainPersonalData(event)) {
      v1::Event sealed = event;
      if (absl::Status s = SealPersonalData(sealed, *target_.keys, &prepared.sealed_under);
          !s.ok()) {
        return s;
      }
      out.sealed = true;
      SerializeCanonicalTo(sealed, &prepared.caller_bytes);
    } else {
      SerializeCanonicalTo(event, &prepared.caller_bytes);
    }
  }
  // seen_ids views the events' ids; it is not used past this point.
  absl::flat_hash_map<std::string, int> seen_streams;
  for (int i = 0; i < request.expected_size(); ++i) {
    const auto& expected = request.expected(i);
    const std::string path = absl::StrCat("expected[", i, "]");
    if (!IsValidStreamName(expected.stream(), limits)) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ".stream: not a valid stream name: ", QuotedInput(expected.stream())));
    }
    if (!v1::ExpectedVersion::Kind_IsValid(expected.kind())) {
      return absl::InvalidArgumentError(absl::StrCat(path, ".kind: unknown value"));
    }
    auto [it, inserted] = seen_streams.emplace(expected.stream(), i);
    if (!inserted) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ".stream: repeats expected[", it->second, "]"));
    }
  }
  return absl::OkStatus();
}

// ------------------------------------------------------------------ the writer thread

void Writer::StageLoop() {
  const size_t max_group_events = options_.limits.max_group_events;
  uint64_t seq = 0;
  std::shared_ptr<Group> group;  // the group being staged
  size_t group_events = 0;
  while (true) {
    std::vector<PendingAppend*> taken;
    bool hand_over = false;
    {
      absl::MutexLock lock(&mu_);
      auto previous_written = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return group != nullptr && finished_seq_ + 1 >= group->seq;
      };
      auto room = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return !queue_.empty() &&
               (group == nullptr ||
                group_events + queue_.front()->events.size() <= max_group_events);
      };
      auto ready = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return previous_written() || room() || (stopping_ && queue_.empty() && group == nullptr);
      };
      mu_.Await(absl::Condition(&ready));
      if (previous_written()) {
        // The commit thread is free: the group goes now. Requests that came while the group
        // before was being written have joined it.
        handoff_ = group;
        hand_over = true;
      } else if (room()) {
        size_t events = group_events;
        while (!queue_.empty() &&
               (events == 0 || events + queue_.front()->events.size() <= max_group_events)) {
          events += queue_.front()->events.size();
          taken.push_back(queue_.front());
          queue_.pop_front();
        }
      } else {
        staging_done_ = true;  // stopping, and every queued append is handed over
        return;
      }
    }
    if (hand_over) {
      ForgetWritten();  // the group before is written: RocksDB has it now
      unwritten_ = std::move(group);
      group_events = 0;
      continue;
    }
    if (group == nullptr) {
      group = std::make_shared<Group>();
      group->seq = ++seq;
      OpenGroup(*group);
    }
    for (const PendingAppend* pending : taken) group_events += pending->events.size();
    StageRequests(*group, taken);
  }
}

void Writer::ForgetWritten() {
  if (unwritten_ == nullptr) return;
  const Limits& limits = options_.limits;
  for (auto& [stream, tip] : unwritten_->overlay.tips) {
    if (stream_tips_.size() >= limits.max_cached_streams) stream_tips_.clear();
    stream_tips_[stream] = tip;
  }
  for (auto& [key, value] : unwritten_->overlay.entities) {
    if (entities_.size() >= limits.max_cached_entities) entities_.clear();
    entities_[key] = value;
  }
  unwritten_.reset();
}

void Writer::OpenGroup(Group& group) {
  group.events = std::make_shared<std::vector<v1::Event>>();
  {
    absl::MutexLock lock(&mu_);
    if (!storage_failure_.ok()) group.refused = AfterFailedWrite(storage_failure_);
  }
  if (group.refused.ok()) {
    if (absl::Status damage = damage_(); !damage.ok()) {
      group.refused = absl::FailedPreconditionError(
          absl::StrCat("appends are refused: the log is damaged (", damage.message(),
                       "); new events would chain onto the damage; reads before it go on; "
                       "restore the log from a backup (README \"Storage faults\")"));
    }
  }
  // recorded_at never decreases along positions, so "known at T" is a prefix of the log.
  // It is taken at the precision it is stored at (whole microseconds), so the head's time
  // in memory is the stored one and a cut at it holds the whole group; and after every
  // cut already answered (SealCut), so that no answered cut gains an event. Every group
  // counts as stamped, refused or not, so SealCut waits for each one it may have missed.
  absl::MutexLock lock(&cut_mu_);
  absl::Time recorded_at =
      std::max(absl::FromUnixMicros(absl::ToUnixMicros(clock_->Now())), last_recorded_at_);
  if (recorded_at <= sealed_until_) {
    recorded_at = absl::FromUnixMicros(absl::ToUnixMicros(sealed_until_)) + absl::Microseconds(1);
  }
  group.recorded_at = recorded_at;
  group.recorded_ts = TimestampAtMicros(recorded_at);
  stamped_seq_ = group.seq;
  group.first_position = head_position_ + 1;
  group.end_position = group.first_position;
  group.head_hash = head_hash_;
}

void Writer::StageRequests(Group& group, const std::vector<PendingAppend*>& requests) {
  group.requests.insert(group.requests.end(), requests.begin(), requests.end());
  if (!group.refused.ok()) return;  // the commit thread refuses them
  Prefetch(requests);
  const uint64_t first = group.end_position;
  for (PendingAppend* pending : requests) {
    const uint64_t before = group.end_position;
    read_group_state_ = false;
    pending->result = Stage(*pending, group);
    pending->writes = pending->result.ok() && group.end_position != before;
    pending->depends_on_group = pending->writes || read_group_state_;
  }
  if (group.end_position == first) return;  // nothing new to write
  // The Merkle tree's new nodes go into the same batch (FORMAT.md "Merkle tree"). The tree
  // moves on as staged: if the write fails, nothing is appended again until a reopen,
  // which loads the tree as stored.
  tree_.Stage(first, group.overlay.leaves, group.batch, target_.meta);
  tree_.Commit();
  group.overlay.leaves.clear();
  head_position_ = group.end_position - 1;
  head_hash_ = group.head_hash;
  last_recorded_at_ = group.recorded_at;
}

void Writer::Prefetch(const std::vector<PendingAppend*>& requests) {
  fetched_ids_.clear();
  fetched_entities_.clear();
  std::vector<rocksdb::ColumnFamilyHandle*> families;
  std::vector<rocksdb::Slice> keys;
  absl::flat_hash_set<std::string_view> asked;
  auto unwritten_has = [this](auto member, const std::string& key) {
    return unwritten_ != nullptr && (unwritten_->overlay.*member).contains(key);
  };
  for (const PendingAppend* pending : requests) {
    for (const PreparedEvent& event : pending->events) {
      if (!unwritten_has(&Overlay::ids, event.id_key) && asked.insert(event.id_key).second) {
        families.push_back(target_.ids);
        keys.emplace_back(event.id_key);
      }
      for (const auto* list : {&event.reference_keys, &event.creation_keys}) {
        for (const std::string& key : *list) {
          if (unwritten_has(&Overlay::entities, key) || entities_.contains(key)) continue;
          if (!asked.insert(key).second) continue;
          families.push_back(target_.entities);
          keys.emplace_back(key);
        }
      }
    }
  }
  if (keys.empty()) return;
  std::vector<rocksdb::PinnableSlice> values(keys.size());
  std::vector<rocksdb::Status> statuses(keys.size());
  target_.db->MultiGet(rocksdb::ReadOptions(), keys.size(), families.data(), keys.data(),
                       values.data(), statuses.data());
  for (size_t k = 0; k < keys.size(); ++k) {
    // A failed lookup is left out: the lookup of the key reads it again and reports it.
    if (!statuses[k].ok() && !statuses[k].IsNotFound()) continue;
    const std::string key(keys[k].ToStringView());
    const bool found = statuses[k].ok();
    if (families[k] == target_.ids) {
      if (found && values[k].size() == 8) {
        fetched_ids_.emplace(key, format::DecodeUint64(values[k].ToStringView()));
      } else if (!found) {
        fetched_ids_.emplace(key, std::nullopt);
      }
      continue;
    }
    if (!found) {
      fetched_entities_.emplace(key, std::nullopt);
      continue;
    }
    auto decoded = format::DecodeEntity(values[k].ToStringView());
    if (!decoded) continue;  // the lookup reports it
    if (entities_.size() >= options_.limits.max_cached_entities) entities_.clear();
    entities_.emplace(key, *decoded);
  }
}

absl::StatusOr<std::optional<format::EntityValue>> Writer::FindEntity(const std::string& key,
                                                                      const Overlay& local,
                                                                      const Overlay& group) {
  if (auto it = local.entities.find(key); it != local.entities.end()) return it->second;
  if (auto it = group.entities.find(key); it != group.entities.end()) {
    read_group_state_ = true;
    return it->second;
  }
  if (unwritten_ != nullptr) {
    const auto& entities = unwritten_->overlay.entities;
    if (auto it = entities.find(key); it != entities.end()) return it->second;
  }
  if (auto it = entities_.find(key); it != entities_.end()) return it->second;
  if (auto it = fetched_entities_.find(key); it != fetched_entities_.end()) return it->second;
  std::string value;
  rocksdb::Status s = target_.db->Get(rocksdb::ReadOptions(), target_.entities, key, &value);
  if (s.IsNotFound()) return std::nullopt;
  if (!s.ok()) return FromRocksDB(s, "read entities");
  auto decoded = format::DecodeEntity(value);
  if (!decoded) return absl::DataLossError("an entities record does not decode");
  return *decoded;
}

absl::StatusOr<StreamTip> Writer::CurrentTip(const std::string& stream, const Overlay& local,
                                             const Overlay& group) {
  if (auto it = local.tips.find(stream); it != local.tips.end()) return it->second;
  if (auto it = group.tips.find(stream); it != group.tips.end()) {
    read_group_state_ = true;
    return it->second;
  }
  if (unwritten_ != nullptr) {
    const auto& tips = unwritten_->overlay.tips;
    if (auto it = tips.find(stream); it != tips.end()) return it->second;
  }
  if (auto it = stream_tips_.find(stream); it != stream_tips_.end()) return it->second;
  auto stored = StoredStreamTip(target_.db, target_.streams, stream);
  if (!stored.ok()) return stored.status();
  if (stream_tips_.size() >= options_.limits.max_cached_streams) stream_tips_.clear();
  stream_tips_.emplace(stream, *stored);
  return *stored;
}

absl::StatusOr<v1::AppendResponse> Writer::ResolveDuplicates(
    const PendingAppend& pending, const std::vector<const v1::Event*>& staged,
    const std::vector<std::optional<uint64_t>>& stored) const {
  v1::AppendResponse response;
  response.set_duplicate(true);
  int first_new = -1;
  int first_old = -1;
  for (size_t i = 0; i < pending.events.size(); ++i) {
    const bool known = stored[i].has_value() || staged[i] != nullptr;
    if (known && first_old < 0) first_old = static_cast<int>(i);
    if (!known && first_new < 0) first_new = static_cast<int>(i);
  }
  if (first_new >= 0) {
    return absl::AlreadyExistsError(absl::StrCat(
        "events[", first_old, "].event_id: ", pending.events[first_old].event.event_id(),
        " is already stored but events[", first_new,
        "] is new; a retry must repeat the original batch exactly"));
  }
  for (size_t i = 0; i < pending.events.size(); ++i) {
    v1::Event original;
    if (staged[i] != nullptr) {
      original = *staged[i];
    } else {
      auto read = read_event_(*stored[i]);
      if (!read.ok()) return read.status();
      original = std::move(*read);
    }
    const v1::Event& retry = pending.events[i].event;
    if (CallerContent(original) != CallerContent(retry)) {
      return absl::AlreadyExistsError(absl::StrCat("events[", i, "].event_id: ", retry.event_id(),
                                                   " is already stored at position ",
                                                   original.position(), " with different content"));
    }
    response.add_positions(original.position());
    response.add_stream_versions(original.stream_version());
    if (i == 0) *response.mutable_recorded_at() = original.recorded_at();
  }
  return response;
}

absl::StatusOr<v1::AppendResponse> Writer::Stage(PendingAppend& pending, Group& group) {
  const size_t n = pending.events.size();

  // 1. Idempotency: every id, in the group, the group being written, then as stored.
  std::vector<const v1::Event*> staged(n, nullptr);
  std::vector<std::optional<uint64_t>> stored(n);
  bool any_known = false;
  for (size_t i = 0; i < n; ++i) {
    const std::string& key = pending.events[i].id_key;
    const auto in_group = group.overlay.ids.find(key);
    const Overlay* unwritten = unwritten_ != nullptr ? &unwritten_->overlay : nullptr;
    if (in_group != group.overlay.ids.end()) {
      staged[i] = &(*group.events)[in_group->second];
      read_group_state_ = true;
    } else if (unwritten != nullptr && unwritten->ids.contains(key)) {
      staged[i] = &(*unwritten_->events)[unwritten->ids.at(key)];
    } else if (auto f = fetched_ids_.find(key); f != fetched_ids_.end()) {
      stored[i] = f->second;
    } else {
      std::string value;
      rocksdb::Status s = target_.db->Get(rocksdb::ReadOptions(), target_.ids, key, &value);
      if (!s.ok() && !s.IsNotFound()) return FromRocksDB(s, "read ids");
      if (s.ok()) stored[i] = format::DecodeUint64(value);
    }
    any_known = any_known || staged[i] != nullptr || stored[i].has_value();
  }
  if (any_known) return ResolveDuplicates(pending, staged, stored);

  // 2. Expected versions.
  Overlay local;
  for (const v1::ExpectedVersion& expected : pending.expected) {
    auto tip = CurrentTip(expected.stream(), local, group.overlay);
    if (!tip.ok()) return tip.status();
    const uint64_t current = tip->version;
    bool ok = true;
    switch (expected.kind()) {
      case v1::ExpectedVersion::KIND_NO_STREAM:
        ok = current == 0;
        break;
      case v1::ExpectedVersion::KIND_EXACT:
        ok = current == expected.version();
        break;
      default:
        break;
    }
    if (!ok) {
      return absl::AbortedError(absl::StrCat(
          "stream ", expected.stream(), ": expected ", ExpectedText(expected), ", actual ",
          current == 0 ? "no stream" : absl::StrCat("version ", current)));
    }
  }

  // 3. The keys that sealed its personal data.
  if (pending.sealed) {
    if (absl::Status s = CheckSealingKeys(pending); !s.ok()) return s;
  }

  // 4. Each event: references, creations, then its record. A rejected request leaves
  // nothing in the batch, the group's events or its overlay.
  rocksdb::WriteBatch& batch = group.batch;
  std::vector<v1::Event>& events = *group.events;
  const size_t events_before = events.size();
  batch.SetSavePoint();
  auto reject = [&](absl::Status status) {
    batch.RollbackToSavePoint().PermitUncheckedError();
    events.erase(events.begin() + static_cast<ptrdiff_t>(events_before), events.end());
    return status;
  };
  v1::AppendResponse response;
  *response.mutable_recorded_at() = group.recorded_ts;
  uint64_t position = group.end_position;
  format::Hash chain = group.head_hash;
  for (size_t i = 0; i < n; ++i) {
    PreparedEvent& prepared = pending.events[i];
    const std::string& stream = prepared.event.stream();
    auto path = [i] { return absl::StrCat("events[", i, "]."); };
    const EntityEffects& effects = prepared.effects;
    std::string first_reference_currency;
    for (size_t r = 0; r < effects.references.size(); ++r) {
      const EntityReference& ref = effects.references[r];
      auto found = FindEntity(prepared.reference_keys[r], local, group.overlay);
      if (!found.ok()) return reject(found.status());
      const std::string kind(EntityKindName(ref.kind));
      if (!found->has_value()) {
        return reject(absl::InvalidArgumentError(absl::StrCat(
            path(), ref.field, ": no ", kind, " ", QuotedInput(ref.id), " in stream ", stream)));
      }
      const format::EntityValue& value = **found;
      if (r == 0) first_reference_currency = value.currency;
      const std::string& want =
          ref.currency_of_first_reference ? first_reference_currency : ref.currency;
      if (!want.empty() && !value.currency.empty() && want != value.currency) {
        return reject(absl::InvalidArgumentError(absl::StrCat(path(), ref.field, ": currency ",
                                                              want, " differs from the ", kind,
                                                              "'s currency ", value.currency)));
      }
      if (ref.amount_minor >= 0 && value.amount_minor > 0 &&
          ref.amount_minor > value.amount_minor) {
        return reject(absl::InvalidArgumentError(
            absl::StrCat(path(), ref.field, ": amount ", ref.amount_minor, " is above the ", kind,
                         "'s amount ", value.amount_minor)));
      }
    }
    for (size_t c = 0; c < effects.creations.size(); ++c) {
      const EntityCreation& creation = effects.creations[c];
      const std::string& key = prepared.creation_keys[c];
      auto found = FindEntity(key, local, group.overlay);
      if (!found.ok()) return reject(found.status());
      if (found->has_value() && !creation.replaces) {
        return reject(absl::AlreadyExistsError(
            absl::StrCat(path(), creation.field, ": ", std::string(EntityKindName(creation.kind)),
                         " ", QuotedInput(creation.id), " already exists in stream ", stream,
                         " (position ", (*found)->position, ")")));
      }
      const format::EntityValue value{creation.currency, creation.amount_minor, position};
      local.entities[key] = value;
      batch.Put(target_.entities, key, format::EncodeEntity(value)).PermitUncheckedError();
    }

    auto tip = CurrentTip(stream, local, group.overlay);
    if (!tip.ok()) return reject(tip.status());
    const uint64_t version = tip->version + 1;
    const uint64_t previous_position = tip->position;

    // The stored bytes: the caller's part, prepared with its personal data sealed, with
    // the writer's fields merged in.
    stamp_.Clear();
    stamp_.set_stream_version(version);
    stamp_.set_position(position);
    *stamp_.mutable_recorded_at() = group.recorded_ts;
    stamp_.set_actor(pending.actor);
    stamp_.set_previous_stream_position(previous_position);
    SerializeCanonicalTo(stamp_, &stamp_bytes_);
    std::optional<std::string> bytes =
        format::MergeEventFields(prepared.caller_bytes, stamp_bytes_);
    if (!bytes) {
      // Both parts come from the deterministic serializer; a failure is a bug here.
      std::fprintf(stderr, "ledger writer: the event bytes of position %llu do not merge\n",
                   static_cast<unsigned long long>(position));
      std::abort();
    }
    const format::Hash leaf = format::LeafHash(*bytes);
    local.leaves.push_back(leaf);
    chain = format::ChainHash(chain, position, leaf);
    batch.Put(target_.log, format::PositionKey(position), format::EncodeRecord(chain, *bytes))
        .PermitUncheckedError();
    batch.Put(target_.streams, format::StreamKey(stream, version), format::EncodeUint64(position))
        .PermitUncheckedError();
    batch.Put(target_.ids, prepared.id_key, format::EncodeUint64(position)).PermitUncheckedError();
    local.tips[stream] = StreamTip{version, position};

    // The event as published and compared with retries: open, stamped, with its hash.
    v1::Event& event = events.emplace_back(std::move(prepared.event));
    event.set_position(position);
    event.set_stream_version(version);
    event.set_previous_stream_position(previous_position);
    *event.mutable_recorded_at() = group.recorded_ts;
    event.set_actor(pending.actor);
    event.set_hash(reinterpret_cast<const char*>(chain.data()), chain.size());
    local.ids[prepared.id_key] = events.size() - 1;
    response.add_positions(position);
    response.add_stream_versions(version);
    ++position;
  }
  batch.PopSavePoint().PermitUncheckedError();
  NoteErasures(events, events_before);
  for (auto& [k, v] : local.tips) group.overlay.tips[k] = v;
  for (auto& [k, v] : local.ids) group.overlay.ids[k] = v;
  for (auto& [k, v] : local.entities) group.overlay.entities[k] = v;
  group.overlay.leaves.insert(group.overlay.leaves.end(), local.leaves.begin(), local.leaves.end());
  group.end_position = position;
  group.head_hash = chain;
  return response;
}

absl::Status Writer::CheckSealingKeys(const PendingAppend& pending) {
  // In this order: EndErasure counts the end before it forgets the erasure, so a request
  // that finds no erasure in flight here sees every end since it was sealed.
  const bool erasing = erasing_count_.load() > 0;
  const bool ended = erasures_ended_.load() != pending.erasures_ended_before_sealing;
  if (!erasing && !ended) return absl::OkStatus();
  for (size_t i = 0; i < pending.events.size(); ++i) {
    for (const SealedUnder& sealed : pending.events[i].sealed_under) {
      bool destroyed = false;
      if (erasing) {
        absl::MutexLock lock(&erase_mu_);
        destroyed = erasing_.contains(sealed.subject);
      }
      // An erasure staged in this group is undone if the group's write fails.
      if (destroyed) read_group_state_ = true;
      if (!destroyed && ended) {
        auto key = target_.keys->Find(sealed.subject);
        if (!key.ok()) return key.status();
        destroyed = !key->has_value() || (*key)->key_id != sealed.key_id;
      }
      if (destroyed) {
        return absl::AbortedError(absl::StrCat(
            "events[", i, "]: its personal data was sealed under the key of subject ",
            sealed.subject,
            " that an erasure of the subject destroys; nothing was stored; retry the append (it "
            "is sealed again, under the subject's new key once the erasure is done)"));
      }
    }
  }
  return absl::OkStatus();
}

void Writer::NoteErasures(const std::vector<v1::Event>& events, size_t first) {
  for (size_t k = first; k < events.size(); ++k) {
    if (!events[k].has_subject_erased()) continue;
    absl::MutexLock lock(&erase_mu_);
    if (erasing_[events[k].subject_erased().subject_id()].insert(events[k].event_id()).second) {
      erasing_count_.fetch_add(1);
    }
  }
}

void Writer::EndErasure(std::string_view subject, std::string_view event_id) {
  erasures_ended_.fetch_add(1);
  absl::MutexLock lock(&erase_mu_);
  auto it = erasing_.find(std::string(subject));
  if (it == erasing_.end()) return;  // its event was never staged
  if (it->second.erase(absl::AsciiStrToLower(std::string(event_id))) == 1) {
    erasing_count_.fetch_sub(1);
  }
  if (it->second.empty()) erasing_.erase(it);
}

// ------------------------------------------------------------------ the commit thread

void Writer::RefuseAll(Group& group, const absl::Status& status) {
  for (PendingAppend* pending : group.requests) pending->result = status;
}

absl::Status Writer::AfterFailedWrite(const absl::Status& failure) {
  // RocksDB may have stopped writing (its background error state) and may hold part of the
  // failed write; only a reopen recovers what is durable, so refuse until then.
  return absl::Status(failure.code(),
                      absl::StrCat("appends are refused since a write failed (", failure.message(),
                                   "); every acknowledged event is stored; restart ledgerd "
                                   "(reopen the store) once the storage is fixed"));
}

void Writer::Finish(Group& group) {
  // Callbacks run after the group is published, outside any lock.
  for (PendingAppend* pending : group.requests) {
    pending->done(std::move(pending->result));
    delete pending;
  }
  group.requests.clear();
}

void Writer::CommitLoop() {
  while (true) {
    std::shared_ptr<Group> group;
    absl::Status failure;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](Writer* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->mu_) {
            return self->handoff_ != nullptr || self->staging_done_;
          },
          this));
      if (handoff_ == nullptr) return;
      group = std::move(handoff_);
      handoff_ = nullptr;
      failure = storage_failure_;
    }
    // A failed write before this group (staged on top of it) refuses the group whole.
    if (group->refused.ok() && !failure.ok()) group->refused = AfterFailedWrite(failure);
    absl::Status written_failure;
    if (!group->refused.ok()) {
      RefuseAll(*group, group->refused);
    } else if (group->end_position != group->first_position) {
      rocksdb::WriteOptions write;
      write.sync = options_.sync;
      const absl::Time write_start = absl::Now();
      rocksdb::Status s = target_.db->Write(write, &group->batch);
      if (options_.observer != nullptr) {
        options_.observer->OnGroupCommit(group->requests.size(),
                                         group->end_position - group->first_position,
                                         absl::Now() - write_start);
      }
      if (!s.ok()) {
        // The store no longer knows what is on disk; refuse further appends until restart.
        written_failure = FromRocksDB(s, "append");
        // Every answer that rests on this write fails with it; answers from the stored
        // state alone (a retry of an event stored before) stand.
        for (PendingAppend* pending : group->requests) {
          if (pending->depends_on_group) pending->result = written_failure;
        }
        if (options_.on_storage_failure) options_.on_storage_failure(written_failure);
      } else {
        target_.feed->Publish(group->events, format::HashBytes(group->head_hash),
                              group->recorded_at);
      }
    }
    {
      absl::MutexLock lock(&mu_);
      if (!written_failure.ok() && storage_failure_.ok()) storage_failure_ = written_failure;
      finished_seq_ = group->seq;
    }
    {
      absl::MutexLock lock(&cut_mu_);
      published_seq_ = group->seq;
    }
    Finish(*group);
  }
}

void Writer::SealCut(absl::Time t) {
  absl::MutexLock lock(&cut_mu_);
  sealed_until_ = std::max(sealed_until_, t);
  const uint64_t stamped = stamped_seq_;
  auto published = [this, stamped]()
                       ABSL_EXCLUSIVE_LOCKS_REQUIRED(cut_mu_) { return published_seq_ >= stamped; };
  cut_mu_.Await(absl::Condition(&published));
}

}  // namespace sixhearts::ledger
