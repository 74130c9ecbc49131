// `ledgerctl import`: a CSV export through the csv_import library into Append requests.
//
// Each client's stream is read (ReadStream) the first time the file names the client, and
// the importer compares every row with it (csv_importer.h "Comparison with the ledger"):
// unchanged rows append nothing, settlements append the difference, changed rows are
// conflicts (or, with --reconcile, the events that make the ledger agree). Each batch is
// appended with AppendRows, so a row the ledger refuses is reported with its line and
// reason and the other rows of its batch are stored. The summary counts what the ledger
// stored. Ctrl-C stops after the batch in flight and says what was stored.
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "ledger/currency.h"
#include "ledger/dates.h"
#include "tools/csv_import/column_mapping.h"
#include "tools/csv_import/csv_importer.h"
#include "tools/csv_import/field_parsers.h"
#include "tools/csv_import/limits.h"
#include "tools/csv_import/stored_state.h"
#include "tools/ledgerctl/commands.h"
#include "tools/ledgerctl/import_append.h"
#include "tools/ledgerctl/limits.h"
#include "tools/ledgerctl/progress_bar.h"

namespace sixhearts::ledgerctl {
namespace {

namespace v1 = ::sixhearts::ledger::v1;

std::atomic<bool> interrupted{false};

void OnInterrupt(int) { interrupted.store(true); }

// SIGINT sets `interrupted` while it lives; the previous handler comes back after.
class InterruptGuard {
 public:
  InterruptGuard() {
    interrupted.store(false);
    struct sigaction action = {};
    action.sa_handler = &OnInterrupt;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &previous_);
  }
  ~InterruptGuard() { sigaction(SIGINT, &previous_, nullptr); }
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

 private:
  struct sigaction previous_ = {};
};

// The clients' streams, each read once and folded (ImportOptions::stored_client). A
// client without a stream is kept as nullptr.
class StoredClients {
 public:
  explicit StoredClients(LedgerClient* client) : client_(client) {}

  absl::StatusOr<const csv_import::StoredClient*> Get(const std::string& client_id) {
    auto it = clients_.find(client_id);
    if (it != clients_.end()) return it->second.get();
    auto stored = std::make_unique<csv_import::StoredClient>();
    bool any = false;
    v1::ReadStreamRequest request;
    request.set_stream(absl::StrCat("client-", client_id));
    absl::Status s = client_->ReadStream(request, [&](v1::Event& event) {
      any = true;
      stored->Apply(event);
      return absl::OkStatus();
    });
    if (!s.ok()) return s;
    if (!any) stored.reset();
    return clients_.emplace(client_id, std::move(stored)).first->second.get();
  }

 private:
  LedgerClient* client_;
  absl::flat_hash_map<std::string, std::unique_ptr<csv_import::StoredClient>> clients_;
};

// Which client's stream holds each invoice id of the ledger (ImportOptions::invoice_owner),
// read once, on the first row whose invoice its own client's stream does not hold, with
// one ReadLog of the InvoiceIssued events of client streams: the ledger keeps business ids
// per stream, so a reuse under another client is found here. Invoices the import stores
// later are compared within the file (csv_importer.h).
class InvoiceOwners {
 public:
  explicit InvoiceOwners(LedgerClient* client) : client_(client) {}

  absl::StatusOr<std::string> Get(const std::string& invoice_id) {
    if (!loaded_) {
      v1::ReadLogRequest request;
      request.mutable_filter()->add_types("InvoiceIssued");
      request.mutable_filter()->set_stream_prefix("client-");
      absl::Status s = client_->ReadLog(request, [&](v1::Event& event) {
        const std::string client_id = event.stream().substr(std::string_view("client-").size());
        auto [it, added] = client_ids_.try_emplace(client_id, names_.size());
        if (added) names_.push_back(client_id);
        owners_.try_emplace(event.invoice_issued().invoice_id(), it->second);
        return absl::OkStatus();
      });
      if (!s.ok()) return s;
      loaded_ = true;
    }
    auto it = owners_.find(invoice_id);
    return it == owners_.end() ? std::string() : names_[it->second];
  }

 private:
  LedgerClient* client_;
  bool loaded_ = false;
  // Invoice id -> index into names_ (a client's id is kept once).
  absl::flat_hash_map<std::string, uint32_t> owners_;
  absl::flat_hash_map<std::string, uint32_t> client_ids_;
  std::vector<std::string> names_;
};

// What the ledger stored of the import, by kind and currency.
struct StoredTotals {
  int64_t rows = 0;
  int64_t clients_registered = 0;
  int64_t invoices_issued = 0;
  int64_t payments_received = 0;
  int64_t credit_notes_issued = 0;
  int64_t invoices_amended = 0;
  int64_t payments_reversed = 0;
  std::map<std::string, int64_t> invoiced_minor;
  std::map<std::string, int64_t> received_minor;
  std::map<std::string, int64_t> credited_minor;

  void Add(const v1::Event& event) {
    switch (event.payload_case()) {
      case v1::Event::kClientRegistered:
        ++clients_registered;
        break;
      case v1::Event::kInvoiceIssued:
        ++invoices_issued;
        invoiced_minor[event.invoice_issued().amount().currency()] +=
            event.invoice_issued().amount().amount_minor();
        break;
      case v1::Event::kPaymentReceived:
        ++payments_received;
        received_minor[event.payment_received().amount().currency()] +=
            event.payment_received().amount().amount_minor();
        break;
      case v1::Event::kInvoiceAmended:
        ++invoices_amended;
        break;
      case v1::Event::kPaymentReversed:
        ++payments_reversed;
        break;
      case v1::Event::kCreditNoteIssued:
        ++credit_notes_issued;
        credited_minor[event.credit_note_issued().amount().currency()] +=
            event.credit_note_issued().amount().amount_minor();
        break;
      default:
        break;
    }
  }
};

absl::StatusOr<std::string> ReadMappingFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in.is_open()) return absl::NotFoundError(absl::StrCat("--mapping: cannot open ", path));
  // One byte past the limit is enough for ParseMapping to refuse the file by its size.
  std::string text(csv_import::kMaxMappingFileBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  if (in.bad()) return absl::DataLossError(absl::StrCat("--mapping: cannot read ", path));
  return text;
}

absl::StatusOr<csv_import::ColumnMapping> LoadMapping(const ImportCsvOptions& options) {
  std::string mapping_text;
  if (!options.mapping_file.empty()) {
    absl::StatusOr<std::string> text = ReadMappingFile(options.mapping_file);
    if (!text.ok()) return text.status();
    mapping_text = *std::move(text);
  }
  std::vector<std::string> pairs;
  if (!options.preset.empty()) pairs.push_back(absl::StrCat("preset=", options.preset));
  pairs.insert(pairs.end(), options.map.begin(), options.map.end());
  return csv_import::ParseMapping(mapping_text, pairs);
}

// A row not imported, for the report: rejected by the importer or refused by the ledger.
struct NotImported {
  int64_t line = 0;
  int64_t last_line = 0;
  std::string reason;
};

void AddAmounts(Record* record, const std::string& prefix,
                const std::map<std::string, int64_t>& by_currency) {
  for (const auto& [currency, amount_minor] : by_currency) {
    record->Add(absl::StrCat(prefix, currency),
                csv_import::FormatAmountMinor(amount_minor, currency), ColumnKind::kGroupedNumber);
  }
}

// The summary record, then the tables of rows not imported and of conflicts.
void PrintReport(const CommandContext& context, const csv_import::ImportSummary& summary,
                 const StoredTotals& stored, const AppendCounts& counts,
                 std::vector<NotImported> not_imported, int64_t rows_refused) {
  Record record;
  const auto count = [&](std::string name, int64_t value) {
    record.Add(std::move(name), absl::StrCat(value), ColumnKind::kGroupedNumber);
  };
  count("rows_read", summary.rows_read);
  count("rows_imported", summary.rows_imported - rows_refused);
  count("rows_rejected", summary.rows_rejected);
  count("events_appended", counts.appended);
  count("events_already_stored", summary.events_already_stored + counts.already_stored);
  count("clients_registered", stored.clients_registered);
  count("invoices_issued", stored.invoices_issued);
  count("payments_received", stored.payments_received);
  count("disputed_rows", summary.disputed_rows);
  AddAmounts(&record, "invoiced_", stored.invoiced_minor);
  count("rows_unchanged", summary.rows_unchanged);
  count("rows_conflicted", summary.rows_conflicted);
  count("rows_refused", rows_refused);
  count("credit_notes_issued", stored.credit_notes_issued);
  AddAmounts(&record, "received_", stored.received_minor);
  AddAmounts(&record, "credited_", stored.credited_minor);
  count("invoices_amended", stored.invoices_amended);
  count("payments_reversed", stored.payments_reversed);

  for (const csv_import::RowRejection& r : summary.rejections) {
    not_imported.push_back({r.line, r.last_line, r.reason});
  }
  std::stable_sort(not_imported.begin(), not_imported.end(),
                   [](const NotImported& a, const NotImported& b) { return a.line < b.line; });
  Table rejections({{"line", ColumnKind::kNumber},
                    {"last_line", ColumnKind::kNumber},
                    {"reason", ColumnKind::kText}});
  for (const NotImported& r : not_imported) {
    rejections.AddRow(
        {absl::StrCat(r.line), absl::StrCat(std::max(r.line, r.last_line)), r.reason});
  }
  Table conflicts({{"line", ColumnKind::kNumber},
                   {"client_id", ColumnKind::kText},
                   {"invoice_id", ColumnKind::kText},
                   {"field", ColumnKind::kText},
                   {"stored", ColumnKind::kText},
                   {"file", ColumnKind::kText},
                   {"not_reconciled", ColumnKind::kText}});
  for (const csv_import::RowConflict& c : summary.conflicts) {
    for (const csv_import::FieldChange& change : c.changes) {
      conflicts.AddRow({absl::StrCat(c.line), c.client_id, c.invoice_id, change.field,
                        change.stored, change.found, c.unreconciled});
    }
  }
  if (context.format == OutputFormat::kJson) {
    const auto array = [](const Table& table) {
      std::string text = table.Render(OutputFormat::kJson);
      while (!text.empty() && text.back() == '\n') text.pop_back();
      return text;
    };
    record.AddJson("rejections", array(rejections));
    record.AddJson("conflicts", array(conflicts));
  }
  *context.out << record.Render(context.format);
  const int64_t rejected = summary.rows_rejected + rows_refused;
  const std::string more =
      rejected > static_cast<int64_t>(not_imported.size())
          ? absl::StrCat(" (the first ", not_imported.size(), " of ", rejected, ")")
          : "";
  const std::string more_conflicts =
      summary.rows_conflicted > static_cast<int64_t>(summary.conflicts.size())
          ? absl::StrCat(" (the first ", summary.conflicts.size(), " of ", summary.rows_conflicted,
                         " rows)")
          : "";
  if (context.format == OutputFormat::kText) {
    if (rejected > 0) {
      *context.out << "\nrejected rows" << more << ":\n" << rejections.Render(OutputFormat::kText);
    }
    if (summary.rows_conflicted > 0) {
      *context.out << "\nconflicts" << more_conflicts << ":\n"
                   << conflicts.Render(OutputFormat::kText);
    }
  } else if (context.format == OutputFormat::kCsv) {
    // One CSV document per output; the rows not imported go to stderr instead.
    if (rejected > 0) {
      *context.err << "ledgerctl: import: rejected rows" << more << ":\n";
      for (const NotImported& r : not_imported) {
        *context.err << "  " << csv_import::RowRejection{r.line, r.last_line, r.reason}.ToString()
                     << "\n";
      }
    }
    if (summary.rows_conflicted > 0) {
      *context.err << "ledgerctl: import: conflicts" << more_conflicts << ":\n";
      for (const csv_import::RowConflict& c : summary.conflicts) {
        *context.err << "  " << c.ToString() << "\n";
      }
    }
  }
}

}  // namespace

absl::StatusOr<int> RunImport(const CommandContext& context, const ImportCsvOptions& options) {
  absl::StatusOr<csv_import::ColumnMapping> mapping = LoadMapping(options);
  if (!mapping.ok()) return mapping.status();

  std::unique_ptr<std::ifstream> file;
  std::istream* in = context.in;
  int64_t total_bytes = 0;
  if (options.file != "-") {
    file = std::make_unique<std::ifstream>(options.file, std::ios::binary);
    if (!file->is_open()) return absl::NotFoundError(absl::StrCat("cannot open ", options.file));
    in = file.get();
    std::error_code error;
    if (std::filesystem::is_regular_file(options.file, error)) {
      const auto size = std::filesystem::file_size(options.file, error);
      if (!error) total_bytes = static_cast<int64_t>(size);
    }
  }

  InterruptGuard interrupt_guard;
  StoredClients stored_clients(context.client);
  InvoiceOwners invoice_owners(context.client);
  ProgressBar progress(context.err, context.err_is_terminal, total_bytes, context.now);
  AppendCounts counts;
  StoredTotals stored;
  std::vector<NotImported> refused_rows;
  int64_t rows_refused = 0;
  csv_import::ImportProgress last_progress;
  csv_import::ImportOptions import_options;
  import_options.max_batch_events =
      options.batch_events == 0 ? csv_import::kDefaultBatchEvents : options.batch_events;
  import_options.on_progress = [&](const csv_import::ImportProgress& p) {
    last_progress = p;
    progress.Update(p.rows_done, p.bytes_read, counts.appended);
  };
  import_options.stored_client = [&](const std::string& client_id) {
    return stored_clients.Get(client_id);
  };
  import_options.invoice_owner = [&](const std::string& invoice_id) {
    return invoice_owners.Get(invoice_id);
  };
  import_options.reconcile = options.reconcile;
  if (options.amended_on.empty()) {
    import_options.amended_on = ledger::UtcDay(context.now ? context.now() : absl::Now());
  } else {
    import_options.amended_on = ledger::ParseIsoDay(options.amended_on);
    if (!import_options.amended_on.has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--amended-on: \"", options.amended_on,
                       "\" is not a date (YYYY-MM-DD, e.g. 2026-03-31)"));
    }
  }
  import_options.stop_requested = [] { return interrupted.load(); };
  auto importer = csv_import::CsvImporter::Create(in, *std::move(mapping), import_options);
  if (!importer.ok()) return importer.status();

  bool stopped = false;
  for (;;) {
    // After Ctrl-C the importer hands out the rows it has read, then ends (stop_requested).
    absl::StatusOr<std::optional<csv_import::EventBatch>> batch = (*importer)->NextBatch();
    if (!batch.ok()) {
      progress.Finish(last_progress.rows_done, last_progress.bytes_read, counts.appended);
      return IsServerError(batch.status()) ? ServerError(batch.status()) : batch.status();
    }
    if (!batch->has_value()) {
      stopped = interrupted.load();
      break;
    }
    const csv_import::EventBatch& events = **batch;
    std::vector<std::pair<size_t, size_t>> spans;
    for (const csv_import::BatchRow& row : events.rows_in_batch) {
      spans.emplace_back(row.begin, row.end);
    }
    std::vector<bool> row_stored;
    std::vector<RefusedRow> refused;
    absl::Status s =
        AppendRows(context.client, events.events, spans, &counts, &row_stored, &refused);
    for (size_t i = 0; i < row_stored.size(); ++i) {
      if (!row_stored[i]) continue;
      for (size_t k = spans[i].first; k < spans[i].second; ++k) stored.Add(events.events[k]);
    }
    for (const RefusedRow& r : refused) {
      const csv_import::BatchRow& row = events.rows_in_batch[r.row];
      ++rows_refused;
      if (refused_rows.size() < csv_import::kMaxKeptRejections) {
        refused_rows.push_back(
            {row.line, row.line,
             absl::StrCat("invoice ", row.invoice_id, ": the ledger refused it: ",
                          absl::StatusCodeToString(r.status.code()), ": ", r.status.message())});
      }
    }
    if (!s.ok()) {
      progress.Finish(last_progress.rows_done, last_progress.bytes_read, counts.appended);
      // Rows before this batch are stored, so importing the file again resumes here.
      absl::Status located(s.code(),
                           absl::StrCat("lines ", events.first_line, "-", events.last_line, ": ",
                                        s.message(), " (", counts.appended,
                                        " events were appended before; importing the file again "
                                        "appends only the rest)"));
      return IsServerError(s) ? ServerError(located) : located;
    }
  }
  const csv_import::ImportSummary& summary = (*importer)->summary();
  progress.Finish(stopped ? last_progress.rows_done : summary.rows_read, last_progress.bytes_read,
                  counts.appended);
  PrintReport(context, summary, stored, counts, std::move(refused_rows), rows_refused);
  if (stopped) {
    *context.err << "ledgerctl: import interrupted after " << summary.rows_read
                 << " rows: " << counts.appended
                 << " events were appended, and every row read is stored, unchanged or reported "
                    "above; importing the same file again completes it (rows the ledger holds "
                    "are compared and append nothing)\n";
    return kExitInterrupted;
  }
  const int64_t not_imported = summary.rows_rejected + summary.rows_conflicted + rows_refused;
  if (not_imported > 0) {
    *context.err << "ledgerctl: import: " << not_imported << " of " << summary.rows_read
                 << " rows not imported (" << summary.rows_rejected << " rejected, "
                 << summary.rows_conflicted << " in conflict with the ledger, " << rows_refused
                 << " refused by the ledger); every other row is stored\n";
    return kExitRowsNotImported;
  }
  return kExitOk;
}

}  // namespace sixhearts::ledgerctl
