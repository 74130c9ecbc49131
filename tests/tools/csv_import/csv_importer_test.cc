// Tests of the row-to-event conversion: the exact events of a small file, rejections with
// line numbers, deterministic ids, batches that never split a row, and progress.
#include "tools/csv_import/csv_importer.h"

#include <sstream>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "gtest/gtest.h"
#include "tools/csv_import/event_ids.h"

namespace sixhearts::csv_import {
namespace {

constexpr char kMapping[] = R"(client_id = Client
client_name = Name
invoice_id = Invoice
invoice_date = Issued
due_date = Due
amount = Amount
currency_column = Currency
settled_date = Paid
disputed = Disputed
delivery_date = Delivered
date_format = YYYY-MM-DD
thousands_separator = comma
jurisdiction = CN
client_kind = government_organ
seller_is_sme = yes
)";

// Events per line: 2 -> 3 (client A1 first seen, paid), 3 -> 2 (paid), 4 -> 2 (client B2
// first seen), 5 -> 1, 6 -> rejected, 7 -> 2 (paid). Ten events in all.
constexpr char kSmallCsv[] =
    "Client,Name,Invoice,Issued,Due,Amount,Currency,Paid,Disputed,Delivered\r\n"
    "A1,\"Bureau of Roads, East\",INV-1,2025-01-10,2025-02-09,\"1,234.50\",CNY,2025-02-20,No,"
    "2025-01-05\r\n"
    "A1,,INV-2,2025-03-01,2025-03-31,800,cny,2025-04-02,Yes,\r\n"
    "B2,,INV-3,2025-02-01,2025-03-03, 12.30 ,USD,,,\r\n"
    "A1,Ignored Name,INV-4,2025-04-01,2025-05-01,1,JPY,,,\r\n"
    "B2,,INV-5,2025-02-30,2025-03-03,5,USD,,,\r\n"
    "B2,,INV-6,2025-05-01,2025-05-31,9.999,KWD,2025-06-01,no,2025-04-30\r\n";

ColumnMapping SmallMapping() {
  absl::StatusOr<ColumnMapping> mapping = ParseMappingFile(kMapping);
  EXPECT_TRUE(mapping.ok()) << mapping.status();
  return *mapping;
}

ColumnMapping IbmMapping() { return *MappingPreset("ibm"); }

struct Result {
  absl::Status status;
  ImportSummary summary;
  std::vector<EventBatch> batches;
  std::vector<v1::Event> events;  // all batches, in order
};

Result Import(const std::string& csv, const ColumnMapping& mapping, ImportOptions options = {}) {
  Result result;
  std::istringstream in(csv);
  absl::StatusOr<ImportSummary> summary =
      ImportCsv(&in, mapping, options, [&result](EventBatch& batch) {
        result.batches.push_back(batch);
        for (const v1::Event& e : batch.events) result.events.push_back(e);
        return absl::OkStatus();
      });
  result.status = summary.status();
  if (summary.ok()) result.summary = *summary;
  return result;
}

ImportOptions Batch(size_t max_batch_events) {
  ImportOptions options;
  options.max_batch_events = max_batch_events;
  return options;
}

int64_t Midnight(int y, int m, int d) {
  return absl::ToUnixSeconds(absl::FromCivil(absl::CivilDay(y, m, d), absl::UTCTimeZone()));
}

std::string Text(const v1::Date& d) {
  return std::to_string(d.year()) + "-" + std::to_string(d.month()) + "-" + std::to_string(d.day());
}

TEST(CsvImporterTest, SmallFileGivesExactlyTheseEvents) {
  const Result r = Import(kSmallCsv, SmallMapping());
  ASSERT_TRUE(r.status.ok()) << r.status;
  ASSERT_EQ(r.events.size(), 10u);

  const v1::Event& registered = r.events[0];
  EXPECT_EQ(registered.stream(), "client-A1");
  EXPECT_EQ(registered.event_id(), ImportEventId("client-A1", "ClientRegistered", "A1"));
  EXPECT_EQ(registered.schema_version(), 1u);
  EXPECT_EQ(registered.occurred_at().seconds(), Midnight(2025, 1, 10));
  ASSERT_TRUE(registered.has_client_registered());
  EXPECT_EQ(registered.client_registered().client_id(), "A1");
  EXPECT_EQ(registered.client_registered().name(), "Bureau of Roads, East");
  EXPECT_EQ(registered.client_registered().jurisdiction(), v1::JURISDICTION_CN);
  EXPECT_EQ(registered.client_registered().client_kind(), v1::CLIENT_KIND_GOVERNMENT_ORGAN);
  EXPECT_TRUE(registered.client_registered().seller_is_sme());

  const v1::Event& issued = r.events[1];
  EXPECT_EQ(issued.stream(), "client-A1");
  EXPECT_EQ(issued.event_id(), ImportEventId("client-A1", "InvoiceIssued", "INV-1"));
  EXPECT_EQ(issued.occurred_at().seconds(), Midnight(2025, 1, 10));
  ASSERT_TRUE(issued.has_invoice_issued());
  EXPECT_EQ(issued.invoice_issued().invoice_id(), "INV-1");
  EXPECT_EQ(issued.invoice_issued().amount().amount_minor(), 123450);
  EXPECT_EQ(issued.invoice_issued().amount().currency(), "CNY");
  EXPECT_EQ(Text(issued.invoice_issued().issue_date()), "2025-1-10");
  EXPECT_EQ(Text(issued.invoice_issued().due_date()), "2025-2-9");
  EXPECT_EQ(Text(issued.invoice_issued().delivery_date()), "2025-1-5");
  EXPECT_FALSE(issued.invoice_issued().has_received_date());

  const v1::Event& paid = r.events[2];
  EXPECT_EQ(paid.stream(), "client-A1");
  EXPECT_EQ(paid.event_id(), ImportEventId("client-A1", "PaymentReceived", "pay-INV-1"));
  EXPECT_EQ(paid.occurred_at().seconds(), Midnight(2025, 2, 20));
  ASSERT_TRUE(paid.has_payment_received());
  EXPECT_EQ(paid.payment_received().payment_id(), "pay-INV-1");
  EXPECT_EQ(paid.payment_received().amount().amount_minor(), 123450);
  EXPECT_EQ(paid.payment_received().amount().currency(), "CNY");
  EXPECT_EQ(Text(paid.payment_received().value_date()), "2025-2-20");
  ASSERT_EQ(paid.payment_received().allocations_size(), 1);
  EXPECT_EQ(paid.payment_received().allocations(0).invoice_id(), "INV-1");
  EXPECT_EQ(paid.payment_received().allocations(0).amount_minor(), 123450);

  // Line 3: the lower-case currency is accepted as CNY; no delivery date.
  EXPECT_EQ(r.events[3].invoice_issued().invoice_id(), "INV-2");
  EXPECT_EQ(r.events[3].invoice_issued().amount().amount_minor(), 80000);
  EXPECT_EQ(r.events[3].invoice_issued().amount().currency(), "CNY");
  EXPECT_FALSE(r.events[3].invoice_issued().has_delivery_date());
  EXPECT_EQ(r.events[4].payment_received().payment_id(), "pay-INV-2");

  // Line 4: B2 has no name, so the id names it; " 12.30 " is trimmed; unpaid.
  EXPECT_EQ(r.events[5].client_registered().client_id(), "B2");
  EXPECT_EQ(r.events[5].client_registered().name(), "B2");
  EXPECT_EQ(r.events[5].stream(), "client-B2");
  EXPECT_EQ(r.events[6].invoice_issued().amount().amount_minor(), 1230);
  EXPECT_EQ(r.events[6].invoice_issued().amount().currency(), "USD");

  // Line 5: A1 is registered already; one yen.
  EXPECT_EQ(r.events[7].stream(), "client-A1");
  EXPECT_EQ(r.events[7].invoice_issued().amount().amount_minor(), 1);
  EXPECT_EQ(r.events[7].invoice_issued().amount().currency(), "JPY");

  // Line 7: 9.999 KWD is 9999 fils.
  EXPECT_EQ(r.events[8].invoice_issued().invoice_id(), "INV-6");
  EXPECT_EQ(r.events[8].invoice_issued().amount().amount_minor(), 9999);
  EXPECT_EQ(r.events[9].payment_received().amount().amount_minor(), 9999);

  const ImportSummary& s = r.summary;
  EXPECT_EQ(s.rows_read, 6);
  EXPECT_EQ(s.rows_imported, 5);
  EXPECT_EQ(s.rows_rejected, 1);
  EXPECT_EQ(s.clients_registered, 2);
  EXPECT_EQ(s.invoices_issued, 5);
  EXPECT_EQ(s.payments_received, 3);
  EXPECT_EQ(s.disputed_rows, 1);
  EXPECT_EQ(s.events, 10);
  EXPECT_EQ(s.invoiced_minor_by_currency,
            (std::map<std::string, int64_t>{
                {"CNY", 123450 + 80000}, {"JPY", 1}, {"KWD", 9999}, {"USD", 1230}}));
  ASSERT_EQ(s.rejections.size(), 1u);
  EXPECT_EQ(s.rejections[0].ToString(), "line 6: Issued \"2025-02-30\": not a date (YYYY-MM-DD)");
}

constexpr char kIbmHeader[] =
    "countryCode,customerID,PaperlessDate,invoiceNumber,InvoiceDate,DueDate,InvoiceAmount,"
    "Disputed,SettledDate,PaperlessBill,DaysToSettle,DaysLate\n";

TEST(CsvImporterTest, RejectedRowsAreReportedWithLineAndYieldNoEvents) {
  const std::string csv =
      std::string(kIbmHeader) +
      /* 2 */
      "391,0379-NEVHP,4/6/2013,0000611365,1/2/2013,2/1/2013,55.94,No,1/15/2013,Paper,13,0\n"
      /* 3 */
      "391,0379-NEVHP,4/6/2013,0000000003,1/2/2013,2/30/2013,10.00,No,1/15/2013,Paper,13,0\n"
      /* 4 */
      "391,0379-NEVHP,4/6/2013,0000000004,3/1/2013,2/1/2013,10.00,No,3/15/2013,Paper,14,42\n"
      /* 5 */
      "391,0379-NEVHP,4/6/2013,0000611365,1/2/2013,2/1/2013,55.94,No,1/15/2013,Paper,13,0\n"
      /* 6 */
      "391,AB CD,4/6/2013,0000000006,1/2/2013,2/1/2013,10.00,No,1/15/2013,Paper,13,0\n"
      /* 7 */
      "391,0379-NEVHP,4/6/2013,0000000007,1/2/2013,2/1/2013,-5.00,No,1/15/2013,Paper,13,0\n"
      /* 8 */
      "391,0379-NEVHP,4/6/2013,0000000008,1/2/2013,2/1/2013,10.00,No,1/15/2013,Paper,13\n"
      /* 9 */
      "391,0379-NEVHP,4/6/2013,0000000009,1/2/2013,2/1/2013,10.00,Maybe,1/15/2013,Paper,13,0\n"
      /* 10 */
      "391,0379-NEVHP,4/6/2013,0000000010,1/2/2013,2/1/2013,10.00,No,1/1/2013,Paper,-1,0\n"
      /* 11 */
      "391,0379-NEVHP,4/6/2013,00000\"11,1/2/2013,2/1/2013,10.00,No,1/15/2013,Paper,13,0\n"
      /* 12 */
      "406,8976-AMJEO,3/3/2012,0007900770,1/26/2013,2/25/2013,61.74,Yes,,Electronic,,\n"
      /* 13 */
      "406,5555-AAAAA,3/3/2012,0000000013,1/26/2013,2/25/2013,abc,No,3/3/2013,Electronic,36,6\n"
      /* 14 */
      "406,5555-AAAAA,3/3/2012,0000000014,1/27/2013,2/26/2013,\"1000.00\",No,3/3/2013,"
      "Electronic,35,5\n"
      /* 15 */ "391,0379-NEVHP,4/6/2013,0000000003,1/3/2013,2/2/2013,20.00,No,,Paper,,\n";
  const Result r = Import(csv, IbmMapping());
  ASSERT_TRUE(r.status.ok()) << r.status;

  std::vector<std::string> reasons;
  for (const RowRejection& rejection : r.summary.rejections)
    reasons.push_back(rejection.ToString());
  EXPECT_EQ(reasons,
            (std::vector<std::string>{
                "line 3: DueDate \"2/30/2013\": not a date (M/D/YYYY)",
                "line 4: DueDate \"2/1/2013\": before InvoiceDate \"3/1/2013\"",
                "line 5: invoiceNumber \"0000611365\": duplicate invoice id, first imported from "
                "line 2",
                "line 6: customerID \"AB CD\": client ids must be 1..121 characters of "
                "[A-Za-z0-9._:-]",
                "line 7: InvoiceAmount \"-5.00\": negative amounts are not accepted",
                "line 8: has 11 fields, the header has 12",
                "line 9: Disputed \"Maybe\": not a yes/no value (Yes, No, Y, N, true, false, 1, 0)",
                "line 10: SettledDate \"1/1/2013\": before InvoiceDate \"1/2/2013\"",
                "line 11: quote inside an unquoted field (quote the whole field)",
                "line 13: InvoiceAmount \"abc\": not a decimal amount (digits, optional '.' and "
                "decimals)",
            }));

  // Lines 2, 12, 14 and 15 imported; line 14 registers 5555-AAAAA because its first row
  // (line 13) was rejected; line 15 reuses the invoice id of rejected line 3.
  std::vector<std::string> got;
  for (const v1::Event& e : r.events) {
    std::string what = e.stream() + " ";
    if (e.has_client_registered()) what += "ClientRegistered";
    if (e.has_invoice_issued()) what += "InvoiceIssued " + e.invoice_issued().invoice_id();
    if (e.has_payment_received()) what += "PaymentReceived " + e.payment_received().payment_id();
    got.push_back(what);
  }
  EXPECT_EQ(got, (std::vector<std::string>{
                     "client-0379-NEVHP ClientRegistered",
                     "client-0379-NEVHP InvoiceIssued 0000611365",
                     "client-0379-NEVHP PaymentReceived pay-0000611365",
                     "client-8976-AMJEO ClientRegistered",
                     "client-8976-AMJEO InvoiceIssued 0007900770",
                     "client-5555-AAAAA ClientRegistered",
                     "client-5555-AAAAA InvoiceIssued 0000000014",
                     "client-5555-AAAAA PaymentReceived pay-0000000014",
                     "client-0379-NEVHP InvoiceIssued 0000000003",
                 }));
  EXPECT_EQ(r.events[5].occurred_at().seconds(), Midnight(2013, 1, 27));
  EXPECT_EQ(r.events[8].invoice_issued().amount().amount_minor(), 2000);

  const ImportSummary& s = r.summary;
  EXPECT_EQ(s.rows_read, 14);
  EXPECT_EQ(s.rows_imported, 4);
  EXPECT_EQ(s.rows_rejected, 10);
  EXPECT_EQ(s.clients_registered, 3);
  EXPECT_EQ(s.invoices_issued, 4);
  EXPECT_EQ(s.payments_received, 2);
  EXPECT_EQ(s.disputed_rows, 1);
  EXPECT_EQ(s.events, 9);
  // 55.94 + 61.74 + 1000.00 + 20.00 dollars.
  EXPECT_EQ(s.invoiced_minor_by_currency.at("USD"), 5594 + 6174 + 100000 + 2000);
}

// Found by tests/fuzz/fuzz_csv_import: protobuf strings must be UTF-8, so an invoice id or
// client name in another encoding would give an event the ledger server cannot parse.
TEST(CsvImporterTest, RejectsInvoiceIdsAndNamesThatAreNotUtf8) {
  const std::string csv =
      "Client,Name,Invoice,Issued,Due,Amount,Currency,Paid,Disputed,Delivered\n"
      /* 2 */
      "A1,,INV-\xff,2025-01-10,2025-02-09,1,CNY,,,\n"
      /* 3 */
      "A1,Caf\xe9,INV-2,2025-01-10,2025-02-09,1,CNY,,,\n"
      /* 4: a surrogate, U+D800, encoded as if it were a character */
      "A1,\xed\xa0\x80,INV-3,2025-01-10,2025-02-09,1,CNY,,,\n"
      /* 5: Café 北京, INV-€ */
      "A1,Caf\xc3\xa9 \xe5\x8c\x97\xe4\xba\xac,INV-\xe2\x82\xac,2025-01-10,2025-02-09,1,CNY,,,\n";
  const Result r = Import(csv, SmallMapping());
  ASSERT_TRUE(r.status.ok()) << r.status;
  std::vector<std::string> reasons;
  for (const RowRejection& rejection : r.summary.rejections) {
    reasons.push_back(rejection.ToString());
  }
  EXPECT_EQ(reasons,
            (std::vector<std::string>{
                "line 2: Invoice \"INV-\xff\": invoice ids must be 1..124 bytes of UTF-8 without "
                "control characters (this cell is not UTF-8: for a GBK or GB18030 export set "
                "encoding = GB18030)",
                "line 3: Name \"Caf\xe9\": client names must be at most 4096 bytes of UTF-8 "
                "without control characters (this cell is not UTF-8: for a GBK or GB18030 export "
                "set encoding = GB18030)",
                "line 4: Name \"\xed\xa0\x80\": client names must be at most 4096 bytes of UTF-8 "
                "without control characters (this cell is not UTF-8: for a GBK or GB18030 export "
                "set encoding = GB18030)",
            }));
  ASSERT_EQ(r.events.size(), 2u);
  EXPECT_EQ(r.events[0].client_registered().name(), "Caf\xc3\xa9 \xe5\x8c\x97\xe4\xba\xac");
  EXPECT_EQ(r.events[1].invoice_issued().invoice_id(), "INV-\xe2\x82\xac");
}

TEST(CsvImporterTest, SameFileTwiceGivesIdenticalEventsAndIdsAreDistinct) {
  const Result first = Import(kSmallCsv, SmallMapping());
  const Result second = Import(kSmallCsv, SmallMapping(), Batch(3));
  ASSERT_EQ(first.events.size(), 10u);
  ASSERT_EQ(second.events.size(), 10u);
  absl::flat_hash_set<std::string> ids;
  for (size_t i = 0; i < first.events.size(); ++i) {
    EXPECT_EQ(first.events[i].SerializeAsString(), second.events[i].SerializeAsString()) << i;
    ids.insert(first.events[i].event_id());
  }
  EXPECT_EQ(ids.size(), 10u);
  // INV-1 and INV-2 of the same client get different ids.
  EXPECT_NE(first.events[1].event_id(), first.events[3].event_id());
}

std::vector<size_t> BatchSizes(const Result& r) {
  std::vector<size_t> sizes;
  for (const EventBatch& b : r.batches) sizes.push_back(b.events.size());
  return sizes;
}

TEST(CsvImporterTest, BatchesNeverSplitARow) {
  // Rows give 3, 2, 2, 1, (rejected), 2 events.
  const Result four = Import(kSmallCsv, SmallMapping(), Batch(4));
  ASSERT_TRUE(four.status.ok()) << four.status;
  EXPECT_EQ(BatchSizes(four), (std::vector<size_t>{3, 4, 3}));
  ASSERT_EQ(four.batches.size(), 3u);
  EXPECT_EQ(four.batches[0].rows, 1);
  EXPECT_EQ(four.batches[0].first_line, 2);
  EXPECT_EQ(four.batches[0].last_line, 2);
  EXPECT_EQ(four.batches[1].rows, 2);
  EXPECT_EQ(four.batches[1].first_line, 3);
  EXPECT_EQ(four.batches[1].last_line, 4);
  EXPECT_EQ(four.batches[2].rows, 2);
  EXPECT_EQ(four.batches[2].first_line, 5);
  EXPECT_EQ(four.batches[2].last_line, 7);

  const Result three = Import(kSmallCsv, SmallMapping(), Batch(3));
  EXPECT_EQ(BatchSizes(three), (std::vector<size_t>{3, 2, 3, 2}));

  const Result large = Import(kSmallCsv, SmallMapping(), Batch(500));
  EXPECT_EQ(BatchSizes(large), (std::vector<size_t>{10}));

  // Whatever the size, the concatenation is the same sequence.
  ASSERT_EQ(three.events.size(), large.events.size());
  for (size_t i = 0; i < large.events.size(); ++i) {
    EXPECT_EQ(three.events[i].event_id(), large.events[i].event_id());
  }
}

TEST(CsvImporterTest, LeavesOutEventsTheLedgerAlreadyHas) {
  // As if an earlier export held only line 2 (paid) and line 3 before it was paid.
  const Result all = Import(kSmallCsv, SmallMapping());
  ASSERT_EQ(all.events.size(), 10u);
  absl::flat_hash_set<std::string> stored = {all.events[0].event_id(), all.events[1].event_id(),
                                             all.events[2].event_id(), all.events[3].event_id()};
  ImportOptions options = Batch(3);
  options.already_stored = [&stored](const std::string& id) { return stored.contains(id); };
  const Result rest = Import(kSmallCsv, SmallMapping(), options);
  ASSERT_TRUE(rest.status.ok()) << rest.status;
  ASSERT_EQ(rest.events.size(), 6u);
  EXPECT_EQ(rest.events[0].payment_received().payment_id(), "pay-INV-2");
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(rest.events[i].event_id(), all.events[i + 4].event_id()) << i;
  }
  EXPECT_EQ(rest.summary.events, 6);
  EXPECT_EQ(rest.summary.events_already_stored, 4);
  EXPECT_EQ(rest.summary.clients_registered, 1);  // B2 only
  EXPECT_EQ(rest.summary.invoices_issued, 3);
  EXPECT_EQ(rest.summary.payments_received, 2);
  EXPECT_EQ(rest.summary.rows_imported, 5);

  // Everything stored: no batch at all.
  for (const v1::Event& e : all.events) stored.insert(e.event_id());
  const Result none = Import(kSmallCsv, SmallMapping(), options);
  EXPECT_TRUE(none.batches.empty());
  EXPECT_EQ(none.summary.events_already_stored, 10);
  EXPECT_EQ(none.summary.rows_imported, 5);
}

TEST(CsvImporterTest, ReportsProgress) {
  std::vector<ImportProgress> calls;
  ImportOptions options;
  options.max_batch_events = 4;
  options.progress_every_rows = 1;
  options.on_progress = [&calls](const ImportProgress& p) { calls.push_back(p); };
  const Result r = Import(kSmallCsv, SmallMapping(), options);
  ASSERT_TRUE(r.status.ok()) << r.status;
  ASSERT_FALSE(calls.empty());
  for (size_t i = 1; i < calls.size(); ++i) {
    EXPECT_GE(calls[i].rows_done, calls[i - 1].rows_done);
    EXPECT_GE(calls[i].bytes_read, calls[i - 1].bytes_read);
  }
  EXPECT_EQ(calls.back().rows_done, 6);
  EXPECT_EQ(calls.back().bytes_read, static_cast<int64_t>(std::string(kSmallCsv).size()));
}

TEST(CsvImporterTest, SinkErrorStopsTheImport) {
  std::istringstream in(kSmallCsv);
  int calls = 0;
  absl::StatusOr<ImportSummary> summary =
      ImportCsv(&in, SmallMapping(), Batch(3), [&calls](EventBatch&) {
        return ++calls == 2 ? absl::UnavailableError("ledger down") : absl::OkStatus();
      });
  EXPECT_EQ(summary.status(), absl::UnavailableError("ledger down"));
  EXPECT_EQ(calls, 2);
}

absl::Status CreateStatus(const std::string& csv, const ColumnMapping& mapping,
                          ImportOptions options = {}) {
  std::istringstream in(csv);
  return CsvImporter::Create(&in, mapping, std::move(options)).status();
}

TEST(CsvImporterTest, HeaderAndOptionErrors) {
  EXPECT_EQ(CreateStatus("", IbmMapping()),
            absl::InvalidArgumentError("the CSV input is empty: no header row"));
  EXPECT_EQ(CreateStatus("customerID,invoiceNumber\n", IbmMapping()),
            absl::InvalidArgumentError("line 1: column \"InvoiceDate\" (invoice_date) is not in "
                                       "the header; the header has: customerID, invoiceNumber"));
  EXPECT_EQ(CreateStatus("customerID,invoiceNumber,InvoiceDate,DueDate,InvoiceAmount,"
                         "SettledDate,Disputed,DueDate\n",
                         IbmMapping()),
            absl::InvalidArgumentError("line 1: column \"DueDate\" (due_date) appears twice in "
                                       "the header (columns 4 and 8)"));
  EXPECT_EQ(CreateStatus("\"a\"b\n", IbmMapping()),
            absl::InvalidArgumentError(
                "line 1: header row: unexpected character 'b' after a closing quote"));
  EXPECT_EQ(CreateStatus(kIbmHeader, IbmMapping(), Batch(2)),
            absl::InvalidArgumentError("max_batch_events must be in 3..5000, got 2"));
  EXPECT_EQ(CreateStatus(kIbmHeader, ColumnMapping{}).code(), absl::StatusCode::kInvalidArgument);
  // Header cells are matched after trimming spaces.
  EXPECT_TRUE(CreateStatus(" countryCode , customerID ,PaperlessDate,invoiceNumber,InvoiceDate,"
                           "DueDate,InvoiceAmount,Disputed,SettledDate\n",
                           IbmMapping())
                  .ok());
}

TEST(CsvImporterTest, HeaderOnlyFileImportsNothing) {
  const Result r = Import(kIbmHeader, IbmMapping());
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_TRUE(r.batches.empty());
  EXPECT_EQ(r.summary.rows_read, 0);
}

TEST(CsvImporterTest, KeepsOnlyTheFirstRejectionsButCountsAll) {
  std::string csv = kIbmHeader;
  const int bad_rows = static_cast<int>(kMaxKeptRejections) + 5;
  for (int i = 0; i < bad_rows; ++i) csv += "bad\n";
  const Result r = Import(csv, IbmMapping());
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(r.summary.rows_rejected, bad_rows);
  EXPECT_EQ(r.summary.rejections.size(), kMaxKeptRejections);
  EXPECT_EQ(r.summary.rejections.back().ToString(), "line 1001: has 1 fields, the header has 12");
}

}  // namespace
}  // namespace sixhearts::csv_import
