// The read side over the real server (LedgerServer on a loopback port, real RocksDB): the
// record-time cut (`known_at`) of every bitemporal report, Verify's range, the checks of
// read requests, aging bucket bounds, dates in reports and the length of error messages.
// The demo client's 15 events (deploy/demo/six-hearts-demo.jsonl) are the data.
#include <chrono>
#include <cstdint>
#include <fstream>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "ledger/clock.h"
#include "ledger/quoted.h"
#include "services/server.h"
#include "sixhearts/ledger/v1/compliance.grpc.pb.h"
#include "sixhearts/ledger/v1/event_store.grpc.pb.h"
#include "sixhearts/ledger/v1/receivables.grpc.pb.h"
#include "sixhearts/ledger/v1/relationships.grpc.pb.h"
#include "tests/testing/test_events.h"

namespace sixhearts::services {
namespace {

namespace v1 = ::sixhearts::ledger::v1;
using ::sixhearts::testing::D;
using ::sixhearts::testing::TempDir;
using ::sixhearts::testing::Uuid;

constexpr char kClient[] = "sz-edu-bureau";

absl::Time Utc(int y, int m, int d, int h = 0) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, h, 0, 0), absl::UTCTimeZone());
}

google::protobuf::Timestamp Stamp(absl::Time t) {
  google::protobuf::Timestamp s;
  const int64_t seconds = absl::ToUnixSeconds(t);
  s.set_seconds(seconds);
  s.set_nanos(static_cast<int32_t>((t - absl::FromUnixSeconds(seconds)) / absl::Nanoseconds(1)));
  return s;
}

absl::Time TimeOf(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

// The demo client's history as one append request, event ids 1..15.
v1::AppendRequest DemoBatch() {
  std::ifstream in(std::string(SIXHEARTS_SOURCE_DIR) + "/deploy/demo/six-hearts-demo.jsonl");
  v1::AppendRequest request;
  std::string line;
  uint64_t id = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    v1::Event* event = request.add_events();
    EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(line, event).ok()) << line;
    event->set_event_id(Uuid(++id));
  }
  return request;
}

template <typename Response>
grpc::Status ReadAll(grpc::ClientReader<Response>& reader, std::vector<Response>* out = nullptr) {
  Response r;
  while (reader.Read(&r)) {
    if (out != nullptr) out->push_back(r);
  }
  return reader.Finish();
}

struct Report {
  grpc::Status status;
  v1::ComplianceReportHeader header;
  std::string content;
};

class ReadCutsTest : public ::testing::Test {
 protected:
  // 10:00:00 and 500 ns: the clock has a finer grain than the stored record time (µs).
  static absl::Time Start() { return Utc(2026, 12, 1, 10) + absl::Nanoseconds(500); }

  void SetUp() override {
    ServerOptions options;
    options.data_dir = dir_.sub("ledger");
    options.listen = "127.0.0.1:0";
    options.store.clock = &clock_;
    auto server = LedgerServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    auto channel = grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials());
    events_ = v1::EventStore::NewStub(channel);
    receivables_ = v1::Receivables::NewStub(channel);
    relationships_ = v1::Relationships::NewStub(channel);
    compliance_ = v1::Compliance::NewStub(channel);
  }

  v1::AppendResponse Append(const v1::AppendRequest& request) {
    grpc::ClientContext context;
    v1::AppendResponse response;
    grpc::Status status = events_->Append(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  v1::Event Newest() {
    v1::ReadLogRequest request;
    request.set_direction(v1::DIRECTION_BACKWARD);
    request.set_limit(1);
    grpc::ClientContext context;
    auto reader = events_->ReadLog(&context, request);
    std::vector<v1::ReadResponse> pages;
    EXPECT_TRUE(ReadAll(*reader, &pages).ok());
    EXPECT_EQ(pages.size(), 1u);
    return pages.empty() ? v1::Event() : pages[0].events(0);
  }

  grpc::Status Aging(const google::protobuf::Timestamp& known_at, v1::AgingResponse* response,
                     v1::AgingRequest request = {}) {
    *request.mutable_as_of() = D(2026, 11, 30);
    *request.mutable_known_at() = known_at;
    grpc::ClientContext context;
    return receivables_->Aging(&context, request, response);
  }

  Report Compliance(v1::ComplianceReportRequest request) {
    grpc::ClientContext context;
    auto reader = compliance_->Report(&context, request);
    Report out;
    v1::ComplianceReportResponse r;
    while (reader->Read(&r)) {
      if (r.has_header()) out.header = r.header();
      out.content += r.content();
    }
    out.status = reader->Finish();
    return out;
  }
  Report Disclosure(v1::DisclosureRequest request) {
    grpc::ClientContext context;
    auto reader = compliance_->Disclosure(&context, request);
    Report out;
    v1::DisclosureResponse r;
    while (reader->Read(&r)) {
      if (r.has_header()) out.header = r.header();
      out.content += r.content();
    }
    out.status = reader->Finish();
    return out;
  }

  // Every bitemporal RPC at (2026-11-30, known_at): the status of each and, for an OK
  // answer, the position it states (-1 when the report has no position).
  struct Answer {
    std::string rpc;
    grpc::Status status;
    uint64_t position = 0;
    size_t items = 0;  // clients, rows, lines or plans the report lists
  };
  std::vector<Answer> EveryBitemporalRpc(const google::protobuf::Timestamp& known_at) {
    std::vector<Answer> out;
    const v1::Date as_of = D(2026, 11, 30);
    {
      v1::AgingResponse r;
      grpc::Status s = Aging(known_at, &r);
      out.push_back(
          {"Aging", s, r.position(), static_cast<size_t>(r.rows_size() + r.totals_size())});
    }
    {
      v1::DsoRequest q;
      *q.mutable_from() = D(2026, 6, 1);
      *q.mutable_to() = as_of;
      *q.mutable_known_at() = known_at;
      v1::DsoResponse r;
      grpc::ClientContext c;
      grpc::Status s = receivables_->Dso(&c, q, &r);
      size_t sales = 0;
      for (const auto& currency : r.currencies()) sales += currency.credit_sales_minor() != 0;
      out.push_back({"Dso", s, r.position(), sales});
    }
    {
      v1::PromisesRequest q;
      *q.mutable_as_of() = as_of;
      *q.mutable_known_at() = known_at;
      v1::PromisesResponse r;
      grpc::ClientContext c;
      grpc::Status s = receivables_->Promises(&c, q, &r);
      out.push_back(
          {"Promises", s, r.position(), static_cast<size_t>(r.open_size() + r.judged_size())});
    }
    {
      v1::DisputesRequest q;
      *q.mutable_as_of() = as_of;
      *q.mutable_known_at() = known_at;
      v1::DisputesResponse r;
      grpc::ClientContext c;
      grpc::Status s = receivables_->Disputes(&c, q, &r);
      out.push_back(
          {"Disputes", s, r.position(), static_cast<size_t>(r.open_size() + r.resolved_size())});
    }
    {
      v1::ScorecardRequest q;
      *q.mutable_as_of() = as_of;
      *q.mutable_known_at() = known_at;
      v1::ScorecardResponse r;
      grpc::ClientContext c;
      grpc::Status s = relationships_->Scorecard(&c, q, &r);
      out.push_back({"Scorecard", s, r.position(), static_cast<size_t>(r.clients_size())});
    }
    {
      v1::TimelineRequest q;
      q.set_client_id(kClient);
      *q.mutable_as_of() = as_of;
      *q.mutable_known_at() = known_at;
      v1::TimelineResponse r;
      grpc::ClientContext c;
      grpc::Status s = relationships_->Timeline(&c, q, &r);
      out.push_back({"Timeline", s, r.position(), static_cast<size_t>(r.entries_size())});
    }
    {
      v1::PlansRequest q;
      *q.mutable_as_of() = as_of;
      *q.mutable_known_at() = known_at;
      v1::PlansResponse r;
      grpc::ClientContext c;
      grpc::Status s = relationships_->Plans(&c, q, &r);
      out.push_back({"Plans", s, r.position(), static_cast<size_t>(r.plans_size())});
    }
    {
      v1::WorklistRequest q;
      *q.mutable_as_of() = as_of;
      *q.mutable_known_at() = known_at;
      v1::WorklistResponse r;
      grpc::ClientContext c;
      grpc::Status s = relationships_->Worklist(&c, q, &r);
      out.push_back({"Worklist", s, r.position(), static_cast<size_t>(r.rows_size())});
    }
    {
      v1::EvidenceRequest q;
      *q.mutable_as_of() = as_of;
      *q.mutable_known_at() = known_at;
      v1::EvidenceResponse r;
      grpc::ClientContext c;
      grpc::Status s = relationships_->Evidence(&c, q, &r);
      out.push_back({"Evidence", s, r.position(), static_cast<size_t>(r.clients())});
    }
    {
      v1::ComplianceReportRequest q;
      *q.mutable_as_of() = as_of;
      *q.mutable_known_at() = known_at;
      q.set_format(v1::COMPLIANCE_REPORT_FORMAT_CSV);
      Report r = Compliance(q);
      out.push_back({"Report", r.status, r.header.position(),
                     static_cast<size_t>(absl::StrContains(r.content, "INV-2026-0715"))});
    }
    {
      v1::DisclosureRequest q;
      q.set_year(2026);
      *q.mutable_known_at() = known_at;
      q.set_format(v1::COMPLIANCE_REPORT_FORMAT_CSV);
      Report r = Disclosure(q);
      out.push_back({"Disclosure", r.status, r.header.position(),
                     static_cast<size_t>(absl::StrContains(r.content, kClient))});
    }
    return out;
  }

  TempDir dir_;
  ledger::ManualClock clock_{Start()};
  std::unique_ptr<LedgerServer> server_;
  std::unique_ptr<v1::EventStore::Stub> events_;
  std::unique_ptr<v1::Receivables::Stub> receivables_;
  std::unique_ptr<v1::Relationships::Stub> relationships_;
  std::unique_ptr<v1::Compliance::Stub> compliance_;
};

// Issue 17 item 1: known_at = the recorded_at of an append's last event includes that
// whole append, in every report, and so does the AppendResponse's recorded_at.
TEST_F(ReadCutsTest, KnownAtTheRecordTimeOfAnAppendIncludesTheWholeAppend) {
  const v1::AppendRequest demo = DemoBatch();
  ASSERT_EQ(demo.events_size(), 15);
  const v1::AppendResponse appended = Append(demo);
  ASSERT_EQ(appended.positions_size(), 15);
  const v1::Event last = Newest();
  ASSERT_EQ(last.position(), 15u);
  // Stored at microseconds: the clock's 500 ns are not part of the record time.
  EXPECT_EQ(TimeOf(last.recorded_at()), Utc(2026, 12, 1, 10));
  EXPECT_EQ(TimeOf(appended.recorded_at()), Utc(2026, 12, 1, 10));

  for (const Answer& a : EveryBitemporalRpc(last.recorded_at())) {
    ASSERT_TRUE(a.status.ok()) << a.rpc << ": " << a.status.error_message();
    EXPECT_EQ(a.position, 15u) << a.rpc;
  }
  // One microsecond earlier: nothing of the batch, never a part of it.
  v1::AgingResponse before;
  ASSERT_TRUE(Aging(Stamp(Utc(2026, 12, 1, 10) - absl::Microseconds(1)), &before).ok());
  EXPECT_EQ(before.position(), 0u);

  // A single-event append is visible at its own AppendResponse.recorded_at.
  clock_.Advance(absl::Seconds(1) + absl::Nanoseconds(250));
  v1::AppendRequest one;
  v1::Event* owner = one.add_events();
  owner->set_event_id(Uuid(16));
  owner->set_stream(absl::StrCat("client-", kClient));
  *owner->mutable_occurred_at() = Stamp(Utc(2026, 11, 1, 9));
  owner->mutable_account_owner_assigned()->set_owner("zhang.min");
  const v1::AppendResponse single = Append(one);
  ASSERT_EQ(single.positions_size(), 1);
  EXPECT_EQ(single.positions(0), 16u);
  v1::AgingResponse at_single;
  ASSERT_TRUE(Aging(single.recorded_at(), &at_single).ok());
  EXPECT_EQ(at_single.position(), 16u);
  v1::AgingResponse between;
  ASSERT_TRUE(Aging(Stamp(TimeOf(single.recorded_at()) - absl::Nanoseconds(1)), &between).ok());
  EXPECT_EQ(between.position(), 15u);
}

// Issue 17 items 1 and 2: a cut once answered never gains an event, even when the clock has
// not moved on since (here it stands still): a later append is recorded after the cut.
TEST_F(ReadCutsTest, AnAnsweredCutNeverGainsAnEvent) {
  Append(DemoBatch());
  v1::AgingResponse first;
  ASSERT_TRUE(Aging(Stamp(Start()), &first).ok());
  EXPECT_EQ(first.position(), 15u);
  v1::AppendRequest one;
  v1::Event* owner = one.add_events();
  owner->set_event_id(Uuid(16));
  owner->set_stream(absl::StrCat("client-", kClient));
  *owner->mutable_occurred_at() = Stamp(Utc(2026, 11, 1, 9));
  owner->mutable_account_owner_assigned()->set_owner("zhang.min");
  const v1::AppendResponse later = Append(one);
  // The clock still reads 10:00:00.0000005; the append is recorded at the next microsecond.
  EXPECT_EQ(TimeOf(later.recorded_at()), Utc(2026, 12, 1, 10) + absl::Microseconds(1));
  v1::AgingResponse again;
  ASSERT_TRUE(Aging(Stamp(Start()), &again).ok());
  EXPECT_EQ(again.position(), 15u);
  EXPECT_EQ(again.rows_size(), first.rows_size());
  clock_.Advance(absl::Microseconds(1));
  v1::AgingResponse after;
  ASSERT_TRUE(Aging(later.recorded_at(), &after).ok());
  EXPECT_EQ(after.position(), 16u);
}

// Issue 16 item 2: a cut before the first recorded event selects no event, and every
// report answers the empty view at position 0 (the timeline: no such client).
TEST_F(ReadCutsTest, KnownAtBeforeTheFirstEventIsTheEmptyViewInEveryReport) {
  Append(DemoBatch());
  // The live ledger, for comparison: every report lists the demo client.
  for (const Answer& a : EveryBitemporalRpc(Stamp(Start()))) {
    ASSERT_TRUE(a.status.ok()) << a.rpc << ": " << a.status.error_message();
    EXPECT_EQ(a.position, 15u) << a.rpc;
    // The demo client owes nothing overdue by law in 2026, so the disclosure lists no one.
    if (a.rpc != "Disclosure") {
      EXPECT_GT(a.items, 0u) << a.rpc;
    }
  }
  for (const Answer& a : EveryBitemporalRpc(Stamp(Utc(2020, 1, 1)))) {
    if (a.rpc == "Timeline") {
      EXPECT_EQ(a.status.error_code(), grpc::StatusCode::NOT_FOUND) << a.status.error_message();
      continue;
    }
    ASSERT_TRUE(a.status.ok()) << a.rpc << ": " << a.status.error_message();
    EXPECT_EQ(a.position, 0u) << a.rpc;
    EXPECT_EQ(a.items, 0u) << a.rpc;
  }
  v1::ComplianceReportRequest q;
  *q.mutable_as_of() = D(2026, 11, 30);
  *q.mutable_known_at() = Stamp(Utc(2020, 1, 1));
  q.set_format(v1::COMPLIANCE_REPORT_FORMAT_JSON);
  Report empty = Compliance(q);
  ASSERT_TRUE(empty.status.ok()) << empty.status.error_message();
  EXPECT_EQ(empty.header.position(), 0u);
  EXPECT_EQ(empty.header.head_hash(), std::string(64, '0'));
  EXPECT_FALSE(absl::StrContains(empty.content, kClient)) << empty.content;
  EXPECT_FALSE(absl::StrContains(empty.content, "INV-2026-0715")) << empty.content;
}

// Issue 17 item 2: a known_at later than the server's clock is refused by every bitemporal
// RPC, naming the field; the server's now itself is accepted.
TEST_F(ReadCutsTest, KnownAtLaterThanTheServerClockIsRefused) {
  Append(DemoBatch());
  for (const Answer& a : EveryBitemporalRpc(Stamp(Start() + absl::Nanoseconds(1)))) {
    EXPECT_EQ(a.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << a.rpc;
    EXPECT_TRUE(absl::StartsWith(a.status.error_message(), "known_at: "))
        << a.rpc << ": " << a.status.error_message();
  }
  google::protobuf::Timestamp end_of_time;
  end_of_time.set_seconds(253'402'300'799);  // 9999-12-31T23:59:59Z
  v1::AgingResponse far;
  grpc::Status s = Aging(end_of_time, &far);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(),
            "known_at: 9999-12-31T23:59:59Z is later than the server's clock "
            "(2026-12-01T10:00:00.0000005Z); a cut in the future would change as events are "
            "appended");
  for (const Answer& a : EveryBitemporalRpc(Stamp(Start()))) {
    ASSERT_TRUE(a.status.ok()) << a.rpc << ": " << a.status.error_message();
    EXPECT_EQ(a.position, 15u) << a.rpc;
  }
}

// Issue 17 item 3: a Verify range that reaches beyond the head is OUT_OF_RANGE naming it.
TEST_F(ReadCutsTest, VerifyBeyondTheHeadIsOutOfRange) {
  Append(DemoBatch());
  auto verify = [&](uint64_t from, uint64_t to, v1::VerifyResponse* response) {
    v1::VerifyRequest request;
    request.set_from_position(from);
    request.set_to_position(to);
    grpc::ClientContext context;
    return events_->Verify(&context, request, response);
  };
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  struct Case {
    uint64_t from, to;
    std::string message;
  };
  for (const Case& c :
       std::vector<Case>{{16, 0, "from_position: 16 is beyond the head 15"},
                         {1, 16, "to_position: 16 is beyond the head 15"},
                         {kMax, 0, "from_position: 18446744073709551615 is beyond the head 15"},
                         {kMax, kMax, "from_position: 18446744073709551615 is beyond the head 15"},
                         {0, kMax, "to_position: 18446744073709551615 is beyond the head 15"}}) {
    v1::VerifyResponse response;
    grpc::Status s = verify(c.from, c.to, &response);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::OUT_OF_RANGE) << c.from << ".." << c.to;
    EXPECT_EQ(s.error_message(), c.message);
  }
  v1::VerifyResponse whole;
  ASSERT_TRUE(verify(0, 0, &whole).ok());
  EXPECT_TRUE(whole.ok());
  EXPECT_EQ(whole.checked(), 15u);
  v1::VerifyResponse last;
  ASSERT_TRUE(verify(15, 15, &last).ok());
  EXPECT_TRUE(last.ok());
  EXPECT_EQ(last.checked(), 1u);
  EXPECT_EQ(last.head_hash(), Newest().hash());
}

// Issue 17 item 4: the EventStore reads check enums and timestamps as every other RPC does.
TEST_F(ReadCutsTest, EventStoreReadsRefuseUnknownEnumsAndInvalidTimestamps) {
  Append(DemoBatch());
  {
    v1::ReadLogRequest request;
    request.set_direction(static_cast<v1::Direction>(99));
    grpc::ClientContext context;
    auto reader = events_->ReadLog(&context, request);
    grpc::Status s = ReadAll(*reader);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(s.error_message(), "direction: unknown value 99");
  }
  struct Bad {
    bool to;
    int64_t seconds;
    int32_t nanos;
    std::string message;
  };
  const std::vector<Bad> bad = {
      {false, 0, -1, "filter.occurred_from: not a valid timestamp: seconds=0 nanos=-1"},
      {false, 0, 1'000'000'000,
       "filter.occurred_from: not a valid timestamp: seconds=0 nanos=1000000000"},
      {true, 253'402'300'800, 0,
       "filter.occurred_to: not a valid timestamp: seconds=253402300800 nanos=0"},
      {true, std::numeric_limits<int64_t>::min(), 0,
       "filter.occurred_to: not a valid timestamp: seconds=-9223372036854775808 nanos=0"}};
  for (const Bad& b : bad) {
    v1::EventFilter filter;
    google::protobuf::Timestamp* t =
        b.to ? filter.mutable_occurred_to() : filter.mutable_occurred_from();
    t->set_seconds(b.seconds);
    t->set_nanos(b.nanos);
    {
      v1::ReadLogRequest request;
      *request.mutable_filter() = filter;
      grpc::ClientContext context;
      auto reader = events_->ReadLog(&context, request);
      grpc::Status s = ReadAll(*reader);
      EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << "ReadLog " << b.message;
      EXPECT_EQ(s.error_message(), b.message);
    }
    {
      v1::ReadStreamRequest request;
      request.set_stream(absl::StrCat("client-", kClient));
      *request.mutable_filter() = filter;
      grpc::ClientContext context;
      auto reader = events_->ReadStream(&context, request);
      grpc::Status s = ReadAll(*reader);
      EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << "ReadStream " << b.message;
      EXPECT_EQ(s.error_message(), b.message);
    }
    {
      v1::SubscribeRequest request;
      *request.mutable_filter() = filter;
      grpc::ClientContext context;
      // An accepted subscription would run until its deadline.
      context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
      auto reader = events_->Subscribe(&context, request);
      grpc::Status s = ReadAll(*reader);
      EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << "Subscribe " << b.message;
      EXPECT_EQ(s.error_message(), b.message);
    }
  }
  // The bounds themselves are timestamps: 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59.999999999Z.
  v1::ReadLogRequest edge;
  edge.mutable_filter()->mutable_occurred_from()->set_seconds(-62'135'596'800);
  edge.mutable_filter()->mutable_occurred_to()->set_seconds(253'402'300'799);
  edge.mutable_filter()->mutable_occurred_to()->set_nanos(999'999'999);
  grpc::ClientContext context;
  auto reader = events_->ReadLog(&context, edge);
  std::vector<v1::ReadResponse> pages;
  ASSERT_TRUE(ReadAll(*reader, &pages).ok());
  size_t events = 0;
  for (const auto& page : pages) events += static_cast<size_t>(page.events_size());
  EXPECT_EQ(events, 15u);
}

// Issue 17 item 5: aging bucket bounds are limited to +-kMaxAgingBoundDays (36,500).
TEST_F(ReadCutsTest, AgingBucketBoundsBeyondTheMaximumAreRefused) {
  Append(DemoBatch());
  for (const std::vector<int32_t>& bounds :
       std::vector<std::vector<int32_t>>{{0, 2147483647}, {-2147483648, 0}, {0, 36'501}}) {
    v1::AgingRequest request;
    for (int32_t b : bounds) request.add_bucket_upper_bounds_days(b);
    v1::AgingResponse response;
    grpc::Status s = Aging(Stamp(Start()), &response, request);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << bounds[0] << "," << bounds[1];
    EXPECT_TRUE(absl::StartsWith(s.error_message(), "bucket_upper_bounds_days["))
        << s.error_message();
    EXPECT_TRUE(absl::StrContains(s.error_message(), "[-36500, 36500]")) << s.error_message();
  }
  v1::AgingRequest request;
  request.add_bucket_upper_bounds_days(-36'500);
  request.add_bucket_upper_bounds_days(36'500);
  v1::AgingResponse response;
  ASSERT_TRUE(Aging(Stamp(Start()), &response, request).ok());
  ASSERT_EQ(response.buckets_size(), 3);
  EXPECT_EQ(response.buckets(2).label(), "over 36500");
  EXPECT_EQ(response.buckets(2).lower_bound_days(), 36'501);
  EXPECT_EQ(response.buckets(1).lower_bound_days(), -36'499);
  EXPECT_EQ(response.buckets(1).upper_bound_days(), 36'500);
}

// Issue 17 item 6: report dates are YYYY-MM-DD, and the default period never starts
// before 0001-01-01.
TEST_F(ReadCutsTest, ReportDatesAreZeroPaddedAndPeriodsStartNoEarlierThanYearOne) {
  Append(DemoBatch());
  v1::ComplianceReportRequest q;
  *q.mutable_as_of() = D(1, 1, 1);
  q.set_format(v1::COMPLIANCE_REPORT_FORMAT_JSON);
  Report json = Compliance(q);
  ASSERT_TRUE(json.status.ok()) << json.status.error_message();
  EXPECT_TRUE(absl::StrContains(json.content, "\"as_of\":\"0001-01-01\"")) << json.content;
  EXPECT_TRUE(absl::StrContains(json.content, "\"period_from\":\"0001-01-01\"")) << json.content;
  EXPECT_TRUE(absl::StrContains(json.content, "\"known_at\":\"2026-12-01T10:00:00.0000005Z\""))
      << json.content;
  q.set_format(v1::COMPLIANCE_REPORT_FORMAT_CSV);
  Report csv = Compliance(q);
  ASSERT_TRUE(csv.status.ok()) << csv.status.error_message();
  EXPECT_TRUE(absl::StrContains(
      csv.content, "compliance,0001-01-01,2026-12-01T10:00:00.0000005Z,0001-01-01,15,"))
      << csv.content;
  q.set_format(v1::COMPLIANCE_REPORT_FORMAT_HTML);
  Report html = Compliance(q);
  ASSERT_TRUE(html.status.ok()) << html.status.error_message();
  EXPECT_TRUE(absl::StrContains(html.content, "<b>0001-01-01</b>")) << html.content.substr(0, 4000);
  EXPECT_FALSE(absl::StrContains(html.content, ">1-01-01<"));

  v1::DisclosureRequest d;
  d.set_year(2);
  d.set_format(v1::COMPLIANCE_REPORT_FORMAT_JSON);
  Report disclosure = Disclosure(d);
  ASSERT_TRUE(disclosure.status.ok()) << disclosure.status.error_message();
  EXPECT_TRUE(absl::StrContains(disclosure.content, "\"as_of\":\"0002-12-31\""))
      << disclosure.content;
  d.set_format(v1::COMPLIANCE_REPORT_FORMAT_CSV);
  disclosure = Disclosure(d);
  ASSERT_TRUE(disclosure.status.ok()) << disclosure.status.error_message();
  EXPECT_TRUE(absl::StrContains(disclosure.content, "disclosure,2,0002-12-31,"))
      << disclosure.content;
}

// Issue 17 item 7: an error message quotes at most ledger::kMaxQuotedInputBytes of any
// input, so a 9 KB id still gets its own status, not RESOURCE_EXHAUSTED on the metadata.
TEST_F(ReadCutsTest, ErrorMessagesQuoteABoundedPrefixOfTheInput) {
  Append(DemoBatch());
  const std::string huge(9 * 1024, 'x');
  const std::string quoted =
      absl::StrCat("\"", std::string(ledger::kMaxQuotedInputBytes, 'x'), "\"... (9216 bytes)");
  {
    v1::TimelineRequest q;
    q.set_client_id(huge);
    *q.mutable_as_of() = D(2026, 11, 30);
    v1::TimelineResponse r;
    grpc::ClientContext c;
    grpc::Status s = relationships_->Timeline(&c, q, &r);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << s.error_message().substr(0, 200);
    EXPECT_EQ(s.error_message(), absl::StrCat("client_id: no client ", quoted, " on 2026-11-30"));
  }
  {
    v1::ReadStreamRequest q;
    q.set_stream(huge);
    grpc::ClientContext c;
    auto reader = events_->ReadStream(&c, q);
    grpc::Status s = ReadAll(*reader);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << s.error_message().substr(0, 200);
    EXPECT_EQ(s.error_message(), absl::StrCat("stream: not a valid stream name: ", quoted));
  }
  {
    v1::ReadLogRequest q;
    q.mutable_filter()->add_types(huge);
    grpc::ClientContext c;
    auto reader = events_->ReadLog(&c, q);
    grpc::Status s = ReadAll(*reader);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << s.error_message().substr(0, 200);
    EXPECT_LT(s.error_message().size(), 256u) << s.error_message().substr(0, 200);
    EXPECT_TRUE(absl::StrContains(s.error_message(), quoted)) << s.error_message().substr(0, 200);
  }
  {
    v1::ExportAuditRequest q;
    q.set_client_id(huge);
    *q.mutable_from() = D(2026, 1, 1);
    *q.mutable_to() = D(2026, 12, 31);
    grpc::ClientContext c;
    auto reader = events_->ExportAudit(&c, q);
    grpc::Status s = ReadAll(*reader);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << s.error_message().substr(0, 200);
    EXPECT_LT(s.error_message().size(), 256u) << s.error_message().substr(0, 200);
    EXPECT_TRUE(absl::StrContains(s.error_message(), quoted)) << s.error_message().substr(0, 200);
  }
  {
    v1::EraseSubjectRequest q;
    q.set_subject_id(huge);
    q.set_reason("test");
    v1::EraseSubjectResponse r;
    grpc::ClientContext c;
    grpc::Status s = events_->EraseSubject(&c, q, &r);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << s.error_message().substr(0, 200);
    EXPECT_LT(s.error_message().size(), 256u) << s.error_message().substr(0, 200);
  }
  {
    // An append whose stream and event id are 9 KB each.
    v1::AppendRequest q = DemoBatch();
    q.mutable_events(0)->set_stream(huge);
    v1::AppendResponse r;
    grpc::ClientContext c;
    grpc::Status s = events_->Append(&c, q, &r);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << s.error_message().substr(0, 200);
    EXPECT_LT(s.error_message().size(), 512u) << s.error_message().substr(0, 200);
    q = DemoBatch();
    q.mutable_events(0)->set_event_id(huge);
    grpc::ClientContext c2;
    s = events_->Append(&c2, q, &r);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << s.error_message().substr(0, 200);
    EXPECT_LT(s.error_message().size(), 512u) << s.error_message().substr(0, 200);
  }
  {
    v1::ScorecardRequest q;
    q.add_client_ids(huge);
    v1::ScorecardResponse r;
    grpc::ClientContext c;
    grpc::Status s = relationships_->Scorecard(&c, q, &r);
    // An unknown client filters to nothing; the point is an answer, not a metadata error.
    EXPECT_NE(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
        << s.error_message().substr(0, 200);
    EXPECT_LT(s.error_message().size(), 512u);
  }
  {
    v1::ComplianceReportRequest q;
    q.add_client_ids(huge);
    q.set_format(v1::COMPLIANCE_REPORT_FORMAT_JSON);
    Report r = Compliance(q);
    EXPECT_NE(r.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
        << r.status.error_message().substr(0, 200);
    EXPECT_LT(r.status.error_message().size(), 512u);
  }
}

}  // namespace
}  // namespace sixhearts::services
