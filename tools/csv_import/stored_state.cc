// The fold of a client's stream into what the import compares rows with.
#include "tools/csv_import/stored_state.h"

#include <algorithm>

#include "ledger/dates.h"
#include "tools/csv_import/event_ids.h"

namespace sixhearts::csv_import {

int64_t StoredInvoice::paid_minor() const {
  int64_t paid = 0;
  for (const StoredReceipt& r : receipts) {
    if (!r.reversed) paid += r.amount_minor;
  }
  return paid;
}

std::optional<absl::CivilDay> StoredInvoice::last_paid_on() const {
  std::optional<absl::CivilDay> last;
  for (const StoredReceipt& r : receipts) {
    if (!r.reversed && (!last || r.value_date > *last)) last = r.value_date;
  }
  return last;
}

void StoredClient::Allocate(const std::string& payment_id, const Payment& payment,
                            const v1::Allocation& allocation) {
  auto it = invoices.find(allocation.invoice_id());
  if (it == invoices.end()) return;
  it->second.receipts.push_back({payment_id, allocation.amount_minor(), payment.value_date, false});
  payments_[payment_id].invoice_ids.push_back(allocation.invoice_id());
}

const StoredReceipt* StoredClient::SoleImportedReceipt(const std::string& invoice_id) const {
  auto invoice = invoices.find(invoice_id);
  if (invoice == invoices.end()) return nullptr;
  const StoredReceipt* sole = nullptr;
  for (const StoredReceipt& r : invoice->second.receipts) {
    if (r.reversed) continue;
    if (sole != nullptr && sole->payment_id != r.payment_id) return nullptr;
    sole = &r;
  }
  if (sole == nullptr) return nullptr;
  auto payment = payments_.find(sole->payment_id);
  if (payment == payments_.end() || payment->second.reversed || !payment->second.imported) {
    return nullptr;
  }
  for (const std::string& id : payment->second.invoice_ids) {
    if (id != invoice_id) return nullptr;
  }
  int64_t applied = 0;
  for (const StoredReceipt& r : invoice->second.receipts) {
    if (r.payment_id == sole->payment_id) applied += r.amount_minor;
  }
  return applied == payment->second.amount_minor && applied == sole->amount_minor ? sole : nullptr;
}

void StoredClient::Apply(const v1::Event& event) {
  switch (event.payload_case()) {
    case v1::Event::kClientRegistered:
      registered = true;
      break;
    case v1::Event::kInvoiceIssued: {
      const v1::InvoiceIssued& p = event.invoice_issued();
      StoredInvoice invoice;
      invoice.issued_minor = p.amount().amount_minor();
      invoice.currency = p.amount().currency();
      invoice.issue_date = ledger::ToCivilDay(p.issue_date());
      invoice.due_date = ledger::ToCivilDay(p.due_date());
      if (p.has_delivery_date() && !ledger::IsUnsetDate(p.delivery_date())) {
        invoice.delivery_date = ledger::ToCivilDay(p.delivery_date());
      }
      invoices.insert_or_assign(p.invoice_id(), std::move(invoice));
      break;
    }
    case v1::Event::kPaymentReceived: {
      const v1::PaymentReceived& p = event.payment_received();
      payment_ids.insert(p.payment_id());
      Payment& payment = payments_[p.payment_id()];
      payment.amount_minor = p.amount().amount_minor();
      payment.imported =
          event.event_id() == ImportEventId(event.stream(), "PaymentReceived", p.payment_id());
      payment.value_date = ledger::ToCivilDay(p.value_date());
      const Payment copy = payment;
      for (const v1::Allocation& a : p.allocations()) Allocate(p.payment_id(), copy, a);
      break;
    }
    case v1::Event::kPaymentAllocated: {
      const v1::PaymentAllocated& p = event.payment_allocated();
      auto it = payments_.find(p.payment_id());
      if (it == payments_.end()) break;
      const Payment copy = it->second;
      for (const v1::Allocation& a : p.allocations()) Allocate(p.payment_id(), copy, a);
      break;
    }
    case v1::Event::kPaymentReversed: {
      auto it = payments_.find(event.payment_reversed().payment_id());
      if (it == payments_.end()) break;
      it->second.reversed = true;
      for (const std::string& invoice_id : it->second.invoice_ids) {
        auto invoice = invoices.find(invoice_id);
        if (invoice == invoices.end()) continue;
        for (StoredReceipt& r : invoice->second.receipts) {
          if (r.payment_id == it->first) r.reversed = true;
        }
      }
      break;
    }
    case v1::Event::kInvoiceAmended: {
      const v1::InvoiceAmended& p = event.invoice_amended();
      auto it = invoices.find(p.invoice_id());
      if (it == invoices.end()) break;
      StoredInvoice& invoice = it->second;
      ++invoice.amendments;
      if (p.has_amount()) invoice.issued_minor = p.amount().amount_minor();
      if (!ledger::IsUnsetDate(p.issue_date())) {
        invoice.issue_date = ledger::ToCivilDay(p.issue_date());
      }
      if (!ledger::IsUnsetDate(p.due_date())) invoice.due_date = ledger::ToCivilDay(p.due_date());
      if (!ledger::IsUnsetDate(p.delivery_date())) {
        invoice.delivery_date = ledger::ToCivilDay(p.delivery_date());
      }
      break;
    }
    case v1::Event::kCreditNoteIssued: {
      const v1::CreditNoteIssued& p = event.credit_note_issued();
      credit_note_ids.insert(p.credit_note_id());
      auto it = invoices.find(p.invoice_id());
      if (it != invoices.end()) it->second.credited_minor += p.amount().amount_minor();
      break;
    }
    case v1::Event::kInvoiceWrittenOff: {
      auto it = invoices.find(event.invoice_written_off().invoice_id());
      if (it != invoices.end())
        it->second.written_off_minor += event.invoice_written_off().amount_minor();
      break;
    }
    default:
      break;
  }
}

}  // namespace sixhearts::csv_import
