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
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "services/auth/auth_config.h"
#include "services/csv_import/csv_importer.h"
#include "services/server.h"
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

  void StartServer(const std::string& listen) {
    services::ServerOptions options;
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
  EXPECT_NE(again.out.find("\"rejections\":[]}"), std::string::npos) << again.out;
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
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("rows_rejected          1\n"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("events_appended        3\n"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("\nrejected rows:\nline  reason\n   3  DueDate \"2/30/2013\""),
            std::string::npos)
      << result.out;

  Result no_mapping = Ctl({"import", csv});
  EXPECT_EQ(no_mapping.exit_code, 2);
  EXPECT_TRUE(absl::StartsWith(no_mapping.err, "ledgerctl: INVALID_ARGUMENT: ")) << no_mapping.err;
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
