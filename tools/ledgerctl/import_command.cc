// `ledgerctl import`: a CSV export through the csv_import library into Append requests.
//
// Idempotency: the importer's event ids are deterministic (services/csv_import/event_ids.h),
// but the ledger only treats a batch as a retry when ALL its ids are stored; a batch that
// mixes stored and new ids is refused with ALREADY_EXISTS. So, before reading the file,
// the ids of every ClientRegistered, InvoiceIssued and PaymentReceived event of the
// "client-" streams are read from the ledger, and the importer leaves those events out
// (ImportOptions::already_stored). A batch can still come back ALREADY_EXISTS when
// someone else appended the same events in between; then it is split into its rows, and
// a row still refused into single events, each either stored or reported as already
// stored. Only a genuine conflict (an id or business id stored with other content) ends
// the import, with the server's error.
#include <filesystem>
#include <fstream>
#include <memory>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/numeric/int128.h"
#include "absl/strings/str_cat.h"
#include "ledger/currency.h"
#include "services/csv_import/column_mapping.h"
#include "services/csv_import/csv_importer.h"
#include "services/csv_import/limits.h"
#include "tools/ledgerctl/commands.h"
#include "tools/ledgerctl/import_append.h"
#include "tools/ledgerctl/limits.h"
#include "tools/ledgerctl/progress_bar.h"

namespace sixhearts::ledgerctl {
namespace {

namespace v1 = ::sixhearts::ledger::v1;

// An event id as 128 bits, 16 bytes in the set instead of a 36-character string each.
// Ids that are not 32 hex digits (the ledger stores only UUIDs) give nullopt.
std::optional<absl::uint128> IdBits(std::string_view id) {
  uint64_t high = 0;
  uint64_t low = 0;
  int digits = 0;
  for (char c : id) {
    if (c == '-') continue;
    int value = -1;
    if (c >= '0' && c <= '9') value = c - '0';
    if (c >= 'a' && c <= 'f') value = c - 'a' + 10;
    if (c >= 'A' && c <= 'F') value = c - 'A' + 10;
    if (value < 0 || digits == 32) return std::nullopt;
    high = (high << 4) | (low >> 60);
    low = (low << 4) | static_cast<uint64_t>(value);
    ++digits;
  }
  if (digits != 32) return std::nullopt;
  return absl::MakeUint128(high, low);
}

absl::Status LoadStoredIds(LedgerClient* client, absl::flat_hash_set<absl::uint128>* ids) {
  v1::ReadLogRequest request;
  request.mutable_filter()->set_stream_prefix("client-");
  for (const char* type : {"ClientRegistered", "InvoiceIssued", "PaymentReceived"}) {
    request.mutable_filter()->add_types(type);
  }
  return client->ReadLog(request, [&](v1::Event& event) -> absl::Status {
    if (ids->size() >= kMaxStoredIds) {
      return absl::ResourceExhaustedError(
          absl::StrCat("the ledger holds more than ", kMaxStoredIds,
                       " imported events; ledgerctl import cannot remember them all"));
    }
    if (auto bits = IdBits(event.event_id())) ids->insert(*bits);
    return absl::OkStatus();
  });
}

// "1234567" with 2 digits -> "12345.67".
std::string FormatMinor(int64_t amount_minor, int digits) {
  if (digits <= 0) return absl::StrCat(amount_minor);
  const bool negative = amount_minor < 0;
  // Negated in unsigned arithmetic, which INT64_MIN survives.
  const uint64_t magnitude =
      negative ? 0 - static_cast<uint64_t>(amount_minor) : static_cast<uint64_t>(amount_minor);
  std::string text = absl::StrCat(magnitude);
  const size_t width = static_cast<size_t>(digits) + 1;
  if (text.size() < width) text = std::string(width - text.size(), '0') + text;
  const size_t point = text.size() - static_cast<size_t>(digits);
  return absl::StrCat(negative ? "-" : "", text.substr(0, point), ".", text.substr(point));
}

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

}  // namespace

absl::StatusOr<int> RunImport(const CommandContext& context, const ImportCsvOptions& options) {
  std::string mapping_text;
  if (!options.mapping_file.empty()) {
    absl::StatusOr<std::string> text = ReadMappingFile(options.mapping_file);
    if (!text.ok()) return text.status();
    mapping_text = *std::move(text);
  }
  std::vector<std::string> pairs;
  if (!options.preset.empty()) pairs.push_back(absl::StrCat("preset=", options.preset));
  pairs.insert(pairs.end(), options.map.begin(), options.map.end());
  absl::StatusOr<csv_import::ColumnMapping> mapping = csv_import::ParseMapping(mapping_text, pairs);
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

  absl::flat_hash_set<absl::uint128> stored_ids;
  if (absl::Status s = LoadStoredIds(context.client, &stored_ids); !s.ok()) return s;

  ProgressBar progress(context.err, context.err_is_terminal, total_bytes, context.now);
  AppendCounts counts;
  csv_import::ImportProgress last_progress;
  csv_import::ImportOptions import_options;
  import_options.max_batch_events =
      options.batch_events == 0 ? csv_import::kDefaultBatchEvents : options.batch_events;
  import_options.on_progress = [&](const csv_import::ImportProgress& p) {
    last_progress = p;
    progress.Update(p.rows_done, p.bytes_read, counts.appended);
  };
  import_options.already_stored = [&](const std::string& event_id) {
    const auto bits = IdBits(event_id);
    return bits.has_value() && stored_ids.contains(*bits);
  };
  auto importer = csv_import::CsvImporter::Create(in, *std::move(mapping), import_options);
  if (!importer.ok()) return importer.status();

  for (;;) {
    absl::StatusOr<std::optional<csv_import::EventBatch>> batch = (*importer)->NextBatch();
    if (!batch.ok()) {
      progress.Finish(last_progress.rows_done, last_progress.bytes_read, counts.appended);
      return batch.status();
    }
    if (!batch->has_value()) break;
    const csv_import::EventBatch& events = **batch;
    absl::Status s = AppendSplitting(context.client, events.events, &counts);
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
  progress.Finish(summary.rows_read, last_progress.bytes_read, counts.appended);

  Record record;
  const auto count = [&](std::string name, int64_t value) {
    record.Add(std::move(name), absl::StrCat(value), ColumnKind::kGroupedNumber);
  };
  count("rows_read", summary.rows_read);
  count("rows_imported", summary.rows_imported);
  count("rows_rejected", summary.rows_rejected);
  count("events_appended", counts.appended);
  count("events_already_stored", summary.events_already_stored + counts.already_stored);
  count("clients_registered", summary.clients_registered);
  count("invoices_issued", summary.invoices_issued);
  count("payments_received", summary.payments_received);
  count("disputed_rows", summary.disputed_rows);
  for (const auto& [currency, amount_minor] : summary.invoiced_minor_by_currency) {
    record.Add(absl::StrCat("invoiced_", currency),
               FormatMinor(amount_minor, ledger::CurrencyMinorDigits(currency).value_or(0)),
               ColumnKind::kGroupedNumber);
  }
  Table rejections({{"line", ColumnKind::kNumber}, {"reason", ColumnKind::kText}});
  for (const csv_import::RowRejection& rejection : summary.rejections) {
    rejections.AddRow({absl::StrCat(rejection.line), rejection.reason});
  }
  if (context.format == OutputFormat::kJson) {
    std::string array = rejections.Render(OutputFormat::kJson);
    while (!array.empty() && array.back() == '\n') array.pop_back();
    record.AddJson("rejections", array);
  }
  *context.out << record.Render(context.format);
  if (summary.rows_rejected > 0) {
    const std::string more = summary.rows_rejected > static_cast<int64_t>(summary.rejections.size())
                                 ? absl::StrCat(" (the first ", summary.rejections.size(), " of ",
                                                summary.rows_rejected, ")")
                                 : "";
    if (context.format == OutputFormat::kText) {
      *context.out << "\nrejected rows" << more << ":\n" << rejections.Render(OutputFormat::kText);
    } else if (context.format == OutputFormat::kCsv) {
      // One CSV document per output; the rejections go to stderr instead.
      *context.err << "ledgerctl: import: rejected rows" << more << ":\n";
      for (const csv_import::RowRejection& rejection : summary.rejections) {
        *context.err << "  " << rejection.ToString() << "\n";
      }
    }
  }
  return kExitOk;
}

}  // namespace sixhearts::ledgerctl
