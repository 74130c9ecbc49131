// The compliance report and the disclosure built from states fed by hand, with the figures
// worked out in the comments.
#include "services/compliance/report.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "ledger/dates.h"
#include "services/compliance/render.h"
#include "services/receivables/receivables_state.h"
#include "services/relationships/relationships_state.h"
#include "tests/testing/test_events.h"

namespace sixhearts::services::compliance {
namespace {

using ::sixhearts::testing::D;
using ::sixhearts::testing::Envelope;
using ::sixhearts::testing::Money;

class ReportTest : public ::testing::Test {
 protected:
  void Add(v1::Event e) {
    e.set_position(++position_);
    receivables_.Apply(e);
    compliance_.Apply(e);
    relationships_.Apply(e);
  }

  // A CN organ (SME seller) with I1 CNY 100,000.00 delivered 2025-07-01 (due 07-31), a
  // trust visit on 2025-08-01 and a care call on 2025-08-05; and a private CN client with an
  // invoice (no statutory rule).
  void History() {
    v1::Event reg = Envelope(1, "bureau", D(2025, 6, 1));
    auto* r = reg.mutable_client_registered();
    r->set_client_id("bureau");
    r->set_name("Bureau");
    r->set_jurisdiction(v1::JURISDICTION_CN);
    r->set_client_kind(v1::CLIENT_KIND_GOVERNMENT_ORGAN);
    r->set_seller_is_sme(true);
    Add(reg);
    v1::Event firm = Envelope(2, "firm", D(2025, 6, 1));
    auto* f = firm.mutable_client_registered();
    f->set_client_id("firm");
    f->set_name("Firm");
    f->set_jurisdiction(v1::JURISDICTION_CN);
    f->set_client_kind(v1::CLIENT_KIND_PRIVATE);
    Add(firm);
    for (const auto& [id, client] : {std::pair{3, "bureau"}, std::pair{4, "firm"}}) {
      v1::Event e = Envelope(id, client, D(2025, 7, 1));
      auto* p = e.mutable_invoice_issued();
      p->set_invoice_id("I1");
      *p->mutable_amount() = Money(10'000'000);
      *p->mutable_issue_date() = D(2025, 7, 1);
      *p->mutable_due_date() = D(2025, 7, 31);
      *p->mutable_delivery_date() = D(2025, 7, 1);
      Add(e);
    }
    v1::Event visit = Envelope(5, "bureau", D(2025, 8, 1));
    visit.mutable_interaction_logged()->set_interaction_id("V1");
    visit.mutable_interaction_logged()->set_kind(v1::INTERACTION_KIND_ON_SITE_VISIT);
    Add(visit);
    v1::Event call = Envelope(6, "bureau", D(2025, 8, 5));
    call.mutable_interaction_logged()->set_interaction_id("C1");
    call.mutable_interaction_logged()->set_kind(v1::INTERACTION_KIND_CHECK_IN_CALL);
    Add(call);
  }

  receivables::ReceivablesState receivables_;
  ComplianceState compliance_;
  relationships::RelationshipsState relationships_;
  uint64_t position_ = 0;
};

TEST_F(ReportTest, OverdueByLawTrendCoverageAndTrust) {
  History();
  ReportRequest request;
  request.as_of = absl::CivilDay(2025, 8, 30);
  request.known_at = absl::FromUnixSeconds(1'756'684'800);  // 2025-09-01T00:00Z
  request.period_from = absl::CivilDay(2025, 6, 1);
  LogDigest digest{6, std::string(64, 'a'), ""};
  absl::StatusOr<ComplianceReport> r =
      BuildComplianceReport(receivables_, compliance_, relationships_, request, digest);
  ASSERT_TRUE(r.ok()) << r.status();
  // Only the bureau's invoice is under a rule: 30 days overdue, 150,000 interest.
  ASSERT_EQ(r->invoices.size(), 1u);
  EXPECT_EQ(r->invoices[0].client_id, "bureau");
  EXPECT_EQ(r->invoices[0].interest_minor, 150'000);
  ASSERT_EQ(r->totals.size(), 1u);
  EXPECT_EQ(r->totals[0].invoices_assessed, 1);
  EXPECT_EQ(r->totals[0].overdue_minor, 10'000'000);
  // Aging counts both clients' invoices (contractual due 07-31, 30 days: bucket 1-30).
  ASSERT_EQ(r->aging.totals.size(), 1u);
  EXPECT_EQ(r->aging.totals[0].outstanding_by_bucket_minor[1], 20'000'000);
  // Trend points: 06-30, 07-31, then as_of 08-30; overdue by law only on 08-30 (I1 is due
  // on 07-31 itself, not yet overdue that day).
  ASSERT_EQ(r->trend.size(), 3u);
  EXPECT_EQ(r->trend[0].on, absl::CivilDay(2025, 6, 30));
  EXPECT_TRUE(r->trend[1].overdue_minor.empty());
  EXPECT_EQ(r->trend[2].overdue_minor.at("CNY"), 10'000'000);
  // Coverage: 2 clients; trust (the visit) and care (the call) practised by the bureau.
  EXPECT_EQ(r->coverage[0].heart, v1::HEART_TRUST);
  EXPECT_EQ(r->coverage[0].clients_practised, 1);
  EXPECT_EQ(r->coverage[0].clients, 2);
  EXPECT_EQ(r->coverage[1].clients_practised, 1);  // care
  EXPECT_EQ(r->coverage[2].clients_practised, 0);  // listening
  // Trust timeline: June, July, August; one trust day in August.
  ASSERT_EQ(r->trust.size(), 3u);
  EXPECT_EQ(r->trust[2].clients_practised, 1);
  EXPECT_EQ(r->trust[2].practice_days, 1);
  EXPECT_EQ(r->clients[1].client_id, "firm");
  EXPECT_EQ(r->clients[1].rule_reason,
            "CN: private client (Art 9 binds organs and public institutions)");
  // The same inputs render the same bytes.
  EXPECT_EQ(RenderComplianceReport(*r, ReportFormat::kCsv),
            RenderComplianceReport(
                *BuildComplianceReport(receivables_, compliance_, relationships_, request, digest),
                ReportFormat::kCsv));
}

TEST_F(ReportTest, RequestLimits) {
  ReportRequest request;
  request.as_of = absl::CivilDay(2025, 8, 30);
  request.period_from = absl::CivilDay(2015, 9, 1);
  EXPECT_EQ(ValidateReportRequest(request).message(),
            "period_from: the period may span at most 3650 days");
  request.period_from.reset();
  request.client_ids = {""};
  EXPECT_EQ(ValidateReportRequest(request).message(), "client_ids[0]: empty");
}

TEST(FormatMajor, GroupsThousandsWithTheCurrencysDigits) {
  EXPECT_EQ(FormatMajor(123'456'789, "CNY"), "1,234,567.89");
  EXPECT_EQ(FormatMajor(-5, "USD"), "-0.05");
  EXPECT_EQ(FormatMajor(1'000, "JPY"), "1,000");
}

}  // namespace
}  // namespace sixhearts::services::compliance
