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
#include "services/auth/auth_config.h"
#include "services/config/settings.h"
#include "services/console/console_server.h"
#include "services/server.h"
#include "spdlog/spdlog.h"
#include "tools/json_log_formatter.h"

extern char** environ;

namespace {

namespace config = ::sixhearts::services::config;

// Every configuration error (a flag, the file, the environment, a file it names, an
// address) exits with this, so a supervisor can stop restarting (systemd
// RestartPreventExitStatus=2); a host that refuses (port in use, data directory locked or
// unwritable) exits 1. docs/operations.md lists them.
constexpr int kExitBadConfiguration = 2;

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

// The console on cfg.console_listen, calling the gRPC port at `grpc_address`; null when
// it is off. With [tls] it serves HTTPS with the server's certificate and calls the gRPC
// port over TLS, trusting exactly that certificate; a server that requires client
// certificates gets no console (it has none to present): logged, not fatal.
absl::StatusOr<std::unique_ptr<sixhearts::services::console::ConsoleServer>> StartConsole(
    const config::LedgerdConfig& cfg, const std::string& grpc_address) {
  namespace auth = ::sixhearts::services::auth;
  namespace console = ::sixhearts::services::console;
  if (cfg.console_listen.empty()) return nullptr;
  console::ConsoleOptions options;
  options.listen = cfg.console_listen;
  options.grpc_target = grpc_address;
  options.max_message_bytes = cfg.server.store.limits.max_message_bytes;
  if (!cfg.server.auth_config_path.empty()) {
    auto loaded = auth::LoadAuthConfig(cfg.server.auth_config_path);
    if (!loaded.ok()) return loaded.status();
    if (loaded->tls.has_value()) {
      const auth::TlsConfig& tls = *loaded->tls;
      if (tls.client_certificate == auth::ClientCertificate::kRequire) {
        spdlog::warn(
            "console: off: tls.client_certificate = \"require\" and the console has no client "
            "certificate to call the gRPC port with; set console.listen = \"\" to silence this");
        return nullptr;
      }
      auto pem = auth::ReadFileText(tls.cert_file, "tls.cert_file");
      if (!pem.ok()) return pem.status();
      auto credentials = console::PinnedCertificateCredentials(*pem);
      if (!credentials.ok()) return credentials.status();
      options.grpc_credentials = *credentials;
      options.tls_cert_file = tls.cert_file;
      options.tls_key_file = tls.key_file;
    }
  }
  auto started = console::ConsoleServer::Start(options);
  if (!started.ok()) return started.status();
  const std::string host = cfg.console_listen.substr(0, cfg.console_listen.rfind(':'));
  spdlog::info("console on {}://{}:{}/", (*started)->scheme(), host, (*started)->port());
  if ((*started)->http_port() != (*started)->port()) {
    spdlog::info(
        "console: HTTPS relayed to its HTTP listener on 127.0.0.1:{} (which answers "
        "nothing else)",
        (*started)->http_port());
  }
  return started;
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
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version end here too (exit 0); every bad flag is a configuration
    // error, exit 2, as below (CLI11's own codes, 109 for an unknown flag, would not be).
    const int printed = app.exit(e);
    return printed == 0 ? 0 : kExitBadConfiguration;
  }
  if (print_settings) {
    std::cout << config::SettingsMarkdown();
    return 0;
  }

  config::Sources sources;
  if (!config_file.empty()) {
    std::ifstream in(config_file);
    if (!in) {
      std::cerr << "ledgerd: cannot read config file " << config_file << "\n";
      return kExitBadConfiguration;
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
    return kExitBadConfiguration;
  }
  const config::LedgerdConfig& cfg = *loaded;
  if (print_config) {
    std::cout << config::ToToml(cfg);
    return 0;
  }
  if (absl::Status checked = sixhearts::services::CheckServerOptions(cfg.server); !checked.ok()) {
    std::cerr << "ledgerd: bad configuration: " << checked.message() << "\n";
    return kExitBadConfiguration;
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
  auto console = StartConsole(cfg, (*server)->address());
  if (!console.ok()) {
    spdlog::error("cannot start: {}", console.status().ToString());
    (*server)->Shutdown();
    return 1;
  }
  spdlog::info("serving on {} (head position {})", (*server)->address(), head.position);

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  spdlog::info("received signal {}: finishing in-flight appends", signal_number);
  console->reset();  // its calls go to the gRPC port: stop them first
  (*server)->Shutdown();
  spdlog::info("stopped cleanly");
  return 0;
}
