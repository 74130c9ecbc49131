// Backups of the event store with RocksDB's BackupEngine: online creation from an open
// store while appends go on, listing and verification of a backup directory, and offline
// restore into an empty data directory. No gRPC here; services/admin_service.h serves
// these over the Admin service and ledgerctl's `backup` commands call them.
//
// A backup holds every column family (the log, its indexes, projection checkpoints and
// snapshots; FORMAT.md) at one consistent point: memtables are flushed first and the
// write-ahead log is copied with the table files, so the backup holds a prefix of the
// log. Which prefix is known only once it is taken (appends continue during the copy),
// so the head of a backup (position and chain hash) is read back from the backup
// itself, opened read-only.
//
// Backup directories use RocksDB's layout (meta/, private/, shared_checksum/): table
// files are shared between backups, so each new backup copies only what is new, and
// every file's CRC32C is recorded in the backup's meta file.
//
// Thread-safety: CreateBackup calls in one process are serialised (one BackupEngine per
// directory at a time, as RocksDB requires); list, verify and restore only read the
// backup directory and may run alongside. Two processes must not create backups in the
// same directory at the same time.
#ifndef SIXHEARTS_LEDGER_BACKUP_H_
#define SIXHEARTS_LEDGER_BACKUP_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "ledger/event_store.h"

namespace sixhearts::ledger {

// Written into every backup's metadata; restore refuses a backup without it.
inline constexpr char kBackupMetadataPrefix[] = "sixhearts-ledger format ";

struct BackupInfo {
  uint32_t backup_id = 0;
  // When RocksDB finished the backup (its clock, whole seconds).
  absl::Time created_at = absl::InfinitePast();
  // Bytes of the files the backup consists of (shared files counted in every backup
  // that uses them) and their number.
  uint64_t size_bytes = 0;
  uint32_t file_count = 0;
  // The last position the backup holds and its chain hash (32 bytes; all zero for an
  // empty log): the digest a restore of it reports.
  uint64_t head_position = 0;
  std::string head_hash;
  // Empty for a readable backup; otherwise why it cannot be used (ListBackups lists a
  // damaged backup with this set rather than failing).
  std::string problem;
};

struct CreateBackupOptions {
  // After a successful backup, delete all but the newest `keep_last` backups (their
  // unshared files go with them). 0 keeps every backup. Default: 0.
  uint32_t keep_last = 0;
};

struct CreatedBackup {
  BackupInfo backup;
  std::vector<uint32_t> purged_backup_ids;
};

// Takes a backup of the open `store` into `backup_dir` (created when missing) without
// stopping appends. Errors: INVALID_ARGUMENT when backup_dir is empty, the data directory
// or inside it; UNAVAILABLE / RESOURCE_EXHAUSTED when writing fails (disk full).
absl::StatusOr<CreatedBackup> CreateBackup(const EventStore& store, const std::string& backup_dir,
                                           const CreateBackupOptions& options = {});

// Every backup in `backup_dir`, oldest first, with its head read from the backup (each
// is opened read-only: one read of its last log record). NOT_FOUND when the directory
// holds no backup directory layout.
absl::StatusOr<std::vector<BackupInfo>> ListBackups(const std::string& backup_dir);

// INVALID_ARGUMENT naming backup_dir when it is `data_dir` or inside it (a backup kept in
// the data directory is lost with it, and RocksDB requires them apart). CreateBackup
// checks it; ledgerd checks it at start.
absl::Status CheckBackupDirApart(const std::string& data_dir, const std::string& backup_dir);

struct BackupVerification {
  BackupInfo backup;
  // ok = false with `problem` naming what is wrong: a file of the backup that is missing
  // or whose size or CRC32C differs from the one recorded when the backup was taken
  // (named by its path in the backup directory), a meta file that does not read, a
  // damaged table block, or the hash chain (first_bad_position).
  VerifyResult chain;
};

// Checks backup `backup_id` (0: the newest) without restoring it: every file's size and
// CRC32C against the backup's meta file, every table block's checksum, then the hash
// chain over the whole log. NOT_FOUND names an unknown backup id.
absl::StatusOr<BackupVerification> VerifyBackup(const std::string& backup_dir, uint32_t backup_id);

struct RestoredBackup {
  // The backup restored; its head is that of the restored store.
  BackupInfo backup;
  // The chain over the whole restored log.
  VerifyResult chain;
};

// Restores backup `backup_id` (0: the newest) into `data_dir`, which must be missing or
// empty (FAILED_PRECONDITION otherwise: a restore never overwrites a ledger), then opens
// it as a store and verifies the whole chain. Offline: no ledgerd may use `data_dir`.
// On failure nothing is left in `data_dir`. Errors: NOT_FOUND for an unknown id;
// DATA_LOSS when a file's checksum fails during the copy; FAILED_PRECONDITION for a
// backup that is not a ledger's.
absl::StatusOr<RestoredBackup> RestoreBackup(const std::string& backup_dir, uint32_t backup_id,
                                             const std::string& data_dir);

}  // namespace sixhearts::ledger

#endif  // SIXHEARTS_LEDGER_BACKUP_H_
