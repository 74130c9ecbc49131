// The event store: open and recovery, the single writer with group commit, reads,
// verification. Key layout and hashing: ledger/FORMAT.md, implemented in format.cc.
#include "ledger/event_store.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <filesystem>
#include <optional>
#include <thread>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "google/protobuf/util/time_util.h"
#include "ledger/event_types.h"
#include "ledger/format.h"
#include "ledger/live_feed.h"
#include "ledger/log_chain.h"
#include "ledger/rocksdb_status.h"
#include "ledger/subscription.h"
#include "ledger/validate.h"
#include "rocksdb/db.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/slice_transform.h"
#include "rocksdb/table.h"
#include "rocksdb/write_batch.h"

namespace sixhearts::ledger {

std::unique_ptr<Subscription> MakeSubscription(const EventStore* store, LiveFeed* feed,
                                               uint64_t after_position,
                                               const v1::EventFilter& filter);

namespace {

using google::protobuf::util::TimeUtil;

absl::Time ToAbslTime(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  google::protobuf::Timestamp ts;
  const int64_t micros = absl::ToUnixMicros(t);
  ts.set_seconds(micros / 1'000'000);
  ts.set_nanos(static_cast<int32_t>((micros % 1'000'000) * 1000));
  return ts;
}

std::string SerializeCanonical(const v1::Event& event) {
  std::string out;
  google::protobuf::io::StringOutputStream stream(&out);
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.SetSerializationDeterministic(true);
  event.SerializeToCodedStream(&coded);
  coded.Trim();
  return std::string(out.data(), coded.ByteCount());
}

// The caller-controlled content of an event, for comparing a retry with what is stored.
std::string CallerContent(v1::Event event) {
  event.clear_position();
  event.clear_stream_version();
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

// The stream part of a `streams` key: everything up to and including the 0x00.
class StreamPrefixTransform final : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "sixhearts.StreamPrefix"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    const void* nul = std::memchr(key.data(), 0, key.size());
    return rocksdb::Slice(key.data(), static_cast<const char*>(nul) - key.data() + 1);
  }
  bool InDomain(const rocksdb::Slice& key) const override {
    return std::memchr(key.data(), 0, key.size()) != nullptr;
  }
};

// One Append waiting for the writer.
struct PendingAppend {
  std::vector<v1::Event> events;  // validated and normalised; staged in place
  std::vector<v1::ExpectedVersion> expected;
  std::string actor;
  absl::StatusOr<v1::AppendResponse> result;
  AppendCallback done;
};

}  // namespace

class EventStore::Impl {
 public:
  explicit Impl(const EventStoreOptions& options)
      : options_(options),
        clock_(options.clock != nullptr ? options.clock : SystemClock()),
        feed_(options.limits.subscription_buffer_events) {}

  ~Impl() {
    Shutdown();
    for (auto* handle : handles_) db_->DestroyColumnFamilyHandle(handle);
    if (db_ != nullptr) {
      db_->Close().PermitUncheckedError();
      delete db_;
    }
  }

  absl::Status Open();
  void Shutdown();
  void AppendAsync(const v1::AppendRequest& request, std::string_view actor, AppendCallback done);
  absl::StatusOr<ReadPage> ReadLog(uint64_t from, bool backward, uint32_t limit,
                                   const v1::EventFilter& filter) const;
  absl::StatusOr<ReadPage> ReadStream(std::string_view stream, uint64_t from_version,
                                      uint32_t limit, const v1::EventFilter& filter) const;
  absl::StatusOr<uint64_t> StoredStreamVersion(std::string_view stream) const;
  absl::StatusOr<VerifyResult> Verify(uint64_t from, uint64_t to) const;
  Head head() const {
    Head h;
    feed_.head(&h.position, &h.hash, &h.recorded_at);
    return h;
  }

  const Limits& limits() const { return options_.limits; }
  LiveFeed* feed() { return &feed_; }

 private:
  // Staged state of the group being assembled, layered over the stored state.
  struct Overlay {
    absl::flat_hash_map<std::string, uint64_t> versions;
    absl::flat_hash_map<std::string, const v1::Event*> ids;  // id key -> staged event
    absl::flat_hash_map<std::string, format::EntityValue> entities;
  };

  absl::Status Prepare(const v1::AppendRequest& request, std::string_view actor,
                       PendingAppend& out);
  void WriterLoop();
  void CommitGroup(std::vector<PendingAppend*>& group);
  // Stages one request into `batch` and `group`; returns its response, or the error
  // that rejects it (then nothing of it is staged).
  absl::StatusOr<v1::AppendResponse> Stage(PendingAppend& pending, Overlay& group,
                                           rocksdb::WriteBatch& batch, uint64_t* next_position,
                                           format::Hash* hash, absl::Time recorded_at);
  absl::StatusOr<v1::AppendResponse> ResolveDuplicates(
      const PendingAppend& pending, const std::vector<std::optional<uint64_t>>& stored,
      const std::vector<const v1::Event*>& staged_same_id);
  absl::StatusOr<uint64_t> CurrentVersion(const std::string& stream, const Overlay& group,
                                          const Overlay& local);
  absl::StatusOr<std::optional<format::EntityValue>> FindEntity(const std::string& key,
                                                                const Overlay& group,
                                                                const Overlay& local) const;
  absl::StatusOr<v1::Event> ReadEventAt(uint64_t position, format::Hash* hash) const;

  EventStoreOptions options_;
  Clock* clock_;
  rocksdb::DB* db_ = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  rocksdb::ColumnFamilyHandle* log_ = nullptr;
  rocksdb::ColumnFamilyHandle* streams_ = nullptr;
  rocksdb::ColumnFamilyHandle* ids_ = nullptr;
  rocksdb::ColumnFamilyHandle* entities_ = nullptr;

 public:
  rocksdb::DB* db() const { return db_; }
  rocksdb::ColumnFamilyHandle* log_family() const { return log_; }
  rocksdb::ColumnFamilyHandle* projections_ = nullptr;
  rocksdb::ColumnFamilyHandle* snapshots_ = nullptr;

 private:
  // Queue between Append callers and the writer.
  absl::Mutex queue_mu_;
  std::deque<PendingAppend*> queue_ ABSL_GUARDED_BY(queue_mu_);
  bool stopping_ ABSL_GUARDED_BY(queue_mu_) = false;
  std::thread writer_;

  // Owned by the writer thread.
  uint64_t head_position_ = 0;
  format::Hash head_hash_{};
  absl::Time last_recorded_at_ = absl::InfinitePast();
  absl::flat_hash_map<std::string, uint64_t> stream_versions_;
  absl::Status storage_failure_;

  LiveFeed feed_;
};

absl::Status EventStore::Impl::Open() {
  namespace fs = std::filesystem;
  const std::string& dir = options_.data_dir;
  if (dir.empty()) return absl::InvalidArgumentError("data_dir: required");
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot create data directory ", dir, ": ", ec.message()));
  }
  if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    return absl::PermissionDeniedError(
        absl::StrCat("data directory ", dir, " is not writable: ", std::strerror(errno)));
  }

  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.IncreaseParallelism(2);
  db_options.max_background_jobs = 2;
  db_options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;

  auto cache = rocksdb::NewLRUCache(options_.block_cache_bytes);
  // Memtable insert hints: keys of the log (positions) and of one stream (versions)
  // arrive in order, so each insert starts where the last one of its prefix ended.
  static const std::shared_ptr<const rocksdb::SliceTransform> kStreamPrefix =
      std::make_shared<StreamPrefixTransform>();
  static const std::shared_ptr<const rocksdb::SliceTransform> kPositionPrefix(
      rocksdb::NewFixedPrefixTransform(2));
  auto family = [&](bool point_lookups,
                    std::shared_ptr<const rocksdb::SliceTransform> hint = nullptr) {
    rocksdb::ColumnFamilyOptions cf;
    cf.memtable_insert_with_hint_prefix_extractor = std::move(hint);
    if (point_lookups) {
      // Most id and reference lookups miss; a memtable bloom filter answers them
      // without walking the skiplist.
      cf.memtable_whole_key_filtering = true;
      cf.memtable_prefix_bloom_size_ratio = 0.05;
    }
    rocksdb::BlockBasedTableOptions table;
    table.block_cache = cache;
    if (point_lookups) {
      // Idempotency and reference checks are point lookups that usually miss.
      table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
      table.whole_key_filtering = true;
      cf.optimize_filters_for_hits = false;
    }
    cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    cf.compression = rocksdb::kLZ4Compression;
    return cf;
  };
  std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, family(false)},
      {format::kLogFamily, family(false, kPositionPrefix)},
      {format::kStreamsFamily, family(true, kStreamPrefix)},
      {format::kIdsFamily, family(true)},
      {format::kEntitiesFamily, family(true)},
      {format::kProjectionsFamily, family(false)},
      {format::kSnapshotsFamily, family(false)},
  };
  rocksdb::Status s = rocksdb::DB::Open(db_options, dir, families, &handles_, &db_);
  if (!s.ok()) return FromRocksDB(s, absl::StrCat("open ", dir));
  log_ = handles_[1];
  streams_ = handles_[2];
  ids_ = handles_[3];
  entities_ = handles_[4];
  projections_ = handles_[5];
  snapshots_ = handles_[6];

  std::string version;
  s = db_->Get(rocksdb::ReadOptions(), handles_[0], format::kMetaFormatKey, &version);
  if (s.IsNotFound()) {
    rocksdb::WriteOptions write;
    write.sync = true;
    s = db_->Put(write, handles_[0], format::kMetaFormatKey, format::kFormatVersion);
    if (!s.ok()) return FromRocksDB(s, "write format version");
  } else if (!s.ok()) {
    return FromRocksDB(s, "read format version");
  } else if (version != format::kFormatVersion) {
    return absl::FailedPreconditionError(absl::StrCat(dir, " holds ledger format ", version,
                                                      "; this build reads format ",
                                                      format::kFormatVersion));
  }

  // Recover the head from the last record of the log.
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), log_));
  it->SeekToLast();
  if (it->Valid()) {
    head_position_ = format::DecodeUint64(it->key().ToStringView());
    auto record = format::DecodeRecord(it->value().ToStringView());
    v1::Event last;
    if (!record || !last.ParseFromArray(record->event_bytes.data(),
                                        static_cast<int>(record->event_bytes.size()))) {
      return absl::DataLossError(
          absl::StrCat("the record at the head, position ", head_position_, ", does not parse"));
    }
    head_hash_ = record->hash;
    last_recorded_at_ = ToAbslTime(last.recorded_at());
  }
  if (!it->status().ok()) return FromRocksDB(it->status(), "recover head");
  feed_.Reset(head_position_, format::HashBytes(head_hash_), last_recorded_at_);
  writer_ = std::thread([this] { WriterLoop(); });
  return absl::OkStatus();
}

void EventStore::Impl::Shutdown() {
  {
    absl::MutexLock lock(&queue_mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  if (writer_.joinable()) writer_.join();
  feed_.Close();
}

void EventStore::Impl::AppendAsync(const v1::AppendRequest& request, std::string_view actor,
                                   AppendCallback done) {
  auto pending = std::make_unique<PendingAppend>();
  pending->done = std::move(done);
  absl::Status prepared = Prepare(request, actor, *pending);
  if (!prepared.ok()) {
    pending->done(std::move(prepared));
    return;
  }
  {
    absl::MutexLock lock(&queue_mu_);
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

absl::Status EventStore::Impl::Prepare(const v1::AppendRequest& request, std::string_view actor,
                                       PendingAppend& out) {
  const Limits& limits = options_.limits;
  if (request.events().empty()) {
    return absl::InvalidArgumentError("events: at least one event is required");
  }
  if (static_cast<size_t>(request.events_size()) > limits.max_batch_events) {
    return absl::InvalidArgumentError(absl::StrCat("events: ", request.events_size(),
                                                   " events exceed max_batch_events (",
                                                   limits.max_batch_events, ")"));
  }
  PendingAppend* pending = &out;
  pending->expected.assign(request.expected().begin(), request.expected().end());
  pending->actor = std::string(actor);
  pending->events.reserve(request.events_size());
  absl::flat_hash_map<std::string, int> seen_ids;
  for (int i = 0; i < request.events_size(); ++i) {
    const std::string path = absl::StrCat("events[", i, "]");
    if (absl::Status s = ValidateEvent(request.events(i), path, limits); !s.ok()) return s;
    v1::Event event = request.events(i);
    event.set_event_id(absl::AsciiStrToLower(event.event_id()));
    event.clear_position();
    event.clear_stream_version();
    event.clear_recorded_at();
    event.clear_actor();
    event.clear_hash();
    if (event.schema_version() == 0) event.set_schema_version(1);
    const size_t bytes = event.ByteSizeLong();
    if (bytes > limits.max_event_bytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ": ", bytes, " bytes exceed max_event_bytes (", limits.max_event_bytes, ")"));
    }
    auto [it, inserted] = seen_ids.emplace(event.event_id(), i);
    if (!inserted) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ".event_id: repeats events[", it->second, "].event_id"));
    }
    pending->events.push_back(std::move(event));
  }
  absl::flat_hash_map<std::string, int> seen_streams;
  for (int i = 0; i < request.expected_size(); ++i) {
    const auto& expected = request.expected(i);
    const std::string path = absl::StrCat("expected[", i, "]");
    if (!IsValidStreamName(expected.stream(), limits)) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ".stream: not a valid stream name: \"", expected.stream(), "\""));
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

void EventStore::Impl::WriterLoop() {
  std::vector<PendingAppend*> group;
  while (true) {
    group.clear();
    {
      absl::MutexLock lock(&queue_mu_);
      queue_mu_.Await(absl::Condition(
          +[](Impl* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->queue_mu_) {
            return self->stopping_ || !self->queue_.empty();
          },
          this));
      if (queue_.empty()) return;  // stopping, and every queued append is done
      size_t events = 0;
      while (!queue_.empty() && (group.empty() || events + queue_.front()->events.size() <=
                                                      options_.limits.max_group_events)) {
        events += queue_.front()->events.size();
        group.push_back(queue_.front());
        queue_.pop_front();
      }
    }
    CommitGroup(group);
  }
}

absl::StatusOr<std::optional<format::EntityValue>> EventStore::Impl::FindEntity(
    const std::string& key, const Overlay& group, const Overlay& local) const {
  if (auto it = local.entities.find(key); it != local.entities.end()) return it->second;
  if (auto it = group.entities.find(key); it != group.entities.end()) return it->second;
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), entities_, key, &value);
  if (s.IsNotFound()) return std::nullopt;
  if (!s.ok()) return FromRocksDB(s, "read entities");
  auto decoded = format::DecodeEntity(value);
  if (!decoded) return absl::DataLossError("an entities record does not decode");
  return *decoded;
}

absl::StatusOr<uint64_t> EventStore::Impl::CurrentVersion(const std::string& stream,
                                                          const Overlay& group,
                                                          const Overlay& local) {
  if (auto it = local.versions.find(stream); it != local.versions.end()) return it->second;
  if (auto it = group.versions.find(stream); it != group.versions.end()) return it->second;
  if (auto it = stream_versions_.find(stream); it != stream_versions_.end()) return it->second;
  auto stored = StoredStreamVersion(stream);
  if (!stored.ok()) return stored.status();
  if (stream_versions_.size() >= options_.limits.max_cached_streams) stream_versions_.clear();
  stream_versions_.emplace(stream, *stored);
  return *stored;
}

absl::StatusOr<uint64_t> EventStore::Impl::StoredStreamVersion(std::string_view stream) const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), streams_));
  const std::string last = format::StreamKey(stream, UINT64_MAX);
  it->SeekForPrev(last);
  if (!it->status().ok()) return FromRocksDB(it->status(), "read stream version");
  if (!it->Valid()) return 0;
  const std::string_view key = it->key().ToStringView();
  const std::string_view prefix = std::string_view(last).substr(0, stream.size() + 1);
  if (key.size() != stream.size() + 9 || !key.starts_with(prefix)) return 0;
  return format::DecodeUint64(key.substr(stream.size() + 1));
}

absl::StatusOr<v1::Event> EventStore::Impl::ReadEventAt(uint64_t position,
                                                        format::Hash* hash) const {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), log_, format::PositionKey(position), &value);
  if (!s.ok()) return FromRocksDB(s, absl::StrCat("read position ", position));
  auto record = format::DecodeRecord(value);
  v1::Event event;
  if (!record || !event.ParseFromArray(record->event_bytes.data(),
                                       static_cast<int>(record->event_bytes.size()))) {
    return absl::DataLossError(
        absl::StrCat("the record at position ", position, " does not parse"));
  }
  if (hash != nullptr) *hash = record->hash;
  return event;
}

absl::StatusOr<v1::AppendResponse> EventStore::Impl::ResolveDuplicates(
    const PendingAppend& pending, const std::vector<std::optional<uint64_t>>& stored,
    const std::vector<const v1::Event*>& staged_same_id) {
  v1::AppendResponse response;
  response.set_duplicate(true);
  int first_new = -1;
  int first_old = -1;
  for (size_t i = 0; i < pending.events.size(); ++i) {
    const bool known = stored[i].has_value() || staged_same_id[i] != nullptr;
    if (known && first_old < 0) first_old = static_cast<int>(i);
    if (!known && first_new < 0) first_new = static_cast<int>(i);
  }
  if (first_new >= 0) {
    return absl::AlreadyExistsError(
        absl::StrCat("events[", first_old, "].event_id: ", pending.events[first_old].event_id(),
                     " is already stored but events[", first_new,
                     "] is new; a retry must repeat the original batch exactly"));
  }
  for (size_t i = 0; i < pending.events.size(); ++i) {
    v1::Event original;
    if (staged_same_id[i] != nullptr) {
      original = *staged_same_id[i];
    } else {
      auto read = ReadEventAt(*stored[i], nullptr);
      if (!read.ok()) return read.status();
      original = std::move(*read);
    }
    if (CallerContent(original) != CallerContent(pending.events[i])) {
      return absl::AlreadyExistsError(absl::StrCat(
          "events[", i, "].event_id: ", pending.events[i].event_id(),
          " is already stored at position ", original.position(), " with different content"));
    }
    response.add_positions(original.position());
    response.add_stream_versions(original.stream_version());
    if (i == 0) *response.mutable_recorded_at() = original.recorded_at();
  }
  return response;
}

absl::StatusOr<v1::AppendResponse> EventStore::Impl::Stage(PendingAppend& pending, Overlay& group,
                                                           rocksdb::WriteBatch& batch,
                                                           uint64_t* next_position,
                                                           format::Hash* hash,
                                                           absl::Time recorded_at) {
  const size_t n = pending.events.size();

  // 1. Idempotency: look every id up, in the group first, then in the store.
  std::vector<std::string> id_keys(n);
  std::vector<const v1::Event*> staged_same_id(n, nullptr);
  std::vector<std::optional<uint64_t>> stored(n);
  std::vector<rocksdb::Slice> lookup_keys;
  std::vector<size_t> lookup_index;
  bool any_known = false;
  for (size_t i = 0; i < n; ++i) {
    id_keys[i] = *format::IdKey(pending.events[i].event_id());
    if (auto it = group.ids.find(id_keys[i]); it != group.ids.end()) {
      staged_same_id[i] = it->second;
      any_known = true;
    } else {
      lookup_keys.emplace_back(id_keys[i]);
      lookup_index.push_back(i);
    }
  }
  if (!lookup_keys.empty()) {
    std::vector<rocksdb::PinnableSlice> values(lookup_keys.size());
    std::vector<rocksdb::Status> statuses(lookup_keys.size());
    db_->MultiGet(rocksdb::ReadOptions(), ids_, lookup_keys.size(), lookup_keys.data(),
                  values.data(), statuses.data());
    for (size_t k = 0; k < lookup_keys.size(); ++k) {
      if (statuses[k].IsNotFound()) continue;
      if (!statuses[k].ok()) return FromRocksDB(statuses[k], "read ids");
      stored[lookup_index[k]] = format::DecodeUint64(values[k].ToStringView());
      any_known = true;
    }
  }
  if (any_known) return ResolveDuplicates(pending, stored, staged_same_id);

  // 2. Expected versions.
  Overlay local;
  for (const v1::ExpectedVersion& expected : pending.expected) {
    auto current = CurrentVersion(expected.stream(), group, local);
    if (!current.ok()) return current.status();
    bool ok = true;
    switch (expected.kind()) {
      case v1::ExpectedVersion::KIND_NO_STREAM:
        ok = *current == 0;
        break;
      case v1::ExpectedVersion::KIND_EXACT:
        ok = *current == expected.version();
        break;
      default:
        break;
    }
    if (!ok) {
      return absl::AbortedError(absl::StrCat(
          "stream ", expected.stream(), ": expected ", ExpectedText(expected), ", actual ",
          *current == 0 ? "no stream" : absl::StrCat("version ", *current)));
    }
  }

  // 3. Each event: references, creations, then its record.
  batch.SetSavePoint();
  // A rejected request leaves nothing in the batch; its events were staged in place and
  // are discarded with it.
  auto reject = [&](absl::Status status) {
    batch.RollbackToSavePoint().PermitUncheckedError();
    return status;
  };
  v1::AppendResponse response;
  *response.mutable_recorded_at() = ToTimestamp(recorded_at);
  uint64_t position = *next_position;
  format::Hash chain = *hash;
  for (size_t i = 0; i < n; ++i) {
    v1::Event& event = pending.events[i];
    const std::string& stream = event.stream();
    const std::string path = absl::StrCat("events[", i, "].");
    const EntityEffects effects = DescribeEntities(event);
    std::string first_reference_currency;
    for (size_t r = 0; r < effects.references.size(); ++r) {
      const EntityReference& ref = effects.references[r];
      auto found =
          FindEntity(format::EntityKey(stream, static_cast<char>(ref.kind), ref.id), group, local);
      if (!found.ok()) return reject(found.status());
      const std::string kind(EntityKindName(ref.kind));
      if (!found->has_value()) {
        return reject(absl::InvalidArgumentError(
            absl::StrCat(path, ref.field, ": no ", kind, " \"", ref.id, "\" in stream ", stream)));
      }
      const format::EntityValue& value = **found;
      if (r == 0) first_reference_currency = value.currency;
      const std::string& want =
          ref.currency_of_first_reference ? first_reference_currency : ref.currency;
      if (!want.empty() && !value.currency.empty() && want != value.currency) {
        return reject(absl::InvalidArgumentError(absl::StrCat(path, ref.field, ": currency ", want,
                                                              " differs from the ", kind,
                                                              "'s currency ", value.currency)));
      }
      if (ref.amount_minor >= 0 && value.amount_minor > 0 &&
          ref.amount_minor > value.amount_minor) {
        return reject(absl::InvalidArgumentError(
            absl::StrCat(path, ref.field, ": amount ", ref.amount_minor, " is above the ", kind,
                         "'s amount ", value.amount_minor)));
      }
    }
    for (const EntityCreation& creation : effects.creations) {
      const std::string key =
          format::EntityKey(stream, static_cast<char>(creation.kind), creation.id);
      auto found = FindEntity(key, group, local);
      if (!found.ok()) return reject(found.status());
      if (found->has_value() && !creation.replaces) {
        return reject(absl::AlreadyExistsError(
            absl::StrCat(path, creation.field, ": ", std::string(EntityKindName(creation.kind)),
                         " \"", creation.id, "\" already exists in stream ", stream, " (position ",
                         (*found)->position, ")")));
      }
      const format::EntityValue value{creation.currency, creation.amount_minor, position};
      local.entities[key] = value;
      batch.Put(entities_, key, format::EncodeEntity(value));
    }

    auto version = CurrentVersion(stream, group, local);
    if (!version.ok()) return reject(version.status());
    event.set_position(position);
    event.set_stream_version(*version + 1);
    *event.mutable_recorded_at() = ToTimestamp(recorded_at);
    event.set_actor(pending.actor);
    local.versions[stream] = *version + 1;
    local.ids[id_keys[i]] = &event;

    const std::string bytes = SerializeCanonical(event);
    chain = format::ChainHash(chain, position, bytes);
    batch.Put(log_, format::PositionKey(position), format::EncodeRecord(chain, bytes));
    batch.Put(streams_, format::StreamKey(stream, *version + 1), format::EncodeUint64(position));
    batch.Put(ids_, id_keys[i], format::EncodeUint64(position));
    event.set_hash(format::HashBytes(chain));
    response.add_positions(position);
    response.add_stream_versions(*version + 1);
    ++position;
  }
  batch.PopSavePoint().PermitUncheckedError();
  for (auto& [k, v] : local.versions) group.versions[k] = v;
  for (auto& [k, v] : local.ids) group.ids[k] = v;
  for (auto& [k, v] : local.entities) group.entities[k] = v;
  *next_position = position;
  *hash = chain;
  return response;
}

void EventStore::Impl::CommitGroup(std::vector<PendingAppend*>& group) {
  // Callbacks run after the commit, outside any lock; each pending append is freed here.
  auto finish = [&group] {
    for (PendingAppend* pending : group) {
      pending->done(std::move(pending->result));
      delete pending;
    }
  };
  if (!storage_failure_.ok()) {
    for (PendingAppend* pending : group) pending->result = storage_failure_;
    return finish();
  }
  // recorded_at never decreases along positions, so "known at T" is a prefix of the log.
  const absl::Time recorded_at = std::max(clock_->Now(), last_recorded_at_);
  Overlay overlay;
  rocksdb::WriteBatch batch;
  const uint64_t first_position = head_position_ + 1;
  uint64_t next_position = first_position;
  format::Hash hash = head_hash_;
  std::vector<bool> writes(group.size(), false);
  for (size_t g = 0; g < group.size(); ++g) {
    const uint64_t before = next_position;
    group[g]->result = Stage(*group[g], overlay, batch, &next_position, &hash, recorded_at);
    writes[g] = group[g]->result.ok() && next_position != before;
  }
  if (next_position == first_position) return finish();  // nothing new to write

  rocksdb::WriteOptions write;
  write.sync = options_.sync;
  rocksdb::Status s = db_->Write(write, &batch);
  if (!s.ok()) {
    // The store no longer knows what is on disk; refuse further appends until restart.
    storage_failure_ = FromRocksDB(s, "append");
    for (size_t g = 0; g < group.size(); ++g) {
      if (writes[g]) group[g]->result = storage_failure_;
    }
    return finish();
  }
  for (auto& [stream, version] : overlay.versions) {
    if (stream_versions_.size() >= options_.limits.max_cached_streams) stream_versions_.clear();
    stream_versions_[stream] = version;
  }
  head_position_ = next_position - 1;
  head_hash_ = hash;
  last_recorded_at_ = recorded_at;
  auto published = std::make_shared<std::vector<v1::Event>>();
  published->reserve(next_position - first_position);
  for (size_t g = 0; g < group.size(); ++g) {
    if (!writes[g]) continue;
    for (auto& event : group[g]->events) published->push_back(std::move(event));
  }
  feed_.Publish(std::move(published), format::HashBytes(head_hash_), recorded_at);
  finish();
}

absl::StatusOr<ReadPage> EventStore::Impl::ReadLog(uint64_t from, bool backward, uint32_t limit,
                                                   const v1::EventFilter& filter) const {
  ReadPage page;
  const uint64_t head = feed_.head_position();
  const uint32_t max_events = limit == 0 ? options_.limits.max_read_events
                                         : std::min(limit, options_.limits.max_read_events);
  if (head == 0) {
    page.end = true;
    return page;
  }
  uint64_t start =
      backward ? (from == 0 ? head : std::min(from, head)) : std::max<uint64_t>(from, 1);
  if (!backward && start > head) {
    page.end = true;
    return page;
  }
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), log_));
  if (backward) {
    it->SeekForPrev(format::PositionKey(start));
  } else {
    it->Seek(format::PositionKey(start));
  }
  uint32_t scanned = 0;
  while (true) {
    if (!it->Valid()) {
      page.end = true;
      break;
    }
    const uint64_t position = format::DecodeUint64(it->key().ToStringView());
    if (!backward && position > head) {
      page.end = true;
      break;
    }
    if (page.events.size() >= max_events || scanned >= options_.limits.max_scan_records) break;
    auto record = format::DecodeRecord(it->value().ToStringView());
    v1::Event event;
    if (!record || !event.ParseFromArray(record->event_bytes.data(),
                                         static_cast<int>(record->event_bytes.size()))) {
      return absl::DataLossError(
          absl::StrCat("the record at position ", position, " does not parse"));
    }
    ++scanned;
    page.scanned_to_position = position;
    if (MatchesFilter(event, filter)) {
      event.set_hash(format::HashBytes(record->hash));
      page.events.push_back(std::move(event));
    }
    if (backward) {
      it->Prev();
    } else {
      it->Next();
    }
  }
  if (!it->status().ok()) return FromRocksDB(it->status(), "read log");
  return page;
}

absl::StatusOr<ReadPage> EventStore::Impl::ReadStream(std::string_view stream,
                                                      uint64_t from_version, uint32_t limit,
                                                      const v1::EventFilter& filter) const {
  if (!IsValidStreamName(stream, options_.limits)) {
    return absl::InvalidArgumentError(
        absl::StrCat("stream: not a valid stream name: \"", std::string(stream), "\""));
  }
  ReadPage page;
  const uint64_t head = feed_.head_position();
  const uint32_t max_events = limit == 0 ? options_.limits.max_read_events
                                         : std::min(limit, options_.limits.max_read_events);
  const std::string prefix = format::StreamKey(stream, 0).substr(0, stream.size() + 1);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), streams_));
  uint32_t scanned = 0;
  for (it->Seek(format::StreamKey(stream, std::max<uint64_t>(from_version, 1)));; it->Next()) {
    if (!it->Valid() || !it->key().ToStringView().starts_with(prefix)) {
      page.end = true;
      break;
    }
    const uint64_t position = format::DecodeUint64(it->value().ToStringView());
    if (position > head) {
      page.end = true;
      break;
    }
    if (page.events.size() >= max_events || scanned >= options_.limits.max_scan_records) break;
    format::Hash hash;
    auto event = ReadEventAt(position, &hash);
    if (!event.ok()) return event.status();
    ++scanned;
    page.scanned_to_position = position;
    page.scanned_to_version =
        format::DecodeUint64(it->key().ToStringView().substr(stream.size() + 1));
    if (MatchesFilter(*event, filter)) {
      event->set_hash(format::HashBytes(hash));
      page.events.push_back(std::move(*event));
    }
  }
  if (!it->status().ok()) return FromRocksDB(it->status(), "read stream");
  return page;
}

absl::StatusOr<VerifyResult> EventStore::Impl::Verify(uint64_t from, uint64_t to) const {
  const uint64_t head = feed_.head_position();
  if (to == 0 || to > head) to = head;
  return VerifyLogChain(db_, log_, from, to);
}

// ---------------------------------------------------------------- projection storage

namespace {

absl::Status CheckProjectionName(std::string_view name, const Limits& limits) {
  if (!IsValidStreamName(name, limits)) {
    return absl::InvalidArgumentError(
        absl::StrCat("projection name: not valid: \"", std::string(name), "\""));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<uint64_t> EventStore::PositionKnownAt(absl::Time t) const {
  const Head h = head();
  if (h.position == 0) return 0;
  if (h.recorded_at <= t) return h.position;
  // Binary search for the last position with recorded_at <= t.
  uint64_t lo = 0;           // known: recorded_at(lo) <= t (position 0 stands for "nothing")
  uint64_t hi = h.position;  // known: recorded_at(hi) > t
  while (hi - lo > 1) {
    const uint64_t mid = lo + (hi - lo) / 2;
    auto page = ReadLog(mid, false, 1, {});
    if (!page.ok()) return page.status();
    if (page->events.empty())
      return absl::DataLossError(absl::StrCat("position ", mid, " is missing"));
    if (ToAbslTime(page->events[0].recorded_at()) <= t) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return lo;
}

absl::Status EventStore::SaveProjection(std::string_view name, uint64_t position,
                                        std::string_view state) {
  if (absl::Status s = CheckProjectionName(name, limits()); !s.ok()) return s;
  std::string value = format::EncodeUint64(position);
  value.append(state);
  rocksdb::WriteOptions write;
  write.sync = true;
  return FromRocksDB(
      impl_->db()->Put(write, impl_->projections_, rocksdb::Slice(name.data(), name.size()), value),
      "save projection");
}

absl::StatusOr<std::optional<StoredProjection>> EventStore::LoadProjection(
    std::string_view name) const {
  if (absl::Status s = CheckProjectionName(name, limits()); !s.ok()) return s;
  std::string value;
  rocksdb::Status s = impl_->db()->Get(rocksdb::ReadOptions(), impl_->projections_,
                                       rocksdb::Slice(name.data(), name.size()), &value);
  if (s.IsNotFound()) return std::nullopt;
  if (!s.ok()) return FromRocksDB(s, "load projection");
  if (value.size() < 8) return absl::DataLossError("a projections record is too short");
  StoredProjection out;
  out.position = format::DecodeUint64(value);
  out.state = value.substr(8);
  return out;
}

absl::Status EventStore::DeleteProjection(std::string_view name) {
  if (absl::Status s = CheckProjectionName(name, limits()); !s.ok()) return s;
  rocksdb::WriteBatch batch;
  batch.Delete(impl_->projections_, rocksdb::Slice(name.data(), name.size()));
  const std::string from = format::SnapshotKey(name, 0);
  const std::string to = format::SnapshotKey(name, UINT64_MAX);
  batch.DeleteRange(impl_->snapshots_, from, to);
  rocksdb::WriteOptions write;
  write.sync = true;
  return FromRocksDB(impl_->db()->Write(write, &batch), "delete projection");
}

absl::Status EventStore::SaveSnapshot(std::string_view name, const StoredSnapshot& snapshot) {
  if (absl::Status s = CheckProjectionName(name, limits()); !s.ok()) return s;
  std::string value = format::EncodeUint64(
      static_cast<uint64_t>(snapshot.max_occurred_at == absl::InfinitePast()
                                ? INT64_MIN
                                : absl::ToUnixMicros(snapshot.max_occurred_at)));
  value.append(snapshot.state);
  rocksdb::WriteOptions write;
  write.sync = true;
  return FromRocksDB(impl_->db()->Put(write, impl_->snapshots_,
                                      format::SnapshotKey(name, snapshot.position), value),
                     "save snapshot");
}

absl::StatusOr<std::optional<StoredSnapshot>> EventStore::FindSnapshot(std::string_view name,
                                                                       uint64_t max_position,
                                                                       absl::Time occurred_before,
                                                                       int max_candidates) const {
  if (absl::Status s = CheckProjectionName(name, limits()); !s.ok()) return s;
  const std::string prefix = format::SnapshotKey(name, 0).substr(0, name.size() + 1);
  std::unique_ptr<rocksdb::Iterator> it(
      impl_->db()->NewIterator(rocksdb::ReadOptions(), impl_->snapshots_));
  for (it->SeekForPrev(format::SnapshotKey(name, max_position));
       it->Valid() && max_candidates-- > 0; it->Prev()) {
    const std::string_view key = it->key().ToStringView();
    if (!key.starts_with(prefix) || key.size() != prefix.size() + 8) break;
    const std::string_view value = it->value().ToStringView();
    if (value.size() < 8) return absl::DataLossError("a snapshots record is too short");
    const int64_t micros = static_cast<int64_t>(format::DecodeUint64(value));
    const absl::Time max_occurred =
        micros == INT64_MIN ? absl::InfinitePast() : absl::FromUnixMicros(micros);
    if (max_occurred >= occurred_before) continue;
    StoredSnapshot out;
    out.position = format::DecodeUint64(key.substr(prefix.size()));
    out.max_occurred_at = max_occurred;
    out.state = std::string(value.substr(8));
    return out;
  }
  if (!it->status().ok()) return FromRocksDB(it->status(), "find snapshot");
  return std::nullopt;
}

absl::StatusOr<size_t> EventStore::CountSnapshots(std::string_view name) const {
  if (absl::Status s = CheckProjectionName(name, limits()); !s.ok()) return s;
  const std::string prefix = format::SnapshotKey(name, 0).substr(0, name.size() + 1);
  std::unique_ptr<rocksdb::Iterator> it(
      impl_->db()->NewIterator(rocksdb::ReadOptions(), impl_->snapshots_));
  size_t count = 0;
  for (it->Seek(prefix); it->Valid() && it->key().ToStringView().starts_with(prefix); it->Next()) {
    ++count;
  }
  return count;
}

bool MatchesFilter(const v1::Event& event, const v1::EventFilter& filter) {
  if (!filter.stream_prefix().empty() &&
      !std::string_view(event.stream()).starts_with(filter.stream_prefix())) {
    return false;
  }
  if (!filter.types().empty()) {
    const std::string_view type = EventTypeName(event);
    bool any = false;
    for (const auto& t : filter.types()) any = any || t == type;
    if (!any) return false;
  }
  if (filter.has_occurred_from() && event.occurred_at() < filter.occurred_from()) return false;
  if (filter.has_occurred_to() && !(event.occurred_at() < filter.occurred_to())) return false;
  return true;
}

absl::Status ValidateFilter(const v1::EventFilter& filter) {
  for (int i = 0; i < filter.types_size(); ++i) {
    if (!IsKnownEventType(filter.types(i))) {
      return absl::InvalidArgumentError(
          absl::StrCat("filter.types[", i, "]: unknown event type \"", filter.types(i),
                       "\" (type names are payload message names such as InvoiceIssued)"));
    }
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------- EventStore

EventStore::EventStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
EventStore::~EventStore() = default;

absl::StatusOr<std::unique_ptr<EventStore>> EventStore::Open(const EventStoreOptions& options) {
  auto impl = std::make_unique<Impl>(options);
  if (absl::Status s = impl->Open(); !s.ok()) return s;
  return std::unique_ptr<EventStore>(new EventStore(std::move(impl)));
}

absl::StatusOr<v1::AppendResponse> EventStore::Append(const v1::AppendRequest& request,
                                                      std::string_view actor) {
  absl::Notification done;
  absl::StatusOr<v1::AppendResponse> result;
  impl_->AppendAsync(request, actor, [&](absl::StatusOr<v1::AppendResponse> r) {
    result = std::move(r);
    done.Notify();
  });
  done.WaitForNotification();
  return result;
}

void EventStore::AppendAsync(const v1::AppendRequest& request, std::string_view actor,
                             AppendCallback done) {
  impl_->AppendAsync(request, actor, std::move(done));
}

absl::StatusOr<ReadPage> EventStore::ReadLog(uint64_t from_position, bool backward, uint32_t limit,
                                             const v1::EventFilter& filter) const {
  return impl_->ReadLog(from_position, backward, limit, filter);
}

absl::Status EventStore::ForEachEvent(uint64_t from_position, uint64_t to_position,
                                      const v1::EventFilter& filter,
                                      absl::FunctionRef<absl::Status(const v1::Event&)> fn) const {
  const uint64_t head_position = head().position;
  if (to_position == 0 || to_position > head_position) to_position = head_position;
  from_position = std::max<uint64_t>(from_position, 1);
  if (from_position > to_position) return absl::OkStatus();
  rocksdb::ReadOptions read;
  const std::string upper = format::PositionKey(to_position + 1);
  rocksdb::Slice upper_bound(upper);
  read.iterate_upper_bound = &upper_bound;
  read.readahead_size = 2 << 20;  // a long sequential scan
  std::unique_ptr<rocksdb::Iterator> it(impl_->db()->NewIterator(read, impl_->log_family()));
  v1::Event event;
  for (it->Seek(format::PositionKey(from_position)); it->Valid(); it->Next()) {
    auto record = format::DecodeRecord(it->value().ToStringView());
    event.Clear();
    if (!record || !event.ParseFromArray(record->event_bytes.data(),
                                         static_cast<int>(record->event_bytes.size()))) {
      return absl::DataLossError(absl::StrCat("the record at position ",
                                              format::DecodeUint64(it->key().ToStringView()),
                                              " does not parse"));
    }
    if (!MatchesFilter(event, filter)) continue;
    event.set_hash(reinterpret_cast<const char*>(record->hash.data()), record->hash.size());
    if (absl::Status s = fn(event); !s.ok()) return s;
  }
  return FromRocksDB(it->status(), "scan log");
}

absl::StatusOr<ReadPage> EventStore::ReadStream(std::string_view stream, uint64_t from_version,
                                                uint32_t limit,
                                                const v1::EventFilter& filter) const {
  return impl_->ReadStream(stream, from_version, limit, filter);
}

absl::StatusOr<uint64_t> EventStore::StreamVersion(std::string_view stream) const {
  return impl_->StoredStreamVersion(stream);
}

Head EventStore::head() const { return impl_->head(); }

absl::StatusOr<VerifyResult> EventStore::Verify(uint64_t from_position,
                                                uint64_t to_position) const {
  return impl_->Verify(from_position, to_position);
}

absl::StatusOr<std::unique_ptr<Subscription>> EventStore::Subscribe(uint64_t after_position,
                                                                    const v1::EventFilter& filter) {
  if (absl::Status s = ValidateFilter(filter); !s.ok()) return s;
  if (!impl_->feed()->AcquireSlot(impl_->limits().max_subscriptions)) {
    return absl::ResourceExhaustedError(absl::StrCat("more than max_subscriptions (",
                                                     impl_->limits().max_subscriptions,
                                                     ") subscriptions are open"));
  }
  return MakeSubscription(this, impl_->feed(), after_position, filter);
}

void EventStore::Shutdown() { impl_->Shutdown(); }

rocksdb::DB* StoreDatabase(const EventStore& store) { return store.impl()->db(); }

const Limits& EventStore::limits() const { return impl_->limits(); }

}  // namespace sixhearts::ledger
