// The statutory rule sets against cases computed by hand; every figure's arithmetic is in
// the comment above its assertion. Amounts are minor units (fen, cents).
#include "services/compliance/rules.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "ledger/dates.h"
#include "services/compliance/compliance_state.h"
#include "services/compliance/rates.h"
#include "services/receivables/receivables_state.h"
#include "tests/testing/test_events.h"

namespace sixhearts::services::compliance {
namespace {

using ::sixhearts::testing::D;
using ::sixhearts::testing::Envelope;
using ::sixhearts::testing::Money;

// Both folds fed the same events, as the projection engine feeds them.
class Books {
 public:
  void Add(v1::Event e) {
    e.set_position(++position_);
    receivables_.Apply(e);
    compliance_.Apply(e);
  }
  void Client(v1::Jurisdiction jurisdiction, v1::ClientKind kind, bool sme = true) {
    v1::Event e = Envelope(++id_, "c1", D(2024, 1, 2));
    auto* p = e.mutable_client_registered();
    p->set_client_id("c1");
    p->set_name("Bureau");
    p->set_jurisdiction(jurisdiction);
    p->set_client_kind(kind);
    p->set_seller_is_sme(sme);
    Add(e);
  }
  void Contract(const std::string& id, v1::Date signed_on, int terms, bool acceptance,
                int acceptance_days, int rate_bps = 0) {
    v1::Event e = Envelope(++id_, "c1", signed_on);
    auto* p = e.mutable_contract_signed();
    p->set_contract_id(id);
    *p->mutable_amount() = Money(100'000'000);
    *p->mutable_signed_on() = signed_on;
    p->set_payment_terms_days(terms);
    p->set_acceptance_required(acceptance);
    p->set_acceptance_period_days(acceptance_days);
    p->set_late_interest_rate_bps(rate_bps);
    Add(e);
  }
  void Invoice(const std::string& id, int64_t minor, v1::Date issue,
               std::optional<v1::Date> delivery, std::optional<v1::Date> received = std::nullopt,
               const std::string& contract = "", const std::string& currency = "CNY") {
    v1::Event e = Envelope(++id_, "c1", issue);
    auto* p = e.mutable_invoice_issued();
    p->set_invoice_id(id);
    p->set_contract_id(contract);
    *p->mutable_amount() = Money(minor, currency);
    *p->mutable_issue_date() = issue;
    *p->mutable_due_date() = issue;
    if (delivery) *p->mutable_delivery_date() = *delivery;
    if (received) *p->mutable_received_date() = *received;
    Add(e);
  }
  void Accept(const std::string& invoice, v1::Date on) {
    v1::Event e = Envelope(++id_, "c1", on);
    e.mutable_invoice_accepted()->set_invoice_id(invoice);
    *e.mutable_invoice_accepted()->mutable_acceptance_date() = on;
    Add(e);
  }
  void Pay(const std::string& invoice, int64_t minor, v1::Date on,
           const std::string& currency = "CNY") {
    v1::Event e = Envelope(++id_, "c1", on);
    auto* p = e.mutable_payment_received();
    p->set_payment_id(absl::StrCat("P", id_));
    *p->mutable_amount() = Money(minor, currency);
    *p->mutable_value_date() = on;
    auto* a = p->add_allocations();
    a->set_invoice_id(invoice);
    a->set_amount_minor(minor);
    Add(e);
  }
  void Dispute(const std::string& invoice, int64_t minor, v1::Date on) {
    v1::Event e = Envelope(++id_, "c1", on);
    auto* p = e.mutable_dispute_opened();
    p->set_dispute_id(absl::StrCat("D", id_));
    p->set_invoice_id(invoice);
    p->set_amount_minor(minor);
    p->set_reason("quantity");
    *p->mutable_opened_on() = on;
    Add(e);
  }

  InvoiceAssessment Assess(const std::string& invoice, v1::Date as_of) const {
    const receivables::Client& client = *receivables_.FindClient("c1");
    const RuleSet rule = ChooseRuleSet(client).rule_set;
    return AssessInvoice("c1", client, client.invoices.at(invoice), compliance_.FindClient("c1"),
                         rule, ledger::ToCivilDay(as_of));
  }
  std::vector<TermFinding> Findings(const std::string& contract, v1::Date as_of) const {
    const receivables::Client& client = *receivables_.FindClient("c1");
    return CheckContractTerms("c1", compliance_.FindClient("c1")->contracts.at(contract),
                              ChooseRuleSet(client).rule_set, ledger::ToCivilDay(as_of));
  }
  const ComplianceState& compliance() const { return compliance_; }

 private:
  receivables::ReceivablesState receivables_;
  ComplianceState compliance_;
  uint64_t id_ = 0;
  uint64_t position_ = 0;
};

absl::CivilDay Day(int y, int m, int d) { return absl::CivilDay(y, m, d); }

// ------------------------------------------------------------------------------ CN

TEST(CnRules, ThirtyDaysFromDeliveryAndFiveHundredthsPercentADay) {
  Books b;
  b.Client(v1::JURISDICTION_CN, v1::CLIENT_KIND_GOVERNMENT_ORGAN);
  // CNY 100,000.00 delivered 2025-07-01, no contract: Art 9 due 2025-07-01 + 30 = 07-31.
  b.Invoice("I1", 10'000'000, D(2025, 7, 1), D(2025, 7, 1));
  InvoiceAssessment a = b.Assess("I1", D(2025, 8, 30));
  EXPECT_EQ(a.rule_set, RuleSet::kCn);
  EXPECT_EQ(a.clock_start, ClockStart::kDelivery);
  EXPECT_EQ(a.statutory_due_date, Day(2025, 7, 31));
  EXPECT_EQ(a.status, StatutoryStatus::kOverdue);
  // 08-30 - 07-31 = 30 days (08-01 .. 08-30).
  EXPECT_EQ(a.days_overdue, 30);
  EXPECT_EQ(a.overdue_minor, 10'000'000);
  // Art 17, no rate agreed: 10,000,000 x 0.05% x 30 days = 10,000,000 x 500 x 30 / 1e6
  // = 150,000 fen (CNY 1,500.00).
  EXPECT_TRUE(a.rate_per_day);
  EXPECT_EQ(a.rate_ppm, 500);
  EXPECT_EQ(a.interest_minor, 150'000);
  EXPECT_EQ(a.due_rule, "CN Art 9: 30 days from delivery on 2025-07-01");
  EXPECT_EQ(a.interest_rule, "CN Art 17: no rate agreed; 0.05% a day, simple");
  // On the due date itself nothing is overdue yet.
  EXPECT_EQ(b.Assess("I1", D(2025, 7, 31)).status, StatutoryStatus::kNotDue);
  EXPECT_EQ(b.Assess("I1", D(2025, 7, 31)).interest_minor, 0);
}

TEST(CnRules, AcceptanceAsConditionStartsTheClock) {
  Books b;
  b.Client(v1::JURISDICTION_CN, v1::CLIENT_KIND_PUBLIC_INSTITUTION);
  b.Contract("K1", D(2025, 6, 1), 0, /*acceptance=*/true, /*acceptance_days=*/15);
  b.Invoice("I1", 10'000'000, D(2025, 7, 1), D(2025, 7, 1), std::nullopt, "K1");
  // Before acceptance and within the period (07-01 + 15 = 07-16): provisional due date
  // 07-16 + 30 = 08-15.
  InvoiceAssessment pending = b.Assess("I1", D(2025, 7, 5));
  EXPECT_EQ(pending.clock_start, ClockStart::kAcceptancePending);
  EXPECT_TRUE(pending.provisional);
  EXPECT_EQ(pending.statutory_due_date, Day(2025, 8, 15));
  // Accepted 07-10, inside the period: Art 10, due 07-10 + 30 = 08-09.
  b.Accept("I1", D(2025, 7, 10));
  InvoiceAssessment a = b.Assess("I1", D(2025, 8, 19));
  EXPECT_EQ(a.clock_start, ClockStart::kAcceptance);
  EXPECT_FALSE(a.provisional);
  EXPECT_EQ(a.statutory_due_date, Day(2025, 8, 9));
  // 08-19 - 08-09 = 10 days; 10,000,000 x 500 x 10 / 1e6 = 50,000.
  EXPECT_EQ(a.days_overdue, 10);
  EXPECT_EQ(a.interest_minor, 50'000);
  EXPECT_EQ(a.due_rule, "CN Art 10: acceptance on 2025-07-10 starts the clock; Art 9: 30 days");
}

TEST(CnRules, LateAcceptanceStartsAtTheEndOfTheAgreedPeriod) {
  Books b;
  b.Client(v1::JURISDICTION_CN, v1::CLIENT_KIND_GOVERNMENT_ORGAN);
  b.Contract("K1", D(2025, 6, 1), 0, true, 15);
  b.Invoice("I1", 10'000'000, D(2025, 7, 1), D(2025, 7, 1), std::nullopt, "K1");
  // Accepted 07-25, after the period ended 07-16: the clock starts 07-16, due 08-15.
  b.Accept("I1", D(2025, 7, 25));
  InvoiceAssessment a = b.Assess("I1", D(2025, 8, 19));
  EXPECT_EQ(a.clock_start, ClockStart::kAcceptancePeriodEnd);
  EXPECT_EQ(a.statutory_due_date, Day(2025, 8, 15));
  // 4 days (08-16 .. 08-19): 10,000,000 x 500 x 4 / 1e6 = 20,000.
  EXPECT_EQ(a.days_overdue, 4);
  EXPECT_EQ(a.interest_minor, 20'000);
}

TEST(CnRules, NinetyDayContractTermIsFlaggedAndCappedAtSixty) {
  Books b;
  b.Client(v1::JURISDICTION_CN, v1::CLIENT_KIND_GOVERNMENT_ORGAN);
  b.Contract("K90", D(2025, 6, 1), 90, false, 0);
  b.Invoice("I1", 10'000'000, D(2025, 7, 1), D(2025, 7, 1), std::nullopt, "K90");
  // Art 9: at most 60 days, so due 07-01 + 60 = 08-30, not 07-01 + 90 = 09-29.
  InvoiceAssessment a = b.Assess("I1", D(2025, 9, 9));
  EXPECT_EQ(a.term_days, 60);
  EXPECT_EQ(a.statutory_due_date, Day(2025, 8, 30));
  EXPECT_EQ(a.days_overdue, 10);
  std::vector<TermFinding> findings = b.Findings("K90", D(2025, 9, 9));
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].article, "CN Art 9");
  EXPECT_EQ(findings[0].term, "payment_terms_days");
  EXPECT_EQ(findings[0].value, 90);
  EXPECT_EQ(findings[0].limit, 60);
  EXPECT_EQ(findings[0].finding, "payment term of 90 days exceeds the 60 days allowed");
}

TEST(CnRules, UndisputedPartOfAPartlyDisputedInvoiceIsStillDue) {
  Books b;
  b.Client(v1::JURISDICTION_CN, v1::CLIENT_KIND_GOVERNMENT_ORGAN);
  b.Invoice("I1", 10'000'000, D(2025, 7, 1), D(2025, 7, 1));  // due 07-31
  b.Dispute("I1", 4'000'000, D(2025, 7, 20));                 // open throughout
  b.Pay("I1", 2'000'000, D(2025, 8, 10));
  InvoiceAssessment a = b.Assess("I1", D(2025, 8, 30));
  // Art 15: owed = outstanding - disputed. 08-01 .. 08-10 (10 days, the payment day
  // included): 10,000,000 - 4,000,000 = 6,000,000; 08-11 .. 08-30 (20 days): 8,000,000 -
  // 4,000,000 = 4,000,000. Interest = (6,000,000 x 10 + 4,000,000 x 20) x 500 / 1e6
  // = 140,000,000 x 500 / 1e6 = 70,000.
  EXPECT_EQ(a.status, StatutoryStatus::kOverdue);
  EXPECT_EQ(a.outstanding_minor, 8'000'000);
  EXPECT_EQ(a.disputed_minor, 4'000'000);
  EXPECT_EQ(a.overdue_minor, 4'000'000);
  EXPECT_EQ(a.days_overdue, 30);
  EXPECT_EQ(a.interest_minor, 70'000);
  // Paying the undisputed rest on 09-05 leaves only the disputed part: not overdue.
  b.Pay("I1", 4'000'000, D(2025, 9, 5));
  InvoiceAssessment later = b.Assess("I1", D(2025, 9, 30));
  EXPECT_EQ(later.status, StatutoryStatus::kDisputed);
  EXPECT_EQ(later.days_overdue, 36);  // paid 09-05: 09-05 - 07-31
  // Interest stopped on 09-05: 70,000 + 4,000,000 x 6 days (08-31 .. 09-05) x 500 / 1e6
  // = 70,000 + 12,000 = 82,000.
  EXPECT_EQ(later.interest_minor, 82'000);
}

TEST(CnRules, AgreedRateBelowTheLprAtSigningIsRaisedToTheLpr) {
  Books b;
  b.Client(v1::JURISDICTION_CN, v1::CLIENT_KIND_GOVERNMENT_ORGAN);
  // 2% agreed on 2025-06-01, when the 1-year LPR was 3.00% (since 2025-05-20).
  b.Contract("K1", D(2025, 6, 1), 30, false, 0, /*rate_bps=*/200);
  b.Invoice("I1", 10'000'000, D(2025, 7, 1), D(2025, 7, 1), std::nullopt, "K1");
  InvoiceAssessment a = b.Assess("I1", D(2025, 8, 30));
  // 10,000,000 x 3.00% x 30 / 365 = 10,000,000 x 30,000 x 30 / 365e6 = 24,657.53 -> 24,658.
  EXPECT_EQ(a.rate_ppm, 30'000);
  EXPECT_EQ(a.interest_minor, 24'658);
  std::vector<TermFinding> findings = b.Findings("K1", D(2025, 8, 30));
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].article, "CN Art 17");
}

TEST(CnRules, AgreedRateOfEighteenPointTwoFivePercentEqualsTheDailyDefault) {
  Books b;
  b.Client(v1::JURISDICTION_CN, v1::CLIENT_KIND_GOVERNMENT_ORGAN);
  b.Contract("K1", D(2025, 6, 1), 30, false, 0, /*rate_bps=*/1825);
  b.Invoice("I1", 10'000'000, D(2025, 7, 1), D(2025, 7, 1), std::nullopt, "K1");
  // 10,000,000 x 182,500 x 30 / 365e6 = 150,000: the same as 0.05% a day.
  EXPECT_EQ(b.Assess("I1", D(2025, 8, 30)).interest_minor, 150'000);
}

TEST(CnRules, NoRuleForANonSmeSellerOrAStateOwnedEnterprise) {
  receivables::Client client;
  client.jurisdiction = v1::JURISDICTION_CN;
  client.client_kind = v1::CLIENT_KIND_GOVERNMENT_ORGAN;
  client.seller_is_sme = false;
  EXPECT_EQ(ChooseRuleSet(client).rule_set, RuleSet::kNone);
  client.seller_is_sme = true;
  client.client_kind = v1::CLIENT_KIND_STATE_OWNED_ENTERPRISE;
  EXPECT_EQ(ChooseRuleSet(client).rule_set, RuleSet::kNone);
}

// ------------------------------------------------------------------------------ US

TEST(UsRules, CompoundsEvery30DaysAndKeepsTheRateAcrossAHalfYearChange) {
  Books b;
  b.Client(v1::JURISDICTION_US, v1::CLIENT_KIND_GOVERNMENT_ORGAN);
  // USD 100,000.00. Delivered 05-01: constructive acceptance 05-01 + 7 = 05-08, +30 =
  // 06-07. Invoice received 05-16: +30 = 06-15. Due = the later, 2024-06-15. The actual
  // acceptance on 05-20 is later than the constructive one, which therefore counts.
  b.Invoice("I1", 10'000'000, D(2024, 5, 16), D(2024, 5, 1), D(2024, 5, 16), "", "USD");
  b.Accept("I1", D(2024, 5, 20));
  b.Pay("I1", 10'000'000, D(2024, 7, 25), "USD");
  InvoiceAssessment a = b.Assess("I1", D(2024, 8, 1));
  EXPECT_EQ(a.statutory_due_date, Day(2024, 6, 15));
  EXPECT_EQ(a.clock_start, ClockStart::kInvoiceReceipt);
  EXPECT_EQ(a.status, StatutoryStatus::kPaidLate);
  // Paid 07-25: 06-16 .. 07-25 = 40 days.
  EXPECT_EQ(a.days_overdue, 40);
  // The rate in effect on 06-16 is 2024 H1's 4.625%; it stays for the whole period
  // although 2024 H2's rate (4.875%) starts 07-01.
  EXPECT_EQ(a.rate_ppm, 46'250);
  // Days 1-30: 10,000,000 x 0.04625 x 30/360 = 38,541.67 -> 38,542, added to principal:
  // 10,038,542. Days 31-40: 10,038,542 x 0.04625 x 10/360 = 12,896.74 -> 12,897.
  // Interest = 38,542 + 12,897 = 51,439 cents (USD 514.39).
  EXPECT_EQ(a.interest_minor, 51'439);
  EXPECT_EQ(CompoundInterestMinor(10'000'000, 40, 46'250, 360, 30), 51'439);
  // Simple interest would be 10,000,000 x 0.04625 x 40/360 = 51,388.89: compounding adds
  // the interest on the first step's 38,542.
}

TEST(UsRules, DueOnTheLaterOfReceiptAndAcceptance) {
  Books b;
  b.Client(v1::JURISDICTION_US, v1::CLIENT_KIND_PUBLIC_INSTITUTION);
  // Received 05-01 (+30 = 05-31); delivered 05-10, constructive acceptance 05-17 (+30 =
  // 06-16): due 06-16, started by constructive acceptance.
  b.Invoice("I1", 10'000'000, D(2024, 5, 1), D(2024, 5, 10), D(2024, 5, 1), "", "USD");
  InvoiceAssessment a = b.Assess("I1", D(2024, 6, 20));
  EXPECT_EQ(a.clock_start, ClockStart::kConstructiveAcceptance);
  EXPECT_EQ(a.statutory_due_date, Day(2024, 6, 16));
  EXPECT_EQ(a.days_overdue, 4);
}

TEST(UsRules, InterestUnderOneDollarIsNotPaid) {
  Books b;
  b.Client(v1::JURISDICTION_US, v1::CLIENT_KIND_GOVERNMENT_ORGAN);
  b.Invoice("I1", 10'000, D(2024, 5, 16), std::nullopt, D(2024, 5, 16), "", "USD");
  // USD 100.00, 5 days: 10,000 x 0.04625 x 5/360 = 6.42 cents < 100: not paid.
  InvoiceAssessment a = b.Assess("I1", D(2024, 6, 20));
  EXPECT_EQ(a.days_overdue, 5);
  EXPECT_EQ(a.interest_minor, 0);
}

// ------------------------------------------------------------------------------ EU

TEST(EuRules, ThirtyDaysReferenceRatePlusEightPointsAndFortyEuros) {
  Books b;
  b.Client(v1::JURISDICTION_EU, v1::CLIENT_KIND_GOVERNMENT_ORGAN);
  // EUR 10,000.00 received 2025-03-03: Art 4(3)(a)(i) due 03-03 + 30 = 04-02.
  b.Invoice("I1", 1'000'000, D(2025, 3, 3), std::nullopt, D(2025, 3, 3), "", "EUR");
  InvoiceAssessment a = b.Assess("I1", D(2025, 5, 2));
  EXPECT_EQ(a.statutory_due_date, Day(2025, 4, 2));
  EXPECT_EQ(a.days_overdue, 30);
  // ECB rate in force on 2025-01-01: 3.15% (since 2024-12-18); + 8 = 11.15%.
  // 1,000,000 x 111,500 x 30 / 365e6 = 9,164.38 -> 9,164 cents.
  EXPECT_EQ(a.rate_ppm, 111'500);
  EXPECT_EQ(a.interest_minor, 9'164);
  // Art 6(1): EUR 40.00.
  EXPECT_EQ(a.fixed_compensation_minor, 4'000);
  EXPECT_EQ(a.fixed_compensation_currency, "EUR");
  // Into the second half: 04-03 .. 06-30 = 89 days at 11.15%, 07-01 .. 07-10 = 10 days at
  // 2.15% (in force 2025-07-01) + 8 = 10.15%. (89 x 111,500 + 10 x 101,500) x 1,000,000 /
  // 365e6 = 10,938,500 / 365 = 29,968.49 -> 29,968.
  EXPECT_EQ(b.Assess("I1", D(2025, 7, 10)).interest_minor, 29'968);
}

TEST(EuRules, LongTermsAndAcceptanceAreFlagged) {
  Books b;
  b.Client(v1::JURISDICTION_EU, v1::CLIENT_KIND_GOVERNMENT_ORGAN);
  b.Contract("K1", D(2025, 1, 10), 90, true, 45);
  b.Invoice("I1", 1'000'000, D(2025, 3, 3), D(2025, 3, 1), D(2025, 3, 3), "K1", "EUR");
  // Acceptance period capped at 30: delivery 03-01 + 30 = 03-31 (not accepted, past: late);
  // the invoice (03-03) came before it, so the clock starts 03-31; term capped at 60:
  // due 03-31 + 60 = 05-30.
  InvoiceAssessment a = b.Assess("I1", D(2025, 6, 9));
  EXPECT_EQ(a.clock_start, ClockStart::kAcceptancePeriodEnd);
  EXPECT_EQ(a.statutory_due_date, Day(2025, 5, 30));
  EXPECT_EQ(a.days_overdue, 10);
  std::vector<TermFinding> findings = b.Findings("K1", D(2025, 6, 9));
  ASSERT_EQ(findings.size(), 2u);
  EXPECT_EQ(findings[0].article, "EU 2011/7/EU Art 4(6)");
  EXPECT_EQ(findings[1].article, "EU 2011/7/EU Art 4(5)");
}

// ---------------------------------------------------------------- fold and rates

TEST(ComplianceState, SnapshotRoundTrips) {
  Books b;
  b.Client(v1::JURISDICTION_CN, v1::CLIENT_KIND_GOVERNMENT_ORGAN);
  b.Contract("K1", D(2025, 6, 1), 45, true, 15, 1825);
  b.Invoice("I1", 10'000'000, D(2025, 7, 1), D(2025, 7, 1), D(2025, 7, 2), "K1");
  b.Accept("I1", D(2025, 7, 10));
  const std::string bytes = b.compliance().Serialize();
  absl::StatusOr<ComplianceState> back = ComplianceState::Deserialize(bytes);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, b.compliance());
  EXPECT_EQ(back->Serialize(), bytes);
  EXPECT_EQ(ComplianceState::Deserialize(bytes.substr(0, bytes.size() - 1)).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(ComplianceState::Deserialize("SHRCV").status().code(),
            absl::StatusCode::kFailedPrecondition);
  // An overlong varint (0 as 0x80 0x00) would not re-serialize to the same bytes.
  EXPECT_EQ(ComplianceState::Deserialize(std::string("SHCMP\x01\x80\x00\x00\x00\x00", 11))
                .status()
                .code(),
            absl::StatusCode::kDataLoss);
  EXPECT_TRUE(ComplianceState::Deserialize(std::string("SHCMP\x01\x00\x00\x00\x00", 10)).ok());
}

TEST(RateTables, FileReplacesOnlyTheTablesItNames) {
  absl::StatusOr<RateTables> t = ParseRateTables(
      "# rates\nus_prompt_payment 2026-01-01 4.125\nus_prompt_payment 2026-07-01 4\n",
      DefaultRateTables());
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->us_prompt_payment.RateOn(Day(2026, 3, 1)), 41'250);
  EXPECT_EQ(t->us_prompt_payment.RateOn(Day(2026, 8, 1)), 40'000);
  EXPECT_EQ(t->us_prompt_payment.RateOn(Day(2025, 3, 1)), std::nullopt);  // replaced
  EXPECT_EQ(t->ecb_main_refinancing, DefaultRateTables().ecb_main_refinancing);
  EXPECT_EQ(FormatPercent(41'250), "4.125%");
  EXPECT_EQ(FormatPercent(500), "0.05%");
  // The canonical text parses back to the same tables.
  EXPECT_EQ(*ParseRateTables(FormatRateTables(*t), RateTables{}), *t);

  EXPECT_EQ(ParseRateTables("ecb 2026-01-01 2\n", {}).status().message(),
            "rate file line 1: unknown table \"ecb\" (cn_lpr_1y, us_prompt_payment, "
            "ecb_main_refinancing)");
  EXPECT_EQ(ParseRateTables("cn_lpr_1y 2026-01-01 3.00\ncn_lpr_1y 2025-01-01 3.10\n", {})
                .status()
                .message(),
            "rate file line 2: from: 2025-01-01 is not after the table's previous date");
  EXPECT_EQ(ParseRateTables("cn_lpr_1y 2026-01-01 3.12345\n", {}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace sixhearts::services::compliance
