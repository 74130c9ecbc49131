// The fold of a client's stream that the import compares rows with: payments, later
// allocations, reversals, credit notes and write-offs, with figures computed by hand.
#include "tools/csv_import/stored_state.h"

#include "gtest/gtest.h"
#include "ledger/dates.h"

namespace sixhearts::csv_import {
namespace {

v1::Event Invoice(const std::string& id, int64_t amount_minor) {
  v1::Event e;
  v1::InvoiceIssued* p = e.mutable_invoice_issued();
  p->set_invoice_id(id);
  p->mutable_amount()->set_amount_minor(amount_minor);
  p->mutable_amount()->set_currency("CNY");
  *p->mutable_issue_date() = ledger::FromCivilDay(absl::CivilDay(2025, 3, 1));
  *p->mutable_due_date() = ledger::FromCivilDay(absl::CivilDay(2025, 3, 31));
  return e;
}

v1::Event Payment(const std::string& id, absl::CivilDay on,
                  std::vector<std::pair<std::string, int64_t>> allocations) {
  v1::Event e;
  v1::PaymentReceived* p = e.mutable_payment_received();
  p->set_payment_id(id);
  int64_t total = 0;
  for (const auto& [invoice, amount] : allocations) {
    v1::Allocation* a = p->add_allocations();
    a->set_invoice_id(invoice);
    a->set_amount_minor(amount);
    total += amount;
  }
  p->mutable_amount()->set_amount_minor(total);
  p->mutable_amount()->set_currency("CNY");
  *p->mutable_value_date() = ledger::FromCivilDay(on);
  return e;
}

TEST(StoredClientTest, FoldsPaymentsCreditsReversalsAndWriteOffs) {
  StoredClient client;
  v1::Event registered;
  registered.mutable_client_registered()->set_client_id("x");
  client.Apply(registered);
  client.Apply(Invoice("A", 10000));  // 100.00
  client.Apply(Invoice("B", 5000));   // 50.00
  client.Apply(Payment("p1", absl::CivilDay(2025, 3, 10), {{"A", 3000}, {"B", 5000}}));
  client.Apply(Payment("p2", absl::CivilDay(2025, 3, 20), {{"A", 2000}}));
  v1::Event later;
  later.mutable_payment_allocated()->set_payment_id("p2");
  v1::Allocation* a = later.mutable_payment_allocated()->add_allocations();
  a->set_invoice_id("A");
  a->set_amount_minor(1000);
  client.Apply(later);
  v1::Event reversed;
  reversed.mutable_payment_reversed()->set_payment_id("p1");
  client.Apply(reversed);
  v1::Event credit;
  credit.mutable_credit_note_issued()->set_credit_note_id("cn-A");
  credit.mutable_credit_note_issued()->set_invoice_id("A");
  credit.mutable_credit_note_issued()->mutable_amount()->set_amount_minor(1500);
  client.Apply(credit);
  v1::Event written_off;
  written_off.mutable_invoice_written_off()->set_invoice_id("A");
  written_off.mutable_invoice_written_off()->set_amount_minor(500);
  client.Apply(written_off);

  EXPECT_TRUE(client.registered);
  const StoredInvoice& invoice_a = client.invoices.at("A");
  // 100.00 - 15.00 credited = 85.00; paid 20.00 + 10.00 (p1's 30.00 reversed); 5.00 off.
  EXPECT_EQ(invoice_a.amount_minor(), 8500);
  EXPECT_EQ(invoice_a.paid_minor(), 3000);
  EXPECT_EQ(invoice_a.written_off_minor, 500);
  EXPECT_FALSE(invoice_a.settled());
  EXPECT_EQ(invoice_a.last_paid_on(), absl::CivilDay(2025, 3, 20));
  const StoredInvoice& invoice_b = client.invoices.at("B");
  EXPECT_EQ(invoice_b.paid_minor(), 0);  // p1 reversed
  EXPECT_EQ(invoice_b.last_paid_on(), std::nullopt);
  EXPECT_FALSE(invoice_b.settled());
  EXPECT_TRUE(client.payment_ids.contains("p1"));
  EXPECT_TRUE(client.credit_note_ids.contains("cn-A"));
}

}  // namespace
}  // namespace sixhearts::csv_import
