// Imports the whole public IBM late-payment sample and checks the totals against figures
// computed here independently from the raw text, plus DaysToSettle and DaysLate of every
// row against the dates in the events.
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "ledger/dates.h"
#include "tools/csv_import/csv_importer.h"

namespace sixhearts::csv_import {
namespace {

std::string ReadSample() {
  std::ifstream in(SIXHEARTS_SOURCE_DIR "/tests/data/ibm-ar-late-payment-histories.csv",
                   std::ios::binary);
  EXPECT_TRUE(in.good());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The sample's figures, computed by naive splitting, which is valid because the file has
// no quotes at all (checked below).
struct Expected {
  int64_t rows = 0;
  std::set<std::string> customers;
  int64_t total_cents = 0;
  int64_t disputed = 0;
  // invoiceNumber -> DaysToSettle, DaysLate.
  std::map<std::string, std::pair<int64_t, int64_t>> days;
};

Expected ComputeByHand(const std::string& text) {
  Expected e;
  bool header = true;
  for (absl::string_view piece : absl::StrSplit(text, '\n')) {
    std::string line(piece);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    if (header) {
      header = false;
      continue;
    }
    const std::vector<std::string> f = absl::StrSplit(line, ',');
    EXPECT_EQ(f.size(), 12u) << line;
    if (f.size() != 12u) continue;
    ++e.rows;
    e.customers.insert(f[1]);
    // Dollars "123.4" -> cents: whole dollars times 100 plus the decimals padded to two.
    const std::vector<std::string> parts = absl::StrSplit(f[6], '.');
    int64_t cents = std::stoll(parts[0]) * 100;
    if (parts.size() == 2) {
      EXPECT_LE(parts[1].size(), 2u) << line;
      cents += std::stoll(parts[1]) * (parts[1].size() == 1 ? 10 : 1);
    }
    e.total_cents += cents;
    if (f[7] == "Yes") ++e.disputed;
    e.days[f[3]] = {std::stoll(f[10]), std::stoll(f[11])};
  }
  return e;
}

int64_t DaysBetween(const v1::Date& from, const v1::Date& to) {
  return ledger::ToCivilDay(to) - ledger::ToCivilDay(from);
}

struct Imported {
  ImportSummary summary;
  std::vector<EventBatch> batches;
};

Imported ImportSample(const std::string& text, size_t max_batch_events) {
  Imported out;
  std::istringstream in(text);
  ImportOptions options;
  options.max_batch_events = max_batch_events;
  absl::StatusOr<ImportSummary> summary =
      ImportCsv(&in, *MappingPreset("ibm"), options, [&out](EventBatch& batch) {
        out.batches.push_back(batch);
        return absl::OkStatus();
      });
  EXPECT_TRUE(summary.ok()) << summary.status();
  if (summary.ok()) out.summary = *summary;
  return out;
}

class IbmSampleTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    text_ = new std::string(ReadSample());
    expected_ = new Expected(ComputeByHand(*text_));
  }
  static void TearDownTestSuite() {
    delete expected_;
    delete text_;
  }
  static std::string* text_;
  static Expected* expected_;
};
std::string* IbmSampleTest::text_ = nullptr;
Expected* IbmSampleTest::expected_ = nullptr;

TEST_F(IbmSampleTest, IndependentFiguresAreWhatTheDataSaysTheyAre) {
  EXPECT_EQ(text_->find('"'), std::string::npos);
  // Also checked outside this code: `tail -n +2 FILE | cut -d, -f2 | sort -u | wc -l` gives
  // 100, and Python's csv + decimal.Decimal sum of InvoiceAmount gives 147703.18 dollars;
  // 561 rows say Disputed=Yes.
  EXPECT_EQ(expected_->rows, 2466);
  EXPECT_EQ(expected_->customers.size(), 100u);
  EXPECT_EQ(expected_->total_cents, 14770318);
  EXPECT_EQ(expected_->disputed, 561);
}

TEST_F(IbmSampleTest, WholeSampleImportsWithoutRejections) {
  const Imported imported = ImportSample(*text_, kDefaultBatchEvents);
  const ImportSummary& s = imported.summary;
  EXPECT_EQ(s.rows_read, expected_->rows);
  EXPECT_EQ(s.rows_imported, expected_->rows);
  EXPECT_EQ(s.rows_rejected, 0);
  EXPECT_TRUE(s.rejections.empty()) << s.rejections.front().ToString();
  EXPECT_EQ(s.invoices_issued, 2466);
  EXPECT_EQ(s.payments_received, 2466);  // all settled
  EXPECT_EQ(s.clients_registered, static_cast<int64_t>(expected_->customers.size()));
  EXPECT_EQ(s.disputed_rows, expected_->disputed);
  EXPECT_EQ(s.events, 100 + 2466 + 2466);
  ASSERT_EQ(s.invoiced_minor_by_currency.size(), 1u);
  EXPECT_EQ(s.invoiced_minor_by_currency.at("USD"), expected_->total_cents);

  // Sum the events themselves, not just the summary.
  int64_t invoiced = 0, paid = 0, allocated = 0;
  std::set<std::string> registered;
  absl::flat_hash_map<std::string, v1::InvoiceIssued> invoices;
  int64_t checked_days = 0;
  for (const EventBatch& batch : imported.batches) {
    for (const v1::Event& e : batch.events) {
      if (e.has_client_registered()) {
        registered.insert(e.client_registered().client_id());
        EXPECT_EQ(e.client_registered().jurisdiction(), v1::JURISDICTION_US);
        EXPECT_EQ(e.client_registered().client_kind(), v1::CLIENT_KIND_GOVERNMENT_ORGAN);
        EXPECT_EQ(e.client_registered().name(), e.client_registered().client_id());
      } else if (e.has_invoice_issued()) {
        invoiced += e.invoice_issued().amount().amount_minor();
        invoices[e.invoice_issued().invoice_id()] = e.invoice_issued();
      } else if (e.has_payment_received()) {
        const v1::PaymentReceived& p = e.payment_received();
        paid += p.amount().amount_minor();
        ASSERT_EQ(p.allocations_size(), 1);
        allocated += p.allocations(0).amount_minor();
        const v1::InvoiceIssued& invoice = invoices.at(p.allocations(0).invoice_id());
        const auto [days_to_settle, days_late] = expected_->days.at(invoice.invoice_id());
        EXPECT_EQ(DaysBetween(invoice.issue_date(), p.value_date()), days_to_settle)
            << invoice.invoice_id();
        EXPECT_EQ(std::max<int64_t>(0, DaysBetween(invoice.due_date(), p.value_date())), days_late)
            << invoice.invoice_id();
        ++checked_days;
      }
    }
  }
  EXPECT_EQ(registered, expected_->customers);
  EXPECT_EQ(invoiced, expected_->total_cents);
  EXPECT_EQ(paid, expected_->total_cents);
  EXPECT_EQ(allocated, expected_->total_cents);
  EXPECT_EQ(checked_days, 2466);
}

TEST_F(IbmSampleTest, FirstRowBecomesTheseThreeEvents) {
  // 391,0379-NEVHP,4/6/2013,0000611365,1/2/2013,2/1/2013,55.94,No,1/15/2013,Paper,13,0
  const Imported imported = ImportSample(*text_, kDefaultBatchEvents);
  ASSERT_FALSE(imported.batches.empty());
  const std::vector<v1::Event>& events = imported.batches[0].events;
  ASSERT_GE(events.size(), 3u);
  EXPECT_EQ(events[0].event_id(), "27a39176-36fe-52c7-9b59-44113f6ff95b");
  EXPECT_EQ(events[0].client_registered().client_id(), "0379-NEVHP");
  EXPECT_EQ(events[1].event_id(), "89f7e96e-e2ab-5995-8165-b4ae10837ffe");
  EXPECT_EQ(events[1].invoice_issued().amount().amount_minor(), 5594);
  EXPECT_EQ(ledger::FormatDate(events[1].invoice_issued().issue_date()), "2013-01-02");
  EXPECT_EQ(ledger::FormatDate(events[1].invoice_issued().due_date()), "2013-02-01");
  EXPECT_EQ(events[1].occurred_at().seconds(), 1357084800);  // 2013-01-02T00:00:00Z
  EXPECT_EQ(events[2].event_id(), "f92edd68-aeff-5e0c-a055-3272d634fb9b");
  EXPECT_EQ(ledger::FormatDate(events[2].payment_received().value_date()), "2013-01-15");
  EXPECT_EQ(events[2].occurred_at().seconds(), 1358208000);  // 2013-01-15T00:00:00Z
}

TEST_F(IbmSampleTest, DeterministicAcrossRunsAndBatchSizes) {
  std::vector<std::string> reference;
  for (size_t batch_size : {size_t{500}, size_t{3}, size_t{4}, size_t{7}, kMaxBatchEvents}) {
    const Imported imported = ImportSample(*text_, batch_size);
    std::vector<std::string> serialized;
    absl::flat_hash_set<std::string> ids;
    absl::flat_hash_set<std::string> streams_seen;
    for (const EventBatch& batch : imported.batches) {
      ASSERT_GE(batch.events.size(), 1u);
      ASSERT_LE(batch.events.size(), batch_size);
      for (size_t i = 0; i < batch.events.size(); ++i) {
        const v1::Event& e = batch.events[i];
        serialized.push_back(e.SerializeAsString());
        ids.insert(e.event_id());
        // A stream opens with its ClientRegistered.
        if (streams_seen.insert(e.stream()).second) {
          EXPECT_TRUE(e.has_client_registered());
        }
        // Row integrity: a payment follows its invoice in the same batch, and a client's
        // registration is followed by its first invoice in the same batch.
        if (e.has_payment_received()) {
          ASSERT_GE(i, 1u);
          EXPECT_EQ(batch.events[i - 1].invoice_issued().invoice_id(),
                    e.payment_received().allocations(0).invoice_id());
        }
        if (e.has_client_registered()) {
          ASSERT_LT(i + 1, batch.events.size()) << "row split at batch size " << batch_size;
          EXPECT_TRUE(batch.events[i + 1].has_invoice_issued());
        }
      }
    }
    EXPECT_EQ(serialized.size(), 5032u);
    EXPECT_EQ(ids.size(), 5032u);
    if (reference.empty()) {
      reference = serialized;
    } else {
      EXPECT_EQ(serialized, reference) << "batch size " << batch_size;
    }
  }
}

}  // namespace
}  // namespace sixhearts::csv_import
