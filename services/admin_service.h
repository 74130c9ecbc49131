// The gRPC Admin service: online backups of the attached store (ledger/backup.h).
#ifndef SIXHEARTS_SERVICES_ADMIN_SERVICE_H_
#define SIXHEARTS_SERVICES_ADMIN_SERVICE_H_

#include <atomic>
#include <string>

#include "ledger/backup.h"
#include "ledger/event_store.h"
#include "sixhearts/ledger/v1/admin.grpc.pb.h"

namespace sixhearts::services {

// Thread-safe. UNAVAILABLE until a store is attached; FAILED_PRECONDITION on every call
// when `backup_dir` is empty (ledgerd without --backup-dir). Backups run on the calling
// RPC's thread and take as long as the copy; concurrent CreateBackup calls wait for
// each other (ledger/backup.h).
class AdminService final : public ledger::v1::Admin::Service {
 public:
  explicit AdminService(std::string backup_dir) : backup_dir_(std::move(backup_dir)) {}

  // REQUIRES: `store` outlives the service's RPCs; nullptr detaches.
  void Attach(ledger::EventStore* store) { store_.store(store); }

  grpc::Status CreateBackup(grpc::ServerContext* context,
                            const ledger::v1::CreateBackupRequest* request,
                            ledger::v1::CreateBackupResponse* response) override;
  grpc::Status ListBackups(grpc::ServerContext* context,
                           const ledger::v1::ListBackupsRequest* request,
                           ledger::v1::ListBackupsResponse* response) override;
  grpc::Status VerifyBackup(grpc::ServerContext* context,
                            const ledger::v1::VerifyBackupRequest* request,
                            ledger::v1::VerifyBackupResponse* response) override;

 private:
  grpc::Status CheckConfigured() const;

  const std::string backup_dir_;
  std::atomic<ledger::EventStore*> store_{nullptr};
};

// The wire form of a backup's description.
void ToProto(const ledger::BackupInfo& info, ledger::v1::Backup* out);

}  // namespace sixhearts::services

#endif  // SIXHEARTS_SERVICES_ADMIN_SERVICE_H_
