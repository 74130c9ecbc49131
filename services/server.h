// The ledger server: a gRPC server with the event-store service, health and reflection,
// over an EventStore it opens. ledgerd is a thin main over this; integration tests start
// it on port 0.
#ifndef SIXHEARTS_SERVICES_SERVER_H_
#define SIXHEARTS_SERVICES_SERVER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

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
  // The auth configuration file (TOML: TLS files, principals, roles; README.md,
  // "Authentication and roles"). Empty: no authentication, and `listen` must be a
  // loopback address. Default: empty.
  std::string auth_config_path;
  // The Ed25519 key signing checkpoints (ledger/checkpoint.h), created 0600 when missing.
  // Empty: data_dir + ".checkpoint.key", a sibling of the data directory, so that copies
  // of the data directory do not carry it. Default: empty.
  std::string checkpoint_key_file;
  // The log's name in its checkpoints and the key's name. Default: sixhearts-ledger.
  std::string checkpoint_origin = "sixhearts-ledger";
  // Where the Admin service writes backups (ledger/backup.h); must not be the data
  // directory or inside it. Empty: backups are off and the Admin RPCs answer
  // FAILED_PRECONDITION. Default: empty.
  std::string backup_dir;
  // Passed to the store; clock and limits included (the server's own limits, in-flight
  // calls, streams per connection and gRPC memory, are in the same ledger::Limits).
  ledger::EventStoreOptions store;
  // Checkpoint and snapshot cadence of the projections, and the view cache.
  projection::EngineOptions projections;
  // The view store's directory (services/projection/FORMAT.md): derived data, rebuilt from
  // the log when missing. Empty: data_dir + ".views", a sibling of the data directory,
  // so backups of the data directory do not carry it. Default: empty.
  std::string views_dir;
  // The view store's RocksDB block cache, in bytes. Default: 64 MiB.
  size_t views_block_cache_bytes = 64 << 20;
  // A rate file for the compliance rules (services/compliance/rates.h); empty means the
  // compiled-in tables. Start-up fails naming the line of a bad file.
  std::string compliance_rates_file;
  // HOST:PORT of the Prometheus endpoint (HTTP GET /metrics, services/metrics); port 0
  // picks a free port; empty: no metrics. Default: empty (ledgerd's: 127.0.0.1:9464).
  std::string metrics_listen;
  // With metrics on, also export RocksDB statistics (a few per cent of throughput).
  // Default: true.
  bool rocksdb_statistics = true;
  // Serve as a read replica of the ledger in this directory (another ledgerd's
  // data_dir): reads, subscriptions and reports; appends get FAILED_PRECONDITION.
  // data_dir then holds only the replica's own RocksDB logs. Default: empty (primary).
  std::string replica_of;
  // How often a replica catches up with its primary. Default: 100 ms.
  absl::Duration replica_catch_up_interval = absl::Milliseconds(100);
};

// How long Shutdown() lets calls other than appends (reports, reads) finish before it
// cancels them; appends are finished before it starts. It also bounds how long a
// connected client that never answers the server's GOAWAY can hold the stop up.
inline constexpr int64_t kShutdownGraceMs = 1000;

// The checks of `options` that need no port and no store: `listen` and `metrics_listen`
// are HOST:PORT with a port from 0 to 65535, `backup_dir` is apart from `data_dir`, the
// auth configuration and its TLS files load (and a non-loopback `listen` has them), the
// rates file parses. INVALID_ARGUMENT / FAILED_PRECONDITION / NOT_FOUND naming the
// setting. Start() runs it first; ledgerd runs it to tell configuration errors (exit 2)
// from those of the host (exit 1).
absl::Status CheckServerOptions(const ServerOptions& options);

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
  // The metrics port actually bound; 0 when metrics are off.
  int metrics_port() const { return metrics_port_; }
  // Calls being served now (Subscribe and health Watch not counted).
  size_t in_flight_requests() const;
  // How the port is protected, in one line for the start-up log.
  const std::string& security() const { return security_; }
  // The full names of the gRPC services served ("sixhearts.ledger.v1.EventStore", ...,
  // health and reflection): every method of each must be in the role table.
  const std::vector<std::string>& service_names() const { return service_names_; }

  // Reports NOT_SERVING and refuses new appends (UNAVAILABLE "the ledger is shutting
  // down") at once, lets queued appends finish, ends subscriptions, cancels the calls
  // still running after kShutdownGraceMs, and closes RocksDB cleanly. Idempotent.
  void Shutdown();

  class Impl;

 private:
  LedgerServer() = default;
  std::unique_ptr<Impl> impl_;
  std::unique_ptr<ledger::EventStore> store_;
  int port_ = 0;
  int metrics_port_ = 0;
  std::string host_;
  std::string security_;
  std::vector<std::string> service_names_;
};

}  // namespace sixhearts::services

#endif  // SIXHEARTS_SERVICES_SERVER_H_
