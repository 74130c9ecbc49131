// Which CSV column holds which invoice fact, and the defaults every imported client gets.
// A mapping is built in code, from `key = value` settings (a mapping file or the CLI's
// key=value pairs), or from a built-in preset.
//
// Mapping keys (the same in files and pairs):
//   preset         built-in starting point: "ibm"; the other keys override it
//   client_id      column of the client id (required)
//   client_name    column of the client's name (optional; blank or unmapped: the id)
//   invoice_id     column of the invoice id (required)
//   invoice_date   column of the issue date (required)
//   due_date       column of the due date (required)
//   amount         column of the invoice amount (required)
//   currency       fixed ISO 4217 code for every row, e.g. USD
//   currency_column  column holding each row's code (exactly one of the two currency keys)
//   settled_date   column of the date the invoice was paid in full (optional)
//   disputed       column of a yes/no disputed flag (optional; checked and counted only)
//   delivery_date  column of the delivery date (optional)
//   date_format    M/D/YYYY | YYYY-MM-DD | YYYY-M-D (default YYYY-MM-DD; YYYY-M-D also
//                  reads 2025/03/31 and 2025年3月31日)
//   thousands_separator  none | comma (default none)
//   delimiter      comma | semicolon | tab (default comma)
//   encoding       UTF-8 | GBK | GB18030 (default UTF-8; GBK is read as GB18030, its
//                  superset)
//   jurisdiction   CN | US | EU | OTHER (required)
//   client_kind    government_organ | public_institution | state_owned_enterprise | private
//                  (required)
//   seller_is_sme  yes | no (default no)
// An empty value unmaps an optional column, e.g. `settled_date =` on top of a preset.
#ifndef SIXHEARTS_TOOLS_CSV_IMPORT_COLUMN_MAPPING_H_
#define SIXHEARTS_TOOLS_CSV_IMPORT_COLUMN_MAPPING_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "tools/csv_import/field_parsers.h"
#include "sixhearts/ledger/v1/events.pb.h"

namespace sixhearts::csv_import {

namespace v1 = ::sixhearts::ledger::v1;

// Column fields hold header names exactly as they appear in the header row (surrounding
// spaces of header cells are ignored); empty means "not mapped".
struct ColumnMapping {
  std::string client_id_column;
  std::string client_name_column;
  std::string invoice_id_column;
  std::string invoice_date_column;
  std::string due_date_column;
  std::string amount_column;
  // Exactly one of these two is set.
  std::string currency_column;
  std::string currency;
  // A blank cell means the invoice is still open: no PaymentReceived.
  std::string settled_date_column;
  // A blank cell counts as "not disputed". The flag produces no events: a bare flag says
  // neither when the dispute opened, for how much, nor how it ended, and the ledger's
  // disputes are dated facts; ImportSummary counts the flagged rows instead.
  std::string disputed_column;
  // A blank cell means no delivery date.
  std::string delivery_date_column;

  DateFormat date_format = DateFormat::kIso;
  ThousandsSeparator thousands_separator = ThousandsSeparator::kNone;
  char delimiter = ',';
  // "UTF-8" or "GB18030".
  std::string encoding = "UTF-8";

  // Given to every ClientRegistered the import emits.
  v1::Jurisdiction jurisdiction = v1::JURISDICTION_UNSPECIFIED;
  v1::ClientKind client_kind = v1::CLIENT_KIND_UNSPECIFIED;
  bool seller_is_sme = false;
};

// Checks that the required columns are mapped, exactly one currency source is given,
// a fixed currency is known, and jurisdiction and client kind are set. INVALID_ARGUMENT
// naming the first problem otherwise.
absl::Status ValidateMapping(const ColumnMapping& mapping);

// The built-in presets by name (only "ibm" for now). NOT_FOUND for other names.
//
// "ibm": the public IBM late-payment sample (tests/data/ibm-ar-late-payment-histories.csv):
// client_id = customerID, invoice_id = invoiceNumber, invoice_date = InvoiceDate,
// due_date = DueDate, amount = InvoiceAmount, currency = USD, settled_date = SettledDate,
// disputed = Disputed, date_format = M/D/YYYY, thousands_separator = none,
// jurisdiction = US, client_kind = government_organ, seller_is_sme = no. The sample does not
// say who its customers are; this product sells to government bodies, so they are
// registered as US government organs (the Prompt Payment Act rule set). countryCode,
// PaperlessDate, PaperlessBill, DaysToSettle and DaysLate are not imported (DaysLate is
// derivable from the events and serves as a check).
absl::StatusOr<ColumnMapping> MappingPreset(std::string_view name);

// Parses a mapping file: one `key = value` per line, blank lines and lines starting with
// '#' ignored, spaces around key and value ignored; a value in double quotes keeps its
// inner spaces. Each key at most once. Errors are INVALID_ARGUMENT naming the line, e.g.
// `mapping line 3: unknown key "amout" (known keys: ...)`. The result is validated.
absl::StatusOr<ColumnMapping> ParseMappingFile(std::string_view text);

// Parses settings given as "key=value" strings (the CLI's repeated flag), with the same
// keys and rules as a mapping file.
absl::StatusOr<ColumnMapping> ParseMappingPairs(absl::Span<const std::string> pairs);

// Both together: the preset (named by the pairs, else by the file), then the file's
// settings, then the pairs, which override the file. Either may be empty.
absl::StatusOr<ColumnMapping> ParseMapping(std::string_view file_text,
                                           absl::Span<const std::string> pairs);

// Renders a mapping as a mapping file that parses back to the same mapping.
std::string FormatMappingFile(const ColumnMapping& mapping);

}  // namespace sixhearts::csv_import

#endif  // SIXHEARTS_TOOLS_CSV_IMPORT_COLUMN_MAPPING_H_
