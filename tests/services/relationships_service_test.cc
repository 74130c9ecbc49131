// Integration tests of the Relationships service: a real gRPC server on a loopback port
// with the EventStore, Receivables and Relationships services over a real RocksDB directory
// and two running projection engines; a small hand-made client history appended over
// gRPC; exact figures worked out by hand below; then the ledgerctl binary against the same
// server.
#include "services/relationships/relationships_service.h"

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "ledger/clock.h"
#include "ledger/event_store.h"
#include "services/event_store_service.h"
#include "services/projection/projection_engine.h"
#include "services/projection/view_store.h"
#include "services/receivables/receivables_fold.h"
#include "services/receivables/receivables_service.h"
#include "services/receivables/receivables_view.h"
#include "services/relationships/relationships_fold.h"
#include "services/relationships/relationships_view.h"
#include "sixhearts/ledger/v1/event_store.grpc.pb.h"
#include "sixhearts/ledger/v1/relationships.grpc.pb.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/test_events.h"

namespace sixhearts::services::relationships {
namespace {

using ::sixhearts::testing::Batch;
using ::sixhearts::testing::ClientRegistered;
using ::sixhearts::testing::D;
using ::sixhearts::testing::Envelope;
using ::sixhearts::testing::InvoiceIssued;
using ::sixhearts::testing::Money;
using ::sixhearts::testing::PaymentReceived;
using ::sixhearts::testing::TempDir;

absl::Time Utc(int y, int m, int d) {
  return absl::FromCivil(absl::CivilDay(y, m, d), absl::UTCTimeZone());
}

google::protobuf::Timestamp Stamp(absl::Time t) {
  google::protobuf::Timestamp stamp;
  stamp.set_seconds(absl::ToUnixSeconds(t));
  return stamp;
}

// ------------------------------------------------------------------ event builders

v1::Event Owner(uint64_t id, const std::string& client, const std::string& owner, v1::Date on) {
  v1::Event e = Envelope(id, client, on);
  e.mutable_account_owner_assigned()->set_owner(owner);
  return e;
}

v1::Event Contract(uint64_t id, const std::string& client, const std::string& contract,
                   v1::Date signed_on) {
  v1::Event e = Envelope(id, client, signed_on);
  v1::ContractSigned* p = e.mutable_contract_signed();
  p->set_contract_id(contract);
  *p->mutable_amount() = Money(500000);
  *p->mutable_signed_on() = signed_on;
  p->set_payment_terms_days(30);
  return e;
}

// An interaction with its kind's default hearts.
v1::Event Touch(uint64_t id, const std::string& client, const std::string& interaction,
                v1::InteractionKind kind, v1::Date on) {
  v1::Event e = Envelope(id, client, on);
  v1::InteractionLogged* p = e.mutable_interaction_logged();
  p->set_interaction_id(interaction);
  p->set_kind(kind);
  p->set_summary(absl::StrCat("touch ", interaction));
  return e;
}

v1::Event ConcernRaised(uint64_t id, const std::string& client, const std::string& concern,
                        v1::Date on) {
  v1::Event e = Envelope(id, client, on);
  e.mutable_concern_raised()->set_concern_id(concern);
  e.mutable_concern_raised()->set_summary("acceptance paperwork is slow");
  *e.mutable_concern_raised()->mutable_raised_on() = on;
  return e;
}

v1::Event ConcernResolved(uint64_t id, const std::string& client, const std::string& concern,
                          v1::Date on) {
  v1::Event e = Envelope(id, client, on);
  e.mutable_concern_resolved()->set_concern_id(concern);
  *e.mutable_concern_resolved()->mutable_resolved_on() = on;
  return e;
}

v1::Event FeedbackMeeting(uint64_t id, const std::string& client, const std::string& meeting,
                          v1::Date on) {
  v1::Event e = Envelope(id, client, on);
  e.mutable_feedback_meeting_held()->set_meeting_id(meeting);
  *e.mutable_feedback_meeting_held()->mutable_held_on() = on;
  return e;
}

struct Step {
  std::string step_id;
  v1::Date due;
  int64_t expected_minor;
};

v1::Event PlanSet(uint64_t id, const std::string& client, const std::string& plan, v1::Date on,
                  const std::vector<Step>& steps) {
  v1::Event e = Envelope(id, client, on);
  v1::CollectionPlanSet* p = e.mutable_collection_plan_set();
  p->set_plan_id(plan);
  p->set_owner("alice");
  for (const Step& s : steps) {
    v1::PlanStep* step = p->add_steps();
    step->set_step_id(s.step_id);
    step->set_action(absl::StrCat("collect ", s.step_id));
    *step->mutable_due_date() = s.due;
    if (s.expected_minor > 0) *step->mutable_expected() = Money(s.expected_minor);
  }
  return e;
}

v1::Event StepDone(uint64_t id, const std::string& client, const std::string& plan,
                   const std::string& step, v1::Date on) {
  v1::Event e = Envelope(id, client, on);
  e.mutable_plan_step_completed()->set_plan_id(plan);
  e.mutable_plan_step_completed()->set_step_id(step);
  *e.mutable_plan_step_completed()->mutable_completed_on() = on;
  return e;
}

v1::Event FollowUp(uint64_t id, const std::string& client, const std::string& follow_up,
                   v1::Date scheduled_on, v1::Date due) {
  v1::Event e = Envelope(id, client, scheduled_on);
  v1::FollowUpScheduled* p = e.mutable_follow_up_scheduled();
  p->set_follow_up_id(follow_up);
  *p->mutable_due_date() = due;
  p->set_heart(v1::HEART_EXECUTION);
  p->set_action("confirm the acceptance date");
  return e;
}

v1::Event FollowUpDone(uint64_t id, const std::string& client, const std::string& follow_up,
                       v1::Date on) {
  v1::Event e = Envelope(id, client, on);
  e.mutable_follow_up_completed()->set_follow_up_id(follow_up);
  *e.mutable_follow_up_completed()->mutable_completed_on() = on;
  return e;
}

v1::Event PromiseMade(uint64_t id, const std::string& client, const std::string& promise,
                      int64_t minor, v1::Date made, v1::Date promised, const std::string& invoice) {
  v1::Event e = Envelope(id, client, made);
  v1::PromiseToPayMade* p = e.mutable_promise_to_pay_made();
  p->set_promise_id(promise);
  *p->mutable_amount() = Money(minor);
  *p->mutable_promised_date() = promised;
  p->add_invoice_ids(invoice);
  return e;
}

// The history of every test, all in CNY, recorded on 2026-07-01 (positions in brackets).
//   acme, owned by alice:
//     [1] registered 01-05  [2] owner alice 01-05  [3] contract C-1 signed 01-10
//     [4] on-site visit (trust) 01-20          [5] INV-1 200.00 issued 02-01, due 03-03
//     [6] industry report (care) 02-15         [7] concern CN-1 raised 03-01 (listening)
//     [8] plan P-1 set 03-01: S1 due 03-31 500.00, S2 due 05-31 500.00, S3 due 07-31 400.00
//     [9] PAY-1 200.00 to INV-1, valued 03-01: on time
//     [10] CN-1 resolved 03-21, in 20 days     [11] INV-2 600.00 issued 04-01, due 05-01
//     [12] follow-up F-1 (execution) scheduled 04-01, due 04-10
//     [13] S1 done 04-05, 5 days late          [14] F-1 done 04-08, on time
//     [15] industry report (care) 04-15        [16] promise P-1 600.00 for INV-2, made
//          05-05, for 05-20: nothing paid, so broken when judged on 05-23
//     [17] on-site visit (trust) 05-10         [18] progress report (communication) 05-25
//     [19] progress report 06-10               [20] feedback meeting 06-15
//     [21] progress report 06-20
//   beta, owned by bob: [22] registered 01-05  [23] owner bob 01-05
//     [24] INV-B1 1,000.00 issued 03-01, due 04-30, unpaid; no relationship at all.
// And a late entry, recorded on 2026-07-05: [25] acme industry report (care) on 06-05.
//
// Scored as of 2026-06-30 with the default 180-day window (2026-01-02 .. 06-30); periods
// counted back from 06-30 (analytics.h):
//   trust (90): 04-02..06-30 (05-10), 01-02..04-01 (01-20)            -> 2/2 = 1
//   care (30): 06-01..06-30, 05-02..05-31, 04-02..05-01 (04-15), 03-03..04-01,
//              02-01..03-02 (02-15), 01-02..01-31                      -> 2/6 = 1/3
//   listening (60): 05-02..06-30, 03-03..05-01 (03-21), 01-02..03-02 (03-01) -> 2/3,
//              averaged with CN-1 resolved within 30 days (1/1): (2/3 + 1) / 2 = 5/6
//   communication (14): 12 periods; 06-17..06-30 (06-20), 06-03..06-16 (06-10),
//              05-20..06-02 (05-25)                                    -> 3/12 = 1/4
//   execution: due in the window S1 (late), S2 (not done), F-1 (on time) -> 1/3
//   feedback (90): 04-02..06-30 (06-15), 01-02..04-01 (none)           -> 1/2
//   health index = 100 x (1 + 1/3 + 5/6 + 1/4 + 1/3 + 1/2) / 6 = 100 x 3.25 / 6 = 54.1667
//   alerts: care last 04-15, 76 days ago (> 30); listening last 03-21, 101 days (> 60);
//           execution last 04-08 (F-1 done), 83 days (> 30); plan step P-1/S2 due 05-31,
//           30 days overdue. Trust (51 days), communication (10), feedback (15) are fresh.
//   beta: every cadence heart 0 (no event at all), execution not applicable (nothing due):
//           health 0; six "never practised" alerts.
class RelationshipsServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ledger::EventStoreOptions options;
    options.data_dir = dir_.sub("ledger");
    options.clock = &record_clock_;
    auto store = ledger::EventStore::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    projection::EngineOptions engine_options;
    projection::ViewStoreOptions view_options;
    view_options.dir = dir_.sub("views");
    auto views = projection::ViewStore::Open(view_options, nullptr);
    ASSERT_TRUE(views.ok()) << views.status();
    views_ = *std::move(views);
    auto receivables = projection::ProjectionEngine::StartStored(
        store_.get(), views_.get(), receivables::MakeReceivablesRows(), engine_options);
    ASSERT_TRUE(receivables.ok()) << receivables.status();
    receivables_engine_ = *std::move(receivables);
    // As ledgerd keeps it: stored views (relationships_view.h), in the same view store.
    auto relationships = projection::ProjectionEngine::StartStored(
        store_.get(), views_.get(), MakeRelationshipsRows(), engine_options);
    ASSERT_TRUE(relationships.ok()) << relationships.status();
    relationships_engine_ = *std::move(relationships);
    event_store_.Attach(store_.get());
    receivables_.Attach(receivables_engine_.get());
    service_.Attach(relationships_engine_.get(), receivables_engine_.get());

    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(&event_store_);
    builder.RegisterService(&receivables_);
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_NE(port_, 0);
    auto channel = grpc::CreateChannel(address(), grpc::InsecureChannelCredentials());
    events_ = v1::EventStore::NewStub(channel);
    stub_ = v1::Relationships::NewStub(channel);
  }

  void TearDown() override {
    service_.Attach(nullptr, nullptr);
    receivables_.Attach(nullptr);
    if (server_ != nullptr) {
      server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
    }
    if (relationships_engine_ != nullptr) relationships_engine_->Stop();
    if (receivables_engine_ != nullptr) receivables_engine_->Stop();
    if (store_ != nullptr) store_->Shutdown();
  }

  std::string address() const { return absl::StrCat("127.0.0.1:", port_); }

  void Append(v1::AppendRequest request) {
    grpc::ClientContext context;
    v1::AppendResponse response;
    grpc::Status status = events_->Append(&context, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  void AppendHistory() {
    record_clock_.Set(Utc(2026, 7, 1));
    Append(Batch({
        ClientRegistered(1, "acme"),
        Owner(2, "acme", "alice", D(2026, 1, 5)),
        Contract(3, "acme", "C-1", D(2026, 1, 10)),
        Touch(4, "acme", "I-1", v1::INTERACTION_KIND_ON_SITE_VISIT, D(2026, 1, 20)),
        InvoiceIssued(5, "acme", "INV-1", 20000, D(2026, 2, 1), D(2026, 3, 3)),
        Touch(6, "acme", "I-2", v1::INTERACTION_KIND_INDUSTRY_REPORT_SENT, D(2026, 2, 15)),
        ConcernRaised(7, "acme", "CN-1", D(2026, 3, 1)),
        PlanSet(8, "acme", "P-1", D(2026, 3, 1),
                {{"S1", D(2026, 3, 31), 50000},
                 {"S2", D(2026, 5, 31), 50000},
                 {"S3", D(2026, 7, 31), 40000}}),
        PaymentReceived(9, "acme", "PAY-1", 20000, "INV-1", 20000, D(2026, 3, 1)),
        ConcernResolved(10, "acme", "CN-1", D(2026, 3, 21)),
        InvoiceIssued(11, "acme", "INV-2", 60000, D(2026, 4, 1), D(2026, 5, 1)),
        FollowUp(12, "acme", "F-1", D(2026, 4, 1), D(2026, 4, 10)),
        StepDone(13, "acme", "P-1", "S1", D(2026, 4, 5)),
        FollowUpDone(14, "acme", "F-1", D(2026, 4, 8)),
        Touch(15, "acme", "I-3", v1::INTERACTION_KIND_INDUSTRY_REPORT_SENT, D(2026, 4, 15)),
        PromiseMade(16, "acme", "P-1", 60000, D(2026, 5, 5), D(2026, 5, 20), "INV-2"),
        Touch(17, "acme", "I-4", v1::INTERACTION_KIND_ON_SITE_VISIT, D(2026, 5, 10)),
        Touch(18, "acme", "I-5", v1::INTERACTION_KIND_PROGRESS_REPORT, D(2026, 5, 25)),
        Touch(19, "acme", "I-6", v1::INTERACTION_KIND_PROGRESS_REPORT, D(2026, 6, 10)),
        FeedbackMeeting(20, "acme", "M-1", D(2026, 6, 15)),
        Touch(21, "acme", "I-7", v1::INTERACTION_KIND_PROGRESS_REPORT, D(2026, 6, 20)),
        ClientRegistered(22, "beta"),
        Owner(23, "beta", "bob", D(2026, 1, 5)),
        InvoiceIssued(24, "beta", "INV-B1", 100000, D(2026, 3, 1), D(2026, 4, 30)),
    }));
  }

  void AppendLateInteraction() {
    record_clock_.Set(Utc(2026, 7, 5));
    Append(Batch(
        {Touch(25, "acme", "I-8", v1::INTERACTION_KIND_INDUSTRY_REPORT_SENT, D(2026, 6, 5))}));
  }

  v1::ScorecardResponse Scorecard(const v1::ScorecardRequest& request) {
    grpc::ClientContext context;
    v1::ScorecardResponse response;
    grpc::Status status = stub_->Scorecard(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  TempDir dir_;
  ledger::ManualClock record_clock_{Utc(2026, 7, 1)};
  // "Today" for requests without a day.
  ledger::ManualClock today_clock_{Utc(2026, 6, 30) + absl::Hours(15)};
  std::unique_ptr<ledger::EventStore> store_;
  std::unique_ptr<projection::ViewStore> views_;
  std::unique_ptr<projection::ProjectionEngine> receivables_engine_;
  std::unique_ptr<projection::ProjectionEngine> relationships_engine_;
  EventStoreService event_store_;
  receivables::ReceivablesService receivables_{&today_clock_};
  RelationshipsService service_{&today_clock_};
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::unique_ptr<v1::EventStore::Stub> events_;
  std::unique_ptr<v1::Relationships::Stub> stub_;
};

constexpr double kAcmeHealth = 100.0 * 3.25 / 6;  // 54.1667
constexpr double kTolerance = 1e-9;

std::vector<std::string> AlertMessages(const v1::ClientScorecard& card) {
  std::vector<std::string> messages;
  for (const v1::NeglectAlert& alert : card.alerts()) messages.push_back(alert.message());
  return messages;
}

TEST_F(RelationshipsServiceTest, ScorecardPerClientAndOwner) {
  AppendHistory();
  // No as_of: today per the service's clock, 2026-06-30.
  const v1::ScorecardResponse card = Scorecard({});
  EXPECT_EQ(card.as_of().month(), 6);
  EXPECT_EQ(card.as_of().day(), 30);
  EXPECT_EQ(card.window_days(), 180);
  EXPECT_EQ(card.position(), 24u);
  ASSERT_EQ(card.clients_size(), 2);

  const v1::ClientScorecard& acme = card.clients(0);
  EXPECT_EQ(acme.client_id(), "acme");
  EXPECT_EQ(acme.name(), "Bureau acme");
  EXPECT_EQ(acme.account_owner(), "alice");
  ASSERT_EQ(acme.hearts_size(), 6);
  const double expected[] = {1.0, 1.0 / 3, 5.0 / 6, 0.25, 1.0 / 3, 0.5};
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(acme.hearts(i).heart(), static_cast<v1::Heart>(i + 1));
    ASSERT_TRUE(acme.hearts(i).has_score()) << i;
    EXPECT_NEAR(acme.hearts(i).score(), expected[i], kTolerance) << i;
  }
  EXPECT_EQ(acme.hearts(1).periods(), 6);          // care: 180 / 30
  EXPECT_EQ(acme.hearts(1).periods_covered(), 2);  // 02-15 and 04-15
  EXPECT_EQ(acme.hearts(2).concerns_judged(), 1);
  EXPECT_EQ(acme.hearts(2).concerns_resolved_in_time(), 1);
  EXPECT_EQ(acme.hearts(4).items_due(), 3);  // S1, S2, F-1
  EXPECT_EQ(acme.hearts(4).items_on_time(), 1);
  EXPECT_EQ(acme.hearts(1).last_event_on().day(), 15);
  EXPECT_NEAR(acme.health_index(), kAcmeHealth, kTolerance);
  EXPECT_EQ(AlertMessages(acme),
            (std::vector<std::string>{
                "care: last practised 2026-04-15, 76 days ago (cadence 30)",
                "listening: last practised 2026-03-21, 101 days ago (cadence 60)",
                "execution: last practised 2026-04-08, 83 days ago (cadence 30)",
                "plan step P-1/S2 (execution) due 2026-05-31, 30 days overdue",
            }));
  EXPECT_EQ(acme.alerts(0).kind(), v1::NEGLECT_KIND_HEART);
  EXPECT_EQ(acme.alerts(0).heart(), v1::HEART_CARE);
  EXPECT_EQ(acme.alerts(0).days(), 76);
  EXPECT_EQ(acme.alerts(0).cadence_days(), 30);
  EXPECT_FALSE(acme.alerts(0).has_due_date());
  EXPECT_EQ(acme.alerts(3).kind(), v1::NEGLECT_KIND_OVERDUE_PLAN_STEP);
  EXPECT_EQ(acme.alerts(3).item_id(), "P-1/S2");
  EXPECT_EQ(acme.alerts(3).due_date().day(), 31);

  const v1::ClientScorecard& beta = card.clients(1);
  EXPECT_EQ(beta.account_owner(), "bob");
  EXPECT_DOUBLE_EQ(beta.hearts(0).score(), 0.0);
  EXPECT_FALSE(beta.hearts(4).has_score());  // execution: nothing was due
  EXPECT_DOUBLE_EQ(beta.health_index(), 0.0);
  ASSERT_EQ(beta.alerts_size(), 6);
  EXPECT_EQ(beta.alerts(0).message(), "trust: never practised (cadence 90)");
  EXPECT_FALSE(beta.alerts(0).has_days());
  EXPECT_FALSE(beta.alerts(0).has_last_event_on());
  EXPECT_FALSE(beta.hearts(0).has_last_event_on());

  // Owners: alice has acme only, bob has beta only.
  ASSERT_EQ(card.owners_size(), 2);
  EXPECT_EQ(card.owners(0).account_owner(), "alice");
  EXPECT_EQ(card.owners(0).clients(), 1);
  EXPECT_NEAR(card.owners(0).health_index(), kAcmeHealth, kTolerance);
  EXPECT_EQ(card.owners(0).alerts(), 4);
  EXPECT_EQ(card.owners(1).account_owner(), "bob");
  EXPECT_FALSE(card.owners(1).hearts(4).has_score());

  // Filtered by owner: only bob's line and client.
  v1::ScorecardRequest by_owner;
  by_owner.add_account_owners("bob");
  const v1::ScorecardResponse bob = Scorecard(by_owner);
  ASSERT_EQ(bob.clients_size(), 1);
  EXPECT_EQ(bob.clients(0).client_id(), "beta");
  ASSERT_EQ(bob.owners_size(), 1);
  EXPECT_EQ(bob.owners(0).account_owner(), "bob");

  // Filtered by client, with a 90-day window (04-02 .. 06-30): trust 1/1; care 1/3
  // (04-15 only); listening 0/1 (no event in 05-02..06-30, and CN-1 was raised before the
  // window); communication 3/6; execution: F-1 on time, S2 missed (S1 was due before the
  // window) -> 1/2; feedback 1/1. Health = 100 x (1 + 1/3 + 0 + 1/2 + 1/2 + 1) / 6 = 55.5556.
  v1::ScorecardRequest by_client;
  by_client.add_client_ids("acme");
  by_client.set_window_days(90);
  const v1::ScorecardResponse acme90 = Scorecard(by_client);
  ASSERT_EQ(acme90.clients_size(), 1);
  EXPECT_EQ(acme90.window_days(), 90);
  EXPECT_NEAR(acme90.clients(0).health_index(), 100.0 * (10.0 / 3) / 6, kTolerance);
}

TEST_F(RelationshipsServiceTest, LateInteractionChangesTheDayButNotWhatWasKnownBefore) {
  AppendHistory();
  AppendLateInteraction();
  // The care report of 06-05, recorded on 07-05, covers 06-01..06-30: care 3/6 = 1/2 and
  // its alert goes. Health = 100 x (3.25 - 1/3 + 1/2) / 6 = 56.9444.
  v1::ScorecardRequest request;
  *request.mutable_as_of() = D(2026, 6, 30);
  request.add_client_ids("acme");
  const v1::ScorecardResponse now = Scorecard(request);
  ASSERT_EQ(now.clients_size(), 1);
  EXPECT_EQ(now.position(), 25u);
  EXPECT_NEAR(now.clients(0).hearts(1).score(), 0.5, kTolerance);
  EXPECT_NEAR(now.clients(0).health_index(), 100.0 * (3.25 - 1.0 / 3 + 0.5) / 6, kTolerance);
  EXPECT_EQ(now.clients(0).alerts_size(), 3);

  // As the ledger knew it on 07-02: the old score, at position 24. The server's clock has
  // passed that cut (a cut in the future is refused).
  today_clock_.Set(Utc(2026, 7, 5) + absl::Hours(15));
  *request.mutable_known_at() = Stamp(Utc(2026, 7, 2));
  const v1::ScorecardResponse then = Scorecard(request);
  ASSERT_EQ(then.clients_size(), 1);
  EXPECT_EQ(then.position(), 24u);
  EXPECT_TRUE(then.has_known_at());
  EXPECT_NEAR(then.clients(0).hearts(1).score(), 1.0 / 3, kTolerance);
  EXPECT_NEAR(then.clients(0).health_index(), kAcmeHealth, kTolerance);
  EXPECT_EQ(then.clients(0).alerts_size(), 4);

  // The worklist reads both projections with the same known_at: before the late entry
  // acme has three neglected hearts (15 points), after it two (10).
  v1::WorklistRequest worklist;
  worklist.add_account_owners("alice");
  *worklist.mutable_as_of() = D(2026, 6, 30);  // "today" before the clock moved on
  *worklist.mutable_known_at() = Stamp(Utc(2026, 7, 2));
  grpc::ClientContext context;
  v1::WorklistResponse before;
  ASSERT_TRUE(stub_->Worklist(&context, worklist, &before).ok());
  EXPECT_EQ(before.position(), 24u);
  EXPECT_EQ(before.receivables_position(), 24u);
  ASSERT_EQ(before.rows_size(), 1);
  EXPECT_EQ(before.rows(0).components(3).explanation(),
            "5.00 x 3 (care, listening, execution) = 15.00");
  worklist.clear_known_at();
  grpc::ClientContext after_context;
  v1::WorklistResponse after;
  ASSERT_TRUE(stub_->Worklist(&after_context, worklist, &after).ok());
  ASSERT_EQ(after.rows_size(), 1);
  EXPECT_EQ(after.rows(0).components(3).explanation(), "5.00 x 2 (listening, execution) = 10.00");
}

TEST_F(RelationshipsServiceTest, TimelineEntriesMilestonesAndSeries) {
  AppendHistory();
  v1::TimelineRequest request;
  request.set_client_id("acme");
  *request.mutable_as_of() = D(2026, 6, 30);
  grpc::ClientContext context;
  v1::TimelineResponse timeline;
  ASSERT_TRUE(stub_->Timeline(&context, request, &timeline).ok());
  EXPECT_EQ(timeline.name(), "Bureau acme");
  EXPECT_EQ(timeline.position(), 24u);
  EXPECT_EQ(timeline.receivables_position(), 24u);
  EXPECT_EQ(timeline.tolerance_days(), 3);
  // acme's 21 events, already in day order as appended.
  ASSERT_EQ(timeline.entries_size(), 21);
  for (int i = 0; i < 21; ++i) EXPECT_EQ(timeline.entries(i).position(), i + 1u);
  const v1::TimelineEntry& visit = timeline.entries(3);
  EXPECT_EQ(visit.type(), "InteractionLogged");
  EXPECT_EQ(visit.day().month(), 1);
  EXPECT_EQ(visit.day().day(), 20);
  ASSERT_EQ(visit.hearts_size(), 1);
  EXPECT_EQ(visit.hearts(0), v1::HEART_TRUST);
  EXPECT_EQ(visit.hash_prefix().size(), 16u);         // 8 bytes in hex
  EXPECT_TRUE(timeline.entries(4).hearts().empty());  // an invoice practises no heart

  // Milestones by day: the first contract, INV-1 paid on 03-01 before its due date 03-03,
  // CN-1 resolved 20 days after it was raised, and P-1 (for 05-20) judged broken on 05-23.
  std::vector<std::string> milestones;
  for (const v1::Milestone& m : timeline.milestones()) {
    milestones.push_back(absl::StrCat(m.day().month(), "-", m.day().day(), " ", m.description()));
  }
  EXPECT_EQ(milestones, (std::vector<std::string>{
                            "1-10 first contract C-1",
                            "3-1 first invoice paid on time: INV-1 (due 2026-03-03)",
                            "3-21 concern CN-1 resolved in 20 days",
                            "5-23 promise P-1 to pay 600.00 CNY by 2026-05-20 broken",
                        }));
  EXPECT_EQ(timeline.milestones(3).kind(), v1::MILESTONE_KIND_PROMISE_BROKEN);

  // January (the month acme became known) to June.
  ASSERT_EQ(timeline.series_size(), 6);
  const v1::MonthlyPoint& march = timeline.series(2);
  EXPECT_EQ(march.measured_on().day(), 31);
  EXPECT_EQ(march.invoices_due(), 1);  // INV-1, paid on time
  EXPECT_DOUBLE_EQ(march.on_time_share(), 1.0);
  EXPECT_EQ(march.overdue_size(), 0);
  const v1::MonthlyPoint& may = timeline.series(4);
  EXPECT_EQ(may.invoices_due(), 1);  // INV-2, due 05-01, unpaid
  EXPECT_DOUBLE_EQ(may.on_time_share(), 0.0);
  EXPECT_EQ(may.promises_broken(), 1);
  ASSERT_EQ(may.overdue_size(), 1);
  EXPECT_EQ(may.overdue(0).amount_minor(), 60000);
  const v1::MonthlyPoint& june = timeline.series(5);
  EXPECT_EQ(june.measured_on().day(), 30);
  EXPECT_NEAR(june.health_index(), kAcmeHealth, kTolerance);
  EXPECT_FALSE(june.has_on_time_share());  // nothing due in June
  ASSERT_EQ(june.overdue_size(), 1);
  EXPECT_EQ(june.overdue(0).currency(), "CNY");
  EXPECT_EQ(june.overdue(0).amount_minor(), 60000);
}

TEST_F(RelationshipsServiceTest, PlanStepStatusesAndMoney) {
  AppendHistory();
  v1::PlansRequest request;
  *request.mutable_as_of() = D(2026, 6, 30);
  grpc::ClientContext context;
  v1::PlansResponse plans;
  ASSERT_TRUE(stub_->Plans(&context, request, &plans).ok());
  ASSERT_EQ(plans.plans_size(), 1);
  const v1::CollectionPlanReport& plan = plans.plans(0);
  EXPECT_EQ(plan.client_id(), "acme");
  EXPECT_EQ(plan.plan_id(), "P-1");
  EXPECT_EQ(plan.owner(), "alice");
  ASSERT_EQ(plan.steps_size(), 3);
  // S1 due 03-31 done 04-05: 5 days late. S2 due 05-31 not done: 30 days overdue on
  // 06-30. S3 due 07-31: upcoming.
  EXPECT_EQ(plan.steps(0).status(), v1::PLAN_STEP_STATUS_DONE_LATE);
  EXPECT_EQ(plan.steps(0).days_late(), 5);
  EXPECT_EQ(plan.steps(0).completed_on().day(), 5);
  EXPECT_EQ(plan.steps(1).status(), v1::PLAN_STEP_STATUS_OVERDUE);
  EXPECT_EQ(plan.steps(1).days_late(), 30);
  EXPECT_FALSE(plan.steps(1).has_completed_on());
  EXPECT_EQ(plan.steps(2).status(), v1::PLAN_STEP_STATUS_UPCOMING);
  EXPECT_EQ(plan.done_on_time(), 0);
  EXPECT_EQ(plan.done_late(), 1);
  EXPECT_EQ(plan.overdue(), 1);
  EXPECT_EQ(plan.upcoming(), 1);
  // Expected 500 + 500 + 400 = 1,400.00, of which 1,000.00 due by 06-30; collected since
  // the plan was set (03-01): PAY-1 200.00. Shortfall 800.00; progress 200 / 1400.
  ASSERT_EQ(plan.money_size(), 1);
  EXPECT_EQ(plan.money(0).expected_minor(), 140000);
  EXPECT_EQ(plan.money(0).expected_due_minor(), 100000);
  EXPECT_EQ(plan.money(0).collected_minor(), 20000);
  EXPECT_EQ(plan.money(0).shortfall_minor(), 80000);
  EXPECT_DOUBLE_EQ(plan.money(0).progress(), 20000.0 / 140000);

  // On 04-01 S1 was overdue by one day and nothing was done yet.
  *request.mutable_as_of() = D(2026, 4, 1);
  grpc::ClientContext early_context;
  ASSERT_TRUE(stub_->Plans(&early_context, request, &plans).ok());
  ASSERT_EQ(plans.plans_size(), 1);
  EXPECT_EQ(plans.plans(0).steps(0).status(), v1::PLAN_STEP_STATUS_OVERDUE);
  EXPECT_EQ(plans.plans(0).steps(0).days_late(), 1);
}

TEST_F(RelationshipsServiceTest, WorklistRankedWithArithmetic) {
  AppendHistory();
  // Overdue on 06-30: acme INV-2 600.00, 60 days (due 05-01); beta INV-B1 1,000.00, 61 days
  // (due 04-30). Largest overdue in CNY: 1,000.00.
  //   beta: amount 40 x 1000/1000 = 40; age 20 x 61/180 = 6.7778; 6 neglected hearts x 5 =
  //         30; total 76.7778
  //   acme: amount 40 x 600/1000 = 24; age 20 x 60/180 = 6.6667; one broken promise 10;
  //         3 neglected hearts 15; one overdue plan step 3; total 58.6667
  v1::WorklistRequest request;
  *request.mutable_as_of() = D(2026, 6, 30);
  grpc::ClientContext context;
  v1::WorklistResponse worklist;
  ASSERT_TRUE(stub_->Worklist(&context, request, &worklist).ok());
  EXPECT_EQ(worklist.clients_considered(), 2);
  ASSERT_EQ(worklist.rows_size(), 2);
  EXPECT_EQ(worklist.rows(0).rank(), 1);
  EXPECT_EQ(worklist.rows(0).client_id(), "beta");
  EXPECT_NEAR(worklist.rows(0).score(), 40 + 20.0 * 61 / 180 + 30, kTolerance);
  EXPECT_EQ(worklist.rows(1).rank(), 2);
  EXPECT_EQ(worklist.rows(1).client_id(), "acme");
  EXPECT_NEAR(worklist.rows(1).score(), 24 + 20.0 * 60 / 180 + 10 + 15 + 3, kTolerance);

  const v1::WorklistRow& acme = worklist.rows(1);
  std::vector<std::string> arithmetic;
  for (const v1::ScoreComponent& c : acme.components()) {
    arithmetic.push_back(absl::StrCat(c.name(), ": ", c.explanation()));
  }
  EXPECT_EQ(arithmetic, (std::vector<std::string>{
                            "overdue amount: 40.00 x 600.00 CNY / largest 1000.00 CNY = 24.00",
                            "overdue age: 20.00 x min(60, 180) / 180 days = 6.67",
                            "broken promises: 10.00 x min(1, 3) = 10.00",
                            "neglected hearts: 5.00 x 3 (care, listening, execution) = 15.00",
                            "overdue follow-ups and plan steps: 3.00 x 1 = 3.00",
                        }));
  ASSERT_EQ(acme.next_actions_size(), 3);
  EXPECT_EQ(acme.next_actions(0).heart(), v1::HEART_CARE);
  EXPECT_EQ(acme.next_actions(0).action(), "send an industry report or market analysis");

  // alice's worklist: acme alone, so its 600.00 is now the largest: 40 points.
  request.add_account_owners("alice");
  request.set_max_rows(5);
  grpc::ClientContext team_context;
  ASSERT_TRUE(stub_->Worklist(&team_context, request, &worklist).ok());
  EXPECT_EQ(worklist.clients_considered(), 1);
  ASSERT_EQ(worklist.rows_size(), 1);
  EXPECT_EQ(worklist.rows(0).components(0).explanation(),
            "40.00 x 600.00 CNY / largest 600.00 CNY = 40.00");
}

TEST_F(RelationshipsServiceTest, EvidenceByBandAndHeart) {
  AppendHistory();
  // Bands: beta (health 0) in 0-40, acme (54.17) in 40-70, nobody in 70-100. Payment
  // window 01-02 .. 06-30: beta had INV-B1 due and unpaid (0 of 1 on time, 61 days late,
  // no promise); acme INV-1 on time and INV-2 not (1 of 2) and P-1 broken (1 of 1).
  v1::EvidenceRequest request;
  *request.mutable_as_of() = D(2026, 6, 30);
  grpc::ClientContext context;
  v1::EvidenceResponse evidence;
  ASSERT_TRUE(stub_->Evidence(&context, request, &evidence).ok());
  EXPECT_EQ(evidence.clients(), 2);
  ASSERT_EQ(evidence.bands_size(), 3);
  EXPECT_EQ(evidence.bands(0).label(), "0-40");
  EXPECT_EQ(evidence.bands(0).behaviour().clients(), 1);
  EXPECT_DOUBLE_EQ(evidence.bands(0).behaviour().on_time_share(), 0.0);
  EXPECT_FALSE(evidence.bands(0).behaviour().has_broken_promise_rate());
  ASSERT_EQ(evidence.bands(0).behaviour().days_late_size(), 1);
  EXPECT_DOUBLE_EQ(evidence.bands(0).behaviour().days_late(0).average_days_late(), 61.0);
  EXPECT_EQ(evidence.bands(1).label(), "40-70");
  EXPECT_EQ(evidence.bands(1).behaviour().clients(), 1);
  EXPECT_EQ(evidence.bands(1).behaviour().invoices_due(), 2);
  EXPECT_DOUBLE_EQ(evidence.bands(1).behaviour().on_time_share(), 0.5);
  EXPECT_DOUBLE_EQ(evidence.bands(1).behaviour().broken_promise_rate(), 1.0);
  EXPECT_EQ(evidence.bands(2).behaviour().clients(), 0);
  // Trust is practised (>= 0.5) by acme only; execution by nobody (acme 1/3, beta n/a).
  ASSERT_EQ(evidence.hearts_size(), 6);
  EXPECT_EQ(evidence.hearts(0).practised().clients(), 1);
  EXPECT_EQ(evidence.hearts(0).not_practised().clients(), 1);
  EXPECT_EQ(evidence.hearts(4).practised().clients(), 0);
  EXPECT_EQ(evidence.hearts(4).not_practised().clients(), 1);
  // Two clients are too few for a correlation.
  EXPECT_FALSE(evidence.has_health_on_time_correlation());
  EXPECT_EQ(evidence.answer(),
            "Clients with a health index of 40-70 paid 50% of the invoices due on time "
            "(broken-promise rate 100%) against 0% (n/a) for 0-40. The widest on-time gap is "
            "with trust: 50% when practised, 0% when not. This is an association in the "
            "ledger's own data, not proof that the practice causes the payment.");
}

TEST_F(RelationshipsServiceTest, BadInputIsInvalidArgumentAndUnknownClientNotFound) {
  AppendHistory();
  const auto timeline_error = [&](const v1::TimelineRequest& request, grpc::StatusCode code) {
    grpc::ClientContext context;
    v1::TimelineResponse response;
    grpc::Status status = stub_->Timeline(&context, request, &response);
    EXPECT_EQ(status.error_code(), code) << status.error_message();
    return status.error_message();
  };
  v1::TimelineRequest timeline;
  EXPECT_EQ(timeline_error(timeline, grpc::StatusCode::INVALID_ARGUMENT), "client_id: required");
  timeline.set_client_id("x");
  EXPECT_EQ(timeline_error(timeline, grpc::StatusCode::NOT_FOUND),
            "client_id: no client \"x\" on 2026-06-30");
  // acme became known on 01-05.
  timeline.set_client_id("acme");
  *timeline.mutable_as_of() = D(2026, 1, 4);
  EXPECT_EQ(timeline_error(timeline, grpc::StatusCode::NOT_FOUND),
            "client_id: no client \"acme\" on 2026-01-04");
  *timeline.mutable_as_of() = D(2026, 2, 30);
  EXPECT_EQ(timeline_error(timeline, grpc::StatusCode::INVALID_ARGUMENT),
            "as_of: not a valid date: 2026-02-30");
  timeline.clear_as_of();
  timeline.set_series_months(121);
  EXPECT_EQ(timeline_error(timeline, grpc::StatusCode::INVALID_ARGUMENT),
            "series_months: must be in [1, 120], got 121");
  timeline.clear_series_months();
  timeline.mutable_known_at()->set_nanos(-1);
  EXPECT_EQ(timeline_error(timeline, grpc::StatusCode::INVALID_ARGUMENT),
            "known_at: not a valid timestamp: seconds=0 nanos=-1");

  v1::ScorecardRequest scorecard;
  scorecard.set_window_days(0);
  grpc::ClientContext scorecard_context;
  v1::ScorecardResponse scorecard_response;
  grpc::Status status = stub_->Scorecard(&scorecard_context, scorecard, &scorecard_response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "window_days: must be in [1, 3650], got 0");
  scorecard.clear_window_days();
  scorecard.add_client_ids("");
  grpc::ClientContext empty_context;
  status = stub_->Scorecard(&empty_context, scorecard, &scorecard_response);
  EXPECT_EQ(status.error_message(), "client_ids: an empty id");

  v1::WorklistRequest worklist;
  worklist.set_tolerance_days(-1);
  grpc::ClientContext worklist_context;
  v1::WorklistResponse worklist_response;
  status = stub_->Worklist(&worklist_context, worklist, &worklist_response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "tolerance_days: must be in [0, 3650], got -1");
  worklist.clear_tolerance_days();
  worklist.set_max_rows(0);
  grpc::ClientContext rows_context;
  status = stub_->Worklist(&rows_context, worklist, &worklist_response);
  EXPECT_EQ(status.error_message(), "max_rows: must be in [1, 10000], got 0");
}

TEST_F(RelationshipsServiceTest, UnavailableUntilBothEnginesAreAttached) {
  RelationshipsService detached(&today_clock_);
  detached.Attach(relationships_engine_.get(), nullptr);  // half attached is not attached
  grpc::ServerContext context;
  v1::ScorecardRequest request;
  v1::ScorecardResponse response;
  EXPECT_EQ(detached.Scorecard(&context, &request, &response).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  v1::RelationshipsRebuildRequest rebuild;
  EXPECT_EQ(detached.Rebuild(&context, &rebuild, nullptr).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

TEST_F(RelationshipsServiceTest, StatusAndRebuildLeaveTheScorecardAsItWas) {
  AppendHistory();
  const v1::ScorecardResponse before = Scorecard({});
  ASSERT_TRUE(relationships_engine_->WaitFor(24, absl::Seconds(10)));
  grpc::ClientContext rebuild_context;
  auto rebuilding = stub_->Rebuild(&rebuild_context, {});
  v1::RelationshipsRebuildResponse rebuilt;
  v1::RelationshipsRebuildResponse message;
  while (rebuilding->Read(&message)) rebuilt = message;
  ASSERT_TRUE(rebuilding->Finish().ok());
  EXPECT_TRUE(rebuilt.finished());
  EXPECT_EQ(rebuilt.position(), 24u);
  grpc::ClientContext status_context;
  v1::RelationshipsProjectionStatusResponse status;
  ASSERT_TRUE(stub_->ProjectionStatus(&status_context, {}, &status).ok());
  EXPECT_EQ(status.name(), "relationships");
  EXPECT_EQ(status.position(), 24u);
  EXPECT_EQ(status.lag_events(), 0u);
  // A stored view keeps no whole-fold snapshot.
  EXPECT_EQ(status.snapshots(), 0u);
  EXPECT_EQ(status.saved_position(), 24u);
  const v1::ScorecardResponse after = Scorecard({});
  EXPECT_EQ(after.SerializeAsString(), before.SerializeAsString());
}

TEST_F(RelationshipsServiceTest, ARestartServesAtOnceFromTheStoredView) {
  AppendHistory();
  const v1::ScorecardResponse before = Scorecard({});
  ASSERT_TRUE(relationships_engine_->WaitFor(24, absl::Seconds(10)));
  const auto rows = views_->CountRows(kRelationshipsProjectionName);
  ASSERT_TRUE(rows.ok()) << rows.status();
  // Timeline entries alone are one row per event of a client stream: at least 24.
  EXPECT_GE(*rows, 24u);
  service_.Attach(nullptr, nullptr);
  relationships_engine_->Stop();
  relationships_engine_.reset();
  auto restarted = projection::ProjectionEngine::StartStored(store_.get(), views_.get(),
                                                             MakeRelationshipsRows(), {});
  ASSERT_TRUE(restarted.ok()) << restarted.status();
  relationships_engine_ = *std::move(restarted);
  // At the head as it starts, from the view's checkpoint: nothing rebuilt, nothing
  // replayed, the same rows.
  EXPECT_EQ(relationships_engine_->status().position, 24u);
  EXPECT_EQ(*views_->CountRows(kRelationshipsProjectionName), *rows);
  service_.Attach(relationships_engine_.get(), receivables_engine_.get());
  EXPECT_EQ(Scorecard({}).SerializeAsString(), before.SerializeAsString());
}

TEST_F(RelationshipsServiceTest, AWholeFoldSavedByAnOlderLedgerdIsRebuiltAsAStoredView) {
  AppendHistory();
  const v1::ScorecardResponse before = Scorecard({});
  service_.Attach(nullptr, nullptr);
  relationships_engine_->Stop();
  relationships_engine_.reset();
  {
    // The whole-fold engine an older ledgerd ran: its state saved as one blob at stop.
    auto old = projection::ProjectionEngine::Start(store_.get(), kRelationshipsProjectionName,
                                                   MakeRelationshipsFoldFactory(), {});
    ASSERT_TRUE(old.ok()) << old.status();
    ASSERT_TRUE((*old)->WaitFor(24, absl::Seconds(10)));
    (*old)->Stop();
  }
  auto blob = store_->LoadProjection(kRelationshipsProjectionName);
  ASSERT_TRUE(blob.ok() && blob->has_value());
  EXPECT_EQ((*blob)->position, 24u);
  // A view store without this projection's view (as after the upgrade).
  projection::ViewStoreOptions view_options;
  view_options.dir = dir_.sub("views-upgraded");
  auto views = projection::ViewStore::Open(view_options, nullptr);
  ASSERT_TRUE(views.ok()) << views.status();
  auto upgraded = projection::ProjectionEngine::StartStored(store_.get(), views->get(),
                                                            MakeRelationshipsRows(), {});
  ASSERT_TRUE(upgraded.ok()) << upgraded.status();
  relationships_engine_ = *std::move(upgraded);
  EXPECT_EQ(relationships_engine_->status().position, 24u);
  // Built from the log, then the blob dropped so that it is never read.
  blob = store_->LoadProjection(kRelationshipsProjectionName);
  ASSERT_TRUE(blob.ok());
  EXPECT_FALSE(blob->has_value());
  service_.Attach(relationships_engine_.get(), receivables_engine_.get());
  EXPECT_EQ(Scorecard({}).SerializeAsString(), before.SerializeAsString());
  // The engine goes before the view store it writes.
  service_.Attach(nullptr, nullptr);
  relationships_engine_->Stop();
  relationships_engine_.reset();
}

// ------------------------------------------------------------------------ ledgerctl

class LedgerctlRelationshipsTest : public RelationshipsServiceTest {
 protected:
  struct Run {
    int exit_code = -1;
    std::string output;  // stdout and stderr together
  };

  Run Ctl(std::vector<std::string> args) {
    std::vector<std::string> argv = {LEDGERCTL_PATH, "--server", address()};
    argv.insert(argv.end(), args.begin(), args.end());
    sixhearts::testing::Subprocess child(argv, dir_.sub(absl::StrCat("ctl-", runs_++)));
    Run run;
    run.exit_code = child.Wait();
    run.output = child.Output();
    return run;
  }

  int runs_ = 0;
};

TEST_F(LedgerctlRelationshipsTest, ScorecardAsCsvAndJson) {
  AppendHistory();
  // The figures of ScorecardPerClientAndOwner in their shortest exact form: 1/3 is
  // 0.3333333333333333, 5/6 0.8333333333333333, 100 x 3.25 / 6 54.166666666666664.
  // beta's execution is not applicable: blank.
  Run csv = Ctl({"--csv", "scorecard", "--as-of", "2026-06-30"});
  ASSERT_EQ(csv.exit_code, 0) << csv.output;
  EXPECT_EQ(csv.output,
            "client,name,account_owner,trust,care,listening,communication,execution,feedback,"
            "health_index,alert_count,alerts\r\n"
            "acme,Bureau acme,alice,1,0.3333333333333333,0.8333333333333333,0.25,"
            "0.3333333333333333,0.5,54.166666666666664,4,\"care: last practised 2026-04-15, 76 "
            "days ago (cadence 30); listening: last practised 2026-03-21, 101 days ago (cadence "
            "60); execution: last practised 2026-04-08, 83 days ago (cadence 30); plan step "
            "P-1/S2 (execution) due 2026-05-31, 30 days overdue\"\r\n"
            "beta,Bureau beta,bob,0,0,0,0,,0,0,6,trust: never practised (cadence 90); care: "
            "never practised (cadence 30); listening: never practised (cadence 60); "
            "communication: never practised (cadence 14); execution: never practised (cadence "
            "30); feedback: never practised (cadence 90)\r\n");

  // beta alone: 2 trust periods of 90 days in 180, 6 of care, 3 of listening, 12 of
  // communication, none covered; execution null.
  Run json = Ctl({"--json", "scorecard", "--as-of", "2026-06-30", "--client", "beta"});
  ASSERT_EQ(json.exit_code, 0) << json.output;
  const std::string counts =
      "\"concerns_judged\":0,\"concerns_resolved_in_time\":0,\"items_due\":0,"
      "\"items_on_time\":0,\"last_event_on\":\"\"}";
  const auto never = [](const char* heart, int cadence_days, bool last) {
    return absl::StrCat("{\"kind\":\"heart\",\"heart\":\"", heart,
                        "\",\"item\":\"\",\"last_event_on\":\"\",\"cadence_days\":", cadence_days,
                        ",\"days\":null,\"due_date\":\"\",\"message\":\"", heart,
                        ": never practised (cadence ", cadence_days, ")\"}", last ? "\n" : ",\n");
  };
  EXPECT_EQ(
      json.output,
      absl::StrCat(
          "{\"as_of\":\"2026-06-30\",\"known_at\":null,\"position\":24,\"window_days\":180,"
          "\"clients\":[\n{\"client\":\"beta\",\"name\":\"Bureau beta\",\"account_owner\":"
          "\"bob\",\"hearts\":[\n",
          "{\"heart\":\"trust\",\"score\":0,\"periods\":2,\"periods_covered\":0,", counts,
          ",\n{\"heart\":\"care\",\"score\":0,\"periods\":6,\"periods_covered\":0,", counts,
          ",\n{\"heart\":\"listening\",\"score\":0,\"periods\":3,\"periods_covered\":0,", counts,
          ",\n{\"heart\":\"communication\",\"score\":0,\"periods\":12,\"periods_covered\":"
          "0,",
          counts,
          ",\n{\"heart\":\"execution\",\"score\":null,\"periods\":0,\"periods_covered\":"
          "0,",
          counts, ",\n{\"heart\":\"feedback\",\"score\":0,\"periods\":2,\"periods_covered\":0,",
          counts, "\n],\"health_index\":0,\"alerts\":[\n", never("trust", 90, false),
          never("care", 30, false), never("listening", 60, false),
          never("communication", 14, false), never("execution", 30, false),
          never("feedback", 90, true),
          "]}\n],\"owners\":[\n{\"account_owner\":\"bob\",\"clients\":1,\"trust\":0,"
          "\"care\":0,\"listening\":0,\"communication\":0,\"execution\":null,\"feedback\":0,"
          "\"health_index\":0,\"alert_count\":6}\n]}\n"));
}

TEST_F(LedgerctlRelationshipsTest, TimelineAsCsvAndJson) {
  AppendHistory();
  // The milestones of TimelineEntriesMilestonesAndSeries.
  Run csv = Ctl({"--csv", "timeline", "acme", "--as-of", "2026-06-30", "--show", "milestones"});
  ASSERT_EQ(csv.exit_code, 0) << csv.output;
  EXPECT_EQ(csv.output,
            "day,kind,subject,description\r\n"
            "2026-01-10,first_contract,C-1,first contract C-1\r\n"
            "2026-03-01,first_on_time_payment,INV-1,first invoice paid on time: INV-1 (due "
            "2026-03-03)\r\n"
            "2026-03-21,concern_resolved,CN-1,concern CN-1 resolved in 20 days\r\n"
            "2026-05-23,promise_broken,P-1,promise P-1 to pay 600.00 CNY by 2026-05-20 "
            "broken\r\n");

  // acme's entries as CSV: the first four; hearts as the fold counted them.
  Run entries = Ctl({"--csv", "timeline", "acme", "--as-of", "2026-01-31"});
  ASSERT_EQ(entries.exit_code, 0) << entries.output;
  EXPECT_EQ(entries.output.substr(0, entries.output.find("\r\n")),
            "position,day,type,hearts,actor,hash,summary");
  EXPECT_NE(entries.output.find("\r\n4,2026-01-20,InteractionLogged,trust,anonymous,"),
            std::string::npos)
      << entries.output;

  // beta over two months: INV-B1 (due 04-30) is overdue at the end of May and of June, no
  // invoice fell due in either month, and the health index is 0 throughout. The hashes are
  // the stored chain's: the client names and summaries are sealed with random nonces
  // (ledger/FORMAT.md "Personal data"), so they differ from one run to the next.
  const auto hash_prefix = [&](uint64_t position) {
    auto page = store_->ReadLog(position, false, 1, {});
    EXPECT_TRUE(page.ok()) << page.status();
    return absl::BytesToHexString(page->events.at(0).hash().substr(0, 8));
  };
  Run json = Ctl({"--json", "timeline", "beta", "--as-of", "2026-06-30", "--months", "2"});
  ASSERT_EQ(json.exit_code, 0) << json.output;
  const auto month = [](const char* month, const char* last_day, bool last) {
    return absl::StrCat(
        "{\"month\":\"", month, "\",\"measured_on\":\"", last_day,
        "\",\"health_index\":0,\"overdue\":[\n{\"currency\":\"CNY\",\"amount_minor\":"
        "100000}\n],\"invoices_due\":0,\"invoices_paid_on_time\":0,\"on_time_share\":"
        "null,\"promises_kept\":0,\"promises_partially_kept\":0,\"promises_broken\":0}",
        last ? "\n" : ",\n");
  };
  EXPECT_EQ(
      json.output,
      absl::StrCat(
          "{\"client\":\"beta\",\"name\":\"Bureau beta\",\"as_of\":\"2026-06-30\","
          "\"known_at\":null,\"position\":24,\"window_days\":180,\"tolerance_days\":3,"
          "\"entries_dropped\":0,\"entries\":[\n"
          "{\"position\":22,\"day\":\"2026-01-05\",\"type\":\"ClientRegistered\",\"hearts\":"
          "\"\",\"actor\":\"anonymous\",\"hash\":\"",
          hash_prefix(22),
          "\",\"summary\":"
          "\"registered as Bureau beta\"},\n"
          "{\"position\":23,\"day\":\"2026-01-05\",\"type\":\"AccountOwnerAssigned\","
          "\"hearts\":\"\",\"actor\":\"anonymous\",\"hash\":\"",
          hash_prefix(23),
          "\",\"summary\":"
          "\"account owner bob\"},\n"
          "{\"position\":24,\"day\":\"2026-03-01\",\"type\":\"InvoiceIssued\",\"hearts\":"
          "\"\",\"actor\":\"anonymous\",\"hash\":\"",
          hash_prefix(24),
          "\",\"summary\":"
          "\"invoice INV-B1 1000.00 CNY due 2026-04-30\"}\n"
          "],\"milestones\":[],\"series\":[\n",
          month("2026-05", "2026-05-31", false), month("2026-06", "2026-06-30", true), "]}\n"));

  Run unknown = Ctl({"timeline", "x", "--as-of", "2026-06-30"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_EQ(unknown.output, "ledgerctl: NOT_FOUND: client_id: no client \"x\" on 2026-06-30\n");
}

}  // namespace
}  // namespace sixhearts::services::relationships
