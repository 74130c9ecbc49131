// ledgerd: the ledger server. A thin main over services::LedgerServer.
#include <signal.h>

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "services/server.h"
#include "spdlog/spdlog.h"

int main(int argc, char** argv) {
  sixhearts::services::ServerOptions options;
  CLI::App app{"ledgerd: the Six Hearts collections ledger server"};
  app.add_option("--data-dir", options.data_dir, "RocksDB data directory")->capture_default_str();
  app.add_option("--listen", options.listen, "HOST:PORT to serve gRPC on")->capture_default_str();
  app.add_option("--auth-config", options.auth_config_path,
                 "TOML file of TLS files, principals, roles and token hashes; without it the "
                 "server accepts loopback connections only")
      ->envname("LEDGER_AUTH_CONFIG");
  std::vector<std::string> limits;
  app.add_option("--limit", limits,
                 "NAME=VALUE: set a limit of ledger/limits.h (repeatable), e.g. "
                 "max_in_flight_requests=256")
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  std::string log_level = "info";
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  spdlog::set_level(spdlog::level::from_str(log_level));
  for (const std::string& limit : limits) {
    const size_t equals = limit.find('=');
    uint64_t value = 0;
    absl::Status set = absl::InvalidArgumentError(
        absl::StrCat("--limit: expected NAME=VALUE, got \"", limit, "\""));
    if (equals != std::string::npos &&
        absl::SimpleAtoi(absl::string_view(limit).substr(equals + 1), &value)) {
      set = sixhearts::ledger::SetLimit(&options.store.limits, limit.substr(0, equals), value);
    }
    if (!set.ok()) {
      spdlog::error("cannot start: {}", set.ToString());
      return 2;
    }
  }

  // Block the stop signals before any thread starts, so only sigwait below sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  spdlog::info("starting: data_dir={} listen={}", options.data_dir, options.listen);
  auto server = sixhearts::services::LedgerServer::Start(options);
  if (!server.ok()) {
    spdlog::error("cannot start: {}", server.status().ToString());
    return 1;
  }
  const auto head = (*server)->store()->head();
  spdlog::info("security: {}", (*server)->security());
  spdlog::info("serving on {} (head position {})", (*server)->address(), head.position);

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  spdlog::info("received signal {}: finishing in-flight appends", signal_number);
  (*server)->Shutdown();
  spdlog::info("stopped cleanly");
  return 0;
}
