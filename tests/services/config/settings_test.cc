// The settings table and loader: precedence, errors naming the key, TOML round trip, and
// the documentation table in docs/configuration.md kept identical to the code.
#include "services/config/settings.h"

#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace sixhearts::services::config {
namespace {

TEST(SettingsTest, DefaultsAreTheLibraryDefaults) {
  auto config = Load({});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->server.data_dir, "./var/ledger");
  EXPECT_EQ(config->server.listen, "127.0.0.1:50051");
  EXPECT_EQ(config->server.store.limits.max_batch_events, 10'000u);
  EXPECT_EQ(config->server.store.block_cache_bytes, 64u << 20);
  EXPECT_EQ(config->server.projections.checkpoint_every, absl::Seconds(10));
  EXPECT_TRUE(config->server.store.sync);
  EXPECT_EQ(config->log_level, "info");
}

TEST(SettingsTest, FlagsBeatEnvironmentBeatsFileBeatsDefaults) {
  Sources sources;
  sources.file_name = "ledgerd.toml";
  sources.file_text =
      "[server]\nlisten = \"0.0.0.0:1\"\ndata_dir = \"/file\"\n"
      "[limits]\nmax_batch_events = 100\nmax_read_events = 7\n"
      "[store]\nsync = false\n";
  sources.environment = {{"LEDGER_LISTEN", "0.0.0.0:2"},
                         {"LEDGER_MAX_BATCH_EVENTS", "200"},
                         {"LEDGER_SERVER", "ignored: ledgerctl's"}};
  sources.flags = {{"--listen", "0.0.0.0:3"}, {"--checkpoint-every-ms", "2500"}};
  auto config = Load(sources);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->server.listen, "0.0.0.0:3");                  // flag
  EXPECT_EQ(config->server.store.limits.max_batch_events, 200u);  // environment
  EXPECT_EQ(config->server.data_dir, "/file");                    // file
  EXPECT_EQ(config->server.store.limits.max_read_events, 7u);     // file
  EXPECT_FALSE(config->server.store.sync);                        // file
  EXPECT_EQ(config->server.projections.checkpoint_every, absl::Milliseconds(2500));
  EXPECT_EQ(config->server.store.limits.max_subscriptions, 256u);  // default
}

TEST(SettingsTest, ErrorsNameTheKeyAndWhereTheValueCameFrom) {
  auto file = [](std::string text) {
    Sources s;
    s.file_name = "ledgerd.toml";
    s.file_text = std::move(text);
    return Load(s).status();
  };
  auto message = [&](std::string text) { return std::string(file(std::move(text)).message()); };
  EXPECT_EQ(message("[limits]\nmax_batch_event = 5\n"),
            "limits.max_batch_event: unknown key (from ledgerd.toml:2)");
  EXPECT_EQ(message("[server]\nlisten = \"x:1\"\n[tls]\ncert = \"a\"\n"),
            "tls.cert: unknown key (from ledgerd.toml:4)");
  EXPECT_EQ(message("listen = \"x:1\"\n"),
            "listen: unknown key (settings live in sections such as [server]; from "
            "ledgerd.toml:1)");
  EXPECT_EQ(message("[limits]\nmax_batch_events = \"ten\"\n"),
            "limits.max_batch_events: expected an integer from 1 to 1000000, got \"ten\" (from "
            "ledgerd.toml:2)");
  EXPECT_EQ(message("[limits]\nmax_batch_events = 0\n"),
            "limits.max_batch_events: expected an integer from 1 to 1000000, got \"0\" (from "
            "ledgerd.toml:2)");
  EXPECT_EQ(message("[log]\nlevel = \"loud\"\n"),
            "log.level: expected one of trace, debug, info, warn, error, got \"loud\" (from "
            "ledgerd.toml:2)");
  EXPECT_EQ(message("[store]\nsync = 1\n"),
            "store.sync: expected true or false, got 1 (from ledgerd.toml:2)");
  EXPECT_EQ(file("[server\n").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(message("[server\n"), "ledgerd.toml:1: does not parse"))
      << file("[server\n");

  Sources env;
  env.environment = {{"LEDGER_MAX_SUBSCRIPTIONS", "-1"}};
  EXPECT_EQ(std::string(Load(env).status().message()),
            "limits.max_subscriptions: expected an integer from 1 to 1000000, got \"-1\" (from "
            "LEDGER_MAX_SUBSCRIPTIONS)");
  Sources flags;
  flags.flags = {{"--sync", "yes"}};
  EXPECT_EQ(std::string(Load(flags).status().message()),
            "store.sync: expected true or false, got \"yes\" (from --sync)");
  flags.flags = {{"--data-dir", ""}};
  EXPECT_EQ(std::string(Load(flags).status().message()),
            "server.data_dir: must not be empty (from --data-dir)");
}

TEST(SettingsTest, PrintedConfigurationReadsBackToTheSameValues) {
  Sources sources;
  sources.flags = {{"--data-dir", "/srv/a \"quoted\" dir"}, {"--max-text-bytes", "999"}};
  auto config = Load(sources);
  ASSERT_TRUE(config.ok()) << config.status();
  Sources again;
  again.file_name = "printed.toml";
  again.file_text = ToToml(*config);
  auto reread = Load(again);
  ASSERT_TRUE(reread.ok()) << reread.status() << "\n" << again.file_text;
  EXPECT_EQ(ToToml(*reread), again.file_text);
  EXPECT_EQ(reread->server.data_dir, "/srv/a \"quoted\" dir");
  EXPECT_EQ(reread->server.store.limits.max_text_bytes, 999u);
}

TEST(SettingsTest, EveryKeyHasOneFlagAndOneEnvironmentVariable) {
  std::set<std::string> keys, flags;
  for (const Setting& s : Settings()) {
    EXPECT_TRUE(keys.insert(std::string(s.key)).second) << s.key;
    EXPECT_TRUE(flags.insert(std::string(s.flag)).second) << s.flag;
    EXPECT_NE(s.key.find('.'), std::string_view::npos) << s.key;
    EXPECT_TRUE(s.flag.starts_with("--")) << s.flag;
  }
  EXPECT_EQ(EnvironmentName(Settings()[0]), "LEDGER_DATA_DIR");
}

// docs/configuration.md must hold exactly the table the code renders (regenerate it with
// `ledgerd --print-settings-table`).
TEST(SettingsTest, DocumentationListsEverySettingWithItsDefault) {
  std::ifstream in(std::string(SIXHEARTS_SOURCE_DIR) + "/docs/configuration.md");
  ASSERT_TRUE(in) << "docs/configuration.md is missing";
  std::stringstream doc;
  doc << in.rdbuf();
  const std::string table = SettingsMarkdown();
  EXPECT_NE(doc.str().find(table), std::string::npos)
      << "docs/configuration.md is out of date; replace its table with:\n"
      << table;
  for (const Setting& s : Settings()) {
    EXPECT_NE(doc.str().find(absl::StrCat("`", std::string(s.key), "`")), std::string::npos)
        << s.key;
  }
}

}  // namespace
}  // namespace sixhearts::services::config
