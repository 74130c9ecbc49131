// The audit export end to end: a real server on port 0, `ledgerctl report audit` as a
// subprocess, and the independent checker tools/verify_audit.py (python3, no ledger code)
// run on what it wrote: it verifies against a digest taken earlier, and fails naming the
// position when one event's bytes, one leaf, or the list of the client's events is altered.
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "rocksdb/sst_file_reader.h"
#include "services/server.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/test_events.h"

namespace sixhearts {
namespace {

namespace v1 = ::sixhearts::ledger::v1;

using ::sixhearts::testing::Batch;
using ::sixhearts::testing::ClientRegistered;
using ::sixhearts::testing::D;
using ::sixhearts::testing::Interaction;
using ::sixhearts::testing::InvoiceIssued;
using ::sixhearts::testing::Subprocess;
using ::sixhearts::testing::TempDir;

struct RunResult {
  int exit_code = -1;
  std::string output;
};

class AuditExportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    services::ServerOptions options;
    options.data_dir = dir_.sub("ledger");
    options.listen = "127.0.0.1:0";
    auto server = services::LedgerServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  void Append(const v1::AppendRequest& request) {
    auto result = server_->store()->Append(request, "auditor-test");
    ASSERT_TRUE(result.ok()) << result.status();
  }

  RunResult Exec(std::vector<std::string> argv) {
    Subprocess child(argv, dir_.sub(absl::StrCat("run-", runs_++, ".txt")));
    RunResult run;
    run.exit_code = child.Wait();
    run.output = child.Output();
    return run;
  }

  RunResult Ledgerctl(std::vector<std::string> args) {
    std::vector<std::string> argv = {LEDGERCTL_PATH, "--server", server_->address()};
    argv.insert(argv.end(), args.begin(), args.end());
    return Exec(argv);
  }

  RunResult Check(const std::string& file, const std::string& digest) {
    std::vector<std::string> argv = {"/usr/bin/python3",
                                     SIXHEARTS_SOURCE_DIR "/tools/verify_audit.py", file};
    if (!digest.empty()) {
      argv.push_back("--digest");
      argv.push_back(digest);
    }
    return Exec(argv);
  }

  std::string Digest() {
    const ledger::Head head = server_->store()->head();
    return absl::StrCat(head.position, ":", absl::BytesToHexString(head.hash));
  }

  // Positions 1..8: client 42 at 1, 3, 5, 7 (5 and 7 in March), client 7 at 2, 4, 6, 8.
  // The auditor takes a digest at position 4, before the March events.
  std::string BuildLog() {
    Append(Batch({ClientRegistered(1, "42")}));
    Append(Batch({ClientRegistered(2, "7")}));
    Append(Batch({Interaction(3, "42", "X-1")}));  // occurred 2026-01-05
    Append(Batch({Interaction(4, "7", "X-1")}));
    const std::string digest = Digest();
    v1::Event march = InvoiceIssued(5, "42", "INV-1", 100000, D(2026, 3, 2), D(2026, 4, 1));
    Append(Batch({march}));
    Append(Batch({InvoiceIssued(6, "7", "INV-1", 5000, D(2026, 3, 3), D(2026, 4, 2))}));
    Append(Batch({InvoiceIssued(7, "42", "INV-2", 25000, D(2026, 3, 31), D(2026, 4, 30))}));
    Append(Batch({Interaction(8, "7", "X-2")}));
    return digest;
  }

  std::string Export(const std::string& format, const std::string& verified_position) {
    const std::string file = dir_.sub(absl::StrCat("export-", runs_, ".", format));
    RunResult run = Ledgerctl({"report", "audit", "--client", "42", "--from", "2026-03-01", "--to",
                               "2026-03-31", "--verified-position", verified_position, "--format",
                               format, "-o", file});
    EXPECT_EQ(run.exit_code, 0) << run.output;
    return file;
  }

  static std::string Read(const std::string& path) {
    std::ifstream in(path);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
  }
  static void Write(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::trunc) << text;
  }

  // The export's lines, and the index of the record line of `position`.
  static size_t LineOf(const std::vector<std::string>& lines, uint64_t position) {
    const std::string prefix = absl::StrCat("{\"position\": ", position, ",");
    for (size_t i = 0; i < lines.size(); ++i) {
      if (absl::StartsWith(lines[i], prefix)) return i;
    }
    ADD_FAILURE() << "no record line for position " << position;
    return 0;
  }

  TempDir dir_;
  std::unique_ptr<services::LedgerServer> server_;
  int runs_ = 0;
};

TEST_F(AuditExportTest, ExportVerifiesAgainstAnEarlierDigestWithoutOtherClientsEvents) {
  const std::string digest = BuildLog();
  ASSERT_TRUE(absl::StartsWith(digest, "4:"));
  const std::string file = Export("json", "4");
  const std::string text = Read(file);
  // The chain starts after the verified head (position 5) and runs to the head (8).
  EXPECT_TRUE(absl::StrContains(
      text, "\"anchor\": {\"position\": 4, \"hash\": \"" + digest.substr(2) + "\"}"))
      << text;
  EXPECT_TRUE(absl::StrContains(text, "\"summary\": {\"client_events\": 2, \"in_period\": 2}"));
  // Client 7's positions carry only their leaf and hash: no bytes, no fields.
  const std::vector<std::string> lines = absl::StrSplit(text, '\n');
  EXPECT_FALSE(absl::StrContains(lines[LineOf(lines, 6)], "event"));
  EXPECT_FALSE(absl::StrContains(lines[LineOf(lines, 8)], "event"));
  EXPECT_FALSE(absl::StrContains(text, "client-7"));
  EXPECT_TRUE(absl::StrContains(lines[LineOf(lines, 5)], "\"previous_stream_position\": 3"));
  EXPECT_TRUE(absl::StrContains(lines[LineOf(lines, 7)], "\"actor\": \"auditor-test\""));

  RunResult check = Check(file, digest);
  EXPECT_EQ(check.exit_code, 0) << check.output;
  EXPECT_TRUE(
      absl::StrContains(check.output,
                        "OK: client-42, 2 events listed (2 in the period 2026-03-01..2026-03-31), "
                        "chain 4..8"))
      << check.output;
  EXPECT_TRUE(absl::StrContains(check.output, "new verified head: " + Digest())) << check.output;

  // The same export as CSV verifies too.
  RunResult csv = Check(Export("csv", "4"), digest);
  EXPECT_EQ(csv.exit_code, 0) << csv.output;
}

TEST_F(AuditExportTest, AlteredEventBytesFailNamingThePosition) {
  const std::string digest = BuildLog();
  const std::string file = Export("json", "4");
  std::vector<std::string> lines = absl::StrSplit(Read(file), '\n');
  std::string& line = lines[LineOf(lines, 7)];
  // Decode the event bytes, change one byte (inside the invoice id), encode again.
  const std::string key = "\"event_base64\": \"";
  const size_t start = line.find(key) + key.size();
  const size_t end = line.find('"', start);
  std::string bytes;
  ASSERT_TRUE(absl::Base64Unescape(line.substr(start, end - start), &bytes));
  const size_t at = bytes.find("INV-2");
  ASSERT_NE(at, std::string::npos);
  bytes[at + 4] = '9';
  line.replace(start, end - start, absl::Base64Escape(bytes));
  Write(file, absl::StrJoin(lines, "\n"));

  RunResult check = Check(file, digest);
  EXPECT_EQ(check.exit_code, 1) << check.output;
  EXPECT_TRUE(absl::StartsWith(check.output,
                               "FAILED at position 7: the event bytes do not hash to the leaf"))
      << check.output;
}

TEST_F(AuditExportTest, AShownFieldThatIsNotInTheBytesFailsNamingThePosition) {
  const std::string digest = BuildLog();
  const std::string file = Export("json", "4");
  std::vector<std::string> lines = absl::StrSplit(Read(file), '\n');
  std::string& line = lines[LineOf(lines, 5)];
  const std::string actor = "\"actor\": \"auditor-test\"";
  ASSERT_NE(line.find(actor), std::string::npos) << line;
  line.replace(line.find(actor), actor.size(), "\"actor\": \"someone-else\"");
  Write(file, absl::StrJoin(lines, "\n"));

  RunResult check = Check(file, digest);
  EXPECT_EQ(check.exit_code, 1) << check.output;
  EXPECT_TRUE(absl::StartsWith(check.output,
                               "FAILED at position 5: actor shown as 'someone-else' but the event "
                               "bytes say 'auditor-test'"))
      << check.output;
}

// Issue 14 item 5: the payload shown is decoded from the bytes too; before, a tenfold
// amount in the readable event verified (exit 0).
TEST_F(AuditExportTest, ATenfoldAmountInTheReadableEventFails) {
  const std::string digest = BuildLog();
  const std::string file = Export("json", "4");
  std::string text = Read(file);
  const std::string amount = "\"amount_minor\":\"25000\"";
  ASSERT_NE(text.find(amount), std::string::npos) << text;
  text.replace(text.find(amount), amount.size(), "\"amount_minor\":\"250000\"");
  Write(file, text);
  RunResult run = Check(file, digest);
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_TRUE(absl::StrContains(run.output,
                                "FAILED at position 7: event.invoice_issued.amount.amount_minor "
                                "shown as '250000' but the event bytes say 25000"))
      << run.output;
}

TEST_F(AuditExportTest, AlteredLeafOfAnotherClientFailsNamingThePosition) {
  const std::string digest = BuildLog();
  const std::string file = Export("json", "4");
  std::vector<std::string> lines = absl::StrSplit(Read(file), '\n');
  std::string& line = lines[LineOf(lines, 6)];
  const size_t leaf = line.find("\"leaf\": \"") + 9;
  line[leaf] = line[leaf] == '0' ? '1' : '0';
  Write(file, absl::StrJoin(lines, "\n"));

  RunResult check = Check(file, digest);
  EXPECT_EQ(check.exit_code, 1) << check.output;
  EXPECT_TRUE(absl::StartsWith(check.output, "FAILED at position 6: the chain does not verify"))
      << check.output;
}

TEST_F(AuditExportTest, AClientEventPassedOffAsAnotherClientsLeafIsCaught) {
  const std::string digest = BuildLog();
  const std::string file = Export("json", "4");
  std::vector<std::string> lines = absl::StrSplit(Read(file), '\n');
  // Keep position 5's leaf and hash (so the chain still verifies) but drop its event.
  std::string& line = lines[LineOf(lines, 5)];
  line = line.substr(0, line.find(", \"in_period\"")) + "},";
  Write(file, absl::StrJoin(lines, "\n"));

  RunResult check = Check(file, digest);
  EXPECT_EQ(check.exit_code, 1) << check.output;
  EXPECT_TRUE(absl::StartsWith(check.output,
                               "FAILED at position 7: the previous event of the stream is at "
                               "position 5, inside the export, but it is not listed"))
      << check.output;
}

TEST_F(AuditExportTest, ADigestTheExportDoesNotReachOrMatchFails) {
  const std::string digest = BuildLog();
  const std::string file = Export("json", "4");
  // Another hash at position 4: the server's chain is not the one the auditor verified.
  std::string wrong = digest;
  wrong.back() = wrong.back() == '0' ? '1' : '0';
  RunResult check = Check(file, wrong);
  EXPECT_EQ(check.exit_code, 1) << check.output;
  EXPECT_TRUE(absl::StartsWith(check.output, "FAILED at position 4: the chain recomputed"))
      << check.output;

  // Without --verified-position the chain starts at the first March event (position 5):
  // a digest at 2 cannot be checked, and the checker says how to get one that can.
  const std::string later = Export("json", "0");
  RunResult early = Check(later, "2:" + std::string(64, '0'));
  EXPECT_EQ(early.exit_code, 1) << early.output;
  EXPECT_TRUE(absl::StrContains(early.output, "export again with --verified-position 2"))
      << early.output;
}

TEST_F(AuditExportTest, BadRequestsNameTheField) {
  BuildLog();
  RunResult backwards = Ledgerctl(
      {"report", "audit", "--client", "42", "--from", "2026-03-31", "--to", "2026-03-01"});
  EXPECT_EQ(backwards.exit_code, 1);
  EXPECT_TRUE(absl::StrContains(backwards.output,
                                "INVALID_ARGUMENT: to: 2026-03-01 is before from 2026-03-31"))
      << backwards.output;
  RunResult beyond = Ledgerctl({"report", "audit", "--client", "42", "--from", "2026-03-01", "--to",
                                "2026-03-31", "--verified-position", "99"});
  EXPECT_TRUE(absl::StrContains(beyond.output,
                                "INVALID_ARGUMENT: verified_position: 99 is "
                                "beyond the head of the log, position 8"))
      << beyond.output;
  RunResult bad_day = Ledgerctl(
      {"report", "audit", "--client", "42", "--from", "2026-02-30", "--to", "2026-03-01"});
  EXPECT_EQ(bad_day.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(bad_day.output, "--from: expected YYYY-MM-DD, got \"2026-02-30\""))
      << bad_day.output;
}

// Issue 6 item 7 end to end: `ledgerctl erase-subject` over gRPC, then the chain, the
// projections, the reports and the audit export all still work, and the contact reads
// "[erased]" everywhere.
TEST_F(AuditExportTest, ErasureKeepsTheChainReportsAndAuditExportWorking) {
  const std::string digest = BuildLog();
  v1::Event visit = Interaction(9, "42", "X-9");
  visit.mutable_occurred_at()->set_seconds(1'772'452'800);  // 2026-03-02T12:00:00Z
  v1::Contact* contact = visit.mutable_interaction_logged()->mutable_contact();
  contact->set_name("Zhang Wei");
  contact->set_email("zhang.wei@sz-edu.example.cn");
  Append(Batch({visit}));  // position 9, subject client-42
  RunResult aging_before = Ledgerctl({"--json", "aging", "--as-of", "2026-04-30"});
  ASSERT_EQ(aging_before.exit_code, 0) << aging_before.output;

  RunResult erase = Ledgerctl({"erase-subject", "client-42", "--reason", "request of 2026-05-28"});
  ASSERT_EQ(erase.exit_code, 0) << erase.output;
  EXPECT_TRUE(absl::StrContains(erase.output, "10")) << erase.output;
  EXPECT_TRUE(absl::StrContains(erase.output, "client-42")) << erase.output;

  RunResult again = Ledgerctl({"erase-subject", "client-42", "--reason", "twice"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_TRUE(absl::StrContains(again.output,
                                "ledgerctl: NOT_FOUND: subject_id: no key for subject "
                                "\"client-42\": nothing was stored for it, or it is erased"))
      << again.output;

  RunResult verify = Ledgerctl({"verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
  RunResult read = Ledgerctl({"--json", "read", "--from", "9"});
  ASSERT_EQ(read.exit_code, 0) << read.output;
  EXPECT_TRUE(absl::StrContains(read.output, "\"name\":\"[erased]\"")) << read.output;
  EXPECT_FALSE(absl::StrContains(read.output, "Zhang Wei")) << read.output;
  EXPECT_TRUE(absl::StrContains(read.output, "\"subject_erased\":{\"subject_id\":\"client-42\""))
      << read.output;
  EXPECT_TRUE(absl::StrContains(read.output, "\"actor\":\"anonymous\"")) << read.output;

  // Projections rebuild from zero and the reports come out as before the erasure.
  EXPECT_EQ(Ledgerctl({"rebuild"}).exit_code, 0);
  EXPECT_EQ(Ledgerctl({"rebuild", "relationships"}).exit_code, 0);
  RunResult aging_after = Ledgerctl({"--json", "aging", "--as-of", "2026-04-30"});
  EXPECT_EQ(aging_after.exit_code, 0) << aging_after.output;
  // The same figures; only the position moved past the SubjectErased event.
  std::string expected = aging_before.output;
  const size_t at = expected.find("\"position\":9,");
  ASSERT_NE(at, std::string::npos) << expected;
  expected.replace(at, 13, "\"position\":10,");
  EXPECT_EQ(aging_after.output, expected);
  RunResult timeline = Ledgerctl({"timeline", "42", "--as-of", "2026-04-30"});
  EXPECT_EQ(timeline.exit_code, 0) << timeline.output;

  // The audit export still verifies against the digest taken before the erasure.
  const std::string file = Export("json", "4");
  RunResult check = Check(file, digest);
  EXPECT_EQ(check.exit_code, 0) << check.output;
  EXPECT_FALSE(absl::StrContains(Read(file), "Zhang Wei"));
}

// Issue 16 item 3: free text that may name people. The texts of a client (its name, an
// interaction's summary, a concern, a survey comment, a meeting summary, a dispute's
// reason) and of a contact's subject (an interaction's summary naming person-9).
constexpr char kClientName[] = "Wang Fang Trading";
constexpr char kPhone[] = "13800001111";
constexpr char kPersonText[] = "Li Lei asked for a copy";

// The events of client 42, positions 1..8; 8 is sealed under person-9, the rest under
// client-42.
std::vector<v1::Event> FreeTextHistory() {
  std::vector<v1::Event> events;
  v1::Event client = ClientRegistered(1, "42");
  client.mutable_client_registered()->set_name(kClientName);
  events.push_back(client);
  v1::Event call = Interaction(2, "42", "X-1");
  call.mutable_interaction_logged()->set_summary(absl::StrCat("called Wang Fang on ", kPhone));
  events.push_back(call);
  v1::Event concern = ::sixhearts::testing::Envelope(3, "42");
  concern.mutable_concern_raised()->set_concern_id("CN-1");
  concern.mutable_concern_raised()->set_summary("Wang Fang: acceptance paperwork is slow");
  *concern.mutable_concern_raised()->mutable_raised_on() = D(2026, 1, 5);
  events.push_back(concern);
  v1::Event survey = ::sixhearts::testing::Envelope(4, "42");
  survey.mutable_survey_recorded()->set_survey_id("S-1");
  survey.mutable_survey_recorded()->set_score(4);
  survey.mutable_survey_recorded()->set_comment("Wang Fang liked the report");
  *survey.mutable_survey_recorded()->mutable_surveyed_on() = D(2026, 1, 5);
  events.push_back(survey);
  v1::Event meeting = ::sixhearts::testing::Envelope(5, "42");
  meeting.mutable_feedback_meeting_held()->set_meeting_id("M-1");
  *meeting.mutable_feedback_meeting_held()->mutable_held_on() = D(2026, 1, 5);
  meeting.mutable_feedback_meeting_held()->set_summary("met Wang Fang at the bureau");
  events.push_back(meeting);
  events.push_back(InvoiceIssued(6, "42", "INV-1", 100000, D(2026, 1, 5), D(2026, 2, 4)));
  v1::Event dispute = ::sixhearts::testing::Envelope(7, "42", D(2026, 1, 10));
  dispute.mutable_dispute_opened()->set_dispute_id("D-1");
  dispute.mutable_dispute_opened()->set_invoice_id("INV-1");
  dispute.mutable_dispute_opened()->set_amount_minor(20000);
  dispute.mutable_dispute_opened()->set_reason("Wang Fang disputes the delivery");
  *dispute.mutable_dispute_opened()->mutable_opened_on() = D(2026, 1, 10);
  events.push_back(dispute);
  v1::Event copy = Interaction(8, "42", "X-2");
  copy.mutable_interaction_logged()->set_summary(kPersonText);
  copy.mutable_interaction_logged()->mutable_contact()->set_subject_id("person-9");
  copy.mutable_interaction_logged()->mutable_contact()->set_role("clerk");
  events.push_back(copy);
  return events;
}

size_t Count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// Every place under `dir` that holds `needle`: the raw bytes of every file (the WAL,
// MANIFEST, logs), the decompressed entries of every SST file (all versions the file
// holds, not only the live ones), and every live value of every column family read
// through RocksDB (which also reads blob files). REQUIRES: no process holds `dir`.
std::vector<std::string> PlacesHolding(const std::string& dir, const std::string& needle) {
  std::vector<std::string> places;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    if (absl::StrContains(bytes.str(), needle)) places.push_back(entry.path().string());
    if (entry.path().extension() != ".sst") continue;
    rocksdb::SstFileReader reader{rocksdb::Options()};
    rocksdb::Status opened = reader.Open(entry.path().string());
    EXPECT_TRUE(opened.ok()) << entry.path() << ": " << opened.ToString();
    if (!opened.ok()) continue;
    std::unique_ptr<rocksdb::Iterator> it(reader.NewIterator(rocksdb::ReadOptions()));
    size_t entries = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next(), ++entries) {
      if (it->key().ToString().find(needle) != std::string::npos ||
          it->value().ToString().find(needle) != std::string::npos) {
        places.push_back(absl::StrCat(entry.path().string(), " (decompressed)"));
        break;
      }
    }
    EXPECT_TRUE(it->status().ok()) << entry.path() << ": " << it->status().ToString();
  }
  std::vector<std::string> names;
  EXPECT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), dir, &names).ok());
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (const std::string& name : names) families.emplace_back(name, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  rocksdb::Status s =
      rocksdb::DB::OpenForReadOnly(rocksdb::DBOptions(), dir, families, &handles, &db);
  EXPECT_TRUE(s.ok()) << s.ToString();
  if (!s.ok()) return places;
  for (rocksdb::ColumnFamilyHandle* family : handles) {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), family));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      if (it->value().ToString().find(needle) != std::string::npos) {
        places.push_back(absl::StrCat("column family ", family->GetName()));
        break;
      }
    }
    db->DestroyColumnFamilyHandle(family);
  }
  delete db;
  return places;
}

// The free-text checks are split in two tests, the relationship views in one and the
// compliance report in the other, so that neither needs the lock order of reports that
// read several projections (issue 16 item 1).
TEST_F(AuditExportTest, ErasureReachesFreeTextInTheLogTheViewsAndEveryFile) {
  for (const v1::Event& event : FreeTextHistory()) Append(Batch({event}));
  // Before: the views show the texts, opened when read.
  RunResult timeline = Ledgerctl({"--json", "timeline", "42", "--as-of", "2026-04-30"});
  ASSERT_EQ(timeline.exit_code, 0) << timeline.output;
  for (const char* shown :
       {"\"name\":\"Wang Fang Trading\"", "\"summary\":\"registered as Wang Fang Trading\"",
        "\"summary\":\"INTERACTION_KIND_ON_SITE_VISIT: called Wang Fang on 13800001111\"",
        "\"summary\":\"concern CN-1: Wang Fang: acceptance paperwork is slow\"",
        "\"summary\":\"dispute D-1 on invoice INV-1: Wang Fang disputes the delivery\"",
        "\"summary\":\"INTERACTION_KIND_ON_SITE_VISIT: Li Lei asked for a copy\""}) {
    EXPECT_TRUE(absl::StrContains(timeline.output, shown))
        << shown << " not in " << timeline.output;
  }
  RunResult disputes = Ledgerctl({"--json", "disputes", "--as-of", "2026-04-30"});
  ASSERT_EQ(disputes.exit_code, 0) << disputes.output;
  EXPECT_TRUE(absl::StrContains(disputes.output, "\"reason\":\"Wang Fang disputes the delivery\""))
      << disputes.output;

  ASSERT_EQ(
      Ledgerctl({"erase-subject", "client-42", "--reason", "request of 2026-05-28"}).exit_code, 0);
  ASSERT_EQ(Ledgerctl({"erase-subject", "person-9", "--reason", "request of 2026-05-29"}).exit_code,
            0);
  const std::vector<std::string> secrets = {"Wang Fang", kPhone, kPersonText};
  // ReadLog and ReadStream: the seven texts of positions 1..8 read "[erased]".
  for (const std::vector<std::string>& read :
       {std::vector<std::string>{"--json", "read", "--from", "1"},
        std::vector<std::string>{"--json", "stream", "client-42"}}) {
    RunResult run = Ledgerctl(read);
    ASSERT_EQ(run.exit_code, 0) << run.output;
    for (const std::string& secret : secrets) {
      EXPECT_FALSE(absl::StrContains(run.output, secret)) << secret << " in " << run.output;
    }
    EXPECT_EQ(Count(run.output, "\"[erased]\""), 7u) << run.output;
    EXPECT_TRUE(absl::StrContains(run.output, "\"role\":\"clerk\"")) << run.output;
  }
  // The views, read live and after a rebuild from zero.
  for (int pass = 0; pass < 2; ++pass) {
    if (pass == 1) {
      ASSERT_EQ(Ledgerctl({"rebuild"}).exit_code, 0);
      ASSERT_EQ(Ledgerctl({"rebuild", "relationships"}).exit_code, 0);
    }
    timeline = Ledgerctl({"--json", "timeline", "42", "--as-of", "2026-04-30"});
    ASSERT_EQ(timeline.exit_code, 0) << timeline.output;
    for (const std::string& secret : secrets) {
      EXPECT_FALSE(absl::StrContains(timeline.output, secret))
          << secret << " in " << timeline.output;
    }
    for (const char* shown :
         {"\"name\":\"[erased]\"", "\"summary\":\"registered as [erased]\"",
          "\"summary\":\"INTERACTION_KIND_ON_SITE_VISIT: [erased]\"",
          "\"summary\":\"concern CN-1: [erased]\"",
          "\"summary\":\"dispute D-1 on invoice INV-1: [erased]\"",
          "\"description\":\"dispute D-1 opened on invoice INV-1: [erased]\""}) {
      EXPECT_TRUE(absl::StrContains(timeline.output, shown))
          << shown << " not in " << timeline.output;
    }
    disputes = Ledgerctl({"--json", "disputes", "--as-of", "2026-04-30"});
    ASSERT_EQ(disputes.exit_code, 0) << disputes.output;
    EXPECT_TRUE(absl::StrContains(disputes.output, "\"reason\":\"[erased]\"")) << disputes.output;
    RunResult scorecard = Ledgerctl({"--json", "scorecard", "--as-of", "2026-04-30"});
    ASSERT_EQ(scorecard.exit_code, 0) << scorecard.output;
    EXPECT_TRUE(absl::StrContains(scorecard.output, "\"name\":\"[erased]\"")) << scorecard.output;
  }

  // At rest: not in any file of the data directory, SSTs decompressed, nor in any value
  // RocksDB serves (the views' saved states included: they hold references only).
  server_.reset();
  for (const std::string& secret : secrets) {
    EXPECT_EQ(PlacesHolding(dir_.sub("ledger"), secret), std::vector<std::string>{}) << secret;
  }
}

TEST_F(AuditExportTest, ErasureReachesFreeTextInTheComplianceReportAndTheAuditExport) {
  for (const v1::Event& event : FreeTextHistory()) Append(Batch({event}));
  const std::string digest = Digest();  // position 8
  const auto compliance = [&](const std::string& name) {
    const std::string file = dir_.sub(name);
    RunResult run = Ledgerctl(
        {"report", "compliance", "--as-of", "2026-04-30", "--format", "json", "-o", file});
    EXPECT_EQ(run.exit_code, 0) << run.output;
    return Read(file);
  };
  const std::string before = compliance("compliance-before.json");
  EXPECT_TRUE(absl::StrContains(before, "Wang Fang Trading")) << before;
  EXPECT_TRUE(absl::StrContains(before, "Wang Fang disputes the delivery")) << before;

  ASSERT_EQ(
      Ledgerctl({"erase-subject", "client-42", "--reason", "request of 2026-05-28"}).exit_code, 0);
  ASSERT_EQ(Ledgerctl({"erase-subject", "person-9", "--reason", "request of 2026-05-29"}).exit_code,
            0);
  const std::vector<std::string> secrets = {"Wang Fang", kPhone, kPersonText};
  for (int pass = 0; pass < 2; ++pass) {
    if (pass == 1) {
      ASSERT_EQ(Ledgerctl({"rebuild"}).exit_code, 0);
      ASSERT_EQ(Ledgerctl({"rebuild", "relationships"}).exit_code, 0);
    }
    const std::string after = compliance(absl::StrCat("compliance-", pass, ".json"));
    for (const std::string& secret : secrets) {
      EXPECT_FALSE(absl::StrContains(after, secret)) << secret << " in " << after;
    }
    // The client's name (in the client list) and the dispute's reason.
    EXPECT_EQ(Count(after, "\"[erased]\""), Count(before, "\"Wang Fang Trading\"") + 1) << after;
    EXPECT_FALSE(absl::StrContains(after, "\\u001f")) << after;  // no reference left unopened
  }
  // The audit export carries ciphertext only, and verifies against the digest taken
  // before the erasures.
  const std::string file = dir_.sub("free-text-audit.json");
  RunResult exported = Ledgerctl({"report", "audit", "--client", "42", "--from", "2026-01-01",
                                  "--to", "2026-01-31", "--format", "json", "-o", file});
  ASSERT_EQ(exported.exit_code, 0) << exported.output;
  for (const std::string& secret : secrets) {
    EXPECT_FALSE(absl::StrContains(Read(file), secret)) << secret;
  }
  RunResult check = Check(file, digest);
  EXPECT_EQ(check.exit_code, 0) << check.output;
}

// Issue 16 item 4: a read replica (a second ledgerd over the primary's directory) reads
// the primary's keystore without locking it, follows its erasures, and refuses an
// erasure naming the primary.
TEST_F(AuditExportTest, AReplicaReadsThePrimarysKeysAndFollowsItsErasures) {
  v1::Event visit = Interaction(1, "42", "X-1");
  v1::Contact* contact = visit.mutable_interaction_logged()->mutable_contact();
  contact->set_name("Zhang Min");
  contact->set_subject_id("person-3");
  Append(Batch({ClientRegistered(2, "42"), visit}));  // positions 1, 2

  services::ServerOptions options;
  options.data_dir = dir_.sub("replica");
  options.listen = "127.0.0.1:0";
  options.replica_of = dir_.sub("ledger");  // its keystore: the primary's ledger.keys
  options.replica_catch_up_interval = absl::Milliseconds(20);
  auto replica = services::LedgerServer::Start(options);
  ASSERT_TRUE(replica.ok()) << replica.status();
  const auto on_replica = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = {LEDGERCTL_PATH, "--server", (*replica)->address()};
    argv.insert(argv.end(), args.begin(), args.end());
    return Exec(argv);
  };
  RunResult read = on_replica({"--json", "stream", "client-42"});
  ASSERT_EQ(read.exit_code, 0) << read.output;
  EXPECT_TRUE(absl::StrContains(read.output, "\"name\":\"Zhang Min\"")) << read.output;
  EXPECT_TRUE(absl::StrContains(read.output, "\"name\":\"Bureau 42\"")) << read.output;
  EXPECT_FALSE(absl::StrContains(read.output, "[erased]")) << read.output;

  RunResult refused =
      on_replica({"erase-subject", "person-3", "--reason", "request of 2026-05-28"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_EQ(refused.output, absl::StrCat("ledgerctl: FAILED_PRECONDITION: this ledger is a read "
                                         "replica of ",
                                         dir_.sub("ledger"), "; erase on the primary\n"));

  // Erased on the primary: the replica follows within a few catch-up intervals.
  ASSERT_EQ(Ledgerctl({"erase-subject", "person-3", "--reason", "request of 2026-05-28"}).exit_code,
            0);
  ASSERT_EQ(
      Ledgerctl({"erase-subject", "client-42", "--reason", "request of 2026-05-29"}).exit_code, 0);
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  do {
    read = on_replica({"--json", "stream", "client-42"});
    // The primary appends SubjectErased, then destroys the key: wait for both names.
  } while (absl::Now() < deadline && (absl::StrContains(read.output, "Zhang Min") ||
                                      absl::StrContains(read.output, "Bureau 42")));
  EXPECT_FALSE(absl::StrContains(read.output, "Zhang Min")) << read.output;
  EXPECT_FALSE(absl::StrContains(read.output, "Bureau 42")) << read.output;
  // The contact's name, phone and email and the summary sealed under person-3 (4), and
  // the client's name (1).
  EXPECT_EQ(Count(read.output, "\"[erased]\""), 5u) << read.output;
  RunResult timeline = on_replica({"--json", "timeline", "42", "--as-of", "2026-04-30"});
  ASSERT_EQ(timeline.exit_code, 0) << timeline.output;
  EXPECT_TRUE(absl::StrContains(timeline.output, "\"summary\":\"registered as [erased]\""))
      << timeline.output;
  EXPECT_FALSE(absl::StrContains(timeline.output, "Bureau 42")) << timeline.output;
}

// Issue 14 end to end: signed checkpoints, Merkle proofs over gRPC and ledgerctl, and the
// audit export on proofs checked by tools/verify_audit.py with the checkpoint key.
class ProofExportTest : public AuditExportTest {
 protected:
  // The log of BuildLog, with the signed checkpoint of tree size 4 saved by the auditor
  // (`ledgerctl checkpoint -o`) before the March events.
  std::string BuildLogWithCheckpoint() {
    Append(Batch({ClientRegistered(1, "42")}));
    Append(Batch({ClientRegistered(2, "7")}));
    Append(Batch({Interaction(3, "42", "X-1")}));
    Append(Batch({Interaction(4, "7", "X-1")}));
    const std::string checkpoint = dir_.sub("checkpoint-4.txt");
    RunResult saved = Ledgerctl({"checkpoint", "-o", checkpoint});
    EXPECT_EQ(saved.exit_code, 0) << saved.output;
    Append(Batch({InvoiceIssued(5, "42", "INV-1", 100000, D(2026, 3, 2), D(2026, 4, 1))}));
    Append(Batch({InvoiceIssued(6, "7", "INV-1", 5000, D(2026, 3, 3), D(2026, 4, 2))}));
    Append(Batch({InvoiceIssued(7, "42", "INV-2", 25000, D(2026, 3, 31), D(2026, 4, 30))}));
    Append(Batch({Interaction(8, "7", "X-2")}));
    return checkpoint;
  }

  std::string Key() {
    RunResult key = Ledgerctl({"verifier-key"});
    EXPECT_EQ(key.exit_code, 0) << key.output;
    return std::string(absl::StripAsciiWhitespace(key.output));
  }

  std::string ProofExport(const std::string& verified_size) {
    const std::string file = dir_.sub(absl::StrCat("proof-export-", runs_, ".json"));
    RunResult run =
        Ledgerctl({"report", "audit", "--client", "42", "--from", "2026-03-01", "--to",
                   "2026-03-31", "--proofs", "--verified-position", verified_size, "-o", file});
    EXPECT_EQ(run.exit_code, 0) << run.output;
    return file;
  }

  RunResult CheckProofs(const std::string& file, const std::string& key,
                        const std::string& checkpoint) {
    std::vector<std::string> argv = {
        "/usr/bin/python3", SIXHEARTS_SOURCE_DIR "/tools/verify_audit.py", file, "--key", key};
    if (!checkpoint.empty()) {
      argv.push_back("--checkpoint");
      argv.push_back(checkpoint);
    }
    return Exec(argv);
  }
};

TEST_F(ProofExportTest, CheckpointIsASignedNoteOfTheTree) {
  const std::string checkpoint = BuildLogWithCheckpoint();
  const std::string text = Read(checkpoint);
  const std::vector<std::string> lines = absl::StrSplit(text, '\n');
  ASSERT_EQ(lines.size(), 6u) << text;
  EXPECT_EQ(lines[0], "sixhearts-ledger");
  EXPECT_EQ(lines[1], "4");
  EXPECT_EQ(lines[2].size(), 44u);  // base64 of 32 bytes
  EXPECT_EQ(lines[3], "");
  EXPECT_TRUE(absl::StartsWith(lines[4], "\u2014 sixhearts-ledger ")) << lines[4];
  // 4-byte key id + 64-byte signature, base64: 92 characters.
  EXPECT_EQ(lines[4].size(), std::string("\u2014 sixhearts-ledger ").size() + 92);
  const std::string key = Key();
  EXPECT_TRUE(absl::StartsWith(key, "sixhearts-ledger+")) << key;
  // The key file was created next to the data directory, readable by its owner only.
  struct stat st;
  ASSERT_EQ(::stat((dir_.sub("ledger") + ".checkpoint.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(ProofExportTest, ProofCommandsPrintVerifiableProofsAndNameBadFields) {
  BuildLogWithCheckpoint();
  const std::string file = dir_.sub("inclusion.json");
  RunResult inclusion = Ledgerctl({"proof", "inclusion", "5", "--tree-size", "8", "-o", file});
  ASSERT_EQ(inclusion.exit_code, 0) << inclusion.output;
  const std::string json = Read(file);
  EXPECT_TRUE(
      absl::StartsWith(json, "{\"proof\": \"inclusion\", \"position\": 5, \"tree_size\": 8"))
      << json;
  // Leaf 4 of 8: three siblings (leaf 5, leaves 6-7, leaves 0-3).
  const size_t path = json.find("\"path\": [");
  ASSERT_NE(path, std::string::npos);
  const std::string list = json.substr(path, json.find(']', path) - path);
  EXPECT_EQ(std::count(list.begin(), list.end(), ','), 2) << list;

  RunResult beyond = Ledgerctl({"proof", "inclusion", "9", "--tree-size", "8"});
  EXPECT_EQ(beyond.exit_code, 1);
  EXPECT_TRUE(absl::StrContains(
      beyond.output, "OUT_OF_RANGE: position: 9 is beyond tree_size 8 (the head is position 8)"))
      << beyond.output;
  RunResult zero = Ledgerctl({"proof", "inclusion", "0"});
  EXPECT_TRUE(
      absl::StrContains(zero.output, "INVALID_ARGUMENT: position: required (positions start at 1)"))
      << zero.output;
  RunResult second = Ledgerctl({"proof", "consistency", "3", "20"});
  EXPECT_TRUE(absl::StrContains(
      second.output, "OUT_OF_RANGE: second: 20 is beyond the head of the log, position 8"))
      << second.output;
  RunResult backwards = Ledgerctl({"proof", "consistency", "6", "5"});
  EXPECT_TRUE(absl::StrContains(backwards.output, "INVALID_ARGUMENT: first: 6 is after second 5"))
      << backwards.output;
  RunResult consistency = Ledgerctl({"proof", "consistency", "4", "8"});
  EXPECT_EQ(consistency.exit_code, 0) << consistency.output;
  // 4 is a complete subtree of 8: the proof is its sibling, leaves 4-7.
  EXPECT_TRUE(absl::StrContains(consistency.output, "\"first\": 4, \"second\": 8"))
      << consistency.output;
}

TEST_F(ProofExportTest, ExportOnProofsVerifiesAndATenfoldAmountFails) {
  const std::string checkpoint = BuildLogWithCheckpoint();
  const std::string key = Key();
  const std::string file = ProofExport("4");
  const std::string text = Read(file);
  // Only the client's two March events (positions 5 and 7); nothing of client 7.
  EXPECT_TRUE(absl::StrContains(text, "\n{\"position\": 5,")) << text;
  EXPECT_TRUE(absl::StrContains(text, "\n{\"position\": 7,")) << text;
  EXPECT_FALSE(absl::StrContains(text, "\n{\"position\": 6,")) << text;
  EXPECT_FALSE(absl::StrContains(text, "\n{\"position\": 8,")) << text;

  RunResult ok = CheckProofs(file, key, checkpoint);
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_TRUE(absl::StrContains(ok.output,
                                "OK: client-42, 2 events with inclusion proofs (2 in the period "
                                "2026-03-01..2026-03-31) in the signed tree of size 8"))
      << ok.output;
  EXPECT_TRUE(absl::StrContains(ok.output, "the log extends your last checkpoint (tree size 4)"))
      << ok.output;

  // INV-1 is 1,000.00 (100000 minor units); shown as 10,000.00 it must not verify.
  std::string tenfold = text;
  const std::string amount = "\"amount_minor\":\"100000\"";
  ASSERT_NE(tenfold.find(amount), std::string::npos) << text;
  tenfold.replace(tenfold.find(amount), amount.size(), "\"amount_minor\":\"1000000\"");
  Write(file, tenfold);
  RunResult altered = CheckProofs(file, key, checkpoint);
  EXPECT_EQ(altered.exit_code, 1) << altered.output;
  EXPECT_TRUE(absl::StrContains(altered.output,
                                "FAILED at position 5: event.invoice_issued.amount.amount_minor "
                                "shown as '1000000' but the event bytes say 100000"))
      << altered.output;

  // One byte of the committed bytes changed: the leaf no longer matches.
  std::string flipped = text;
  const size_t bytes = flipped.find("\"event_base64\": \"") + 17 + 8;
  flipped[bytes] = flipped[bytes] == 'A' ? 'B' : 'A';
  Write(file, flipped);
  RunResult leaf = CheckProofs(file, key, checkpoint);
  EXPECT_EQ(leaf.exit_code, 1) << leaf.output;
  EXPECT_TRUE(absl::StrContains(leaf.output, "FAILED at position 5: the event bytes do not hash"))
      << leaf.output;
}

TEST_F(ProofExportTest, AWrongKeyAndAForkedHistoryAreReported) {
  const std::string checkpoint = BuildLogWithCheckpoint();
  const std::string key = Key();
  const std::string file = ProofExport("8");

  // Another ledger with the same key and a different history of the same size: its
  // checkpoint and this export's are a fork.
  services::ServerOptions options;
  options.data_dir = dir_.sub("other");
  options.listen = "127.0.0.1:0";
  options.checkpoint_key_file = dir_.sub("ledger") + ".checkpoint.key";
  auto other = services::LedgerServer::Start(options);
  ASSERT_TRUE(other.ok()) << other.status();
  for (uint64_t id = 1; id <= 8; ++id) {
    ASSERT_TRUE(
        (*other)->store()->Append(Batch({ClientRegistered(id, std::to_string(id))}), "x").ok());
  }
  const std::string other_checkpoint = dir_.sub("other-checkpoint.txt");
  RunResult saved =
      Exec({LEDGERCTL_PATH, "--server", (*other)->address(), "checkpoint", "-o", other_checkpoint});
  ASSERT_EQ(saved.exit_code, 0) << saved.output;
  RunResult fork = CheckProofs(file, key, other_checkpoint);
  EXPECT_EQ(fork.exit_code, 1) << fork.output;
  EXPECT_TRUE(absl::StrContains(
      fork.output, "FORKED HISTORY: two checkpoints of tree size 8 with different roots"))
      << fork.output;
  EXPECT_TRUE(absl::StrContains(fork.output, Read(other_checkpoint))) << fork.output;

  // A key of another ledger: the checkpoint carries no signature by it.
  options.data_dir = dir_.sub("third");
  options.checkpoint_key_file = "";
  auto third = services::LedgerServer::Start(options);
  ASSERT_TRUE(third.ok()) << third.status();
  RunResult third_key = Exec({LEDGERCTL_PATH, "--server", (*third)->address(), "verifier-key"});
  RunResult wrong =
      CheckProofs(file, std::string(absl::StripAsciiWhitespace(third_key.output)), checkpoint);
  EXPECT_EQ(wrong.exit_code, 1) << wrong.output;
  EXPECT_TRUE(
      absl::StrContains(wrong.output,
                        "FAILED at position 0: the export's checkpoint carries no signature by "
                        "sixhearts-ledger"))
      << wrong.output;

  // A signature that does not verify: the checkpoint's root line changed.
  std::string text = Read(file);
  const size_t root_line = text.find("\\n8\\n") + 5;
  text[root_line] = text[root_line] == 'A' ? 'B' : 'A';
  Write(file, text);
  RunResult bad = CheckProofs(file, key, "");
  EXPECT_EQ(bad.exit_code, 1) << bad.output;
  EXPECT_TRUE(absl::StrContains(bad.output,
                                "the signature of the export's checkpoint by "
                                "sixhearts-ledger does not verify"))
      << bad.output;
}

// Issue 14 item 6: a compliance report on proofs (`report compliance --with-proofs`) whose
// listed invoices tools/verify_audit.py recomputes from the proven events alone.
class ReportProofTest : public ProofExportTest {
 protected:
  static v1::Event CreditNote(uint64_t id, const std::string& credit_note, int64_t minor,
                              v1::Date day) {
    v1::Event e = ::sixhearts::testing::Envelope(id, "42", day);
    auto* p = e.mutable_credit_note_issued();
    p->set_credit_note_id(credit_note);
    p->set_invoice_id("INV-1");
    *p->mutable_amount() = ::sixhearts::testing::Money(minor);
    *p->mutable_issue_date() = day;
    return e;
  }
  static v1::Event DisputeOpened(uint64_t id, const std::string& dispute, int64_t minor,
                                 v1::Date day) {
    v1::Event e = ::sixhearts::testing::Envelope(id, "42", day);
    auto* p = e.mutable_dispute_opened();
    p->set_dispute_id(dispute);
    p->set_invoice_id("INV-1");
    p->set_amount_minor(minor);
    p->set_reason("quantity short");
    *p->mutable_opened_on() = day;
    return e;
  }

  // Positions 1..13. Client 42's INV-1 (1,000.00 issued 2026-01-10, statutory due
  // 2026-02-09: CN, 30 days from the issue day without a delivery day) as of 2026-04-30:
  // paid 300.00 (PAY-1, 5) + 150.00 (PAY-2 received unallocated at 8, allocated at 9),
  // credited 100.00 (6), outstanding 1,000 - 450 - 100 = 450.00, of which 200.00 under
  // DSP-1 (7) open; DSP-2 (10) was rejected (11) on 2026-03-20; overdue 450 - 200 =
  // 250.00. PAY-3 (13) is dated 2026-05-10, after as_of. Client 7's INV-1 (4): 50.00
  // owed and overdue.
  void BuildInvoiceLog() {
    Append(Batch({ClientRegistered(1, "42")}));
    Append(Batch({ClientRegistered(2, "7")}));
    Append(Batch({InvoiceIssued(3, "42", "INV-1", 100000, D(2026, 1, 10), D(2026, 2, 9))}));
    Append(Batch({InvoiceIssued(4, "7", "INV-1", 5000, D(2026, 1, 12), D(2026, 2, 11))}));
    Append(Batch({::sixhearts::testing::PaymentReceived(5, "42", "PAY-1", 30000, "INV-1", 30000,
                                                        D(2026, 2, 20))}));
    Append(Batch({CreditNote(6, "CN-1", 10000, D(2026, 3, 1))}));
    Append(Batch({DisputeOpened(7, "DSP-1", 20000, D(2026, 3, 5))}));
    Append(Batch(
        {::sixhearts::testing::PaymentReceived(8, "42", "PAY-2", 15000, "", 0, D(2026, 3, 10))}));
    v1::Event allocated = ::sixhearts::testing::Envelope(9, "42", D(2026, 3, 12));
    allocated.mutable_payment_allocated()->set_payment_id("PAY-2");
    auto* a = allocated.mutable_payment_allocated()->add_allocations();
    a->set_invoice_id("INV-1");
    a->set_amount_minor(15000);
    *allocated.mutable_payment_allocated()->mutable_allocated_on() = D(2026, 3, 12);
    Append(Batch({allocated}));
    Append(Batch({DisputeOpened(10, "DSP-2", 5000, D(2026, 3, 6))}));
    v1::Event resolved = ::sixhearts::testing::Envelope(11, "42", D(2026, 3, 20));
    resolved.mutable_dispute_resolved()->set_dispute_id("DSP-2");
    resolved.mutable_dispute_resolved()->set_outcome(v1::DISPUTE_OUTCOME_REJECTED);
    *resolved.mutable_dispute_resolved()->mutable_resolved_on() = D(2026, 3, 20);
    Append(Batch({resolved}));
    Append(Batch({Interaction(12, "42", "X-1")}));
    Append(Batch({::sixhearts::testing::PaymentReceived(13, "42", "PAY-3", 1000, "INV-1", 1000,
                                                        D(2026, 5, 10))}));
  }

  std::string ReportOnProofs() {
    const std::string file = dir_.sub(absl::StrCat("report-", runs_, ".json"));
    RunResult run =
        Ledgerctl({"report", "compliance", "--as-of", "2026-04-30", "--with-proofs", "-o", file});
    EXPECT_EQ(run.exit_code, 0) << run.output;
    return file;
  }

  RunResult CheckReport(const std::string& file, const std::string& key) {
    return Exec(
        {"/usr/bin/python3", SIXHEARTS_SOURCE_DIR "/tools/verify_audit.py", file, "--key", key});
  }

  // `text` with `from` (which must occur once) replaced by `to`, written to a new file.
  std::string Altered(const std::string& text, const std::string& from, const std::string& to) {
    EXPECT_EQ(Count(text, from), 1u) << from;
    std::string altered = text;
    if (const size_t at = altered.find(from); at != std::string::npos) {
      altered.replace(at, from.size(), to);
    }
    const std::string file = dir_.sub(absl::StrCat("altered-", runs_++, ".json"));
    Write(file, altered);
    return file;
  }
};

TEST_F(ReportProofTest, ListedInvoicesAreRecomputedFromProvenEvents) {
  BuildInvoiceLog();
  const std::string key = Key();
  const std::string file = ReportOnProofs();
  const std::string text = Read(file);
  EXPECT_TRUE(absl::StrContains(text,
                                "\"outstanding_minor\":45000,\"disputed_minor\":20000,"
                                "\"overdue_minor\":25000,"))
      << text;
  EXPECT_TRUE(absl::StrContains(
      text,
      "\"proof\":{\"paid_minor\":45000,\"credited_minor\":10000,\"written_off_minor\":0,"
      "\"positions\":[3,5,6,7,8,9,10,11]}"))
      << text;
  EXPECT_TRUE(absl::StrContains(text,
                                "\"proof\":{\"paid_minor\":0,\"credited_minor\":0,"
                                "\"written_off_minor\":0,\"positions\":[4]}"))
      << text;
  // The proofs: positions 3..11 once each, in the tree of size 13; not 12 (an
  // interaction) nor 13 (after as_of).
  EXPECT_TRUE(absl::StrContains(text, "\"proofs\":{\"tree_size\":13,")) << text;
  EXPECT_EQ(Count(text, "\n{\"position\":"), 9u) << text;
  EXPECT_TRUE(absl::StrContains(text, "\n{\"position\":3,\"leaf\":")) << text;
  EXPECT_TRUE(absl::StrContains(text, "\n{\"position\":11,\"leaf\":")) << text;
  EXPECT_FALSE(absl::StrContains(text, "\n{\"position\":12,")) << text;
  EXPECT_FALSE(absl::StrContains(text, "\n{\"position\":13,")) << text;

  RunResult ok = CheckReport(file, key);
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_TRUE(absl::StartsWith(ok.output,
                               "OK: compliance report as of 2026-04-30, 2 listed invoices "
                               "recomputed from 9 proven events in the signed tree of size 13"))
      << ok.output;

  // A shown figure altered: 450.00 outstanding shown as 45.00.
  RunResult outstanding = CheckReport(
      Altered(text, "\"outstanding_minor\":45000,\"disputed_minor\":20000,\"overdue_minor\"",
              "\"outstanding_minor\":4500,\"disputed_minor\":20000,\"overdue_minor\""),
      key);
  EXPECT_EQ(outstanding.exit_code, 1) << outstanding.output;
  EXPECT_TRUE(absl::StartsWith(outstanding.output,
                               "FAILED at invoice INV-1 of client 42: outstanding_minor shown as "
                               "4500 but the proven events give 45000"))
      << outstanding.output;
  RunResult paid =
      CheckReport(Altered(text, "\"paid_minor\":45000,", "\"paid_minor\":55000,"), key);
  EXPECT_EQ(paid.exit_code, 1) << paid.output;
  EXPECT_TRUE(absl::StartsWith(paid.output,
                               "FAILED at invoice INV-1 of client 42: proof.paid_minor shown as "
                               "55000 but the proven events give 45000"))
      << paid.output;
  // The credit note left out of the invoice's events: the figures no longer follow.
  RunResult dropped =
      CheckReport(Altered(text, "\"positions\":[3,5,6,7,", "\"positions\":[3,5,7,"), key);
  EXPECT_EQ(dropped.exit_code, 1) << dropped.output;
  EXPECT_TRUE(absl::StartsWith(dropped.output,
                               "FAILED at invoice INV-1 of client 42: outstanding_minor shown as "
                               "45000 but the proven events give 55000"))
      << dropped.output;

  // One hash of position 5's inclusion proof altered.
  const size_t line = text.find("\n{\"position\":5,\"leaf\":");
  ASSERT_NE(line, std::string::npos);
  const size_t hash = text.find("\"inclusion_path\":[\"", line) + 19;
  std::string flipped = text;
  flipped[hash] = flipped[hash] == 'a' ? 'b' : 'a';
  Write(file, flipped);
  RunResult path = CheckReport(file, key);
  EXPECT_EQ(path.exit_code, 1) << path.output;
  EXPECT_TRUE(absl::StartsWith(
      path.output,
      "FAILED at position 5: the inclusion proof does not lead to the checkpoint's "
      "root"))
      << path.output;
}

TEST_F(ReportProofTest, AReversedPaymentCountsUntilItsReversal) {
  BuildInvoiceLog();
  // Position 14: PAY-1 (300.00 on INV-1) reversed on 2026-04-10.
  v1::Event reversed = ::sixhearts::testing::Envelope(14, "42", D(2026, 4, 10));
  reversed.mutable_payment_reversed()->set_payment_id("PAY-1");
  *reversed.mutable_payment_reversed()->mutable_reversed_on() = D(2026, 4, 10);
  reversed.mutable_payment_reversed()->set_reason("returned by the bank");
  Append(Batch({reversed}));
  const std::string key = Key();
  // As of 2026-04-30 only PAY-2's 150.00 counts: outstanding 1,000 - 150 - 100 = 750.00,
  // overdue 750 - 200 = 550.00; the reversal is among INV-1's events.
  const std::string after = ReportOnProofs();
  const std::string text = Read(after);
  EXPECT_TRUE(absl::StrContains(text,
                                "\"outstanding_minor\":75000,\"disputed_minor\":20000,"
                                "\"overdue_minor\":55000,"))
      << text;
  EXPECT_TRUE(absl::StrContains(text,
                                "\"paid_minor\":15000,\"credited_minor\":10000,"
                                "\"written_off_minor\":0,\"positions\":[3,5,6,7,8,9,10,11,14]"))
      << text;
  RunResult ok = CheckReport(after, key);
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  // Shown as if the reversal had not happened, the figures fail against the bytes.
  RunResult altered =
      CheckReport(Altered(text, "\"paid_minor\":15000,", "\"paid_minor\":45000,"), key);
  EXPECT_EQ(altered.exit_code, 1) << altered.output;
  EXPECT_TRUE(absl::StartsWith(altered.output,
                               "FAILED at invoice INV-1 of client 42: proof.paid_minor shown as "
                               "45000 but the proven events give 15000"))
      << altered.output;
  // As of 2026-04-05 the reversal is not yet in the books: PAY-1 still counts.
  const std::string before = dir_.sub("report-before.json");
  ASSERT_EQ(
      Ledgerctl({"report", "compliance", "--as-of", "2026-04-05", "--with-proofs", "-o", before})
          .exit_code,
      0);
  EXPECT_TRUE(absl::StrContains(Read(before),
                                "\"paid_minor\":45000,\"credited_minor\":10000,"
                                "\"written_off_minor\":0,\"positions\":[3,5,6,7,8,9,"
                                "10,11]"))
      << Read(before);
  RunResult early = CheckReport(before, key);
  EXPECT_EQ(early.exit_code, 0) << early.output;
}

// The demo portfolio (ledgerctl generate: payments, credit notes, write-offs, disputes
// and their resolutions): the checker's fold and the receivables projection agree on
// every listed invoice at several days.
TEST_F(ReportProofTest, TheDemoPortfolioVerifiesOnSeveralDays) {
  RunResult generated = Ledgerctl({"generate", "--clients", "30", "--months", "24"});
  ASSERT_EQ(generated.exit_code, 0) << generated.output;
  const std::string key = Key();
  for (const std::string day : {"2025-06-30", "2025-12-31", "2026-11-30"}) {
    const std::string file = dir_.sub(absl::StrCat("demo-", day, ".json"));
    RunResult run =
        Ledgerctl({"report", "compliance", "--as-of", day, "--with-proofs", "-o", file});
    ASSERT_EQ(run.exit_code, 0) << run.output;
    const std::string text = Read(file);
    EXPECT_TRUE(absl::StrContains(text, "\"proof\":{")) << day;
    RunResult check = CheckReport(file, key);
    EXPECT_EQ(check.exit_code, 0) << day << ": " << check.output;
    EXPECT_TRUE(absl::StartsWith(check.output, absl::StrCat("OK: compliance report as of ", day)))
        << check.output;
  }
}

TEST_F(ReportProofTest, ProofsAreForJsonOnly) {
  BuildInvoiceLog();
  RunResult csv = Ledgerctl(
      {"report", "compliance", "--as-of", "2026-04-30", "--with-proofs", "--format", "csv"});
  EXPECT_NE(csv.exit_code, 0) << csv.output;
  EXPECT_TRUE(absl::StrContains(csv.output,
                                "INVALID_ARGUMENT: with_proofs: only with format JSON (CSV and "
                                "HTML have no place for the proofs)"))
      << csv.output;
  // Without --with-proofs the verifier has nothing to recompute and says so.
  const std::string file = dir_.sub("plain.json");
  ASSERT_EQ(Ledgerctl({"report", "compliance", "--as-of", "2026-04-30", "-o", file}).exit_code, 0);
  EXPECT_FALSE(absl::StrContains(Read(file), "\"proof\"")) << Read(file);
  RunResult plain = CheckReport(file, Key());
  EXPECT_EQ(plain.exit_code, 2) << plain.output;
  EXPECT_TRUE(absl::StrContains(plain.output, "this compliance report carries no proofs"))
      << plain.output;
}

}  // namespace
}  // namespace sixhearts
