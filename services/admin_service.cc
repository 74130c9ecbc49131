// gRPC handlers of the Admin service over ledger/backup.h.
#include "services/admin_service.h"

#include "services/grpc_status.h"

namespace sixhearts::services {
namespace v1 = ledger::v1;

void ToProto(const ledger::BackupInfo& info, v1::Backup* out) {
  out->set_backup_id(info.backup_id);
  if (info.created_at != absl::InfinitePast()) {
    out->mutable_created_at()->set_seconds(absl::ToUnixSeconds(info.created_at));
  }
  out->set_size_bytes(info.size_bytes);
  out->set_file_count(info.file_count);
  out->set_head_position(info.head_position);
  out->set_head_hash(info.head_hash);
  out->set_problem(info.problem);
}

grpc::Status AdminService::CheckConfigured() const {
  if (backup_dir_.empty()) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        "backups are not configured: start ledgerd with --backup-dir DIR");
  }
  return grpc::Status::OK;
}

grpc::Status AdminService::CreateBackup(grpc::ServerContext* /*context*/,
                                        const v1::CreateBackupRequest* request,
                                        v1::CreateBackupResponse* response) {
  if (grpc::Status s = CheckConfigured(); !s.ok()) return s;
  ledger::EventStore* store = store_.load();
  if (store == nullptr) {
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, "the ledger is still recovering");
  }
  auto created = ledger::CreateBackup(*store, backup_dir_, {.keep_last = request->keep_last()});
  if (!created.ok()) return ToGrpcStatus(created.status());
  ToProto(created->backup, response->mutable_backup());
  for (uint32_t id : created->purged_backup_ids) response->add_purged_backup_ids(id);
  return grpc::Status::OK;
}

grpc::Status AdminService::ListBackups(grpc::ServerContext* /*context*/,
                                       const v1::ListBackupsRequest* /*request*/,
                                       v1::ListBackupsResponse* response) {
  if (grpc::Status s = CheckConfigured(); !s.ok()) return s;
  auto listed = ledger::ListBackups(backup_dir_);
  // A configured directory that holds no backup yet is an empty list, not an error.
  if (listed.status().code() == absl::StatusCode::kNotFound) return grpc::Status::OK;
  if (!listed.ok()) return ToGrpcStatus(listed.status());
  for (const ledger::BackupInfo& info : *listed) ToProto(info, response->add_backups());
  return grpc::Status::OK;
}

grpc::Status AdminService::VerifyBackup(grpc::ServerContext* /*context*/,
                                        const v1::VerifyBackupRequest* request,
                                        v1::VerifyBackupResponse* response) {
  if (grpc::Status s = CheckConfigured(); !s.ok()) return s;
  auto verified = ledger::VerifyBackup(backup_dir_, request->backup_id());
  if (!verified.ok()) return ToGrpcStatus(verified.status());
  ToProto(verified->backup, response->mutable_backup());
  response->set_ok(verified->chain.ok);
  response->set_checked(verified->chain.checked);
  response->set_first_bad_position(verified->chain.first_bad_position);
  response->set_problem(verified->chain.problem);
  return grpc::Status::OK;
}

}  // namespace sixhearts::services
