// ledgerd's configuration: one table of settings, each with its TOML key, flag,
// environment variable, default and description. Values come from, in rising order of
// precedence, the defaults, a TOML file, LEDGER_* environment variables and flags.
// docs/configuration.md holds the table rendered by SettingsMarkdown(), and a test keeps
// the two identical, so the documentation cannot drift from the code.
//
// To add a setting (or a whole section such as [tls] or [auth]): give LedgerdConfig a
// field with its default and append one Setting to the table in settings.cc; the file
// parser, flags, environment, --print-config and the documentation follow from it.
#ifndef SIXHEARTS_SERVICES_CONFIG_SETTINGS_H_
#define SIXHEARTS_SERVICES_CONFIG_SETTINGS_H_

#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/server.h"

namespace sixhearts::services::config {

// Everything ledgerd reads at start-up. Defaults are those of the libraries (ledger/
// options.h, ledger/limits.h, services/projection/projection_engine.h) unless the
// constructor says otherwise.
struct LedgerdConfig {
  LedgerdConfig();
  ServerOptions server;
  // spdlog level: trace, debug, info, warn, error. Default: info.
  std::string log_level = "info";
  // text (one human-readable line per event) or json (one JSON object per line).
  // Default: text.
  std::string log_format = "text";
  // HOST:PORT of the web console and the Connect JSON calls (services/console), loopback
  // only; port 0 picks a free port; "" turns it off. Default: 127.0.0.1:8451.
  std::string console_listen = "127.0.0.1:8451";
};

enum class SettingType { kString, kBool, kUnsigned };

struct Setting {
  // Dotted TOML key: "section.name" is `name` in table [section].
  std::string_view key = {};
  // Command-line flag, with its dashes. The environment variable is derived from it:
  // LEDGER_ + the flag without dashes, upper-case, '-' -> '_' (--data-dir ->
  // LEDGER_DATA_DIR).
  std::string_view flag = {};
  SettingType type = SettingType::kString;
  std::string_view description = {};
  // Unsigned settings: inclusive bounds.
  uint64_t min = 0;
  uint64_t max = 0;
  // String settings: the values allowed; empty means any.
  std::span<const std::string_view> choices = {};
  // String settings: whether "" is a value (it turns the feature off).
  bool allow_empty = false;
  // The value in `config`, as text: a string as is, a bool as true/false, a number in
  // decimal.
  std::function<std::string(const LedgerdConfig&)> get = nullptr;
  // Stores an already checked value (bounds and choices are checked by the loader).
  std::function<void(LedgerdConfig&, const std::string& text, uint64_t number)> set = nullptr;
};

// The table, in documentation order.
std::span<const Setting> Settings();

// LEDGER_DATA_DIR for --data-dir.
std::string EnvironmentName(const Setting& setting);

// Where a value came from, for error messages.
struct Sources {
  // TOML text and the name to report for it (usually the file path); empty: no file.
  std::string file_text;
  std::string file_name;
  // Environment variables by name (only LEDGER_* are looked at).
  std::map<std::string, std::string> environment;
  // Flags given on the command line, by flag ("--data-dir" -> "./x").
  std::map<std::string, std::string> flags;
};

// The effective configuration: defaults, then the file, then the environment, then the
// flags. INVALID_ARGUMENT naming the key (and where the value came from) for an unknown
// key in the file, a value of the wrong type or out of range, or a file that does not
// parse.
absl::StatusOr<LedgerdConfig> Load(const Sources& sources);

// The configuration as a TOML document that Load() reads back to the same values.
std::string ToToml(const LedgerdConfig& config);

// The documentation table: key, flag, environment variable, default, description.
std::string SettingsMarkdown();

}  // namespace sixhearts::services::config

#endif  // SIXHEARTS_SERVICES_CONFIG_SETTINGS_H_
