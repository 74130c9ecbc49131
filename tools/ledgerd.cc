// ledgerd: the ledger server. A thin main over services::LedgerServer; the settings and
// their sources (file, environment, flags) are in services/config/settings.h.
#include <signal.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>

#include "CLI/CLI.hpp"
#include "services/config/settings.h"
#include "services/server.h"
#include "spdlog/spdlog.h"
#include "tools/json_log_formatter.h"

extern char** environ;

namespace {

namespace config = ::sixhearts::services::config;

std::map<std::string, std::string> LedgerEnvironment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry(*e);
    const size_t eq = entry.find('=');
    if (eq != std::string::npos && entry.starts_with("LEDGER_")) {
      env[entry.substr(0, eq)] = entry.substr(eq + 1);
    }
  }
  return env;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "ledgerd: the Six Hearts collections ledger server.\n"
      "Settings come from defaults < --config FILE < LEDGER_* environment < flags; "
      "docs/configuration.md lists them."};
  std::string config_file;
  app.add_option("--config", config_file, "TOML configuration file")->envname("LEDGER_CONFIG");
  bool print_config = false;
  app.add_flag("--print-config", print_config,
               "Print the effective configuration as TOML and exit");
  bool print_settings = false;
  app.add_flag("--print-settings-table", print_settings,
               "Print the table of settings (Markdown, as in docs/configuration.md) and exit");
  const config::LedgerdConfig defaults;
  std::map<std::string, std::string> flag_text;
  std::map<std::string, CLI::Option*> flag_options;
  for (const config::Setting& s : config::Settings()) {
    const std::string flag(s.flag);
    flag_options[flag] =
        app.add_option(flag, flag_text[flag],
                       std::string(s.description) + " [default: " + s.get(defaults) + "; env " +
                           config::EnvironmentName(s) + "]");
  }
  CLI11_PARSE(app, argc, argv);
  if (print_settings) {
    std::cout << config::SettingsMarkdown();
    return 0;
  }

  config::Sources sources;
  if (!config_file.empty()) {
    std::ifstream in(config_file);
    if (!in) {
      std::cerr << "ledgerd: cannot read config file " << config_file << "\n";
      return 2;
    }
    std::stringstream text;
    text << in.rdbuf();
    sources.file_text = text.str();
    sources.file_name = config_file;
  }
  sources.environment = LedgerEnvironment();
  for (const auto& [flag, option] : flag_options) {
    if (option->count() > 0) sources.flags[flag] = flag_text[flag];
  }
  auto loaded = config::Load(sources);
  if (!loaded.ok()) {
    std::cerr << "ledgerd: bad configuration: " << loaded.status().message() << "\n";
    return 2;
  }
  const config::LedgerdConfig& cfg = *loaded;
  if (print_config) {
    std::cout << config::ToToml(cfg);
    return 0;
  }
  spdlog::set_level(spdlog::level::from_str(cfg.log_level));
  if (cfg.log_format == "json") {
    spdlog::set_formatter(std::make_unique<sixhearts::tools::JsonLogFormatter>());
  }

  // Block the stop signals before any thread starts, so only sigwait below sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  spdlog::info("starting: data_dir={} listen={} backup_dir={}", cfg.server.data_dir,
               cfg.server.listen,
               cfg.server.backup_dir.empty() ? "(none: backups off)" : cfg.server.backup_dir);
  // The Merkle tree build of an older directory and the checkpoint key, at start-up.
  sixhearts::services::ServerOptions server_options = cfg.server;
  server_options.store.on_progress = [](std::string_view line) {
    spdlog::info("{}", std::string(line));
  };
  auto server = sixhearts::services::LedgerServer::Start(server_options);
  if (!server.ok()) {
    spdlog::error("cannot start: {}", server.status().ToString());
    return 1;
  }
  const auto head = (*server)->store()->head();
  spdlog::info("security: {}", (*server)->security());
  if ((*server)->metrics_port() != 0) {
    const std::string& metrics = cfg.server.metrics_listen;
    spdlog::info("metrics on {}:{}/metrics", metrics.substr(0, metrics.rfind(':')),
                 (*server)->metrics_port());
  }
  if (!cfg.server.replica_of.empty()) {
    spdlog::info("read replica of {}, catching up every {} ms", cfg.server.replica_of,
                 absl::ToInt64Milliseconds(cfg.server.replica_catch_up_interval));
  }
  spdlog::info("serving on {} (head position {})", (*server)->address(), head.position);

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  spdlog::info("received signal {}: finishing in-flight appends", signal_number);
  (*server)->Shutdown();
  spdlog::info("stopped cleanly");
  return 0;
}
