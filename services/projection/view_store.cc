// The view store's keys, its RocksDB instance, the versioned apply and the cut reads
// (layout: services/projection/FORMAT.md).
#include "services/projection/view_store.h"

#include <algorithm>
#include <cstddef>
#include <filesystem>

#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "ledger/dates.h"
#include "ledger/rocksdb_status.h"
#include "rocksdb/cache.h"
#include "rocksdb/db.h"
#include "rocksdb/table.h"
#include "rocksdb/write_batch.h"
#include "spdlog/spdlog.h"

namespace sixhearts::services::projection {
namespace {

namespace v1 = ::sixhearts::ledger::v1;

constexpr std::string_view kFormatKey(
    "\x00"
    "f",
    2);
constexpr std::string_view kCheckpointKeyPrefix(
    "\x00"
    "c",
    2);
constexpr uint32_t kDayBias = 1u << 31;
constexpr size_t kChainHashBytes = 32;
// A stored value: this byte then the projection's state; an empty value is "absent".
constexpr char kPresent = 'v';

const absl::CivilDay kEpoch(1970, 1, 1);

void AppendBigEndian(std::string* out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint64_t ReadBigEndian(std::string_view in, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<uint8_t>(in[i]);
  return v;
}

uint32_t DayKey(absl::CivilDay day) {
  return static_cast<uint32_t>(static_cast<int64_t>(kDayBias) + (day - kEpoch));
}

absl::CivilDay DayOfKey(uint32_t key) {
  return kEpoch + (static_cast<int64_t>(key) - static_cast<int64_t>(kDayBias));
}

std::string ProjectionPart(std::string_view projection) {
  std::string out;
  AppendKeyPart(&out, projection);
  return out;
}

std::string GenerationPrefix(std::string_view projection, uint32_t generation) {
  std::string out = ProjectionPart(projection);
  AppendBigEndian(&out, generation, 4);
  return out;
}

// What follows the generation prefix: row versions, index entries of a month, the head's
// open set, the business clock (FORMAT.md "Keys").
constexpr char kRowsKind = 'r';
constexpr char kMonthKind = 'm';
constexpr char kHeadOpenKind = 'h';
constexpr char kClockKind = 'k';

std::string KindPrefix(std::string_view generation_prefix, char kind) {
  std::string out(generation_prefix);
  out.push_back(kind);
  return out;
}

// Months as (year + 10000) * 12 + month - 1, so they sort as unsigned numbers.
uint32_t MonthOf(absl::CivilDay day) {
  return static_cast<uint32_t>((day.year() + 10000) * 12 + day.month() - 1);
}

std::string MonthKey(std::string_view generation_prefix, uint32_t month, std::string_view entity,
                     uint64_t position);

// The first key after every key that starts with `prefix`.
std::string PrefixEnd(std::string prefix) {
  while (!prefix.empty() && static_cast<uint8_t>(prefix.back()) == 0xff) prefix.pop_back();
  if (!prefix.empty()) prefix.back() = static_cast<char>(static_cast<uint8_t>(prefix.back()) + 1);
  return prefix;
}

std::string CheckpointKey(std::string_view projection) {
  std::string key(kCheckpointKeyPrefix);
  key.append(projection);
  return key;
}

std::string EncodeCheckpoint(const ViewCheckpoint& checkpoint) {
  std::string out;
  AppendBigEndian(&out, checkpoint.generation, 4);
  AppendBigEndian(&out, checkpoint.position, 8);
  out.append(checkpoint.chain_hash);
  return out;
}

// A checkpoint value: generation (4), position (8), then the chain hash (32; none at
// position 0).
absl::StatusOr<ViewCheckpoint> DecodeCheckpoint(std::string_view projection,
                                                std::string_view value) {
  if (value.size() != 12 && value.size() != 12 + kChainHashBytes) {
    return absl::DataLossError(absl::StrCat("view store: the checkpoint of ",
                                            std::string(projection), " has ", value.size(),
                                            " bytes, not 12 or ", 12 + kChainHashBytes));
  }
  return ViewCheckpoint{static_cast<uint32_t>(ReadBigEndian(value, 4)),
                        ReadBigEndian(value.substr(4), 8), std::string(value.substr(12))};
}

absl::CivilDay BusinessDay(const v1::Event& event) {
  return ledger::UtcDay(absl::FromUnixSeconds(event.occurred_at().seconds()) +
                        absl::Nanoseconds(event.occurred_at().nanos()));
}

// The state of `versions` (ordered by day, position) in force on `day`, and the index of
// the version it comes from (-1: none).
std::pair<std::optional<std::string>, int> InForce(const std::vector<RowVersion>& versions,
                                                   absl::CivilDay day) {
  int found = -1;
  for (int i = 0; i < static_cast<int>(versions.size()) && versions[i].day <= day; ++i) found = i;
  if (found < 0 || versions[found].state.empty()) return {std::nullopt, found};
  return {versions[found].state.substr(1), found};
}

size_t BytesOf(const std::string& entity, const std::vector<RowVersion>& versions) {
  size_t bytes = entity.size() + sizeof(versions) + 64;
  for (const RowVersion& v : versions) bytes += sizeof(RowVersion) + v.state.size();
  return bytes;
}

std::string MonthKey(std::string_view generation_prefix, uint32_t month, std::string_view entity,
                     uint64_t position) {
  std::string key = KindPrefix(generation_prefix, kMonthKind);
  AppendBigEndian(&key, month, 4);
  key.append(entity);
  AppendBigEndian(&key, position, 8);
  return key;
}

std::string ClockKey(std::string_view generation_prefix, uint64_t position) {
  std::string key = KindPrefix(generation_prefix, kClockKind);
  AppendBigEndian(&key, position, 8);
  return key;
}

// The business clock at `position`: the value of the last clock key at or before it.
absl::StatusOr<std::optional<absl::CivilDay>> ClockAt(rocksdb::DB* db,
                                                      const rocksdb::Snapshot* snapshot,
                                                      std::string_view generation_prefix,
                                                      uint64_t position) {
  const std::string lower = KindPrefix(generation_prefix, kClockKind);
  const std::string upper = PrefixEnd(lower);
  rocksdb::Slice lower_slice(lower), upper_slice(upper);
  rocksdb::ReadOptions read;
  read.snapshot = snapshot;
  read.iterate_lower_bound = &lower_slice;
  read.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(read));
  it->SeekForPrev(ClockKey(generation_prefix, position));
  if (!it->status().ok()) return ledger::FromRocksDB(it->status(), "view store: read the clock");
  if (!it->Valid()) return std::nullopt;
  if (it->value().size() != 4) return absl::DataLossError("view store: a bad clock value");
  return DayOfKey(static_cast<uint32_t>(ReadBigEndian(std::string_view(it->value().data(), 4), 4)));
}

// Calls `row` for each entity under `start` (the rows prefix and an entity prefix) with
// its state in force at (day_limit, position), skipping absent ones (FORMAT.md "Reading
// a cut").
absl::Status ScanInForce(
    rocksdb::DB* db, const rocksdb::Snapshot* snapshot, const std::string& rows_prefix,
    std::string_view entity_prefix, uint32_t day_limit, uint64_t position,
    const std::function<absl::Status(std::string_view, std::string_view)>& row) {
  const std::string start = rows_prefix + std::string(entity_prefix);
  const std::string end = PrefixEnd(start);
  rocksdb::Slice upper(end);
  rocksdb::ReadOptions read;
  read.snapshot = snapshot;
  read.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(read));
  std::string entity;
  std::string best;  // the version in force so far for `entity` ("" none or absent)
  auto flush = [&]() -> absl::Status {
    if (best.empty()) return absl::OkStatus();
    return row(entity, std::string_view(best).substr(1));
  };
  int past_day = 0;  // versions of `entity` stepped over after the cut's day
  it->Seek(start);
  while (it->Valid()) {
    const std::string_view key(it->key().data(), it->key().size());
    if (key.size() < rows_prefix.size() + 12) {
      return absl::DataLossError("view store: a short row key");
    }
    const std::string_view this_entity =
        key.substr(rows_prefix.size(), key.size() - rows_prefix.size() - 12);
    if (this_entity != entity) {
      if (absl::Status flushed = flush(); !flushed.ok()) return flushed;
      entity.assign(this_entity);
      best.clear();
      past_day = 0;
    }
    const std::string_view suffix = key.substr(key.size() - 12);
    const auto day = static_cast<uint32_t>(ReadBigEndian(suffix, 4));
    const uint64_t at = ReadBigEndian(suffix.substr(4), 8);
    // Versions come by (day, position), so the last that qualifies is the one in force,
    // and none after the first one past the cut's day qualifies: past a few of them, one
    // seek skips the entity's later history.
    if (day <= day_limit) {
      if (at <= position) best.assign(it->value().data(), it->value().size());
    } else if (++past_day > kViewSeekPastVersions) {
      it->Seek(PrefixEnd(rows_prefix + entity));
      continue;
    }
    it->Next();
  }
  if (!it->status().ok()) return ledger::FromRocksDB(it->status(), "view store: read a cut");
  return flush();
}

}  // namespace

void AppendKeyPart(std::string* key, std::string_view part) {
  for (const char c : part) {
    key->push_back(c);
    if (c == '\0') key->push_back('\xff');
  }
  key->push_back('\0');
  key->push_back('\x01');
}

std::optional<std::string> ConsumeKeyPart(std::string_view* key) {
  std::string out;
  // Runs without a zero byte are copied whole, up to the next zero.
  for (size_t i = 0; i < key->size();) {
    const size_t zero = key->find('\0', i);
    if (zero == std::string_view::npos || zero + 1 >= key->size()) return std::nullopt;
    out.append(key->data() + i, zero - i);
    const char next = (*key)[zero + 1];
    if (next == '\x01') {
      key->remove_prefix(zero + 2);
      return out;
    }
    if (next != '\xff') return std::nullopt;
    out.push_back('\0');
    i = zero + 2;
  }
  return std::nullopt;
}

// ------------------------------------------------------------------------------ store

absl::StatusOr<std::unique_ptr<ViewStore>> ViewStore::Open(
    const ViewStoreOptions& options, const std::function<void(std::string_view)>& log) {
  if (options.dir.empty()) return absl::InvalidArgumentError("view store: dir is required");
  std::unique_ptr<ViewStore> store(new ViewStore());
  store->block_cache_ = rocksdb::NewLRUCache(options.block_cache_bytes);
  rocksdb::Options db_options;
  db_options.create_if_missing = true;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = store->block_cache_;
  db_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  db_options.create_missing_column_families = true;
  // The head's open set: a small column family of its own, flushed often, so its
  // superseded writes and tombstones are cheap to compact away (FORMAT.md "Keys").
  rocksdb::ColumnFamilyOptions open_set_options(db_options);
  open_set_options.write_buffer_size = kViewOpenSetWriteBufferBytes;
  for (int attempt = 0; attempt < 2; ++attempt) {
    // Every family the directory has must be opened (another format's included).
    std::vector<std::string> names;
    if (!rocksdb::DB::ListColumnFamilies(db_options, options.dir, &names).ok()) names.clear();
    for (const char* ours : {rocksdb::kDefaultColumnFamilyName.c_str(), kOpenSetFamily}) {
      if (std::find(names.begin(), names.end(), ours) == names.end()) names.push_back(ours);
    }
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    for (const std::string& name : names) {
      families.emplace_back(name, name == kOpenSetFamily
                                      ? open_set_options
                                      : rocksdb::ColumnFamilyOptions(db_options));
    }
    rocksdb::DB* db = nullptr;
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::Status s = rocksdb::DB::Open(db_options, options.dir, families, &handles, &db);
    if (!s.ok()) return ledger::FromRocksDB(s, absl::StrCat("open view store ", options.dir));
    store->db_ = db;
    store->handles_ = handles;
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] == kOpenSetFamily) store->open_set_ = handles[i];
    }
    auto close = [&store]() {
      for (rocksdb::ColumnFamilyHandle* h : store->handles_)
        store->db_->DestroyColumnFamilyHandle(h);
      store->handles_.clear();
      delete store->db_;
      store->db_ = nullptr;
      store->open_set_ = nullptr;
    };
    std::string format;
    rocksdb::Status got = db->Get(rocksdb::ReadOptions(), rocksdb::Slice(kFormatKey), &format);
    if (got.ok() && format == kViewFormat) return store;
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions()));
    it->SeekToFirst();
    const bool empty = !it->Valid();
    it.reset();
    if (empty) {
      s = db->Put(rocksdb::WriteOptions(), rocksdb::Slice(kFormatKey), kViewFormat);
      if (!s.ok()) {
        close();
        return ledger::FromRocksDB(s, "view store: write the format");
      }
      return store;
    }
    // Derived data of another format: never read it, rebuild it.
    if (log) {
      log(absl::StrCat("view store ", options.dir, " is of format '",
                       got.ok() ? format : std::string("none"), "', not '", kViewFormat,
                       "'; it is wiped and its projections rebuilt from the log"));
    }
    close();
    s = rocksdb::DestroyDB(options.dir, db_options);
    if (!s.ok()) return ledger::FromRocksDB(s, absl::StrCat("wipe view store ", options.dir));
  }
  return absl::InternalError("view store: cannot open after wiping it");
}

ViewStore::~ViewStore() {
  for (rocksdb::ColumnFamilyHandle* h : handles_) db_->DestroyColumnFamilyHandle(h);
  delete db_;
}

absl::StatusOr<std::optional<ViewCheckpoint>> ViewStore::LoadCheckpoint(
    std::string_view projection) const {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), CheckpointKey(projection), &value);
  if (s.IsNotFound()) return std::nullopt;
  if (!s.ok()) return ledger::FromRocksDB(s, "view store: read a checkpoint");
  auto checkpoint = DecodeCheckpoint(projection, value);
  if (!checkpoint.ok()) return checkpoint.status();
  return *std::move(checkpoint);
}

absl::Status ViewStore::DropOtherGenerations(std::string_view projection, uint32_t keep) {
  rocksdb::WriteBatch batch;
  const std::string part = ProjectionPart(projection);
  for (rocksdb::ColumnFamilyHandle* family : {db_->DefaultColumnFamily(), open_set_}) {
    batch.DeleteRange(family, part, GenerationPrefix(projection, keep));
    batch.DeleteRange(family, PrefixEnd(GenerationPrefix(projection, keep)), PrefixEnd(part));
  }
  return ledger::FromRocksDB(db_->Write(rocksdb::WriteOptions(), &batch),
                             "view store: drop old generations");
}

absl::Status ViewStore::DropGeneration(std::string_view projection, uint32_t generation) {
  rocksdb::WriteBatch batch;
  const std::string prefix = GenerationPrefix(projection, generation);
  for (rocksdb::ColumnFamilyHandle* family : {db_->DefaultColumnFamily(), open_set_}) {
    batch.DeleteRange(family, prefix, PrefixEnd(prefix));
  }
  return ledger::FromRocksDB(db_->Write(rocksdb::WriteOptions(), &batch),
                             "view store: drop a generation");
}

absl::StatusOr<uint64_t> ViewStore::ReadCut(const RowProjection& projection,
                                            std::optional<absl::CivilDay> business_day,
                                            uint64_t max_position, Fold& fold) const {
  auto cut = OpenCut(projection, max_position);
  if (!cut.ok()) return cut.status();
  if (!(*cut)->built_) return 0;
  absl::Status read =
      (*cut)->ReadUnder("", business_day, [&](std::string_view entity, std::string_view state) {
        return projection.AddRow(fold, entity, state);
      });
  if (!read.ok()) return read;
  return (*cut)->position();
}

absl::StatusOr<std::unique_ptr<ViewCut>> ViewStore::OpenCut(const RowProjection& projection,
                                                            uint64_t max_position) const {
  std::unique_ptr<ViewCut> cut(new ViewCut());
  cut->db_ = db_;
  cut->open_set_ = open_set_;
  cut->snapshot_ = db_->GetSnapshot();
  rocksdb::ReadOptions read;
  read.snapshot = cut->snapshot_;
  std::string value;
  rocksdb::Status s = db_->Get(read, CheckpointKey(projection.name()), &value);
  if (s.IsNotFound()) return cut;
  if (!s.ok()) return ledger::FromRocksDB(s, "view store: read a checkpoint");
  auto checkpoint = DecodeCheckpoint(projection.name(), value);
  if (!checkpoint.ok()) return checkpoint.status();
  cut->built_ = true;
  cut->generation_prefix_ = GenerationPrefix(projection.name(), checkpoint->generation);
  cut->checkpoint_position_ = checkpoint->position;
  cut->position_ = std::min(max_position, checkpoint->position);
  return cut;
}

// ---------------------------------------------------------------------------- cut

ViewCut::~ViewCut() {
  if (snapshot_ != nullptr) db_->ReleaseSnapshot(snapshot_);
}

absl::Status ViewCut::ReadUnder(
    std::string_view prefix, std::optional<absl::CivilDay> day,
    const std::function<absl::Status(std::string_view, std::string_view)>& row) const {
  if (!built_) return absl::OkStatus();
  return ScanInForce(db_, snapshot_, KindPrefix(generation_prefix_, kRowsKind), prefix,
                     day ? DayKey(*day) : UINT32_MAX, position_, row);
}

absl::StatusOr<std::optional<std::string>> ViewCut::Read(std::string_view entity,
                                                         std::optional<absl::CivilDay> day) const {
  std::optional<std::string> found;
  // Entity keys are prefix-free: the keys under an entity are its versions alone.
  absl::Status read = ReadUnder(entity, day, [&](std::string_view, std::string_view state) {
    found.emplace(state);
    return absl::OkStatus();
  });
  if (!read.ok()) return read;
  return found;
}

absl::Status ViewCut::ForEachMaybeOpen(
    absl::CivilDay day,
    const std::function<absl::Status(std::string_view, std::string_view)>& entity) const {
  last_source_ = "none";
  if (!built_) return absl::OkStatus();
  auto clock = ClockAt(db_, snapshot_, generation_prefix_, position_);
  if (!clock.ok()) return clock.status();
  if (!clock->has_value()) return absl::OkStatus();  // no event yet, so no item
  rocksdb::ReadOptions read;
  read.snapshot = snapshot_;
  if (position_ == checkpoint_position_ && day >= **clock) {
    // At the head, on or after every version's day: the head's open set.
    last_source_ = "head";
    const std::string start = KindPrefix(generation_prefix_, kHeadOpenKind);
    const std::string end = PrefixEnd(start);
    rocksdb::Slice upper(end);
    read.iterate_upper_bound = &upper;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read, open_set_));
    for (it->Seek(start); it->Valid(); it->Next()) {
      const std::string_view key(it->key().data(), it->key().size());
      const std::string_view value(it->value().data(), it->value().size());
      if (value.empty()) return absl::DataLossError("view store: an empty open-set value");
      if (absl::Status s = entity(key.substr(start.size()), value.substr(1)); !s.ok()) return s;
    }
    return ledger::FromRocksDB(it->status(), "view store: read the open set");
  }
  // The month bucket min(month(day), month(clock)), entries written at or before the cut.
  last_source_ = "month";
  std::string start = KindPrefix(generation_prefix_, kMonthKind);
  AppendBigEndian(&start, std::min(MonthOf(day), MonthOf(**clock)), 4);
  const std::string end = PrefixEnd(start);
  rocksdb::Slice upper(end);
  read.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read));
  // One iterator over the rows for every candidate: a seek each, no iterator each.
  const std::string rows_prefix = KindPrefix(generation_prefix_, kRowsKind);
  const std::string rows_end = PrefixEnd(rows_prefix);
  rocksdb::Slice rows_upper(rows_end);
  rocksdb::ReadOptions rows_read;
  rows_read.snapshot = snapshot_;
  rows_read.iterate_upper_bound = &rows_upper;
  std::unique_ptr<rocksdb::Iterator> rows(db_->NewIterator(rows_read));
  const uint32_t day_limit = DayKey(day);
  std::string last;
  std::string versions_start;
  std::string best;
  bool any = false;
  for (it->Seek(start); it->Valid(); it->Next()) {
    const std::string_view key(it->key().data(), it->key().size());
    if (key.size() < start.size() + 8) return absl::DataLossError("view store: a short index key");
    const std::string_view this_entity = key.substr(start.size(), key.size() - start.size() - 8);
    if (ReadBigEndian(key.substr(key.size() - 8), 8) > position_) continue;
    if (any && this_entity == last) continue;
    any = true;
    last.assign(this_entity);
    // The version in force: the last by (day, position) with day <= D and position <= P;
    // none after the first dated past D qualifies.
    versions_start = rows_prefix + last;
    best.clear();
    for (rows->Seek(versions_start); rows->Valid(); rows->Next()) {
      const std::string_view row_key(rows->key().data(), rows->key().size());
      // Entity keys are prefix-free: the keys under it are this entity's versions.
      if (!row_key.starts_with(versions_start) || row_key.size() != versions_start.size() + 12) {
        break;
      }
      const std::string_view suffix = row_key.substr(versions_start.size());
      if (static_cast<uint32_t>(ReadBigEndian(suffix, 4)) > day_limit) break;
      if (ReadBigEndian(suffix.substr(4), 8) <= position_) {
        best.assign(rows->value().data(), rows->value().size());
      }
    }
    if (!rows->status().ok()) return ledger::FromRocksDB(rows->status(), "view store: read rows");
    if (best.empty()) continue;  // absent on that day
    if (absl::Status s = entity(last, std::string_view(best).substr(1)); !s.ok()) return s;
  }
  return ledger::FromRocksDB(it->status(), "view store: read the open index");
}

absl::Status ViewStore::CompactOpenSet(std::string_view projection, uint32_t generation) {
  const std::string begin = KindPrefix(GenerationPrefix(projection, generation), kHeadOpenKind);
  const std::string end = PrefixEnd(begin);
  const rocksdb::Slice begin_slice(begin), end_slice(end);
  rocksdb::CompactRangeOptions options;
  options.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  return ledger::FromRocksDB(db_->CompactRange(options, open_set_, &begin_slice, &end_slice),
                             "view store: compact the open set");
}

absl::StatusOr<uint64_t> ViewStore::CountRows(std::string_view projection) const {
  auto checkpoint = LoadCheckpoint(projection);
  if (!checkpoint.ok()) return checkpoint.status();
  if (!checkpoint->has_value()) return 0;
  return CountKeys(KindPrefix(GenerationPrefix(projection, (*checkpoint)->generation), kRowsKind));
}

absl::StatusOr<uint64_t> ViewStore::CountIndexEntries(std::string_view projection) const {
  auto checkpoint = LoadCheckpoint(projection);
  if (!checkpoint.ok()) return checkpoint.status();
  if (!checkpoint->has_value()) return 0;
  const std::string generation = GenerationPrefix(projection, (*checkpoint)->generation);
  auto months = CountKeys(KindPrefix(generation, kMonthKind));
  if (!months.ok()) return months.status();
  auto head = CountKeys(KindPrefix(generation, kHeadOpenKind), open_set_);
  if (!head.ok()) return head.status();
  return *months + *head;
}

absl::StatusOr<uint64_t> ViewStore::CountKeys(const std::string& prefix,
                                              rocksdb::ColumnFamilyHandle* family) const {
  const std::string end = PrefixEnd(prefix);
  rocksdb::Slice upper(end);
  rocksdb::ReadOptions read;
  read.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(read, family != nullptr ? family : db_->DefaultColumnFamily()));
  uint64_t keys = 0;
  for (it->Seek(prefix); it->Valid(); it->Next()) ++keys;
  if (!it->status().ok()) return ledger::FromRocksDB(it->status(), "view store: count keys");
  return keys;
}

// ----------------------------------------------------------------------------- writer

class ViewWriter::Lookup final : public EntityLookup {
 public:
  explicit Lookup(ViewWriter* writer) : writer_(writer) {}
  absl::StatusOr<std::vector<RowVersion>> VersionsOf(std::string_view entity) override {
    auto pinned = writer_->Pin(std::string(entity));
    if (!pinned.ok()) return pinned.status();
    std::vector<RowVersion> versions = **pinned;
    for (RowVersion& v : versions) {
      if (!v.state.empty()) v.state.erase(0, 1);
    }
    return versions;
  }
  absl::StatusOr<std::vector<std::string>> EntitiesUnder(std::string_view entity_prefix) override {
    std::vector<std::string> out;
    const std::string start = writer_->prefix_ + std::string(entity_prefix);
    const std::string end = PrefixEnd(start);
    rocksdb::Slice upper(end);
    rocksdb::ReadOptions read;
    read.iterate_upper_bound = &upper;
    std::unique_ptr<rocksdb::Iterator> it(writer_->db()->NewIterator(read));
    for (it->Seek(start); it->Valid(); it->Next()) {
      const std::string_view key(it->key().data(), it->key().size());
      if (key.size() < writer_->prefix_.size() + 12) continue;
      std::string_view entity =
          key.substr(writer_->prefix_.size(), key.size() - writer_->prefix_.size() - 12);
      if (out.empty() || out.back() != entity) out.emplace_back(entity);
    }
    if (!it->status().ok()) return ledger::FromRocksDB(it->status(), "view store: list rows");
    for (const auto& [entity, versions] : writer_->pending_) {
      if (!versions.empty() && std::string_view(entity).starts_with(entity_prefix)) {
        out.push_back(entity);
      }
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }

 private:
  ViewWriter* writer_;
};

ViewWriter::ViewWriter(ViewStore* store, const RowProjection* projection, uint32_t generation,
                       size_t cache_bytes)
    : store_(store),
      projection_(projection),
      generation_(generation),
      cache_bytes_(cache_bytes),
      generation_prefix_(GenerationPrefix(projection->name(), generation)),
      prefix_(KindPrefix(generation_prefix_, kRowsKind)),
      batch_(std::make_unique<rocksdb::WriteBatch>()) {}

ViewWriter::~ViewWriter() = default;

std::string ViewWriter::RowKey(std::string_view entity, absl::CivilDay day,
                               uint64_t position) const {
  std::string key = prefix_ + std::string(entity);
  AppendBigEndian(&key, DayKey(day), 4);
  AppendBigEndian(&key, position, 8);
  return key;
}

absl::StatusOr<std::vector<RowVersion>*> ViewWriter::Pin(const std::string& entity) {
  if (auto it = pending_.find(entity); it != pending_.end()) return &it->second;
  std::vector<RowVersion> versions;
  if (auto it = cached_.find(entity); it != cached_.end()) {
    cached_bytes_ -= BytesOf(it->first, it->second->second);
    versions = std::move(it->second->second);
    lru_.erase(it->second);
    cached_.erase(it);
  } else {
    auto read = ReadVersions(entity);
    if (!read.ok()) return read.status();
    versions = *std::move(read);
  }
  if (versions.empty()) unstored_.insert(entity);
  return &pending_.try_emplace(entity, std::move(versions)).first->second;
}

absl::StatusOr<std::vector<RowVersion>> ViewWriter::ReadVersions(const std::string& entity) {
  std::vector<RowVersion> versions;
  // Not held in memory since the generation was empty: never written.
  if (empty_generation_ && !MayHaveReleased(entity)) return versions;
  const std::string start = prefix_ + entity;
  const std::string end = PrefixEnd(start);
  rocksdb::Slice upper(end);
  rocksdb::ReadOptions read;
  read.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(store_->db_->NewIterator(read));
  for (it->Seek(start); it->Valid(); it->Next()) {
    const std::string_view key(it->key().data(), it->key().size());
    // Entity keys are prefix-free, so only this entity's versions have the exact length.
    if (key.size() != start.size() + 12) continue;
    const std::string_view suffix = key.substr(start.size());
    versions.push_back(RowVersion{DayOfKey(static_cast<uint32_t>(ReadBigEndian(suffix, 4))),
                                  ReadBigEndian(suffix.substr(4), 8),
                                  std::string(it->value().data(), it->value().size())});
  }
  if (!it->status().ok()) return ledger::FromRocksDB(it->status(), "view store: read versions");
  return versions;
}

void ViewWriter::AssumeEmptyGeneration() {
  empty_generation_ = true;
  released_.assign(kViewReleasedFilterBits / 64, 0);
}

// Two probes from one 64-bit hash: bits 0..22 and 23..45 (kViewReleasedFilterBits = 2^23).
void ViewWriter::Release(std::string_view entity) {
  if (!empty_generation_) return;
  const uint64_t h = absl::Hash<std::string_view>{}(entity);
  for (const uint64_t bit : {h % kViewReleasedFilterBits, (h >> 23) % kViewReleasedFilterBits}) {
    released_[bit / 64] |= uint64_t{1} << (bit % 64);
  }
}

bool ViewWriter::MayHaveReleased(std::string_view entity) const {
  const uint64_t h = absl::Hash<std::string_view>{}(entity);
  for (const uint64_t bit : {h % kViewReleasedFilterBits, (h >> 23) % kViewReleasedFilterBits}) {
    if ((released_[bit / 64] & (uint64_t{1} << (bit % 64))) == 0) return false;
  }
  return true;
}

void ViewWriter::CacheInsert(const std::string& entity, std::vector<RowVersion> versions) {
  if (auto it = cached_.find(entity); it != cached_.end()) {
    cached_bytes_ -= BytesOf(it->first, it->second->second);
    lru_.erase(it->second);
    cached_.erase(it);
  }
  const size_t bytes = BytesOf(entity, versions);
  if (bytes > cache_bytes_) {
    if (!versions.empty()) Release(entity);
    return;
  }
  while (cached_bytes_ + bytes > cache_bytes_ && !lru_.empty()) {
    cached_bytes_ -= BytesOf(lru_.front().first, lru_.front().second);
    if (!lru_.front().second.empty()) Release(lru_.front().first);
    cached_.erase(lru_.front().first);
    lru_.pop_front();
  }
  lru_.emplace_back(entity, std::move(versions));
  cached_[entity] = std::prev(lru_.end());
  cached_bytes_ += bytes;
}

absl::Status ViewWriter::LoadClock() {
  if (clock_loaded_) return absl::OkStatus();
  auto clock = ClockAt(store_->db_, nullptr, generation_prefix_, UINT64_MAX);
  if (!clock.ok()) return clock.status();
  clock_ = *clock;
  clock_loaded_ = true;
  return absl::OkStatus();
}

absl::Status ViewWriter::AdvanceClock(absl::CivilDay day, uint64_t position) {
  if (clock_.has_value() && day <= *clock_) return absl::OkStatus();
  if (clock_.has_value() && MonthOf(day) > MonthOf(*clock_)) {
    // Entering a new month: an entry of it (and of any month skipped) for every entity
    // open at the head, before the event applies (FORMAT.md "The open index").
    std::vector<std::string> open;
    const std::string start = KindPrefix(generation_prefix_, kHeadOpenKind);
    const std::string end = PrefixEnd(start);
    rocksdb::Slice upper(end);
    rocksdb::ReadOptions read;
    read.iterate_upper_bound = &upper;
    std::unique_ptr<rocksdb::Iterator> it(db()->NewIterator(read, store_->open_set_));
    for (it->Seek(start); it->Valid(); it->Next()) {
      std::string entity(it->key().data() + start.size(), it->key().size() - start.size());
      if (!pending_open_.contains(entity)) open.push_back(std::move(entity));
    }
    if (!it->status().ok()) return ledger::FromRocksDB(it->status(), "view store: open set");
    for (const auto& [entity, state] : pending_open_) {
      if (state.has_value()) open.push_back(entity);
    }
    for (uint32_t month = MonthOf(*clock_) + 1; month <= MonthOf(day); ++month) {
      for (const std::string& entity : open) {
        puts_.emplace_back(MonthKey(generation_prefix_, month, entity, position), "");
      }
    }
  }
  clock_ = day;
  std::string value;
  AppendBigEndian(&value, DayKey(day), 4);
  puts_.emplace_back(ClockKey(generation_prefix_, position), std::move(value));
  return absl::OkStatus();
}

void ViewWriter::IndexVersions(const std::string& entity, const std::vector<RowVersion>& added,
                               const std::vector<RowVersion>& all, uint64_t position) {
  // Every month from the earliest new version that may be open on or after its day
  // through the clock.
  std::optional<uint32_t> from;
  for (const RowVersion& v : added) {
    if (v.state.empty()) continue;
    if (!projection_->MayBeOpenFrom(entity, std::string_view(v.state).substr(1), v.day)) continue;
    from = std::min(from.value_or(UINT32_MAX), MonthOf(v.day));
  }
  if (from.has_value()) {
    for (uint32_t month = *from; month <= MonthOf(*clock_); ++month) {
      puts_.emplace_back(MonthKey(generation_prefix_, month, entity, position), "");
    }
  }
  // The head's open set follows the head version (the greatest (day, position)).
  const RowVersion& head = all.back();
  if (head.position != position) return;
  const bool open =
      !head.state.empty() &&
      projection_->MayBeOpenFrom(entity, std::string_view(head.state).substr(1), head.day);
  // Written with the batch (CommitBatch), with the head's state, so a read at the head
  // needs no seek.
  if (open) {
    pending_open_[entity] = head.state;
  } else if (unstored_.contains(entity)) {
    pending_open_.erase(entity);  // not in the stored open set: nothing to delete
  } else {
    pending_open_[entity] = std::nullopt;
  }
}

absl::Status ViewWriter::Apply(const v1::Event& event) {
  ++pending_events_;
  if (projection_->HasOpenIndex()) {
    if (absl::Status s = LoadClock(); !s.ok()) return s;
    if (absl::Status s = AdvanceClock(BusinessDay(event), event.position()); !s.ok()) return s;
  }
  std::vector<std::string> entities;
  Lookup lookup(this);
  if (absl::Status s = projection_->EntitiesOf(event, lookup, &entities); !s.ok()) return s;
  if (entities.empty()) return absl::OkStatus();
  std::sort(entities.begin(), entities.end());
  entities.erase(std::unique(entities.begin(), entities.end()), entities.end());

  const size_t n = entities.size();
  std::vector<std::vector<RowVersion>*> versions(n);
  for (size_t i = 0; i < n; ++i) {
    auto pinned = Pin(entities[i]);
    if (!pinned.ok()) return pinned.status();
    versions[i] = *pinned;
  }
  // The event's own day, and every later day from which one of the entities has a version
  // (FORMAT.md "Applying an event").
  const absl::CivilDay event_day = BusinessDay(event);
  std::vector<absl::CivilDay> days = {event_day};
  for (const std::vector<RowVersion>* of_entity : versions) {
    for (const RowVersion& v : *of_entity) {
      if (v.day > event_day) days.push_back(v.day);
    }
  }
  std::sort(days.begin(), days.end());
  days.erase(std::unique(days.begin(), days.end()), days.end());

  // What this event wrote last per entity (day, state), so a later day writes a version
  // only where what a read would see differs from the fold's result.
  std::vector<std::optional<std::pair<absl::CivilDay, std::optional<std::string>>>> written(n);
  std::vector<std::vector<RowVersion>> added(n);
  std::vector<RowState> rows(n);
  for (const absl::CivilDay day : days) {
    std::vector<std::pair<std::optional<std::string>, int>> before(n);
    for (size_t i = 0; i < n; ++i) {
      before[i] = InForce(*versions[i], day);
      rows[i] = RowState{entities[i], before[i].first};
    }
    if (absl::Status s = projection_->ApplyToRows(event, rows); !s.ok()) return s;
    for (size_t i = 0; i < n; ++i) {
      const std::optional<std::string>* visible = &before[i].first;
      if (written[i].has_value()) {
        const int old = before[i].second;
        if (old < 0 || (*versions[i])[old].day <= written[i]->first) visible = &written[i]->second;
      }
      if (rows[i].state == *visible) continue;
      std::string stored =
          rows[i].state ? absl::StrCat(std::string(1, kPresent), *rows[i].state) : std::string();
      puts_.emplace_back(RowKey(entities[i], day, event.position()), stored);
      added[i].push_back(RowVersion{day, event.position(), std::move(stored)});
      written[i] = std::make_pair(day, rows[i].state);
    }
  }
  for (size_t i = 0; i < n; ++i) {
    if (added[i].empty()) continue;
    // The new versions (ascending days, the greatest position) merged in place: the
    // entity's versions stay ordered by (day, position). Copied: the index reads them.
    std::vector<RowVersion>& all = *versions[i];
    const auto old_end = static_cast<std::ptrdiff_t>(all.size());
    all.insert(all.end(), added[i].begin(), added[i].end());
    std::inplace_merge(all.begin(), all.begin() + old_end, all.end(),
                       [](const RowVersion& a, const RowVersion& b) {
                         return a.day != b.day ? a.day < b.day : a.position < b.position;
                       });
    if (projection_->HasOpenIndex()) {
      IndexVersions(entities[i], added[i], all, event.position());
    }
  }
  return absl::OkStatus();
}

absl::Status ViewWriter::CommitBatch(const ViewCheckpoint* checkpoint, bool drop_others) {
  if (checkpoint != nullptr && checkpoint->chain_hash.size() != kChainHashBytes &&
      !(checkpoint->position == 0 && checkpoint->chain_hash.empty())) {
    return absl::InternalError(absl::StrCat("view store: a checkpoint at position ",
                                            checkpoint->position, " with a chain hash of ",
                                            checkpoint->chain_hash.size(), " bytes"));
  }
  if (drop_others) {
    const std::string part = ProjectionPart(projection_->name());
    for (rocksdb::ColumnFamilyHandle* family : {db()->DefaultColumnFamily(), store_->open_set_}) {
      batch_->DeleteRange(family, part, generation_prefix_);
      batch_->DeleteRange(family, PrefixEnd(generation_prefix_), PrefixEnd(part));
    }
  }
  if (checkpoint != nullptr) {
    batch_->Put(CheckpointKey(projection_->name()), EncodeCheckpoint(*checkpoint));
  }
  // The batch's keys in ascending order: the memtable then inserts each next to the one
  // before (its skip list keeps that position), not from the top of the list. A key put
  // twice in a batch has one value (an index entry), so the order between them is moot.
  std::sort(puts_.begin(), puts_.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [key, value] : puts_) batch_->Put(key, value);
  puts_.clear();
  // The head's open set as the batch left it: one write per entity it changed.
  std::vector<const std::pair<const std::string, std::optional<std::string>>*> open;
  open.reserve(pending_open_.size());
  for (const auto& change : pending_open_) open.push_back(&change);
  std::sort(open.begin(), open.end(),
            [](const auto* a, const auto* b) { return a->first < b->first; });
  const std::string head_prefix = KindPrefix(generation_prefix_, kHeadOpenKind);
  for (const auto* change : open) {
    if (change->second.has_value()) {
      batch_->Put(store_->open_set_, head_prefix + change->first, *change->second);
    } else {
      batch_->Delete(store_->open_set_, head_prefix + change->first);
    }
  }
  // Not synced: the view is derived, and rows and checkpoint are lost or kept together
  // (the WAL keeps the batch whole), so a crash only means applying the lost events again.
  rocksdb::Status s = store_->db_->Write(rocksdb::WriteOptions(), batch_.get());
  if (!s.ok()) return ledger::FromRocksDB(s, "view store: commit");
  batch_->Clear();
  pending_events_ = 0;
  for (auto& [entity, versions] : pending_) CacheInsert(entity, std::move(versions));
  pending_.clear();
  pending_open_.clear();
  unstored_.clear();
  return absl::OkStatus();
}

void ViewWriter::Abandon() {
  batch_->Clear();
  puts_.clear();
  for (const auto& [entity, versions] : pending_) Release(entity);
  pending_.clear();
  pending_events_ = 0;
  pending_open_.clear();
  unstored_.clear();
  clock_loaded_ = false;  // back to the committed clock
  clock_.reset();
}

absl::Status ViewWriter::Commit(uint64_t position, std::string_view chain_hash) {
  const ViewCheckpoint checkpoint{generation_, position, std::string(chain_hash)};
  return CommitBatch(&checkpoint, false);
}

absl::Status ViewWriter::CommitRows() { return CommitBatch(nullptr, false); }

absl::Status ViewWriter::CommitAndSwitch(uint64_t position, std::string_view chain_hash) {
  const ViewCheckpoint checkpoint{generation_, position, std::string(chain_hash)};
  return CommitBatch(&checkpoint, true);
}

}  // namespace sixhearts::services::projection
