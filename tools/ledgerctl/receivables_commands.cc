// The receivables commands: aging, dso, promises, disputes, projections and rebuild.
//
// Amounts: text shows major units of their currency with its minor digits and thousands
// grouped ("4,284.29", the currency in its own column); CSV and JSON give the exact
// integer minor units in columns named *_minor, so that no program has to parse decimals.
// Day counts and ratios: two decimals in text, the shortest exact form in CSV and JSON;
// a figure whose divisor is zero is blank (JSON null).
//
// Layouts: text prints a title line (the day, the record time when one was asked for,
// the log position) and then tables; JSON prints one object holding the same and the
// tables as arrays; CSV prints exactly one table, so that it loads as it is.
#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "ledger/currency.h"
#include "ledger/dates.h"
#include "tools/ledgerctl/commands.h"
#include "tools/ledgerctl/projection_commands.h"
#include "tools/ledgerctl/report_format.h"

namespace sixhearts::ledgerctl {
namespace {

namespace v1 = ::sixhearts::ledger::v1;

// ---------------------------------------------------------------------------- flags

absl::StatusOr<std::optional<v1::Date>> ParseDayFlag(const char* flag, const std::string& text) {
  if (text.empty()) return std::nullopt;
  std::optional<absl::CivilDay> day = ledger::ParseIsoDay(text);
  if (!day.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": \"", text, "\" is not a date (YYYY-MM-DD, e.g. 2026-03-31)"));
  }
  return ledger::FromCivilDay(*day);
}

// A bare date means the end of that day: "what the ledger knew by the end of 2026-03-31"
// includes everything recorded that day.
absl::StatusOr<std::optional<google::protobuf::Timestamp>> ParseKnownAt(const std::string& text) {
  if (text.empty()) return std::nullopt;
  absl::Time t;
  if (std::optional<absl::CivilDay> day = ledger::ParseIsoDay(text)) {
    t = ledger::EndOfUtcDay(*day) - absl::Nanoseconds(1);
  } else if (std::string error; !absl::ParseTime(absl::RFC3339_full, text, &t, &error)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--known-at: \"", text,
                     "\" is neither RFC 3339 (2026-01-31T12:00:00Z) nor a date (2026-01-31)"));
  }
  google::protobuf::Timestamp timestamp;
  timestamp.set_seconds(absl::ToUnixSeconds(t));
  timestamp.set_nanos(static_cast<int32_t>((t - absl::FromUnixSeconds(timestamp.seconds())) /
                                           absl::Nanoseconds(1)));
  return timestamp;
}

// Sets as_of and known_at of any report request from --as-of and --known-at.
template <typename Request>
absl::Status SetDayAndKnownAt(const ReportOptions& options, Request* request) {
  absl::StatusOr<std::optional<v1::Date>> as_of = ParseDayFlag("--as-of", options.as_of);
  if (!as_of.ok()) return as_of.status();
  if (as_of->has_value()) *request->mutable_as_of() = **as_of;
  absl::StatusOr<std::optional<google::protobuf::Timestamp>> known_at =
      ParseKnownAt(options.known_at);
  if (!known_at.ok()) return known_at.status();
  if (known_at->has_value()) *request->mutable_known_at() = **known_at;
  return absl::OkStatus();
}

absl::Status RefuseGroupBy(const ReportOptions& options, const char* what) {
  if (options.group_by.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("--group-by: only aging groups its rows; ", what));
}

absl::StatusOr<v1::AgingGroupBy> ParseGroupBy(const std::string& text) {
  if (text.empty() || text == "client") return v1::AGING_GROUP_BY_CLIENT;
  if (text == "owner") return v1::AGING_GROUP_BY_ACCOUNT_OWNER;
  if (text == "jurisdiction") return v1::AGING_GROUP_BY_JURISDICTION;
  if (text == "kind") return v1::AGING_GROUP_BY_CLIENT_KIND;
  if (text == "currency") return v1::AGING_GROUP_BY_CURRENCY;
  return absl::InvalidArgumentError(absl::StrCat(
      "--group-by: \"", text, "\" is not one of client, owner, jurisdiction, kind, currency"));
}

absl::StatusOr<std::vector<int32_t>> ParseBuckets(const std::string& text) {
  std::vector<int32_t> bounds;
  if (text.empty()) return bounds;
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    int32_t bound = 0;
    if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(part), &bound)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--buckets: \"", part, "\" is not a whole number of days (e.g. --buckets 0,30,60,90)"));
    }
    if (!bounds.empty() && bound <= bounds.back()) {
      return absl::InvalidArgumentError(absl::StrCat("--buckets: must be strictly ascending, but ",
                                                     bound, " follows ", bounds.back()));
    }
    bounds.push_back(bound);
  }
  return bounds;
}

// "2013Q3" -> [2013-07-01, 2013-09-30].
absl::StatusOr<std::pair<absl::CivilDay, absl::CivilDay>> ParseQuarter(const std::string& text) {
  const size_t q = text.find_first_of("Qq");
  int year = 0;
  int quarter = 0;
  if (q == std::string::npos || q + 2 != text.size() ||
      !absl::SimpleAtoi(text.substr(0, q), &year) || year < 1 || year > 9999 ||
      !absl::SimpleAtoi(text.substr(q + 1), &quarter) || quarter < 1 || quarter > 4) {
    return absl::InvalidArgumentError(
        absl::StrCat("--quarter: \"", text, "\" is not a quarter like 2013Q3"));
  }
  const absl::CivilDay first(year, 3 * (quarter - 1) + 1, 1);
  // Month 13 normalizes to January of the next year.
  const absl::CivilDay last = absl::CivilDay(year, 3 * quarter + 1, 1) - 1;
  return std::make_pair(first, last);
}

// -------------------------------------------------------------------------- output

// Cells and column names per output format (see the file comment).
class Cells {
 public:
  explicit Cells(OutputFormat format) : format_(format) {}

  bool text() const { return format_ == OutputFormat::kText; }

  // An amount column: `name` in text, `name_minor` in CSV and JSON.
  Column MoneyColumn(std::string_view name) const {
    if (text()) return {std::string(name), ColumnKind::kGroupedNumber};
    return {absl::StrCat(absl::string_view(name.data(), name.size()), "_minor"),
            ColumnKind::kNumber};
  }
  std::string Money(int64_t amount_minor, std::string_view currency) const {
    return text() ? FormatMinorUnits(amount_minor, currency) : absl::StrCat(amount_minor);
  }
  std::string Decimal(std::optional<double> value) const {
    if (!value.has_value()) return "";
    if (text()) return absl::StrFormat("%.2f", *value);
    char buffer[64];
    const auto result = std::to_chars(buffer, buffer + sizeof(buffer), *value);
    return std::string(buffer, result.ptr);
  }

 private:
  OutputFormat format_;
};

template <typename Values>
std::string JsonNumbers(const Values& values) {
  return absl::StrCat("[", absl::StrJoin(values, ","), "]");
}

// "not yet due" -> "not_yet_due": bucket labels as CSV column names.
std::string Slug(std::string_view label) {
  std::string slug(label);
  for (char& c : slug) {
    if (c == ' ') c = '_';
  }
  return slug;
}

// ------------------------------------------------------------------------------ aging

const char* GroupByName(v1::AgingGroupBy group_by) {
  switch (group_by) {
    case v1::AGING_GROUP_BY_ACCOUNT_OWNER:
      return "owner";
    case v1::AGING_GROUP_BY_JURISDICTION:
      return "jurisdiction";
    case v1::AGING_GROUP_BY_CLIENT_KIND:
      return "kind";
    case v1::AGING_GROUP_BY_CURRENCY:
      return "currency";
    default:
      return "client";
  }
}

// The summary: one line per row (or total); `scope` adds the CSV column telling them apart.
Table AgingSummary(const v1::AgingResponse& response,
                   const google::protobuf::RepeatedPtrField<v1::AgingRow>& rows, const Cells& cells,
                   bool with_group, const char* scope) {
  std::vector<Column> columns;
  if (scope != nullptr) columns.push_back({"scope"});
  if (with_group) columns.push_back({"group"});
  columns.push_back({"currency"});
  for (const v1::AgingBucket& bucket : response.buckets()) {
    columns.push_back(cells.MoneyColumn(cells.text() ? bucket.label() : Slug(bucket.label())));
  }
  for (const char* name :
       {"outstanding", "disputed", "unapplied_cash", "standalone_credit", "net"}) {
    columns.push_back(cells.MoneyColumn(name));
  }
  Table table(std::move(columns));
  for (const v1::AgingRow& row : rows) {
    std::vector<std::string> line;
    if (scope != nullptr) line.push_back(scope);
    if (with_group) line.push_back(row.group());
    line.push_back(row.currency());
    for (int64_t amount : row.outstanding_by_bucket_minor()) {
      line.push_back(cells.Money(amount, row.currency()));
    }
    for (int64_t amount :
         {row.outstanding_minor(), row.disputed_minor(), row.unapplied_cash_minor(),
          row.standalone_credit_minor(), row.net_minor()}) {
      line.push_back(cells.Money(amount, row.currency()));
    }
    table.AddRow(std::move(line));
  }
  return table;
}

// The drill-down: every invoice and credit line of every row.
Table AgingLines(const v1::AgingResponse& response, const Cells& cells) {
  Table table({{"group"},
               {"client"},
               {"kind"},
               {"id"},
               {"currency"},
               {"date"},
               {"age_days", ColumnKind::kNumber},
               {"bucket"},
               cells.MoneyColumn("amount"),
               cells.MoneyColumn("disputed")});
  for (const v1::AgingRow& row : response.rows()) {
    for (const v1::AgingInvoiceLine& line : row.invoices()) {
      const std::string bucket = line.bucket() >= 0 && line.bucket() < response.buckets_size()
                                     ? response.buckets(line.bucket()).label()
                                     : absl::StrCat(line.bucket());
      table.AddRow({row.group(), line.client_id(), "invoice", line.invoice_id(), line.currency(),
                    DateCell(line.due_date()), absl::StrCat(line.age_days()), bucket,
                    cells.Money(line.outstanding_minor(), line.currency()),
                    cells.Money(line.disputed_minor(), line.currency())});
    }
    for (const v1::AgingCreditLine& line : row.credits()) {
      table.AddRow({row.group(), line.client_id(),
                    line.kind() == v1::AGING_CREDIT_KIND_UNAPPLIED_CASH ? "unapplied_cash"
                                                                        : "standalone_credit",
                    line.source_id(), line.currency(), DateCell(line.dated()), "", "",
                    cells.Money(line.amount_minor(), line.currency()), ""});
    }
  }
  return table;
}

std::string AgingRowJson(const v1::AgingRow& row, bool with_group) {
  Record record;
  if (with_group) record.Add("group", row.group());
  record.Add("currency", row.currency());
  record.AddJson("outstanding_by_bucket_minor", JsonNumbers(row.outstanding_by_bucket_minor()));
  record.AddJson("disputed_by_bucket_minor", JsonNumbers(row.disputed_by_bucket_minor()));
  record.Add("outstanding_minor", absl::StrCat(row.outstanding_minor()), ColumnKind::kNumber);
  record.Add("disputed_minor", absl::StrCat(row.disputed_minor()), ColumnKind::kNumber);
  record.Add("unapplied_cash_minor", absl::StrCat(row.unapplied_cash_minor()), ColumnKind::kNumber);
  record.Add("standalone_credit_minor", absl::StrCat(row.standalone_credit_minor()),
             ColumnKind::kNumber);
  record.Add("net_minor", absl::StrCat(row.net_minor()), ColumnKind::kNumber);
  return Nested(record.Render(OutputFormat::kJson));
}

void PrintAging(const CommandContext& context, const v1::AgingResponse& response,
                v1::AgingGroupBy group_by, bool invoices) {
  const Cells cells(context.format);
  std::ostream& out = *context.out;
  switch (context.format) {
    case OutputFormat::kText:
      out << "Aging as of " << DateCell(response.as_of()) << " by " << GroupByName(group_by)
          << KnownAtText(response) << "; position " << response.position() << "\n"
          << AgingSummary(response, response.rows(), cells, true, nullptr).Render(context.format)
          << "\nTotals\n"
          << AgingSummary(response, response.totals(), cells, false, nullptr)
                 .Render(context.format);
      if (invoices) out << "\nLines\n" << AgingLines(response, cells).Render(context.format);
      return;
    case OutputFormat::kCsv:
      if (invoices) {
        out << AgingLines(response, cells).Render(context.format);
        return;
      }
      {
        // One table: the group rows, then the totals, told apart by `scope`.
        Table rows = AgingSummary(response, response.rows(), cells, true, "group");
        std::string text = rows.Render(context.format);
        const std::string totals =
            AgingSummary(response, response.totals(), cells, true, "total").Render(context.format);
        text += totals.substr(totals.find("\r\n") + 2);  // without its header
        out << text;
      }
      return;
    case OutputFormat::kJson:
      break;
  }
  Record record;
  record.Add("as_of", DateCell(response.as_of()));
  record.AddJson("known_at", KnownAtJson(response));
  record.Add("position", absl::StrCat(response.position()), ColumnKind::kNumber);
  record.Add("group_by", GroupByName(group_by));
  Table buckets({{"label"},
                 {"lower_bound_days", ColumnKind::kNumber},
                 {"upper_bound_days", ColumnKind::kNumber}});
  for (const v1::AgingBucket& bucket : response.buckets()) {
    buckets.AddRow({bucket.label(),
                    bucket.has_lower_bound_days() ? absl::StrCat(bucket.lower_bound_days()) : "",
                    bucket.has_upper_bound_days() ? absl::StrCat(bucket.upper_bound_days()) : ""});
  }
  record.AddJson("buckets", Nested(buckets.Render(OutputFormat::kJson)));
  std::vector<std::string> rows;
  for (const v1::AgingRow& row : response.rows()) rows.push_back(AgingRowJson(row, true));
  record.AddJson("rows", JsonArray(rows));
  std::vector<std::string> totals;
  for (const v1::AgingRow& row : response.totals()) totals.push_back(AgingRowJson(row, false));
  record.AddJson("totals", JsonArray(totals));
  if (invoices) record.AddJson("lines", Nested(AgingLines(response, cells).Render(context.format)));
  out << record.Render(OutputFormat::kJson);
}

// -------------------------------------------------------------------------------- DSO

// One currency's figures as (column, cell) pairs: a table row in CSV and JSON, a block of
// `name  value` lines in text.
std::vector<std::pair<Column, std::string>> DsoFields(const v1::DsoCurrencyReport& report,
                                                      const Cells& cells) {
  const std::string& currency = report.currency();
  const auto optional = [](bool has, double value) {
    return has ? std::optional<double>(value) : std::nullopt;
  };
  const ColumnKind number = ColumnKind::kNumber;
  return {
      {{"currency"}, currency},
      {cells.MoneyColumn("credit_sales"), cells.Money(report.credit_sales_minor(), currency)},
      {cells.MoneyColumn("beginning_ar"), cells.Money(report.beginning_ar_minor(), currency)},
      {cells.MoneyColumn("ending_ar"), cells.Money(report.ending_ar_minor(), currency)},
      {cells.MoneyColumn("ending_current_ar"),
       cells.Money(report.ending_current_ar_minor(), currency)},
      {{"dso_days", number}, cells.Decimal(optional(report.has_dso_days(), report.dso_days()))},
      {{"simple_dso_days", number},
       cells.Decimal(optional(report.has_simple_dso_days(), report.simple_dso_days()))},
      {{"countback_dso_days", number},
       cells.Decimal(optional(report.has_countback_dso_days(), report.countback_dso_days()))},
      {{"countback_months_walked", number}, absl::StrCat(report.countback_months_walked())},
      {{"countback_sales_exhausted", ColumnKind::kBool},
       report.countback_sales_exhausted() ? "true" : "false"},
      {{"best_possible_dso_days", number},
       cells.Decimal(
           optional(report.has_best_possible_dso_days(), report.best_possible_dso_days()))},
      {{"average_days_delinquent", number},
       cells.Decimal(
           optional(report.has_average_days_delinquent(), report.average_days_delinquent()))},
      {{"cei_percent", number},
       cells.Decimal(optional(report.has_cei_percent(), report.cei_percent()))},
      {{"average_days_late", number},
       cells.Decimal(optional(report.has_average_days_late(), report.average_days_late()))},
      {{"days_late_invoice_count", number}, absl::StrCat(report.days_late_invoice_count())},
      {cells.MoneyColumn("days_late_billed"),
       cells.Money(report.days_late_billed_minor(), currency)},
  };
}

Table DsoTable(const v1::DsoResponse& response, const Cells& cells) {
  std::vector<Column> columns;
  for (auto& [column, cell] : DsoFields(v1::DsoCurrencyReport(), cells)) {
    columns.push_back(column);
  }
  Table table(std::move(columns));
  for (const v1::DsoCurrencyReport& report : response.currencies()) {
    std::vector<std::string> row;
    for (auto& [column, cell] : DsoFields(report, cells)) row.push_back(std::move(cell));
    table.AddRow(std::move(row));
  }
  return table;
}

const char* MethodName(v1::DsoMethod method) {
  return method == v1::DSO_METHOD_SIMPLE ? "simple" : "countback";
}

void PrintDso(const CommandContext& context, const v1::DsoResponse& response) {
  const Cells cells(context.format);
  std::ostream& out = *context.out;
  switch (context.format) {
    case OutputFormat::kText:
      out << "DSO " << DateCell(response.from()) << " to " << DateCell(response.to()) << " ("
          << response.period_days() << " days, " << MethodName(response.method()) << ")"
          << KnownAtText(response) << "; position " << response.position() << "\n";
      for (const v1::DsoCurrencyReport& report : response.currencies()) {
        Record record;
        for (auto& [column, cell] : DsoFields(report, cells)) {
          record.Add(column.name, std::move(cell), column.kind);
        }
        out << "\n" << record.Render(context.format);
      }
      return;
    case OutputFormat::kCsv:
      out << DsoTable(response, cells).Render(context.format);
      return;
    case OutputFormat::kJson:
      break;
  }
  Record record;
  record.Add("from", DateCell(response.from()));
  record.Add("to", DateCell(response.to()));
  record.AddJson("known_at", KnownAtJson(response));
  record.Add("position", absl::StrCat(response.position()), ColumnKind::kNumber);
  record.Add("period_days", absl::StrCat(response.period_days()), ColumnKind::kNumber);
  record.Add("method", MethodName(response.method()));
  record.AddJson("currencies", Nested(DsoTable(response, cells).Render(context.format)));
  out << record.Render(OutputFormat::kJson);
}

// -------------------------------------------------------------------------- promises

const char* StatusName(v1::PromiseStatus status) {
  switch (status) {
    case v1::PROMISE_STATUS_OPEN:
      return "open";
    case v1::PROMISE_STATUS_KEPT:
      return "kept";
    case v1::PROMISE_STATUS_PARTIALLY_KEPT:
      return "partially_kept";
    case v1::PROMISE_STATUS_BROKEN:
      return "broken";
    default:
      return "unknown";
  }
}

Table PromisesTable(const v1::PromisesResponse& response, const Cells& cells) {
  Table table({{"client"},
               {"promise"},
               {"status"},
               {"currency"},
               cells.MoneyColumn("amount"),
               cells.MoneyColumn("received"),
               {"made_on"},
               {"promised_date"},
               {"judged_on"},
               {"invoices"}});
  for (const auto* lines : {&response.open(), &response.judged()}) {
    for (const v1::PromiseLine& line : *lines) {
      table.AddRow({line.client_id(), line.promise_id(), StatusName(line.status()), line.currency(),
                    cells.Money(line.amount_minor(), line.currency()),
                    cells.Money(line.received_minor(), line.currency()), DateCell(line.made_on()),
                    DateCell(line.promised_date()), DateCell(line.judged_on()),
                    absl::StrJoin(line.invoice_ids(), ",")});
    }
  }
  return table;
}

void PrintPromises(const CommandContext& context, const v1::PromisesResponse& response) {
  const Cells cells(context.format);
  std::ostream& out = *context.out;
  const std::optional<double> rate =
      response.has_broken_rate() ? std::optional<double>(response.broken_rate()) : std::nullopt;
  switch (context.format) {
    case OutputFormat::kText:
      out << "Promises as of " << DateCell(response.as_of()) << ", tolerance "
          << response.tolerance_days() << " days" << KnownAtText(response) << "; position "
          << response.position() << "\n"
          << response.open_size() << " open, " << response.judged_size() << " judged: kept "
          << response.kept_count() << ", partially kept " << response.partially_kept_count()
          << ", broken " << response.broken_count() << "; broken rate "
          << (rate.has_value() ? absl::StrFormat("%.2f%%", *rate * 100) : std::string("n/a"))
          << "\n"
          << PromisesTable(response, cells).Render(context.format);
      return;
    case OutputFormat::kCsv:
      out << PromisesTable(response, cells).Render(context.format);
      return;
    case OutputFormat::kJson:
      break;
  }
  Record record;
  record.Add("as_of", DateCell(response.as_of()));
  record.AddJson("known_at", KnownAtJson(response));
  record.Add("position", absl::StrCat(response.position()), ColumnKind::kNumber);
  record.Add("tolerance_days", absl::StrCat(response.tolerance_days()), ColumnKind::kNumber);
  record.Add("open_count", absl::StrCat(response.open_size()), ColumnKind::kNumber);
  record.Add("judged_count", absl::StrCat(response.judged_size()), ColumnKind::kNumber);
  record.Add("kept_count", absl::StrCat(response.kept_count()), ColumnKind::kNumber);
  record.Add("partially_kept_count", absl::StrCat(response.partially_kept_count()),
             ColumnKind::kNumber);
  record.Add("broken_count", absl::StrCat(response.broken_count()), ColumnKind::kNumber);
  record.Add("broken_rate", cells.Decimal(rate), ColumnKind::kNumber);
  record.AddJson("promises", Nested(PromisesTable(response, cells).Render(context.format)));
  out << record.Render(OutputFormat::kJson);
}

// -------------------------------------------------------------------------- disputes

const char* DisputeStatus(const v1::DisputeLine& line) {
  switch (line.outcome()) {
    case v1::DISPUTE_OUTCOME_UPHELD:
      return "upheld";
    case v1::DISPUTE_OUTCOME_REJECTED:
      return "rejected";
    case v1::DISPUTE_OUTCOME_PARTIAL:
      return "partial";
    default:
      return "open";
  }
}

Table DisputesTable(const v1::DisputesResponse& response, const Cells& cells) {
  Table table({{"client"},
               {"dispute"},
               {"invoice"},
               {"status"},
               {"currency"},
               cells.MoneyColumn("amount"),
               cells.MoneyColumn("conceded"),
               {"opened_on"},
               {"resolved_on"},
               {"reason"}});
  for (const auto* lines : {&response.open(), &response.resolved()}) {
    for (const v1::DisputeLine& line : *lines) {
      table.AddRow({line.client_id(), line.dispute_id(), line.invoice_id(), DisputeStatus(line),
                    line.currency(), cells.Money(line.amount_minor(), line.currency()),
                    cells.Money(line.conceded_minor(), line.currency()), DateCell(line.opened_on()),
                    DateCell(line.resolved_on()), line.reason()});
    }
  }
  return table;
}

void PrintDisputes(const CommandContext& context, const v1::DisputesResponse& response) {
  const Cells cells(context.format);
  std::ostream& out = *context.out;
  switch (context.format) {
    case OutputFormat::kText:
      out << "Disputes as of " << DateCell(response.as_of()) << KnownAtText(response)
          << "; position " << response.position() << "\n"
          << response.open_size() << " open, " << response.resolved_size() << " resolved\n"
          << DisputesTable(response, cells).Render(context.format);
      return;
    case OutputFormat::kCsv:
      out << DisputesTable(response, cells).Render(context.format);
      return;
    case OutputFormat::kJson:
      break;
  }
  Record record;
  record.Add("as_of", DateCell(response.as_of()));
  record.AddJson("known_at", KnownAtJson(response));
  record.Add("position", absl::StrCat(response.position()), ColumnKind::kNumber);
  record.Add("open_count", absl::StrCat(response.open_size()), ColumnKind::kNumber);
  record.Add("resolved_count", absl::StrCat(response.resolved_size()), ColumnKind::kNumber);
  record.AddJson("disputes", Nested(DisputesTable(response, cells).Render(context.format)));
  out << record.Render(OutputFormat::kJson);
}

}  // namespace

std::string FormatMinorUnits(int64_t amount_minor, std::string_view currency) {
  const int digits = ledger::CurrencyMinorDigits(currency).value_or(2);
  // Unsigned, so that the most negative amount has a magnitude too.
  const uint64_t magnitude = amount_minor < 0 ? 0 - static_cast<uint64_t>(amount_minor)
                                              : static_cast<uint64_t>(amount_minor);
  const char* sign = amount_minor < 0 ? "-" : "";
  if (digits <= 0) return absl::StrFormat("%s%u", sign, magnitude);
  uint64_t unit = 1;
  for (int i = 0; i < digits; ++i) unit *= 10;
  return absl::StrFormat("%s%u.%0*u", sign, magnitude / unit, digits, magnitude % unit);
}

absl::StatusOr<int> RunAging(const CommandContext& context, const AgingCommandOptions& options) {
  v1::AgingRequest request;
  if (absl::Status s = SetDayAndKnownAt(options.report, &request); !s.ok()) return s;
  absl::StatusOr<v1::AgingGroupBy> group_by = ParseGroupBy(options.report.group_by);
  if (!group_by.ok()) return group_by.status();
  request.set_group_by(*group_by);
  absl::StatusOr<std::vector<int32_t>> bounds = ParseBuckets(options.buckets);
  if (!bounds.ok()) return bounds.status();
  for (int32_t bound : *bounds) request.add_bucket_upper_bounds_days(bound);
  request.set_include_invoices(options.invoices);
  absl::StatusOr<v1::AgingResponse> response = context.client->Aging(request);
  if (!response.ok()) return response.status();
  PrintAging(context, *response, *group_by, options.invoices);
  return kExitOk;
}

absl::StatusOr<int> RunDso(const CommandContext& context, const DsoCommandOptions& options) {
  if (absl::Status s = RefuseGroupBy(options.report, "dso reports one line per currency");
      !s.ok()) {
    return s;
  }
  v1::DsoRequest request;
  if (!options.quarter.empty()) {
    if (!options.from.empty() || !options.to.empty() || !options.report.as_of.empty()) {
      return absl::InvalidArgumentError("--quarter: give either --quarter or --from/--to");
    }
    auto quarter = ParseQuarter(options.quarter);
    if (!quarter.ok()) return quarter.status();
    *request.mutable_from() = ledger::FromCivilDay(quarter->first);
    *request.mutable_to() = ledger::FromCivilDay(quarter->second);
  } else {
    if (options.from.empty()) {
      return absl::InvalidArgumentError("--from: required (or --quarter, e.g. 2013Q3)");
    }
    if (!options.to.empty() && !options.report.as_of.empty() &&
        options.to != options.report.as_of) {
      return absl::InvalidArgumentError("--as-of: is the same as --to; give one of them");
    }
    auto from = ParseDayFlag("--from", options.from);
    if (!from.ok()) return from.status();
    *request.mutable_from() = **from;
    auto to = options.to.empty() ? ParseDayFlag("--as-of", options.report.as_of)
                                 : ParseDayFlag("--to", options.to);
    if (!to.ok()) return to.status();
    if (to->has_value()) *request.mutable_to() = **to;
  }
  auto known_at = ParseKnownAt(options.report.known_at);
  if (!known_at.ok()) return known_at.status();
  if (known_at->has_value()) *request.mutable_known_at() = **known_at;
  if (options.method.empty() || options.method == "countback") {
    request.set_method(v1::DSO_METHOD_COUNTBACK);
  } else if (options.method == "simple") {
    request.set_method(v1::DSO_METHOD_SIMPLE);
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("--method: \"", options.method, "\" is not countback or simple"));
  }
  request.set_countback_max_months(options.countback_max_months);
  absl::StatusOr<v1::DsoResponse> response = context.client->Dso(request);
  if (!response.ok()) return response.status();
  PrintDso(context, *response);
  return kExitOk;
}

absl::StatusOr<int> RunPromises(const CommandContext& context,
                                const PromisesCommandOptions& options) {
  if (absl::Status s = RefuseGroupBy(options.report, "promises lists each promise"); !s.ok()) {
    return s;
  }
  v1::PromisesRequest request;
  if (absl::Status s = SetDayAndKnownAt(options.report, &request); !s.ok()) return s;
  if (options.tolerance_days.has_value()) request.set_tolerance_days(*options.tolerance_days);
  absl::StatusOr<v1::PromisesResponse> response = context.client->Promises(request);
  if (!response.ok()) return response.status();
  PrintPromises(context, *response);
  return kExitOk;
}

absl::StatusOr<int> RunDisputes(const CommandContext& context, const ReportOptions& options) {
  if (absl::Status s = RefuseGroupBy(options, "disputes lists each dispute"); !s.ok()) return s;
  v1::DisputesRequest request;
  if (absl::Status s = SetDayAndKnownAt(options, &request); !s.ok()) return s;
  absl::StatusOr<v1::DisputesResponse> response = context.client->Disputes(request);
  if (!response.ok()) return response.status();
  PrintDisputes(context, *response);
  return kExitOk;
}

absl::StatusOr<int> RunProjections(const CommandContext& context) {
  return PrintProjectionStatus(context, context.client->ProjectionStatus());
}

absl::StatusOr<int> RunRebuild(const CommandContext& context) {
  return RebuildWithProgress<v1::RebuildResponse>(
      context, "receivables",
      [&](const auto& progress) { return context.client->Rebuild(progress); });
}

}  // namespace sixhearts::ledgerctl
