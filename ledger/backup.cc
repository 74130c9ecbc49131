// Backups with RocksDB's BackupEngine (rocksdb/utilities/backup_engine.h); see backup.h.
#include "ledger/backup.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "ledger/format.h"
#include "ledger/log_chain.h"
#include "ledger/rocksdb_status.h"
#include "rocksdb/db.h"
#include "rocksdb/utilities/backup_engine.h"

namespace sixhearts::ledger {
namespace {

namespace fs = std::filesystem;

// One BackupEngine writes a directory at a time (backup_engine.h: two engines appending
// to the same directory is unspecified behaviour).
absl::Mutex create_mu;

std::string Metadata() { return absl::StrCat(kBackupMetadataPrefix, format::kFormatVersion); }

// Closes a read-only database and its handles.
struct ReadOnlyDb {
  rocksdb::DB* db = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::ColumnFamilyHandle* log = nullptr;
  ~ReadOnlyDb() {
    for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
    if (db != nullptr) {
      db->Close().PermitUncheckedError();
      delete db;
    }
  }
};

// Opens backup `info` (fetched with include_file_details) read-only, every column family.
absl::Status OpenBackupReadOnly(const rocksdb::BackupInfo& info, ReadOnlyDb* out) {
  rocksdb::DBOptions options;
  options.env = info.env_for_open.get();
  options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  std::vector<std::string> names;
  rocksdb::Status s = rocksdb::DB::ListColumnFamilies(options, info.name_for_open, &names);
  if (!s.ok()) return FromRocksDB(s, absl::StrCat("open backup ", info.backup_id));
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (const std::string& name : names) families.emplace_back(name, rocksdb::ColumnFamilyOptions());
  s = rocksdb::DB::OpenForReadOnly(options, info.name_for_open, families, &out->handles, &out->db);
  if (!s.ok()) return FromRocksDB(s, absl::StrCat("open backup ", info.backup_id));
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == format::kLogFamily) out->log = out->handles[i];
  }
  if (out->log == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("backup ", info.backup_id, " holds no ledger log"));
  }
  return absl::OkStatus();
}

// The last record of the log: the backup's head.
absl::Status ReadHead(const ReadOnlyDb& db, BackupInfo* info) {
  std::unique_ptr<rocksdb::Iterator> it(db.db->NewIterator(rocksdb::ReadOptions(), db.log));
  it->SeekToLast();
  if (!it->status().ok()) return FromRocksDB(it->status(), "read the backup's head");
  info->head_position = 0;
  info->head_hash = format::HashBytes(format::ZeroHash());
  if (!it->Valid()) return absl::OkStatus();
  info->head_position = format::DecodeUint64(it->key().ToStringView());
  auto record = format::DecodeRecord(it->value().ToStringView());
  if (!record) {
    return absl::DataLossError(absl::StrCat("the backup's head record, position ",
                                            info->head_position, ", does not decode"));
  }
  info->head_hash = format::HashBytes(record->hash);
  return absl::OkStatus();
}

BackupInfo FromRocksInfo(const rocksdb::BackupInfo& info) {
  BackupInfo out;
  out.backup_id = info.backup_id;
  out.created_at = absl::FromUnixSeconds(info.timestamp);
  out.size_bytes = info.size;
  out.file_count = info.number_files;
  return out;
}

absl::Status CheckMetadata(const rocksdb::BackupInfo& info) {
  if (!absl::StartsWith(info.app_metadata, kBackupMetadataPrefix)) {
    return absl::FailedPreconditionError(absl::StrCat("backup ", info.backup_id,
                                                      " was not taken by the ledger (metadata \"",
                                                      info.app_metadata, "\")"));
  }
  return absl::OkStatus();
}

absl::Status CheckBackupDir(const std::string& backup_dir) {
  if (backup_dir.empty()) return absl::InvalidArgumentError("backup_dir: required");
  return absl::OkStatus();
}

// Opens the backup directory for reading. NOT_FOUND when it holds no backups' layout.
absl::StatusOr<std::unique_ptr<rocksdb::BackupEngineReadOnly>> OpenForReading(
    const std::string& backup_dir) {
  if (absl::Status s = CheckBackupDir(backup_dir); !s.ok()) return s;
  std::error_code ec;
  if (!fs::is_directory(fs::path(backup_dir) / "meta", ec)) {
    return absl::NotFoundError(absl::StrCat("backup_dir: no backups in ", backup_dir));
  }
  rocksdb::BackupEngineReadOnly* engine = nullptr;
  rocksdb::IOStatus s = rocksdb::BackupEngineReadOnly::Open(
      rocksdb::BackupEngineOptions(backup_dir), rocksdb::Env::Default(), &engine);
  if (!s.ok()) return FromRocksDB(s, absl::StrCat("open backups in ", backup_dir));
  return std::unique_ptr<rocksdb::BackupEngineReadOnly>(engine);
}

// The rocksdb::BackupInfo of `backup_id` (0: the newest), with file details.
absl::StatusOr<rocksdb::BackupInfo> FindBackup(const rocksdb::BackupEngineReadOnlyBase& engine,
                                               const std::string& backup_dir, uint32_t backup_id) {
  rocksdb::BackupInfo info;
  rocksdb::Status s = backup_id == 0 ? engine.GetLatestBackupInfo(&info, true)
                                     : engine.GetBackupInfo(backup_id, &info, true);
  if (s.IsNotFound()) {
    return absl::NotFoundError(
        backup_id == 0 ? absl::StrCat("backup_dir: no usable backup in ", backup_dir)
                       : absl::StrCat("backup_id: no backup ", backup_id, " in ", backup_dir));
  }
  if (s.IsCorruption()) {
    return absl::DataLossError(
        absl::StrCat("backup_id: backup ", backup_id, " in ", backup_dir,
                     " is damaged (its meta file does not read): ", s.ToString()));
  }
  if (!s.ok()) return FromRocksDB(s, absl::StrCat("read backup ", backup_id));
  return info;
}

// Why RocksDB could not load backup `id` (one of GetCorruptedBackups): a file its meta file
// lists that is missing from the backup directory (named by its path there), or else the
// meta file itself. RocksDB keeps the reason to itself, so the meta file is read here: its
// file lines begin with the path (shared_checksum/..., shared/..., private/ID/...).
std::string CorruptBackupProblem(const std::string& backup_dir, rocksdb::BackupID id) {
  const fs::path meta = fs::path(backup_dir) / "meta" / std::to_string(id);
  std::ifstream in(meta);
  std::string line;
  std::error_code ec;
  while (in && std::getline(in, line)) {
    const std::string path = line.substr(0, line.find(' '));
    const bool names_a_file = absl::StartsWith(path, "shared_checksum/") ||
                              absl::StartsWith(path, "shared/") ||
                              absl::StartsWith(path, "private/");
    if (names_a_file && !fs::exists(fs::path(backup_dir) / path, ec)) {
      return absl::StrCat("files: ", path, " is missing from the backup directory");
    }
  }
  return "its meta file does not read";
}

// The newest backup's id, loadable or not; 0 when there is none.
rocksdb::BackupID NewestBackup(const rocksdb::BackupEngineReadOnlyBase& engine) {
  std::vector<rocksdb::BackupInfo> infos;
  engine.GetBackupInfo(&infos);
  std::vector<rocksdb::BackupID> corrupt;
  engine.GetCorruptedBackups(&corrupt);
  rocksdb::BackupID newest = 0;
  for (const rocksdb::BackupInfo& info : infos) newest = std::max(newest, info.backup_id);
  for (rocksdb::BackupID id : corrupt) newest = std::max(newest, id);
  return newest;
}

bool IsInside(const fs::path& inner, const fs::path& outer) {
  auto o = outer.begin();
  auto i = inner.begin();
  for (; o != outer.end(); ++o, ++i) {
    if (i == inner.end() || *i != *o) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<CreatedBackup> CreateBackup(const EventStore& store, const std::string& backup_dir,
                                           const CreateBackupOptions& options) {
  if (absl::Status s = CheckBackupDir(backup_dir); !s.ok()) return s;
  rocksdb::DB* db = StoreDatabase(store);
  if (absl::Status s = CheckBackupDirApart(db->GetName(), backup_dir); !s.ok()) return s;

  absl::MutexLock lock(&create_mu);
  rocksdb::BackupEngine* raw_engine = nullptr;
  rocksdb::IOStatus s = rocksdb::BackupEngine::Open(rocksdb::BackupEngineOptions(backup_dir),
                                                    rocksdb::Env::Default(), &raw_engine);
  if (!s.ok()) return FromRocksDB(s, absl::StrCat("open backups in ", backup_dir));
  std::unique_ptr<rocksdb::BackupEngine> engine(raw_engine);

  rocksdb::CreateBackupOptions create;
  // Flushing every column family first keeps the copied write-ahead log short, so
  // opening or restoring the backup replays little.
  create.flush_before_backup = true;
  rocksdb::BackupID id = 0;
  s = engine->CreateNewBackupWithMetadata(create, db, Metadata(), &id);
  if (!s.ok()) return FromRocksDB(s, absl::StrCat("create a backup in ", backup_dir));

  auto info = FindBackup(*engine, backup_dir, id);
  if (!info.ok()) return info.status();
  CreatedBackup out;
  out.backup = FromRocksInfo(*info);
  {
    ReadOnlyDb opened;
    if (absl::Status read = OpenBackupReadOnly(*info, &opened); !read.ok()) return read;
    if (absl::Status read = ReadHead(opened, &out.backup); !read.ok()) return read;
  }

  if (options.keep_last > 0) {
    std::vector<rocksdb::BackupInfo> all;
    engine->GetBackupInfo(&all);
    std::sort(all.begin(), all.end(),
              [](const auto& a, const auto& b) { return a.backup_id < b.backup_id; });
    if (all.size() > options.keep_last) {
      for (size_t i = 0; i + options.keep_last < all.size(); ++i) {
        out.purged_backup_ids.push_back(all[i].backup_id);
      }
      s = engine->PurgeOldBackups(options.keep_last);
      if (!s.ok()) return FromRocksDB(s, "delete old backups");
    }
  }
  return out;
}

absl::Status CheckBackupDirApart(const std::string& data_dir, const std::string& backup_dir) {
  std::error_code ec;
  const fs::path data = fs::weakly_canonical(data_dir, ec);
  const fs::path backups = fs::weakly_canonical(backup_dir, ec);
  if (IsInside(backups, data)) {
    return absl::InvalidArgumentError(absl::StrCat("backup_dir: ", backup_dir,
                                                   " is the data directory or inside it; keep "
                                                   "backups apart from the data they protect"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<BackupInfo>> ListBackups(const std::string& backup_dir) {
  auto engine = OpenForReading(backup_dir);
  if (!engine.ok()) return engine.status();
  std::vector<rocksdb::BackupInfo> infos;
  (*engine)->GetBackupInfo(&infos, /*include_file_details=*/true);
  std::vector<BackupInfo> out;
  for (const rocksdb::BackupInfo& info : infos) {
    BackupInfo backup = FromRocksInfo(info);
    absl::Status s = CheckMetadata(info);
    if (s.ok()) {
      ReadOnlyDb opened;
      s = OpenBackupReadOnly(info, &opened);
      if (s.ok()) s = ReadHead(opened, &backup);
    }
    if (!s.ok()) backup.problem = std::string(s.message());
    out.push_back(std::move(backup));
  }
  std::vector<rocksdb::BackupID> corrupt;
  (*engine)->GetCorruptedBackups(&corrupt);
  for (rocksdb::BackupID id : corrupt) {
    BackupInfo backup;
    backup.backup_id = id;
    backup.problem = CorruptBackupProblem(backup_dir, id);
    out.push_back(std::move(backup));
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.backup_id < b.backup_id; });
  return out;
}

absl::StatusOr<BackupVerification> VerifyBackup(const std::string& backup_dir, uint32_t backup_id) {
  auto engine = OpenForReading(backup_dir);
  if (!engine.ok()) return engine.status();
  // A backup RocksDB cannot load (a file missing, a damaged meta file) is a damaged
  // backup, reported as such, not an unknown one.
  std::vector<rocksdb::BackupID> corrupt;
  (*engine)->GetCorruptedBackups(&corrupt);
  const rocksdb::BackupID wanted = backup_id == 0 ? NewestBackup(**engine) : backup_id;
  if (std::find(corrupt.begin(), corrupt.end(), wanted) != corrupt.end()) {
    BackupVerification damaged;
    damaged.backup.backup_id = wanted;
    damaged.chain.ok = false;
    damaged.chain.problem = CorruptBackupProblem(backup_dir, wanted);
    damaged.backup.problem = damaged.chain.problem;
    return damaged;
  }
  auto info = FindBackup(**engine, backup_dir, backup_id);
  if (!info.ok()) return info.status();
  BackupVerification out;
  out.backup = FromRocksInfo(*info);
  auto fail = [&](std::string problem) {
    out.chain.ok = false;
    out.chain.problem = std::move(problem);
    out.backup.problem = out.chain.problem;
    return out;
  };
  if (absl::Status s = CheckMetadata(*info); !s.ok()) return fail(std::string(s.message()));
  // Sizes and CRC32C of every file against the meta file: finds damage done to the
  // backup after it was taken, naming the file.
  rocksdb::IOStatus files = (*engine)->VerifyBackup(info->backup_id, /*verify_with_checksum=*/true);
  if (!files.ok()) return fail(absl::StrCat("files: ", files.ToString()));

  ReadOnlyDb opened;
  if (absl::Status s = OpenBackupReadOnly(*info, &opened); !s.ok()) {
    return fail(std::string(s.message()));
  }
  if (absl::Status s = ReadHead(opened, &out.backup); !s.ok())
    return fail(std::string(s.message()));
  // Block checksums of every table file of every column family: finds damage that was
  // already in the source when the backup copied it.
  if (rocksdb::Status s = opened.db->VerifyChecksum(); !s.ok()) {
    return fail(absl::StrCat("table blocks: ", s.ToString()));
  }
  auto chain = VerifyLogChain(opened.db, opened.log, 1, out.backup.head_position);
  if (!chain.ok()) return chain.status();
  out.chain = *chain;
  if (!out.chain.ok) {
    out.backup.problem =
        absl::StrCat("position ", out.chain.first_bad_position, ": ", out.chain.problem);
  }
  return out;
}

absl::StatusOr<RestoredBackup> RestoreBackup(const std::string& backup_dir, uint32_t backup_id,
                                             const std::string& data_dir) {
  if (data_dir.empty()) return absl::InvalidArgumentError("data_dir: required");
  std::error_code ec;
  if (fs::exists(data_dir, ec)) {
    if (!fs::is_directory(data_dir, ec)) {
      return absl::FailedPreconditionError(
          absl::StrCat("data_dir: ", data_dir, " exists and is not a directory"));
    }
    if (!fs::is_empty(data_dir, ec)) {
      return absl::FailedPreconditionError(
          absl::StrCat("data_dir: ", data_dir,
                       " is not empty; a restore only writes into a missing or empty directory"));
    }
  }
  auto engine = OpenForReading(backup_dir);
  if (!engine.ok()) return engine.status();
  auto info = FindBackup(**engine, backup_dir, backup_id);
  if (!info.ok()) return info.status();
  if (absl::Status s = CheckMetadata(*info); !s.ok()) return s;

  // Whatever fails from here leaves the directory as empty as it was found.
  auto clean = [&](absl::Status status) {
    std::error_code ignored;
    std::vector<fs::path> entries;
    for (const auto& entry : fs::directory_iterator(data_dir, ignored)) {
      entries.push_back(entry.path());
    }
    for (const fs::path& entry : entries) fs::remove_all(entry, ignored);
    return status;
  };
  fs::create_directories(data_dir, ec);
  if (ec) {
    return absl::PermissionDeniedError(
        absl::StrCat("data_dir: cannot create ", data_dir, ": ", ec.message()));
  }
  rocksdb::IOStatus s = (*engine)->RestoreDBFromBackup(rocksdb::RestoreOptions(), info->backup_id,
                                                       data_dir, data_dir);
  // On the first failed file RocksDB returns while its threads may still be copying the
  // others; closing the engine waits for them, so the clean-up below sees every file.
  engine->reset();
  if (!s.ok()) {
    return clean(FromRocksDB(
        s, absl::StrCat("restore backup ", info->backup_id, " into ", data_dir,
                        " (a file of the backup is damaged; `ledgerctl backup verify` names it)")));
  }

  RestoredBackup out;
  out.backup = FromRocksInfo(*info);
  EventStoreOptions options;
  options.data_dir = data_dir;
  auto store = EventStore::Open(options);
  if (!store.ok()) return clean(store.status());
  const Head head = (*store)->head();
  out.backup.head_position = head.position;
  out.backup.head_hash = head.hash;
  auto chain = (*store)->Verify(0, 0);
  if (!chain.ok()) return clean(chain.status());
  out.chain = *chain;
  return out;
}

}  // namespace sixhearts::ledger
