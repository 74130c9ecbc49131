// `ledgerctl backup create|list|verify|restore` (ledger/backup.h, the Admin service).
#include <string>

#include "absl/strings/str_cat.h"
#include "ledger/backup.h"
#include "services/admin_service.h"
#include "tools/ledgerctl/commands.h"
#include "tools/ledgerctl/event_output.h"
#include "tools/ledgerctl/table.h"

namespace sixhearts::ledgerctl {
namespace {

std::string CreatedAt(const v1::Backup& backup) {
  return backup.has_created_at() ? FormatTimestamp(backup.created_at()) : "";
}

void AddBackupFields(const v1::Backup& backup, Record* record) {
  record->Add("backup_id", absl::StrCat(backup.backup_id()), ColumnKind::kNumber);
  record->Add("created_at", CreatedAt(backup));
  record->Add("head_position", absl::StrCat(backup.head_position()), ColumnKind::kNumber);
  record->Add("head_hash", HexBytes(backup.head_hash()));
  record->Add("size_bytes", absl::StrCat(backup.size_bytes()), ColumnKind::kGroupedNumber);
  record->Add("file_count", absl::StrCat(backup.file_count()), ColumnKind::kGroupedNumber);
}

// Local errors of the ledger library are reported like the server's: they are about the
// data, not the flags.
template <typename T>
absl::StatusOr<T> Local(absl::StatusOr<T> result) {
  if (!result.ok()) return ServerError(result.status());
  return result;
}

}  // namespace

absl::StatusOr<int> RunBackupCreate(const CommandContext& context, const BackupOptions& options) {
  v1::CreateBackupRequest request;
  request.set_keep_last(options.keep_last);
  auto created = context.client->CreateBackup(request);
  if (!created.ok()) return created.status();
  Record record;
  AddBackupFields(created->backup(), &record);
  std::string purged;
  for (uint32_t id : created->purged_backup_ids()) {
    absl::StrAppend(&purged, purged.empty() ? "" : " ", id);
  }
  record.Add("purged_backup_ids", purged);
  *context.out << record.Render(context.format);
  return kExitOk;
}

absl::StatusOr<int> RunBackupList(const CommandContext& context, const BackupOptions& options) {
  v1::ListBackupsResponse listed;
  if (options.backup_dir.empty()) {
    auto remote = context.client->ListBackups();
    if (!remote.ok()) return remote.status();
    listed = std::move(*remote);
  } else {
    auto local = Local(ledger::ListBackups(options.backup_dir));
    if (!local.ok()) return local.status();
    for (const ledger::BackupInfo& info : *local) services::ToProto(info, listed.add_backups());
  }
  Table table({{"backup_id", ColumnKind::kNumber},
               {"created_at"},
               {"head_position", ColumnKind::kNumber},
               {"head_hash"},
               {"size_bytes", ColumnKind::kGroupedNumber},
               {"file_count", ColumnKind::kGroupedNumber},
               {"problem"}});
  for (const v1::Backup& backup : listed.backups()) {
    table.AddRow({absl::StrCat(backup.backup_id()), CreatedAt(backup),
                  absl::StrCat(backup.head_position()), HexBytes(backup.head_hash()),
                  absl::StrCat(backup.size_bytes()), absl::StrCat(backup.file_count()),
                  backup.problem()});
  }
  *context.out << table.Render(context.format);
  return kExitOk;
}

absl::StatusOr<int> RunBackupVerify(const CommandContext& context, const BackupOptions& options) {
  v1::VerifyBackupResponse verified;
  if (options.backup_dir.empty()) {
    v1::VerifyBackupRequest request;
    request.set_backup_id(options.backup_id);
    auto remote = context.client->VerifyBackup(request);
    if (!remote.ok()) return remote.status();
    verified = std::move(*remote);
  } else {
    auto local = Local(ledger::VerifyBackup(options.backup_dir, options.backup_id));
    if (!local.ok()) return local.status();
    services::ToProto(local->backup, verified.mutable_backup());
    verified.set_ok(local->chain.ok);
    verified.set_checked(local->chain.checked);
    verified.set_first_bad_position(local->chain.first_bad_position);
    verified.set_problem(local->chain.problem);
  }
  Record record;
  record.Add("ok", verified.ok() ? "true" : "false", ColumnKind::kBool);
  record.Add("backup_id", absl::StrCat(verified.backup().backup_id()), ColumnKind::kNumber);
  record.Add("checked", absl::StrCat(verified.checked()), ColumnKind::kNumber);
  record.Add("first_bad_position",
             verified.first_bad_position() == 0 ? "" : absl::StrCat(verified.first_bad_position()),
             ColumnKind::kNumber);
  record.Add("problem", verified.problem());
  record.Add("head_position", absl::StrCat(verified.backup().head_position()), ColumnKind::kNumber);
  record.Add("head_hash", HexBytes(verified.backup().head_hash()));
  *context.out << record.Render(context.format);
  return verified.ok() ? kExitOk : kExitVerifyFailed;
}

absl::StatusOr<int> RunBackupRestore(const CommandContext& context, const BackupOptions& options) {
  if (options.backup_dir.empty()) return absl::InvalidArgumentError("--backup-dir: required");
  if (options.data_dir.empty()) return absl::InvalidArgumentError("--data-dir: required");
  auto restored =
      Local(ledger::RestoreBackup(options.backup_dir, options.backup_id, options.data_dir));
  if (!restored.ok()) return restored.status();
  v1::Backup backup;
  services::ToProto(restored->backup, &backup);
  Record record;
  record.Add("ok", restored->chain.ok ? "true" : "false", ColumnKind::kBool);
  record.Add("data_dir", options.data_dir);
  AddBackupFields(backup, &record);
  record.Add("checked", absl::StrCat(restored->chain.checked), ColumnKind::kNumber);
  record.Add("problem", restored->chain.problem);
  *context.out << record.Render(context.format);
  return restored->chain.ok ? kExitOk : kExitVerifyFailed;
}

}  // namespace sixhearts::ledgerctl
