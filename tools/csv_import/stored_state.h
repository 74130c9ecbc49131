// What the ledger already holds for the clients and invoices of an import, folded from a
// client's stream (read with ReadStream), so the importer can compare each row with it:
// an unchanged row appends nothing, a settlement appends the difference, a changed fact
// is a conflict (csv_importer.h "Comparison with the ledger").
#ifndef SIXHEARTS_TOOLS_CSV_IMPORT_STORED_STATE_H_
#define SIXHEARTS_TOOLS_CSV_IMPORT_STORED_STATE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/time/civil_time.h"
#include "sixhearts/ledger/v1/events.pb.h"

namespace sixhearts::csv_import {

namespace v1 = ::sixhearts::ledger::v1;

// Money allocated to an invoice by one payment (PaymentReceived or PaymentAllocated).
struct StoredReceipt {
  std::string payment_id;
  int64_t amount_minor = 0;
  absl::CivilDay value_date;
  bool reversed = false;  // the payment was reversed (PaymentReversed)
};

struct StoredInvoice {
  // As issued (InvoiceIssued), or as the last InvoiceAmended restated them.
  int64_t issued_minor = 0;
  std::string currency;
  absl::CivilDay issue_date;
  absl::CivilDay due_date;
  std::optional<absl::CivilDay> delivery_date;
  // Credit notes on this invoice and amounts written off, in its currency.
  int64_t credited_minor = 0;
  int64_t written_off_minor = 0;
  std::vector<StoredReceipt> receipts;
  // InvoiceAmended events of this invoice in the stream (the import numbers its own).
  int amendments = 0;

  // The amount the ledger now bills: issued minus credit notes.
  int64_t amount_minor() const { return issued_minor - credited_minor; }
  // Payments allocated to it, reversed ones left out.
  int64_t paid_minor() const;
  // The value date of the latest payment not reversed; nullopt without one.
  std::optional<absl::CivilDay> last_paid_on() const;
  // Nothing left to collect: paid and written off reach the amount.
  bool settled() const { return paid_minor() + written_off_minor >= amount_minor(); }
};

// One client's stream, folded. Not thread-safe.
struct StoredClient {
  bool registered = false;  // the stream holds a ClientRegistered
  absl::flat_hash_map<std::string, StoredInvoice> invoices;
  // Business ids taken in the stream, so the import's new ids stay unique.
  absl::flat_hash_set<std::string> payment_ids;
  absl::flat_hash_set<std::string> credit_note_ids;

  // Folds one event of the stream, in stream order. Events of other types, and references
  // to invoices or payments the stream does not have, are ignored (the ledger refuses
  // them on append, so they cannot be there).
  void Apply(const v1::Event& event);

  // The payment that counts on `invoice_id` when there is exactly one, the import
  // appended it (its event id is ImportEventId(stream, "PaymentReceived", payment id)),
  // and its whole amount went to this invoice alone, so that reversing it takes nothing
  // from another invoice or from unapplied cash; nullptr otherwise.
  const StoredReceipt* SoleImportedReceipt(const std::string& invoice_id) const;

 private:
  // Payment id -> its amount, value date and the invoices it was allocated to.
  struct Payment {
    int64_t amount_minor = 0;
    absl::CivilDay value_date;
    std::vector<std::string> invoice_ids;
    bool reversed = false;
    bool imported = false;
  };
  void Allocate(const std::string& payment_id, const Payment& payment,
                const v1::Allocation& allocation);
  absl::flat_hash_map<std::string, Payment> payments_;
};

}  // namespace sixhearts::csv_import

#endif  // SIXHEARTS_TOOLS_CSV_IMPORT_STORED_STATE_H_
