// Integration tests of the Receivables service: a real gRPC server on a loopback port with
// the EventStore and Receivables services over a real RocksDB directory and a running
// projection engine; a small hand-made ledger appended over gRPC; exact figures worked
// out by hand below; then the ledgerctl binary against the same server.
#include "services/receivables/receivables_service.h"

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "ledger/clock.h"
#include "ledger/event_store.h"
#include "services/event_store_service.h"
#include "services/projection/projection_engine.h"
#include "services/projection/view_store.h"
#include "services/receivables/receivables_fold.h"
#include "services/receivables/receivables_view.h"
#include "sixhearts/ledger/v1/event_store.grpc.pb.h"
#include "sixhearts/ledger/v1/receivables.grpc.pb.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/test_events.h"

namespace sixhearts::services::receivables {
namespace {

namespace v1 = ::sixhearts::ledger::v1;
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

v1::Event PromiseMade(uint64_t id, const std::string& client, const std::string& promise,
                      int64_t minor, v1::Date made, v1::Date promised,
                      const std::string& invoice = "") {
  v1::Event e = Envelope(id, client, made);
  auto* p = e.mutable_promise_to_pay_made();
  p->set_promise_id(promise);
  *p->mutable_amount() = Money(minor);
  *p->mutable_promised_date() = promised;
  if (!invoice.empty()) p->add_invoice_ids(invoice);
  return e;
}

v1::Event DisputeOpened(uint64_t id, const std::string& client, const std::string& dispute,
                        const std::string& invoice, int64_t minor, v1::Date opened) {
  v1::Event e = Envelope(id, client, opened);
  auto* p = e.mutable_dispute_opened();
  p->set_dispute_id(dispute);
  p->set_invoice_id(invoice);
  p->set_amount_minor(minor);
  p->set_reason("quantity delivered short");
  *p->mutable_opened_on() = opened;
  return e;
}

v1::Event DisputeRejected(uint64_t id, const std::string& client, const std::string& dispute,
                          v1::Date resolved) {
  v1::Event e = Envelope(id, client, resolved);
  auto* p = e.mutable_dispute_resolved();
  p->set_dispute_id(dispute);
  p->set_outcome(v1::DISPUTE_OUTCOME_REJECTED);
  *p->mutable_resolved_on() = resolved;
  return e;
}

// The ledger of every test, all in CNY (1 yuan = 100 fen), recorded on 2026-04-01:
//   acme  INV-1 1,000.00  issued 01-05  due 02-04   PAY-1 400.00 on 02-20 to INV-1
//         INV-2   500.00  issued 02-10  due 03-12   D-1 disputes 200.00 of it from 03-15
//         INV-4   300.00  issued 03-20  due 04-19
//         P-1 promises 600.00 for INV-1, made 03-01, for 03-10
//   beta  INV-3 3,000.00  issued 01-10  due 01-10   PAY-2 2,500.00 on 03-01, 2,000.00 to INV-3
//         D-2 disputes 100.00 of INV-3 on 02-01, rejected 03-05
//         P-3 promises 800.00 (account), made 02-01, for 02-20
//         P-2 promises 1,000.00 (account), made 03-25, for 04-10
// and the late correction, recorded on 2026-04-10: acme PAY-3 600.00 valued 03-12, to INV-1.
class ReceivablesServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ledger::EventStoreOptions options;
    options.data_dir = dir_.sub("ledger");
    options.clock = &record_clock_;
    auto store = ledger::EventStore::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    projection::ViewStoreOptions view_options;
    view_options.dir = dir_.sub("views");
    auto views = projection::ViewStore::Open(view_options, nullptr);
    ASSERT_TRUE(views.ok()) << views.status();
    views_ = *std::move(views);
    auto engine = projection::ProjectionEngine::StartStored(store_.get(), views_.get(),
                                                            MakeReceivablesRows());
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = *std::move(engine);
    event_store_.Attach(store_.get());
    receivables_.Attach(engine_.get());

    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(&event_store_);
    builder.RegisterService(&receivables_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_NE(port_, 0);
    auto channel = grpc::CreateChannel(address(), grpc::InsecureChannelCredentials());
    events_ = v1::EventStore::NewStub(channel);
    stub_ = v1::Receivables::NewStub(channel);
  }

  void TearDown() override {
    receivables_.Attach(nullptr);
    if (server_ != nullptr) {
      server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
    }
    if (engine_ != nullptr) engine_->Stop();
    if (store_ != nullptr) store_->Shutdown();
  }

  std::string address() const { return absl::StrCat("127.0.0.1:", port_); }

  void Append(v1::AppendRequest request) {
    grpc::ClientContext context;
    v1::AppendResponse response;
    grpc::Status status = events_->Append(&context, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  void AppendLedger() {
    record_clock_.Set(Utc(2026, 4, 1));
    Append(Batch({
        ClientRegistered(1, "acme"),
        ClientRegistered(2, "beta"),
        InvoiceIssued(3, "acme", "INV-1", 100000, D(2026, 1, 5), D(2026, 2, 4)),
        InvoiceIssued(4, "beta", "INV-3", 300000, D(2026, 1, 10), D(2026, 1, 10)),
        DisputeOpened(5, "beta", "D-2", "INV-3", 10000, D(2026, 2, 1)),
        PromiseMade(6, "beta", "P-3", 80000, D(2026, 2, 1), D(2026, 2, 20)),
        InvoiceIssued(7, "acme", "INV-2", 50000, D(2026, 2, 10), D(2026, 3, 12)),
        PaymentReceived(8, "acme", "PAY-1", 40000, "INV-1", 40000, D(2026, 2, 20)),
        PromiseMade(9, "acme", "P-1", 60000, D(2026, 3, 1), D(2026, 3, 10), "INV-1"),
        PaymentReceived(10, "beta", "PAY-2", 250000, "INV-3", 200000, D(2026, 3, 1)),
        DisputeRejected(11, "beta", "D-2", D(2026, 3, 5)),
        DisputeOpened(12, "acme", "D-1", "INV-2", 20000, D(2026, 3, 15)),
        InvoiceIssued(13, "acme", "INV-4", 30000, D(2026, 3, 20), D(2026, 4, 19)),
        PromiseMade(14, "beta", "P-2", 100000, D(2026, 3, 25), D(2026, 4, 10)),
    }));
  }

  void AppendCorrection() {
    record_clock_.Set(Utc(2026, 4, 10));
    Append(Batch({PaymentReceived(15, "acme", "PAY-3", 60000, "INV-1", 60000, D(2026, 3, 12))}));
  }

  v1::AgingResponse Aging(v1::AgingRequest request) {
    grpc::ClientContext context;
    v1::AgingResponse response;
    grpc::Status status = stub_->Aging(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  static v1::AgingRequest AgingAsOf(v1::Date as_of) {
    v1::AgingRequest request;
    *request.mutable_as_of() = as_of;
    return request;
  }

  TempDir dir_;
  ledger::ManualClock record_clock_{Utc(2026, 4, 1)};
  // "Today" for requests without a day.
  ledger::ManualClock today_clock_{Utc(2026, 3, 31) + absl::Hours(15)};
  std::unique_ptr<ledger::EventStore> store_;
  std::unique_ptr<projection::ViewStore> views_;
  std::unique_ptr<projection::ProjectionEngine> engine_;
  EventStoreService event_store_;
  ReceivablesService receivables_{&today_clock_};
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::unique_ptr<v1::EventStore::Stub> events_;
  std::unique_ptr<v1::Receivables::Stub> stub_;
};

std::vector<int64_t> Buckets(const v1::AgingRow& row) {
  return {row.outstanding_by_bucket_minor().begin(), row.outstanding_by_bucket_minor().end()};
}
std::vector<int64_t> DisputedBuckets(const v1::AgingRow& row) {
  return {row.disputed_by_bucket_minor().begin(), row.disputed_by_bucket_minor().end()};
}

TEST_F(ReceivablesServiceTest, AgingAsOfADayWithDefaultBuckets) {
  AppendLedger();
  AppendCorrection();
  // As of 03-31, today per the service's clock (no as_of). Ages (03-31 minus due date):
  //   INV-1 is paid in full (400 + 600), so it is not aged.
  //   INV-2 due 03-12: 19 days -> 1-30, 500.00 outstanding, 200.00 of it disputed by D-1.
  //   INV-4 due 04-19: -19 days -> not yet due, 300.00.
  //   INV-3 due 01-10: 80 days -> 61-90, 3,000.00 - 2,000.00 = 1,000.00; D-2 was resolved.
  //   beta holds 500.00 of PAY-2 unapplied: a -500.00 line.
  v1::AgingRequest request;
  request.set_include_invoices(true);
  const v1::AgingResponse aging = Aging(request);
  EXPECT_EQ(aging.as_of().year(), 2026);
  EXPECT_EQ(aging.as_of().month(), 3);
  EXPECT_EQ(aging.as_of().day(), 31);
  EXPECT_EQ(aging.position(), 15u);
  ASSERT_EQ(aging.buckets_size(), 7);
  std::vector<std::string> labels;
  for (const auto& bucket : aging.buckets()) labels.push_back(bucket.label());
  EXPECT_EQ(labels, (std::vector<std::string>{"not yet due", "1-30", "31-60", "61-90", "91-180",
                                              "181-365", "over 365"}));
  EXPECT_FALSE(aging.buckets(0).has_lower_bound_days());
  EXPECT_EQ(aging.buckets(0).upper_bound_days(), 0);
  EXPECT_EQ(aging.buckets(6).lower_bound_days(), 366);
  EXPECT_FALSE(aging.buckets(6).has_upper_bound_days());

  ASSERT_EQ(aging.rows_size(), 2);
  const v1::AgingRow& acme = aging.rows(0);
  EXPECT_EQ(acme.group(), "acme");
  EXPECT_EQ(acme.currency(), "CNY");
  EXPECT_EQ(Buckets(acme), (std::vector<int64_t>{30000, 50000, 0, 0, 0, 0, 0}));
  EXPECT_EQ(DisputedBuckets(acme), (std::vector<int64_t>{0, 20000, 0, 0, 0, 0, 0}));
  EXPECT_EQ(acme.outstanding_minor(), 80000);
  EXPECT_EQ(acme.disputed_minor(), 20000);
  EXPECT_EQ(acme.unapplied_cash_minor(), 0);
  EXPECT_EQ(acme.net_minor(), 80000);
  ASSERT_EQ(acme.invoices_size(), 2);
  EXPECT_EQ(acme.invoices(0).invoice_id(), "INV-2");
  EXPECT_EQ(acme.invoices(0).age_days(), 19);
  EXPECT_EQ(acme.invoices(0).bucket(), 1);
  EXPECT_EQ(acme.invoices(0).disputed_minor(), 20000);
  EXPECT_EQ(acme.invoices(1).invoice_id(), "INV-4");
  EXPECT_EQ(acme.invoices(1).age_days(), -19);
  EXPECT_EQ(acme.invoices(1).bucket(), 0);

  const v1::AgingRow& beta = aging.rows(1);
  EXPECT_EQ(beta.group(), "beta");
  EXPECT_EQ(Buckets(beta), (std::vector<int64_t>{0, 0, 0, 100000, 0, 0, 0}));
  EXPECT_EQ(beta.disputed_minor(), 0);
  EXPECT_EQ(beta.unapplied_cash_minor(), -50000);
  EXPECT_EQ(beta.standalone_credit_minor(), 0);
  EXPECT_EQ(beta.net_minor(), 50000);
  ASSERT_EQ(beta.credits_size(), 1);
  EXPECT_EQ(beta.credits(0).kind(), v1::AGING_CREDIT_KIND_UNAPPLIED_CASH);
  EXPECT_EQ(beta.credits(0).source_id(), "PAY-2");
  EXPECT_EQ(beta.credits(0).amount_minor(), -50000);

  ASSERT_EQ(aging.totals_size(), 1);
  EXPECT_EQ(Buckets(aging.totals(0)), (std::vector<int64_t>{30000, 50000, 0, 100000, 0, 0, 0}));
  EXPECT_EQ(aging.totals(0).outstanding_minor(), 180000);
  EXPECT_EQ(aging.totals(0).disputed_minor(), 20000);
  EXPECT_EQ(aging.totals(0).net_minor(), 130000);
  EXPECT_EQ(aging.totals(0).invoices_size(), 0);

  // As of 02-15 only what had happened by then counts: INV-1 (due 02-04, 11 days -> 1-30,
  // unpaid), INV-2 (due 03-12, not yet due), INV-3 (due 01-10, 36 days -> 31-60, with
  // D-2's 100.00 still open). Custom buckets 0,30: not yet due, 1-30, over 30.
  v1::AgingRequest earlier = AgingAsOf(D(2026, 2, 15));
  earlier.add_bucket_upper_bounds_days(0);
  earlier.add_bucket_upper_bounds_days(30);
  const v1::AgingResponse before = Aging(earlier);
  ASSERT_EQ(before.rows_size(), 2);
  EXPECT_EQ(Buckets(before.rows(0)), (std::vector<int64_t>{50000, 100000, 0}));
  EXPECT_EQ(Buckets(before.rows(1)), (std::vector<int64_t>{0, 0, 300000}));
  EXPECT_EQ(DisputedBuckets(before.rows(1)), (std::vector<int64_t>{0, 0, 10000}));
  EXPECT_EQ(before.buckets(2).label(), "over 30");
  EXPECT_EQ(before.rows(0).invoices_size(), 0);  // not asked for

  // Grouped by currency: one row, the same as the totals.
  v1::AgingRequest by_currency = AgingAsOf(D(2026, 3, 31));
  by_currency.set_group_by(v1::AGING_GROUP_BY_CURRENCY);
  const v1::AgingResponse currency = Aging(by_currency);
  ASSERT_EQ(currency.rows_size(), 1);
  EXPECT_EQ(currency.rows(0).group(), "CNY");
  EXPECT_EQ(currency.rows(0).net_minor(), 130000);
}

TEST_F(ReceivablesServiceTest, LateCorrectionChangesTheDayButNotWhatWasKnownBefore) {
  AppendLedger();
  // Before the correction INV-1 owes 1,000.00 - 400.00 = 600.00, due 02-04: 55 days on
  // 03-31 -> 31-60. acme: 300.00 not yet due, 500.00 in 1-30, 600.00 in 31-60.
  const v1::AgingResponse first = Aging(AgingAsOf(D(2026, 3, 31)));
  ASSERT_EQ(first.rows_size(), 2);
  EXPECT_EQ(Buckets(first.rows(0)), (std::vector<int64_t>{30000, 50000, 60000, 0, 0, 0, 0}));
  EXPECT_EQ(first.totals(0).outstanding_minor(), 240000);
  EXPECT_EQ(first.position(), 14u);

  // PAY-3 (valued 03-12) is recorded on 04-10: as of 03-31 INV-1 is now paid.
  AppendCorrection();
  const v1::AgingResponse now = Aging(AgingAsOf(D(2026, 3, 31)));
  EXPECT_EQ(Buckets(now.rows(0)), (std::vector<int64_t>{30000, 50000, 0, 0, 0, 0, 0}));
  EXPECT_EQ(now.totals(0).outstanding_minor(), 180000);
  EXPECT_EQ(now.position(), 15u);

  // As the ledger knew it on 04-05 (before 04-10): the first figures, at position 14. The
  // server's clock has passed both cuts asked (a cut in the future is refused).
  today_clock_.Set(Utc(2026, 4, 10) + absl::Hours(15));
  v1::AgingRequest known = AgingAsOf(D(2026, 3, 31));
  *known.mutable_known_at() = Stamp(Utc(2026, 4, 5));
  const v1::AgingResponse then = Aging(known);
  EXPECT_EQ(then.position(), 14u);
  EXPECT_TRUE(then.has_known_at());
  v1::AgingResponse first_with_known_at = first;
  *first_with_known_at.mutable_known_at() = known.known_at();
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(then, first_with_known_at))
      << then.DebugString();

  // Known at 04-10 itself includes it (recorded at or before).
  *known.mutable_known_at() = Stamp(Utc(2026, 4, 10));
  EXPECT_EQ(Aging(known).totals(0).outstanding_minor(), 180000);
}

TEST_F(ReceivablesServiceTest, DsoForAQuarter) {
  AppendLedger();
  AppendCorrection();
  // Q1 2026: 90 days. Credit sales: INV-1 1,000 + INV-3 3,000 + INV-2 500 + INV-4 300 =
  // 4,800.00. Beginning AR (12-31) 0. Ending AR on 03-31: INV-2 500 + INV-3 1,000 +
  // INV-4 300 = 1,800.00; current (due on or after 03-31): INV-4 300.00.
  //   simple     = 1800 / 4800 * 90 = 33.75
  //   countback: March sales 300 (31 days) -> 1500 left; February 500 (28) -> 1000 left;
  //              January 4000 (31): 1000 / 4000 * 31 = 7.75 -> 31 + 28 + 7.75 = 66.75
  //   best poss. = 300 / 4800 * 90 = 5.625;  ADD = 66.75 - 5.625 = 61.125
  //   CEI        = (0 + 4800 - 1800) / (0 + 4800 - 300) * 100 = 3000 / 4500 * 100 = 66.67
  // Days late on 03-31 of the invoices due by then: INV-1 settled 03-12, 36 days after
  // 02-04; INV-2 open, 19 days; INV-3 open, 80 days. Weighted by amount:
  //   (1000 * 36 + 500 * 19 + 3000 * 80) / 4500 = 285500 / 4500 = 63.444...
  v1::DsoRequest request;
  *request.mutable_from() = D(2026, 1, 1);
  *request.mutable_to() = D(2026, 3, 31);
  grpc::ClientContext context;
  v1::DsoResponse dso;
  ASSERT_TRUE(stub_->Dso(&context, request, &dso).ok());
  EXPECT_EQ(dso.period_days(), 90);
  EXPECT_EQ(dso.method(), v1::DSO_METHOD_COUNTBACK);
  EXPECT_EQ(dso.position(), 15u);
  ASSERT_EQ(dso.currencies_size(), 1);
  const v1::DsoCurrencyReport& cny = dso.currencies(0);
  EXPECT_EQ(cny.currency(), "CNY");
  EXPECT_EQ(cny.credit_sales_minor(), 480000);
  EXPECT_EQ(cny.beginning_ar_minor(), 0);
  EXPECT_EQ(cny.ending_ar_minor(), 180000);
  EXPECT_EQ(cny.ending_current_ar_minor(), 30000);
  EXPECT_DOUBLE_EQ(cny.simple_dso_days(), 33.75);
  EXPECT_DOUBLE_EQ(cny.countback_dso_days(), 66.75);
  EXPECT_EQ(cny.countback_months_walked(), 3);
  EXPECT_FALSE(cny.countback_sales_exhausted());
  EXPECT_DOUBLE_EQ(cny.dso_days(), 66.75);
  EXPECT_DOUBLE_EQ(cny.best_possible_dso_days(), 5.625);
  EXPECT_DOUBLE_EQ(cny.average_days_delinquent(), 61.125);
  EXPECT_DOUBLE_EQ(cny.cei_percent(), 3000.0 / 4500.0 * 100.0);
  EXPECT_DOUBLE_EQ(cny.average_days_late(), 285500.0 / 4500.0);
  EXPECT_EQ(cny.days_late_invoice_count(), 3);
  EXPECT_EQ(cny.days_late_billed_minor(), 450000);

  // Simple as the chosen method: ADD = 33.75 - 5.625 = 28.125.
  request.set_method(v1::DSO_METHOD_SIMPLE);
  grpc::ClientContext simple_context;
  ASSERT_TRUE(stub_->Dso(&simple_context, request, &dso).ok());
  EXPECT_DOUBLE_EQ(dso.currencies(0).dso_days(), 33.75);
  EXPECT_DOUBLE_EQ(dso.currencies(0).average_days_delinquent(), 28.125);

  // A period with no sales: no divisor, so the ratios are unset. 2025-12: nothing issued
  // by then at all, so no currency has a report.
  *request.mutable_from() = D(2025, 12, 1);
  *request.mutable_to() = D(2025, 12, 31);
  grpc::ClientContext empty_context;
  ASSERT_TRUE(stub_->Dso(&empty_context, request, &dso).ok());
  EXPECT_EQ(dso.currencies_size(), 0);
}

TEST_F(ReceivablesServiceTest, PromisesKeptBrokenAndOpen) {
  AppendLedger();
  AppendCorrection();
  // As of 03-31, tolerance 3 days:
  //   P-1 (acme, 600.00 for INV-1, for 03-10) is judged on 03-13: PAY-3's 600.00 to INV-1
  //       on 03-12 counts -> kept.
  //   P-3 (beta, 800.00, for 02-20) is judged on 02-23: nothing arrived from 02-01 to then
  //       (PAY-2 came on 03-01) -> broken.
  //   P-2 (beta, 1,000.00, for 04-10) is judged on 04-13: still open.
  // Broken rate 1 / 2.
  v1::PromisesRequest request;
  *request.mutable_as_of() = D(2026, 3, 31);
  grpc::ClientContext context;
  v1::PromisesResponse promises;
  ASSERT_TRUE(stub_->Promises(&context, request, &promises).ok());
  EXPECT_EQ(promises.tolerance_days(), 3);
  ASSERT_EQ(promises.open_size(), 1);
  EXPECT_EQ(promises.open(0).promise_id(), "P-2");
  EXPECT_EQ(promises.open(0).status(), v1::PROMISE_STATUS_OPEN);
  EXPECT_EQ(promises.open(0).judged_on().day(), 13);
  ASSERT_EQ(promises.judged_size(), 2);
  EXPECT_EQ(promises.judged(0).promise_id(), "P-1");
  EXPECT_EQ(promises.judged(0).status(), v1::PROMISE_STATUS_KEPT);
  EXPECT_EQ(promises.judged(0).received_minor(), 60000);
  EXPECT_EQ(promises.judged(1).promise_id(), "P-3");
  EXPECT_EQ(promises.judged(1).status(), v1::PROMISE_STATUS_BROKEN);
  EXPECT_EQ(promises.kept_count(), 1);
  EXPECT_EQ(promises.partially_kept_count(), 0);
  EXPECT_EQ(promises.broken_count(), 1);
  EXPECT_DOUBLE_EQ(promises.broken_rate(), 0.5);

  // Zero tolerance (set explicitly): P-1 is judged on 03-10, before PAY-3 -> broken.
  request.set_tolerance_days(0);
  grpc::ClientContext zero_context;
  ASSERT_TRUE(stub_->Promises(&zero_context, request, &promises).ok());
  EXPECT_EQ(promises.tolerance_days(), 0);
  EXPECT_EQ(promises.judged(0).status(), v1::PROMISE_STATUS_BROKEN);
  EXPECT_DOUBLE_EQ(promises.broken_rate(), 1.0);

  // Before anything was judged: no rate.
  request.clear_tolerance_days();
  *request.mutable_as_of() = D(2026, 2, 10);
  grpc::ClientContext early_context;
  ASSERT_TRUE(stub_->Promises(&early_context, request, &promises).ok());
  EXPECT_EQ(promises.open_size(), 1);
  EXPECT_EQ(promises.judged_size(), 0);
  EXPECT_FALSE(promises.has_broken_rate());
}

TEST_F(ReceivablesServiceTest, DisputesOpenAndResolved) {
  AppendLedger();
  v1::DisputesRequest request;
  *request.mutable_as_of() = D(2026, 3, 31);
  grpc::ClientContext context;
  v1::DisputesResponse disputes;
  ASSERT_TRUE(stub_->Disputes(&context, request, &disputes).ok());
  ASSERT_EQ(disputes.open_size(), 1);
  EXPECT_EQ(disputes.open(0).dispute_id(), "D-1");
  EXPECT_EQ(disputes.open(0).invoice_id(), "INV-2");
  EXPECT_EQ(disputes.open(0).currency(), "CNY");
  EXPECT_EQ(disputes.open(0).amount_minor(), 20000);
  EXPECT_EQ(disputes.open(0).outcome(), v1::DISPUTE_OUTCOME_UNSPECIFIED);
  EXPECT_FALSE(disputes.open(0).has_resolved_on());
  ASSERT_EQ(disputes.resolved_size(), 1);
  EXPECT_EQ(disputes.resolved(0).dispute_id(), "D-2");
  EXPECT_EQ(disputes.resolved(0).outcome(), v1::DISPUTE_OUTCOME_REJECTED);
  EXPECT_EQ(disputes.resolved(0).conceded_minor(), 0);
  EXPECT_EQ(disputes.resolved(0).resolved_on().day(), 5);

  // On 03-01 D-2 was still open and D-1 not yet opened.
  *request.mutable_as_of() = D(2026, 3, 1);
  grpc::ClientContext early_context;
  ASSERT_TRUE(stub_->Disputes(&early_context, request, &disputes).ok());
  ASSERT_EQ(disputes.open_size(), 1);
  EXPECT_EQ(disputes.open(0).dispute_id(), "D-2");
  EXPECT_EQ(disputes.resolved_size(), 0);
}

TEST_F(ReceivablesServiceTest, BadInputIsInvalidArgumentNamingTheField) {
  const auto aging_error = [&](const v1::AgingRequest& request) {
    grpc::ClientContext context;
    v1::AgingResponse response;
    grpc::Status status = stub_->Aging(&context, request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    return status.error_message();
  };
  EXPECT_EQ(aging_error(AgingAsOf(D(2026, 2, 30))), "as_of: not a valid date: 2026-02-30");
  v1::AgingRequest buckets;
  buckets.add_bucket_upper_bounds_days(30);
  buckets.add_bucket_upper_bounds_days(30);
  EXPECT_EQ(aging_error(buckets),
            "bucket_upper_bounds_days: must be strictly ascending, but 30 follows 30");
  v1::AgingRequest known;
  known.mutable_known_at()->set_nanos(-1);
  EXPECT_EQ(aging_error(known), "known_at: not a valid timestamp: seconds=0 nanos=-1");
  v1::AgingRequest group;
  group.set_group_by(static_cast<v1::AgingGroupBy>(99));
  EXPECT_EQ(aging_error(group), "group_by: unknown value 99");

  const auto dso_error = [&](const v1::DsoRequest& request) {
    grpc::ClientContext context;
    v1::DsoResponse response;
    grpc::Status status = stub_->Dso(&context, request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    return status.error_message();
  };
  v1::DsoRequest dso;
  EXPECT_EQ(dso_error(dso), "from: required (the first day of the period)");
  *dso.mutable_from() = D(2026, 4, 1);
  *dso.mutable_to() = D(2026, 3, 31);
  EXPECT_EQ(dso_error(dso), "from: after to (2026-04-01 > 2026-03-31)");
  // Without `to` the period ends today (03-31), so the same.
  dso.clear_to();
  EXPECT_EQ(dso_error(dso), "from: after to (2026-04-01 > 2026-03-31)");
  *dso.mutable_from() = D(2026, 1, 1);
  dso.set_countback_max_months(1201);
  EXPECT_EQ(dso_error(dso), "countback_max_months: must be in [0, 1200] (0: 36), got 1201");

  v1::PromisesRequest promises;
  promises.set_tolerance_days(-1);
  grpc::ClientContext context;
  v1::PromisesResponse response;
  grpc::Status status = stub_->Promises(&context, promises, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "tolerance_days: must be in [0, 3650], got -1");
}

TEST_F(ReceivablesServiceTest, UnavailableUntilAnEngineIsAttached) {
  ReceivablesService detached(&today_clock_);
  grpc::ServerContext context;
  v1::AgingRequest request;
  v1::AgingResponse response;
  EXPECT_EQ(detached.Aging(&context, &request, &response).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  v1::RebuildRequest rebuild;
  EXPECT_EQ(detached.Rebuild(&context, &rebuild, nullptr).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

TEST_F(ReceivablesServiceTest, StatusAndRebuildLeaveAgingAsItWas) {
  AppendLedger();
  AppendCorrection();
  const v1::AgingResponse before = Aging(AgingAsOf(D(2026, 3, 31)));
  ASSERT_TRUE(engine_->WaitFor(15, absl::Seconds(10)));

  grpc::ClientContext status_context;
  v1::ProjectionStatusResponse status;
  ASSERT_TRUE(stub_->ProjectionStatus(&status_context, {}, &status).ok());
  EXPECT_EQ(status.name(), "receivables");
  EXPECT_EQ(status.position(), 15u);
  EXPECT_EQ(status.head_position(), 15u);
  EXPECT_EQ(status.lag_events(), 0u);

  grpc::ClientContext rebuild_context;
  auto rebuilding = stub_->Rebuild(&rebuild_context, {});
  v1::RebuildResponse rebuilt;
  v1::RebuildResponse message;
  while (rebuilding->Read(&message)) rebuilt = message;
  ASSERT_TRUE(rebuilding->Finish().ok());
  EXPECT_TRUE(rebuilt.finished());
  EXPECT_EQ(rebuilt.position(), 15u);
  // A stored view answers past cuts from its rows: no snapshots.
  grpc::ClientContext after_context;
  ASSERT_TRUE(stub_->ProjectionStatus(&after_context, {}, &status).ok());
  EXPECT_EQ(status.snapshots(), 0u);
  EXPECT_EQ(status.saved_position(), 15u);

  const v1::AgingResponse after = Aging(AgingAsOf(D(2026, 3, 31)));
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(before, after))
      << after.DebugString();
}

// ------------------------------------------------------------------------ ledgerctl

class LedgerctlReceivablesTest : public ReceivablesServiceTest {
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

TEST_F(LedgerctlReceivablesTest, AgingAsTextCsvAndJson) {
  AppendLedger();
  AppendCorrection();
  today_clock_.Set(Utc(2026, 4, 10) + absl::Hours(15));  // past the --known-at asked below
  // The figures of AgingAsOfADayWithDefaultBuckets, with buckets 0,30,60: 61-90 days
  // falls in "over 60". Text in yuan, CSV and JSON in fen.
  Run text = Ctl({"aging", "--as-of", "2026-03-31", "--buckets", "0,30,60"});
  ASSERT_EQ(text.exit_code, 0) << text.output;
  EXPECT_EQ(text.output,
            "Aging as of 2026-03-31 by client; position 15\n"
            "group  currency  not yet due    1-30  31-60   over 60  outstanding  disputed  "
            "unapplied_cash  standalone_credit     net\n"
            "acme   CNY            300.00  500.00   0.00      0.00       800.00    200.00  "
            "          0.00               0.00  800.00\n"
            "beta   CNY              0.00    0.00   0.00  1,000.00     1,000.00      0.00  "
            "       -500.00               0.00  500.00\n"
            "\nTotals\n"
            "currency  not yet due    1-30  31-60   over 60  outstanding  disputed  "
            "unapplied_cash  standalone_credit       net\n"
            "CNY            300.00  500.00   0.00  1,000.00     1,800.00    200.00  "
            "       -500.00               0.00  1,300.00\n");

  Run csv = Ctl({"--csv", "aging", "--as-of", "2026-03-31", "--buckets", "0,30,60"});
  ASSERT_EQ(csv.exit_code, 0) << csv.output;
  EXPECT_EQ(csv.output,
            "scope,group,currency,not_yet_due_minor,1-30_minor,31-60_minor,over_60_minor,"
            "outstanding_minor,disputed_minor,unapplied_cash_minor,standalone_credit_minor,"
            "net_minor\r\n"
            "group,acme,CNY,30000,50000,0,0,80000,20000,0,0,80000\r\n"
            "group,beta,CNY,0,0,0,100000,100000,0,-50000,0,50000\r\n"
            "total,,CNY,30000,50000,0,100000,180000,20000,-50000,0,130000\r\n");

  Run lines = Ctl({"--csv", "aging", "--as-of", "2026-03-31", "--invoices"});
  ASSERT_EQ(lines.exit_code, 0) << lines.output;
  EXPECT_EQ(lines.output,
            "group,client,kind,id,currency,date,age_days,bucket,amount_minor,disputed_minor\r\n"
            "acme,acme,invoice,INV-2,CNY,2026-03-12,19,1-30,50000,20000\r\n"
            "acme,acme,invoice,INV-4,CNY,2026-04-19,-19,not yet due,30000,0\r\n"
            "beta,beta,invoice,INV-3,CNY,2026-01-10,80,61-90,100000,0\r\n"
            "beta,beta,unapplied_cash,PAY-2,CNY,2026-03-01,,,-50000,\r\n");

  // Known before the correction, grouped by currency.
  Run json = Ctl({"--json", "aging", "--as-of", "2026-03-31", "--known-at", "2026-04-05",
                  "--group-by", "currency", "--buckets", "0,60"});
  ASSERT_EQ(json.exit_code, 0) << json.output;
  EXPECT_EQ(json.output,
            "{\"as_of\":\"2026-03-31\",\"known_at\":\"2026-04-05T23:59:59.999999999Z\","
            "\"position\":14,\"group_by\":\"currency\",\"buckets\":[\n"
            "{\"label\":\"not yet due\",\"lower_bound_days\":null,\"upper_bound_days\":0},\n"
            "{\"label\":\"1-60\",\"lower_bound_days\":1,\"upper_bound_days\":60},\n"
            "{\"label\":\"over 60\",\"lower_bound_days\":61,\"upper_bound_days\":null}\n"
            "],\"rows\":[\n"
            "{\"group\":\"CNY\",\"currency\":\"CNY\",\"outstanding_by_bucket_minor\":"
            "[30000,110000,100000],\"disputed_by_bucket_minor\":[0,20000,0],"
            "\"outstanding_minor\":240000,\"disputed_minor\":20000,\"unapplied_cash_minor\":"
            "-50000,\"standalone_credit_minor\":0,\"net_minor\":190000}\n"
            "],\"totals\":[\n"
            "{\"currency\":\"CNY\",\"outstanding_by_bucket_minor\":[30000,110000,100000],"
            "\"disputed_by_bucket_minor\":[0,20000,0],\"outstanding_minor\":240000,"
            "\"disputed_minor\":20000,\"unapplied_cash_minor\":-50000,"
            "\"standalone_credit_minor\":0,\"net_minor\":190000}\n"
            "]}\n");
}

TEST_F(LedgerctlReceivablesTest, DsoForAQuarterAsCsvAndJson) {
  AppendLedger();
  AppendCorrection();
  // The figures of DsoForAQuarter, in the shortest form that reads back as the same
  // double: CEI computed as the formula is written, 3000 / 4500 first and then * 100, is
  // 66.66666666666666 (one unit in the last place below 200 / 3); 285500 / 4500 is
  // 63.44444444444444.
  Run csv = Ctl({"--csv", "dso", "--quarter", "2026Q1"});
  ASSERT_EQ(csv.exit_code, 0) << csv.output;
  EXPECT_EQ(csv.output,
            "currency,credit_sales_minor,beginning_ar_minor,ending_ar_minor,"
            "ending_current_ar_minor,dso_days,simple_dso_days,countback_dso_days,"
            "countback_months_walked,countback_sales_exhausted,best_possible_dso_days,"
            "average_days_delinquent,cei_percent,average_days_late,days_late_invoice_count,"
            "days_late_billed_minor\r\n"
            "CNY,480000,0,180000,30000,66.75,33.75,66.75,3,false,5.625,61.125,"
            "66.66666666666666,63.44444444444444,3,450000\r\n");

  Run json =
      Ctl({"--json", "dso", "--from", "2026-01-01", "--as-of", "2026-03-31", "--method", "simple"});
  ASSERT_EQ(json.exit_code, 0) << json.output;
  EXPECT_EQ(json.output,
            "{\"from\":\"2026-01-01\",\"to\":\"2026-03-31\",\"known_at\":null,\"position\":15,"
            "\"period_days\":90,\"method\":\"simple\",\"currencies\":[\n"
            "{\"currency\":\"CNY\",\"credit_sales_minor\":480000,\"beginning_ar_minor\":0,"
            "\"ending_ar_minor\":180000,\"ending_current_ar_minor\":30000,\"dso_days\":33.75,"
            "\"simple_dso_days\":33.75,\"countback_dso_days\":66.75,"
            "\"countback_months_walked\":3,\"countback_sales_exhausted\":false,"
            "\"best_possible_dso_days\":5.625,\"average_days_delinquent\":28.125,"
            "\"cei_percent\":66.66666666666666,\"average_days_late\":63.44444444444444,"
            "\"days_late_invoice_count\":3,\"days_late_billed_minor\":450000}\n"
            "]}\n");
}

TEST_F(LedgerctlReceivablesTest, PromisesDisputesStatusAndUsageErrors) {
  AppendLedger();
  AppendCorrection();
  Run promises = Ctl({"--csv", "promises", "--as-of", "2026-03-31", "--tolerance-days", "0"});
  ASSERT_EQ(promises.exit_code, 0) << promises.output;
  EXPECT_EQ(promises.output,
            "client,promise,status,currency,amount_minor,received_minor,made_on,promised_date,"
            "judged_on,invoices\r\n"
            "beta,P-2,open,CNY,100000,0,2026-03-25,2026-04-10,2026-04-10,\r\n"
            "acme,P-1,broken,CNY,60000,0,2026-03-01,2026-03-10,2026-03-10,INV-1\r\n"
            "beta,P-3,broken,CNY,80000,0,2026-02-01,2026-02-20,2026-02-20,\r\n");

  Run disputes = Ctl({"disputes", "--as-of", "2026-03-31"});
  ASSERT_EQ(disputes.exit_code, 0) << disputes.output;
  EXPECT_EQ(disputes.output,
            "Disputes as of 2026-03-31; position 15\n"
            "1 open, 1 resolved\n"
            "client  dispute  invoice  status    currency  amount  conceded  opened_on   "
            "resolved_on  reason\n"
            "acme    D-1      INV-2    open      CNY       200.00      0.00  2026-03-15  "
            "             quantity delivered short\n"
            "beta    D-2      INV-3    rejected  CNY       100.00      0.00  2026-02-01  "
            "2026-03-05   quantity delivered short\n");

  Run rebuild = Ctl({"rebuild"});
  ASSERT_EQ(rebuild.exit_code, 0) << rebuild.output;
  EXPECT_EQ(rebuild.output, "position  15\n");
  Run status = Ctl({"--json", "projections"});
  ASSERT_EQ(status.exit_code, 0) << status.output;
  EXPECT_EQ(status.output,
            "{\"name\":\"receivables\",\"position\":15,\"head_position\":15,\"lag_events\":0,"
            "\"saved_position\":15,\"snapshots\":0}\n");  // stored views keep none

  Run group = Ctl({"dso", "--quarter", "2026Q1", "--group-by", "client"});
  EXPECT_EQ(group.exit_code, 2);
  EXPECT_EQ(group.output,
            "ledgerctl: INVALID_ARGUMENT: --group-by: only aging groups its rows; dso reports "
            "one line per currency\n");
  Run quarter = Ctl({"dso", "--quarter", "2026Q5"});
  EXPECT_EQ(quarter.exit_code, 2);
  EXPECT_EQ(quarter.output,
            "ledgerctl: INVALID_ARGUMENT: --quarter: \"2026Q5\" is not a quarter like 2013Q3\n");
  Run day = Ctl({"aging", "--as-of", "2026-02-30"});
  EXPECT_EQ(day.exit_code, 2);
  EXPECT_EQ(day.output,
            "ledgerctl: INVALID_ARGUMENT: --as-of: \"2026-02-30\" is not a date (YYYY-MM-DD, "
            "e.g. 2026-03-31)\n");
}

}  // namespace
}  // namespace sixhearts::services::receivables
