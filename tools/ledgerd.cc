// ledgerd: the ledger server. A thin main over services::LedgerServer.
#include <signal.h>

#include <cstdlib>
#include <iostream>
#include <string>

#include "CLI/CLI.hpp"
#include "services/server.h"
#include "spdlog/spdlog.h"

int main(int argc, char** argv) {
  sixhearts::services::ServerOptions options;
  CLI::App app{"ledgerd: the Six Hearts collections ledger server"};
  app.add_option("--data-dir", options.data_dir, "RocksDB data directory")->capture_default_str();
  app.add_option("--listen", options.listen, "HOST:PORT to serve gRPC on")->capture_default_str();
  app.add_option("--backup-dir", options.backup_dir,
                 "Directory for backups taken through the Admin service (default: none, "
                 "backups off); not the data directory or inside it");
  app.add_option("--checkpoint-every-events", options.projections.checkpoint_every_events,
                 "Save each projection's state after this many new events (also every 10 s)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--snapshot-every-events", options.projections.snapshot_every_events,
                 "Keep a projection snapshot for as-of queries every this many events")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  std::string log_level = "info";
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  spdlog::set_level(spdlog::level::from_str(log_level));

  // Block the stop signals before any thread starts, so only sigwait below sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  spdlog::info("starting: data_dir={} listen={} backup_dir={}", options.data_dir, options.listen,
               options.backup_dir.empty() ? "(none: backups off)" : options.backup_dir);
  auto server = sixhearts::services::LedgerServer::Start(options);
  if (!server.ok()) {
    spdlog::error("cannot start: {}", server.status().ToString());
    return 1;
  }
  const auto head = (*server)->store()->head();
  spdlog::info("serving on {} (head position {})", (*server)->address(), head.position);

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  spdlog::info("received signal {}: finishing in-flight appends", signal_number);
  (*server)->Shutdown();
  spdlog::info("stopped cleanly");
  return 0;
}
