// Replays the public IBM late-payment sample (tests/data) through the receivables fold
// and checks days late, aging and DSO against figures computed straight from the CSV.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "ledger/dates.h"
#include "services/receivables/analytics.h"
#include "services/receivables/receivables_state.h"

namespace sixhearts::services::receivables {
namespace {

using absl::CivilDay;

constexpr char kSamplePath[] = SIXHEARTS_SOURCE_DIR "/tests/data/ibm-ar-late-payment-histories.csv";

struct Row {
  std::string customer_id;
  std::string invoice_number;
  CivilDay invoice_date;
  CivilDay due_date;
  CivilDay settled_date;
  int64_t amount_cents = 0;
  int64_t days_late = 0;
};

// "M/D/YYYY".
std::optional<CivilDay> ParseUsDate(const std::string& text) {
  int month = 0;
  int day = 0;
  int year = 0;
  char slash1 = 0;
  char slash2 = 0;
  std::istringstream in(text);
  if (!(in >> month >> slash1 >> day >> slash2 >> year) || slash1 != '/' || slash2 != '/') {
    return std::nullopt;
  }
  v1::Date date;
  date.set_year(year);
  date.set_month(month);
  date.set_day(day);
  if (!ledger::IsValidDate(date)) return std::nullopt;
  return ledger::ToCivilDay(date);
}

// Dollars with zero to two decimals ("94", "68.8", "55.94") to cents, without floating
// point.
std::optional<int64_t> ParseCents(const std::string& text) {
  int64_t cents = 0;
  int decimals = -1;
  for (const char c : text) {
    if (c == '.' && decimals < 0) {
      decimals = 0;
      continue;
    }
    if (c < '0' || c > '9' || decimals >= 2) return std::nullopt;
    cents = cents * 10 + (c - '0');
    if (decimals >= 0) ++decimals;
  }
  for (int d = std::max(decimals, 0); d < 2; ++d) cents *= 10;
  return cents;
}

std::vector<std::string> SplitCsvLine(std::string line) {
  if (!line.empty() && line.back() == '\r') line.pop_back();
  std::vector<std::string> fields;
  std::string field;
  std::istringstream in(line);
  while (std::getline(in, field, ',')) fields.push_back(field);
  return fields;
}

std::vector<Row> ReadSample() {
  std::ifstream file(kSamplePath);
  EXPECT_TRUE(file.good()) << kSamplePath;
  std::string line;
  std::getline(file, line);
  EXPECT_EQ(SplitCsvLine(line).size(), 12u) << line;
  std::vector<Row> rows;
  while (std::getline(file, line)) {
    const std::vector<std::string> f = SplitCsvLine(line);
    if (f.size() != 12) {
      ADD_FAILURE() << "bad row: " << line;
      continue;
    }
    const std::optional<CivilDay> invoice_date = ParseUsDate(f[4]);
    const std::optional<CivilDay> due_date = ParseUsDate(f[5]);
    const std::optional<CivilDay> settled_date = ParseUsDate(f[8]);
    const std::optional<int64_t> amount = ParseCents(f[6]);
    if (!invoice_date || !due_date || !settled_date || !amount) {
      ADD_FAILURE() << "bad row: " << line;
      continue;
    }
    rows.push_back(Row{.customer_id = f[1],
                       .invoice_number = f[3],
                       .invoice_date = *invoice_date,
                       .due_date = *due_date,
                       .settled_date = *settled_date,
                       .amount_cents = *amount,
                       .days_late = std::stoll(f[11])});
  }
  return rows;
}

v1::Event Envelope(const std::string& customer_id, CivilDay occurred_on) {
  static uint64_t next_event = 1;
  v1::Event e;
  char id[40];
  std::snprintf(id, sizeof(id), "00000000-0000-4000-9000-%012llu",
                static_cast<unsigned long long>(next_event++));
  e.set_event_id(id);
  e.set_stream("client-" + customer_id);
  e.mutable_occurred_at()->set_seconds(
      absl::ToUnixSeconds(absl::FromCivil(occurred_on, absl::UTCTimeZone())));
  return e;
}

v1::Event ClientRegistered(const std::string& customer_id) {
  v1::Event e = Envelope(customer_id, CivilDay(2012, 1, 1));
  v1::ClientRegistered* p = e.mutable_client_registered();
  p->set_client_id(customer_id);
  p->set_name(customer_id);
  p->set_jurisdiction(v1::JURISDICTION_US);
  p->set_client_kind(v1::CLIENT_KIND_GOVERNMENT_ORGAN);
  return e;
}

v1::Event InvoiceIssued(const Row& row) {
  v1::Event e = Envelope(row.customer_id, row.invoice_date);
  v1::InvoiceIssued* p = e.mutable_invoice_issued();
  p->set_invoice_id(row.invoice_number);
  p->mutable_amount()->set_amount_minor(row.amount_cents);
  p->mutable_amount()->set_currency("USD");
  *p->mutable_issue_date() = ledger::FromCivilDay(row.invoice_date);
  *p->mutable_due_date() = ledger::FromCivilDay(row.due_date);
  return e;
}

v1::Event PaymentReceived(const Row& row) {
  v1::Event e = Envelope(row.customer_id, row.settled_date);
  v1::PaymentReceived* p = e.mutable_payment_received();
  p->set_payment_id("pay-" + row.invoice_number);
  p->mutable_amount()->set_amount_minor(row.amount_cents);
  p->mutable_amount()->set_currency("USD");
  *p->mutable_value_date() = ledger::FromCivilDay(row.settled_date);
  v1::Allocation* allocation = p->add_allocations();
  allocation->set_invoice_id(row.invoice_number);
  allocation->set_amount_minor(row.amount_cents);
  return e;
}

class IbmSampleTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    rows_ = new std::vector<Row>(ReadSample());
    state_ = new ReceivablesState();
    std::set<std::string> customers;
    for (const Row& row : *rows_) customers.insert(row.customer_id);
    for (const std::string& customer : customers) state_->Apply(ClientRegistered(customer));
    for (const Row& row : *rows_) state_->Apply(InvoiceIssued(row));
    for (const Row& row : *rows_) state_->Apply(PaymentReceived(row));
  }
  static void TearDownTestSuite() {
    delete rows_;
    delete state_;
  }

  // Open on `day` straight from the CSV: issued by then and not yet settled.
  static bool OpenOn(const Row& row, CivilDay day) {
    return row.invoice_date <= day && row.settled_date > day;
  }

  static std::vector<Row>* rows_;
  static ReceivablesState* state_;
};

std::vector<Row>* IbmSampleTest::rows_ = nullptr;
ReceivablesState* IbmSampleTest::state_ = nullptr;

TEST_F(IbmSampleTest, FoldsEveryRow) {
  ASSERT_EQ(rows_->size(), 2466u);
  EXPECT_EQ(state_->clients().size(), 100u);
  EXPECT_TRUE(state_->ignored_events().empty());
  EXPECT_EQ(state_->applied_event_count(), 100u + 2 * 2466u);
}

TEST_F(IbmSampleTest, DaysLateMatchesTheSampleColumn) {
  const CivilDay as_of(2014, 12, 31);  // after every settlement
  for (const Row& row : *rows_) {
    const Invoice& invoice = state_->FindClient(row.customer_id)->invoices.at(row.invoice_number);
    EXPECT_EQ(invoice.SettledOn(as_of), row.settled_date) << row.invoice_number;
    EXPECT_EQ(InvoiceDaysLate(invoice, as_of), row.days_late) << row.invoice_number;
  }
  // Amount-weighted average straight from the column.
  int64_t billed = 0;
  double weighted = 0;
  for (const Row& row : *rows_) {
    billed += row.amount_cents;
    weighted += static_cast<double>(row.amount_cents) * static_cast<double>(row.days_late);
  }
  const std::vector<DaysLateReport> reports = ComputeAverageDaysLate(*state_, as_of);
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0].invoice_count, 2466);
  EXPECT_EQ(reports[0].billed_minor, billed);
  EXPECT_NEAR(*reports[0].average_days_late, weighted / static_cast<double>(billed), 1e-9);
  EXPECT_NEAR(*reports[0].average_days_late, 3.571099688, 1e-8);  // the Python script's
}

TEST_F(IbmSampleTest, AgingMatchesTheCsv) {
  for (const CivilDay as_of : {CivilDay(2013, 6, 30), CivilDay(2013, 12, 31)}) {
    SCOPED_TRACE(as_of);
    // Independent bucketing: not yet due, 1-30, 31-60, 61-90, 91-180, 181-365, over 365.
    std::vector<int64_t> buckets(7, 0);
    std::map<std::string, int64_t> by_customer;
    size_t open_count = 0;
    for (const Row& row : *rows_) {
      if (!OpenOn(row, as_of)) continue;
      const int64_t age = as_of - row.due_date;
      const size_t bucket = age <= 0     ? 0
                            : age <= 30  ? 1
                            : age <= 60  ? 2
                            : age <= 90  ? 3
                            : age <= 180 ? 4
                            : age <= 365 ? 5
                                         : 6;
      buckets[bucket] += row.amount_cents;
      by_customer[row.customer_id] += row.amount_cents;
      ++open_count;
    }
    ASSERT_GT(open_count, 0u);
    // The same figures from a separate Python script over the CSV, so the test's own
    // bucketing above cannot share a mistake with the code under test.
    const std::vector<int64_t> expected = as_of == CivilDay(2013, 6, 30)
                                              ? std::vector<int64_t>{4284'29, 835'56, 0, 0, 0, 0, 0}
                                              : std::vector<int64_t>{206'25, 555'65, 0, 0, 0, 0, 0};
    EXPECT_EQ(buckets, expected);

    const absl::StatusOr<AgingReport> report = ComputeAging(*state_, as_of);
    ASSERT_TRUE(report.ok()) << report.status();
    ASSERT_EQ(report->totals.size(), 1u);
    EXPECT_EQ(report->totals[0].currency, "USD");
    EXPECT_EQ(report->totals[0].outstanding_by_bucket_minor, buckets);
    EXPECT_EQ(report->totals[0].unapplied_cash_minor, 0);

    std::map<std::string, int64_t> report_by_customer;
    size_t line_count = 0;
    for (const AgingRow& row : report->rows) {
      report_by_customer[row.group] += row.outstanding_minor;
      line_count += row.invoice_lines.size();
    }
    EXPECT_EQ(report_by_customer, by_customer);
    EXPECT_EQ(line_count, open_count);
  }
}

TEST_F(IbmSampleTest, DsoForThirdQuarter2013MatchesTheCsv) {
  const CivilDay from(2013, 7, 1);
  const CivilDay to(2013, 9, 30);
  const int64_t period_days = 92;  // 31 + 31 + 30

  int64_t sales = 0;
  int64_t beginning_ar = 0;
  int64_t ending_ar = 0;
  int64_t current_ar = 0;
  std::map<absl::CivilMonth, int64_t> monthly_sales;
  for (const Row& row : *rows_) {
    if (row.invoice_date >= from && row.invoice_date <= to) sales += row.amount_cents;
    if (OpenOn(row, from - 1)) beginning_ar += row.amount_cents;
    if (OpenOn(row, to)) ending_ar += row.amount_cents;
    if (OpenOn(row, to) && row.due_date >= to) current_ar += row.amount_cents;
    if (row.invoice_date <= to)
      monthly_sales[absl::CivilMonth(row.invoice_date)] += row.amount_cents;
  }
  // Countback from September (whole, `to` is its last day) backwards.
  double countback = 0;
  int64_t remainder = ending_ar;
  for (absl::CivilMonth month(to); remainder > 0; --month) {
    const int64_t month_sales = monthly_sales[month];
    const int64_t days = absl::CivilDay(month + 1) - absl::CivilDay(month);
    if (remainder < month_sales) {
      countback += static_cast<double>(days) * static_cast<double>(remainder) /
                   static_cast<double>(month_sales);
      break;
    }
    remainder -= month_sales;
    countback += static_cast<double>(days);
  }
  const double simple = static_cast<double>(ending_ar) / static_cast<double>(sales) * period_days;
  const double best = static_cast<double>(current_ar) / static_cast<double>(sales) * period_days;
  const double cei = static_cast<double>(beginning_ar + sales - ending_ar) /
                     static_cast<double>(beginning_ar + sales - current_ar) * 100;

  // Cross-checked with a separate Python script over the CSV.
  EXPECT_EQ(sales, 19549'78);
  EXPECT_EQ(beginning_ar, 5119'85);
  EXPECT_EQ(ending_ar, 5029'22);
  EXPECT_EQ(current_ar, 4563'74);
  EXPECT_NEAR(countback, 22.094321801, 1e-8);
  EXPECT_NEAR(simple, 23.667183979, 1e-8);

  const absl::StatusOr<std::vector<DsoReport>> reports = ComputeDso(*state_, from, to);
  ASSERT_TRUE(reports.ok()) << reports.status();
  ASSERT_EQ(reports->size(), 1u);
  const DsoReport& r = (*reports)[0];
  EXPECT_EQ(r.period_days, period_days);
  EXPECT_EQ(r.credit_sales_minor, sales);
  EXPECT_EQ(r.beginning_ar_minor, beginning_ar);
  EXPECT_EQ(r.ending_ar_minor, ending_ar);
  EXPECT_EQ(r.ending_current_ar_minor, current_ar);
  EXPECT_NEAR(*r.simple_dso_days, simple, 1e-9);
  EXPECT_NEAR(*r.countback_dso_days, countback, 1e-9);
  EXPECT_NEAR(*r.best_possible_dso_days, best, 1e-9);
  EXPECT_NEAR(*r.average_days_delinquent, countback - best, 1e-9);
  EXPECT_NEAR(*r.cei_percent, cei, 1e-9);
  EXPECT_FALSE(r.countback_sales_exhausted);
}

TEST_F(IbmSampleTest, SnapshotOfTheSampleRoundTrips) {
  const absl::StatusOr<ReceivablesState> restored =
      ReceivablesState::Deserialize(state_->Serialize());
  ASSERT_TRUE(restored.ok()) << restored.status();
  EXPECT_EQ(*restored, *state_);
}

}  // namespace
}  // namespace sixhearts::services::receivables
