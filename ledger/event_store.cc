// The event store: open and recovery, the single writer with group commit, reads,
// verification. Key layout and hashing: ledger/FORMAT.md, implemented in format.cc.
#include "ledger/event_store.h"

#include <openssl/rand.h>
#include <unistd.h>

#include <bitset>
#include <cerrno>
#include <cstring>
#include <deque>
#include <filesystem>
#include <optional>
#include <thread>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/util/time_util.h"
#include "ledger/dates.h"
#include "ledger/event_types.h"
#include "ledger/format.h"
#include "ledger/live_feed.h"
#include "ledger/log_chain.h"
#include "ledger/merkle_store.h"
#include "ledger/personal_data.h"
#include "ledger/quoted.h"
#include "ledger/rocksdb_status.h"
#include "ledger/subscription.h"
#include "ledger/validate.h"
#include "ledger/writer.h"
#include "rocksdb/db.h"
#include "rocksdb/env.h"
#include "rocksdb/file_system.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/memtablerep.h"
#include "rocksdb/slice_transform.h"
#include "rocksdb/statistics.h"
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

// 16 random bytes shaped as a version 4 UUID.
std::string RandomUuidBytes() {
  std::string bytes(16, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), 16) != 1) std::abort();
  bytes[6] = static_cast<char>((bytes[6] & 0x0f) | 0x40);
  bytes[8] = static_cast<char>((bytes[8] & 0x3f) | 0x80);
  return bytes;
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

// Buckets of the hashed memtables of `ids` and `entities` (a few MB of pointers each).
constexpr size_t kMemtableHashBuckets = 1 << 18;

// Marks a status as damage of the log itself (a gap, a record that does not parse or fails
// its chain), which stops appends (EventStore::Impl::NoteDamage), apart from other
// DATA_LOSS (a projection row, a key) and from the caller's own errors.
constexpr char kLogDamagePayload[] = "type.sixhearts.ledger/LogDamage";

absl::Status LogDamage(absl::Status status) {
  status.SetPayload(kLogDamagePayload, absl::Cord("1"));
  return status;
}

bool IsLogDamage(const absl::Status& status) {
  return status.GetPayload(kLogDamagePayload).has_value();
}

absl::Status GapError(uint64_t position) {
  return LogDamage(
      absl::DataLossError(absl::StrCat("the log has a gap: position ", position, " is missing")));
}

absl::Status DoesNotParseError(uint64_t position) {
  return LogDamage(
      absl::DataLossError(absl::StrCat("the record at position ", position, " does not parse")));
}

// A record read back must hash, chained to the stored hash of the record before it, to its
// own stored hash (FORMAT.md "The hash chain"); otherwise its bytes changed after they were
// written. Every read checks every record it passes, those a scan skips unparsed included
// (only the raw bytes are hashed), so a damaged record is named by its position instead of
// being served (README "Storage faults").
absl::Status CheckChained(uint64_t position, const format::Hash& previous,
                          const format::RecordView& record) {
  const format::Hash computed = format::ChainHashOfEvent(previous, position, record.event_bytes);
  if (computed != record.hash) {
    return LogDamage(absl::DataLossError(absl::StrCat(
        "the record at position ", position, " fails its chain hash (stored ",
        format::HashToHex(record.hash), ", recomputed ", format::HashToHex(computed),
        "): the log is damaged; Verify names the first bad position, a backup can replace it")));
  }
  return absl::OkStatus();
}

// The parsed event of a record that passed CheckChained must name the record's position.
absl::Status CheckNamesPosition(uint64_t position, const v1::Event& event) {
  if (event.position() != position) {
    return LogDamage(absl::DataLossError(absl::StrCat(
        "the record at position ", position, " holds the event of position ", event.position())));
  }
  return absl::OkStatus();
}

// CheckChained over records read forward: each must also follow the one before it, without
// a gap.
class ForwardChainCheck {
 public:
  // `previous`: the stored hash of position `next - 1`.
  ForwardChainCheck(uint64_t next, const format::Hash& previous)
      : next_(next), previous_(previous) {}

  absl::Status Check(uint64_t position, const format::RecordView& record) {
    if (position != next_) return GapError(next_);
    if (absl::Status s = CheckChained(position, previous_, record); !s.ok()) return s;
    previous_ = record.hash;
    ++next_;
    return absl::OkStatus();
  }

  // The end of a scan meant to reach `to`: the iterator's error, named by the position it
  // was at, or a gap when the log ended early.
  absl::Status End(const rocksdb::Status& iterator, const char* what, uint64_t to) const {
    if (!iterator.ok()) return FromRocksDB(iterator, absl::StrCat(what, " at position ", next_));
    if (next_ <= to) return GapError(next_);
    return absl::OkStatus();
  }

  uint64_t next() const { return next_; }

 private:
  uint64_t next_;
  format::Hash previous_;
};

// Decides from a record's bytes, before any parse, that a scan filtered by type can skip
// it: most of a log's events are of types a given fold ignores, and a parse costs more than
// reading the payload tag.
class TypePrefilter {
 public:
  explicit TypePrefilter(const v1::EventFilter& filter) {
    for (const auto& type : filter.types()) {
      const int field = PayloadFieldNumber(type);
      if (field > 0 && field < kMaxField) allowed_.set(field);
    }
    active_ = allowed_.any();
  }
  bool Skip(std::string_view event_bytes) const {
    if (!active_) return false;
    const int field = PeekPayloadFieldNumber(event_bytes);
    return field != 0 && !allowed_.test(field);  // 0: let the full parse judge the bytes
  }

 private:
  static constexpr int kMaxField = 1024;
  std::bitset<kMaxField> allowed_;
  bool active_ = false;
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
  // Read replica: open `primary_dir` as a RocksDB secondary and follow it.
  absl::Status OpenReplica(const std::string& primary_dir, absl::Duration catch_up_interval);
  const std::string& replica_of() const { return replica_of_; }
  void Shutdown();
  // `ledger_events`: the request comes from the store itself (EraseSubject) and may hold
  // events callers may not append.
  void AppendAsync(const v1::AppendRequest& request, std::string_view actor, AppendCallback done,
                   bool ledger_events = false);
  // Opens the sealed personal data of an event read from the log.
  absl::Status OpenEvent(v1::Event& event) const {
    if (!HasSealedPersonalData(event)) return absl::OkStatus();
    return ::sixhearts::ledger::OpenPersonalData(event, *keys_);
  }
  KeyStore* keys() const { return keys_.get(); }
  absl::StatusOr<ReadPage> ReadLog(uint64_t from, bool backward, uint32_t limit,
                                   const v1::EventFilter& filter) const;
  absl::StatusOr<ReadPage> ReadStream(std::string_view stream, uint64_t from_version,
                                      uint32_t limit, const v1::EventFilter& filter) const;
  absl::StatusOr<StreamTip> StoredStreamTip(std::string_view stream) const {
    return ::sixhearts::ledger::StoredStreamTip(db_, streams_, stream);
  }
  absl::StatusOr<VerifyResult> Verify(uint64_t from, uint64_t to) const;
  Head head() const {
    Head h;
    feed_.head(&h.position, &h.hash, &h.recorded_at);
    return h;
  }

  // Damage of the log found by a read or at open (IsLogDamage): from the first, appends are
  // refused (nothing is chained onto damage) and on_storage_failure runs; reads of the
  // intact ranges go on. Counted by the observer each time it is found. Thread-safe.
  void NoteDamage(const absl::Status& found) const;
  // `status`, after noting it when it reports damage of the log.
  absl::Status Noted(absl::Status status) const {
    if (IsLogDamage(status)) NoteDamage(status);
    return status;
  }
  template <typename T>
  absl::StatusOr<T> Noted(absl::StatusOr<T> result) const {
    if (!result.ok() && IsLogDamage(result.status())) NoteDamage(result.status());
    return result;
  }
  // OK, or the first damage noted.
  absl::Status damage() const {
    absl::MutexLock lock(&damage_mu_);
    return damage_;
  }

  const Limits& limits() const { return options_.limits; }
  LiveFeed* feed() { return &feed_; }
  absl::Time Now() const { return clock_->Now(); }

  // A cut at `t` has been answered: waits for a group being committed, then makes every
  // later group's recorded_at later than `t`, so the cut never gains an event (FORMAT.md
  // "What one append writes").
  void SealCut(absl::Time t) {
    if (writer_ != nullptr) writer_->SealCut(t);
  }
  // EraseSubject's append has an outcome and the key is destroyed, or the erasure failed.
  void EndErasure(std::string_view subject, std::string_view event_id) {
    if (writer_ != nullptr) writer_->EndErasure(subject, event_id);
  }
  const LiveFeed* feed() const { return &feed_; }
  const EventStoreOptions& options() const { return options_; }
  const std::vector<rocksdb::ColumnFamilyHandle*>& handles() const { return handles_; }

 public:
  // The event at `position`, chain-checked against its predecessor and opened.
  absl::StatusOr<v1::Event> ReadEventAt(uint64_t position, format::Hash* hash) const;
  // The chain hash stored with the record at `position` (the zero hash for 0).
  absl::StatusOr<format::Hash> StoredHashAt(uint64_t position) const;

 private:
  EventStoreOptions options_;
  Clock* clock_;
  // Wraps options_.file_system when one is given; outlives db_.
  std::unique_ptr<rocksdb::Env> env_;
  rocksdb::DB* db_ = nullptr;
  std::unique_ptr<KeyStore> keys_;
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
  // Stops the catch-up thread's loop; Shutdown runs once.
  absl::Mutex stop_mu_;
  bool stopping_ ABSL_GUARDED_BY(stop_mu_) = false;
  // The append path of a primary (ledger/writer.h); null on a replica.
  std::unique_ptr<Writer> writer_;

  // The head recovered at open; then a replica's catch-up thread owns them.
  uint64_t head_position_ = 0;
  format::Hash head_hash_{};
  absl::Time last_recorded_at_ = absl::InfinitePast();

  mutable absl::Mutex damage_mu_;
  mutable absl::Status damage_ ABSL_GUARDED_BY(damage_mu_);

  LiveFeed feed_;

  // Read replica only (replica_of_ non-empty): the primary's directory, and the thread
  // that catches up with it and publishes new records (it owns head_position_,
  // head_hash_ and last_recorded_at_ then, as the writer does on a primary).
  void CatchUpLoop();
  absl::Status CatchUpOnce();
  std::string replica_of_;
  absl::Duration catch_up_interval_ = absl::Milliseconds(100);
  std::thread catch_up_;
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
  // One thread writes the log's families (the commit thread, ledger/writer.h), one batch at
  // a time, so nothing is lost without concurrent memtable inserts, and the `ids` and
  // `entities` families can have hashed memtables, which only the skiplist lacks.
  db_options.allow_concurrent_memtable_write = false;
  db_options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  if (options_.statistics) db_options.statistics = rocksdb::CreateDBStatistics();
  if (options_.file_system != nullptr) {
    env_ = rocksdb::NewCompositeEnv(options_.file_system);
    db_options.env = env_.get();
  }

  auto cache = rocksdb::NewLRUCache(options_.block_cache_bytes);
  // Memtable insert hints: keys of the log (positions) and of one stream (versions)
  // arrive in order, so each insert starts where the last one of its prefix ended.
  static const std::shared_ptr<const rocksdb::SliceTransform> kStreamPrefix =
      std::make_shared<StreamPrefixTransform>();
  static const std::shared_ptr<const rocksdb::SliceTransform> kPositionPrefix(
      rocksdb::NewFixedPrefixTransform(2));
  // The Merkle tree's nodes arrive in order within each level ("tree" 0x00 level), but
  // the levels interleave: one hint per level keeps each insert next to the last one of
  // its level instead of a search of the whole memtable.
  static const std::shared_ptr<const rocksdb::SliceTransform> kTreeLevelPrefix(
      rocksdb::NewFixedPrefixTransform(6));
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
  // Families read only by exact key (Get, MultiGet; never iterated) whose keys arrive in
  // no order: a memtable hashed on `prefix` puts each key in a small bucket instead of
  // searching one skiplist of the whole memtable on every insert, the writer's largest
  // cost (an id is 16 random bytes; an object key starts with its stream).
  auto hashed = [](rocksdb::ColumnFamilyOptions cf,
                   std::shared_ptr<const rocksdb::SliceTransform> prefix) {
    cf.prefix_extractor = std::move(prefix);
    cf.memtable_factory.reset(rocksdb::NewHashSkipListRepFactory(kMemtableHashBuckets));
    return cf;
  };
  static const std::shared_ptr<const rocksdb::SliceTransform> kWholeIdKey(
      rocksdb::NewFixedPrefixTransform(16));
  // Projection states and snapshots are values of up to hundreds of MB: blob files keep
  // them out of the LSM tree, so compactions do not rewrite them.
  auto with_blobs = [](rocksdb::ColumnFamilyOptions cf) {
    cf.enable_blob_files = true;
    cf.min_blob_size = 64 << 10;
    cf.blob_compression_type = rocksdb::kLZ4Compression;
    return cf;
  };
  std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, family(false, kTreeLevelPrefix)},
      {format::kLogFamily, family(false, kPositionPrefix)},
      {format::kStreamsFamily, family(true, kStreamPrefix)},
      {format::kIdsFamily, hashed(family(true), kWholeIdKey)},
      {format::kEntitiesFamily, hashed(family(true), kStreamPrefix)},
      {format::kProjectionsFamily, with_blobs(family(false))},
      {format::kSnapshotsFamily, with_blobs(family(false))},
  };
  rocksdb::Status s;
  if (replica_of_.empty()) {
    s = rocksdb::DB::Open(db_options, dir, families, &handles_, &db_);
  } else {
    // A secondary keeps every file it reads open (RocksDB requires max_open_files -1),
    // so the primary's compactions cannot remove them from under it.
    db_options.max_open_files = -1;
    s = rocksdb::DB::OpenAsSecondary(db_options, replica_of_, dir, families, &handles_, &db_);
  }
  if (!s.ok()) {
    return FromRocksDB(s, absl::StrCat("open ", replica_of_.empty() ? dir : replica_of_));
  }
  log_ = handles_[1];
  streams_ = handles_[2];
  ids_ = handles_[3];
  entities_ = handles_[4];
  projections_ = handles_[5];
  snapshots_ = handles_[6];

  std::string version;
  s = db_->Get(rocksdb::ReadOptions(), handles_[0], format::kMetaFormatKey, &version);
  if (s.IsNotFound() && !replica_of_.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("replica_of: ", replica_of_, " is not a ledger data directory"));
  } else if (s.IsNotFound()) {
    rocksdb::WriteOptions write;
    write.sync = true;
    s = db_->Put(write, handles_[0], format::kMetaFormatKey, format::kFormatVersion);
    if (!s.ok()) return FromRocksDB(s, "write format version");
  } else if (!s.ok()) {
    return FromRocksDB(s, "read format version");
  } else if (version != format::kFormatVersion) {
    return absl::FailedPreconditionError(
        absl::StrCat(dir, " holds ledger format ", version, "; this build reads format ",
                     format::kFormatVersion, " only (ledger/FORMAT.md \"Compatibility\")"));
  }

  // A replica reads the primary's keystore (by default the primary's DATA_DIR.keys)
  // without its lock, and follows its new and destroyed keys.
  const std::string keys_dir = !options_.keys_dir.empty()
                                   ? options_.keys_dir
                                   : absl::StrCat(replica_of_.empty() ? dir : replica_of_, ".keys");
  auto keys = replica_of_.empty()
                  ? KeyStore::Open(keys_dir, options_.limits.max_cached_keys)
                  : KeyStore::OpenFollower(keys_dir, absl::StrCat(dir, "/keys-follower"),
                                           options_.limits.max_cached_keys);
  if (!keys.ok()) return keys.status();
  keys_ = std::move(*keys);

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
    // The head is what the next append chains onto: check it before the first one.
    if (replica_of_.empty()) {
      auto previous = StoredHashAt(head_position_ - 1);
      absl::Status chain =
          previous.ok() ? CheckChained(head_position_, *previous, *record) : previous.status();
      if (chain.ok()) chain = CheckNamesPosition(head_position_, last);
      if (!Noted(chain).ok() && !IsLogDamage(chain)) return chain;
    }
  }
  if (!it->status().ok()) return FromRocksDB(it->status(), "recover head");
  feed_.Reset(head_position_, format::HashBytes(head_hash_), last_recorded_at_);
  if (replica_of_.empty()) {
    auto tree = merkle::BuildTree(db_, handles_[0], log_, head_position_, options_.on_progress);
    if (!tree.ok()) return tree.status();
    writer_ = std::make_unique<Writer>(
        options_, clock_,
        Writer::Target{db_, handles_[0], log_, streams_, ids_, entities_, keys_.get(), &feed_},
        Writer::Head{head_position_, head_hash_, last_recorded_at_}, std::move(tree->writer),
        [this](uint64_t position) { return ReadEventAt(position, nullptr); },
        [this] { return damage(); });
  } else {
    catch_up_ = std::thread([this] { CatchUpLoop(); });
  }
  return absl::OkStatus();
}

absl::Status EventStore::Impl::OpenReplica(const std::string& primary_dir,
                                           absl::Duration catch_up_interval) {
  if (primary_dir.empty()) return absl::InvalidArgumentError("replica_of: required");
  if (!std::filesystem::is_directory(primary_dir)) {
    return absl::FailedPreconditionError(
        absl::StrCat("replica_of: ", primary_dir, " is not a directory"));
  }
  // The replica's own RocksDB logs go to data_dir; in the primary's directory they would
  // mix with the primary's files.
  std::error_code ec;
  if (std::filesystem::weakly_canonical(primary_dir, ec) ==
      std::filesystem::weakly_canonical(options_.data_dir, ec)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "data_dir: a replica needs its own directory, not the primary's ", primary_dir));
  }
  replica_of_ = primary_dir;
  catch_up_interval_ = catch_up_interval;
  return Open();
}

void EventStore::Impl::CatchUpLoop() {
  while (true) {
    {
      absl::MutexLock lock(&stop_mu_);
      stop_mu_.AwaitWithTimeout(absl::Condition(&stopping_), catch_up_interval_);
      if (stopping_) return;
    }
    // A failed catch-up (the primary mid-compaction, a file gone) is retried on the next
    // tick; the replica keeps serving what it has. The keys first: the primary creates a
    // key before it appends what the key seals.
    keys_->CatchUp().IgnoreError();
    CatchUpOnce().IgnoreError();
  }
}

absl::Status EventStore::Impl::CatchUpOnce() {
  rocksdb::Status s = db_->TryCatchUpWithPrimary();
  if (!s.ok()) return FromRocksDB(s, "catch up with the primary");
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), log_));
  auto published = std::make_shared<std::vector<v1::Event>>();
  for (it->Seek(format::PositionKey(head_position_ + 1)); it->Valid(); it->Next()) {
    const uint64_t position = format::DecodeUint64(it->key().ToStringView());
    auto record = format::DecodeRecord(it->value().ToStringView());
    v1::Event event;
    if (position != head_position_ + 1 || !record ||
        !event.ParseFromArray(record->event_bytes.data(),
                              static_cast<int>(record->event_bytes.size()))) {
      return absl::DataLossError(absl::StrCat("replica: the record at position ", position,
                                              " does not follow ", head_position_,
                                              " or does not parse"));
    }
    if (absl::Status s = CheckChained(position, head_hash_, *record); !s.ok()) return s;
    if (absl::Status s = CheckNamesPosition(position, event); !s.ok()) return s;
    // Subscribers and projections get events opened, as the primary publishes them.
    if (absl::Status s = OpenEvent(event); !s.ok()) return s;
    event.set_hash(format::HashBytes(record->hash));
    head_position_ = position;
    head_hash_ = record->hash;
    last_recorded_at_ = ToAbslTime(event.recorded_at());
    published->push_back(std::move(event));
    // Publish in bounded batches, as the writer's groups are bounded.
    if (published->size() >= options_.limits.max_group_events) {
      feed_.Publish(std::move(published), format::HashBytes(head_hash_), last_recorded_at_);
      published = std::make_shared<std::vector<v1::Event>>();
    }
  }
  if (!published->empty()) {
    feed_.Publish(std::move(published), format::HashBytes(head_hash_), last_recorded_at_);
  }
  if (!it->status().ok()) return FromRocksDB(it->status(), "replica: read new records");
  return absl::OkStatus();
}

void EventStore::Impl::Shutdown() {
  {
    absl::MutexLock lock(&stop_mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  if (writer_ != nullptr) writer_->Shutdown();
  if (catch_up_.joinable()) catch_up_.join();
  feed_.Close();
}

void EventStore::Impl::AppendAsync(const v1::AppendRequest& request, std::string_view actor,
                                   AppendCallback done, bool ledger_events) {
  if (options_.observer != nullptr) {
    done = [observer = options_.observer, events = static_cast<size_t>(request.events_size()),
            start = absl::Now(), done = std::move(done)](absl::StatusOr<v1::AppendResponse> r) {
      observer->OnAppendDone(events, r.status(), r.ok() && r->duplicate(), absl::Now() - start);
      done(std::move(r));
    };
  }
  if (!replica_of_.empty()) {
    done(absl::FailedPreconditionError(
        absl::StrCat("this ledger is a read replica of ", replica_of_, "; append to the primary")));
    return;
  }
  writer_->Append(request, actor, std::move(done), ledger_events);
}

absl::StatusOr<v1::Event> EventStore::Impl::ReadEventAt(uint64_t position,
                                                        format::Hash* hash) const {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), log_, format::PositionKey(position), &value);
  if (s.IsNotFound()) return GapError(position);  // an index names a position the log lacks
  if (!s.ok()) return FromRocksDB(s, absl::StrCat("read position ", position));
  auto record = format::DecodeRecord(value);
  if (!record) return DoesNotParseError(position);
  auto previous = StoredHashAt(position - 1);
  if (!previous.ok()) return previous.status();
  if (absl::Status s = CheckChained(position, *previous, *record); !s.ok()) return s;
  v1::Event event;
  if (!event.ParseFromArray(record->event_bytes.data(),
                            static_cast<int>(record->event_bytes.size()))) {
    return DoesNotParseError(position);
  }
  if (absl::Status s = CheckNamesPosition(position, event); !s.ok()) return s;
  if (absl::Status s = OpenEvent(event); !s.ok()) return s;
  if (hash != nullptr) *hash = record->hash;
  return event;
}

absl::StatusOr<format::Hash> EventStore::Impl::StoredHashAt(uint64_t position) const {
  if (position == 0) return format::ZeroHash();
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), log_, format::PositionKey(position), &value);
  if (s.IsNotFound()) return GapError(position);
  if (!s.ok()) return FromRocksDB(s, absl::StrCat("read position ", position));
  auto record = format::DecodeRecord(value);
  if (!record) return DoesNotParseError(position);
  return record->hash;
}

void EventStore::Impl::NoteDamage(const absl::Status& found) const {
  if (options_.observer != nullptr) options_.observer->OnLogDamage(found);
  {
    absl::MutexLock lock(&damage_mu_);
    if (!damage_.ok()) return;
    damage_ = found;
  }
  if (options_.on_storage_failure) options_.on_storage_failure(found);
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
  // Forward, each record is checked against the one read before it; backward, against the
  // stored hash of the one before it in the log.
  std::optional<ForwardChainCheck> forward;
  if (!backward) {
    auto previous = StoredHashAt(start - 1);
    if (!previous.ok()) return Noted(previous.status());
    forward.emplace(start, *previous);
  }
  uint32_t scanned = 0;
  // Damage ends the page after the intact records before it, so that a reader (a
  // subscriber too) gets every position up to the damage; the next page starts there and
  // is refused.
  auto damaged = [&](const absl::Status& found) -> absl::StatusOr<ReadPage> {
    if (!IsLogDamage(found)) return found;
    NoteDamage(found);
    if (scanned > 0) return page;
    return found;
  };
  while (true) {
    if (!it->Valid()) {
      if (forward && it->status().ok() && forward->next() <= head) {
        return damaged(GapError(forward->next()));
      }
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
    if (!record) return damaged(DoesNotParseError(position));
    if (forward) {
      if (absl::Status s = forward->Check(position, *record); !s.ok()) return damaged(s);
    } else {
      auto previous = StoredHashAt(position - 1);
      if (!previous.ok()) return damaged(previous.status());
      if (absl::Status s = CheckChained(position, *previous, *record); !s.ok()) return damaged(s);
    }
    v1::Event event;
    if (!event.ParseFromArray(record->event_bytes.data(),
                              static_cast<int>(record->event_bytes.size()))) {
      return damaged(DoesNotParseError(position));
    }
    if (absl::Status s = CheckNamesPosition(position, event); !s.ok()) return damaged(s);
    ++scanned;
    page.scanned_to_position = position;
    if (MatchesFilter(event, filter)) {
      if (absl::Status s = OpenEvent(event); !s.ok()) return s;
      event.set_hash(format::HashBytes(record->hash));
      page.events.push_back(std::move(event));
    }
    if (backward) {
      it->Prev();
    } else {
      it->Next();
    }
  }
  if (!it->status().ok()) {
    // The position the read was at: forward the next one expected; backward the one below
    // the last record read.
    const uint64_t at = forward                         ? forward->next()
                        : page.scanned_to_position == 0 ? start
                                                        : page.scanned_to_position - 1;
    return FromRocksDB(it->status(), absl::StrCat("read log at position ", at));
  }
  return page;
}

absl::StatusOr<ReadPage> EventStore::Impl::ReadStream(std::string_view stream,
                                                      uint64_t from_version, uint32_t limit,
                                                      const v1::EventFilter& filter) const {
  if (!IsValidStreamName(stream, options_.limits)) {
    return absl::InvalidArgumentError(
        absl::StrCat("stream: not a valid stream name: ", QuotedInput(stream)));
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
  // A position beyond the head does not exist: checking it cannot say "ok".
  if (from > head) {
    return absl::OutOfRangeError(
        absl::StrCat("from_position: ", from, " is beyond the head ", head));
  }
  if (to > head) {
    return absl::OutOfRangeError(absl::StrCat("to_position: ", to, " is beyond the head ", head));
  }
  if (to == 0) to = head;
  return VerifyLogChain(db_, log_, from, to);
}

// ---------------------------------------------------------------- projection storage

namespace {

absl::Status CheckProjectionName(std::string_view name, const Limits& limits) {
  if (!IsValidStreamName(name, limits)) {
    return absl::InvalidArgumentError(
        absl::StrCat("projection name: not valid: ", QuotedInput(name)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<uint64_t> EventStore::PositionKnownAt(absl::Time t) const {
  Head h = head();
  if (h.position == 0 || h.recorded_at <= t) {
    // The cut reaches the head: let a group being committed land, and record later ones
    // after t, so that asking again gives the same events.
    impl_->SealCut(t);
    h = head();
  }
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
  // A replica never writes into the primary's directory; its projections live in memory.
  if (!impl_->replica_of().empty()) return absl::OkStatus();
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
  // A replica never writes into the primary's directory; its projections live in memory.
  if (!impl_->replica_of().empty()) return absl::OkStatus();
  if (absl::Status s = CheckProjectionName(name, limits()); !s.ok()) return s;
  rocksdb::WriteBatch batch;
  batch.Delete(impl_->projections_, rocksdb::Slice(name.data(), name.size()));
  // Snapshots (name 0x00 ...) and their index (name 0x01 ...).
  const std::string from = std::string(name) + '\x00';
  const std::string to = std::string(name) + '\x02';
  batch.DeleteRange(impl_->snapshots_, from, to);
  rocksdb::WriteOptions write;
  write.sync = true;
  return FromRocksDB(impl_->db()->Write(write, &batch), "delete projection");
}

absl::Status EventStore::SaveSnapshot(std::string_view name, const StoredSnapshot& snapshot) {
  // A replica never writes into the primary's directory; its projections live in memory.
  if (!impl_->replica_of().empty()) return absl::OkStatus();
  if (absl::Status s = CheckProjectionName(name, limits()); !s.ok()) return s;
  const std::string max_occurred = format::EncodeUint64(
      static_cast<uint64_t>(snapshot.max_occurred_at == absl::InfinitePast()
                                ? INT64_MIN
                                : absl::ToUnixMicros(snapshot.max_occurred_at)));
  std::string value;
  value.reserve(max_occurred.size() + snapshot.state.size());
  value.append(max_occurred);
  value.append(snapshot.state);
  rocksdb::WriteBatch batch;
  batch.Put(impl_->snapshots_, format::SnapshotKey(name, snapshot.position), value);
  batch.Put(impl_->snapshots_, format::SnapshotIndexKey(name, snapshot.position), max_occurred);
  // A cache: no WAL, no sync (the header comment says what a crash costs). The snapshot
  // and its index entry are one batch, so neither is ever found without the other.
  rocksdb::WriteOptions write;
  write.disableWAL = true;
  return FromRocksDB(impl_->db()->Write(write, &batch), "save snapshot");
}

absl::StatusOr<std::optional<StoredSnapshot>> EventStore::FindSnapshot(std::string_view name,
                                                                       uint64_t max_position,
                                                                       absl::Time occurred_before,
                                                                       int max_candidates) const {
  if (absl::Status s = CheckProjectionName(name, limits()); !s.ok()) return s;
  const std::string prefix = std::string(name) + '\x01';
  std::unique_ptr<rocksdb::Iterator> it(
      impl_->db()->NewIterator(rocksdb::ReadOptions(), impl_->snapshots_));
  for (it->SeekForPrev(format::SnapshotIndexKey(name, max_position));
       it->Valid() && max_candidates-- > 0; it->Prev()) {
    const std::string_view key = it->key().ToStringView();
    if (!key.starts_with(prefix) || key.size() != prefix.size() + 8) break;
    const std::string_view index_value = it->value().ToStringView();
    if (index_value.size() != 8)
      return absl::DataLossError("a snapshot index record is not 8 bytes");
    const int64_t micros = static_cast<int64_t>(format::DecodeUint64(index_value));
    const absl::Time max_occurred =
        micros == INT64_MIN ? absl::InfinitePast() : absl::FromUnixMicros(micros);
    if (max_occurred >= occurred_before) continue;
    const uint64_t position = format::DecodeUint64(key.substr(prefix.size()));
    std::string value;
    rocksdb::Status got = impl_->db()->Get(rocksdb::ReadOptions(), impl_->snapshots_,
                                           format::SnapshotKey(name, position), &value);
    if (!got.ok()) return FromRocksDB(got, "read snapshot");
    if (value.size() < 8) return absl::DataLossError("a snapshots record is too short");
    StoredSnapshot out;
    out.position = position;
    out.max_occurred_at = max_occurred;
    out.state = value.substr(8);
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
          absl::StrCat("filter.types[", i, "]: unknown event type ", QuotedInput(filter.types(i)),
                       " (type names are payload message names such as InvoiceIssued)"));
    }
  }
  if (filter.has_occurred_from()) {
    if (absl::Status s = CheckTimestamp(filter.occurred_from(), "filter.occurred_from"); !s.ok()) {
      return s;
    }
  }
  if (filter.has_occurred_to()) {
    if (absl::Status s = CheckTimestamp(filter.occurred_to(), "filter.occurred_to"); !s.ok()) {
      return s;
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

absl::StatusOr<v1::EraseSubjectResponse> EventStore::EraseSubject(std::string_view subject_id,
                                                                  std::string_view reason,
                                                                  std::string_view actor) {
  const std::string subject(subject_id);
  if (!replica_of().empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("this ledger is a read replica of ", replica_of(), "; erase on the primary"));
  }
  if (subject.empty()) return absl::InvalidArgumentError("subject_id: required");
  if (!IsValidStreamName(subject, limits())) {
    return absl::InvalidArgumentError(
        absl::StrCat("subject_id: not a valid subject id: ", QuotedInput(subject)));
  }
  if (reason.empty()) return absl::InvalidArgumentError("reason: required");
  auto key = impl_->keys()->Find(subject);
  if (!key.ok()) return key.status();
  if (!key->has_value()) {
    return absl::NotFoundError(absl::StrCat("subject_id: no key for subject ", QuotedInput(subject),
                                            ": nothing was stored for it, or it is erased"));
  }
  // The audit record first: if destroying the key then fails, the caller retries and the
  // log shows both attempts; the other order could erase without a record.
  v1::AppendRequest request;
  v1::Event* event = request.add_events();
  const std::string id = absl::BytesToHexString(RandomUuidBytes());
  event->set_event_id(absl::StrCat(id.substr(0, 8), "-", id.substr(8, 4), "-", id.substr(12, 4),
                                   "-", id.substr(16, 4), "-", id.substr(20, 12)));
  event->set_stream(absl::StartsWith(subject, "client-") ? subject : kSubjectsStream);
  *event->mutable_occurred_at() = TimestampAtMicros(impl_->Now());
  event->mutable_subject_erased()->set_subject_id(subject);
  event->mutable_subject_erased()->set_reason(std::string(reason));
  absl::Notification done;
  absl::StatusOr<v1::AppendResponse> appended;
  impl_->AppendAsync(
      request, actor,
      [&](absl::StatusOr<v1::AppendResponse> r) {
        appended = std::move(r);
        done.Notify();
      },
      /*ledger_events=*/true);
  done.WaitForNotification();
  // Until EndErasure, the writer refuses data sealed under the key being destroyed that
  // would be ordered after the erasure's event (Writer::CheckSealingKeys).
  if (!appended.ok()) {
    impl_->EndErasure(subject, event->event_id());
    return appended.status();
  }
  absl::Status destroyed = impl_->keys()->Destroy(subject);
  impl_->EndErasure(subject, event->event_id());
  if (!destroyed.ok()) return destroyed;
  v1::EraseSubjectResponse response;
  response.set_position(appended->positions(0));
  response.set_stream(event->stream());
  return response;
}

absl::Status EventStore::OpenPersonalData(v1::Event& event) const {
  return impl_->OpenEvent(event);
}

absl::StatusOr<std::string> EventStore::OpenViewText(std::string_view text) const {
  return ::sixhearts::ledger::OpenViewText(text,
                                           [&](uint64_t position) -> absl::StatusOr<std::string> {
                                             auto event = impl_->ReadEventAt(position, nullptr);
                                             if (!event.ok()) return event.status();
                                             return PersonalTextOf(*event);
                                           });
}

absl::Status EventStore::OpenViewTexts(google::protobuf::Message* message) const {
  const google::protobuf::Reflection* r = message->GetReflection();
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  r->ListFields(*message, &fields);
  for (const google::protobuf::FieldDescriptor* f : fields) {
    using FD = google::protobuf::FieldDescriptor;
    if (f->cpp_type() == FD::CPPTYPE_MESSAGE) {
      if (f->is_repeated()) {
        for (int i = 0; i < r->FieldSize(*message, f); ++i) {
          if (absl::Status s = OpenViewTexts(r->MutableRepeatedMessage(message, f, i)); !s.ok()) {
            return s;
          }
        }
      } else if (absl::Status s = OpenViewTexts(r->MutableMessage(message, f)); !s.ok()) {
        return s;
      }
    } else if (f->cpp_type() == FD::CPPTYPE_STRING && f->type() == FD::TYPE_STRING) {
      const int n = f->is_repeated() ? r->FieldSize(*message, f) : 1;
      for (int i = 0; i < n; ++i) {
        const std::string text =
            f->is_repeated() ? r->GetRepeatedString(*message, f, i) : r->GetString(*message, f);
        if (text.find(kPersonalTextMark) == std::string::npos) continue;
        auto opened = OpenViewText(text);
        if (!opened.ok()) return opened.status();
        if (f->is_repeated()) {
          r->SetRepeatedString(message, f, i, *std::move(opened));
        } else {
          r->SetString(message, f, *std::move(opened));
        }
      }
    }
  }
  return absl::OkStatus();
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
  auto previous = impl_->StoredHashAt(from_position - 1);
  if (!previous.ok()) return impl_->Noted(previous.status());
  ForwardChainCheck chain(from_position, *previous);
  const TypePrefilter prefilter(filter);
  for (it->Seek(format::PositionKey(from_position)); it->Valid(); it->Next()) {
    const uint64_t position = format::DecodeUint64(it->key().ToStringView());
    auto record = format::DecodeRecord(it->value().ToStringView());
    if (!record) return impl_->Noted(DoesNotParseError(position));
    if (absl::Status s = chain.Check(position, *record); !s.ok()) return impl_->Noted(s);
    if (prefilter.Skip(record->event_bytes)) continue;
    event.Clear();
    if (!event.ParseFromArray(record->event_bytes.data(),
                              static_cast<int>(record->event_bytes.size()))) {
      return impl_->Noted(DoesNotParseError(position));
    }
    if (absl::Status s = CheckNamesPosition(position, event); !s.ok()) return impl_->Noted(s);
    if (!MatchesFilter(event, filter)) continue;
    if (absl::Status s = impl_->OpenEvent(event); !s.ok()) return s;
    event.set_hash(reinterpret_cast<const char*>(record->hash.data()), record->hash.size());
    if (absl::Status s = fn(event); !s.ok()) return s;
  }
  return impl_->Noted(chain.End(it->status(), "scan log", to_position));
}

absl::Status EventStore::ForEachEventPipelined(
    uint64_t from_position, uint64_t to_position, const v1::EventFilter& filter,
    absl::FunctionRef<absl::Status(const v1::Event&)> fn) const {
  struct Batch {
    std::vector<v1::Event> events = std::vector<v1::Event>(kScanBatchEvents);
    size_t count = 0;
  };
  std::vector<Batch> ring(kScanBatches);
  absl::Mutex mu;
  uint64_t produced = 0;  // batches handed over; ring[i % kScanBatches] holds batch i
  uint64_t consumed = 0;  // batches the caller is done with
  bool producer_done = false;
  bool cancelled = false;
  absl::Status producer_status;

  std::thread producer([&] {
    Batch* batch = nullptr;
    auto acquire = [&]() -> bool {
      absl::MutexLock lock(&mu);
      auto free_slot = [&] { return cancelled || produced - consumed < kScanBatches; };
      mu.Await(absl::Condition(&free_slot));
      if (cancelled) return false;
      batch = &ring[produced % kScanBatches];
      batch->count = 0;
      return true;
    };
    auto publish = [&] {
      absl::MutexLock lock(&mu);
      ++produced;
      batch = nullptr;
    };
    absl::Status status = [&]() -> absl::Status {
      const uint64_t head_position = head().position;
      uint64_t to = to_position == 0 || to_position > head_position ? head_position : to_position;
      const uint64_t from = std::max<uint64_t>(from_position, 1);
      if (from > to) return absl::OkStatus();
      rocksdb::ReadOptions read;
      const std::string upper = format::PositionKey(to + 1);
      rocksdb::Slice upper_bound(upper);
      read.iterate_upper_bound = &upper_bound;
      read.readahead_size = 2 << 20;
      std::unique_ptr<rocksdb::Iterator> it(impl_->db()->NewIterator(read, impl_->log_family()));
      auto previous = impl_->StoredHashAt(from - 1);
      if (!previous.ok()) return previous.status();
      ForwardChainCheck chain(from, *previous);
      const TypePrefilter prefilter(filter);
      for (it->Seek(format::PositionKey(from)); it->Valid(); it->Next()) {
        const uint64_t position = format::DecodeUint64(it->key().ToStringView());
        auto record = format::DecodeRecord(it->value().ToStringView());
        if (!record) return DoesNotParseError(position);
        // Skipped records too: a damaged one must not pass unseen, nor shift the chain.
        if (absl::Status s = chain.Check(position, *record); !s.ok()) return s;
        if (prefilter.Skip(record->event_bytes)) continue;
        if (batch == nullptr && !acquire()) return absl::OkStatus();
        v1::Event& event = batch->events[batch->count];
        event.Clear();
        if (!event.ParseFromArray(record->event_bytes.data(),
                                  static_cast<int>(record->event_bytes.size()))) {
          return DoesNotParseError(position);
        }
        if (absl::Status s = CheckNamesPosition(position, event); !s.ok()) return s;
        if (!MatchesFilter(event, filter)) continue;
        if (absl::Status s = impl_->OpenEvent(event); !s.ok()) return s;
        event.set_hash(reinterpret_cast<const char*>(record->hash.data()), record->hash.size());
        if (++batch->count == kScanBatchEvents) publish();
      }
      return chain.End(it->status(), "scan log", to);
    }();
    absl::MutexLock lock(&mu);
    if (batch != nullptr) ++produced;  // the last, partial batch (events before an error too)
    producer_status = std::move(status);
    producer_done = true;
  });

  absl::Status consumer_status;
  while (true) {
    Batch* batch;
    {
      absl::MutexLock lock(&mu);
      auto ready = [&] { return consumed < produced || producer_done; };
      mu.Await(absl::Condition(&ready));
      if (consumed == produced) break;  // the producer is done and everything was handed over
      batch = &ring[consumed % kScanBatches];
    }
    for (size_t i = 0; i < batch->count && consumer_status.ok(); ++i) {
      consumer_status = fn(batch->events[i]);
    }
    absl::MutexLock lock(&mu);
    ++consumed;
    if (!consumer_status.ok()) {
      cancelled = true;
      break;
    }
  }
  producer.join();
  if (!consumer_status.ok()) return consumer_status;
  return impl_->Noted(producer_status);
}

absl::Status EventStore::ForEachRecord(
    uint64_t from_position, uint64_t to_position,
    absl::FunctionRef<absl::Status(uint64_t, std::string_view, std::string_view)> fn) const {
  const uint64_t head_position = head().position;
  if (to_position == 0 || to_position > head_position) to_position = head_position;
  from_position = std::max<uint64_t>(from_position, 1);
  if (from_position > to_position) return absl::OkStatus();
  rocksdb::ReadOptions read;
  read.verify_checksums = true;
  const std::string upper = format::PositionKey(to_position + 1);
  rocksdb::Slice upper_bound(upper);
  read.iterate_upper_bound = &upper_bound;
  read.readahead_size = 2 << 20;  // a long sequential scan
  std::unique_ptr<rocksdb::Iterator> it(impl_->db()->NewIterator(read, impl_->log_family()));
  uint64_t expected = from_position;
  for (it->Seek(format::PositionKey(from_position)); it->Valid(); it->Next(), ++expected) {
    const uint64_t position = format::DecodeUint64(it->key().ToStringView());
    if (position != expected) {
      return absl::DataLossError(
          absl::StrCat("position ", expected, " is missing: the next record is at ", position));
    }
    auto record = format::DecodeRecord(it->value().ToStringView());
    if (!record) {
      return absl::DataLossError(
          absl::StrCat("the record at position ", position, " does not decode"));
    }
    if (absl::Status s = fn(position, format::HashBytes(record->hash), record->event_bytes);
        !s.ok()) {
      return s;
    }
  }
  if (!it->status().ok()) return FromRocksDB(it->status(), "scan log");
  if (expected != to_position + 1) {
    return absl::DataLossError(absl::StrCat("position ", expected, " is missing"));
  }
  return absl::OkStatus();
}

absl::StatusOr<ReadPage> EventStore::ReadStream(std::string_view stream, uint64_t from_version,
                                                uint32_t limit,
                                                const v1::EventFilter& filter) const {
  return impl_->Noted(impl_->ReadStream(stream, from_version, limit, filter));
}

absl::StatusOr<uint64_t> EventStore::StreamVersion(std::string_view stream) const {
  auto tip = impl_->StoredStreamTip(stream);
  if (!tip.ok()) return tip.status();
  return tip->version;
}

Head EventStore::head() const { return impl_->head(); }

absl::StatusOr<VerifyResult> EventStore::Verify(uint64_t from_position,
                                                uint64_t to_position) const {
  auto result = impl_->Verify(from_position, to_position);
  if (result.ok() && !result->ok) {
    impl_->NoteDamage(LogDamage(
        absl::DataLossError(absl::StrCat("the log fails verification at position ",
                                         result->first_bad_position, ": ", result->problem))));
  }
  return result;
}

absl::Status EventStore::damage() const { return impl_->damage(); }

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

size_t EventStore::open_subscriptions() const { return impl_->feed()->slots(); }

std::vector<std::pair<std::string, uint64_t>> EventStore::StatisticsTickers() const {
  std::vector<std::pair<std::string, uint64_t>> tickers;
  const auto& statistics = impl_->db()->GetDBOptions().statistics;
  if (statistics == nullptr) return tickers;
  tickers.reserve(rocksdb::TickersNameMap.size());
  for (const auto& [ticker, name] : rocksdb::TickersNameMap) {
    tickers.emplace_back(name, statistics->getTickerCount(ticker));
  }
  return tickers;
}

std::vector<std::pair<std::string, uint64_t>> EventStore::StorageProperties() const {
  // Per column family, so summed over them.
  static constexpr const char* kSummed[] = {
      "rocksdb.total-sst-files-size",
      "rocksdb.live-sst-files-size",
      "rocksdb.cur-size-all-mem-tables",
      "rocksdb.estimate-num-keys",
      "rocksdb.estimate-pending-compaction-bytes",
  };
  // Of the whole database (the block cache is shared by every family).
  static constexpr const char* kOnce[] = {
      "rocksdb.num-running-compactions",
      "rocksdb.num-running-flushes",
      "rocksdb.block-cache-usage",
  };
  std::vector<std::pair<std::string, uint64_t>> out;
  for (const char* name : kSummed) {
    uint64_t total = 0;
    for (auto* handle : impl_->handles()) {
      uint64_t value = 0;
      if (impl_->db()->GetIntProperty(handle, name, &value)) total += value;
    }
    out.emplace_back(name, total);
  }
  for (const char* name : kOnce) {
    uint64_t value = 0;
    if (impl_->db()->GetIntProperty(impl_->handles()[0], name, &value)) {
      out.emplace_back(name, value);
    }
  }
  return out;
}

absl::StatusOr<std::unique_ptr<EventStore>> EventStore::OpenReplica(
    const EventStoreOptions& options, const std::string& primary_dir,
    absl::Duration catch_up_interval) {
  auto impl = std::make_unique<Impl>(options);
  if (absl::Status s = impl->OpenReplica(primary_dir, catch_up_interval); !s.ok()) return s;
  return std::unique_ptr<EventStore>(new EventStore(std::move(impl)));
}

const std::string& EventStore::replica_of() const { return impl_->replica_of(); }

}  // namespace sixhearts::ledger
