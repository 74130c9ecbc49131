// ledgerctl: the output formatting and id derivation in-process, then the real binary as
// a subprocess against a real ledger server on port 0 in a temporary directory, checking
// exact outputs and exit codes.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "services/auth/auth_config.h"
#include "services/server.h"
#include "tools/csv_import/csv_importer.h"
#include "tools/ledgerctl/cli.h"
#include "tools/ledgerctl/import_append.h"
#include "tools/ledgerctl/json_lines.h"
#include "tools/ledgerctl/progress_bar.h"
#include "tools/ledgerctl/table.h"

extern char** environ;

namespace sixhearts::ledgerctl {
namespace {

// ------------------------------------------------------------------------- formatting

std::vector<Column> SampleColumns() {
  return {{"id", ColumnKind::kNumber},
          {"name", ColumnKind::kText},
          {"amount", ColumnKind::kGroupedNumber},
          {"open", ColumnKind::kBool}};
}

Table SampleTable() {
  Table table(SampleColumns());
  table.AddRow({"7", "Acme, \"Ltd\"", "1234567.50", "true"});
  table.AddRow({"12", "华为", "-50", "false"});
  table.AddRow({"3", "line\nbreak", "", "false"});
  return table;
}

TEST(TableTest, TextAlignsColumnsAndGroupsThousands) {
  // "华为" is two wide characters: four columns. Numbers are right-aligned; the last
  // column is not padded.
  EXPECT_EQ(SampleTable().Render(OutputFormat::kText),
            "id  name               amount  open\n"
            " 7  Acme, \"Ltd\"  1,234,567.50  true\n"
            "12  华为                  -50  false\n"
            " 3  line break                 false\n");
}

TEST(TableTest, CsvQuotesPerRfc4180) {
  EXPECT_EQ(SampleTable().Render(OutputFormat::kCsv),
            "id,name,amount,open\r\n"
            "7,\"Acme, \"\"Ltd\"\"\",1234567.50,true\r\n"
            "12,华为,-50,false\r\n"
            "3,\"line\nbreak\",,false\r\n");
}

TEST(TableTest, JsonIsAnArrayOfObjects) {
  EXPECT_EQ(SampleTable().Render(OutputFormat::kJson),
            "[\n"
            "{\"id\":7,\"name\":\"Acme, \\\"Ltd\\\"\",\"amount\":1234567.50,\"open\":true},\n"
            "{\"id\":12,\"name\":\"华为\",\"amount\":-50,\"open\":false},\n"
            "{\"id\":3,\"name\":\"line\\nbreak\",\"amount\":null,\"open\":false}\n"
            "]\n");
}

TEST(TableTest, EmptyTable) {
  Table table(SampleColumns());
  EXPECT_EQ(table.Render(OutputFormat::kText), "id  name  amount  open\n");
  EXPECT_EQ(table.Render(OutputFormat::kCsv), "id,name,amount,open\r\n");
  EXPECT_EQ(table.Render(OutputFormat::kJson), "[]\n");
}

TEST(TableTest, WriterStreamsPastItsBufferWithFrozenWidths) {
  std::ostringstream out;
  TableWriter writer({{"n", ColumnKind::kNumber}, {"word", ColumnKind::kText}}, OutputFormat::kText,
                     &out, 1);
  writer.AddRow({"1", "a"});
  writer.AddRow({"22", "bb"});  // over the buffer: the widths of the first row hold
  writer.AddRow({"333", "c"});
  writer.Finish();
  EXPECT_EQ(out.str(),
            " n  word\n"
            " 1  a\n"
            "22  bb\n"
            "333  c\n");
}

TEST(TableTest, Pieces) {
  EXPECT_EQ(GroupThousands("0"), "0");
  EXPECT_EQ(GroupThousands("999"), "999");
  EXPECT_EQ(GroupThousands("1000"), "1,000");
  EXPECT_EQ(GroupThousands("-1234567.891"), "-1,234,567.891");
  EXPECT_EQ(GroupThousands("12ab"), "12ab");
  EXPECT_EQ(DisplayWidth("abc"), 3u);
  EXPECT_EQ(DisplayWidth("六心法则"), 8u);
  EXPECT_EQ(DisplayWidth("e\xCC\x81"), 1u);  // e + combining acute accent
  EXPECT_EQ(CsvField("plain"), "plain");
  EXPECT_EQ(CsvField("a\rb"), "\"a\rb\"");
  EXPECT_EQ(JsonQuote("tab\there \x01"), "\"tab\\there \\u0001\"");
}

TEST(RecordTest, RendersEachFormat) {
  Record record;
  record.Add("head_position", "5032", ColumnKind::kNumber);
  record.Add("rows", "2466", ColumnKind::kGroupedNumber);
  record.Add("problem", "");
  record.AddJson("list", "[1,2]");
  EXPECT_EQ(record.Render(OutputFormat::kText),
            "head_position  5032\n"
            "rows           2,466\n"
            "problem\n");
  EXPECT_EQ(record.Render(OutputFormat::kCsv), "head_position,rows,problem\r\n5032,2466,\r\n");
  EXPECT_EQ(record.Render(OutputFormat::kJson),
            "{\"head_position\":5032,\"rows\":2466,\"problem\":\"\",\"list\":[1,2]}\n");
}

// ------------------------------------------------------------------- ids and progress

TEST(LineEventIdTest, IsSha256WithVersionAndVariantBits) {
  // SHA-256("abc") = ba7816bf 8f01cfea 414140de 5dae2223 ...: byte 6 0xcf becomes 0x8f
  // (version 8), byte 8 0x41 becomes 0x81 (variant 10).
  EXPECT_EQ(LineEventId("abc"), "ba7816bf-8f01-8fea-8141-40de5dae2223");
  EXPECT_EQ(LineEventId("abc"), LineEventId("abc"));
  EXPECT_NE(LineEventId("abc"), LineEventId("abd"));
}

TEST(ParseEventLineTest, FillsTheIdAndNamesTheLine) {
  auto event = ParseEventLine(R"({"stream":"client-1","survey_recorded":{"score":4}})", 7);
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_EQ(event->event_id(),
            LineEventId(R"({"stream":"client-1","survey_recorded":{"score":4}})"));
  auto given = ParseEventLine(
      R"({"event_id":"00000000-0000-4000-8000-000000000001","stream":"client-1"})", 1);
  ASSERT_TRUE(given.ok());
  EXPECT_EQ(given->event_id(), "00000000-0000-4000-8000-000000000001");
  auto bad = ParseEventLine(R"({"stream":"client-1","no_such_field":1})", 12);
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(absl::StartsWith(bad.status().message(), "line 12: ")) << bad.status();
}

TEST(LineReaderTest, BoundsLinesAndStripsCrLf) {
  std::istringstream in("one\r\ntwo\n" + std::string(20, 'x') + "\nfour");
  LineReader reader(&in, 10);
  std::string line;
  ASSERT_TRUE(*reader.Next(&line));
  EXPECT_EQ(line, "one");
  ASSERT_TRUE(*reader.Next(&line));
  EXPECT_EQ(line, "two");
  auto long_line = reader.Next(&line);
  ASSERT_FALSE(long_line.ok());
  EXPECT_EQ(long_line.status().message(), "line 3: longer than 10 bytes");
  ASSERT_TRUE(*reader.Next(&line));
  EXPECT_EQ(line, "four");
  EXPECT_EQ(reader.line_number(), 4);
  EXPECT_FALSE(*reader.Next(&line));
}

TEST(ProgressTest, FormatsBarPercentAndRate) {
  EXPECT_EQ(FormatProgress({1234, 450, 1000, 2468, absl::Seconds(2)}),
            "[##########..............]  45%  1,234 rows  2,468 events  1,234 events/s");
  EXPECT_EQ(FormatProgress({5, 10, 0, 0, absl::ZeroDuration()}), "5 rows  0 events  0 events/s");
}

TEST(ProgressTest, OffATerminalPrintsALineEveryFiveSeconds) {
  absl::Time now = absl::FromUnixSeconds(1'000'000);
  std::ostringstream out;
  ProgressBar bar(&out, false, 0, [&] { return now; });
  bar.Update(10, 100, 20);
  now += absl::Seconds(4);
  bar.Update(20, 200, 40);
  EXPECT_EQ(out.str(), "");
  now += absl::Seconds(1);
  bar.Update(30, 300, 50);
  EXPECT_EQ(out.str(), "import: 30 rows  50 events  10 events/s\n");
  now += absl::Seconds(5);
  bar.Finish(40, 400, 100);
  EXPECT_EQ(out.str(),
            "import: 30 rows  50 events  10 events/s\n"
            "import: 40 rows  100 events  10 events/s\n");
}

TEST(ProgressTest, QuickImportOffATerminalPrintsNothing) {
  absl::Time now = absl::FromUnixSeconds(1'000'000);
  std::ostringstream out;
  ProgressBar bar(&out, false, 0, [&] { return now; });
  bar.Update(10, 100, 20);
  bar.Finish(10, 100, 20);
  EXPECT_EQ(out.str(), "");
}

// --------------------------------------------------------------- the binary, end to end

struct Result {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void WriteFile(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines = absl::StrSplit(text, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  return lines;
}

// A started ledgerctl; Wait() collects it.
class Child {
 public:
  Child(const std::filesystem::path& dir, int id, const std::vector<std::string>& args,
        const std::string& stdin_path)
      : out_path_(dir / absl::StrCat("stdout-", id)), err_path_(dir / absl::StrCat("stderr-", id)) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, stdin_path.c_str(), O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    posix_spawn_file_actions_addopen(&actions, 2, err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    std::vector<std::string> full = {LEDGERCTL_PATH};
    full.insert(full.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& arg : full) argv.push_back(arg.data());
    argv.push_back(nullptr);
    EXPECT_EQ(posix_spawn(&pid_, LEDGERCTL_PATH, &actions, nullptr, argv.data(), environ), 0);
    posix_spawn_file_actions_destroy(&actions);
  }

  void Signal(int signal_number) { kill(pid_, signal_number); }

  // Kills the child if it has not exited within `timeout`, so a hang fails the test
  // instead of blocking it.
  Result Wait(absl::Duration timeout = absl::Seconds(60)) {
    Result result;
    int status = 0;
    const absl::Time deadline = absl::Now() + timeout;
    while (waitpid(pid_, &status, WNOHANG) == 0) {
      if (absl::Now() > deadline) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
        ADD_FAILURE() << "ledgerctl did not finish in time";
        break;
      }
      absl::SleepFor(absl::Milliseconds(10));
    }
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    result.out = ReadFile(out_path_);
    result.err = ReadFile(err_path_);
    return result;
  }

 private:
  std::filesystem::path out_path_;
  std::filesystem::path err_path_;
  pid_t pid_ = 0;
};

// Three events of one client, in the JSON mapping as a person writes it.
constexpr char kClientLine[] =
    R"({"stream":"client-acme","occurred_at":"2026-01-05T00:00:00Z","client_registered":{"client_id":"acme","name":"Acme Ltd","jurisdiction":"JURISDICTION_CN","client_kind":"CLIENT_KIND_PRIVATE","seller_is_sme":true}})";
constexpr char kInvoiceLine[] =
    R"({"stream":"client-acme","occurred_at":"2026-01-10T00:00:00Z","invoice_issued":{"invoice_id":"INV-1","amount":{"amount_minor":"100000","currency":"CNY"},"issue_date":{"year":2026,"month":1,"day":10},"due_date":{"year":2026,"month":2,"day":9}}})";
constexpr char kPaymentLine[] =
    R"({"stream":"client-acme","occurred_at":"2026-02-01T00:00:00Z","payment_received":{"payment_id":"PAY-1","amount":{"amount_minor":"100000","currency":"CNY"},"value_date":{"year":2026,"month":2,"day":1},"allocations":[{"invoice_id":"INV-1","amount_minor":"100000"}]}})";
constexpr char kSurveyLine[] =
    R"({"stream":"client-acme","occurred_at":"2026-03-01T00:00:00Z","survey_recorded":{"survey_id":"S-1","score":5,"surveyed_on":{"year":2026,"month":3,"day":1}}})";
// Due before issue: the ledger refuses it.
constexpr char kBadInvoiceLine[] =
    R"({"stream":"client-acme","occurred_at":"2026-03-01T00:00:00Z","invoice_issued":{"invoice_id":"INV-2","amount":{"amount_minor":"5000","currency":"CNY"},"issue_date":{"year":2026,"month":3,"day":1},"due_date":{"year":2026,"month":2,"day":1}}})";

constexpr char kIbmHeader[] =
    "countryCode,customerID,PaperlessDate,invoiceNumber,InvoiceDate,DueDate,InvoiceAmount,"
    "Disputed,SettledDate,PaperlessBill,DaysToSettle,DaysLate\n";

constexpr char kIbmSample[] = SIXHEARTS_SOURCE_DIR "/tests/data/ibm-ar-late-payment-histories.csv";

class LedgerctlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    dir_ = std::filesystem::temp_directory_path() / absl::StrCat("ledgerctl_test-", getpid(), "-",
                                                                 counter++, "-",
                                                                 absl::ToUnixNanos(absl::Now()));
    std::filesystem::create_directories(dir_);
    StartServer("127.0.0.1:0");
  }

  void TearDown() override {
    server_.reset();
    std::error_code error;
    std::filesystem::remove_all(dir_, error);
  }

  void StartServer(const std::string& listen, size_t max_text_bytes = 4'096) {
    services::ServerOptions options;
    options.store.limits.max_text_bytes = max_text_bytes;
    options.data_dir = (dir_ / "ledger").string();
    options.listen = listen;
    options.backup_dir = (dir_ / "backups").string();
    auto server = services::LedgerServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  std::vector<std::string> WithServer(const std::vector<std::string>& args) {
    std::vector<std::string> full = {"--server", server_->address()};
    full.insert(full.end(), args.begin(), args.end());
    return full;
  }

  Child Start(const std::vector<std::string>& args, const std::string& stdin_path = "/dev/null") {
    return Child(dir_, runs_++, WithServer(args), stdin_path);
  }

  Result Ctl(const std::vector<std::string>& args, const std::string& stdin_path = "/dev/null") {
    return Start(args, stdin_path).Wait();
  }

  std::string File(const std::string& name, const std::string& text) {
    const std::filesystem::path path = dir_ / name;
    WriteFile(path, text);
    return path.string();
  }

  std::string ThreeEvents() {
    return File("three.jsonl",
                absl::StrCat(kClientLine, "\n", kInvoiceLine, "\n\n", kPaymentLine, "\n"));
  }

  std::string Digest() {
    Result digest = Ctl({"digest"});
    EXPECT_EQ(digest.exit_code, 0) << digest.err;
    return digest.out;
  }

  std::filesystem::path dir_;
  std::unique_ptr<services::LedgerServer> server_;
  int runs_ = 0;
};

// The append table for the three events; blank line 3 is skipped.
std::string ThreeEventsTable(const std::string& status) {
  return absl::StrCat(
      "line  position  stream       version  event_id                              status\n",
      "   1         1  client-acme        1  ", LineEventId(kClientLine), "  ", status, "\n",
      "   2         2  client-acme        2  ", LineEventId(kInvoiceLine), "  ", status, "\n",
      "   4         3  client-acme        3  ", LineEventId(kPaymentLine), "  ", status, "\n");
}

TEST_F(LedgerctlTest, AppendPrintsPositionsAndIsIdempotent) {
  const std::string file = ThreeEvents();
  Result first = Ctl({"append", file});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(first.out, ThreeEventsTable("appended"));
  EXPECT_EQ(first.err, "");
  const std::string digest = Digest();
  EXPECT_TRUE(absl::StartsWith(digest, "head_position  3\nhead_hash      ")) << digest;

  Result again = Ctl({"append", file});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.out, ThreeEventsTable("already_stored"));
  EXPECT_EQ(Digest(), digest);

  // From standard input, one event per request: still the same three events.
  Result piped = Ctl({"--json", "append", "--batch", "1", "-"}, file);
  ASSERT_EQ(piped.exit_code, 0) << piped.err;
  EXPECT_EQ(piped.out,
            absl::StrCat("[\n{\"line\":1,\"position\":1,\"stream\":\"client-acme\",\"version\":1,"
                         "\"event_id\":\"",
                         LineEventId(kClientLine),
                         "\",\"status\":\"already_stored\"},\n"
                         "{\"line\":2,\"position\":2,\"stream\":\"client-acme\",\"version\":2,"
                         "\"event_id\":\"",
                         LineEventId(kInvoiceLine),
                         "\",\"status\":\"already_stored\"},\n"
                         "{\"line\":4,\"position\":3,\"stream\":\"client-acme\",\"version\":3,"
                         "\"event_id\":\"",
                         LineEventId(kPaymentLine), "\",\"status\":\"already_stored\"}\n]\n"));
  EXPECT_EQ(Digest(), digest);
}

// A backup RocksDB cannot load is a damaged backup: verify exits 3 naming what is wrong
// (it exited 1 with NOT_FOUND "no usable backup"), and list blames the missing table file,
// not the meta file.
TEST_F(LedgerctlTest, BackupVerifyExits3ForAMissingTableFileOrADamagedMetaFile) {
  ASSERT_EQ(Ctl({"append", ThreeEvents()}).exit_code, 0);
  ASSERT_EQ(Ctl({"backup", "create"}).exit_code, 0);
  const std::filesystem::path backups = dir_ / "backups";
  const std::filesystem::path copy = dir_ / "backups-meta";
  std::filesystem::copy(backups, copy, std::filesystem::copy_options::recursive);

  // A damaged meta file, in a copy read locally.
  { std::ofstream(copy / "meta" / "1", std::ios::trunc) << "not a meta file\n"; }
  for (const std::vector<std::string>& id : {std::vector<std::string>{}, {"1"}}) {
    std::vector<std::string> args = {"--json", "backup", "verify"};
    args.insert(args.end(), id.begin(), id.end());
    args.insert(args.end(), {"--backup-dir", copy.string()});
    Result verified = Ctl(args);
    EXPECT_EQ(verified.exit_code, 3) << verified.err;
    EXPECT_EQ(verified.out,
              "{\"ok\":false,\"backup_id\":1,\"checked\":0,\"first_bad_position\":null,"
              "\"problem\":\"its meta file does not read\",\"head_position\":0,"
              "\"head_hash\":\"\"}\n")
        << verified.err;
  }

  // A table file deleted from the server's backup directory.
  std::filesystem::path table;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(backups)) {
    if (entry.path().extension() == ".sst") table = entry.path();
  }
  ASSERT_FALSE(table.empty());
  std::filesystem::remove(table);
  const std::string missing =
      std::filesystem::relative(table, backups).string() + " is missing from the backup directory";
  Result verified = Ctl({"--json", "backup", "verify", "1"});
  EXPECT_EQ(verified.exit_code, 3) << verified.err;
  EXPECT_NE(verified.out.find(absl::StrCat("\"problem\":\"files: ", missing, "\"")),
            std::string::npos)
      << verified.out;
  Result listed = Ctl({"--csv", "backup", "list"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(listed.out.find(absl::StrCat(",files: ", missing, "\r\n")), std::string::npos)
      << listed.out;
  EXPECT_EQ(listed.out.find("meta file"), std::string::npos) << listed.out;
}

TEST_F(LedgerctlTest, BackupCreateListVerifyRestore) {
  ASSERT_EQ(Ctl({"append", ThreeEvents()}).exit_code, 0);
  const std::string digest = Digest();  // head_position 3
  const std::string hash = digest.substr(digest.find("head_hash") + 15, 64);

  Result created = Ctl({"--json", "backup", "create", "--keep", "5"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  EXPECT_TRUE(absl::StartsWith(created.out, "{\"backup_id\":1,\"created_at\":\"")) << created.out;
  EXPECT_NE(created.out.find(absl::StrCat("\"head_position\":3,\"head_hash\":\"", hash, "\"")),
            std::string::npos)
      << created.out;
  EXPECT_NE(created.out.find("\"purged_backup_ids\":\"\"}"), std::string::npos) << created.out;

  // The ledger moves on; the backup stays at position 3.
  ASSERT_EQ(Ctl({"append", File("survey.jsonl", absl::StrCat(kSurveyLine, "\n"))}).exit_code, 0);
  Result listed = Ctl({"--csv", "backup", "list"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  std::vector<std::string> rows = Lines(listed.out);
  ASSERT_EQ(rows.size(), 2u) << listed.out;
  EXPECT_EQ(rows[0],
            "backup_id,created_at,head_position,head_hash,size_bytes,file_count,problem\r");
  EXPECT_TRUE(absl::StartsWith(rows[1], "1,")) << rows[1];
  EXPECT_NE(rows[1].find(absl::StrCat(",3,", hash, ",")), std::string::npos) << rows[1];
  // The same directory read here instead of through the server.
  Result local = Ctl({"--csv", "backup", "list", "--backup-dir", (dir_ / "backups").string()});
  EXPECT_EQ(local.out, listed.out);

  Result verified = Ctl({"backup", "verify", "1"});
  ASSERT_EQ(verified.exit_code, 0) << verified.err;
  EXPECT_EQ(verified.out, absl::StrCat("ok                  true\n"
                                       "backup_id           1\n"
                                       "checked             3\n"
                                       "first_bad_position\n"
                                       "problem\n"
                                       "head_position       3\n"
                                       "head_hash           ",
                                       hash, "\n"));
  Result unknown = Ctl({"backup", "verify", "9"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_EQ(unknown.err, absl::StrCat("ledgerctl: NOT_FOUND: backup_id: no backup 9 in ",
                                      (dir_ / "backups").string(), "\n"));

  const std::string restored_dir = (dir_ / "restored").string();
  Result restored = Ctl({"--json", "backup", "restore", "--backup-dir", (dir_ / "backups").string(),
                         "--data-dir", restored_dir});
  ASSERT_EQ(restored.exit_code, 0) << restored.err;
  EXPECT_TRUE(absl::StartsWith(restored.out, absl::StrCat("{\"ok\":true,\"data_dir\":\"",
                                                          restored_dir, "\",\"backup_id\":1,")))
      << restored.out;
  EXPECT_NE(restored.out.find("\"checked\":3,\"problem\":\"\"}"), std::string::npos)
      << restored.out;
  Result again = Ctl({"backup", "restore", "--backup-dir", (dir_ / "backups").string(),
                      "--data-dir", restored_dir});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_EQ(again.err, absl::StrCat("ledgerctl: FAILED_PRECONDITION: data_dir: ", restored_dir,
                                    " is not empty; a restore only writes into a missing or "
                                    "empty directory\n"));

  // A ledger served from the restored directory answers the digest of position 3.
  services::ServerOptions options;
  options.data_dir = restored_dir;
  options.listen = "127.0.0.1:0";
  auto copy = services::LedgerServer::Start(options);
  ASSERT_TRUE(copy.ok()) << copy.status();
  Result copy_digest =
      Child(dir_, runs_++, {"--server", (*copy)->address(), "digest"}, "/dev/null").Wait();
  EXPECT_EQ(copy_digest.out, digest);
  // Without --backup-dir the server says how to turn backups on.
  Result off =
      Child(dir_, runs_++, {"--server", (*copy)->address(), "backup", "list"}, "/dev/null").Wait();
  EXPECT_EQ(off.exit_code, 1);
  EXPECT_EQ(off.err,
            "ledgerctl: FAILED_PRECONDITION: backups are not configured: start ledgerd with "
            "--backup-dir DIR\n");
}

TEST_F(LedgerctlTest, RefusedEventNamesTheFieldAndLineAndWritesNothing) {
  ASSERT_EQ(Ctl({"append", ThreeEvents()}).exit_code, 0);
  const std::string digest = Digest();
  const std::string file = File(
      "bad.jsonl",
      absl::StrCat(
          R"({"stream":"client-acme","occurred_at":"2026-03-01T00:00:00Z","survey_recorded":{"survey_id":"S-1","score":5,"surveyed_on":{"year":2026,"month":3,"day":1}}})",
          "\n", kBadInvoiceLine, "\n"));
  Result bad = Ctl({"append", file});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_EQ(bad.out, "");
  EXPECT_EQ(bad.err,
            "ledgerctl: INVALID_ARGUMENT: events[1].invoice_issued.due_date: 2026-02-01 is "
            "before issue_date 2026-03-01 (events[1] is line 2)\n");
  // The survey on line 1 shared the request, so it was refused with it.
  EXPECT_EQ(Digest(), digest);
}

TEST_F(LedgerctlTest, UsageAndInputErrorsExitTwo) {
  Result not_json = Ctl({"append", File("junk.jsonl", absl::StrCat(kClientLine, "\n{oops\n"))});
  EXPECT_EQ(not_json.exit_code, 2);
  EXPECT_TRUE(absl::StartsWith(not_json.err, "ledgerctl: INVALID_ARGUMENT: line 2: "))
      << not_json.err;
  EXPECT_EQ(Digest(), "head_position  0\nhead_hash      " + std::string(64, '0') + "\n");

  Result unknown_flag = Ctl({"read", "--no-such-flag"});
  EXPECT_EQ(unknown_flag.exit_code, 2);
  Result unknown_type = Ctl({"read", "--type", "InvoiceIsued"});
  EXPECT_EQ(unknown_type.exit_code, 2);
  EXPECT_TRUE(absl::StartsWith(unknown_type.err,
                               "ledgerctl: INVALID_ARGUMENT: --type: unknown event type "
                               "\"InvoiceIsued\"; known: ClientRegistered, "))
      << unknown_type.err;
  Result bad_expect = Ctl({"append", "--expect", "client-acme=soon", ThreeEvents()});
  EXPECT_EQ(bad_expect.exit_code, 2);
  Result missing = Ctl({"append", (dir_ / "missing.jsonl").string()});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_TRUE(absl::StartsWith(missing.err, "ledgerctl: NOT_FOUND: cannot open ")) << missing.err;
  Result help = Ctl({"append", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("SHA-256 over the"), std::string::npos) << help.out;
}

TEST_F(LedgerctlTest, UnreachableServerExitsOne) {
  Result result = Child(dir_, 99, {"--server", "127.0.0.1:1", "digest"}, "/dev/null").Wait();
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_TRUE(absl::StartsWith(result.err, "ledgerctl: UNAVAILABLE: ")) << result.err;
}

TEST_F(LedgerctlTest, ExpectedVersionsAreCheckedWithTheFirstRequest) {
  ASSERT_EQ(Ctl({"append", ThreeEvents()}).exit_code, 0);
  const std::string more = File("more.jsonl", std::string(kSurveyLine) + "\n");
  Result conflict = Ctl({"append", "--expect", "client-acme=no-stream", more});
  EXPECT_EQ(conflict.exit_code, 1);
  EXPECT_EQ(conflict.err,
            "ledgerctl: ABORTED: stream client-acme: expected no stream, actual version 3\n");
  Result wrong = Ctl({"append", "--expect", "client-acme=2", more});
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_EQ(wrong.err,
            "ledgerctl: ABORTED: stream client-acme: expected version 2, actual version 3\n");
  Result right = Ctl({"append", "--expect", "client-acme=3", "--expect", "client-new=no-stream",
                      "--expect", "client-other=any", more});
  EXPECT_EQ(right.exit_code, 0) << right.err;
  EXPECT_NE(right.out.find("   1         4  client-acme        4  "), std::string::npos)
      << right.out;
}

TEST_F(LedgerctlTest, ReadStreamAndVerify) {
  ASSERT_EQ(Ctl({"append", ThreeEvents()}).exit_code, 0);

  Result read = Ctl({"read"});
  ASSERT_EQ(read.exit_code, 0) << read.err;
  std::vector<std::string> lines = Lines(read.out);
  ASSERT_EQ(lines.size(), 4u) << read.out;
  EXPECT_TRUE(
      absl::StartsWith(lines[0],
                       "position  stream              version  type              "
                       "occurred_at           recorded_at                  actor      hash"))
      << lines[0];
  EXPECT_TRUE(absl::StartsWith(lines[1],
                               "       1  client-acme               1  ClientRegistered  "
                               "2026-01-05T00:00:00Z  "))
      << lines[1];
  EXPECT_TRUE(absl::StartsWith(lines[2],
                               "       2  client-acme               2  InvoiceIssued     "
                               "2026-01-10T00:00:00Z  "))
      << lines[2];
  EXPECT_NE(lines[3].find("  anonymous  "), std::string::npos) << lines[3];

  Result backward = Ctl({"read", "--backward", "--limit", "1", "--type", "InvoiceIssued", "--type",
                         "PaymentReceived"});
  ASSERT_EQ(backward.exit_code, 0) << backward.err;
  lines = Lines(backward.out);
  ASSERT_EQ(lines.size(), 2u) << backward.out;
  EXPECT_TRUE(absl::StartsWith(lines[1], "       3  client-acme               3  PaymentReceived"))
      << lines[1];

  Result dated =
      Ctl({"--csv", "read", "--occurred-from", "2026-01-06", "--occurred-to", "2026-01-10"});
  ASSERT_EQ(dated.exit_code, 0) << dated.err;
  lines = Lines(dated.out);
  ASSERT_EQ(lines.size(), 2u) << dated.out;
  EXPECT_EQ(lines[0], "position,stream,version,type,occurred_at,recorded_at,actor,hash\r");
  EXPECT_TRUE(absl::StartsWith(lines[1], "2,client-acme,2,InvoiceIssued,2026-01-10T00:00:00Z,"));

  Result json = Ctl({"--json", "read", "--from", "2", "--stream-prefix", "client-ac"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  lines = Lines(json.out);
  ASSERT_EQ(lines.size(), 2u) << json.out;
  EXPECT_TRUE(absl::StartsWith(
      lines[0],
      absl::StrCat("{\"event_id\":\"", LineEventId(kInvoiceLine),
                   "\",\"stream\":\"client-acme\",\"stream_version\":\"2\",\"position\":\"2\",")))
      << lines[0];
  // What read --json prints appends back as the same events.
  Result round_trip = Ctl({"append", File("read.jsonl", json.out)});
  ASSERT_EQ(round_trip.exit_code, 0) << round_trip.err;
  EXPECT_NE(round_trip.out.find("        2  client-acme        2  "), std::string::npos)
      << round_trip.out;
  EXPECT_NE(round_trip.out.find("already_stored"), std::string::npos);

  for (const char* command : {"stream", "show"}) {
    Result stream = Ctl({command, "client-acme", "--from-version", "2"});
    ASSERT_EQ(stream.exit_code, 0) << stream.err;
    lines = Lines(stream.out);
    ASSERT_EQ(lines.size(), 3u) << stream.out;
    EXPECT_NE(lines[1].find("InvoiceIssued"), std::string::npos);
    EXPECT_NE(lines[2].find("PaymentReceived"), std::string::npos);
  }
  Result none = Ctl({"stream", "client-nobody"});
  EXPECT_EQ(none.exit_code, 0) << none.err;
  EXPECT_EQ(none.out, "");

  Result verify = Ctl({"verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.err;
  const std::string head_hash = Lines(Digest())[1].substr(15);
  EXPECT_EQ(verify.out, absl::StrCat("ok                  true\n"
                                     "checked             3\n"
                                     "first_bad_position\n"
                                     "problem\n"
                                     "head_hash           ",
                                     head_hash, "\n"));
  Result verify_json = Ctl({"--json", "verify", "--from", "2", "--to", "3"});
  EXPECT_EQ(verify_json.exit_code, 0);
  EXPECT_EQ(verify_json.out,
            absl::StrCat("{\"ok\":true,\"checked\":2,\"first_bad_position\":null,\"problem\":\"\","
                         "\"head_hash\":\"",
                         head_hash, "\"}\n"));
  Result verify_bad_range = Ctl({"verify", "--from", "3", "--to", "2"});
  EXPECT_EQ(verify_bad_range.exit_code, 1);
  EXPECT_EQ(verify_bad_range.err,
            "ledgerctl: INVALID_ARGUMENT: from_position: after to_position\n");
}

TEST_F(LedgerctlTest, TailFollowsNewEventsAndReconnects) {
  ASSERT_EQ(
      Ctl({"append", File("first.jsonl", absl::StrCat(kClientLine, "\n", kInvoiceLine, "\n"))})
          .exit_code,
      0);
  Child tail = Start({"--json", "tail", "--after", "1", "--count", "2"});
  // Wait for the catch-up event, then stop the server under the tail, start it again on
  // the same port, and append: tail must resubscribe after position 2 and get position 3.
  const std::filesystem::path out = dir_ / absl::StrCat("stdout-", runs_ - 1);
  for (int i = 0; i < 500 && ReadFile(out).empty(); ++i) absl::SleepFor(absl::Milliseconds(10));
  ASSERT_FALSE(ReadFile(out).empty());
  const std::string address = server_->address();
  server_.reset();
  StartServer(address);
  ASSERT_EQ(Ctl({"append", File("second.jsonl", absl::StrCat(kPaymentLine, "\n"))}).exit_code, 0);
  Result result = tail.Wait();
  EXPECT_EQ(result.exit_code, 0) << result.err;
  const std::vector<std::string> lines = Lines(result.out);
  ASSERT_EQ(lines.size(), 2u) << result.out;
  EXPECT_NE(lines[0].find("\"position\":\"2\""), std::string::npos) << lines[0];
  EXPECT_NE(lines[1].find("\"position\":\"3\""), std::string::npos) << lines[1];
  EXPECT_NE(result.err.find("; reconnecting after position 2 in 100 ms"), std::string::npos)
      << result.err;
}

TEST_F(LedgerctlTest, ImportIbmSampleTwiceAppendsOnce) {
  Result first = Ctl({"import", kIbmSample, "--preset", "ibm"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const std::vector<std::string> lines = Lines(first.out);
  ASSERT_GE(lines.size(), 10u) << first.out;
  EXPECT_EQ(lines[0], "rows_read              2,466");
  EXPECT_EQ(lines[1], "rows_imported          2,466");
  EXPECT_EQ(lines[2], "rows_rejected          0");
  EXPECT_EQ(lines[3], "events_appended        5,032");
  EXPECT_EQ(lines[4], "events_already_stored  0");
  EXPECT_EQ(lines[5], "clients_registered     100");
  EXPECT_EQ(lines[6], "invoices_issued        2,466");
  EXPECT_EQ(lines[7], "payments_received      2,466");
  EXPECT_TRUE(absl::StartsWith(lines[9], "invoiced_USD           ")) << first.out;
  EXPECT_EQ(first.err, "");  // stderr is not a terminal and the import is quick
  EXPECT_TRUE(absl::StartsWith(Digest(), "head_position  5032\n"));

  Result again = Ctl({"--json", "import", kIbmSample, "--preset", "ibm", "--batch", "3"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("\"rows_imported\":2466,\"rows_rejected\":0,\"events_appended\":0,"
                           "\"events_already_stored\":5032,\"clients_registered\":0,"),
            std::string::npos)
      << again.out;
  EXPECT_NE(again.out.find("\"rejections\":[],\"conflicts\":[]}"), std::string::npos) << again.out;
  EXPECT_TRUE(absl::StartsWith(Digest(), "head_position  5032\n"));

  Result verify = Ctl({"verify"});
  EXPECT_EQ(verify.exit_code, 0);
  EXPECT_NE(verify.out.find("checked             5032\n"), std::string::npos);

  Result tail = Ctl({"tail", "--from-start", "--count", "3"});
  ASSERT_EQ(tail.exit_code, 0) << tail.err;
  const std::vector<std::string> tail_lines = Lines(tail.out);
  ASSERT_EQ(tail_lines.size(), 4u) << tail.out;
  EXPECT_TRUE(absl::StartsWith(tail_lines[0], "position  stream ")) << tail_lines[0];
  for (int i = 1; i <= 3; ++i) {
    EXPECT_TRUE(absl::StartsWith(tail_lines[i], absl::StrCat("       ", i, "  client-")))
        << tail_lines[i];
  }
  EXPECT_NE(tail_lines[1].find("ClientRegistered"), std::string::npos) << tail_lines[1];
}

TEST_F(LedgerctlTest, OverlappingImportAppendsOnlyWhatIsNew) {
  // The first 40 rows, then the whole file: the second import must leave out the first
  // import's events even though its batches mix them with new ones.
  const std::string sample = ReadFile(kIbmSample);
  std::vector<std::string> rows = absl::StrSplit(sample, '\n');
  rows.resize(41);
  const std::string head = File("head.csv", absl::StrJoin(rows, "\n") + "\n");
  Result first = Ctl({"--json", "import", head, "--map", "preset=ibm"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  Result rest = Ctl({"--json", "import", kIbmSample, "--preset", "ibm", "--batch", "7"});
  ASSERT_EQ(rest.exit_code, 0) << rest.err;
  const auto number = [](const std::string& json, const std::string& key) {
    const size_t at = json.find(absl::StrCat("\"", key, "\":"));
    EXPECT_NE(at, std::string::npos) << key;
    return std::stoll(json.substr(at + key.size() + 3));
  };
  const int64_t first_appended = number(first.out, "events_appended");
  EXPECT_GT(first_appended, 80);
  EXPECT_EQ(number(rest.out, "events_already_stored"), first_appended);
  EXPECT_EQ(number(rest.out, "events_appended"), 5032 - first_appended);
  EXPECT_TRUE(absl::StartsWith(Digest(), "head_position  5032\n"));
}

TEST_F(LedgerctlTest, ImportReportsRejectedRows) {
  const std::string csv = File(
      "some.csv",
      absl::StrCat(
          kIbmHeader,
          "391,0379-NEVHP,4/6/2013,611365,1/2/2013,2/1/2013,55.94,No,1/15/2013,Paper,13,0\n"
          "391,0379-NEVHP,4/6/2013,611366,1/2/2013,2/30/2013,55.94,No,1/15/2013,Paper,13,0\n"));
  Result result = Ctl({"import", csv, "--preset", "ibm"});
  ASSERT_EQ(result.exit_code, 4) << result.err;
  EXPECT_NE(result.out.find("rows_rejected          1\n"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("events_appended        3\n"), std::string::npos) << result.out;
  EXPECT_NE(
      result.out.find(
          "\nrejected rows:\nline  last_line  reason\n   3          3  DueDate \"2/30/2013\""),
      std::string::npos)
      << result.out;

  Result no_mapping = Ctl({"import", csv});
  EXPECT_EQ(no_mapping.exit_code, 2);
  EXPECT_TRUE(absl::StartsWith(no_mapping.err, "ledgerctl: INVALID_ARGUMENT: ")) << no_mapping.err;
}

// ERP re-exports (issue 18): each row is compared with the client's stream.
constexpr char kErpHeader[] = "client,name,invoice,issued,due,amount,currency,settled\n";

std::vector<std::string> ErpMapping() {
  return {"--map", "client_id=client",
          "--map", "client_name=name",
          "--map", "invoice_id=invoice",
          "--map", "invoice_date=issued",
          "--map", "due_date=due",
          "--map", "amount=amount",
          "--map", "currency_column=currency",
          "--map", "settled_date=settled",
          "--map", "jurisdiction=CN",
          "--map", "client_kind=government_organ"};
}

// The value of `key` in a --json summary.
std::string JsonField(const std::string& json, const std::string& key) {
  const std::string tag = absl::StrCat("\"", key, "\":");
  const size_t at = json.find(tag);
  if (at == std::string::npos) return "(missing)";
  const size_t start = at + tag.size();
  size_t end = start;
  while (end < json.size() && json[end] != ',' && json[end] != '}') ++end;
  return json.substr(start, end - start);
}

class ErpImportTest : public LedgerctlTest {
 protected:
  Result Import(const std::string& name, const std::string& rows,
                std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--json", "import", File(name, kErpHeader + rows)};
    for (const std::string& arg : ErpMapping()) args.push_back(arg);
    args.insert(args.end(), extra.begin(), extra.end());
    return Ctl(args);
  }
  // The invoice lines of `aging --csv --invoices` as of `day`, without the header: group,
  // client, kind, id, currency, date (due), age_days, bucket, amount, disputed.
  std::vector<std::string> AgingLinesOn(const std::string& day) {
    Result aging = Ctl({"--csv", "aging", "--as-of", day, "--group-by", "client", "--invoices"});
    EXPECT_EQ(aging.exit_code, 0) << aging.err;
    std::vector<std::string> lines;
    for (const std::string& line : Lines(aging.out)) {
      if (!absl::StartsWith(line, "group,"))
        lines.push_back(std::string(absl::StripSuffix(line, "\r")));
    }
    return lines;
  }
  // The stream's events, one "Type" per line.
  std::vector<std::string> StreamTypes(const std::string& stream) {
    Result result = Ctl({"--csv", "stream", stream});
    std::vector<std::string> types;
    for (const std::string& line : Lines(result.out)) {
      std::vector<std::string> cells = absl::StrSplit(line, ',');
      if (cells.size() > 3 && cells[0] != "position") types.push_back(cells[3]);
    }
    return types;
  }
};

// Defect 1: a changed invoice in a later file was dropped with exit 0 and the summary
// showing the new figures; the ledger kept 100.00 due 03-31.
TEST_F(ErpImportTest, ChangedInvoiceIsAConflictNamingLineAndValues) {
  Result first = Import("day1.csv", "x-01,a,XF-1,2025-03-01,2025-03-31,100.00,CNY,\n");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(JsonField(first.out, "invoiced_CNY"), "100.00") << first.out;

  Result second = Import("day2.csv", "x-01,a,XF-1,2025-03-05,2025-04-30,250.00,CNY,\n");
  EXPECT_EQ(second.exit_code, 4) << second.err;
  EXPECT_EQ(JsonField(second.out, "rows_imported"), "0") << second.out;
  EXPECT_EQ(JsonField(second.out, "rows_conflicted"), "1");
  EXPECT_EQ(JsonField(second.out, "events_appended"), "0");
  EXPECT_EQ(JsonField(second.out, "invoiced_CNY"), "(missing)");  // nothing was stored
  EXPECT_NE(
      second.out.find(
          "{\"line\":2,\"client_id\":\"x-01\",\"invoice_id\":\"XF-1\",\"field\":\"invoice_date\","
          "\"stored\":\"2025-03-01\",\"file\":\"2025-03-05\",\"not_reconciled\":\"\"}"),
      std::string::npos)
      << second.out;
  EXPECT_NE(
      second.out.find("\"field\":\"due_date\",\"stored\":\"2025-03-31\",\"file\":\"2025-04-30\""),
      std::string::npos);
  EXPECT_NE(second.out.find("\"field\":\"amount\",\"stored\":\"100.00\",\"file\":\"250.00\""),
            std::string::npos);
  EXPECT_EQ(second.err,
            "ledgerctl: import: 1 of 1 rows not imported (0 rejected, 1 in conflict with the "
            "ledger, 0 refused by the ledger); every other row is stored\n");
  EXPECT_EQ(StreamTypes("client-x-01"),
            (std::vector<std::string>{"ClientRegistered", "InvoiceIssued"}));

  // The text report names the row too; --reconcile cannot change a currency.
  std::vector<std::string> args = {
      "import", File("day2b.csv",
                     std::string(kErpHeader) + "x-01,a,XF-1,2025-03-01,2025-03-31,100.00,USD,\n")};
  for (const std::string& arg : ErpMapping()) args.push_back(arg);
  args.push_back("--reconcile");
  Result text = Ctl(args);
  EXPECT_EQ(text.exit_code, 4);
  EXPECT_NE(text.out.find("\nconflicts:\nline  client_id  invoice_id  field     stored  file  "
                          "not_reconciled\n   2  x-01       XF-1        currency  CNY     USD   "
                          "no event changes an invoice's currency"),
            std::string::npos)
      << text.out;
  EXPECT_TRUE(absl::StartsWith(Digest(), "head_position  2\n"));
}

TEST_F(ErpImportTest, ChangedSettledDateIsAConflict) {
  ASSERT_EQ(
      Import("day1.csv", "x-01,a,XF-1,2025-03-01,2025-03-31,100.00,CNY,2025-03-31\n").exit_code, 0);
  Result same =
      Import("day1-again.csv", "x-01,a,XF-1,2025-03-01,2025-03-31,100.00,CNY,2025-03-31\n");
  EXPECT_EQ(same.exit_code, 0) << same.err;
  EXPECT_EQ(JsonField(same.out, "rows_unchanged"), "1");
  EXPECT_EQ(JsonField(same.out, "events_already_stored"), "3");
  Result moved = Import("day2.csv", "x-01,a,XF-1,2025-03-01,2025-03-31,100.00,CNY,2025-04-05\n");
  EXPECT_EQ(moved.exit_code, 4);
  EXPECT_NE(moved.out.find(
                "\"field\":\"settled_date\",\"stored\":\"2025-03-31\",\"file\":\"2025-04-05\""),
            std::string::npos)
      << moved.out;
  EXPECT_TRUE(absl::StartsWith(Digest(), "head_position  3\n"));
}

// Defect 2: XA-2 at 100.00 open, then 40.00 settled: a 40.00 payment was stored and
// aging showed 60.00 overdue on an invoice the ERP calls settled.
TEST_F(ErpImportTest, LowerAmountNowSettledIsAConflictOrReconciled) {
  ASSERT_EQ(Import("day1.csv", "x-02,b,XA-2,2025-03-01,2025-03-31,100.00,CNY,\n").exit_code, 0);
  const std::string day2 = "x-02,b,XA-2,2025-03-01,2025-03-31,40.00,CNY,2025-04-10\n";
  Result refused = Import("day2.csv", day2);
  EXPECT_EQ(refused.exit_code, 4) << refused.err;
  EXPECT_EQ(JsonField(refused.out, "events_appended"), "0") << refused.out;
  EXPECT_NE(refused.out.find("\"field\":\"amount\",\"stored\":\"100.00\",\"file\":\"40.00\""),
            std::string::npos)
      << refused.out;
  EXPECT_TRUE(absl::StartsWith(Digest(), "head_position  2\n"));

  Result reconciled = Import("day2.csv", day2, {"--reconcile"});
  EXPECT_EQ(reconciled.exit_code, 0) << reconciled.err << reconciled.out;
  EXPECT_EQ(JsonField(reconciled.out, "events_appended"), "2");
  EXPECT_EQ(JsonField(reconciled.out, "credit_notes_issued"), "1");
  EXPECT_EQ(JsonField(reconciled.out, "credited_CNY"), "60.00");
  EXPECT_EQ(JsonField(reconciled.out, "received_CNY"), "40.00");
  EXPECT_EQ(StreamTypes("client-x-02"),
            (std::vector<std::string>{"ClientRegistered", "InvoiceIssued", "CreditNoteIssued",
                                      "PaymentReceived"}));
  Result events = Ctl({"--json", "stream", "client-x-02", "--from-version", "3"});
  EXPECT_NE(events.out.find("\"reason\":\"ERP export line 2: amount 100.00 became 40.00\""),
            std::string::npos)
      << events.out;
  EXPECT_NE(events.out.find("\"reference\":\"ERP export line 2: settled 2025-04-10, 40.00 paid in "
                            "all, of which the ledger held 0.00\""),
            std::string::npos)
      << events.out;
  EXPECT_NE(events.out.find("\"amount_minor\":\"4000\""), std::string::npos);

  // Aging after the reconcile: nothing is open on XA-2.
  Result aging = Ctl({"--json", "aging", "--as-of", "2025-06-30", "--group-by", "client"});
  ASSERT_EQ(aging.exit_code, 0) << aging.err;
  EXPECT_EQ(aging.out.find("x-02"), std::string::npos) << aging.out;

  // The next day's identical export appends nothing.
  Result again = Import("day3.csv", day2, {"--reconcile"});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(JsonField(again.out, "rows_unchanged"), "1");
  EXPECT_EQ(JsonField(again.out, "events_appended"), "0");
}

// A settlement since the last export appends what the ERP says was paid minus what the
// ledger holds, not the whole amount.
TEST_F(ErpImportTest, SettlementAppendsOnlyTheDifference) {
  ASSERT_EQ(Import("day1.csv", "x-03,c,XS-1,2025-03-01,2025-03-31,100.00,CNY,\n").exit_code, 0);
  ASSERT_EQ(
      Ctl({"append",
           File(
               "partial.jsonl",
               R"({"stream":"client-x-03","occurred_at":"2025-03-20T00:00:00Z","payment_received":{"payment_id":"bank-7","amount":{"amount_minor":"3000","currency":"CNY"},"value_date":{"year":2025,"month":3,"day":20},"allocations":[{"invoice_id":"XS-1","amount_minor":"3000"}]}})"
               "\n")})
          .exit_code,
      0);
  Result settled = Import("day2.csv", "x-03,c,XS-1,2025-03-01,2025-03-31,100.00,CNY,2025-04-02\n");
  EXPECT_EQ(settled.exit_code, 0) << settled.err << settled.out;
  EXPECT_EQ(JsonField(settled.out, "payments_received"), "1");
  EXPECT_EQ(JsonField(settled.out, "received_CNY"), "70.00");
  Result aging = Ctl({"--json", "aging", "--as-of", "2025-06-30", "--group-by", "client"});
  EXPECT_EQ(aging.out.find("x-03"), std::string::npos) << aging.out;
}

// Defect 3: one conflicting row made the ledger refuse the whole file, on every re-run,
// without naming the row; none of the new rows was stored.
TEST_F(ErpImportTest, OneConflictingRowDoesNotBlockTheFile) {
  std::string day1;
  for (int i = 1; i <= 5; ++i) {
    day1 += absl::StrCat("x-04,d,XD-", i, ",2025-03-01,2025-03-31,17598.98,CNY,\n");
  }
  ASSERT_EQ(Import("day1.csv", day1, {"--batch", "3"}).exit_code, 0);
  std::string day2;
  for (int i = 1; i <= 5; ++i) {
    day2 += i == 4 ? "x-04,d,XD-4,2025-03-01,2025-03-31,99999.99,CNY,2025-04-01\n"
                   : absl::StrCat("x-04,d,XD-", i, ",2025-03-01,2025-03-31,17598.98,CNY,\n");
  }
  for (int i = 6; i <= 8; ++i) {
    day2 += absl::StrCat("x-04,d,XD-", i, ",2025-04-01,2025-04-30,10.00,CNY,\n");
  }
  for (const char* batch : {"500", "3"}) {
    Result result = Import(absl::StrCat("day2-", batch, ".csv"), day2, {"--batch", batch});
    EXPECT_EQ(result.exit_code, 4) << result.err;
    EXPECT_NE(result.out.find("{\"line\":5,\"client_id\":\"x-04\",\"invoice_id\":\"XD-4\","
                              "\"field\":\"amount\",\"stored\":\"17598.98\",\"file\":\"99999.99\""),
              std::string::npos)
        << result.out;
    EXPECT_EQ(JsonField(result.out, "rows_imported"), "7");
    EXPECT_EQ(JsonField(result.out, "rows_conflicted"), "1");
  }
  // The three new rows are stored once: 1 + 5 + 3 events.
  EXPECT_TRUE(absl::StartsWith(Digest(), "head_position  9\n"));
}

// A row the ledger refuses (here a client name over the server's max_text_bytes, which the
// importer's own limit lets through) is named with its reason; the rest of its batch goes in.
TEST_F(ErpImportTest, RowRefusedByTheLedgerIsNamedAndTheRestIsStored) {
  server_.reset();
  StartServer("127.0.0.1:0", /*max_text_bytes=*/200);
  const std::string long_name(201, 'n');
  Result result =
      Import("day1.csv", absl::StrCat("x-05,e,XR-1,2025-03-01,2025-03-31,1.00,CNY,\n", "x-06,",
                                      long_name, ",XR-2,2025-03-01,2025-03-31,2.00,CNY,\n",
                                      "x-07,g,XR-3,2025-03-01,2025-03-31,3.00,CNY,\n"));
  EXPECT_EQ(result.exit_code, 4) << result.err;
  EXPECT_EQ(JsonField(result.out, "rows_imported"), "2") << result.out;
  EXPECT_EQ(JsonField(result.out, "rows_refused"), "1");
  EXPECT_EQ(JsonField(result.out, "invoiced_CNY"), "4.00");
  EXPECT_EQ(JsonField(result.out, "events_appended"), "4");
  EXPECT_NE(result.out.find(
                "{\"line\":3,\"last_line\":3,\"reason\":\"invoice XR-2: the ledger refused it: "
                "INVALID_ARGUMENT: events[0].client_registered.name: longer than "
                "max_text_bytes (200)"),
            std::string::npos)
      << result.out;
  EXPECT_TRUE(absl::StartsWith(Digest(), "head_position  4\n"));
}

// Defect 4: a quoted multi-line field over the record limit made the reader resume inside
// the quotes, and an unterminated quote swallowed every later row.
TEST_F(ErpImportTest, ReaderResynchronisesAfterLongAndBrokenRecords) {
  std::string lines_inside;
  for (int i = 0; i < 2'000; ++i) absl::StrAppend(&lines_inside, std::string(40, 'z'), "\n");
  Result long_record = Import(
      "long.csv", absl::StrCat("x-08,\"", lines_inside, "\",XL-1,2025-03-01,2025-03-31,1.00,CNY,\n",
                               "x-08,h,XL-2,2025-03-01,2025-03-31,2.00,CNY,\n"));
  EXPECT_EQ(long_record.exit_code, 4) << long_record.err;
  EXPECT_EQ(JsonField(long_record.out, "rows_read"), "2") << long_record.out;
  EXPECT_EQ(JsonField(long_record.out, "rows_rejected"), "1");
  EXPECT_EQ(JsonField(long_record.out, "rows_imported"), "1");
  EXPECT_NE(long_record.out.find(
                "{\"line\":2,\"last_line\":2002,\"reason\":\"record longer than 65536 bytes\"}"),
            std::string::npos)
      << long_record.out;

  Result unterminated = Import("open-quote.csv",
                               "x-09,\"i,XU-1,2025-03-01,2025-03-31,1.00,CNY,\n"
                               "x-09,i,XU-2,2025-03-01,2025-03-31,2.00,CNY,\n"
                               "x-09,i,XU-3,2025-03-01,2025-03-31,3.00,CNY,\n");
  EXPECT_EQ(unterminated.exit_code, 4) << unterminated.err;
  EXPECT_EQ(JsonField(unterminated.out, "rows_imported"), "2") << unterminated.out;
  EXPECT_EQ(JsonField(unterminated.out, "invoiced_CNY"), "5.00");
  EXPECT_NE(unterminated.out.find(
                "{\"line\":2,\"last_line\":2,\"reason\":\"quoted field opened on line 2 never "
                "closed; reading resumes at line 3\"}"),
            std::string::npos)
      << unterminated.out;
}

// Issue 18: with --reconcile, a higher amount and a new due date are restated by an
// InvoiceAmended naming the line, effective --amended-on; as of an earlier day the old
// figures hold. Without --reconcile the row stays a conflict.
TEST_F(ErpImportTest, HigherAmountAndNewDueDateAreAmended) {
  ASSERT_EQ(Import("day1.csv", "x-01,a,XF-1,2025-03-01,2025-03-31,100.00,CNY,\n").exit_code, 0);
  const std::string day2 = "x-01,a,XF-1,2025-03-01,2025-04-30,250.00,CNY,\n";
  Result conflict = Import("day2.csv", day2);
  EXPECT_EQ(conflict.exit_code, 4) << conflict.err;
  EXPECT_EQ(JsonField(conflict.out, "rows_conflicted"), "1");
  EXPECT_EQ(JsonField(conflict.out, "events_appended"), "0");

  Result amended = Import("day2.csv", day2, {"--reconcile", "--amended-on", "2025-04-10"});
  EXPECT_EQ(amended.exit_code, 0) << amended.err << amended.out;
  EXPECT_EQ(JsonField(amended.out, "events_appended"), "1");
  EXPECT_EQ(JsonField(amended.out, "invoices_amended"), "1");
  EXPECT_EQ(JsonField(amended.out, "rows_imported"), "1");
  EXPECT_EQ(StreamTypes("client-x-01"),
            (std::vector<std::string>{"ClientRegistered", "InvoiceIssued", "InvoiceAmended"}));
  Result event = Ctl({"--json", "stream", "client-x-01", "--from-version", "3"});
  EXPECT_NE(event.out.find("\"occurred_at\":\"2025-04-10T00:00:00Z\""), std::string::npos)
      << event.out;
  EXPECT_NE(event.out.find("\"invoice_amended\":{\"invoice_id\":\"XF-1\",\"amount\":{"
                           "\"amount_minor\":\"25000\",\"currency\":\"CNY\"},\"due_date\":{"
                           "\"year\":2025,\"month\":4,\"day\":30},\"reason\":\"ERP export line 2: "
                           "due_date 2025-03-31 became 2025-04-30; amount 100.00 became "
                           "250.00\",\"source\":\"ERP export line 2\",\"amended_on\":{\"year\":"
                           "2025,\"month\":4,\"day\":10}}"),
            std::string::npos)
      << event.out;

  // As of the day before the amendment: 100.00 due 03-31, 9 days late. From it on: 250.00
  // due 04-30, not yet due.
  EXPECT_EQ(AgingLinesOn("2025-04-09"),
            (std::vector<std::string>{"x-01,x-01,invoice,XF-1,CNY,2025-03-31,9,1-30,10000,0"}));
  EXPECT_EQ(
      AgingLinesOn("2025-04-15"),
      (std::vector<std::string>{"x-01,x-01,invoice,XF-1,CNY,2025-04-30,-15,not yet due,25000,0"}));

  // The ledger checks allocations against the amended amount.
  const auto pay = [&](const std::string& name, int64_t minor) {
    return Ctl(
        {"append",
         File(
             name,
             absl::StrCat(
                 R"({"stream":"client-x-01","occurred_at":"2025-04-20T00:00:00Z","payment_received":{"payment_id":")",
                 name, R"(","amount":{"amount_minor":")", minor,
                 R"(","currency":"CNY"},"value_date":{"year":2025,"month":4,"day":20},"allocations":[{"invoice_id":"XF-1","amount_minor":")",
                 minor, "\"}]}}\n"))});
  };
  Result above = pay("above", 25001);
  EXPECT_EQ(above.exit_code, 1);
  EXPECT_EQ(above.err,
            "ledgerctl: INVALID_ARGUMENT: events[0].payment_received.allocations[0].invoice_id: "
            "amount 25001 is above the invoice's amount 25000 (events[0] is line 1)\n");

  // The next identical export appends nothing.
  Result again = Import("day3.csv", day2, {"--reconcile", "--amended-on", "2025-04-11"});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(JsonField(again.out, "rows_unchanged"), "1");
  EXPECT_EQ(JsonField(again.out, "events_appended"), "0");

  // The timeline shows the amendment on its day.
  Result timeline = Ctl({"--csv", "timeline", "x-01", "--as-of", "2025-06-30"});
  EXPECT_NE(timeline.out.find("2025-04-10"), std::string::npos) << timeline.out;
  EXPECT_NE(timeline.out.find("invoice XF-1 amended: amount 250.00 CNY due 2025-04-30 (ERP export "
                              "line 2: due_date 2025-03-31 became 2025-04-30; amount 100.00 "
                              "became 250.00)"),
            std::string::npos)
      << timeline.out;
}

// The compliance report reads the amendment too: the statutory clock from the amended
// delivery date, the amended amount; as of a day before it, the old ones.
TEST_F(ErpImportTest, ComplianceReportUsesTheAmendedInvoice) {
  const auto import = [&](const std::string& name, const std::string& row,
                          std::vector<std::string> extra) {
    std::vector<std::string> args = {
        "--json", "import",
        File(name,
             absl::StrCat("client,name,invoice,issued,due,amount,currency,delivered\n", row))};
    for (const char* arg : {"--map", "client_id=client",
                            "--map", "client_name=name",
                            "--map", "invoice_id=invoice",
                            "--map", "invoice_date=issued",
                            "--map", "due_date=due",
                            "--map", "amount=amount",
                            "--map", "currency_column=currency",
                            "--map", "delivery_date=delivered",
                            "--map", "jurisdiction=CN",
                            "--map", "client_kind=government_organ",
                            "--map", "seller_is_sme=true"}) {
      args.push_back(arg);
    }
    args.insert(args.end(), extra.begin(), extra.end());
    return Ctl(args);
  };
  ASSERT_EQ(
      import("day1.csv", "x-05,e,XD-1,2025-03-01,2025-03-31,100.00,CNY,2025-03-01\n", {}).exit_code,
      0);
  Result amended = import("day2.csv", "x-05,e,XD-1,2025-03-01,2025-03-31,250.00,CNY,2025-03-20\n",
                          {"--reconcile", "--amended-on", "2025-04-10"});
  ASSERT_EQ(amended.exit_code, 0) << amended.err << amended.out;
  const auto report_line = [&](const std::string& day) {
    Result report = Ctl(
        {"report", "compliance", "--as-of", day, "--format", "csv", "--period-from", "2025-01-01"});
    EXPECT_EQ(report.exit_code, 0) << report.err;
    for (const std::string& line : Lines(report.out)) {
      if (line.find(",x-05,XD-1,") != std::string::npos) return line;
    }
    return std::string("(not listed)\n") + report.out;
  };
  // As of 04-09: 100.00 from delivery on 03-01, due 03-31, 9 days late, 0.05% a day: 0.45.
  EXPECT_TRUE(absl::StartsWith(report_line("2025-04-09"),
                               ",x-05,XD-1,,CNY,10000,2025-03-01,2025-03-31,CN,delivery,2025-03-01,"
                               "30,2025-03-31,no,overdue,9,10000,0,10000,45,"));
  // As of 04-25: 250.00 from delivery on 03-20, due 04-19, 6 days late: 0.75.
  EXPECT_TRUE(absl::StartsWith(report_line("2025-04-25"),
                               ",x-05,XD-1,,CNY,25000,2025-03-01,2025-03-31,CN,delivery,2025-03-20,"
                               "30,2025-04-19,no,overdue,6,25000,0,25000,75,"));
}

// The ledger's own checks of an InvoiceAmended: the invoice exists in the stream, the
// currency is the invoice's, something changes, the dates are in order.
TEST_F(ErpImportTest, InvoiceAmendedIsValidatedByTheLedger) {
  ASSERT_EQ(Import("day1.csv", "x-01,a,XF-1,2025-03-01,2025-03-31,100.00,CNY,\n").exit_code, 0);
  const auto amend = [&](const std::string& name, const std::string& payload) {
    return Ctl(
        {"append",
         File(
             name,
             absl::StrCat(
                 R"({"stream":"client-x-01","occurred_at":"2025-04-10T00:00:00Z","invoice_amended":{)",
                 payload, "}}\n"))});
  };
  const std::string tail = R"(,"reason":"r","amended_on":{"year":2025,"month":4,"day":10})";
  Result unknown =
      amend("unknown", R"("invoice_id":"XF-9","due_date":{"year":2025,"month":5,"day":1})" + tail);
  EXPECT_EQ(unknown.err,
            "ledgerctl: INVALID_ARGUMENT: events[0].invoice_amended.invoice_id: no invoice "
            "\"XF-9\" in stream client-x-01 (events[0] is line 1)\n");
  Result currency = amend(
      "currency", R"("invoice_id":"XF-1","amount":{"amount_minor":"100","currency":"USD"})" + tail);
  EXPECT_EQ(currency.err,
            "ledgerctl: INVALID_ARGUMENT: events[0].invoice_amended.amount.currency: currency USD "
            "differs from the invoice's currency CNY (events[0] is line 1)\n");
  Result nothing = amend("nothing", R"("invoice_id":"XF-1")" + tail);
  EXPECT_EQ(nothing.err,
            "ledgerctl: INVALID_ARGUMENT: events[0].invoice_amended: changes nothing: set at "
            "least one of amount, issue_date, due_date, delivery_date (events[0] is line 1)\n");
  Result order = amend(
      "order",
      R"("invoice_id":"XF-1","issue_date":{"year":2025,"month":4,"day":2},"due_date":{"year":2025,"month":4,"day":1})" +
          tail);
  EXPECT_EQ(order.err,
            "ledgerctl: INVALID_ARGUMENT: events[0].invoice_amended.due_date: 2025-04-01 is "
            "before issue_date 2025-04-02 (events[0] is line 1)\n");
  Result no_reason = amend(
      "no-reason",
      R"("invoice_id":"XF-1","due_date":{"year":2025,"month":5,"day":1},"amended_on":{"year":2025,"month":4,"day":10})");
  EXPECT_EQ(no_reason.err,
            "ledgerctl: INVALID_ARGUMENT: events[0].invoice_amended.reason: required (events[0] "
            "is line 1)\n");
  EXPECT_TRUE(absl::StartsWith(Digest(), "head_position  2\n"));
}

// A settlement the ERP moves reverses the import's payment (dated its own value date, so it
// counts on no day) and pays at the new date; one it removes is reversed.
TEST_F(ErpImportTest, SettlementMovedOrRemovedIsReversed) {
  ASSERT_EQ(
      Import("day1.csv", "x-02,b,XM-1,2025-03-01,2025-03-31,100.00,CNY,2025-04-10\n").exit_code, 0);
  const std::string moved = "x-02,b,XM-1,2025-03-01,2025-03-31,100.00,CNY,2025-04-20\n";
  Result reconciled = Import("day2.csv", moved, {"--reconcile"});
  EXPECT_EQ(reconciled.exit_code, 0) << reconciled.err << reconciled.out;
  EXPECT_EQ(JsonField(reconciled.out, "events_appended"), "2");
  EXPECT_EQ(JsonField(reconciled.out, "payments_reversed"), "1");
  EXPECT_EQ(JsonField(reconciled.out, "received_CNY"), "100.00");
  EXPECT_EQ(StreamTypes("client-x-02"),
            (std::vector<std::string>{"ClientRegistered", "InvoiceIssued", "PaymentReceived",
                                      "PaymentReversed", "PaymentReceived"}));
  Result events = Ctl({"--json", "stream", "client-x-02", "--from-version", "4"});
  EXPECT_NE(events.out.find("\"payment_reversed\":{\"payment_id\":\"pay-XM-1\",\"reversed_on\":{"
                            "\"year\":2025,\"month\":4,\"day\":10},\"reason\":\"ERP export line 2: "
                            "settled 2025-04-10 became 2025-04-20\"}"),
            std::string::npos)
      << events.out;
  EXPECT_NE(events.out.find("\"payment_id\":\"pay-XM-1-2\""), std::string::npos);
  EXPECT_NE(events.out.find("\"reference\":\"ERP export line 2: settled 2025-04-20, 100.00 paid in "
                            "all, of which the ledger held 0.00\""),
            std::string::npos)
      << events.out;
  // Open 100.00 until 04-20, then settled.
  EXPECT_EQ(AgingLinesOn("2025-04-15"),
            (std::vector<std::string>{"x-02,x-02,invoice,XM-1,CNY,2025-03-31,15,1-30,10000,0"}));
  EXPECT_EQ(AgingLinesOn("2025-04-20"), std::vector<std::string>{});

  const std::string open = "x-02,b,XM-1,2025-03-01,2025-03-31,100.00,CNY,\n";
  Result refused = Import("day3.csv", open);
  EXPECT_EQ(refused.exit_code, 4);
  EXPECT_NE(refused.out.find("\"field\":\"settled_date\",\"stored\":\"2025-04-20\",\"file\":\"\""),
            std::string::npos)
      << refused.out;
  Result removed = Import("day3.csv", open, {"--reconcile"});
  EXPECT_EQ(removed.exit_code, 0) << removed.err << removed.out;
  EXPECT_EQ(JsonField(removed.out, "events_appended"), "1");
  EXPECT_EQ(JsonField(removed.out, "payments_reversed"), "1");
  EXPECT_EQ(AgingLinesOn("2025-06-30"),
            (std::vector<std::string>{"x-02,x-02,invoice,XM-1,CNY,2025-03-31,91,91-180,10000,0"}));
  Result again = Import("day4.csv", open, {"--reconcile"});
  EXPECT_EQ(JsonField(again.out, "rows_unchanged"), "1");
  EXPECT_EQ(JsonField(again.out, "events_appended"), "0");
}

// What --reconcile leaves a conflict: another currency, and a settlement moved whose payment
// the import did not append.
TEST_F(ErpImportTest, CurrencyAndForeignPaymentsStayConflicts) {
  ASSERT_EQ(Import("day1.csv",
                   "x-03,c,XC-1,2025-03-01,2025-03-31,100.00,CNY,\n"
                   "x-03,c,XC-2,2025-03-01,2025-03-31,100.00,CNY,\n")
                .exit_code,
            0);
  ASSERT_EQ(
      Ctl({"append",
           File(
               "bank.jsonl",
               R"({"stream":"client-x-03","occurred_at":"2025-03-20T00:00:00Z","payment_received":{"payment_id":"bank-7","amount":{"amount_minor":"10000","currency":"CNY"},"value_date":{"year":2025,"month":3,"day":20},"allocations":[{"invoice_id":"XC-2","amount_minor":"10000"}]}})"
               "\n")})
          .exit_code,
      0);
  Result result = Import("day2.csv",
                         "x-03,c,XC-1,2025-03-01,2025-03-31,100.00,USD,\n"
                         "x-03,c,XC-2,2025-03-01,2025-03-31,100.00,CNY,2025-04-02\n",
                         {"--reconcile"});
  EXPECT_EQ(result.exit_code, 4) << result.err;
  EXPECT_EQ(JsonField(result.out, "rows_conflicted"), "2");
  EXPECT_EQ(JsonField(result.out, "events_appended"), "0");
  EXPECT_NE(result.out.find("\"field\":\"currency\",\"stored\":\"CNY\",\"file\":\"USD\","
                            "\"not_reconciled\":\"no event changes an invoice's currency (what "
                            "was paid, credited and written off on it is in its currency): "
                            "credit it and issue a new invoice\"}"),
            std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find("\"field\":\"settled_date\",\"stored\":\"2025-03-20\",\"file\":"
                            "\"2025-04-02\",\"not_reconciled\":\"only a payment the import "
                            "appended, the invoice's only one and paying nothing else, is "
                            "reversed: reverse the payments by hand\"}"),
            std::string::npos)
      << result.out;
}

// Issue 18: an invoice id of another client, in the ledger from an earlier file, is refused
// as within one file: the row is named with its line and both clients; the rest is stored.
TEST_F(ErpImportTest, InvoiceIdOfAnotherClientAcrossFilesIsRejected) {
  ASSERT_EQ(Import("day1.csv", "x-01,a,XF-1,2025-03-01,2025-03-31,100.00,CNY,\n").exit_code, 0);
  Result result = Import("day2.csv",
                         "x-02,b,XF-1,2025-03-01,2025-03-31,100.00,CNY,\n"
                         "x-02,b,XG-2,2025-03-01,2025-03-31,20.00,CNY,\n");
  EXPECT_EQ(result.exit_code, 4) << result.err;
  EXPECT_EQ(JsonField(result.out, "rows_rejected"), "1") << result.out;
  EXPECT_EQ(JsonField(result.out, "rows_imported"), "1");
  EXPECT_EQ(JsonField(result.out, "invoiced_CNY"), "20.00");
  EXPECT_NE(result.out.find("{\"line\":2,\"last_line\":2,\"reason\":\"invoice \\\"XF-1\\\": "
                            "invoice id already in the ledger under client x-01 (stream "
                            "client-x-01), this row's client is x-02\"}"),
            std::string::npos)
      << result.out;
  EXPECT_EQ(StreamTypes("client-x-02"),
            (std::vector<std::string>{"ClientRegistered", "InvoiceIssued"}));
  EXPECT_EQ(StreamTypes("client-x-01"),
            (std::vector<std::string>{"ClientRegistered", "InvoiceIssued"}));
}

// A Kingdee-style export: GBK, Chinese headers, semicolons, 2025/03/31 and 2025年3月31日
// dates, ￥ amounts with digit groups.
TEST_F(ErpImportTest, KingdeeGbkExportImports) {
  const std::string utf8 =
      "客户编码;客户名称;发票号码;开票日期;到期日期;价税合计;收款日期\n"
      "sz-edu;深圳市教育局;FP-001;2025/03/01;2025/03/31;￥1,234.50;2025年4月2日\n"
      "sz-edu;深圳市教育局;FP-002;2025-3-5;2025-4-4;￥20,000.00;\n"
      "gz-fin;广州市财政局;FP-003;2025年3月10日;2025年4月9日;￥999.99;\n";
  const std::string utf8_path = File("kingdee-utf8.csv", utf8);
  const std::string gbk_path = (dir_ / "kingdee-gbk.csv").string();
  ASSERT_EQ(std::system(absl::StrCat("iconv -f UTF-8 -t GBK ", utf8_path, " > ", gbk_path).c_str()),
            0);
  const std::string mapping = File("kingdee.mapping",
                                   "client_id = 客户编码\nclient_name = 客户名称\n"
                                   "invoice_id = 发票号码\ninvoice_date = 开票日期\n"
                                   "due_date = 到期日期\namount = 价税合计\n"
                                   "settled_date = 收款日期\ncurrency = CNY\n"
                                   "date_format = YYYY-M-D\nthousands_separator = comma\n"
                                   "delimiter = semicolon\njurisdiction = CN\n"
                                   "client_kind = government_organ\n");
  Result not_utf8 = Ctl({"import", gbk_path, "--mapping", mapping});
  EXPECT_EQ(not_utf8.exit_code, 2);
  EXPECT_EQ(not_utf8.err,
            "ledgerctl: INVALID_ARGUMENT: line 1: the header is not UTF-8; if the file comes from "
            "a Chinese ERP (Kingdee, Yonyou), it is likely GBK: set encoding = GB18030\n");

  Result gbk = Ctl({"--json", "import", gbk_path, "--mapping", mapping, "--map", "encoding=GBK"});
  EXPECT_EQ(gbk.exit_code, 0) << gbk.err << gbk.out;
  EXPECT_EQ(JsonField(gbk.out, "rows_imported"), "3");
  EXPECT_EQ(JsonField(gbk.out, "invoiced_CNY"), "22234.49");
  EXPECT_EQ(JsonField(gbk.out, "received_CNY"), "1234.50");
  Result stream = Ctl({"--json", "stream", "client-sz-edu", "--limit", "1"});
  EXPECT_NE(stream.out.find("\"name\":\"深圳市教育局\""), std::string::npos) << stream.out;
  Result invoices = Ctl({"--json", "stream", "client-gz-fin"});
  EXPECT_NE(invoices.out.find("\"issue_date\":{\"year\":2025,\"month\":3,\"day\":10}"),
            std::string::npos)
      << invoices.out;
  EXPECT_NE(invoices.out.find("\"amount_minor\":\"99999\""), std::string::npos);
}

// Ctrl-C stops the import after the batch in flight, says what was stored, and a second
// run completes it without duplicates.
TEST_F(ErpImportTest, InterruptedImportSaysWhatWasStoredAndAReRunCompletesIt) {
  std::string rows;
  for (int i = 1; i <= 40'000; ++i) {
    absl::StrAppend(&rows, "x-10,j,XI-", i, ",2025-03-01,2025-03-31,1.00,CNY,2025-03-20\n");
  }
  const std::string path = File("big.csv", kErpHeader + rows);
  std::vector<std::string> args = {"import", path, "--batch", "300"};
  for (const std::string& arg : ErpMapping()) args.push_back(arg);
  Child child = Start(args);
  // Wait for the first stored batch, then interrupt.
  for (int i = 0; i < 2'000 && absl::StartsWith(Digest(), "head_position  0\n"); ++i) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  child.Signal(SIGINT);
  Result stopped = child.Wait();
  ASSERT_EQ(stopped.exit_code, 130) << stopped.err << stopped.out;
  EXPECT_NE(stopped.err.find("ledgerctl: import interrupted after "), std::string::npos)
      << stopped.err;
  EXPECT_NE(stopped.err.find("importing the same file again completes it"), std::string::npos);
  const std::string head = Lines(Digest())[0];
  EXPECT_NE(head, "head_position  80001") << "the import ended before the interrupt";

  Result rest = Ctl({"--json",
                     "import",
                     path,
                     "--batch",
                     "300",
                     "--map",
                     "client_id=client",
                     "--map",
                     "client_name=name",
                     "--map",
                     "invoice_id=invoice",
                     "--map",
                     "invoice_date=issued",
                     "--map",
                     "due_date=due",
                     "--map",
                     "amount=amount",
                     "--map",
                     "currency_column=currency",
                     "--map",
                     "settled_date=settled",
                     "--map",
                     "jurisdiction=CN",
                     "--map",
                     "client_kind=government_organ"});
  ASSERT_EQ(rest.exit_code, 0) << rest.err;
  EXPECT_EQ(JsonField(rest.out, "rows_imported"), "40000");
  EXPECT_TRUE(absl::StartsWith(Digest(), "head_position  80001\n"));
}

// The split on ALREADY_EXISTS, driven directly: the import's pre-read of stored ids makes
// it unreachable from the binary without a concurrent writer.
TEST_F(LedgerctlTest, MixedBatchIsAppendedRowByRow) {
  std::istringstream csv(absl::StrCat(kIbmHeader,
                                      "391,0379-NEVHP,4/6/2013,611365,1/2/2013,2/1/2013,55.94,No,"
                                      "1/15/2013,Paper,13,0\n"
                                      "391,0379-NEVHP,4/6/2013,611366,1/3/2013,2/2/2013,10.00,No,,"
                                      "Paper,0,0\n"
                                      "391,8976-AMJEO,4/6/2013,611367,1/4/2013,2/3/2013,20.00,No,"
                                      "1/20/2013,Paper,16,0\n"));
  auto mapping = csv_import::MappingPreset("ibm");
  ASSERT_TRUE(mapping.ok());
  auto importer = csv_import::CsvImporter::Create(&csv, *mapping, {});
  ASSERT_TRUE(importer.ok()) << importer.status();
  auto batch = (*importer)->NextBatch();
  ASSERT_TRUE(batch.ok() && batch->has_value());
  const std::vector<v1::Event>& events = (*batch)->events;
  ASSERT_EQ(events.size(), 7u);
  EXPECT_EQ(RowGroups(events), (std::vector<std::pair<size_t, size_t>>{{0, 3}, {3, 4}, {4, 7}}));

  LedgerClient client(server_->address(), absl::Seconds(30));
  AppendCounts first;
  ASSERT_TRUE(AppendSplitting(&client, absl::MakeConstSpan(events).subspan(0, 3), &first).ok());
  EXPECT_EQ(first.appended, 3);
  AppendCounts all;
  ASSERT_TRUE(AppendSplitting(&client, events, &all).ok());
  EXPECT_EQ(all.appended, 4);
  EXPECT_EQ(all.already_stored, 3);
  EXPECT_TRUE(absl::StartsWith(Digest(), "head_position  7\n"));

  // A different event reusing invoice 611366 is a genuine conflict.
  v1::Event clash = events[3];
  clash.set_event_id("00000000-0000-4000-8000-000000000001");
  AppendCounts none;
  const absl::Status status = AppendSplitting(&client, {clash}, &none);
  EXPECT_TRUE(absl::IsAlreadyExists(status)) << status;
  EXPECT_TRUE(IsServerError(status));
  EXPECT_EQ(none.appended + none.already_stored, 0);
}

}  // namespace
}  // namespace sixhearts::ledgerctl

namespace sixhearts::ledgerctl {
namespace {

TEST(ConnectionFlagsTest, NameWhatIsMissing) {
  std::istringstream in("");
  std::ostringstream out, err;
  const char* no_ca[] = {"ledgerctl", "--tls-cert", "c.pem", "--tls-key", "k.pem", "digest"};
  EXPECT_EQ(RunLedgerctl(6, no_ca, &in, &out, &err, false), 2);
  EXPECT_EQ(err.str(), "ledgerctl: INVALID_ARGUMENT: --tls-cert and --tls-key need --tls-ca\n");
  std::ostringstream err2;
  const char* no_key[] = {"ledgerctl",  "--tls-ca", "/nonexistent/ca.pem",
                          "--tls-cert", "c.pem",    "digest"};
  EXPECT_EQ(RunLedgerctl(6, no_key, &in, &out, &err2, false), 2);
  EXPECT_EQ(err2.str(), "ledgerctl: INVALID_ARGUMENT: --tls-cert and --tls-key go together\n");
  std::ostringstream err3;
  const char* missing_ca[] = {"ledgerctl", "--tls-ca", "/nonexistent/ca.pem", "digest"};
  EXPECT_EQ(RunLedgerctl(4, missing_ca, &in, &out, &err3, false), 2);
  EXPECT_EQ(err3.str(), "ledgerctl: NOT_FOUND: --tls-ca: cannot read /nonexistent/ca.pem\n");
}

TEST(TokenHashTest, HashesTheTokenOnStandardInput) {
  std::istringstream in("s3cret-token\n");
  std::ostringstream out, err;
  const char* argv[] = {"ledgerctl", "token-hash"};
  EXPECT_EQ(RunLedgerctl(2, argv, &in, &out, &err, false), 0) << err.str();
  const std::string line = out.str();
  ASSERT_EQ(line.substr(0, 14), "token_hash = \"");
  // token_hash = "sha256:<32 hex>:<64 hex>"\n
  ASSERT_EQ(line.size(), 14u + 104u + 2u);
  EXPECT_TRUE(services::auth::TokenMatches("s3cret-token", line.substr(14, 104)));

  std::istringstream empty("");
  std::ostringstream out2, err2;
  EXPECT_EQ(RunLedgerctl(2, argv, &empty, &out2, &err2, false), 2);
  EXPECT_EQ(err2.str(), "ledgerctl: token-hash: no token on standard input (or use --new)\n");
}

}  // namespace
}  // namespace sixhearts::ledgerctl
