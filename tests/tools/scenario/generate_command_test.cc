// `ledgerctl generate` as a subprocess against a ledger server on port 0: the digest's
// head equals the events it reports, the scorecard lists its clients, and a second run
// appends nothing.
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "services/server.h"

namespace sixhearts::scenario {
namespace {

struct CtlRun {
  int exit_code = -1;
  std::string out;
};

// Runs ledgerctl through the shell (the arguments here need no quoting); stderr, where
// the progress goes, is dropped.
CtlRun Ledgerctl(const std::string& server, const std::string& args) {
  const std::string command =
      absl::StrCat(LEDGERCTL_PATH, " --server ", server, " ", args, " 2>/dev/null");
  CtlRun run;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return run;
  char buffer[4096];
  size_t n = 0;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) run.out.append(buffer, n);
  const int status = pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

// The number after `name` on the text record's line "name   value".
int64_t Field(const std::string& record, const std::string& name) {
  for (absl::string_view line : absl::StrSplit(record, '\n')) {
    std::vector<absl::string_view> parts = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (parts.size() == 2 && parts[0] == name) {
      std::string digits(parts[1]);
      digits.erase(std::remove(digits.begin(), digits.end(), ','), digits.end());
      int64_t value = 0;
      if (absl::SimpleAtoi(digits, &value)) return value;
    }
  }
  ADD_FAILURE() << "no " << name << " in\n" << record;
  return -1;
}

TEST(GenerateCommandTest, AppendsOnceAndTheReportsSeeTheClients) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() /
      absl::StrCat("scenario_test-", getpid(), "-", absl::ToUnixNanos(absl::Now()));
  services::ServerOptions options;
  options.data_dir = (dir / "ledger").string();
  options.listen = "127.0.0.1:0";
  auto server = services::LedgerServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string address = (*server)->address();

  const CtlRun first = Ledgerctl(address, "generate --seed 1 --clients 5 --batch 40");
  ASSERT_EQ(first.exit_code, 0) << first.out;
  const int64_t events = Field(first.out, "events");
  EXPECT_GT(events, 40);
  EXPECT_EQ(Field(first.out, "events_appended"), events);
  EXPECT_EQ(Field(first.out, "ClientRegistered"), 5);

  const CtlRun digest = Ledgerctl(address, "digest");
  ASSERT_EQ(digest.exit_code, 0);
  EXPECT_EQ(Field(digest.out, "head_position"), events) << digest.out;

  const CtlRun again = Ledgerctl(address, "generate --seed 1 --clients 5 --batch 40");
  ASSERT_EQ(again.exit_code, 0) << again.out;
  EXPECT_EQ(Field(again.out, "events_appended"), 0);
  EXPECT_EQ(Field(again.out, "events_already_stored"), events);
  EXPECT_EQ(Field(Ledgerctl(address, "digest").out, "head_position"), events);

  const CtlRun scorecard = Ledgerctl(address, "--csv scorecard --as-of 2026-11-30");
  ASSERT_EQ(scorecard.exit_code, 0) << scorecard.out;
  int rows = 0;
  for (absl::string_view line : absl::StrSplit(scorecard.out, "\r\n", absl::SkipEmpty())) {
    if (absl::StrContains(line, "s1-")) ++rows;
  }
  EXPECT_GE(rows, 5) << scorecard.out;

  server->reset();
  std::error_code error;
  std::filesystem::remove_all(dir, error);
}

}  // namespace
}  // namespace sixhearts::scenario
