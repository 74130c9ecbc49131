// The settings table and the loader: TOML file, environment, flags, in that order.
#include "services/config/settings.h"

#include <algorithm>
#include <array>
#include <optional>
#include <sstream>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/time.h"
#include "ledger/quoted.h"
#include "toml++/toml.h"

namespace sixhearts::services::config {

LedgerdConfig::LedgerdConfig() {
  // The server library keeps metrics off for tests and embedders; ledgerd serves them.
  server.metrics_listen = "127.0.0.1:9464";
}

namespace {

// Debian's absl::StrCat does not take std::string_view (absl::string_view is its own type).
std::string Str(std::string_view v) { return std::string(v); }

std::string Join(std::span<const std::string_view> parts) {
  std::string out;
  for (const auto part : parts) absl::StrAppend(&out, out.empty() ? "" : ", ", Str(part));
  return out;
}

constexpr std::array<std::string_view, 5> kLogLevels = {"trace", "debug", "info", "warn", "error"};
constexpr std::array<std::string_view, 2> kLogFormats = {"text", "json"};

constexpr uint64_t kKiB = 1024;
constexpr uint64_t kMiB = 1024 * kKiB;
constexpr uint64_t kGiB = 1024 * kMiB;

// Builders for the three kinds of rows.
Setting String(std::string_view key, std::string_view flag, std::string_view description,
               std::string LedgerdConfig::*field, std::span<const std::string_view> choices = {}) {
  Setting s{.key = key, .flag = flag, .type = SettingType::kString, .description = description};
  s.choices = choices;
  s.get = [field](const LedgerdConfig& c) { return c.*field; };
  s.set = [field](LedgerdConfig& c, const std::string& text, uint64_t) { c.*field = text; };
  return s;
}

template <typename Get, typename Set>
Setting Custom(std::string_view key, std::string_view flag, SettingType type,
               std::string_view description, uint64_t min, uint64_t max, Get get, Set set) {
  Setting s{.key = key, .flag = flag, .type = type, .description = description};
  s.min = min;
  s.max = max;
  s.get = get;
  s.set = set;
  return s;
}

// An unsigned field reached through `member_of` (the struct holding it).
template <typename T, typename Struct, typename Member>
Setting Unsigned(std::string_view key, std::string_view flag, std::string_view description,
                 uint64_t min, uint64_t max, Member member_of, T Struct::*field) {
  return Custom(
      key, flag, SettingType::kUnsigned, description, min, max,
      [member_of, field](const LedgerdConfig& c) {
        return std::to_string(member_of(const_cast<LedgerdConfig&>(c)).*field);
      },
      [member_of, field](LedgerdConfig& c, const std::string&, uint64_t n) {
        member_of(c).*field = static_cast<T>(n);
      });
}

ledger::Limits& LimitsOf(LedgerdConfig& c) { return c.server.store.limits; }
projection::EngineOptions& EngineOf(LedgerdConfig& c) { return c.server.projections; }
ledger::EventStoreOptions& StoreOf(LedgerdConfig& c) { return c.server.store; }
ServerOptions& ServerOf(LedgerdConfig& c) { return c.server; }

std::vector<Setting> MakeTable() {
  std::vector<Setting> t;
  // [server]
  t.push_back(Custom(
      "server.data_dir", "--data-dir", SettingType::kString,
      "Directory of the RocksDB database; created when missing.", 0, 0,
      [](const LedgerdConfig& c) { return c.server.data_dir; },
      [](LedgerdConfig& c, const std::string& v, uint64_t) { c.server.data_dir = v; }));
  t.push_back(Custom(
      "server.listen", "--listen", SettingType::kString,
      "HOST:PORT the gRPC services listen on; port 0 picks a free port.", 0, 0,
      [](const LedgerdConfig& c) { return c.server.listen; },
      [](LedgerdConfig& c, const std::string& v, uint64_t) { c.server.listen = v; }));
  Setting keys_dir = Custom(
      "server.keys_dir", "--keys-dir", SettingType::kString,
      "Personal-data keystore directory, kept apart from the data directory (backups of "
      "data_dir hold only ciphertext); \"\": DATA_DIR.keys, on a replica the primary's "
      "(replica.of + .keys), read without its lock.",
      0, 0, [](const LedgerdConfig& c) { return c.server.store.keys_dir; },
      [](LedgerdConfig& c, const std::string& v, uint64_t) { c.server.store.keys_dir = v; });
  keys_dir.allow_empty = true;
  t.push_back(keys_dir);
  Setting views_dir = Custom(
      "server.views_dir", "--views-dir", SettingType::kString,
      "Directory of the view store, the projections' rows (derived data, rebuilt from the "
      "log when missing or of another format); \"\": DATA_DIR.views.",
      0, 0, [](const LedgerdConfig& c) { return c.server.views_dir; },
      [](LedgerdConfig& c, const std::string& v, uint64_t) { c.server.views_dir = v; });
  views_dir.allow_empty = true;
  t.push_back(views_dir);
  Setting checkpoint_key = Custom(
      "server.checkpoint_key_file", "--checkpoint-key-file", SettingType::kString,
      "Ed25519 private key (PEM) signing the checkpoints of the log's Merkle tree; created "
      "with mode 0600 when missing, refused when others may read it. \"\": "
      "DATA_DIR.checkpoint.key; on a read replica the primary's (REPLICA_OF.checkpoint.key), "
      "which must exist: a replica never creates a key.",
      0, 0, [](const LedgerdConfig& c) { return c.server.checkpoint_key_file; },
      [](LedgerdConfig& c, const std::string& v, uint64_t) { c.server.checkpoint_key_file = v; });
  checkpoint_key.allow_empty = true;
  t.push_back(checkpoint_key);
  t.push_back(Custom(
      "server.checkpoint_origin", "--checkpoint-origin", SettingType::kString,
      "The log's name: the first line of every signed checkpoint and the signing key's "
      "name (no spaces or '+'), e.g. ledger.example.com/collections.",
      0, 0, [](const LedgerdConfig& c) { return c.server.checkpoint_origin; },
      [](LedgerdConfig& c, const std::string& v, uint64_t) { c.server.checkpoint_origin = v; }));
  Setting auth_config = Custom(
      "server.auth_config", "--auth-config", SettingType::kString,
      "TOML file of TLS files, principals, roles and token hashes (README \"Authentication "
      "and roles\"); \"\": no authentication, and the server listens on loopback only.",
      0, 0, [](const LedgerdConfig& c) { return c.server.auth_config_path; },
      [](LedgerdConfig& c, const std::string& v, uint64_t) { c.server.auth_config_path = v; });
  auth_config.allow_empty = true;
  t.push_back(auth_config);
  Setting backup_dir = Custom(
      "server.backup_dir", "--backup-dir", SettingType::kString,
      "Directory for backups taken through the Admin service; not the data directory or "
      "inside it. \"\": backups off (the Admin RPCs answer FAILED_PRECONDITION).",
      0, 0, [](const LedgerdConfig& c) { return c.server.backup_dir; },
      [](LedgerdConfig& c, const std::string& v, uint64_t) { c.server.backup_dir = v; });
  backup_dir.allow_empty = true;
  t.push_back(backup_dir);
  Setting compliance_rates = Custom(
      "compliance.rates_file", "--compliance-rates", SettingType::kString,
      "Rate file replacing compiled-in statutory rate tables (docs/compliance.md); \"\": the "
      "compiled-in tables.",
      0, 0, [](const LedgerdConfig& c) { return c.server.compliance_rates_file; },
      [](LedgerdConfig& c, const std::string& v, uint64_t) { c.server.compliance_rates_file = v; });
  compliance_rates.allow_empty = true;
  t.push_back(compliance_rates);
  // [log]
  t.push_back(String("log.level", "--log-level", "Lowest level logged.", &LedgerdConfig::log_level,
                     kLogLevels));
  t.push_back(String("log.format", "--log-format",
                     "text: one readable line per event; json: one JSON object per line.",
                     &LedgerdConfig::log_format, kLogFormats));
  // [metrics]
  Setting metrics_listen = Custom(
      "metrics.listen", "--metrics-listen", SettingType::kString,
      "HOST:PORT of the Prometheus endpoint (GET /metrics), apart from gRPC; port 0 picks a "
      "free port; \"\" turns metrics off.",
      0, 0, [](const LedgerdConfig& c) { return c.server.metrics_listen; },
      [](LedgerdConfig& c, const std::string& v, uint64_t) { c.server.metrics_listen = v; });
  metrics_listen.allow_empty = true;
  t.push_back(metrics_listen);
  t.push_back(Custom(
      "metrics.rocksdb_statistics", "--rocksdb-statistics", SettingType::kBool,
      "Export RocksDB statistics tickers too (costs a few per cent of append throughput).", 0, 0,
      [](const LedgerdConfig& c) { return c.server.rocksdb_statistics ? "true" : "false"; },
      [](LedgerdConfig& c, const std::string&, uint64_t n) {
        c.server.rocksdb_statistics = n != 0;
      }));
  // [console]
  Setting console_listen =
      String("console.listen", "--console-listen",
             "HOST:PORT of the web console and the Connect JSON form of the unary RPCs (HTTP, "
             "loopback only; with [tls], HTTPS with the server's certificate, any address); "
             "port 0 picks a free port; \"\" turns it off.",
             &LedgerdConfig::console_listen);
  console_listen.allow_empty = true;
  t.push_back(console_listen);
  // [replica]
  Setting replica_of = Custom(
      "replica.of", "--replica-of", SettingType::kString,
      "Serve as a read replica of the ledger in this directory (the primary's data_dir); "
      "appends are refused with FAILED_PRECONDITION and data_dir keeps only the replica's "
      "own RocksDB logs. \"\": a primary.",
      0, 0, [](const LedgerdConfig& c) { return c.server.replica_of; },
      [](LedgerdConfig& c, const std::string& v, uint64_t) { c.server.replica_of = v; });
  replica_of.allow_empty = true;
  t.push_back(replica_of);
  t.push_back(Custom(
      "replica.catch_up_interval_ms", "--replica-catch-up-interval-ms", SettingType::kUnsigned,
      "How often a replica catches up with its primary, in milliseconds.", 1, 60'000,
      [](const LedgerdConfig& c) {
        return std::to_string(absl::ToInt64Milliseconds(c.server.replica_catch_up_interval));
      },
      [](LedgerdConfig& c, const std::string&, uint64_t n) {
        c.server.replica_catch_up_interval = absl::Milliseconds(static_cast<int64_t>(n));
      }));
  // [store]
  t.push_back(Custom(
      "store.sync", "--sync", SettingType::kBool,
      "Sync the write-ahead log before an append is acknowledged. Turning it off loses "
      "acknowledged appends on a power failure; only benchmarks do.",
      0, 0, [](const LedgerdConfig& c) { return c.server.store.sync ? "true" : "false"; },
      [](LedgerdConfig& c, const std::string&, uint64_t n) { c.server.store.sync = n != 0; }));
  t.push_back(Unsigned<size_t>("store.block_cache_bytes", "--block-cache-bytes",
                               "RocksDB block cache size, in bytes.", kMiB, 1024 * kGiB, StoreOf,
                               &ledger::EventStoreOptions::block_cache_bytes));
  // [limits]: ledger/limits.h, where each is explained.
  using L = ledger::Limits;
  t.push_back(Unsigned<size_t>("limits.max_event_bytes", "--max-event-bytes",
                               "Largest serialized event accepted, in bytes.", 256, 16 * kMiB,
                               LimitsOf, &L::max_event_bytes));
  t.push_back(Unsigned<size_t>("limits.max_batch_events", "--max-batch-events",
                               "Most events in one Append request.", 1, 1'000'000, LimitsOf,
                               &L::max_batch_events));
  t.push_back(Unsigned<size_t>("limits.max_message_bytes", "--max-message-bytes",
                               "Largest gRPC message received or sent, in bytes.", 64 * kKiB,
                               2 * kGiB - 1, LimitsOf, &L::max_message_bytes));
  t.push_back(Unsigned<uint32_t>("limits.max_read_events", "--max-read-events",
                                 "Most events in one read page.", 1, 100'000, LimitsOf,
                                 &L::max_read_events));
  t.push_back(Unsigned<uint32_t>("limits.max_scan_records", "--max-scan-records",
                                 "Most records one filtered read page looks at.", 1, 1'000'000'000,
                                 LimitsOf, &L::max_scan_records));
  t.push_back(Unsigned<size_t>("limits.subscription_buffer_events", "--subscription-buffer-events",
                               "Events a live subscription may have queued before it is "
                               "dropped as too slow (RESOURCE_EXHAUSTED).",
                               16, 100'000'000, LimitsOf, &L::subscription_buffer_events));
  t.push_back(Unsigned<size_t>("limits.max_subscriptions", "--max-subscriptions",
                               "Live subscriptions served at once.", 1, 1'000'000, LimitsOf,
                               &L::max_subscriptions));
  t.push_back(Unsigned<size_t>("limits.max_pending_appends", "--max-pending-appends",
                               "Append requests waiting for the writer; beyond this Append "
                               "returns RESOURCE_EXHAUSTED.",
                               1, 10'000'000, LimitsOf, &L::max_pending_appends));
  t.push_back(Unsigned<size_t>("limits.max_group_events", "--max-group-events",
                               "Most events in one synced write (group commit).", 1, 100'000'000,
                               LimitsOf, &L::max_group_events));
  t.push_back(Unsigned<size_t>("limits.max_id_bytes", "--max-id-bytes",
                               "Longest identifier (event id, stream, business id), in bytes.", 36,
                               4 * kKiB, LimitsOf, &L::max_id_bytes));
  t.push_back(Unsigned<size_t>("limits.max_text_bytes", "--max-text-bytes",
                               "Longest free-text field (summary, reason, note), in bytes.", 16,
                               16 * kMiB, LimitsOf, &L::max_text_bytes));
  t.push_back(Unsigned<size_t>("limits.max_cached_streams", "--max-cached-streams",
                               "Stream versions the writer caches before clearing the cache.", 1,
                               1'000'000'000, LimitsOf, &L::max_cached_streams));
  t.push_back(Unsigned<size_t>("limits.max_cached_entities", "--max-cached-entities",
                               "Business objects the writer caches before clearing the cache.", 1,
                               1'000'000'000, LimitsOf, &L::max_cached_entities));
  t.push_back(Unsigned<size_t>("limits.max_cached_keys", "--max-cached-keys",
                               "Personal-data keys the keystore caches before clearing the cache.",
                               1, 1'000'000'000, LimitsOf, &L::max_cached_keys));
  t.push_back(Unsigned<size_t>("limits.max_in_flight_requests", "--max-in-flight-requests",
                               "Calls served at once (Subscribe and health Watch not counted); "
                               "beyond it RESOURCE_EXHAUSTED before any handler runs.",
                               1, 1'000'000, LimitsOf, &L::max_in_flight_requests));
  t.push_back(Unsigned<size_t>("limits.max_streams_per_connection", "--max-streams-per-connection",
                               "Concurrent calls (HTTP/2 streams) on one client connection.", 1,
                               1'000'000, LimitsOf, &L::max_streams_per_connection));
  t.push_back(Unsigned<size_t>("limits.grpc_memory_bytes", "--grpc-memory-bytes",
                               "Memory gRPC may use for the buffers of all connections (its "
                               "ResourceQuota), in bytes.",
                               kMiB, 1024 * kGiB, LimitsOf, &L::grpc_memory_bytes));
  // [projections]: services/projection/projection_engine.h.
  using E = projection::EngineOptions;
  t.push_back(Unsigned<uint64_t>("projections.checkpoint_every_events", "--checkpoint-every-events",
                                 "A projection saves its state after this many new events.", 1,
                                 1'000'000'000'000, EngineOf, &E::checkpoint_every_events));
  t.push_back(Custom(
      "projections.checkpoint_every_ms", "--checkpoint-every-ms", SettingType::kUnsigned,
      "... or after this many milliseconds with unsaved events, whichever comes first.", 1,
      86'400'000,
      [](const LedgerdConfig& c) {
        return std::to_string(absl::ToInt64Milliseconds(c.server.projections.checkpoint_every));
      },
      [](LedgerdConfig& c, const std::string&, uint64_t n) {
        c.server.projections.checkpoint_every = absl::Milliseconds(static_cast<int64_t>(n));
      }));
  t.push_back(Unsigned<uint64_t>("projections.snapshot_every_events", "--snapshot-every-events",
                                 "A snapshot for as-of queries is kept every this many events.", 1,
                                 1'000'000'000'000, EngineOf, &E::snapshot_every_events));
  t.push_back(Unsigned<uint64_t>(
      "projections.replay_snapshot_growth", "--replay-snapshot-growth",
      "A rebuild or catch-up replay writes snapshots at positions growing by this factor (1M, "
      "2M, 4M, ...), so its cost stays linear in the log; 1 keeps the fixed spacing.",
      1, 16, EngineOf, &E::replay_snapshot_growth));
  t.push_back(Unsigned<uint64_t>(
      "projections.catch_up_replay_events", "--catch-up-replay-events",
      "A projection further behind the head than this when it starts catches up with one "
      "replay of the log before it follows it live.",
      1, 1'000'000'000'000, EngineOf, &E::catch_up_replay_events));
  t.push_back(Unsigned<size_t>(
      "projections.view_cache_bytes", "--view-cache-bytes",
      "Bytes of decoded row versions a stored view's follower keeps in memory (per "
      "projection).",
      kMiB, 1024 * kGiB, EngineOf, &E::view_cache_bytes));
  t.push_back(Unsigned<size_t>("projections.view_block_cache_bytes", "--view-block-cache-bytes",
                               "The view store's RocksDB block cache size, in bytes.", kMiB,
                               1024 * kGiB, ServerOf, &ServerOptions::views_block_cache_bytes));
  return t;
}

std::string Describe(const Setting& s) {
  std::string out = Str(s.description);
  if (s.type == SettingType::kUnsigned) {
    absl::StrAppend(&out, " Range ", s.min, "..", s.max, ".");
  }
  if (!s.choices.empty()) {
    absl::StrAppend(&out, " One of ", Join(s.choices), ".");
  }
  return out;
}

std::string Expected(const Setting& s) {
  switch (s.type) {
    case SettingType::kBool:
      return "expected true or false";
    case SettingType::kUnsigned:
      return absl::StrCat("expected an integer from ", s.min, " to ", s.max);
    case SettingType::kString:
      if (!s.choices.empty()) return absl::StrCat("expected one of ", Join(s.choices));
      return "expected a string";
  }
  return "";
}

const Setting* Find(std::string_view key) {
  for (const Setting& s : Settings()) {
    if (s.key == key) return &s;
  }
  return nullptr;
}

// Checks `text` (from the environment or a flag, or a TOML value rendered as text)
// against the setting and stores it.
absl::Status Apply(const Setting& s, const std::string& text, std::string_view origin,
                   LedgerdConfig& config) {
  auto bad = [&] {
    return absl::InvalidArgumentError(absl::StrCat(Str(s.key), ": ", Expected(s), ", got \"", text,
                                                   "\" (from ", Str(origin), ")"));
  };
  uint64_t number = 0;
  switch (s.type) {
    case SettingType::kBool:
      if (text == "true") {
        number = 1;
      } else if (text != "false") {
        return bad();
      }
      break;
    case SettingType::kUnsigned:
      if (text.empty() || !absl::ascii_isdigit(static_cast<unsigned char>(text[0])) ||
          !absl::SimpleAtoi(text, &number) || number < s.min || number > s.max) {
        return bad();
      }
      break;
    case SettingType::kString:
      if (!s.choices.empty() &&
          std::find(s.choices.begin(), s.choices.end(), text) == s.choices.end()) {
        return bad();
      }
      if (s.choices.empty() && text.empty() && !s.allow_empty) {
        return absl::InvalidArgumentError(
            absl::StrCat(Str(s.key), ": must not be empty (from ", Str(origin), ")"));
      }
      break;
  }
  s.set(config, text, number);
  return absl::OkStatus();
}

// A TOML value as the text Apply() takes; nullopt when its TOML type is wrong.
std::optional<std::string> TomlText(const Setting& s, const toml::node& node) {
  switch (s.type) {
    case SettingType::kString:
      if (auto v = node.value<std::string>(); v && node.is_string()) return *v;
      return std::nullopt;
    case SettingType::kBool:
      if (node.is_boolean()) return *node.value<bool>() ? "true" : "false";
      return std::nullopt;
    case SettingType::kUnsigned:
      if (node.is_integer()) return std::to_string(*node.value<int64_t>());
      return std::nullopt;
  }
  return std::nullopt;
}

std::string TomlQuote(const std::string& s) { return ledger::Quoted(s); }

std::string Rendered(const Setting& s, const LedgerdConfig& config) {
  const std::string value = s.get(config);
  return s.type == SettingType::kString ? TomlQuote(value) : value;
}

absl::Status LoadFile(const Sources& sources, LedgerdConfig& config) {
  toml::table root;
  try {
    root = toml::parse(sources.file_text, sources.file_name);
  } catch (const toml::parse_error& e) {
    return absl::InvalidArgumentError(absl::StrCat(sources.file_name, ":",
                                                   static_cast<uint64_t>(e.source().begin.line),
                                                   ": does not parse: ", Str(e.description())));
  }
  auto origin = [&](const toml::node& node) {
    return absl::StrCat(sources.file_name, ":", static_cast<uint64_t>(node.source().begin.line));
  };
  for (auto&& [section_key, section] : root) {
    const std::string section_name(section_key.str());
    const toml::table* table = section.as_table();
    if (table == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          section_name, ": unknown key (settings live in sections such as [server]; from ",
          origin(section), ")"));
    }
    for (auto&& [key, node] : *table) {
      const std::string full = absl::StrCat(section_name, ".", std::string(key.str()));
      const Setting* s = Find(full);
      if (s == nullptr) {
        return absl::InvalidArgumentError(
            absl::StrCat(full, ": unknown key (from ", origin(node), ")"));
      }
      auto text = TomlText(*s, node);
      if (!text) {
        std::ostringstream shown;
        if (node.is_string()) {
          shown << '"' << *node.value<std::string>() << '"';  // as the other sources show it
        } else {
          node.visit([&shown](const auto& value) { shown << value; });
        }
        return absl::InvalidArgumentError(absl::StrCat(Str(s->key), ": ", Expected(*s), ", got ",
                                                       shown.str(), " (from ", origin(node), ")"));
      }
      if (absl::Status st = Apply(*s, *text, origin(node), config); !st.ok()) return st;
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::span<const Setting> Settings() {
  static const std::vector<Setting> table = MakeTable();
  return table;
}

std::string EnvironmentName(const Setting& setting) {
  std::string name(setting.flag.substr(2));
  absl::AsciiStrToUpper(&name);
  absl::StrReplaceAll({{"-", "_"}}, &name);
  return "LEDGER_" + name;
}

absl::StatusOr<LedgerdConfig> Load(const Sources& sources) {
  LedgerdConfig config;
  if (!sources.file_name.empty()) {
    if (absl::Status s = LoadFile(sources, config); !s.ok()) return s;
  }
  for (const Setting& s : Settings()) {
    const std::string env = EnvironmentName(s);
    if (auto it = sources.environment.find(env); it != sources.environment.end()) {
      if (absl::Status st = Apply(s, it->second, env, config); !st.ok()) return st;
    }
  }
  for (const auto& [flag, value] : sources.flags) {
    const Setting* found = nullptr;
    for (const Setting& s : Settings()) {
      if (s.flag == flag) found = &s;
    }
    if (found == nullptr) return absl::InvalidArgumentError(flag + ": unknown flag");
    if (absl::Status st = Apply(*found, value, flag, config); !st.ok()) return st;
  }
  return config;
}

std::string ToToml(const LedgerdConfig& config) {
  std::string out;
  std::string_view section;
  for (const Setting& s : Settings()) {
    const std::string_view key = s.key;
    const size_t dot = key.find('.');
    if (key.substr(0, dot) != section) {
      section = key.substr(0, dot);
      absl::StrAppend(&out, out.empty() ? "" : "\n", "[", Str(section), "]\n");
    }
    absl::StrAppend(&out, Str(key.substr(dot + 1)), " = ", Rendered(s, config), "\n");
  }
  return out;
}

std::string SettingsMarkdown() {
  const LedgerdConfig defaults;
  std::string out =
      "| Key | Flag | Environment | Default | Meaning |\n"
      "|---|---|---|---|---|\n";
  for (const Setting& s : Settings()) {
    absl::StrAppend(&out, "| `", Str(s.key), "` | `", Str(s.flag), "` | `", EnvironmentName(s),
                    "` | `", Rendered(s, defaults), "` | ", Describe(s), " |\n");
  }
  return out;
}

}  // namespace sixhearts::services::config
