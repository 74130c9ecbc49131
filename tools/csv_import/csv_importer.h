// Turns an ERP CSV export into ledger events, in batches that never split a row, with a
// per-row rejection report. The caller (ledgerctl import) appends each batch to the
// ledger; this library does no I/O besides reading the CSV stream.
//
// What a row becomes, all in stream "client-<client id>":
// 1. ClientRegistered, only for the first accepted row of each client in the file:
//    client_id, name (that row's client_name cell, else the id; later rows' names are
//    ignored), jurisdiction, client_kind and seller_is_sme from the mapping; occurred_at =
//    that row's issue date. Its id depends on the client id only; with
//    ImportOptions::stored_client it is left out when the stream already holds one.
// 2. InvoiceIssued: invoice_id, amount (amount cell, currency), issue_date, due_date,
//    delivery_date when mapped and not blank; occurred_at = issue date.
// 3. PaymentReceived, when the settled date is mapped and not blank: payment_id
//    "pay-<invoice id>", amount = the invoice amount, value_date = settled date, one
//    allocation of the whole amount to the invoice; occurred_at = settled date.
// occurred_at is the business date at 00:00 UTC. event_id is
// ImportEventId(stream, "<EventType>", <client id | invoice id | payment id>)
// (event_ids.h), so re-importing a file offers the ledger the same idempotency keys. The
// disputed flag produces no events (column_mapping.h).
//
// A row is rejected, producing no events, when any of its cells is bad: malformed CSV,
// wrong field count, a client id outside 1..121 characters of [A-Za-z0-9._:-], an invoice
// id blank, over 124 bytes or with control characters, a client name over 4,096 bytes or
// with control characters, an invoice id or client name that is not UTF-8 (protobuf strings
// must be, or the ledger cannot parse the event), an unparsable date or amount, a due date
// or settled date before the issue date, or an invoice id already imported from an
// earlier line of the file (ids are compared across all clients), or, with
// ImportOptions::invoice_owner, held in the ledger by another client. Cells are trimmed of
// surrounding spaces and tabs before they are parsed. Rejected rows do not stop the import.
//
// Comparison with the ledger (ImportOptions::stored_client): each row is compared with what
// the client's stream holds for its invoice (stored_state.h).
// - No such invoice: the events above (ClientRegistered only if the stream has none).
// - The same amount (issued minus credit notes), currency, issue, due and delivery dates,
//   and the same settlement: nothing is appended; the row counts as unchanged.
// - The same invoice, settled in the file and not (fully) paid in the ledger: one
//   PaymentReceived of the difference, the amount the ERP says was paid (the amount, less
//   what the ledger wrote off) minus what the ledger already holds for the invoice, dated
//   the settled date. Never the whole amount by assumption.
// - Anything else is a conflict (RowConflict: each field with its stored and new value)
//   and the row appends nothing, never part of it. With ImportOptions::reconcile, the row
//   is instead reconciled by events that keep the history, each naming its line, in this
//   order:
//   1. InvoiceAmended for a higher amount (restated as issued: the row's amount plus the
//      invoice's credit notes) and for other issue, due or delivery dates; its id is
//      ImportEventId(stream, "InvoiceAmended", "<invoice id>#<n>"), n counting the
//      invoice's amendments; amended_on = occurred_at = ImportOptions::amended_on, or the
//      settled date when that is earlier;
//   2. CreditNoteIssued of the difference for a lower amount (credit_note_id
//      "cn-<invoice id>", issue date = the invoice's), unless an InvoiceAmended is
//      appended anyway: then it restates the amount too;
//   3. PaymentReversed of the stored payment when the file moves the settled date or is
//      open where the ledger holds the invoice settled, dated the payment's value date;
//      only a payment the import appended, the invoice's only one and paying nothing else
//      (StoredClient::SoleImportedReceipt);
//   4. PaymentReceived of the difference when settled (the whole amount at the new date
//      for a moved settlement).
//   What stays a conflict: another currency, a delivery date cleared, paid and written off
//   above a lower amount, paid above the file's amount, and a settlement moved or removed
//   whose payment is not one the import may reverse.
#ifndef SIXHEARTS_TOOLS_CSV_IMPORT_CSV_IMPORTER_H_
#define SIXHEARTS_TOOLS_CSV_IMPORT_CSV_IMPORTER_H_

#include <cstdint>
#include <functional>
#include <istream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "tools/csv_import/column_mapping.h"
#include "tools/csv_import/csv_reader.h"
#include "tools/csv_import/limits.h"
#include "tools/csv_import/stored_state.h"
#include "sixhearts/ledger/v1/events.pb.h"

namespace sixhearts::csv_import {

// How far the import has come, for a progress bar: compare bytes_read with the file size.
struct ImportProgress {
  // Data rows finished: rejected, or with all their events in a batch handed out.
  int64_t rows_done = 0;
  // Bytes consumed from the CSV stream (header included).
  int64_t bytes_read = 0;
};

struct ImportOptions {
  // Most events in one batch; kMinBatchEvents..kMaxBatchEvents (limits.h).
  size_t max_batch_events = kDefaultBatchEvents;
  // Called just before each batch is handed out, after every `progress_every_rows` rows
  // read while a batch fills, and once at the end of input. Runs on the caller's thread;
  // may be empty.
  std::function<void(const ImportProgress&)> on_progress;
  int64_t progress_every_rows = 1'000;
  // When set, events whose id it reports as already in the ledger are left out of the
  // batches (and not compared with the stored ones). The ledger's Append is idempotent
  // per batch only: a batch mixing stored and new ids is refused with ALREADY_EXISTS.
  // stored_client below supersedes it (ledgerctl import uses that); this stays for callers
  // that know the stored ids only. Runs on the caller's thread.
  std::function<bool(const std::string& event_id)> already_stored;
  // When set, rows are compared with the ledger (see "Comparison with the ledger" above).
  // Called once per client id of the file, on the caller's thread; returns nullptr when
  // the ledger has no stream for the client. The pointee must stay valid and unchanged
  // while the importer lives. An error stops the import: NextBatch returns it.
  std::function<absl::StatusOr<const StoredClient*>(const std::string& client_id)> stored_client;
  // When set, called for each row whose invoice its client's stream does not hold: the
  // client id whose stream holds an invoice of that id, or "" when none does. A row whose
  // invoice another client holds is rejected, as a duplicate within the file is. Runs on
  // the caller's thread; an error stops the import (NextBatch returns it).
  std::function<absl::StatusOr<std::string>(const std::string& invoice_id)> invoice_owner;
  // Checked before each row; once it returns true, NextBatch hands out the rows read so
  // far and then nullopt, so a stop request is honoured even among rows that append
  // nothing. May be empty.
  std::function<bool()> stop_requested;
  // With stored_client: reconcile the changes that have an event keeping the history
  // instead of reporting them as conflicts.
  bool reconcile = false;
  // With reconcile (required then): the day an InvoiceAmended takes effect, its
  // amended_on and occurred_at (the row's settled date when that is earlier). ledgerctl
  // import: --amended-on, by default today (UTC).
  std::optional<absl::CivilDay> amended_on;
};

// A row that produced no events, and why.
struct RowRejection {
  int64_t line = 0;       // 1-based line where the row starts
  int64_t last_line = 0;  // where it ends (a quoted field may hold line breaks)
  // The first problem found, naming the column and quoting the cell, e.g.
  // `DueDate "2/30/2013": not a date (M/D/YYYY)`.
  std::string reason;

  // "line 17: DueDate \"2/30/2013\": not a date (M/D/YYYY)"; "lines 5-9: ..." for a row
  // over several lines.
  std::string ToString() const;
};

// One fact of a row that differs from the ledger.
struct FieldChange {
  std::string field;   // the mapping key: amount, currency, invoice_date, due_date, ...
  std::string stored;  // as the ledger holds it ("100.00", "2025-03-31", "" for none)
  std::string found;   // as the row says it
};

// A row that differs from what the ledger holds for its invoice; it appended nothing.
struct RowConflict {
  int64_t line = 0;
  std::string client_id;
  std::string invoice_id;
  std::vector<FieldChange> changes;
  // Why the changes were not reconciled: "" when reconcile was off, else the first change
  // no event can make, e.g. "no event raises an invoice's amount".
  std::string unreconciled;

  // "line 2: invoice XF-1: amount stored 100.00, file 250.00; due_date stored ...".
  std::string ToString() const;
};

struct ImportSummary {
  int64_t rows_read = 0;  // data rows, header excluded; malformed records included
  // Rows the ledger agrees with once their batch is stored: new, settled since, reconciled
  // or unchanged. rows_imported + rows_rejected + rows_conflicted == rows_read.
  int64_t rows_imported = 0;
  int64_t rows_rejected = 0;
  // Of rows_imported, those the ledger already held as they are (nothing appended).
  int64_t rows_unchanged = 0;
  // Rows that differ from the ledger (RowConflict), appending nothing.
  int64_t rows_conflicted = 0;
  // Events handed out in batches, in all and by type.
  int64_t events = 0;
  int64_t clients_registered = 0;
  int64_t invoices_issued = 0;
  int64_t payments_received = 0;
  int64_t credit_notes_issued = 0;
  int64_t invoices_amended = 0;
  int64_t payments_reversed = 0;
  // Events of imported rows left out because ImportOptions::already_stored said so.
  int64_t events_already_stored = 0;
  // Imported rows whose disputed cell said yes (only when the column is mapped).
  int64_t disputed_rows = 0;
  // Sum of the amounts of the InvoiceIssued events handed out, in minor units, by currency
  // code (what a batch refused by the ledger held is included: the caller counts what it
  // stored).
  std::map<std::string, int64_t> invoiced_minor_by_currency;
  // The first kMaxKeptRejections rejections in file order; rows_rejected counts all.
  std::vector<RowRejection> rejections;
  // The first kMaxKeptRejections conflicts in file order; rows_conflicted counts all.
  std::vector<RowConflict> conflicts;
};

// Where one row's events sit in EventBatch::events: [begin, end).
struct BatchRow {
  int64_t line = 0;
  std::string invoice_id;
  size_t begin = 0;
  size_t end = 0;
};

// Events of consecutive rows. A row's events are either all in one batch or, if the row
// was rejected, in none. Within the import, a client's ClientRegistered comes before any
// other event of that client.
struct EventBatch {
  std::vector<v1::Event> events;
  int64_t rows = 0;        // rows whose events are in this batch
  int64_t first_line = 0;  // line of the first of those rows
  int64_t last_line = 0;   // line of the last of those rows
  // One entry per row, in order; together they cover `events`.
  std::vector<BatchRow> rows_in_batch;
};

// Pull-style importer: NextBatch() until it returns nullopt. Not thread-safe; the stream
// is not owned and must outlive the importer.
class CsvImporter {
 public:
  // Reads the header row and resolves the mapped columns. INVALID_ARGUMENT for an invalid
  // mapping or options, an empty input, a malformed header, or a mapped column missing
  // from the header or present twice; DATA_LOSS for a read error.
  static absl::StatusOr<std::unique_ptr<CsvImporter>> Create(std::istream* in,
                                                             ColumnMapping mapping,
                                                             ImportOptions options);

  // The next batch of 1..max_batch_events events, or nullopt when the input is exhausted.
  // Errors: DATA_LOSS on a read error, RESOURCE_EXHAUSTED past kMaxDataRows rows; the
  // importer is unusable after an error.
  absl::StatusOr<std::optional<EventBatch>> NextBatch();

  // Complete once NextBatch has returned nullopt.
  const ImportSummary& summary() const { return summary_; }
  ImportProgress progress() const;

 private:
  struct Columns {
    int client_id = -1;
    int client_name = -1;
    int invoice_id = -1;
    int invoice_date = -1;
    int due_date = -1;
    int amount = -1;
    int currency = -1;
    int settled_date = -1;
    int disputed = -1;
    int delivery_date = -1;
  };

  CsvImporter(std::istream* in, std::unique_ptr<std::istringstream> converted,
              ColumnMapping mapping, ImportOptions options);

  // A row's cells, parsed and checked.
  struct RowFacts {
    int64_t line = 0;
    std::string client_id;
    std::string client_name;
    std::string invoice_id;
    std::string currency;
    int64_t amount_minor = 0;
    absl::CivilDay issue_date;
    absl::CivilDay due_date;
    std::optional<absl::CivilDay> delivery_date;
    std::optional<absl::CivilDay> settled_date;
    bool disputed = false;
  };

  absl::Status ReadHeader();
  absl::StatusOr<RowFacts> ParseRow(const CsvRecord& record);
  // Appends the row's events to *events (none for an unchanged or conflicting row), or
  // returns the rejection reason. A failure of ImportOptions::stored_client is kept in
  // fatal_ and returned as a rejection; NextBatch then fails.
  absl::Status ConvertRow(const CsvRecord& record, std::vector<v1::Event>* events);
  // The row against the ledger's invoice: appends the settlement or reconciliation
  // events, or records a conflict. Returns true when the row is imported.
  bool CompareRow(const RowFacts& row, const StoredClient& client, const StoredInvoice& stored,
                  const std::string& stream, std::vector<v1::Event>* events);
  void AppendPayment(const RowFacts& row, const StoredClient* client, const std::string& stream,
                     int64_t amount_minor, const std::string& reference,
                     std::vector<v1::Event>* events);
  // Appends `event` unless the ledger has it already; counts it in *counter if appended.
  void Emit(v1::Event event, int64_t* counter, std::vector<v1::Event>* events);
  void Reject(int64_t line, int64_t last_line, std::string reason);
  void ReportProgress();

  // The input converted to UTF-8 when the mapping names another encoding.
  std::unique_ptr<std::istringstream> converted_;
  CsvReader reader_;
  ColumnMapping mapping_;
  ImportOptions options_;
  Columns columns_;
  std::vector<std::string> header_;
  CsvRecord record_;
  // Events of a row that did not fit in the previous batch, and its line.
  std::vector<v1::Event> carried_events_;
  int64_t carried_line_ = 0;
  std::string carried_invoice_id_;
  // The invoice id of the row ConvertRow last accepted.
  std::string last_invoice_id_;
  bool input_done_ = false;
  bool failed_ = false;
  int64_t rows_done_ = 0;
  int64_t rows_since_progress_ = 0;
  absl::flat_hash_set<std::string> registered_clients_;
  // Invoice id -> line of the row that imported it.
  absl::flat_hash_map<std::string, int64_t> invoice_lines_;
  absl::Status fatal_;
  ImportSummary summary_;
};

// Push-style convenience: runs a CsvImporter to the end, handing each batch to `sink`.
// Stops at the first error of `sink` and returns it; the batch's first_line and last_line
// tell how far the import got.
absl::StatusOr<ImportSummary> ImportCsv(std::istream* in, const ColumnMapping& mapping,
                                        const ImportOptions& options,
                                        absl::FunctionRef<absl::Status(EventBatch& batch)> sink);

}  // namespace sixhearts::csv_import

#endif  // SIXHEARTS_TOOLS_CSV_IMPORT_CSV_IMPORTER_H_
