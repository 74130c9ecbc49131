// The ledger server: a gRPC server with the event-store service, health and reflection,
// over an EventStore it opens. ledgerd is a thin main over this; integration tests start
// it on port 0.
#ifndef SIXHEARTS_SERVICES_SERVER_H_
#define SIXHEARTS_SERVICES_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "ledger/event_store.h"
#include "ledger/options.h"
#include "services/projection/projection_engine.h"

namespace sixhearts::services {

struct ServerOptions {
  // Where the store lives. Default: ./var/ledger.
  std::string data_dir = "./var/ledger";
  // HOST:PORT to listen on; port 0 picks a free port. Default: 127.0.0.1:50051.
  std::string listen = "127.0.0.1:50051";
  // Where the Admin service writes backups (ledger/backup.h); must not be the data
  // directory or inside it. Empty: backups are off and the Admin RPCs answer
  // FAILED_PRECONDITION. Default: empty.
  std::string backup_dir;
  // Passed to the store; clock and limits included.
  ledger::EventStoreOptions store;
  // Checkpoint and snapshot cadence of the projections.
  projection::EngineOptions projections;
};

class LedgerServer {
 public:
  // Binds the port (health NOT_SERVING), opens the store (recovery), then reports
  // SERVING. Errors name the cause: port in use, directory unwritable or locked.
  static absl::StatusOr<std::unique_ptr<LedgerServer>> Start(const ServerOptions& options);

  // Same as Shutdown().
  ~LedgerServer();

  // The port actually bound.
  int port() const { return port_; }
  std::string address() const;
  ledger::EventStore* store() { return store_.get(); }

  // Reports NOT_SERVING, lets in-flight appends finish, ends subscriptions and closes
  // RocksDB cleanly. Idempotent.
  void Shutdown();

  class Impl;

 private:
  LedgerServer() = default;
  std::unique_ptr<Impl> impl_;
  std::unique_ptr<ledger::EventStore> store_;
  int port_ = 0;
  std::string host_;
};

}  // namespace sixhearts::services

#endif  // SIXHEARTS_SERVICES_SERVER_H_
