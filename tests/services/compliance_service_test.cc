// Integration tests of the Compliance service: the real LedgerServer (every service and the
// three projection engines) on a loopback port over a real RocksDB directory; a CN client's
// history appended over gRPC; reports asked again after later (backdated) events must come
// out byte for byte the same; ledgerctl writes the same bytes; headless Chromium renders the
// HTML report to a PNG without console errors.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "ledger/checkpoint.h"
#include "ledger/clock.h"
#include "ledger/quoted.h"
#include "services/server.h"
#include "sixhearts/ledger/v1/compliance.grpc.pb.h"
#include "sixhearts/ledger/v1/event_store.grpc.pb.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/test_events.h"

namespace sixhearts::services {
namespace {

namespace v1 = ::sixhearts::ledger::v1;
using ::sixhearts::testing::Batch;
using ::sixhearts::testing::ClientRegistered;
using ::sixhearts::testing::D;
using ::sixhearts::testing::Envelope;
using ::sixhearts::testing::Money;
using ::sixhearts::testing::PaymentReceived;
using ::sixhearts::testing::TempDir;

absl::Time Utc(int y, int m, int d, int h = 0) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, h, 0, 0), absl::UTCTimeZone());
}

google::protobuf::Timestamp Stamp(absl::Time t) {
  google::protobuf::Timestamp s;
  s.set_seconds(absl::ToUnixSeconds(t));
  return s;
}

// ClientRegistered of test_events.h, dated 2025-06-01 so that 2025 reports see it.
v1::Event Registered(uint64_t id) {
  v1::Event e = ClientRegistered(id, "bureau");
  e.mutable_occurred_at()->set_seconds(absl::ToUnixSeconds(Utc(2025, 6, 1, 12)));
  return e;
}

v1::Event Contract90(uint64_t id) {
  v1::Event e = Envelope(id, "bureau", D(2025, 6, 1));
  auto* p = e.mutable_contract_signed();
  p->set_contract_id("K90");
  *p->mutable_amount() = Money(50'000'000);
  *p->mutable_signed_on() = D(2025, 6, 1);
  p->set_payment_terms_days(90);
  return e;
}

v1::Event Invoice(uint64_t id, const std::string& invoice, int64_t minor,
                  const std::string& contract) {
  v1::Event e = Envelope(id, "bureau", D(2025, 7, 1));
  auto* p = e.mutable_invoice_issued();
  p->set_invoice_id(invoice);
  p->set_contract_id(contract);
  *p->mutable_amount() = Money(minor);
  *p->mutable_issue_date() = D(2025, 7, 1);
  *p->mutable_due_date() = D(2025, 7, 31);
  *p->mutable_delivery_date() = D(2025, 7, 1);
  return e;
}

struct Fetched {
  grpc::Status status;
  v1::ComplianceReportHeader header;
  std::string content;
  std::string sha256;
  int progress_messages = 0;
};

class ComplianceServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions options;
    options.data_dir = dir_.sub("ledger");
    options.listen = "127.0.0.1:0";
    options.store.clock = &clock_;
    options.projections.snapshot_every_events = 2;  // as-of reads start from snapshots
    auto server = LedgerServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    auto channel = grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials());
    events_ = v1::EventStore::NewStub(channel);
    stub_ = v1::Compliance::NewStub(channel);
  }

  void Append(v1::AppendRequest request) {
    grpc::ClientContext context;
    v1::AppendResponse response;
    grpc::Status status = events_->Append(&context, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  // Recorded 2025-09-01: a CN organ (SME seller); I1 CNY 100,000.00 delivered 07-01 with no
  // contract (due 07-31); I2 CNY 50,000.00 on the 90-day contract K90 (capped: due 08-30).
  void AppendHistory() {
    clock_.Set(Utc(2025, 9, 1, 10));
    Append(Batch({Registered(1), Contract90(2), Invoice(3, "I1", 10'000'000, ""),
                  Invoice(4, "I2", 5'000'000, "K90")}));
    clock_.Set(Utc(2025, 9, 1, 12));  // the "early" cut is not in the future
  }

  // Recorded 2025-09-10: I1 paid in full with value date 08-15 (backdated).
  void AppendLatePayment() {
    clock_.Set(Utc(2025, 9, 10, 10));
    Append(Batch(
        {PaymentReceived(5, "bureau", "PAY-1", 10'000'000, "I1", 10'000'000, D(2025, 8, 15))}));
    clock_.Set(Utc(2025, 9, 10, 12));  // the "late" cut is not in the future
  }

  Fetched Report(v1::ComplianceReportRequest request) {
    grpc::ClientContext context;
    auto reader = stub_->Report(&context, request);
    return Read(*reader);
  }
  Fetched Disclosure(v1::DisclosureRequest request) {
    grpc::ClientContext context;
    auto reader = stub_->Disclosure(&context, request);
    return Read(*reader);
  }
  template <typename Response>
  static Fetched Read(grpc::ClientReader<Response>& reader) {
    Fetched f;
    Response r;
    while (reader.Read(&r)) {
      switch (r.part_case()) {
        case Response::kProgress:
          ++f.progress_messages;
          break;
        case Response::kHeader:
          f.header = r.header();
          break;
        case Response::kContent:
          f.content += r.content();
          break;
        case Response::kTrailer:
          f.sha256 = r.trailer().content_sha256();
          break;
        default:
          break;
      }
    }
    f.status = reader.Finish();
    return f;
  }

  // The verifier key of the server (Digest).
  std::string VerifierKey() {
    grpc::ClientContext context;
    v1::DigestResponse digest;
    EXPECT_TRUE(events_->Digest(&context, v1::DigestRequest(), &digest).ok());
    return digest.verifier_key();
  }

  // GetInclusionProof of position 1 in the tree of `size` events: its root and checkpoint.
  v1::GetInclusionProofResponse InclusionIn(uint64_t size) {
    grpc::ClientContext context;
    v1::GetInclusionProofRequest request;
    request.set_position(1);
    request.set_tree_size(size);
    v1::GetInclusionProofResponse response;
    grpc::Status status = events_->GetInclusionProof(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  std::string HeadHashAt(uint64_t position) {
    grpc::ClientContext context;
    v1::ReadLogRequest request;
    request.set_from_position(position);
    request.set_limit(1);
    auto reader = events_->ReadLog(&context, request);
    v1::ReadResponse response;
    std::string hash;
    while (reader->Read(&response)) {
      if (response.events_size() > 0 && hash.empty()) hash = response.events(0).hash();
    }
    reader->Finish();
    return absl::BytesToHexString(hash);
  }

  static v1::ComplianceReportRequest At(const std::string& known_at_hint,
                                        v1::ComplianceReportFormat format) {
    v1::ComplianceReportRequest r;
    *r.mutable_as_of() = D(2025, 8, 30);
    *r.mutable_known_at() =
        Stamp(known_at_hint == "early" ? Utc(2025, 9, 1, 12) : Utc(2025, 9, 10, 12));
    r.set_format(format);
    r.set_chunk_bytes(1000);  // several chunks even for a small report
    return r;
  }

  TempDir dir_;
  ledger::ManualClock clock_{Utc(2025, 9, 1)};
  std::unique_ptr<LedgerServer> server_;
  std::unique_ptr<v1::EventStore::Stub> events_;
  std::unique_ptr<v1::Compliance::Stub> stub_;
};

// The JSON report as of 2025-08-30, known at 2025-09-01 12:00, figures by hand:
// I1: CN Art 9 due 07-01 + 30 = 07-31; 30 days overdue on 08-30; interest
//     10,000,000 x 0.05% x 30 = 150,000 fen.
// I2: the 90-day term is capped at 60: due 08-30, not yet overdue on 08-30 (not listed).
// K90: flagged, CN Art 9.
TEST_F(ComplianceServiceTest, ReportStatesLateInvoicesInterestAndTheDigest) {
  AppendHistory();
  Fetched f = Report(At("early", v1::COMPLIANCE_REPORT_FORMAT_JSON));
  ASSERT_TRUE(f.status.ok()) << f.status.error_message();
  EXPECT_EQ(f.header.position(), 4u);
  EXPECT_EQ(f.header.head_hash(), HeadHashAt(4));
  EXPECT_EQ(f.header.content_type(), "application/json");
  EXPECT_EQ(f.header.content_bytes(), f.content.size());
  EXPECT_NE(f.content.find("\"digest\":{\"position\":4,\"head_hash\":\"" + HeadHashAt(4) +
                           "\",\"checkpoint\":" + ledger::Quoted(f.header.checkpoint()) + "}"),
            std::string::npos)
      << f.content.substr(0, 400);
  EXPECT_NE(f.content.find("\"invoice_id\":\"I1\""), std::string::npos);
  EXPECT_EQ(f.content.find("\"invoice_id\":\"I2\""), std::string::npos);
  EXPECT_NE(f.content.find("\"statutory_due_date\":\"2025-07-31\""), std::string::npos);
  EXPECT_NE(f.content.find("\"days_overdue\":30,"), std::string::npos);
  EXPECT_NE(f.content.find("\"interest_minor\":150000,"), std::string::npos);
  EXPECT_NE(f.content.find("\"article\":\"CN Art 9\""), std::string::npos);
  EXPECT_NE(f.content.find("\"rule_set\":\"CN\",\"currency\":\"CNY\",\"invoices_assessed\":2,"
                           "\"invoices_overdue\":1,\"overdue_minor\":10000000,"),
            std::string::npos);
}

// Asked again after a backdated payment was appended, the report known at 09-01 is the same
// bytes (and SHA-256) in every format; known at 09-10 it changes: I1 was paid 08-15, 15 days
// late, 10,000,000 x 0.05% x 15 = 75,000.
TEST_F(ComplianceServiceTest, SameReportByteForByteAfterMoreEvents) {
  AppendHistory();
  std::vector<Fetched> before;
  for (auto format : {v1::COMPLIANCE_REPORT_FORMAT_JSON, v1::COMPLIANCE_REPORT_FORMAT_CSV,
                      v1::COMPLIANCE_REPORT_FORMAT_HTML}) {
    before.push_back(Report(At("early", format)));
    ASSERT_TRUE(before.back().status.ok()) << before.back().status.error_message();
  }
  AppendLatePayment();
  size_t i = 0;
  for (auto format : {v1::COMPLIANCE_REPORT_FORMAT_JSON, v1::COMPLIANCE_REPORT_FORMAT_CSV,
                      v1::COMPLIANCE_REPORT_FORMAT_HTML}) {
    Fetched again = Report(At("early", format));
    ASSERT_TRUE(again.status.ok()) << again.status.error_message();
    EXPECT_EQ(again.content, before[i].content) << "format " << format;
    EXPECT_EQ(again.sha256, before[i].sha256);
    EXPECT_EQ(again.header.position(), 4u);
    ++i;
  }
  Fetched later = Report(At("late", v1::COMPLIANCE_REPORT_FORMAT_JSON));
  ASSERT_TRUE(later.status.ok());
  EXPECT_EQ(later.header.position(), 5u);
  EXPECT_NE(later.content, before[0].content);
  EXPECT_NE(later.content.find("\"status\":\"paid late\",\"days_overdue\":15,"), std::string::npos);
  EXPECT_NE(later.content.find("\"interest_minor\":75000,"), std::string::npos);
}

// CN Art 18 for 2025, as known at 09-10: I1 (no contract: its own) overdue 07-31 .. paid
// 08-15, interest 75,000; I2 on K90 due 08-30, unpaid on 12-31: 123 days (08-31 .. 12-31),
// 5,000,000 x 0.05% x 123 = 307,500. Two contracts, CNY 150,000.00 overdue, 50,000.00
// unpaid at year end, interest 382,500.
TEST_F(ComplianceServiceTest, AnnualDisclosure) {
  AppendHistory();
  AppendLatePayment();
  v1::DisclosureRequest request;
  request.set_year(2025);
  *request.mutable_known_at() = Stamp(Utc(2025, 9, 10, 12));
  request.set_format(v1::COMPLIANCE_REPORT_FORMAT_CSV);
  Fetched f = Disclosure(request);
  ASSERT_TRUE(f.status.ok()) << f.status.error_message();
  EXPECT_NE(
      f.content.find(",bureau,Bureau bureau,government organ,CNY,2,2,15000000,5000000,382500\r\n"),
      std::string::npos)
      << f.content;
}

// Every report and disclosure, in every format, names the signed checkpoint of the tree at
// its position: the report known at 09-01 is built from 4 events (the head is 5), the
// disclosure known at 09-10 from 5. The checkpoint reads "sixhearts-ledger", the size
// and base64 of the root GetInclusionProof gives for that size, and verifies against the
// server's verifier key; the same text with another size does not.
TEST_F(ComplianceServiceTest, EveryReportAndDisclosureNamesTheSignedCheckpointOfItsPosition) {
  AppendHistory();
  AppendLatePayment();
  const std::string key = VerifierKey();
  ASSERT_EQ(key.substr(0, 17), "sixhearts-ledger+");
  const v1::GetInclusionProofResponse at4 = InclusionIn(4);
  const v1::GetInclusionProofResponse at5 = InclusionIn(5);
  ASSERT_EQ(at4.root_hash().size(), 32u);
  ASSERT_NE(at4.root_hash(), at5.root_hash());

  Fetched json = Report(At("early", v1::COMPLIANCE_REPORT_FORMAT_JSON));
  ASSERT_TRUE(json.status.ok()) << json.status.error_message();
  ASSERT_EQ(json.header.position(), 4u);
  const std::string checkpoint = json.header.checkpoint();
  const std::string body =
      absl::StrCat("sixhearts-ledger\n4\n", absl::Base64Escape(at4.root_hash()), "\n\n");
  EXPECT_EQ(checkpoint.substr(0, body.size()), body);
  EXPECT_EQ(checkpoint, at4.checkpoint());  // Ed25519 is deterministic
  EXPECT_TRUE(ledger::VerifyNote(checkpoint, key).ok()) << ledger::VerifyNote(checkpoint, key);
  std::string resized = checkpoint;
  resized.replace(body.find("\n4\n"), 3, "\n5\n");
  EXPECT_EQ(ledger::VerifyNote(resized, key).code(), absl::StatusCode::kUnauthenticated);
  EXPECT_NE(json.content.find(absl::StrCat("\"head_hash\":\"", HeadHashAt(4),
                                           "\",\"checkpoint\":", ledger::Quoted(checkpoint))),
            std::string::npos)
      << json.content.substr(0, 600);

  Fetched csv = Report(At("early", v1::COMPLIANCE_REPORT_FORMAT_CSV));
  ASSERT_TRUE(csv.status.ok()) << csv.status.error_message();
  EXPECT_EQ(csv.header.checkpoint(), checkpoint);
  EXPECT_NE(csv.content.find(absl::StrCat(",4,", HeadHashAt(4), ",\"", checkpoint, "\"\r\n")),
            std::string::npos)
      << csv.content.substr(0, 600);
  Fetched html = Report(At("early", v1::COMPLIANCE_REPORT_FORMAT_HTML));
  ASSERT_TRUE(html.status.ok()) << html.status.error_message();
  EXPECT_EQ(html.header.checkpoint(), checkpoint);
  EXPECT_NE(html.content.find(absl::StrCat("<pre class=\"note\">", checkpoint, "</pre>")),
            std::string::npos);

  v1::DisclosureRequest request;
  request.set_year(2025);
  *request.mutable_known_at() = Stamp(Utc(2025, 9, 10, 12));
  for (auto format : {v1::COMPLIANCE_REPORT_FORMAT_JSON, v1::COMPLIANCE_REPORT_FORMAT_CSV,
                      v1::COMPLIANCE_REPORT_FORMAT_HTML}) {
    request.set_format(format);
    Fetched f = Disclosure(request);
    ASSERT_TRUE(f.status.ok()) << f.status.error_message();
    ASSERT_EQ(f.header.position(), 5u);
    EXPECT_EQ(f.header.checkpoint(), at5.checkpoint()) << "format " << format;
    EXPECT_EQ(f.header.checkpoint().substr(0, 19), "sixhearts-ledger\n5\n");
    EXPECT_TRUE(ledger::VerifyNote(f.header.checkpoint(), key).ok())
        << ledger::VerifyNote(f.header.checkpoint(), key) << " key " << key;
    const std::string shown = format == v1::COMPLIANCE_REPORT_FORMAT_JSON
                                  ? ledger::Quoted(at5.checkpoint())
                                  : at5.checkpoint();
    EXPECT_NE(f.content.find(shown), std::string::npos) << "format " << format;
  }
}

// Known before the first event (recorded 09-01 10:00; the head is 4), the report names the
// empty tree's checkpoint: size 0, root SHA-256 of nothing, not the head's.
TEST_F(ComplianceServiceTest, AReportBeforeTheFirstEventNamesTheEmptyTreesCheckpoint) {
  AppendHistory();
  v1::ComplianceReportRequest request = At("early", v1::COMPLIANCE_REPORT_FORMAT_JSON);
  *request.mutable_known_at() = Stamp(Utc(2025, 9, 1, 9));
  Fetched f = Report(request);
  ASSERT_TRUE(f.status.ok()) << f.status.error_message();
  EXPECT_EQ(f.header.position(), 0u);
  EXPECT_EQ(f.header.checkpoint().substr(0, 69),
            "sixhearts-ledger\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n\u2014 ");
  EXPECT_TRUE(ledger::VerifyNote(f.header.checkpoint(), VerifierKey()).ok());
  EXPECT_NE(f.content.find(ledger::Quoted(f.header.checkpoint())), std::string::npos);
}

TEST_F(ComplianceServiceTest, BadRequestsNameTheField) {
  AppendHistory();
  v1::ComplianceReportRequest request = At("early", v1::COMPLIANCE_REPORT_FORMAT_UNSPECIFIED);
  Fetched f = Report(request);
  EXPECT_EQ(f.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(f.status.error_message(), "format: required (JSON, CSV or HTML)");
  request = At("early", v1::COMPLIANCE_REPORT_FORMAT_JSON);
  *request.mutable_period_from() = D(2025, 9, 1);
  f = Report(request);
  EXPECT_EQ(f.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(f.status.error_message(), "period_from: 2025-09-01 is after as_of 2025-08-30");
  request = At("early", v1::COMPLIANCE_REPORT_FORMAT_JSON);
  request.set_chunk_bytes(5'000'000);
  EXPECT_EQ(Report(request).status.error_message(), "chunk_bytes: at most 1048576, got 5000000");
  v1::DisclosureRequest disclosure;
  disclosure.set_format(v1::COMPLIANCE_REPORT_FORMAT_JSON);
  EXPECT_EQ(Disclosure(disclosure).status.error_message(), "year: must be in [2, 9999], got 0");
}

// A US federal agency invoiced in 2026: the Treasury table ends with 2025-H1 (4.625% from
// 2025-01-01), whose successor was due 2025-07-01. Issued 2026-02-02 with no delivery or
// acceptance, it is due 30 days after receipt, 2026-03-04; the rate in effect on
// 2026-03-05 applies, so the 2025-H1 rate is carried forward 2026-03-05 - 2025-01-01 =
// 365 + 63 = 428 days after its entry. Every format says so; none may say it silently.
TEST_F(ComplianceServiceTest, ARateCarriedPastItsTablesNextPublicationIsFlaggedInEveryFormat) {
  clock_.Set(Utc(2026, 6, 1, 10));
  v1::Event agency = ClientRegistered(1, "agency");
  agency.mutable_client_registered()->set_jurisdiction(v1::JURISDICTION_US);
  v1::Event invoice = Envelope(2, "agency", D(2026, 2, 2));
  auto* p = invoice.mutable_invoice_issued();
  p->set_invoice_id("US-1");
  *p->mutable_amount() = Money(1'000'000);
  *p->mutable_issue_date() = D(2026, 2, 2);
  *p->mutable_due_date() = D(2026, 3, 4);
  Append(Batch({agency, invoice}));

  const std::string line =
      "rate carried forward: us_prompt_payment ends with 4.625% from 2025-01-01; the next rate "
      "was due 2025-07-01; used for 2026-03-05, 428 days after the last entry";
  auto request = [](v1::ComplianceReportFormat format) {
    v1::ComplianceReportRequest r;
    *r.mutable_as_of() = D(2026, 5, 29);
    *r.mutable_known_at() = Stamp(Utc(2026, 6, 1, 10));
    r.set_format(format);
    return r;
  };
  Fetched json = Report(request(v1::COMPLIANCE_REPORT_FORMAT_JSON));
  ASSERT_TRUE(json.status.ok()) << json.status.error_message();
  EXPECT_NE(json.content.find("\"statutory_due_date\":\"2026-03-04\""), std::string::npos);
  EXPECT_NE(
      json.content.find(
          "\"carried_rates\":[\n{\"table\":\"us_prompt_payment\",\"last_entry\":\"2025-01-01\","
          "\"rate\":\"4.625%\",\"next_publication\":\"2025-07-01\",\"used_for\":\"2026-03-05\","
          "\"days_after_last_entry\":428}\n]"),
      std::string::npos)
      << json.content.substr(0, 1500);
  EXPECT_NE(json.content.find("\"" + line + "\""), std::string::npos);  // the invoice's note

  Fetched csv = Report(request(v1::COMPLIANCE_REPORT_FORMAT_CSV));
  ASSERT_TRUE(csv.status.ok()) << csv.status.error_message();
  EXPECT_NE(csv.content.find("carried_rates,table,last_entry,rate,next_publication,used_for,"
                             "days_after_last_entry\r\n,us_prompt_payment,2025-01-01,4.625%,"
                             "2025-07-01,2026-03-05,428\r\n"),
            std::string::npos)
      << csv.content;

  Fetched html = Report(request(v1::COMPLIANCE_REPORT_FORMAT_HTML));
  ASSERT_TRUE(html.status.ok()) << html.status.error_message();
  EXPECT_NE(html.content.find("<strong>Warning:</strong> " + line + ": a newer rate may apply."),
            std::string::npos);
}

TEST(ComplianceRatesFile, ABadFileStopsStartUpNamingTheLine) {
  TempDir dir;
  const std::string rates = dir.sub("rates.txt");
  std::ofstream(rates)
      << "# rates\nus_prompt_payment 2026-01-01 4.125\nus_prompt_payment 2025-07-01 4\n";
  ServerOptions options;
  options.data_dir = dir.sub("ledger");
  options.listen = "127.0.0.1:0";
  options.compliance_rates_file = rates;
  auto server = LedgerServer::Start(options);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(server.status().message(),
            absl::StrCat(rates,
                         ": rate file line 3: from: 2025-07-01 is not after the table's "
                         "previous date"));
  options.compliance_rates_file = dir.sub("missing.txt");
  server = LedgerServer::Start(options);
  EXPECT_EQ(server.status().code(), absl::StatusCode::kNotFound);
}

// ------------------------------------------------------------- ledgerctl and Chromium

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string FindChromium() {
  for (const char* candidate :
       {"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"}) {
    if (std::filesystem::exists(candidate)) return candidate;
  }
  return "";
}

// The compliance projection is monitored and rebuilt as the others are: its status over
// gRPC and `ledgerctl projections compliance`, its rebuild with `ledgerctl rebuild
// compliance` (ledgerctl used to refuse the name with exit 2).
TEST_F(ComplianceServiceTest, TheComplianceProjectionHasAStatusAndRebuildsThroughLedgerctl) {
  AppendHistory();  // positions 1..4
  v1::ProjectionStatusResponse status;
  for (int attempt = 0; attempt < 100 && status.position() < 4; ++attempt) {
    grpc::ClientContext context;
    ASSERT_TRUE(stub_->ProjectionStatus(&context, v1::ProjectionStatusRequest(), &status).ok());
    if (status.position() < 4) absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(status.name(), "compliance");
  EXPECT_EQ(status.position(), 4u);
  EXPECT_EQ(status.head_position(), 4u);
  EXPECT_EQ(status.lag_events(), 0u);

  sixhearts::testing::Subprocess projections(
      {LEDGERCTL_PATH, "--server", server_->address(), "--json", "projections", "compliance"},
      dir_.sub("projections.out"));
  ASSERT_EQ(projections.Wait(), 0) << projections.Output();
  EXPECT_NE(projections.Output().find("\"name\":\"compliance\",\"position\":4,"
                                      "\"head_position\":4,\"lag_events\":0"),
            std::string::npos)
      << projections.Output();

  sixhearts::testing::Subprocess rebuild(
      {LEDGERCTL_PATH, "--server", server_->address(), "--json", "rebuild", "compliance"},
      dir_.sub("rebuild.out"));
  ASSERT_EQ(rebuild.Wait(), 0) << rebuild.Output();
  EXPECT_EQ(rebuild.Output(), "{\"position\":4}\n");
  grpc::ClientContext context;
  ASSERT_TRUE(stub_->ProjectionStatus(&context, v1::ProjectionStatusRequest(), &status).ok());
  EXPECT_EQ(status.position(), 4u);
  EXPECT_EQ(status.saved_position(), 4u);  // a rebuild saves what it reached
}

TEST_F(ComplianceServiceTest, LedgerctlWritesTheSameBytesAndChromiumRendersThem) {
  AppendHistory();
  AppendLatePayment();
  v1::ComplianceReportRequest request = At("late", v1::COMPLIANCE_REPORT_FORMAT_HTML);
  Fetched f = Report(request);
  ASSERT_TRUE(f.status.ok());
  const std::string html_path = dir_.sub("report.html");
  sixhearts::testing::Subprocess ctl(
      {LEDGERCTL_PATH, "--server", server_->address(), "report", "compliance", "--as-of",
       "2025-08-30", "--known-at", "2025-09-10T12:00:00Z", "--format", "html", "-o", html_path},
      dir_.sub("ctl.out"));
  ASSERT_EQ(ctl.Wait(), 0) << ctl.Output();
  EXPECT_EQ(ReadFile(html_path), f.content);
  EXPECT_NE(ctl.Output().find("log position 5"), std::string::npos) << ctl.Output();
  EXPECT_NE(f.content.find("<svg"), std::string::npos);
  EXPECT_NE(f.content.find("@media print"), std::string::npos);

  const std::string chromium = FindChromium();
  if (chromium.empty()) GTEST_SKIP() << "chromium is not installed (scripts/install-deps.sh)";
  const std::string png = dir_.sub("report.png");
  sixhearts::testing::Subprocess browser(
      {chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
       absl::StrCat("--user-data-dir=", dir_.sub("chromium-profile")), "--enable-logging=stderr",
       "--v=0", "--window-size=1280,2000", absl::StrCat("--screenshot=", png),
       absl::StrCat("file://", html_path)},
      dir_.sub("chromium.out"));
  ASSERT_EQ(browser.Wait(), 0) << browser.Output();
  const std::string log = browser.Output();
  // Console messages of the page reach stderr as "CONSOLE(line)"; the report has no
  // script, so any is a fault (a blocked resource, a parse error).
  EXPECT_EQ(log.find("CONSOLE"), std::string::npos) << log;
  EXPECT_EQ(log.find("Uncaught"), std::string::npos) << log;
  const std::string image = ReadFile(png);
  ASSERT_GT(image.size(), 8u);
  EXPECT_EQ(image.substr(1, 3), "PNG");
  // Printed (the page's print rules: A4 landscape), it makes a PDF.
  const std::string pdf = dir_.sub("report.pdf");
  sixhearts::testing::Subprocess print(
      {chromium, "--headless", "--no-sandbox", "--disable-gpu",
       absl::StrCat("--user-data-dir=", dir_.sub("chromium-profile-pdf")), "--no-pdf-header-footer",
       absl::StrCat("--print-to-pdf=", pdf), absl::StrCat("file://", html_path)},
      dir_.sub("print.out"));
  ASSERT_EQ(print.Wait(), 0) << print.Output();
  EXPECT_EQ(ReadFile(pdf).substr(0, 5), "%PDF-");
  // The DOM as Chromium parsed it still holds the three charts' SVG elements.
  sixhearts::testing::Subprocess dom(
      {chromium, "--headless", "--no-sandbox", "--disable-gpu",
       absl::StrCat("--user-data-dir=", dir_.sub("chromium-profile-2")), "--dump-dom",
       absl::StrCat("file://", html_path)},
      dir_.sub("dom.out"));
  ASSERT_EQ(dom.Wait(), 0);
  const std::string dumped = dom.Output();
  size_t svgs = 0;
  for (size_t at = dumped.find("<svg"); at != std::string::npos; at = dumped.find("<svg", at + 1)) {
    ++svgs;
  }
  EXPECT_EQ(svgs, 3u) << dumped.substr(0, 2000);  // aging (CNY), overdue trend, trust timeline
}

}  // namespace
}  // namespace sixhearts::services
