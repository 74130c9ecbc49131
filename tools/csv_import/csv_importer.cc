// Row validation and event building for the CSV import, and the batching loop that keeps
// each row's events together.
#include "tools/csv_import/csv_importer.h"

#include <cstdlib>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "ledger/currency.h"
#include "ledger/dates.h"
#include "tools/csv_import/encoding.h"
#include "tools/csv_import/event_ids.h"
#include "tools/csv_import/field_parsers.h"
#include "tools/csv_import/string_views.h"

namespace sixhearts::csv_import {
namespace {

constexpr absl::string_view kStreamPrefix = "client-";
constexpr absl::string_view kPaymentIdPrefix = "pay-";
constexpr size_t kMaxClientIdBytes = kMaxLedgerIdBytes - kStreamPrefix.size();
constexpr absl::string_view kCreditNoteIdPrefix = "cn-";
constexpr size_t kMaxInvoiceIdBytes = kMaxLedgerIdBytes - kPaymentIdPrefix.size();

// "<prefix><invoice id>" if no business id of `taken` has it, else the first free of
// "<prefix><invoice id>-2", "-3", ...; an id that would pass kMaxLedgerIdBytes uses a
// name-based UUID of the invoice id in its place.
std::string UnusedId(absl::string_view prefix, const std::string& invoice_id,
                     const absl::flat_hash_set<std::string>* taken) {
  const auto is_taken = [taken](const std::string& id) {
    return taken != nullptr && taken->contains(id);
  };
  std::string id = absl::StrCat(prefix, invoice_id);
  for (int n = 2; is_taken(id); ++n) {
    id = absl::StrCat(prefix, invoice_id, "-", n);
    if (id.size() > kMaxLedgerIdBytes) {
      id = absl::StrCat(prefix, NameBasedUuid(kImportNamespaceUuid, invoice_id), "-", n);
    }
  }
  return id;
}

bool IsStreamChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == ':' ||
         c == '-';
}

bool ValidClientId(absl::string_view id) {
  if (id.empty() || id.size() > kMaxClientIdBytes) return false;
  for (char c : id) {
    if (!IsStreamChar(c)) return false;
  }
  return true;
}

bool HasControlChar(absl::string_view text) {
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

absl::string_view NotUtf8Hint() {
  return " (this cell is not UTF-8: for a GBK or GB18030 export set encoding = GB18030)";
}

// A cell as shown inside double quotes in a message: quotes, backslashes and control
// characters escaped, UTF-8 kept readable, and cut at kMaxQuotedValueBytes on a
// character boundary.
std::string QuoteCell(absl::string_view cell) {
  bool cut = false;
  if (cell.size() > kMaxQuotedValueBytes) {
    size_t end = kMaxQuotedValueBytes;
    while (end > 0 && (static_cast<unsigned char>(cell[end]) & 0xC0) == 0x80) --end;
    cell = cell.substr(0, end);
    cut = true;
  }
  std::string out = "\"";
  for (unsigned char c : cell) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c < 0x20 || c == 0x7f) {
      static constexpr char kHex[] = "0123456789abcdef";
      absl::StrAppend(&out, "\\x", std::string(1, kHex[c >> 4]), std::string(1, kHex[c & 0xF]));
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  if (cut) out += "...";
  out += "\"";
  return out;
}

absl::Status Bad(absl::string_view column, absl::string_view cell, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(column, " ", QuoteCell(cell), ": ", problem));
}

void SetOccurredAt(absl::CivilDay day, v1::Event* event) {
  const absl::Time midnight = absl::FromCivil(day, absl::UTCTimeZone());
  event->mutable_occurred_at()->set_seconds(absl::ToUnixSeconds(midnight));
  event->mutable_occurred_at()->set_nanos(0);
}

v1::Event NewEvent(const std::string& stream, absl::string_view kind, absl::string_view business_id,
                   absl::CivilDay day) {
  v1::Event event;
  event.set_event_id(ImportEventId(stream, StdView(kind), StdView(business_id)));
  event.set_stream(stream);
  event.set_schema_version(1);
  SetOccurredAt(day, &event);
  return event;
}

// Resolves one mapped column to its index in the header; -1 when not mapped.
absl::StatusOr<int> FindColumn(const std::vector<std::string>& header, absl::string_view key,
                               const std::string& name) {
  if (name.empty()) return -1;
  int found = -1;
  for (size_t i = 0; i < header.size(); ++i) {
    if (header[i] != name) continue;
    if (found >= 0) {
      return absl::InvalidArgumentError(absl::StrCat("column \"", name, "\" (", key,
                                                     ") appears twice in the header (columns ",
                                                     found + 1, " and ", i + 1, ")"));
    }
    found = static_cast<int>(i);
  }
  if (found < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("column \"", name, "\" (", key,
                     ") is not in the header; the header has: ", absl::StrJoin(header, ", ")));
  }
  return found;
}

}  // namespace

std::string RowRejection::ToString() const {
  if (last_line > line) return absl::StrCat("lines ", line, "-", last_line, ": ", reason);
  return absl::StrCat("line ", line, ": ", reason);
}

std::string RowConflict::ToString() const {
  std::vector<std::string> parts;
  for (const FieldChange& c : changes) {
    parts.push_back(absl::StrCat(c.field, " stored ", c.stored.empty() ? "(none)" : c.stored,
                                 ", file ", c.found.empty() ? "(none)" : c.found));
  }
  std::string text =
      absl::StrCat("line ", line, ": invoice ", invoice_id, ": ", absl::StrJoin(parts, "; "));
  if (!unreconciled.empty()) absl::StrAppend(&text, " (not reconciled: ", unreconciled, ")");
  return text;
}

CsvImporter::CsvImporter(std::istream* in, std::unique_ptr<std::istringstream> converted,
                         ColumnMapping mapping, ImportOptions options)
    : converted_(std::move(converted)),
      reader_(converted_ != nullptr ? converted_.get() : in, mapping.delimiter),
      mapping_(std::move(mapping)),
      options_(std::move(options)) {}

absl::StatusOr<std::unique_ptr<CsvImporter>> CsvImporter::Create(std::istream* in,
                                                                 ColumnMapping mapping,
                                                                 ImportOptions options) {
  if (absl::Status s = ValidateMapping(mapping); !s.ok()) return s;
  if (options.max_batch_events < kMinBatchEvents || options.max_batch_events > kMaxBatchEvents) {
    return absl::InvalidArgumentError(absl::StrCat("max_batch_events must be in ", kMinBatchEvents,
                                                   "..", kMaxBatchEvents, ", got ",
                                                   options.max_batch_events));
  }
  if (options.progress_every_rows < 1) {
    return absl::InvalidArgumentError("progress_every_rows must be positive");
  }
  if (options.reconcile && !options.amended_on.has_value()) {
    return absl::InvalidArgumentError("reconcile needs amended_on, the day amendments take effect");
  }
  std::unique_ptr<std::istringstream> converted;
  if (mapping.encoding != "UTF-8") {
    absl::StatusOr<std::string> text = ConvertToUtf8(in, mapping.encoding);
    if (!text.ok()) return text.status();
    converted = std::make_unique<std::istringstream>(*std::move(text));
  }
  std::unique_ptr<CsvImporter> importer(
      new CsvImporter(in, std::move(converted), std::move(mapping), std::move(options)));
  if (absl::Status s = importer->ReadHeader(); !s.ok()) return s;
  return importer;
}

absl::Status CsvImporter::ReadHeader() {
  absl::StatusOr<bool> more = reader_.Next(&record_);
  if (!more.ok()) return more.status();
  if (!*more) return absl::InvalidArgumentError("the CSV input is empty: no header row");
  if (!record_.error.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("line ", record_.line, ": header row: ", record_.error));
  }
  for (const std::string& name : record_.fields) {
    if (!IsValidUtf8(name)) {
      return absl::InvalidArgumentError(
          absl::StrCat("line ", record_.line,
                       ": the header is not UTF-8; if the file comes from a Chinese "
                       "ERP (Kingdee, Yonyou), it is likely GBK: set encoding = GB18030"));
    }
    header_.emplace_back(absl::StripAsciiWhitespace(name));
  }
  const std::pair<absl::string_view, std::pair<int*, const std::string*>> wanted[] = {
      {"client_id", {&columns_.client_id, &mapping_.client_id_column}},
      {"client_name", {&columns_.client_name, &mapping_.client_name_column}},
      {"invoice_id", {&columns_.invoice_id, &mapping_.invoice_id_column}},
      {"invoice_date", {&columns_.invoice_date, &mapping_.invoice_date_column}},
      {"due_date", {&columns_.due_date, &mapping_.due_date_column}},
      {"amount", {&columns_.amount, &mapping_.amount_column}},
      {"currency_column", {&columns_.currency, &mapping_.currency_column}},
      {"settled_date", {&columns_.settled_date, &mapping_.settled_date_column}},
      {"disputed", {&columns_.disputed, &mapping_.disputed_column}},
      {"delivery_date", {&columns_.delivery_date, &mapping_.delivery_date_column}},
  };
  for (const auto& [key, target] : wanted) {
    absl::StatusOr<int> index = FindColumn(header_, key, *target.second);
    if (!index.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("line ", record_.line, ": ", index.status().message()));
    }
    *target.first = *index;
  }
  return absl::OkStatus();
}

absl::StatusOr<CsvImporter::RowFacts> CsvImporter::ParseRow(const CsvRecord& record) {
  if (!record.error.empty()) return absl::InvalidArgumentError(record.error);
  if (record.fields.size() != header_.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("has ", record.fields.size(), " fields, the header has ", header_.size()));
  }
  const auto cell = [&record](int column) -> absl::string_view {
    return column < 0 ? absl::string_view()
                      : absl::StripAsciiWhitespace(record.fields[static_cast<size_t>(column)]);
  };
  const auto name = [this](int column) -> absl::string_view { return header_[column]; };
  const auto date = [&](int column) -> absl::StatusOr<absl::CivilDay> {
    absl::StatusOr<absl::CivilDay> day = ParseDate(StdView(cell(column)), mapping_.date_format);
    if (!day.ok()) return Bad(name(column), cell(column), day.status().message());
    return day;
  };
  RowFacts row;
  row.line = record.line;

  row.client_id = std::string(cell(columns_.client_id));
  if (!ValidClientId(row.client_id)) {
    return Bad(name(columns_.client_id), row.client_id,
               absl::StrCat("client ids must be 1..", kMaxClientIdBytes,
                            " characters of [A-Za-z0-9._:-]"));
  }
  row.client_name = std::string(cell(columns_.client_name));
  if (row.client_name.size() > kMaxClientNameBytes || HasControlChar(row.client_name) ||
      !IsValidUtf8(row.client_name)) {
    return Bad(name(columns_.client_name), row.client_name,
               absl::StrCat("client names must be at most ", kMaxClientNameBytes,
                            " bytes of UTF-8 without control characters",
                            IsValidUtf8(row.client_name) ? "" : NotUtf8Hint()));
  }
  if (row.client_name.empty()) row.client_name = row.client_id;

  row.invoice_id = std::string(cell(columns_.invoice_id));
  if (row.invoice_id.empty() || row.invoice_id.size() > kMaxInvoiceIdBytes ||
      HasControlChar(row.invoice_id) || !IsValidUtf8(row.invoice_id)) {
    return Bad(name(columns_.invoice_id), row.invoice_id,
               absl::StrCat("invoice ids must be 1..", kMaxInvoiceIdBytes,
                            " bytes of UTF-8 without control characters",
                            IsValidUtf8(row.invoice_id) ? "" : NotUtf8Hint()));
  }

  absl::StatusOr<absl::CivilDay> issue_date = date(columns_.invoice_date);
  if (!issue_date.ok()) return issue_date.status();
  row.issue_date = *issue_date;
  absl::StatusOr<absl::CivilDay> due_date = date(columns_.due_date);
  if (!due_date.ok()) return due_date.status();
  row.due_date = *due_date;
  if (row.due_date < row.issue_date) {
    return Bad(name(columns_.due_date), cell(columns_.due_date),
               absl::StrCat("before ", name(columns_.invoice_date), " ",
                            QuoteCell(cell(columns_.invoice_date))));
  }

  row.currency = mapping_.currency;
  if (columns_.currency >= 0) {
    row.currency = absl::AsciiStrToUpper(cell(columns_.currency));
    if (!ledger::IsKnownCurrency(row.currency)) {
      return Bad(name(columns_.currency), cell(columns_.currency),
                 "not a known ISO 4217 currency code");
    }
  }
  absl::StatusOr<int64_t> amount_minor =
      ParseAmountMinor(StdView(cell(columns_.amount)), row.currency, mapping_.thousands_separator);
  if (!amount_minor.ok()) {
    return Bad(name(columns_.amount), cell(columns_.amount), amount_minor.status().message());
  }
  row.amount_minor = *amount_minor;

  if (!cell(columns_.settled_date).empty()) {
    absl::StatusOr<absl::CivilDay> day = date(columns_.settled_date);
    if (!day.ok()) return day.status();
    // A payment dated before its invoice would be allocated, on replay as of that date,
    // to an invoice that does not exist yet.
    if (*day < row.issue_date) {
      return Bad(name(columns_.settled_date), cell(columns_.settled_date),
                 absl::StrCat("before ", name(columns_.invoice_date), " ",
                              QuoteCell(cell(columns_.invoice_date))));
    }
    row.settled_date = *day;
  }

  if (!cell(columns_.disputed).empty()) {
    absl::StatusOr<bool> flag = ParseYesNo(StdView(cell(columns_.disputed)));
    if (!flag.ok())
      return Bad(name(columns_.disputed), cell(columns_.disputed), flag.status().message());
    row.disputed = *flag;
  }

  if (!cell(columns_.delivery_date).empty()) {
    absl::StatusOr<absl::CivilDay> day = date(columns_.delivery_date);
    if (!day.ok()) return day.status();
    row.delivery_date = *day;
  }

  if (auto it = invoice_lines_.find(row.invoice_id); it != invoice_lines_.end()) {
    return Bad(name(columns_.invoice_id), row.invoice_id,
               absl::StrCat("duplicate invoice id, first imported from line ", it->second));
  }
  return row;
}

absl::Status CsvImporter::ConvertRow(const CsvRecord& record, std::vector<v1::Event>* events) {
  absl::StatusOr<RowFacts> parsed = ParseRow(record);
  if (!parsed.ok()) return parsed.status();
  const RowFacts& row = *parsed;

  const StoredClient* stored = nullptr;
  if (options_.stored_client) {
    absl::StatusOr<const StoredClient*> found = options_.stored_client(row.client_id);
    if (!found.ok()) {
      fatal_ = found.status();
      return fatal_;
    }
    stored = *found;
  }
  const std::string stream = absl::StrCat(kStreamPrefix, row.client_id);
  const StoredInvoice* stored_invoice = nullptr;
  if (stored != nullptr) {
    auto it = stored->invoices.find(row.invoice_id);
    if (it != stored->invoices.end()) stored_invoice = &it->second;
  }
  if (stored_invoice == nullptr && options_.invoice_owner) {
    // Invoice ids are unique across clients, in the ledger as within a file.
    absl::StatusOr<std::string> owner = options_.invoice_owner(row.invoice_id);
    if (!owner.ok()) {
      fatal_ = owner.status();
      return fatal_;
    }
    if (!owner->empty() && *owner != row.client_id) {
      return Bad(
          header_[columns_.invoice_id], row.invoice_id,
          absl::StrCat("invoice id already in the ledger under client ", *owner, " (stream client-",
                       *owner, "), this row's client is ", row.client_id));
    }
  }
  invoice_lines_.emplace(row.invoice_id, row.line);
  last_invoice_id_ = row.invoice_id;
  if (stored_invoice != nullptr) {
    const bool imported = CompareRow(row, *stored, *stored_invoice, stream, events);
    if (imported) {
      if (row.disputed) ++summary_.disputed_rows;
      ++summary_.rows_imported;
      if (events->empty()) ++summary_.rows_unchanged;
      summary_.events += static_cast<int64_t>(events->size());
    }
    return absl::OkStatus();
  }

  // A new invoice.
  int64_t invoiced_total = 0;
  if (__builtin_add_overflow(summary_.invoiced_minor_by_currency[row.currency], row.amount_minor,
                             &invoiced_total)) {
    return Bad(header_[columns_.amount], FormatAmountMinor(row.amount_minor, row.currency),
               absl::StrCat("the file's total in ", row.currency, " would overflow"));
  }
  summary_.invoiced_minor_by_currency[row.currency] = invoiced_total;

  if (registered_clients_.insert(row.client_id).second) {
    v1::Event event = NewEvent(stream, "ClientRegistered", row.client_id, row.issue_date);
    v1::ClientRegistered* p = event.mutable_client_registered();
    p->set_client_id(row.client_id);
    p->set_name(row.client_name);
    p->set_jurisdiction(mapping_.jurisdiction);
    p->set_client_kind(mapping_.client_kind);
    p->set_seller_is_sme(mapping_.seller_is_sme);
    if (stored != nullptr && stored->registered) {
      ++summary_.events_already_stored;
    } else {
      Emit(std::move(event), &summary_.clients_registered, events);
    }
  }

  {
    v1::Event event = NewEvent(stream, "InvoiceIssued", row.invoice_id, row.issue_date);
    v1::InvoiceIssued* p = event.mutable_invoice_issued();
    p->set_invoice_id(row.invoice_id);
    p->mutable_amount()->set_amount_minor(row.amount_minor);
    p->mutable_amount()->set_currency(row.currency);
    *p->mutable_issue_date() = ledger::FromCivilDay(row.issue_date);
    *p->mutable_due_date() = ledger::FromCivilDay(row.due_date);
    if (row.delivery_date) *p->mutable_delivery_date() = ledger::FromCivilDay(*row.delivery_date);
    Emit(std::move(event), &summary_.invoices_issued, events);
  }

  if (row.settled_date) AppendPayment(row, stored, stream, row.amount_minor, "", events);

  if (row.disputed) ++summary_.disputed_rows;
  ++summary_.rows_imported;
  summary_.events += static_cast<int64_t>(events->size());
  return absl::OkStatus();
}

void CsvImporter::AppendPayment(const RowFacts& row, const StoredClient* client,
                                const std::string& stream, int64_t amount_minor,
                                const std::string& reference, std::vector<v1::Event>* events) {
  const std::string payment_id = UnusedId(kPaymentIdPrefix, row.invoice_id,
                                          client == nullptr ? nullptr : &client->payment_ids);
  v1::Event event = NewEvent(stream, "PaymentReceived", payment_id, *row.settled_date);
  v1::PaymentReceived* p = event.mutable_payment_received();
  p->set_payment_id(payment_id);
  p->mutable_amount()->set_amount_minor(amount_minor);
  p->mutable_amount()->set_currency(row.currency);
  *p->mutable_value_date() = ledger::FromCivilDay(*row.settled_date);
  if (!reference.empty()) p->set_reference(reference);
  v1::Allocation* allocation = p->add_allocations();
  allocation->set_invoice_id(row.invoice_id);
  allocation->set_amount_minor(amount_minor);
  Emit(std::move(event), &summary_.payments_received, events);
}

bool CsvImporter::CompareRow(const RowFacts& row, const StoredClient& client,
                             const StoredInvoice& stored, const std::string& stream,
                             std::vector<v1::Event>* events) {
  RowConflict conflict;
  conflict.line = row.line;
  conflict.client_id = row.client_id;
  conflict.invoice_id = row.invoice_id;
  // The first change no event can make keeps the whole row a conflict.
  const auto change = [&](std::string field, std::string was, std::string now,
                          absl::string_view unreconcilable) {
    conflict.changes.push_back({std::move(field), std::move(was), std::move(now)});
    if (!unreconcilable.empty() && conflict.unreconciled.empty()) {
      conflict.unreconciled = std::string(unreconcilable);
    }
  };
  const auto day_text = [](std::optional<absl::CivilDay> day) {
    return day ? absl::FormatCivilTime(*day) : std::string();
  };
  const auto money = [&](int64_t amount_minor) {
    return FormatAmountMinor(amount_minor, stored.currency);
  };

  // What an InvoiceAmended restates, and its reason's parts ("due_date 2025-03-31 became
  // 2025-04-30").
  v1::InvoiceAmended amendment;
  std::vector<std::string> amended;
  const auto amend_date = [&](absl::string_view field, absl::CivilDay was, absl::CivilDay now,
                              v1::Date* target) {
    change(std::string(field), day_text(was), day_text(now), "");
    *target = ledger::FromCivilDay(now);
    amended.push_back(absl::StrCat(field, " ", day_text(was), " became ", day_text(now)));
  };

  const bool same_currency = row.currency == stored.currency;
  if (!same_currency) {
    change("currency", stored.currency, row.currency,
           "no event changes an invoice's currency (what was paid, credited and written off "
           "on it is in its currency): credit it and issue a new invoice");
  }
  if (row.issue_date != stored.issue_date) {
    amend_date("invoice_date", stored.issue_date, row.issue_date, amendment.mutable_issue_date());
  }
  if (row.due_date != stored.due_date) {
    amend_date("due_date", stored.due_date, row.due_date, amendment.mutable_due_date());
  }
  if (row.delivery_date != stored.delivery_date) {
    if (row.delivery_date && stored.delivery_date) {
      amend_date("delivery_date", *stored.delivery_date, *row.delivery_date,
                 amendment.mutable_delivery_date());
    } else if (row.delivery_date) {
      change("delivery_date", "", day_text(row.delivery_date), "");
      *amendment.mutable_delivery_date() = ledger::FromCivilDay(*row.delivery_date);
      amended.push_back(absl::StrCat("delivery_date set to ", day_text(row.delivery_date)));
    } else {
      change("delivery_date", day_text(stored.delivery_date), "",
             "no event clears an invoice's delivery date");
    }
  }
  int64_t credit_minor = 0;
  const int64_t paid_minor = stored.paid_minor();
  if (same_currency && row.amount_minor != stored.amount_minor()) {
    absl::string_view why;
    int64_t issued_minor = 0;
    if (row.amount_minor > stored.amount_minor()) {
      // Restated as issued: the credit notes on the invoice still reduce it.
      if (__builtin_add_overflow(row.amount_minor, stored.credited_minor, &issued_minor)) {
        why = "the amount with the invoice's credit notes overflows";
      } else {
        amendment.mutable_amount()->set_amount_minor(issued_minor);
        amendment.mutable_amount()->set_currency(stored.currency);
        amended.push_back(absl::StrCat("amount ", money(stored.amount_minor()), " became ",
                                       money(row.amount_minor)));
      }
    } else if (paid_minor + stored.written_off_minor > row.amount_minor) {
      why = "the ledger holds more paid and written off than the new amount";
    } else {
      credit_minor = stored.amount_minor() - row.amount_minor;
    }
    change("amount", money(stored.amount_minor()), money(row.amount_minor), why);
  }
  // A lower amount is a credit note, unless the row restates other facts anyway: then the
  // amendment restates the amount too (a row stays within kMaxEventsPerRow events).
  if (credit_minor > 0 && !amended.empty()) {
    amendment.mutable_amount()->set_amount_minor(stored.issued_minor - credit_minor);
    amendment.mutable_amount()->set_currency(stored.currency);
    amended.push_back(
        absl::StrCat("amount ", money(stored.amount_minor()), " became ", money(row.amount_minor)));
    credit_minor = 0;
  }

  // What the ERP says was paid: the whole amount once settled, less what was written off.
  // A settlement the file moves or removes reverses the payment the import appended for
  // it (when it is the invoice's only one and paid nothing else).
  int64_t payment_minor = 0;
  const StoredReceipt* reverse = nullptr;
  std::string reverse_reason;
  constexpr absl::string_view kNotReversible =
      "only a payment the import appended, the invoice's only one and paying nothing else, "
      "is reversed: reverse the payments by hand";
  if (same_currency) {
    if (row.settled_date) {
      const int64_t erp_paid = row.amount_minor - stored.written_off_minor;
      payment_minor = erp_paid - paid_minor;
      const std::optional<absl::CivilDay> last_paid = stored.last_paid_on();
      if (payment_minor == 0 && stored.written_off_minor == 0 && last_paid &&
          *last_paid != *row.settled_date) {
        reverse = client.SoleImportedReceipt(row.invoice_id);
        change("settled_date", day_text(last_paid), day_text(row.settled_date),
               reverse == nullptr ? kNotReversible : "");
        if (reverse != nullptr) {
          payment_minor = erp_paid;
          reverse_reason =
              absl::StrCat("settled ", day_text(last_paid), " became ", day_text(row.settled_date));
        }
      } else if (payment_minor < 0) {
        change("settled_date", absl::StrCat("paid ", money(paid_minor)),
               absl::StrCat(day_text(row.settled_date), " for ", money(row.amount_minor)),
               "the ledger holds more paid than the file's amount");
        payment_minor = 0;
      }
    } else if (paid_minor > 0 && paid_minor + stored.written_off_minor >= row.amount_minor) {
      // Settled in the ledger (at the file's amount), open in the file.
      reverse = client.SoleImportedReceipt(row.invoice_id);
      change("settled_date", day_text(stored.last_paid_on()), "",
             reverse == nullptr ? kNotReversible : "");
      if (reverse != nullptr) reverse_reason = "no longer settled";
    }
  }

  if (!conflict.changes.empty() && !options_.reconcile) conflict.unreconciled.clear();
  if (!conflict.changes.empty() && (!options_.reconcile || !conflict.unreconciled.empty())) {
    ++summary_.rows_conflicted;
    if (summary_.conflicts.size() < kMaxKeptRejections) {
      summary_.conflicts.push_back(std::move(conflict));
    }
    return false;
  }

  const std::string source = absl::StrCat("ERP export line ", row.line);
  if (!amended.empty()) {
    // From the amended_on day, or the settled date when that is earlier (a payment of the
    // new amount cannot come before it).
    absl::CivilDay amended_on = *options_.amended_on;
    if (row.settled_date && *row.settled_date < amended_on) amended_on = *row.settled_date;
    v1::Event event =
        NewEvent(stream, "InvoiceAmended", absl::StrCat(row.invoice_id, "#", stored.amendments + 1),
                 amended_on);
    amendment.set_invoice_id(row.invoice_id);
    amendment.set_reason(absl::StrCat(source, ": ", absl::StrJoin(amended, "; ")));
    amendment.set_source(source);
    *amendment.mutable_amended_on() = ledger::FromCivilDay(amended_on);
    *event.mutable_invoice_amended() = std::move(amendment);
    Emit(std::move(event), &summary_.invoices_amended, events);
  }
  if (credit_minor > 0) {
    const std::string credit_note_id =
        UnusedId(kCreditNoteIdPrefix, row.invoice_id, &client.credit_note_ids);
    v1::Event event = NewEvent(stream, "CreditNoteIssued", credit_note_id, stored.issue_date);
    v1::CreditNoteIssued* p = event.mutable_credit_note_issued();
    p->set_credit_note_id(credit_note_id);
    p->set_invoice_id(row.invoice_id);
    p->mutable_amount()->set_amount_minor(credit_minor);
    p->mutable_amount()->set_currency(stored.currency);
    *p->mutable_issue_date() = ledger::FromCivilDay(stored.issue_date);
    p->set_reason(absl::StrCat(source, ": amount ", money(stored.amount_minor()), " became ",
                               money(row.amount_minor)));
    Emit(std::move(event), &summary_.credit_notes_issued, events);
  }
  int64_t held_minor = paid_minor;
  if (reverse != nullptr) {
    // Dated the payment's own value date: the ERP says it was never so, so as of no day
    // does it count (what the ledger held before stays readable with known_at).
    v1::Event event = NewEvent(stream, "PaymentReversed", reverse->payment_id, reverse->value_date);
    v1::PaymentReversed* p = event.mutable_payment_reversed();
    p->set_payment_id(reverse->payment_id);
    *p->mutable_reversed_on() = ledger::FromCivilDay(reverse->value_date);
    p->set_reason(absl::StrCat(source, ": ", reverse_reason));
    Emit(std::move(event), &summary_.payments_reversed, events);
    held_minor -= reverse->amount_minor;
  }
  if (payment_minor > 0) {
    AppendPayment(row, &client, stream, payment_minor,
                  absl::StrCat(source, ": settled ", day_text(row.settled_date), ", ",
                               money(row.amount_minor - stored.written_off_minor),
                               " paid in all, of which the ledger held ", money(held_minor)),
                  events);
  }
  if (events->empty()) {
    // Unchanged: what the row would have appended is in the ledger.
    const bool first_of_client = registered_clients_.insert(row.client_id).second;
    summary_.events_already_stored += (first_of_client ? 1 : 0) + 1 + (row.settled_date ? 1 : 0);
  } else {
    registered_clients_.insert(row.client_id);
  }
  return true;
}

void CsvImporter::Emit(v1::Event event, int64_t* counter, std::vector<v1::Event>* events) {
  if (options_.already_stored && options_.already_stored(event.event_id())) {
    ++summary_.events_already_stored;
    return;
  }
  events->push_back(std::move(event));
  ++*counter;
}

void CsvImporter::Reject(int64_t line, int64_t last_line, std::string reason) {
  ++summary_.rows_rejected;
  if (summary_.rejections.size() < kMaxKeptRejections) {
    summary_.rejections.push_back({line, last_line, std::move(reason)});
  }
}

ImportProgress CsvImporter::progress() const {
  return {.rows_done = rows_done_, .bytes_read = reader_.bytes_read()};
}

void CsvImporter::ReportProgress() {
  rows_since_progress_ = 0;
  if (options_.on_progress) options_.on_progress(progress());
}

absl::StatusOr<std::optional<EventBatch>> CsvImporter::NextBatch() {
  if (failed_) return absl::FailedPreconditionError("the import already failed");
  EventBatch batch;
  const auto take = [&](std::vector<v1::Event>& row_events, int64_t line,
                        const std::string& invoice_id) {
    BatchRow row{.line = line, .invoice_id = invoice_id, .begin = batch.events.size()};
    for (v1::Event& event : row_events) batch.events.push_back(std::move(event));
    row.end = batch.events.size();
    batch.rows_in_batch.push_back(std::move(row));
    if (batch.rows == 0) batch.first_line = line;
    batch.last_line = line;
    ++batch.rows;
  };
  if (!carried_events_.empty()) {
    take(carried_events_, carried_line_, carried_invoice_id_);
    carried_events_.clear();
  }

  std::vector<v1::Event> row_events;
  while (!input_done_) {
    if (options_.stop_requested && options_.stop_requested()) {
      input_done_ = true;
      break;
    }
    absl::StatusOr<bool> more = reader_.Next(&record_);
    if (!more.ok()) {
      failed_ = true;
      return more.status();
    }
    if (!*more) {
      input_done_ = true;
      break;
    }
    if (++summary_.rows_read > kMaxDataRows) {
      failed_ = true;
      return absl::ResourceExhaustedError(absl::StrCat("line ", record_.line, ": more than ",
                                                       kMaxDataRows, " data rows; split the file"));
    }
    row_events.clear();
    if (absl::Status s = ConvertRow(record_, &row_events); !s.ok()) {
      if (!fatal_.ok()) {
        failed_ = true;
        return fatal_;
      }
      Reject(record_.line, record_.last_line, std::string(s.message()));
      ++rows_done_;
    } else if (row_events.empty()) {
      ++rows_done_;  // unchanged or a conflict: nothing to append
    } else if (batch.events.size() + row_events.size() > options_.max_batch_events) {
      // Create() checked max_batch_events >= kMaxEventsPerRow, so a row always fits in an
      // empty batch; carrying one out of an empty batch would lose it.
      if (batch.events.empty() || row_events.size() > kMaxEventsPerRow) std::abort();
      carried_events_ = std::move(row_events);
      carried_line_ = record_.line;
      carried_invoice_id_ = last_invoice_id_;
      break;
    } else {
      take(row_events, record_.line, last_invoice_id_);
    }
    if (++rows_since_progress_ >= options_.progress_every_rows) ReportProgress();
  }

  rows_done_ += batch.rows;
  ReportProgress();
  if (batch.events.empty()) return std::nullopt;
  return batch;
}

absl::StatusOr<ImportSummary> ImportCsv(std::istream* in, const ColumnMapping& mapping,
                                        const ImportOptions& options,
                                        absl::FunctionRef<absl::Status(EventBatch& batch)> sink) {
  absl::StatusOr<std::unique_ptr<CsvImporter>> importer = CsvImporter::Create(in, mapping, options);
  if (!importer.ok()) return importer.status();
  for (;;) {
    absl::StatusOr<std::optional<EventBatch>> batch = (*importer)->NextBatch();
    if (!batch.ok()) return batch.status();
    if (!batch->has_value()) break;
    if (absl::Status s = sink(**batch); !s.ok()) return s;
  }
  return (*importer)->summary();
}

}  // namespace sixhearts::csv_import
