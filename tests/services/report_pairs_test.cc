// Every pair of report RPCs, in both orders, against ONE real server (LedgerServer on a
// loopback port over a real RocksDB directory) holding a generated demo portfolio: the
// reports read several projections together, and a read that took the projections' locks
// in another order than the one before it made Abseil's deadlock detector abort ledgerd
// (worklist then the compliance report, issue 16). Each pair runs at a live cut, at a past
// business day and at a past record time (both replay from snapshots); the server must
// still serve afterwards.
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "ledger/clock.h"
#include "services/server.h"
#include "sixhearts/ledger/v1/compliance.grpc.pb.h"
#include "sixhearts/ledger/v1/event_store.grpc.pb.h"
#include "sixhearts/ledger/v1/receivables.grpc.pb.h"
#include "sixhearts/ledger/v1/relationships.grpc.pb.h"
#include "tests/testing/test_events.h"
#include "tools/scenario/scenario.h"

namespace sixhearts::services {
namespace {

namespace v1 = ::sixhearts::ledger::v1;
using ::sixhearts::testing::TempDir;

absl::Time Utc(int y, int m, int d) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, 0, 0, 0), absl::UTCTimeZone());
}

v1::Date DateOf(absl::CivilDay day) {
  v1::Date d;
  d.set_year(static_cast<int32_t>(day.year()));
  d.set_month(day.month());
  d.set_day(day.day());
  return d;
}

// A cut every report of a pair reads at.
struct Cut {
  std::string name;
  absl::CivilDay as_of;
  std::optional<absl::Time> known_at;
};

// What a report call gave: its status and the log position it says it includes.
struct Answer {
  grpc::Status status;
  uint64_t position = 0;
};

struct Report {
  std::string name;
  std::function<Answer(const Cut&)> call;
};

template <typename Request>
void SetCut(const Cut& cut, Request* request) {
  *request->mutable_as_of() = DateOf(cut.as_of);
  if (cut.known_at) request->mutable_known_at()->set_seconds(absl::ToUnixSeconds(*cut.known_at));
}

template <typename Response, typename Reader>
Answer ReadReport(Reader reader) {
  Answer answer;
  Response message;
  while (reader->Read(&message)) {
    if (message.has_header()) answer.position = message.header().position();
  }
  answer.status = reader->Finish();
  return answer;
}

class ReportPairsTest : public ::testing::Test {
 protected:
  // 12 clients over 24 months up to 2026-11-30: their first half recorded on 2026-06-01,
  // the rest on 2026-12-01.
  void SetUp() override {
    ServerOptions options;
    options.data_dir = dir_.sub("ledger");
    options.listen = "127.0.0.1:0";
    options.store.clock = &clock_;
    // Past cuts start from a snapshot and replay the rest.
    options.projections.snapshot_every_events = 500;
    auto server = LedgerServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    auto channel = grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials());
    events_ = v1::EventStore::NewStub(channel);
    receivables_ = v1::Receivables::NewStub(channel);
    relationships_ = v1::Relationships::NewStub(channel);
    compliance_ = v1::Compliance::NewStub(channel);
    health_ = grpc::health::v1::Health::NewStub(channel);

    scenario::ScenarioOptions portfolio;
    portfolio.seed = 1;
    portfolio.clients = 12;
    portfolio.months = 24;
    std::vector<std::vector<v1::Event>> chunks;
    auto generated = scenario::GenerateScenario(portfolio, [&](std::vector<v1::Event>&& chunk) {
      chunks.push_back(std::move(chunk));
      return absl::OkStatus();
    });
    ASSERT_TRUE(generated.ok()) << generated.status();
    ASSERT_GE(chunks.size(), 2u);
    for (const auto& chunk : chunks) {
      for (const v1::Event& e : chunk) {
        if (e.has_client_registered() && client_id_.empty()) {
          client_id_ = e.client_registered().client_id();
        }
      }
    }
    clock_.Set(Utc(2026, 6, 1));
    for (size_t i = 0; i < chunks.size(); ++i) {
      if (i == chunks.size() / 2) {
        first_half_position_ = head_;
        clock_.Set(Utc(2026, 12, 1));
      }
      Append(chunks[i]);
    }
    ASSERT_EQ(static_cast<int64_t>(head_), generated->events);
  }

  void Append(const std::vector<v1::Event>& chunk) {
    v1::AppendRequest request;
    for (const v1::Event& e : chunk) *request.add_events() = e;
    grpc::ClientContext context;
    v1::AppendResponse response;
    grpc::Status status = events_->Append(&context, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    head_ = response.positions(response.positions_size() - 1);
  }

  // The report RPCs of proto/sixhearts/ledger/v1 (receivables, relationships,
  // compliance), each called at a cut.
  std::vector<Report> Reports() {
    std::vector<Report> reports;
    reports.reserve(11);
    reports.push_back(Report{"aging", [this](const Cut& cut) {
                               v1::AgingRequest request;
                               SetCut(cut, &request);
                               v1::AgingResponse response;
                               grpc::ClientContext context;
                               grpc::Status status =
                                   receivables_->Aging(&context, request, &response);
                               return Answer{status, response.position()};
                             }});
    reports.push_back(
        Report{"dso", [this](const Cut& cut) {
                 v1::DsoRequest request;
                 *request.mutable_from() = DateOf(cut.as_of - 89);
                 *request.mutable_to() = DateOf(cut.as_of);
                 if (cut.known_at) {
                   request.mutable_known_at()->set_seconds(absl::ToUnixSeconds(*cut.known_at));
                 }
                 v1::DsoResponse response;
                 grpc::ClientContext context;
                 grpc::Status status = receivables_->Dso(&context, request, &response);
                 return Answer{status, response.position()};
               }});
    reports.push_back(Report{"promises", [this](const Cut& cut) {
                               v1::PromisesRequest request;
                               SetCut(cut, &request);
                               v1::PromisesResponse response;
                               grpc::ClientContext context;
                               grpc::Status status =
                                   receivables_->Promises(&context, request, &response);
                               return Answer{status, response.position()};
                             }});
    reports.push_back(Report{"disputes", [this](const Cut& cut) {
                               v1::DisputesRequest request;
                               SetCut(cut, &request);
                               v1::DisputesResponse response;
                               grpc::ClientContext context;
                               grpc::Status status =
                                   receivables_->Disputes(&context, request, &response);
                               return Answer{status, response.position()};
                             }});
    reports.push_back(Report{"scorecard", [this](const Cut& cut) {
                               v1::ScorecardRequest request;
                               SetCut(cut, &request);
                               v1::ScorecardResponse response;
                               grpc::ClientContext context;
                               grpc::Status status =
                                   relationships_->Scorecard(&context, request, &response);
                               return Answer{status, response.position()};
                             }});
    reports.push_back(Report{"timeline", [this](const Cut& cut) {
                               v1::TimelineRequest request;
                               SetCut(cut, &request);
                               request.set_client_id(client_id_);
                               v1::TimelineResponse response;
                               grpc::ClientContext context;
                               grpc::Status status =
                                   relationships_->Timeline(&context, request, &response);
                               EXPECT_EQ(response.receivables_position(), response.position());
                               return Answer{status, response.position()};
                             }});
    reports.push_back(Report{"plans", [this](const Cut& cut) {
                               v1::PlansRequest request;
                               SetCut(cut, &request);
                               v1::PlansResponse response;
                               grpc::ClientContext context;
                               grpc::Status status =
                                   relationships_->Plans(&context, request, &response);
                               EXPECT_EQ(response.receivables_position(), response.position());
                               return Answer{status, response.position()};
                             }});
    reports.push_back(Report{"worklist", [this](const Cut& cut) {
                               v1::WorklistRequest request;
                               SetCut(cut, &request);
                               v1::WorklistResponse response;
                               grpc::ClientContext context;
                               grpc::Status status =
                                   relationships_->Worklist(&context, request, &response);
                               EXPECT_EQ(response.receivables_position(), response.position());
                               return Answer{status, response.position()};
                             }});
    reports.push_back(Report{"evidence", [this](const Cut& cut) {
                               v1::EvidenceRequest request;
                               SetCut(cut, &request);
                               v1::EvidenceResponse response;
                               grpc::ClientContext context;
                               grpc::Status status =
                                   relationships_->Evidence(&context, request, &response);
                               EXPECT_EQ(response.receivables_position(), response.position());
                               return Answer{status, response.position()};
                             }});
    reports.push_back(Report{"compliance report", [this](const Cut& cut) {
                               v1::ComplianceReportRequest request;
                               SetCut(cut, &request);
                               request.set_format(v1::COMPLIANCE_REPORT_FORMAT_JSON);
                               grpc::ClientContext context;
                               return ReadReport<v1::ComplianceReportResponse>(
                                   compliance_->Report(&context, request));
                             }});
    reports.push_back(Report{
        "disclosure", [this](const Cut& cut) {
          v1::DisclosureRequest request;
          request.set_year(static_cast<int32_t>(cut.as_of.year()) - 1);
          if (cut.known_at) {
            request.mutable_known_at()->set_seconds(absl::ToUnixSeconds(*cut.known_at));
          }
          request.set_format(v1::COMPLIANCE_REPORT_FORMAT_CSV);
          grpc::ClientContext context;
          return ReadReport<v1::DisclosureResponse>(compliance_->Disclosure(&context, request));
        }});
    return reports;
  }

  TempDir dir_;
  ledger::ManualClock clock_{Utc(2026, 6, 1)};
  std::unique_ptr<LedgerServer> server_;
  std::unique_ptr<v1::EventStore::Stub> events_;
  std::unique_ptr<v1::Receivables::Stub> receivables_;
  std::unique_ptr<v1::Relationships::Stub> relationships_;
  std::unique_ptr<v1::Compliance::Stub> compliance_;
  std::unique_ptr<grpc::health::v1::Health::Stub> health_;
  std::string client_id_;
  uint64_t head_ = 0;
  uint64_t first_half_position_ = 0;
};

TEST_F(ReportPairsTest, EveryPairOfReportsInBothOrdersLeavesTheServerServing) {
  ASSERT_FALSE(client_id_.empty());
  ASSERT_GT(first_half_position_, 0u);
  ASSERT_LT(first_half_position_, head_);
  // A live cut (every projection read live), a past business day and a past record time
  // (each projection restored from a snapshot and replayed, together in one scan).
  const std::vector<Cut> cuts = {
      {"live 2026-11-30", absl::CivilDay(2026, 11, 30), std::nullopt},
      {"past day 2025-06-30", absl::CivilDay(2025, 6, 30), std::nullopt},
      {"known at 2026-06-01", absl::CivilDay(2026, 11, 30), Utc(2026, 6, 1)},
  };
  const auto reports = Reports();
  ASSERT_EQ(reports.size(), 11u);
  int calls = 0;
  for (const Cut& cut : cuts) {
    const uint64_t want = cut.known_at ? first_half_position_ : head_;
    for (size_t a = 0; a < reports.size(); ++a) {
      for (size_t b = 0; b < reports.size(); ++b) {
        if (a == b) continue;
        for (size_t i : {a, b}) {
          const Answer answer = reports[i].call(cut);
          ++calls;
          ASSERT_TRUE(answer.status.ok())
              << reports[a].name << " then " << reports[b].name << " at " << cut.name << ": "
              << reports[i].name << ": " << answer.status.error_message();
          // Disclosure reads 31 December of the year before, at the cut's record time.
          EXPECT_EQ(answer.position, want) << reports[i].name << " at " << cut.name;
        }
      }
    }
  }
  EXPECT_EQ(calls, 3 * 11 * 10 * 2);

  // Still serving: health, a read and an append.
  grpc::health::v1::HealthCheckRequest check;
  grpc::health::v1::HealthCheckResponse health;
  grpc::ClientContext health_context;
  ASSERT_TRUE(health_->Check(&health_context, check, &health).ok());
  EXPECT_EQ(health.status(), grpc::health::v1::HealthCheckResponse::SERVING);
  v1::DigestRequest digest_request;
  v1::DigestResponse digest;
  grpc::ClientContext digest_context;
  ASSERT_TRUE(events_->Digest(&digest_context, digest_request, &digest).ok());
  EXPECT_EQ(digest.head_position(), head_);
  v1::Event late = ::sixhearts::testing::ClientRegistered(1, "late-client");
  Append({late});
  EXPECT_EQ(head_, digest.head_position() + 1);
}

}  // namespace
}  // namespace sixhearts::services
