// Row validation and event building for the CSV import, and the batching loop that keeps
// each row's events together.
#include "services/csv_import/csv_importer.h"

#include <cstdlib>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "ledger/currency.h"
#include "ledger/dates.h"
#include "services/csv_import/event_ids.h"
#include "services/csv_import/field_parsers.h"
#include "services/csv_import/string_views.h"

namespace sixhearts::csv_import {
namespace {

constexpr absl::string_view kStreamPrefix = "client-";
constexpr absl::string_view kPaymentIdPrefix = "pay-";
constexpr size_t kMaxClientIdBytes = kMaxLedgerIdBytes - kStreamPrefix.size();
constexpr size_t kMaxInvoiceIdBytes = kMaxLedgerIdBytes - kPaymentIdPrefix.size();

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

// Strict UTF-8 (RFC 3629: shortest form, no surrogates, at most U+10FFFF). Protobuf
// string fields must hold UTF-8: an event carrying other bytes serializes, but the
// ledger server cannot parse it back, and the whole batch would be refused.
bool IsValidUtf8(absl::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned char lead = byte(i);
    size_t length = 0;
    unsigned char low = 0x80;  // bounds of the second byte, tighter after some leads
    unsigned char high = 0xBF;
    if (lead < 0x80) {
      length = 1;
    } else if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      if (lead == 0xE0) low = 0xA0;   // overlong below U+0800
      if (lead == 0xED) high = 0x9F;  // surrogates U+D800..U+DFFF
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      if (lead == 0xF0) low = 0x90;   // overlong below U+10000
      if (lead == 0xF4) high = 0x8F;  // above U+10FFFF
    } else {
      return false;
    }
    if (text.size() - i < length) return false;
    for (size_t k = 1; k < length; ++k) {
      const unsigned char c = byte(i + k);
      if (k == 1 ? (c < low || c > high) : (c < 0x80 || c > 0xBF)) return false;
    }
    i += length;
  }
  return true;
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

std::string RowRejection::ToString() const { return absl::StrCat("line ", line, ": ", reason); }

CsvImporter::CsvImporter(std::istream* in, ColumnMapping mapping, ImportOptions options)
    : reader_(in), mapping_(std::move(mapping)), options_(std::move(options)) {}

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
  std::unique_ptr<CsvImporter> importer(
      new CsvImporter(in, std::move(mapping), std::move(options)));
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

absl::Status CsvImporter::ConvertRow(const CsvRecord& record, std::vector<v1::Event>* events) {
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

  const std::string client_id(cell(columns_.client_id));
  if (!ValidClientId(client_id)) {
    return Bad(name(columns_.client_id), client_id,
               absl::StrCat("client ids must be 1..", kMaxClientIdBytes,
                            " characters of [A-Za-z0-9._:-]"));
  }
  std::string client_name(cell(columns_.client_name));
  if (client_name.size() > kMaxClientNameBytes || HasControlChar(client_name) ||
      !IsValidUtf8(client_name)) {
    return Bad(name(columns_.client_name), client_name,
               absl::StrCat("client names must be at most ", kMaxClientNameBytes,
                            " bytes of UTF-8 without control characters"));
  }
  if (client_name.empty()) client_name = client_id;

  const std::string invoice_id(cell(columns_.invoice_id));
  if (invoice_id.empty() || invoice_id.size() > kMaxInvoiceIdBytes || HasControlChar(invoice_id) ||
      !IsValidUtf8(invoice_id)) {
    return Bad(name(columns_.invoice_id), invoice_id,
               absl::StrCat("invoice ids must be 1..", kMaxInvoiceIdBytes,
                            " bytes of UTF-8 without control characters"));
  }

  absl::StatusOr<absl::CivilDay> issue_date = date(columns_.invoice_date);
  if (!issue_date.ok()) return issue_date.status();
  absl::StatusOr<absl::CivilDay> due_date = date(columns_.due_date);
  if (!due_date.ok()) return due_date.status();
  if (*due_date < *issue_date) {
    return Bad(name(columns_.due_date), cell(columns_.due_date),
               absl::StrCat("before ", name(columns_.invoice_date), " ",
                            QuoteCell(cell(columns_.invoice_date))));
  }

  std::string currency = mapping_.currency;
  if (columns_.currency >= 0) {
    currency = absl::AsciiStrToUpper(cell(columns_.currency));
    if (!ledger::IsKnownCurrency(currency)) {
      return Bad(name(columns_.currency), cell(columns_.currency),
                 "not a known ISO 4217 currency code");
    }
  }
  absl::StatusOr<int64_t> amount_minor =
      ParseAmountMinor(StdView(cell(columns_.amount)), currency, mapping_.thousands_separator);
  if (!amount_minor.ok()) {
    return Bad(name(columns_.amount), cell(columns_.amount), amount_minor.status().message());
  }

  std::optional<absl::CivilDay> settled_date;
  if (!cell(columns_.settled_date).empty()) {
    absl::StatusOr<absl::CivilDay> day = date(columns_.settled_date);
    if (!day.ok()) return day.status();
    // A payment dated before its invoice would be allocated, on replay as of that date,
    // to an invoice that does not exist yet.
    if (*day < *issue_date) {
      return Bad(name(columns_.settled_date), cell(columns_.settled_date),
                 absl::StrCat("before ", name(columns_.invoice_date), " ",
                              QuoteCell(cell(columns_.invoice_date))));
    }
    settled_date = *day;
  }

  bool disputed = false;
  if (!cell(columns_.disputed).empty()) {
    absl::StatusOr<bool> flag = ParseYesNo(StdView(cell(columns_.disputed)));
    if (!flag.ok())
      return Bad(name(columns_.disputed), cell(columns_.disputed), flag.status().message());
    disputed = *flag;
  }

  std::optional<absl::CivilDay> delivery_date;
  if (!cell(columns_.delivery_date).empty()) {
    absl::StatusOr<absl::CivilDay> day = date(columns_.delivery_date);
    if (!day.ok()) return day.status();
    delivery_date = *day;
  }

  if (auto it = invoice_lines_.find(invoice_id); it != invoice_lines_.end()) {
    return Bad(name(columns_.invoice_id), invoice_id,
               absl::StrCat("duplicate invoice id, first imported from line ", it->second));
  }

  // Every check passed: from here on the row is imported.
  int64_t invoiced_total = 0;
  if (__builtin_add_overflow(summary_.invoiced_minor_by_currency[currency], *amount_minor,
                             &invoiced_total)) {
    return Bad(name(columns_.amount), cell(columns_.amount),
               absl::StrCat("the file's total in ", currency, " would overflow"));
  }
  summary_.invoiced_minor_by_currency[currency] = invoiced_total;
  invoice_lines_.emplace(invoice_id, record.line);
  const std::string stream = absl::StrCat(kStreamPrefix, client_id);

  if (registered_clients_.insert(client_id).second) {
    v1::Event event = NewEvent(stream, "ClientRegistered", client_id, *issue_date);
    v1::ClientRegistered* p = event.mutable_client_registered();
    p->set_client_id(client_id);
    p->set_name(client_name);
    p->set_jurisdiction(mapping_.jurisdiction);
    p->set_client_kind(mapping_.client_kind);
    p->set_seller_is_sme(mapping_.seller_is_sme);
    Emit(std::move(event), &summary_.clients_registered, events);
  }

  {
    v1::Event event = NewEvent(stream, "InvoiceIssued", invoice_id, *issue_date);
    v1::InvoiceIssued* p = event.mutable_invoice_issued();
    p->set_invoice_id(invoice_id);
    p->mutable_amount()->set_amount_minor(*amount_minor);
    p->mutable_amount()->set_currency(currency);
    *p->mutable_issue_date() = ledger::FromCivilDay(*issue_date);
    *p->mutable_due_date() = ledger::FromCivilDay(*due_date);
    if (delivery_date) *p->mutable_delivery_date() = ledger::FromCivilDay(*delivery_date);
    Emit(std::move(event), &summary_.invoices_issued, events);
  }

  if (settled_date) {
    const std::string payment_id = absl::StrCat(kPaymentIdPrefix, invoice_id);
    v1::Event event = NewEvent(stream, "PaymentReceived", payment_id, *settled_date);
    v1::PaymentReceived* p = event.mutable_payment_received();
    p->set_payment_id(payment_id);
    p->mutable_amount()->set_amount_minor(*amount_minor);
    p->mutable_amount()->set_currency(currency);
    *p->mutable_value_date() = ledger::FromCivilDay(*settled_date);
    v1::Allocation* allocation = p->add_allocations();
    allocation->set_invoice_id(invoice_id);
    allocation->set_amount_minor(*amount_minor);
    Emit(std::move(event), &summary_.payments_received, events);
  }

  if (disputed) ++summary_.disputed_rows;
  ++summary_.rows_imported;
  summary_.events += static_cast<int64_t>(events->size());
  return absl::OkStatus();
}

void CsvImporter::Emit(v1::Event event, int64_t* counter, std::vector<v1::Event>* events) {
  if (options_.already_stored && options_.already_stored(event.event_id())) {
    ++summary_.events_already_stored;
    return;
  }
  events->push_back(std::move(event));
  ++*counter;
}

void CsvImporter::Reject(int64_t line, std::string reason) {
  ++summary_.rows_rejected;
  if (summary_.rejections.size() < kMaxKeptRejections) {
    summary_.rejections.push_back({line, std::move(reason)});
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
  const auto take = [&](std::vector<v1::Event>& row_events, int64_t line) {
    for (v1::Event& event : row_events) batch.events.push_back(std::move(event));
    if (batch.rows == 0) batch.first_line = line;
    batch.last_line = line;
    ++batch.rows;
  };
  if (!carried_events_.empty()) {
    take(carried_events_, carried_line_);
    carried_events_.clear();
  }

  std::vector<v1::Event> row_events;
  while (!input_done_) {
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
      Reject(record_.line, std::string(s.message()));
      ++rows_done_;
    } else if (batch.events.size() + row_events.size() > options_.max_batch_events) {
      // Create() checked max_batch_events >= kMaxEventsPerRow, so a row always fits in an
      // empty batch; carrying one out of an empty batch would lose it.
      if (batch.events.empty() || row_events.size() > kMaxEventsPerRow) std::abort();
      carried_events_ = std::move(row_events);
      carried_line_ = record_.line;
      break;
    } else {
      take(row_events, record_.line);
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
