// Tests of the receivables fold, its snapshot format and the analytics read from it, with
// figures computed by hand (the arithmetic is in the comments).
#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "ledger/dates.h"
#include "services/receivables/analytics.h"
#include "services/receivables/receivables_state.h"

namespace sixhearts::services::receivables {
namespace {

using absl::CivilDay;

// ------------------------------------------------------------------ event builders

struct Alloc {
  std::string invoice_id;
  int64_t amount_minor;
};

// Builds the events of one client stream; each event gets a fresh UUID-shaped id and,
// unless told otherwise, occurs at 09:00 UTC on its business date.
class Stream {
 public:
  explicit Stream(std::string client_id) : client_id_(std::move(client_id)) {}

  v1::Event Registered(v1::Jurisdiction jurisdiction = v1::JURISDICTION_CN,
                       v1::ClientKind kind = v1::CLIENT_KIND_GOVERNMENT_ORGAN) {
    v1::Event e = Envelope(CivilDay(2025, 1, 1));
    v1::ClientRegistered* p = e.mutable_client_registered();
    p->set_client_id(client_id_);
    p->set_name("Client " + client_id_);
    p->set_jurisdiction(jurisdiction);
    p->set_client_kind(kind);
    return e;
  }
  v1::Event OwnerAssigned(const std::string& owner) {
    v1::Event e = Envelope(CivilDay(2025, 1, 1));
    e.mutable_account_owner_assigned()->set_owner(owner);
    return e;
  }
  v1::Event Invoice(const std::string& id, int64_t amount_minor, CivilDay issue, CivilDay due,
                    const std::string& currency = "USD") {
    v1::Event e = Envelope(issue);
    v1::InvoiceIssued* p = e.mutable_invoice_issued();
    p->set_invoice_id(id);
    SetMoney(p->mutable_amount(), amount_minor, currency);
    *p->mutable_issue_date() = ledger::FromCivilDay(issue);
    *p->mutable_due_date() = ledger::FromCivilDay(due);
    return e;
  }
  v1::Event Payment(const std::string& id, int64_t amount_minor, CivilDay value,
                    std::initializer_list<Alloc> allocations, const std::string& currency = "USD") {
    v1::Event e = Envelope(value);
    v1::PaymentReceived* p = e.mutable_payment_received();
    p->set_payment_id(id);
    SetMoney(p->mutable_amount(), amount_minor, currency);
    *p->mutable_value_date() = ledger::FromCivilDay(value);
    for (const Alloc& a : allocations) AddAllocation(p->add_allocations(), a);
    return e;
  }
  v1::Event Allocated(const std::string& payment_id, CivilDay on,
                      std::initializer_list<Alloc> allocations) {
    v1::Event e = Envelope(on);
    v1::PaymentAllocated* p = e.mutable_payment_allocated();
    p->set_payment_id(payment_id);
    *p->mutable_allocated_on() = ledger::FromCivilDay(on);
    for (const Alloc& a : allocations) AddAllocation(p->add_allocations(), a);
    return e;
  }
  // An empty invoice_id issues a standalone credit note.
  v1::Event CreditNote(const std::string& id, const std::string& invoice_id, int64_t amount_minor,
                       CivilDay on, const std::string& currency = "USD") {
    v1::Event e = Envelope(on);
    v1::CreditNoteIssued* p = e.mutable_credit_note_issued();
    p->set_credit_note_id(id);
    p->set_invoice_id(invoice_id);
    SetMoney(p->mutable_amount(), amount_minor, currency);
    *p->mutable_issue_date() = ledger::FromCivilDay(on);
    return e;
  }
  v1::Event WrittenOff(const std::string& invoice_id, int64_t amount_minor, CivilDay on) {
    v1::Event e = Envelope(on);
    v1::InvoiceWrittenOff* p = e.mutable_invoice_written_off();
    p->set_invoice_id(invoice_id);
    p->set_amount_minor(amount_minor);
    *p->mutable_written_off_on() = ledger::FromCivilDay(on);
    p->set_reason("insolvent");
    return e;
  }
  v1::Event Reversed(const std::string& payment_id, CivilDay on) {
    v1::Event e = Envelope(on);
    v1::PaymentReversed* p = e.mutable_payment_reversed();
    p->set_payment_id(payment_id);
    *p->mutable_reversed_on() = ledger::FromCivilDay(on);
    p->set_reason("bounced");
    return e;
  }
  v1::Event PromiseMade(const std::string& id, int64_t amount_minor, CivilDay made_on,
                        CivilDay promised, std::initializer_list<std::string> invoice_ids = {}) {
    v1::Event e = Envelope(made_on);
    v1::PromiseToPayMade* p = e.mutable_promise_to_pay_made();
    p->set_promise_id(id);
    SetMoney(p->mutable_amount(), amount_minor, "USD");
    *p->mutable_promised_date() = ledger::FromCivilDay(promised);
    for (const std::string& invoice_id : invoice_ids) p->add_invoice_ids(invoice_id);
    return e;
  }
  v1::Event PromiseCancelled(const std::string& id, CivilDay on) {
    v1::Event e = Envelope(on);
    e.mutable_promise_to_pay_cancelled()->set_promise_id(id);
    e.mutable_promise_to_pay_cancelled()->set_reason("replaced");
    return e;
  }
  v1::Event DisputeOpened(const std::string& id, const std::string& invoice_id,
                          int64_t amount_minor, CivilDay on) {
    v1::Event e = Envelope(on);
    v1::DisputeOpened* p = e.mutable_dispute_opened();
    p->set_dispute_id(id);
    p->set_invoice_id(invoice_id);
    p->set_amount_minor(amount_minor);
    p->set_reason("short delivery");
    *p->mutable_opened_on() = ledger::FromCivilDay(on);
    return e;
  }
  v1::Event DisputeResolved(const std::string& id, v1::DisputeOutcome outcome,
                            int64_t conceded_minor, CivilDay on) {
    v1::Event e = Envelope(on);
    v1::DisputeResolved* p = e.mutable_dispute_resolved();
    p->set_dispute_id(id);
    p->set_outcome(outcome);
    p->set_conceded_minor(conceded_minor);
    *p->mutable_resolved_on() = ledger::FromCivilDay(on);
    return e;
  }

 private:
  static void SetMoney(v1::Money* money, int64_t amount_minor, const std::string& currency) {
    money->set_amount_minor(amount_minor);
    money->set_currency(currency);
  }
  static void AddAllocation(v1::Allocation* allocation, const Alloc& a) {
    allocation->set_invoice_id(a.invoice_id);
    allocation->set_amount_minor(a.amount_minor);
  }
  v1::Event Envelope(CivilDay occurred_on) {
    static uint64_t next_event = 1;
    v1::Event e;
    char id[40];
    std::snprintf(id, sizeof(id), "00000000-0000-4000-8000-%012llu",
                  static_cast<unsigned long long>(next_event));
    e.set_event_id(id);
    e.set_stream("client-" + client_id_);
    e.set_position(next_event++);
    const absl::Time t = absl::FromCivil(occurred_on, absl::UTCTimeZone()) + absl::Hours(9);
    e.mutable_occurred_at()->set_seconds(absl::ToUnixSeconds(t));
    return e;
  }

  std::string client_id_;
};

ReceivablesState Fold(const std::vector<v1::Event>& events) {
  ReceivablesState state;
  for (const v1::Event& e : events) state.Apply(e);
  return state;
}

const Invoice& InvoiceOf(const ReceivablesState& state, const std::string& client_id,
                         const std::string& invoice_id) {
  return state.FindClient(client_id)->invoices.at(invoice_id);
}

AgingReport Aging(const ReceivablesState& state, CivilDay as_of, AgingOptions options = {}) {
  absl::StatusOr<AgingReport> report = ComputeAging(state, as_of, options);
  EXPECT_TRUE(report.ok()) << report.status();
  return report.ok() ? *std::move(report) : AgingReport{};
}

// The only total of a single-currency report (a copy: callers pass temporaries).
AgingRow OnlyTotal(const AgingReport& report) {
  EXPECT_EQ(report.totals.size(), 1u);
  return report.totals.empty() ? AgingRow{} : report.totals[0];
}

// Money in these tests is in cents: 1000'00 is 1,000.00.

// ---------------------------------------------------------------------------- aging

TEST(AgingTest, BucketBoundariesAtAgesZeroThirtyAndThirtyOne) {
  Stream a("a");
  const ReceivablesState state = Fold({
      a.Registered(),
      // As of 2026-03-31: age 0 (due that day), 30, 31 and -30 days.
      a.Invoice("age-0", 100'00, CivilDay(2026, 1, 15), CivilDay(2026, 3, 31)),
      a.Invoice("age-30", 200'00, CivilDay(2026, 1, 15), CivilDay(2026, 3, 1)),
      a.Invoice("age-31", 400'00, CivilDay(2026, 1, 15), CivilDay(2026, 2, 28)),
      a.Invoice("future", 800'00, CivilDay(2026, 1, 15), CivilDay(2026, 4, 30)),
  });
  const AgingReport report = Aging(state, CivilDay(2026, 3, 31));
  ASSERT_EQ(report.buckets.size(), 7u);
  EXPECT_EQ(report.buckets[0].label, "not yet due");
  EXPECT_EQ(report.buckets[1].label, "1-30");
  EXPECT_EQ(report.buckets[2].label, "31-60");
  EXPECT_EQ(report.buckets[6].label, "over 365");
  const AgingRow& total = OnlyTotal(report);
  // not yet due: 100.00 (age 0) + 800.00 (age -30) = 900.00; 1-30: 200.00; 31-60: 400.00.
  EXPECT_EQ(total.outstanding_by_bucket_minor,
            (std::vector<int64_t>{900'00, 200'00, 400'00, 0, 0, 0, 0}));
  EXPECT_EQ(total.outstanding_minor, 1500'00);

  ASSERT_EQ(report.rows.size(), 1u);
  const std::vector<AgingInvoiceLine>& lines = report.rows[0].invoice_lines;
  ASSERT_EQ(lines.size(), 4u);  // ordered by invoice id
  EXPECT_EQ(lines[0].invoice_id, "age-0");
  EXPECT_EQ(lines[0].age_days, 0);
  EXPECT_EQ(lines[0].bucket, 0u);
  EXPECT_EQ(lines[1].invoice_id, "age-30");
  EXPECT_EQ(lines[1].age_days, 30);
  EXPECT_EQ(lines[1].bucket, 1u);
  EXPECT_EQ(lines[2].invoice_id, "age-31");
  EXPECT_EQ(lines[2].age_days, 31);  // Feb 28 -> Mar 31 in 2026: 1 + 30
  EXPECT_EQ(lines[2].bucket, 2u);
  EXPECT_EQ(lines[3].age_days, -30);
}

TEST(AgingTest, CustomBucketsAndValidation) {
  Stream a("a");
  const ReceivablesState state = Fold({
      a.Invoice("age-0", 100'00, CivilDay(2026, 1, 15), CivilDay(2026, 3, 31)),
      a.Invoice("age-30", 200'00, CivilDay(2026, 1, 15), CivilDay(2026, 3, 1)),
      a.Invoice("age-31", 400'00, CivilDay(2026, 1, 15), CivilDay(2026, 2, 28)),
  });
  AgingOptions options;
  options.bucket_upper_bounds_days = {0, 30};
  const AgingReport report = Aging(state, CivilDay(2026, 3, 31), options);
  ASSERT_EQ(report.buckets.size(), 3u);
  EXPECT_EQ(report.buckets[2].label, "over 30");
  EXPECT_EQ(OnlyTotal(report).outstanding_by_bucket_minor,
            (std::vector<int64_t>{100'00, 200'00, 400'00}));

  options.bucket_upper_bounds_days = {30, 30};
  EXPECT_EQ(ComputeAging(state, CivilDay(2026, 3, 31), options).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(AgingTest, PartlyPaidInvoiceKeepsItsBucket) {
  Stream a("a");
  const ReceivablesState state = Fold({
      a.Invoice("inv", 1000'00, CivilDay(2026, 1, 1), CivilDay(2026, 1, 31)),
      a.Payment("pay", 300'00, CivilDay(2026, 2, 10), {{"inv", 300'00}}),
  });
  // Before the payment: age 2026-02-05 - 2026-01-31 = 5 -> 1-30, all 1,000.00 owed.
  EXPECT_EQ(OnlyTotal(Aging(state, CivilDay(2026, 2, 5))).outstanding_by_bucket_minor[1], 1000'00);
  // After it: age 2026-03-31 - 2026-01-31 = 59 -> 31-60, 1,000.00 - 300.00 = 700.00 owed.
  const AgingRow& total = OnlyTotal(Aging(state, CivilDay(2026, 3, 31)));
  EXPECT_EQ(total.outstanding_by_bucket_minor, (std::vector<int64_t>{0, 0, 700'00, 0, 0, 0, 0}));
  EXPECT_EQ(InvoiceOf(state, "a", "inv").OutstandingNow(), 700'00);
}

TEST(AgingTest, CreditNoteAgainstInvoiceAndStandalone) {
  Stream a("a");
  const ReceivablesState state = Fold({
      a.Invoice("inv", 500'00, CivilDay(2026, 2, 15), CivilDay(2026, 3, 15)),
      a.CreditNote("cn-inv", "inv", 120'00, CivilDay(2026, 3, 20)),
      a.CreditNote("cn-free", "", 50'00, CivilDay(2026, 3, 25)),
  });
  // 2026-03-22: 500.00 - 120.00 = 380.00 at age 7; the standalone note is not issued yet.
  const AgingRow& before = OnlyTotal(Aging(state, CivilDay(2026, 3, 22)));
  EXPECT_EQ(before.outstanding_by_bucket_minor[1], 380'00);
  EXPECT_EQ(before.standalone_credit_minor, 0);
  EXPECT_EQ(before.net_minor, 380'00);
  // 2026-03-31: 380.00 at age 16, and a separate -50.00 line: net 330.00.
  const AgingReport report = Aging(state, CivilDay(2026, 3, 31));
  const AgingRow& after = OnlyTotal(report);
  EXPECT_EQ(after.outstanding_minor, 380'00);
  EXPECT_EQ(after.standalone_credit_minor, -50'00);
  EXPECT_EQ(after.unapplied_cash_minor, 0);
  EXPECT_EQ(after.net_minor, 330'00);
  ASSERT_EQ(report.rows.size(), 1u);
  ASSERT_EQ(report.rows[0].credit_lines.size(), 1u);
  const AgingCreditLine& line = report.rows[0].credit_lines[0];
  EXPECT_EQ(line.kind, CreditLineKind::kStandaloneCredit);
  EXPECT_EQ(line.source_id, "cn-free");
  EXPECT_EQ(line.amount_minor, -50'00);
}

TEST(AgingTest, InvoiceWriteOffReducesOutstanding) {
  Stream a("a");
  const ReceivablesState state = Fold({
      a.Invoice("inv", 1000'00, CivilDay(2025, 1, 10), CivilDay(2025, 2, 9)),
      a.WrittenOff("inv", 400'00, CivilDay(2026, 3, 1)),
  });
  // 2026-02-28: nothing written off yet, age 384 -> over 365.
  EXPECT_EQ(OnlyTotal(Aging(state, CivilDay(2026, 2, 28))).outstanding_by_bucket_minor[6], 1000'00);
  // 2026-03-31: 1,000.00 - 400.00 = 600.00.
  EXPECT_EQ(OnlyTotal(Aging(state, CivilDay(2026, 3, 31))).outstanding_minor, 600'00);
}

TEST(AgingTest, UnappliedCashLaterAllocated) {
  Stream a("a");
  const ReceivablesState state = Fold({
      a.Invoice("inv", 600'00, CivilDay(2026, 1, 29), CivilDay(2026, 2, 28)),
      a.Payment("pay", 600'00, CivilDay(2026, 3, 5), {}),
      a.Allocated("pay", CivilDay(2026, 3, 10), {{"inv", 600'00}}),
  });
  // 2026-03-07: the invoice is still owed (600.00, age 7) and the cash sits unapplied
  // as a -600.00 line: net 0.
  const AgingReport mid = Aging(state, CivilDay(2026, 3, 7));
  EXPECT_EQ(OnlyTotal(mid).outstanding_by_bucket_minor[1], 600'00);
  EXPECT_EQ(OnlyTotal(mid).unapplied_cash_minor, -600'00);
  EXPECT_EQ(OnlyTotal(mid).net_minor, 0);
  ASSERT_EQ(mid.rows[0].credit_lines.size(), 1u);
  EXPECT_EQ(mid.rows[0].credit_lines[0].kind, CreditLineKind::kUnappliedCash);
  EXPECT_EQ(mid.rows[0].credit_lines[0].source_id, "pay");
  // 2026-03-10: applied; nothing is left on either side.
  EXPECT_TRUE(Aging(state, CivilDay(2026, 3, 10)).totals.empty());
  // Paid on the allocation day: 2026-03-10 - 2026-02-28 = 10 days late.
  EXPECT_EQ(InvoiceDaysLate(InvoiceOf(state, "a", "inv"), CivilDay(2026, 3, 31)), 10);
}

TEST(AgingTest, PaymentReversalReopensInvoiceAndRemovesUnappliedPart) {
  Stream a("a");
  const ReceivablesState state = Fold({
      a.Invoice("inv", 1000'00, CivilDay(2026, 3, 1), CivilDay(2026, 3, 31)),
      // 1,200.00 in: 1,000.00 to the invoice, 200.00 unapplied.
      a.Payment("pay", 1200'00, CivilDay(2026, 3, 20), {{"inv", 1000'00}}),
      a.Reversed("pay", CivilDay(2026, 3, 25)),
  });
  const AgingRow& before = OnlyTotal(Aging(state, CivilDay(2026, 3, 22)));
  EXPECT_EQ(before.outstanding_minor, 0);
  EXPECT_EQ(before.unapplied_cash_minor, -200'00);
  const AgingRow& after = OnlyTotal(Aging(state, CivilDay(2026, 3, 26)));
  EXPECT_EQ(after.outstanding_minor, 1000'00);
  EXPECT_EQ(after.unapplied_cash_minor, 0);

  const Invoice& invoice = InvoiceOf(state, "a", "inv");
  EXPECT_EQ(invoice.SettledOn(CivilDay(2026, 3, 22)), CivilDay(2026, 3, 20));
  EXPECT_EQ(invoice.SettledOn(CivilDay(2026, 3, 26)), std::nullopt);
  EXPECT_EQ(invoice.OutstandingNow(), 1000'00);
  EXPECT_EQ(state.FindClient("a")->payments.at("pay").UnappliedNow(), 0);
}

TEST(AgingTest, DisputedPartShownApart) {
  Stream a("a");
  const ReceivablesState state = Fold({
      a.Invoice("inv", 900'00, CivilDay(2026, 2, 1), CivilDay(2026, 3, 1)),
      a.DisputeOpened("d-1", "inv", 300'00, CivilDay(2026, 3, 5)),
      // The seller concedes 100.00 of the 300.00 and credits it separately.
      a.DisputeResolved("d-1", v1::DISPUTE_OUTCOME_PARTIAL, 100'00, CivilDay(2026, 4, 10)),
      a.CreditNote("cn-d-1", "inv", 100'00, CivilDay(2026, 4, 10)),
  });
  // 2026-03-31: age 30, all 900.00 in 1-30, of which 300.00 disputed.
  const AgingReport open = Aging(state, CivilDay(2026, 3, 31));
  EXPECT_EQ(OnlyTotal(open).outstanding_by_bucket_minor[1], 900'00);
  EXPECT_EQ(OnlyTotal(open).disputed_by_bucket_minor[1], 300'00);
  EXPECT_EQ(OnlyTotal(open).disputed_minor, 300'00);
  EXPECT_EQ(open.rows[0].invoice_lines[0].disputed_minor, 300'00);
  // 2026-04-15: resolved, 900.00 - 100.00 = 800.00 owed, nothing disputed.
  const AgingRow& resolved = OnlyTotal(Aging(state, CivilDay(2026, 4, 15)));
  EXPECT_EQ(resolved.outstanding_minor, 800'00);
  EXPECT_EQ(resolved.disputed_minor, 0);

  const DisputeReport before = ComputeDisputes(state, CivilDay(2026, 3, 31));
  ASSERT_EQ(before.open.size(), 1u);
  EXPECT_TRUE(before.resolved.empty());
  EXPECT_EQ(before.open[0].currency, "USD");
  const DisputeReport after = ComputeDisputes(state, CivilDay(2026, 4, 15));
  EXPECT_TRUE(after.open.empty());
  ASSERT_EQ(after.resolved.size(), 1u);
  ASSERT_TRUE(after.resolved[0].resolution.has_value());
  EXPECT_EQ(after.resolved[0].resolution->outcome, v1::DISPUTE_OUTCOME_PARTIAL);
  EXPECT_EQ(after.resolved[0].resolution->conceded_minor, 100'00);
}

TEST(AgingTest, DisputedAmountCappedAtOutstanding) {
  Stream a("a");
  const ReceivablesState state = Fold({
      a.Invoice("inv", 900'00, CivilDay(2026, 2, 1), CivilDay(2026, 3, 1)),
      a.DisputeOpened("d-1", "inv", 300'00, CivilDay(2026, 3, 5)),
      a.Payment("pay", 700'00, CivilDay(2026, 3, 20), {{"inv", 700'00}}),
  });
  // 900.00 - 700.00 = 200.00 left, below the 300.00 disputed.
  const AgingRow& total = OnlyTotal(Aging(state, CivilDay(2026, 3, 31)));
  EXPECT_EQ(total.outstanding_minor, 200'00);
  EXPECT_EQ(total.disputed_minor, 200'00);
}

TEST(AgingTest, GroupsByOwnerJurisdictionAndKind) {
  Stream a("a");
  Stream b("b");
  Stream c("c");
  const ReceivablesState state = Fold({
      a.Registered(v1::JURISDICTION_CN, v1::CLIENT_KIND_GOVERNMENT_ORGAN),
      a.OwnerAssigned("li"),
      b.Registered(v1::JURISDICTION_CN, v1::CLIENT_KIND_PUBLIC_INSTITUTION),
      b.OwnerAssigned("li"),
      c.Registered(v1::JURISDICTION_US, v1::CLIENT_KIND_GOVERNMENT_ORGAN),
      c.OwnerAssigned("wang"),
      a.Invoice("a-1", 100'00, CivilDay(2026, 3, 1), CivilDay(2026, 3, 31), "CNY"),
      b.Invoice("b-1", 200'00, CivilDay(2026, 3, 1), CivilDay(2026, 3, 31), "CNY"),
      c.Invoice("c-1", 400'00, CivilDay(2026, 3, 1), CivilDay(2026, 3, 31), "USD"),
  });
  const CivilDay as_of(2026, 3, 31);
  AgingOptions options;
  options.group_by = AgingGroupBy::kAccountOwner;
  AgingReport report = Aging(state, as_of, options);
  ASSERT_EQ(report.rows.size(), 2u);
  EXPECT_EQ(report.rows[0].group, "li");
  EXPECT_EQ(report.rows[0].outstanding_minor, 300'00);  // a 100.00 + b 200.00 CNY
  ASSERT_EQ(report.rows[0].invoice_lines.size(), 2u);
  EXPECT_EQ(report.rows[1].group, "wang");
  EXPECT_EQ(report.rows[1].outstanding_minor, 400'00);

  options.group_by = AgingGroupBy::kJurisdiction;
  report = Aging(state, as_of, options);
  ASSERT_EQ(report.rows.size(), 2u);
  EXPECT_EQ(report.rows[0].group, "JURISDICTION_CN");
  EXPECT_EQ(report.rows[0].outstanding_minor, 300'00);
  EXPECT_EQ(report.rows[1].group, "JURISDICTION_US");

  options.group_by = AgingGroupBy::kClientKind;
  report = Aging(state, as_of, options);
  ASSERT_EQ(report.rows.size(), 3u);  // organ in CNY and USD, institution in CNY
  EXPECT_EQ(report.rows[0].group, "CLIENT_KIND_GOVERNMENT_ORGAN");
  EXPECT_EQ(report.rows[0].currency, "CNY");
  EXPECT_EQ(report.rows[0].outstanding_minor, 100'00);
  EXPECT_EQ(report.rows[1].group, "CLIENT_KIND_GOVERNMENT_ORGAN");
  EXPECT_EQ(report.rows[1].currency, "USD");
  EXPECT_EQ(report.rows[2].group, "CLIENT_KIND_PUBLIC_INSTITUTION");
}

TEST(AgingTest, CurrenciesKeptApart) {
  Stream a("a");
  const ReceivablesState state = Fold({
      a.Invoice("usd", 100'00, CivilDay(2026, 3, 1), CivilDay(2026, 3, 31), "USD"),
      a.Invoice("cny", 700'00, CivilDay(2026, 3, 1), CivilDay(2026, 3, 10), "CNY"),
      a.Invoice("jpy", 5000, CivilDay(2026, 3, 1), CivilDay(2026, 3, 10), "JPY"),
      a.Payment("pay-cny", 50'00, CivilDay(2026, 3, 20), {}, "CNY"),
      // A USD payment naming a CNY invoice is refused: the whole payment stays unapplied.
      a.Payment("pay-usd", 10'00, CivilDay(2026, 3, 20), {{"cny", 10'00}}, "USD"),
  });
  const AgingReport report = Aging(state, CivilDay(2026, 3, 31));
  ASSERT_EQ(report.totals.size(), 3u);  // CNY, JPY, USD
  EXPECT_EQ(report.totals[0].currency, "CNY");
  EXPECT_EQ(report.totals[0].outstanding_by_bucket_minor[1], 700'00);  // age 21
  EXPECT_EQ(report.totals[0].unapplied_cash_minor, -50'00);
  EXPECT_EQ(report.totals[0].net_minor, 650'00);
  EXPECT_EQ(report.totals[1].currency, "JPY");
  EXPECT_EQ(report.totals[1].outstanding_minor, 5000);
  EXPECT_EQ(report.totals[2].currency, "USD");
  EXPECT_EQ(report.totals[2].outstanding_by_bucket_minor[0], 100'00);  // age 0
  EXPECT_EQ(report.totals[2].unapplied_cash_minor, -10'00);
  EXPECT_EQ(state.ignored_events().at("currency mismatch"), 1u);

  const absl::StatusOr<std::vector<DsoReport>> dso =
      ComputeDso(state, CivilDay(2026, 3, 1), CivilDay(2026, 3, 31));
  ASSERT_TRUE(dso.ok());
  ASSERT_EQ(dso->size(), 3u);
  EXPECT_EQ((*dso)[0].currency, "CNY");
  EXPECT_EQ((*dso)[0].credit_sales_minor, 700'00);
  EXPECT_EQ((*dso)[2].currency, "USD");
  EXPECT_EQ((*dso)[2].credit_sales_minor, 100'00);
}

// ------------------------------------------------------------------------------ DSO

// Sales of 1,400.00 in February 2026 (28 days), 3,100.00 in March (31) and 3,000.00 in
// April (30); an older January invoice was paid in February.
ReceivablesState DsoScenario() {
  Stream a("a");
  return Fold({
      a.Invoice("jan", 1000'00, CivilDay(2026, 1, 15), CivilDay(2026, 2, 14)),
      a.Invoice("feb", 1400'00, CivilDay(2026, 2, 10), CivilDay(2026, 3, 12)),
      a.Invoice("mar", 3100'00, CivilDay(2026, 3, 10), CivilDay(2026, 4, 9)),
      a.Invoice("apr", 3000'00, CivilDay(2026, 4, 10), CivilDay(2026, 5, 10)),
      a.Payment("pay-jan", 1000'00, CivilDay(2026, 2, 15), {{"jan", 1000'00}}),
      a.Payment("pay-feb", 700'00, CivilDay(2026, 4, 20), {{"feb", 700'00}}),
  });
}

TEST(DsoTest, CountbackSimpleBestPossibleAddAndCei) {
  const ReceivablesState state = DsoScenario();
  // Period 2026-02-01..2026-04-30: D = 28 + 31 + 30 = 89 days.
  const absl::StatusOr<std::vector<DsoReport>> reports =
      ComputeDso(state, CivilDay(2026, 2, 1), CivilDay(2026, 4, 30));
  ASSERT_TRUE(reports.ok()) << reports.status();
  ASSERT_EQ(reports->size(), 1u);
  const DsoReport& r = (*reports)[0];
  EXPECT_EQ(r.period_days, 89);
  // Credit sales: 1,400.00 + 3,100.00 + 3,000.00 = 7,500.00.
  EXPECT_EQ(r.credit_sales_minor, 7500'00);
  // Ending AR on 04-30: feb 1,400.00 - 700.00 = 700.00, mar 3,100.00, apr 3,000.00.
  EXPECT_EQ(r.ending_ar_minor, 6800'00);
  // Beginning AR on 01-31: jan 1,000.00 (paid 02-15).
  EXPECT_EQ(r.beginning_ar_minor, 1000'00);
  // Current AR on 04-30: only apr (due 05-10) is not past due.
  EXPECT_EQ(r.ending_current_ar_minor, 3000'00);

  // Countback: 6,800 - 3,000 (Apr) = 3,800, 30 days; 3,800 - 3,100 (Mar) = 700, +31;
  // 700 < 1,400 (Feb): + 700 / 1,400 * 28 = 14. DSO = 30 + 31 + 14 = 75.
  ASSERT_TRUE(r.countback_dso_days.has_value());
  EXPECT_DOUBLE_EQ(*r.countback_dso_days, 75.0);
  EXPECT_EQ(r.countback_months_walked, 3);
  EXPECT_FALSE(r.countback_sales_exhausted);
  EXPECT_EQ(r.dso_days, r.countback_dso_days);
  // Simple: 6,800 / 7,500 * 89 = 80.6933...
  EXPECT_NEAR(*r.simple_dso_days, 6800.0 / 7500.0 * 89.0, 1e-9);
  EXPECT_NEAR(*r.simple_dso_days, 80.693333333, 1e-8);
  // Best possible: 3,000 / 7,500 * 89 = 35.6; ADD = 75 - 35.6 = 39.4.
  EXPECT_NEAR(*r.best_possible_dso_days, 35.6, 1e-9);
  EXPECT_NEAR(*r.average_days_delinquent, 39.4, 1e-9);
  // CEI: (1,000 + 7,500 - 6,800) / (1,000 + 7,500 - 3,000) * 100 = 1,700 / 5,500 * 100.
  EXPECT_NEAR(*r.cei_percent, 30.909090909, 1e-8);

  // The simple method feeds ADD when chosen: 80.6933 - 35.6 = 45.0933.
  DsoOptions simple;
  simple.method = DsoMethod::kSimple;
  const absl::StatusOr<std::vector<DsoReport>> s =
      ComputeDso(state, CivilDay(2026, 2, 1), CivilDay(2026, 4, 30), simple);
  ASSERT_TRUE(s.ok());
  EXPECT_NEAR(*(*s)[0].average_days_delinquent, 6800.0 / 7500.0 * 89.0 - 35.6, 1e-9);
}

TEST(DsoTest, CountbackCutsTheLastMonthAtPeriodEnd) {
  const ReceivablesState state = DsoScenario();
  // On 2026-04-15 AR is feb 1,400.00 + mar 3,100.00 + apr 3,000.00 = 7,500.00; April's
  // sales so far are 3,000.00 over 15 days: 7,500 - 3,000 = 4,500, 15 days; 4,500 -
  // 3,100 = 1,400, +31; 1,400 is not smaller than Feb's 1,400: -1,400, +28, remainder 0.
  // DSO = 15 + 31 + 28 = 74.
  const absl::StatusOr<std::vector<DsoReport>> r =
      ComputeDso(state, CivilDay(2026, 4, 1), CivilDay(2026, 4, 15));
  ASSERT_TRUE(r.ok());
  EXPECT_DOUBLE_EQ(*(*r)[0].countback_dso_days, 74.0);
  EXPECT_EQ((*r)[0].countback_months_walked, 3);
}

TEST(DsoTest, CountbackStopsAtItsMonthLimit) {
  DsoOptions options;
  options.countback_max_months = 2;
  const absl::StatusOr<std::vector<DsoReport>> r =
      ComputeDso(DsoScenario(), CivilDay(2026, 2, 1), CivilDay(2026, 4, 30), options);
  ASSERT_TRUE(r.ok());
  // Apr and Mar explain 6,100.00 of 6,800.00: 30 + 31 = 61 days, a lower bound.
  EXPECT_DOUBLE_EQ(*(*r)[0].countback_dso_days, 61.0);
  EXPECT_TRUE((*r)[0].countback_sales_exhausted);

  options.countback_max_months = 0;
  EXPECT_EQ(ComputeDso(DsoScenario(), CivilDay(2026, 2, 1), CivilDay(2026, 4, 30), options)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ComputeDso(DsoScenario(), CivilDay(2026, 5, 1), CivilDay(2026, 4, 30)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(DsoTest, NoSalesLeavesRatiosUnset) {
  const absl::StatusOr<std::vector<DsoReport>> r =
      ComputeDso(DsoScenario(), CivilDay(2026, 6, 1), CivilDay(2026, 6, 30));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].credit_sales_minor, 0);
  EXPECT_FALSE((*r)[0].simple_dso_days.has_value());
  EXPECT_FALSE((*r)[0].best_possible_dso_days.has_value());
  // Countback still walks: June (30) and May (31) had no sales, then 6,800 - 3,000 (Apr),
  // +30; 3,800 - 3,100 (Mar), +31; 700 / 1,400 * 28 = 14. 30 + 31 + 30 + 31 + 14 = 136.
  EXPECT_DOUBLE_EQ(*(*r)[0].countback_dso_days, 136.0);
}

// ------------------------------------------------------------------------ days late

TEST(DaysLateTest, AmountWeightedAverage) {
  Stream a("a");
  const ReceivablesState state = Fold({
      a.Invoice("x", 1000'00, CivilDay(2026, 2, 1), CivilDay(2026, 3, 1)),
      a.Invoice("y", 3000'00, CivilDay(2026, 2, 1), CivilDay(2026, 3, 10)),
      a.Invoice("z", 2000'00, CivilDay(2026, 2, 1), CivilDay(2026, 3, 21)),
      a.Invoice("w", 5000'00, CivilDay(2026, 3, 1), CivilDay(2026, 4, 15)),
      a.Payment("pay-x", 1000'00, CivilDay(2026, 3, 11), {{"x", 1000'00}}),
      a.Payment("pay-y", 3000'00, CivilDay(2026, 3, 5), {{"y", 3000'00}}),
      a.Payment("pay-z", 500'00, CivilDay(2026, 3, 25), {{"z", 500'00}}),
  });
  const CivilDay as_of(2026, 3, 31);
  // x paid 10 days late; y 5 days early, floored to 0; z partly paid, still owed on
  // 03-31: 10 days; w not yet due.
  EXPECT_EQ(InvoiceDaysLate(InvoiceOf(state, "a", "x"), as_of), 10);
  EXPECT_EQ(InvoiceDaysLate(InvoiceOf(state, "a", "y"), as_of), 0);
  EXPECT_EQ(InvoiceDaysLate(InvoiceOf(state, "a", "z"), as_of), 10);
  EXPECT_EQ(InvoiceDaysLate(InvoiceOf(state, "a", "w"), as_of), 0);
  EXPECT_EQ(InvoiceDaysLate(InvoiceOf(state, "a", "w"), CivilDay(2026, 2, 28)), std::nullopt);
  // (1,000 * 10 + 3,000 * 0 + 2,000 * 10) / (1,000 + 3,000 + 2,000) = 30,000 / 6,000 = 5.
  const std::vector<DaysLateReport> reports = ComputeAverageDaysLate(state, as_of);
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0].invoice_count, 3);
  EXPECT_EQ(reports[0].billed_minor, 6000'00);
  EXPECT_DOUBLE_EQ(*reports[0].average_days_late, 5.0);
  // Only invoices due from 03-10: (3,000 * 0 + 2,000 * 10) / 5,000 = 4.
  DaysLateOptions options;
  options.due_from = CivilDay(2026, 3, 10);
  EXPECT_DOUBLE_EQ(*ComputeAverageDaysLate(state, as_of, options)[0].average_days_late, 4.0);
}

// ------------------------------------------------------------------------- promises

ReceivablesState PromiseScenario() {
  Stream a("a");
  const CivilDay made_on(2026, 3, 2);
  return Fold({
      a.Invoice("p1", 1000'00, CivilDay(2026, 2, 1), CivilDay(2026, 3, 1)),
      a.Invoice("p2", 1000'00, CivilDay(2026, 2, 1), CivilDay(2026, 3, 1)),
      // Judged on 03-10 + 3 = 03-13; any USD payment counts.
      a.PromiseMade("kept", 500'00, made_on, CivilDay(2026, 3, 10)),
      // Judged on 03-13; only money allocated to p2 counts.
      a.PromiseMade("late", 300'00, made_on, CivilDay(2026, 3, 10), {"p2"}),
      // Judged on 03-11 + 3 = 03-14.
      a.PromiseMade("partial", 1000'00, made_on, CivilDay(2026, 3, 11)),
      a.PromiseMade("cancelled", 100'00, made_on, CivilDay(2026, 3, 5)),
      a.PromiseCancelled("cancelled", CivilDay(2026, 3, 4)),
      // 500.00 to p1 on 03-13, the last tolerance day of "kept" and "late".
      a.Payment("pay-1", 500'00, CivilDay(2026, 3, 13), {{"p1", 500'00}}),
      // 300.00 to p2 on 03-14, the day after.
      a.Payment("pay-2", 300'00, CivilDay(2026, 3, 14), {{"p2", 300'00}}),
  });
}

absl::StatusOr<PromiseReport> Promises(CivilDay as_of) {
  return ComputePromises(PromiseScenario(), as_of);
}

TEST(PromiseTest, OpenUntilTheJudgementDay) {
  const absl::StatusOr<PromiseReport> r = Promises(CivilDay(2026, 3, 12));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->open.size(), 3u);  // kept, late, partial; the cancelled one is left out
  EXPECT_TRUE(r->judged.empty());
  EXPECT_FALSE(r->broken_rate.has_value());
  EXPECT_EQ(r->open[0].promise_id, "kept");
  EXPECT_EQ(r->open[0].judged_on, CivilDay(2026, 3, 13));
}

TEST(PromiseTest, JudgedOnTheLastToleranceDay) {
  const absl::StatusOr<PromiseReport> r = Promises(CivilDay(2026, 3, 13));
  ASSERT_TRUE(r.ok());
  // kept: pay-1 500.00 on 03-13 >= 500.00. late: nothing allocated to p2 by 03-13 (pay-1
  // went to p1): broken. partial: judged 03-14, still open with 500.00 so far.
  ASSERT_EQ(r->judged.size(), 2u);
  EXPECT_EQ(r->judged[0].promise_id, "kept");
  EXPECT_EQ(r->judged[0].status, PromiseStatus::kKept);
  EXPECT_EQ(r->judged[0].received_minor, 500'00);
  EXPECT_EQ(r->judged[1].promise_id, "late");
  EXPECT_EQ(r->judged[1].status, PromiseStatus::kBroken);
  ASSERT_EQ(r->open.size(), 1u);
  EXPECT_EQ(r->open[0].promise_id, "partial");
  EXPECT_EQ(r->open[0].received_minor, 500'00);
  // 1 broken of 2 judged.
  EXPECT_DOUBLE_EQ(*r->broken_rate, 0.5);
}

TEST(PromiseTest, PaymentTheDayAfterDoesNotKeepIt) {
  const absl::StatusOr<PromiseReport> r = Promises(CivilDay(2026, 3, 14));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->judged.size(), 3u);
  // late stays broken: pay-2 reached p2 on 03-14, after its judgement day 03-13.
  EXPECT_EQ(r->judged[1].promise_id, "late");
  EXPECT_EQ(r->judged[1].status, PromiseStatus::kBroken);
  // partial: 500.00 + 300.00 = 800.00 of 1,000.00 by 03-14.
  EXPECT_EQ(r->judged[2].promise_id, "partial");
  EXPECT_EQ(r->judged[2].status, PromiseStatus::kPartiallyKept);
  EXPECT_EQ(r->judged[2].received_minor, 800'00);
  EXPECT_EQ(r->kept_count, 1);
  EXPECT_EQ(r->partially_kept_count, 1);
  EXPECT_EQ(r->broken_count, 1);
  EXPECT_DOUBLE_EQ(*r->broken_rate, 1.0 / 3.0);
  EXPECT_TRUE(r->open.empty());
}

TEST(PromiseTest, ToleranceIsConfigurable) {
  PromiseOptions options;
  options.tolerance_days = 4;
  // "late" is now judged on 03-14, when pay-2 reaches p2: kept.
  const absl::StatusOr<PromiseReport> r =
      ComputePromises(PromiseScenario(), CivilDay(2026, 3, 14), options);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->judged.size(), 2u);
  EXPECT_EQ(r->judged[1].promise_id, "late");
  EXPECT_EQ(r->judged[1].status, PromiseStatus::kKept);
  options.tolerance_days = -1;
  EXPECT_FALSE(ComputePromises(PromiseScenario(), CivilDay(2026, 3, 14), options).ok());
}

// ---------------------------------------------------------------- fold and snapshot

std::vector<v1::Event> EverythingScenario() {
  Stream a("a");
  Stream b("b");
  return {
      a.Registered(),
      a.OwnerAssigned("li"),
      b.Registered(v1::JURISDICTION_EU, v1::CLIENT_KIND_STATE_OWNED_ENTERPRISE),
      a.Invoice("i1", 1000'00, CivilDay(2026, 1, 5), CivilDay(2026, 2, 4)),
      a.Invoice("i2", 2000'00, CivilDay(2026, 1, 6), CivilDay(2026, 3, 7), "CNY"),
      b.Invoice("i1", 3000'00, CivilDay(2026, 1, 7), CivilDay(2026, 2, 6), "EUR"),
      a.Payment("p1", 1500'00, CivilDay(2026, 2, 1), {{"i1", 400'00}}),
      a.Allocated("p1", CivilDay(2026, 2, 10), {{"i1", 600'00}}),
      a.Payment("p2", 500'00, CivilDay(2026, 2, 1), {}, "CNY"),
      a.Reversed("p2", CivilDay(2026, 2, 3)),
      a.CreditNote("c1", "i2", 100'00, CivilDay(2026, 2, 2), "CNY"),
      a.CreditNote("c2", "", 10'00, CivilDay(2026, 2, 2), "EUR"),
      a.WrittenOff("i2", 50'00, CivilDay(2026, 2, 4)),
      a.PromiseMade("pr1", 100'00, CivilDay(2026, 2, 5), CivilDay(2026, 2, 20), {"i1"}),
      a.PromiseCancelled("pr1", CivilDay(2026, 2, 6)),
      b.DisputeOpened("d1", "i1", 30'00, CivilDay(2026, 2, 7)),
      b.DisputeResolved("d1", v1::DISPUTE_OUTCOME_UPHELD, 0, CivilDay(2026, 2, 8)),
      a.Payment("bad", 1'00, CivilDay(2026, 2, 1), {{"nope", 1'00}}),
      a.Reversed("missing", CivilDay(2026, 2, 1)),
  };
}

TEST(ReceivablesStateTest, FoldsEveryMovement) {
  const ReceivablesState state = Fold(EverythingScenario());
  EXPECT_EQ(state.applied_event_count(), 19u);
  ASSERT_EQ(state.clients().size(), 2u);
  const Client& a = *state.FindClient("a");
  EXPECT_TRUE(a.registered);
  EXPECT_EQ(a.account_owner, "li");
  // i1: 1,000.00 - 400.00 - 600.00 = 0; i2: 2,000.00 - 100.00 - 50.00 = 1,850.00.
  EXPECT_EQ(a.invoices.at("i1").OutstandingNow(), 0);
  EXPECT_EQ(a.invoices.at("i1").SettledOn(CivilDay(2026, 3, 1)), CivilDay(2026, 2, 10));
  EXPECT_EQ(a.invoices.at("i2").OutstandingNow(), 1850'00);
  // p1: 1,500.00 - 1,000.00 = 500.00 unapplied; "bad" named an unknown invoice and stays
  // unapplied whole.
  EXPECT_EQ(a.payments.at("p1").UnappliedNow(), 500'00);
  EXPECT_EQ(a.payments.at("bad").UnappliedNow(), 1'00);
  EXPECT_EQ(state.ignored_events().at("unknown invoice"), 1u);
  EXPECT_EQ(state.ignored_events().at("unknown payment"), 1u);
  const Dispute& d1 = state.FindClient("b")->disputes.at("d1");
  ASSERT_TRUE(d1.resolution.has_value());
  // UPHELD concedes the whole disputed amount; the invoice waits for its credit note.
  EXPECT_EQ(d1.resolution->conceded_minor, 30'00);
  EXPECT_EQ(state.FindClient("b")->invoices.at("i1").OutstandingNow(), 3000'00);
}

TEST(ReceivablesStateTest, IgnoresSurprisingInput) {
  ReceivablesState state;
  v1::Event foreign = Stream("a").Invoice("i", 1, CivilDay(2026, 1, 1), CivilDay(2026, 1, 1));
  foreign.set_stream("ledger-admin");
  state.Apply(foreign);
  v1::Event bad_date = Stream("a").Invoice("i", 1, CivilDay(2026, 1, 1), CivilDay(2026, 1, 1));
  bad_date.mutable_invoice_issued()->mutable_due_date()->set_day(30);
  bad_date.mutable_invoice_issued()->mutable_due_date()->set_month(2);
  state.Apply(bad_date);
  Stream a("a");
  state.Apply(a.Invoice("i", 100, CivilDay(2026, 1, 1), CivilDay(2026, 1, 1)));
  state.Apply(a.Invoice("i", 100, CivilDay(2026, 1, 1), CivilDay(2026, 1, 1)));
  state.Apply(a.Payment("p", 100, CivilDay(2026, 1, 2), {{"i", 200}}));
  state.Apply(a.DisputeResolved("none", v1::DISPUTE_OUTCOME_REJECTED, 0, CivilDay(2026, 1, 3)));
  EXPECT_EQ(state.ignored_events().at("stream is not client-<id>"), 1u);
  EXPECT_EQ(state.ignored_events().at("invalid date"), 1u);
  EXPECT_EQ(state.ignored_events().at("duplicate invoice"), 1u);
  EXPECT_EQ(state.ignored_events().at("allocations exceed payment"), 1u);
  EXPECT_EQ(state.ignored_events().at("unknown dispute"), 1u);
  EXPECT_EQ(state.FindClient("a")->invoices.at("i").OutstandingNow(), 100);
}

TEST(ReceivablesStateTest, SnapshotRoundTrip) {
  const std::vector<v1::Event> events = EverythingScenario();
  const ReceivablesState live = Fold(events);
  const std::string bytes = live.Serialize();
  const absl::StatusOr<ReceivablesState> restored = ReceivablesState::Deserialize(bytes);
  ASSERT_TRUE(restored.ok()) << restored.status();
  EXPECT_EQ(*restored, live);
  EXPECT_EQ(restored->Serialize(), bytes);
  EXPECT_EQ(restored->last_position(), live.last_position());

  // Resuming from a snapshot taken halfway equals folding everything from zero.
  const size_t half = events.size() / 2;
  const ReceivablesState first_half = Fold({events.begin(), events.begin() + half});
  absl::StatusOr<ReceivablesState> resumed = ReceivablesState::Deserialize(first_half.Serialize());
  ASSERT_TRUE(resumed.ok());
  for (size_t i = half; i < events.size(); ++i) resumed->Apply(events[i]);
  EXPECT_EQ(*resumed, live);

  EXPECT_EQ(ReceivablesState::Deserialize(ReceivablesState().Serialize()).value(),
            ReceivablesState());
}

// A state of 1,000 clients is serialized in parts on several threads (state_codec.cc):
// the parts must join into the one canonical encoding, which Deserialize checks (client
// ids ascending, nothing left over) and which re-serializes to the same bytes.
TEST(ReceivablesStateTest, LargeStateSerializesInPartsToTheSameBytes) {
  std::vector<v1::Event> events;
  for (int c = 999; c >= 0; --c) {
    Stream s(absl::StrFormat("c%04d", c));
    events.push_back(s.Registered());
    events.push_back(s.Invoice("INV-1", 100 * (c + 1), CivilDay(2025, 1, 2), CivilDay(2025, 2, 1)));
    if (c % 2 == 0) {
      events.push_back(
          s.Payment("PAY-1", 40 * (c + 1), CivilDay(2025, 1, 20), {{"INV-1", 40 * (c + 1)}}));
    }
  }
  const ReceivablesState live = Fold(events);
  ASSERT_EQ(live.clients().size(), 1000u);
  const std::string bytes = live.Serialize();
  const absl::StatusOr<ReceivablesState> restored = ReceivablesState::Deserialize(bytes);
  ASSERT_TRUE(restored.ok()) << restored.status();
  EXPECT_EQ(*restored, live);
  EXPECT_EQ(restored->Serialize(), bytes);
  // Client c0998 (even): 99,900 billed, 39,960 paid, 59,940 outstanding.
  EXPECT_EQ(restored->FindClient("c0998")->invoices.at("INV-1").OutstandingNow(), 59'940);
  EXPECT_EQ(restored->clients().begin()->first, "c0000");
}

TEST(ReceivablesStateTest, SnapshotCorruptionIsRejected) {
  const std::string bytes = Fold(EverythingScenario()).Serialize();
  EXPECT_EQ(ReceivablesState::Deserialize("nonsense").status().code(),
            absl::StatusCode::kFailedPrecondition);
  std::string future = bytes;
  future[5] = 2;  // the version byte after the magic
  EXPECT_EQ(ReceivablesState::Deserialize(future).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReceivablesState::Deserialize(bytes + "x").status().code(),
            absl::StatusCode::kDataLoss);
  // Every truncation fails cleanly.
  for (size_t size = 6; size < bytes.size(); ++size) {
    EXPECT_EQ(
        ReceivablesState::Deserialize(std::string_view(bytes).substr(0, size)).status().code(),
        absl::StatusCode::kDataLoss)
        << size;
  }
  // Varints only in their shortest form (found by tests/fuzz/fuzz_decode): 0x7a padded
  // with a zero group, and a tenth byte carrying bits beyond the 64th, decode to values
  // that would re-encode to other bytes. The largest value in ten bytes is fine.
  using std::string_literals::operator""s;
  EXPECT_EQ(ReceivablesState::Deserialize("SHRCV\x01\x00\xfa\x00\x00\x00"s).status().code(),
            absl::StatusCode::kDataLoss);
  const std::string nine_ff(9, '\xff');
  EXPECT_EQ(
      ReceivablesState::Deserialize("SHRCV\x01"s + nine_ff + "\x02\x00\x00\x00"s).status().code(),
      absl::StatusCode::kDataLoss);
  const std::string largest = "SHRCV\x01"s + nine_ff + "\x01\x00\x00\x00"s;
  const absl::StatusOr<ReceivablesState> most_events = ReceivablesState::Deserialize(largest);
  ASSERT_TRUE(most_events.ok()) << most_events.status();
  EXPECT_EQ(most_events->applied_event_count(), UINT64_MAX);
  EXPECT_EQ(most_events->Serialize(), largest);
  // Damaged bytes anywhere never crash the reader; whatever it accepts re-encodes to
  // exactly the bytes it read.
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::string damaged = bytes;
    damaged[i] = static_cast<char>(damaged[i] ^ 0x5a);
    const absl::StatusOr<ReceivablesState> state = ReceivablesState::Deserialize(damaged);
    if (state.ok()) {
      EXPECT_EQ(state->Serialize(), damaged) << i;
    }
  }
}

}  // namespace
}  // namespace sixhearts::services::receivables
