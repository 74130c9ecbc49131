// libFuzzer target for the ERP CSV import: arbitrary bytes imported with the ibm preset,
// with a mapping of every optional column, and with a mapping file taken from the input;
// the cell parsers run on the input's fragments. The import must never crash, must account
// for every row, and must only hand out batches the ledger would store: each event passes
// ledger::ValidateEvent, survives the wire, and refers only to objects created before it.
//
// Input layout: the CSV text; or a mapping file, a line "===", then the CSV text.
#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ledger/currency.h"
#include "ledger/validate.h"
#include "tests/fuzz/fuzz_check.h"
#include "tools/csv_import/column_mapping.h"
#include "tools/csv_import/csv_importer.h"
#include "tools/csv_import/field_parsers.h"
#include "tools/csv_import/limits.h"

namespace sixhearts::fuzz {
namespace {

namespace v1 = ::sixhearts::ledger::v1;
using csv_import::ColumnMapping;
using csv_import::CsvImporter;
using csv_import::DateFormat;
using csv_import::ImportSummary;
using csv_import::ThousandsSeparator;

constexpr std::string_view kMappingSeparator = "\n===\n";
// Fragments handed to the cell parsers per input; the rest of a long input adds nothing
// the first ones do not already exercise.
constexpr size_t kMaxFragments = 32;

// The ledger's entity checks (event_store.cc, "references, creations") replayed over the
// import's events, so a batch the writer would refuse is caught here without a store.
class EntityModel {
 public:
  void Apply(const v1::Event& event) {
    const std::string& stream = event.stream();
    if (event.has_client_registered()) {
      registered_.insert(stream);
    } else {
      Check(registered_.contains(stream),
            "a client's ClientRegistered comes before its other events", stream);
    }
    const ledger::EntityEffects effects = ledger::DescribeEntities(event);
    std::string first_currency;
    for (size_t i = 0; i < effects.references.size(); ++i) {
      const ledger::EntityReference& ref = effects.references[i];
      const auto it = entities_.find({stream, ref.kind, ref.id});
      Check(it != entities_.end(), "imported events refer only to objects already created",
            absl::StrCat(ref.field, " \"", ref.id, "\" in ", stream));
      const Entity& found = it->second;
      if (i == 0) first_currency = found.currency;
      const std::string& want = ref.currency_of_first_reference ? first_currency : ref.currency;
      Check(want.empty() || found.currency.empty() || want == found.currency,
            "imported references agree on currency", ref.field);
      Check(
          ref.amount_minor < 0 || found.amount_minor <= 0 || ref.amount_minor <= found.amount_minor,
          "imported references stay within the referenced amount", ref.field);
    }
    for (const ledger::EntityCreation& c : effects.creations) {
      const bool fresh =
          entities_.emplace(Key{stream, c.kind, c.id}, Entity{c.currency, c.amount_minor}).second;
      Check(fresh || c.replaces, "imported events create each object once",
            absl::StrCat(c.field, " \"", c.id, "\" in ", stream));
    }
  }

 private:
  using Key = std::tuple<std::string, ledger::EntityKind, std::string>;
  struct Entity {
    std::string currency;
    int64_t amount_minor = 0;
  };
  std::map<Key, Entity> entities_;
  std::set<std::string> registered_;
};

void CheckEventForLedger(const v1::Event& event, const ledger::Limits& limits) {
  const absl::Status valid = ledger::ValidateEvent(event, "imported", limits);
  Check(valid.ok(), "the importer's events pass ledger::ValidateEvent", valid.ToString());
  // ledgerctl sends batches over gRPC: an event whose bytes do not parse back (a string
  // that is not UTF-8, say) would be refused by the server as a whole batch.
  const std::string bytes = event.SerializeAsString();
  v1::Event received;
  Check(received.ParseFromString(bytes), "the importer's events parse back from the wire",
        event.ShortDebugString());
  Check(received.SerializeAsString() == bytes, "the importer's events survive the wire");
}

// Runs one import to the end, checking every batch and the summary.
// `already_stored` makes some ids count as stored, so the entity model is skipped: the
// left-out events would be in the ledger, not in the batches.
void RunImport(std::string_view csv, const ColumnMapping& mapping, size_t max_batch_events,
               bool already_stored) {
  std::istringstream in{std::string(csv)};
  csv_import::ImportOptions options;
  options.max_batch_events = max_batch_events;
  options.progress_every_rows = 7;
  int64_t progress_calls = 0;
  options.on_progress = [&progress_calls](const csv_import::ImportProgress&) { ++progress_calls; };
  if (already_stored) {
    options.already_stored = [](const std::string& id) { return !id.empty() && id.back() < '4'; };
  }
  absl::StatusOr<std::unique_ptr<CsvImporter>> importer =
      CsvImporter::Create(&in, mapping, options);
  if (!importer.ok()) {
    Check(importer.status().code() == absl::StatusCode::kInvalidArgument,
          "Create refuses bad input with INVALID_ARGUMENT", importer.status().ToString());
    return;
  }

  const ledger::Limits limits;
  EntityModel model;
  std::set<std::string> event_ids;
  int64_t events = 0;
  int64_t rows_in_batches = 0;
  int64_t last_line = 0;
  for (;;) {
    absl::StatusOr<std::optional<csv_import::EventBatch>> batch = (*importer)->NextBatch();
    Check(batch.ok(), "NextBatch succeeds on an in-memory input of fewer than kMaxDataRows rows",
          batch.status().ToString());
    if (!batch->has_value()) break;
    const csv_import::EventBatch& b = **batch;
    Check(!b.events.empty() && b.events.size() <= max_batch_events,
          "a batch holds 1..max_batch_events events", absl::StrCat(b.events.size()));
    Check(b.rows >= 1 && b.first_line <= b.last_line && b.first_line > last_line,
          "batches cover rows in file order",
          absl::StrCat(b.first_line, "..", b.last_line, " after ", last_line));
    last_line = b.last_line;
    rows_in_batches += b.rows;
    Check(b.rows_in_batch.size() == static_cast<size_t>(b.rows) && !b.rows_in_batch.empty() &&
              b.rows_in_batch.front().begin == 0 && b.rows_in_batch.back().end == b.events.size(),
          "rows_in_batch has one entry per row and covers the batch's events");
    for (size_t i = 1; i < b.rows_in_batch.size(); ++i) {
      Check(b.rows_in_batch[i].begin == b.rows_in_batch[i - 1].end &&
                b.rows_in_batch[i].line > b.rows_in_batch[i - 1].line,
            "rows_in_batch is contiguous and in file order");
    }
    for (const v1::Event& event : b.events) {
      CheckEventForLedger(event, limits);
      Check(event_ids.insert(event.event_id()).second, "the import's event ids are distinct",
            event.event_id());
      if (!already_stored) model.Apply(event);
    }
    events += static_cast<int64_t>(b.events.size());
  }

  const ImportSummary& s = (*importer)->summary();
  Check(s.rows_imported + s.rows_rejected + s.rows_conflicted == s.rows_read,
        "rows_imported + rows_rejected + rows_conflicted == rows_read",
        absl::StrCat(s.rows_imported, " + ", s.rows_rejected, " + ", s.rows_conflicted,
                     " != ", s.rows_read));
  Check(s.events == events, "summary.events counts the events handed out");
  Check(s.clients_registered + s.invoices_issued + s.payments_received + s.credit_notes_issued ==
            s.events,
        "summary's per-type counts add up to summary.events");
  Check(rows_in_batches <= s.rows_imported, "batches hold only imported rows");
  Check(already_stored || rows_in_batches == s.rows_imported,
        "without already_stored, every imported row is in a batch");
  Check(s.rejections.size() ==
            std::min<size_t>(static_cast<size_t>(s.rows_rejected), csv_import::kMaxKeptRejections),
        "rejections keeps the first kMaxKeptRejections");
  Check(progress_calls >= 1, "on_progress runs at least once at the end of input");
  Check((*importer)->progress().rows_done == s.rows_read, "progress reaches every row at the end");
}

// A mapping with every optional column, in the other date format and separator than the
// ibm preset, so the branches the preset leaves unused are fuzzed too. Its header:
// client,name,invoice,issued,due,amount,currency,settled,delivered,disputed
ColumnMapping WideMapping() {
  ColumnMapping m;
  m.client_id_column = "client";
  m.client_name_column = "name";
  m.invoice_id_column = "invoice";
  m.invoice_date_column = "issued";
  m.due_date_column = "due";
  m.amount_column = "amount";
  m.currency_column = "currency";
  m.settled_date_column = "settled";
  m.delivery_date_column = "delivered";
  m.disputed_column = "disputed";
  m.date_format = DateFormat::kIso;
  m.thousands_separator = ThousandsSeparator::kComma;
  m.jurisdiction = v1::JURISDICTION_CN;
  m.client_kind = v1::CLIENT_KIND_PUBLIC_INSTITUTION;
  m.seller_is_sme = true;
  return m;
}

void CheckMappingFile(std::string_view text, std::string_view csv) {
  absl::StatusOr<ColumnMapping> mapping = csv_import::ParseMappingFile(text);
  if (!mapping.ok()) return;
  Check(csv_import::ValidateMapping(*mapping).ok(), "ParseMappingFile returns valid mappings");
  // column_mapping.h: FormatMappingFile "parses back to the same mapping".
  const std::string formatted = csv_import::FormatMappingFile(*mapping);
  absl::StatusOr<ColumnMapping> reparsed = csv_import::ParseMappingFile(formatted);
  Check(reparsed.ok(), "FormatMappingFile's output parses",
        absl::StrCat(reparsed.status().ToString(), "\n", formatted));
  Check(csv_import::FormatMappingFile(*reparsed) == formatted,
        "FormatMappingFile round-trips through ParseMappingFile", formatted);
  RunImport(csv, *mapping, /*max_batch_events=*/4, /*already_stored=*/false);
}

std::string FormatDay(absl::CivilDay day, DateFormat format) {
  return format == DateFormat::kIso
             ? absl::StrFormat("%04d-%02d-%02d", day.year(), day.month(), day.day())
             : absl::StrFormat("%d/%d/%04d", day.month(), day.day(), day.year());
}

// Amounts printed back in plain decimal parse to the same minor units, and a text the
// plain parser takes means the same with the comma separator allowed.
void CheckFragment(std::string_view text) {
  for (const char* currency : {"USD", "JPY", "KWD"}) {
    const int digits = *ledger::CurrencyMinorDigits(currency);
    absl::StatusOr<int64_t> plain =
        csv_import::ParseAmountMinor(text, currency, ThousandsSeparator::kNone);
    absl::StatusOr<int64_t> grouped =
        csv_import::ParseAmountMinor(text, currency, ThousandsSeparator::kComma);
    if (plain.ok()) {
      Check(grouped.ok() && *grouped == *plain, "the comma separator accepts every plain amount");
    }
    if (!grouped.ok()) continue;
    Check(*grouped > 0, "parsed amounts are positive", std::string(text));
    std::string printed = absl::StrCat(*grouped);
    if (digits > 0) {
      printed.insert(0, std::max<int>(0, digits + 1 - static_cast<int>(printed.size())), '0');
      printed.insert(printed.size() - static_cast<size_t>(digits), ".");
    }
    absl::StatusOr<int64_t> again =
        csv_import::ParseAmountMinor(printed, currency, ThousandsSeparator::kNone);
    Check(again.ok() && *again == *grouped, "an amount printed back parses to the same minor units",
          absl::StrCat(std::string(text), " -> ", printed));
  }
  // Any text as a currency code: accepted only when the code is known.
  if (csv_import::ParseAmountMinor("1", text, ThousandsSeparator::kNone).ok()) {
    Check(ledger::IsKnownCurrency(text), "ParseAmountMinor takes only known currencies");
  }
  for (DateFormat format : {DateFormat::kIso, DateFormat::kMonthDayYear}) {
    absl::StatusOr<absl::CivilDay> day = csv_import::ParseDate(text, format);
    if (!day.ok()) continue;
    Check(day->year() >= 1 && day->year() <= 9999, "parsed dates have four-digit years");
    absl::StatusOr<absl::CivilDay> again = csv_import::ParseDate(FormatDay(*day, format), format);
    Check(again.ok() && *again == *day, "a date printed back parses to the same day",
          std::string(text));
  }
  (void)csv_import::ParseYesNo(text);
}

}  // namespace
}  // namespace sixhearts::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  sixhearts::fuzz::SilenceProtobufLogs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sixhearts::fuzz;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string_view csv = input;
  if (const size_t split = input.find(kMappingSeparator); split != std::string_view::npos) {
    csv = input.substr(split + kMappingSeparator.size());
    CheckMappingFile(input.substr(0, split), csv);
  }

  absl::StatusOr<ColumnMapping> ibm = sixhearts::csv_import::MappingPreset("ibm");
  Check(ibm.ok(), "the ibm preset exists");
  RunImport(csv, *ibm, sixhearts::csv_import::kDefaultBatchEvents, /*already_stored=*/false);
  RunImport(csv, WideMapping(), sixhearts::csv_import::kMinBatchEvents, /*already_stored=*/false);
  RunImport(csv, WideMapping(), sixhearts::csv_import::kMinBatchEvents, /*already_stored=*/true);

  size_t fragments = 0;
  size_t start = 0;
  for (size_t i = 0; i <= csv.size() && fragments < kMaxFragments; ++i) {
    if (i == csv.size() || csv[i] == ',' || csv[i] == '\n') {
      CheckFragment(csv.substr(start, i - start));
      ++fragments;
      start = i + 1;
    }
  }
  return 0;
}
