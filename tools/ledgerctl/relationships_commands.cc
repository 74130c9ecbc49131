// The six-hearts commands: scorecard, timeline, plans, worklist, evidence, and the status
// and rebuild of the relationship projection.
//
// Formats follow the receivables reports (receivables_commands.cc): text prints a title
// line (the day, the record time when one was asked for, the log position) and tables,
// amounts in major units; CSV prints exactly one table, so that it loads as it is, with
// integer minor units in *_minor columns; JSON prints one object with the title's fields
// and the tables as arrays, nested where the report nests. Scores (0..1), shares and
// health indices (0..100) have two decimals in text and their shortest exact form in CSV
// and JSON; a heart that is not applicable shows "n/a" in text, blank in CSV, null in
// JSON, and so does any figure whose divisor is zero.
#include <array>
#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "ledger/dates.h"
#include "tools/ledgerctl/commands.h"
#include "tools/ledgerctl/projection_commands.h"
#include "tools/ledgerctl/report_format.h"

namespace sixhearts::ledgerctl {
namespace {

namespace v1 = ::sixhearts::ledger::v1;

// Heart names as the CLI and its column headers spell them, in schema order.
constexpr std::array<const char*, 6> kHeartNames = {"trust",         "care",      "listening",
                                                    "communication", "execution", "feedback"};

const char* HeartName(v1::Heart heart) {
  const int index = static_cast<int>(heart) - 1;
  return index >= 0 && index < static_cast<int>(kHeartNames.size()) ? kHeartNames[index] : "";
}

// ---------------------------------------------------------------------------- flags

absl::StatusOr<std::optional<v1::Date>> DayFlag(const char* flag, const std::string& text) {
  if (text.empty()) return std::nullopt;
  const std::optional<absl::CivilDay> day = ledger::ParseIsoDay(text);
  if (!day.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": \"", text, "\" is not a date (YYYY-MM-DD, e.g. 2026-03-31)"));
  }
  return ledger::FromCivilDay(*day);
}

// A bare date is the end of that day, so that "known at 2026-03-31" includes what was
// recorded during it.
absl::StatusOr<std::optional<google::protobuf::Timestamp>> KnownAtFlag(const std::string& text) {
  if (text.empty()) return std::nullopt;
  absl::Time t;
  if (const std::optional<absl::CivilDay> day = ledger::ParseIsoDay(text)) {
    t = ledger::EndOfUtcDay(*day) - absl::Nanoseconds(1);
  } else if (std::string error; !absl::ParseTime(absl::RFC3339_full, text, &t, &error)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--known-at: \"", text,
                     "\" is neither RFC 3339 (2026-01-31T12:00:00Z) nor a date (2026-01-31)"));
  }
  google::protobuf::Timestamp stamp;
  stamp.set_seconds(absl::ToUnixSeconds(t));
  stamp.set_nanos(
      static_cast<int32_t>((t - absl::FromUnixSeconds(stamp.seconds())) / absl::Nanoseconds(1)));
  return stamp;
}

template <typename Request>
absl::Status SetAsOfAndKnownAt(const RelationshipReportOptions& options, Request* request) {
  absl::StatusOr<std::optional<v1::Date>> as_of = DayFlag("--as-of", options.as_of);
  if (!as_of.ok()) return as_of.status();
  if (as_of->has_value()) *request->mutable_as_of() = **as_of;
  absl::StatusOr<std::optional<google::protobuf::Timestamp>> known_at =
      KnownAtFlag(options.known_at);
  if (!known_at.ok()) return known_at.status();
  if (known_at->has_value()) *request->mutable_known_at() = **known_at;
  return absl::OkStatus();
}

absl::Status RefuseTolerance(const RelationshipReportOptions& options, const char* command) {
  if (!options.tolerance_days.has_value()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("--tolerance-days: ", command, " does not judge promises"));
}

// -------------------------------------------------------------------------- output

class Cells {
 public:
  explicit Cells(OutputFormat format) : format_(format) {}

  bool text() const { return format_ == OutputFormat::kText; }
  OutputFormat format() const { return format_; }

  Column MoneyColumn(std::string_view name) const {
    if (text()) return {std::string(name), ColumnKind::kGroupedNumber};
    return {absl::StrCat(absl::string_view(name.data(), name.size()), "_minor"),
            ColumnKind::kNumber};
  }
  std::string Money(int64_t amount_minor, std::string_view currency) const {
    return text() ? FormatMinorUnits(amount_minor, currency) : absl::StrCat(amount_minor);
  }
  // A score, share, index or day count; `missing` in text when unset (blank elsewhere).
  std::string Decimal(std::optional<double> value, const char* missing = "") const {
    if (!value.has_value()) return text() ? missing : "";
    if (text()) return absl::StrFormat("%.2f", *value);
    char buffer[64];
    const auto result = std::to_chars(buffer, buffer + sizeof(buffer), *value);
    return std::string(buffer, result.ptr);
  }

 private:
  OutputFormat format_;
};

std::optional<double> Opt(bool has, double value) {
  return has ? std::optional<double>(value) : std::nullopt;
}

std::string Count(int64_t n) { return absl::StrCat(n); }

// The title fields every JSON report starts with.
template <typename Response>
void AddTitle(const Response& response, Record* record) {
  record->Add("as_of", DateCell(response.as_of()));
  record->AddJson("known_at", KnownAtJson(response));
  record->Add("position", absl::StrCat(response.position()), ColumnKind::kNumber);
}

// ------------------------------------------------------------------------- scorecard

const char* NeglectKindName(v1::NeglectKind kind) {
  switch (kind) {
    case v1::NEGLECT_KIND_HEART:
      return "heart";
    case v1::NEGLECT_KIND_OVERDUE_FOLLOW_UP:
      return "overdue_follow_up";
    case v1::NEGLECT_KIND_OVERDUE_PLAN_STEP:
      return "overdue_plan_step";
    default:
      return "unknown";
  }
}

Table ScorecardClients(const v1::ScorecardResponse& response, const Cells& cells) {
  std::vector<Column> columns = {{"client"}, {"name"}, {"account_owner"}};
  for (const char* heart : kHeartNames) columns.push_back({heart, ColumnKind::kNumber});
  columns.push_back({"health_index", ColumnKind::kNumber});
  columns.push_back({"alert_count", ColumnKind::kNumber});
  if (!cells.text()) columns.push_back({"alerts"});
  Table table(std::move(columns));
  for (const v1::ClientScorecard& card : response.clients()) {
    std::vector<std::string> row = {card.client_id(), card.name(), card.account_owner()};
    for (const v1::HeartScore& heart : card.hearts()) {
      row.push_back(cells.Decimal(Opt(heart.has_score(), heart.score()), "n/a"));
    }
    row.push_back(cells.Decimal(Opt(card.has_health_index(), card.health_index()), "n/a"));
    row.push_back(Count(card.alerts_size()));
    if (!cells.text()) {
      std::vector<std::string> messages;
      for (const v1::NeglectAlert& alert : card.alerts()) messages.push_back(alert.message());
      row.push_back(absl::StrJoin(messages, "; "));
    }
    table.AddRow(std::move(row));
  }
  return table;
}

Table ScorecardOwners(const v1::ScorecardResponse& response, const Cells& cells) {
  std::vector<Column> columns = {{"account_owner"}, {"clients", ColumnKind::kNumber}};
  for (const char* heart : kHeartNames) columns.push_back({heart, ColumnKind::kNumber});
  columns.push_back({"health_index", ColumnKind::kNumber});
  columns.push_back({"alert_count", ColumnKind::kNumber});
  Table table(std::move(columns));
  for (const v1::OwnerScorecard& owner : response.owners()) {
    std::vector<std::string> row = {owner.account_owner(), Count(owner.clients())};
    for (const v1::OwnerHeartScore& heart : owner.hearts()) {
      row.push_back(cells.Decimal(Opt(heart.has_score(), heart.score()), "n/a"));
    }
    row.push_back(cells.Decimal(Opt(owner.has_health_index(), owner.health_index()), "n/a"));
    row.push_back(Count(owner.alerts()));
    table.AddRow(std::move(row));
  }
  return table;
}

Table AlertsTable(const v1::ClientScorecard* only, const v1::ScorecardResponse& response,
                  bool with_client) {
  std::vector<Column> columns;
  if (with_client) columns.push_back({"client"});
  for (Column column : std::vector<Column>{{"kind"},
                                           {"heart"},
                                           {"item"},
                                           {"last_event_on"},
                                           {"cadence_days", ColumnKind::kNumber},
                                           {"days", ColumnKind::kNumber},
                                           {"due_date"},
                                           {"message"}}) {
    columns.push_back(std::move(column));
  }
  Table table(std::move(columns));
  const auto add = [&](const v1::ClientScorecard& card) {
    for (const v1::NeglectAlert& alert : card.alerts()) {
      std::vector<std::string> row;
      if (with_client) row.push_back(card.client_id());
      for (std::string cell :
           {std::string(NeglectKindName(alert.kind())), std::string(HeartName(alert.heart())),
            alert.item_id(), DateCell(alert.last_event_on()),
            alert.kind() == v1::NEGLECT_KIND_HEART ? Count(alert.cadence_days()) : "",
            alert.has_days() ? Count(alert.days()) : "", DateCell(alert.due_date()),
            alert.message()}) {
        row.push_back(std::move(cell));
      }
      table.AddRow(std::move(row));
    }
  };
  if (only != nullptr) {
    add(*only);
  } else {
    for (const v1::ClientScorecard& card : response.clients()) add(card);
  }
  return table;
}

std::string HeartScoresJson(const v1::ClientScorecard& card, const Cells& cells) {
  Table table({{"heart"},
               {"score", ColumnKind::kNumber},
               {"periods", ColumnKind::kNumber},
               {"periods_covered", ColumnKind::kNumber},
               {"concerns_judged", ColumnKind::kNumber},
               {"concerns_resolved_in_time", ColumnKind::kNumber},
               {"items_due", ColumnKind::kNumber},
               {"items_on_time", ColumnKind::kNumber},
               {"last_event_on"}});
  for (const v1::HeartScore& heart : card.hearts()) {
    table.AddRow({HeartName(heart.heart()), cells.Decimal(Opt(heart.has_score(), heart.score())),
                  Count(heart.periods()), Count(heart.periods_covered()),
                  Count(heart.concerns_judged()), Count(heart.concerns_resolved_in_time()),
                  Count(heart.items_due()), Count(heart.items_on_time()),
                  DateCell(heart.last_event_on())});
  }
  return Nested(table.Render(OutputFormat::kJson));
}

void PrintScorecard(const CommandContext& context, const v1::ScorecardResponse& response) {
  const Cells cells(context.format);
  std::ostream& out = *context.out;
  switch (context.format) {
    case OutputFormat::kText:
      out << "Scorecard as of " << DateCell(response.as_of()) << ", window "
          << response.window_days() << " days" << KnownAtText(response) << "; position "
          << response.position() << "\n"
          << ScorecardClients(response, cells).Render(context.format) << "\nAccount owners\n"
          << ScorecardOwners(response, cells).Render(context.format) << "\nAlerts\n"
          << AlertsTable(nullptr, response, true).Render(context.format);
      return;
    case OutputFormat::kCsv:
      out << ScorecardClients(response, cells).Render(context.format);
      return;
    case OutputFormat::kJson:
      break;
  }
  Record record;
  AddTitle(response, &record);
  record.Add("window_days", Count(response.window_days()), ColumnKind::kNumber);
  std::vector<std::string> clients;
  for (const v1::ClientScorecard& card : response.clients()) {
    Record client;
    client.Add("client", card.client_id());
    client.Add("name", card.name());
    client.Add("account_owner", card.account_owner());
    client.AddJson("hearts", HeartScoresJson(card, cells));
    client.Add("health_index", cells.Decimal(Opt(card.has_health_index(), card.health_index())),
               ColumnKind::kNumber);
    client.AddJson("alerts",
                   Nested(AlertsTable(&card, response, false).Render(OutputFormat::kJson)));
    clients.push_back(Nested(client.Render(OutputFormat::kJson)));
  }
  record.AddJson("clients", JsonArray(clients));
  record.AddJson("owners", Nested(ScorecardOwners(response, cells).Render(OutputFormat::kJson)));
  out << record.Render(OutputFormat::kJson);
}

// -------------------------------------------------------------------------- timeline

const char* MilestoneName(v1::MilestoneKind kind) {
  switch (kind) {
    case v1::MILESTONE_KIND_FIRST_CONTRACT:
      return "first_contract";
    case v1::MILESTONE_KIND_FIRST_ON_TIME_PAYMENT:
      return "first_on_time_payment";
    case v1::MILESTONE_KIND_PROMISE_BROKEN:
      return "promise_broken";
    case v1::MILESTONE_KIND_DISPUTE_OPENED:
      return "dispute_opened";
    case v1::MILESTONE_KIND_DISPUTE_RESOLVED:
      return "dispute_resolved";
    case v1::MILESTONE_KIND_CONCERN_RESOLVED:
      return "concern_resolved";
    default:
      return "unknown";
  }
}

Table TimelineEntries(const v1::TimelineResponse& response) {
  Table table({{"position", ColumnKind::kNumber},
               {"day"},
               {"type"},
               {"hearts"},
               {"actor"},
               {"hash"},
               {"summary"}});
  for (const v1::TimelineEntry& entry : response.entries()) {
    std::vector<std::string> hearts;
    for (const int heart : entry.hearts())
      hearts.push_back(HeartName(static_cast<v1::Heart>(heart)));
    table.AddRow({absl::StrCat(entry.position()), DateCell(entry.day()), entry.type(),
                  absl::StrJoin(hearts, ","), entry.actor(), entry.hash_prefix(), entry.summary()});
  }
  return table;
}

Table TimelineMilestones(const v1::TimelineResponse& response) {
  Table table({{"day"}, {"kind"}, {"subject"}, {"description"}});
  for (const v1::Milestone& milestone : response.milestones()) {
    table.AddRow({DateCell(milestone.day()), MilestoneName(milestone.kind()),
                  milestone.subject_id(), milestone.description()});
  }
  return table;
}

// Overdue money of a month: "600.00 CNY" in text, "CNY=60000" otherwise, ";"-separated
// when the client owes in several currencies.
std::string OverdueCell(const v1::MonthlyPoint& point, const Cells& cells) {
  std::vector<std::string> parts;
  for (const v1::CurrencyAmount& amount : point.overdue()) {
    parts.push_back(cells.text()
                        ? absl::StrCat(FormatMinorUnits(amount.amount_minor(), amount.currency()),
                                       " ", amount.currency())
                        : absl::StrCat(amount.currency(), "=", amount.amount_minor()));
  }
  return absl::StrJoin(parts, cells.text() ? ", " : ";");
}

Table TimelineSeries(const v1::TimelineResponse& response, const Cells& cells) {
  Table table({{"month"},
               {"measured_on"},
               {"health_index", ColumnKind::kNumber},
               {cells.text() ? "overdue" : "overdue_minor_by_currency"},
               {"invoices_due", ColumnKind::kNumber},
               {"invoices_paid_on_time", ColumnKind::kNumber},
               {"on_time_share", ColumnKind::kNumber},
               {"promises_kept", ColumnKind::kNumber},
               {"promises_partially_kept", ColumnKind::kNumber},
               {"promises_broken", ColumnKind::kNumber}});
  for (const v1::MonthlyPoint& point : response.series()) {
    const std::string month =
        absl::StrFormat("%04d-%02d", point.month().year(), point.month().month());
    table.AddRow({month, DateCell(point.measured_on()),
                  cells.Decimal(Opt(point.has_health_index(), point.health_index()), "n/a"),
                  OverdueCell(point, cells), Count(point.invoices_due()),
                  Count(point.invoices_paid_on_time()),
                  cells.Decimal(Opt(point.has_on_time_share(), point.on_time_share())),
                  Count(point.promises_kept()), Count(point.promises_partially_kept()),
                  Count(point.promises_broken())});
  }
  return table;
}

void PrintTimeline(const CommandContext& context, const v1::TimelineResponse& response,
                   const std::string& show) {
  const Cells cells(context.format);
  std::ostream& out = *context.out;
  switch (context.format) {
    case OutputFormat::kText:
      out << "Timeline of " << response.client_id();
      if (!response.name().empty()) out << " (" << response.name() << ")";
      out << " as of " << DateCell(response.as_of()) << KnownAtText(response) << "; position "
          << response.position() << "\n"
          << TimelineEntries(response).Render(context.format);
      if (response.entries_dropped() > 0) {
        out << "(" << response.entries_dropped() << " older entries no longer kept)\n";
      }
      out << "\nMilestones\n"
          << TimelineMilestones(response).Render(context.format) << "\nMonthly, window "
          << response.window_days() << " days, promise tolerance " << response.tolerance_days()
          << " days\n"
          << TimelineSeries(response, cells).Render(context.format);
      return;
    case OutputFormat::kCsv:
      if (show == "milestones") {
        out << TimelineMilestones(response).Render(context.format);
      } else if (show == "series") {
        out << TimelineSeries(response, cells).Render(context.format);
      } else {
        out << TimelineEntries(response).Render(context.format);
      }
      return;
    case OutputFormat::kJson:
      break;
  }
  Record record;
  record.Add("client", response.client_id());
  record.Add("name", response.name());
  AddTitle(response, &record);
  record.Add("window_days", Count(response.window_days()), ColumnKind::kNumber);
  record.Add("tolerance_days", Count(response.tolerance_days()), ColumnKind::kNumber);
  record.Add("entries_dropped", absl::StrCat(response.entries_dropped()), ColumnKind::kNumber);
  record.AddJson("entries", Nested(TimelineEntries(response).Render(OutputFormat::kJson)));
  record.AddJson("milestones", Nested(TimelineMilestones(response).Render(OutputFormat::kJson)));
  // The series with overdue money as an array of {currency, amount_minor}, not a cell.
  std::vector<std::string> series;
  for (const v1::MonthlyPoint& point : response.series()) {
    Record month;
    month.Add("month", absl::StrFormat("%04d-%02d", point.month().year(), point.month().month()));
    month.Add("measured_on", DateCell(point.measured_on()));
    month.Add("health_index", cells.Decimal(Opt(point.has_health_index(), point.health_index())),
              ColumnKind::kNumber);
    Table overdue({{"currency"}, {"amount_minor", ColumnKind::kNumber}});
    for (const v1::CurrencyAmount& amount : point.overdue()) {
      overdue.AddRow({amount.currency(), absl::StrCat(amount.amount_minor())});
    }
    month.AddJson("overdue", Nested(overdue.Render(OutputFormat::kJson)));
    month.Add("invoices_due", Count(point.invoices_due()), ColumnKind::kNumber);
    month.Add("invoices_paid_on_time", Count(point.invoices_paid_on_time()), ColumnKind::kNumber);
    month.Add("on_time_share", cells.Decimal(Opt(point.has_on_time_share(), point.on_time_share())),
              ColumnKind::kNumber);
    month.Add("promises_kept", Count(point.promises_kept()), ColumnKind::kNumber);
    month.Add("promises_partially_kept", Count(point.promises_partially_kept()),
              ColumnKind::kNumber);
    month.Add("promises_broken", Count(point.promises_broken()), ColumnKind::kNumber);
    series.push_back(Nested(month.Render(OutputFormat::kJson)));
  }
  record.AddJson("series", JsonArray(series));
  out << record.Render(OutputFormat::kJson);
}

// ----------------------------------------------------------------------------- plans

const char* StepStatusName(v1::PlanStepStatus status) {
  switch (status) {
    case v1::PLAN_STEP_STATUS_DONE_ON_TIME:
      return "done_on_time";
    case v1::PLAN_STEP_STATUS_DONE_LATE:
      return "done_late";
    case v1::PLAN_STEP_STATUS_OVERDUE:
      return "overdue";
    case v1::PLAN_STEP_STATUS_UPCOMING:
      return "upcoming";
    default:
      return "unknown";
  }
}

Table PlanSteps(const v1::PlansResponse& response, const v1::CollectionPlanReport* only,
                const Cells& cells) {
  std::vector<Column> columns;
  if (only == nullptr) columns = {{"client"}, {"plan"}};
  for (Column column : std::vector<Column>{{"step"},
                                           {"action"},
                                           {"due_date"},
                                           {"status"},
                                           {"completed_on"},
                                           {"days_late", ColumnKind::kNumber},
                                           {"currency"},
                                           cells.MoneyColumn("expected")}) {
    columns.push_back(std::move(column));
  }
  Table table(std::move(columns));
  const auto add = [&](const v1::CollectionPlanReport& plan) {
    for (const v1::PlanStepLine& step : plan.steps()) {
      std::vector<std::string> row;
      if (only == nullptr) row = {plan.client_id(), plan.plan_id()};
      for (std::string cell :
           {step.step_id(), step.action(), DateCell(step.due_date()),
            std::string(StepStatusName(step.status())), DateCell(step.completed_on()),
            Count(step.days_late()), step.currency(),
            step.currency().empty() ? "" : cells.Money(step.expected_minor(), step.currency())}) {
        row.push_back(std::move(cell));
      }
      table.AddRow(std::move(row));
    }
  };
  if (only != nullptr) {
    add(*only);
  } else {
    for (const v1::CollectionPlanReport& plan : response.plans()) add(plan);
  }
  return table;
}

Table PlanMoneyTable(const v1::PlansResponse& response, const v1::CollectionPlanReport* only,
                     const Cells& cells) {
  std::vector<Column> columns;
  if (only == nullptr) columns = {{"client"}, {"plan"}};
  for (Column column : std::vector<Column>{{"currency"},
                                           cells.MoneyColumn("expected"),
                                           cells.MoneyColumn("expected_due"),
                                           cells.MoneyColumn("collected"),
                                           cells.MoneyColumn("shortfall"),
                                           {"progress", ColumnKind::kNumber}}) {
    columns.push_back(std::move(column));
  }
  Table table(std::move(columns));
  const auto add = [&](const v1::CollectionPlanReport& plan) {
    for (const v1::PlanMoney& money : plan.money()) {
      std::vector<std::string> row;
      if (only == nullptr) row = {plan.client_id(), plan.plan_id()};
      const std::string& c = money.currency();
      for (std::string cell :
           {c, cells.Money(money.expected_minor(), c), cells.Money(money.expected_due_minor(), c),
            cells.Money(money.collected_minor(), c), cells.Money(money.shortfall_minor(), c),
            cells.Decimal(Opt(money.has_progress(), money.progress()))}) {
        row.push_back(std::move(cell));
      }
      table.AddRow(std::move(row));
    }
  };
  if (only != nullptr) {
    add(*only);
  } else {
    for (const v1::CollectionPlanReport& plan : response.plans()) add(plan);
  }
  return table;
}

void PrintPlans(const CommandContext& context, const v1::PlansResponse& response) {
  const Cells cells(context.format);
  std::ostream& out = *context.out;
  switch (context.format) {
    case OutputFormat::kText: {
      int64_t on_time = 0, late = 0, overdue = 0, upcoming = 0;
      for (const v1::CollectionPlanReport& plan : response.plans()) {
        on_time += plan.done_on_time();
        late += plan.done_late();
        overdue += plan.overdue();
        upcoming += plan.upcoming();
      }
      out << "Plans as of " << DateCell(response.as_of()) << KnownAtText(response) << "; position "
          << response.position() << "\n"
          << "plans " << response.plans_size() << "; steps done on time " << on_time
          << ", done late " << late << ", overdue " << overdue << ", upcoming " << upcoming << "\n"
          << PlanSteps(response, nullptr, cells).Render(context.format) << "\nMoney\n"
          << PlanMoneyTable(response, nullptr, cells).Render(context.format);
      return;
    }
    case OutputFormat::kCsv:
      out << PlanSteps(response, nullptr, cells).Render(context.format);
      return;
    case OutputFormat::kJson:
      break;
  }
  Record record;
  AddTitle(response, &record);
  std::vector<std::string> plans;
  for (const v1::CollectionPlanReport& plan : response.plans()) {
    Record p;
    p.Add("client", plan.client_id());
    p.Add("plan", plan.plan_id());
    p.Add("owner", plan.owner());
    p.Add("first_set_on", DateCell(plan.first_set_on()));
    p.Add("version_set_on", DateCell(plan.version_set_on()));
    p.Add("done_on_time", Count(plan.done_on_time()), ColumnKind::kNumber);
    p.Add("done_late", Count(plan.done_late()), ColumnKind::kNumber);
    p.Add("overdue", Count(plan.overdue()), ColumnKind::kNumber);
    p.Add("upcoming", Count(plan.upcoming()), ColumnKind::kNumber);
    p.AddJson("steps", Nested(PlanSteps(response, &plan, cells).Render(OutputFormat::kJson)));
    p.AddJson("money", Nested(PlanMoneyTable(response, &plan, cells).Render(OutputFormat::kJson)));
    plans.push_back(Nested(p.Render(OutputFormat::kJson)));
  }
  record.AddJson("plans", JsonArray(plans));
  out << record.Render(OutputFormat::kJson);
}

// -------------------------------------------------------------------------- worklist

Table WorklistRows(const v1::WorklistResponse& response, const Cells& cells) {
  std::vector<Column> columns = {{"rank", ColumnKind::kNumber},
                                 {"client"},
                                 {"name"},
                                 {"account_owner"},
                                 {"score", ColumnKind::kNumber},
                                 {"health_index", ColumnKind::kNumber}};
  if (!cells.text()) {
    columns.push_back({"components"});
    columns.push_back({"next_actions"});
  }
  Table table(std::move(columns));
  for (const v1::WorklistRow& row : response.rows()) {
    std::vector<std::string> cells_of_row = {
        Count(row.rank()),
        row.client_id(),
        row.name(),
        row.account_owner(),
        cells.Decimal(row.score()),
        cells.Decimal(Opt(row.has_health_index(), row.health_index()), "n/a")};
    if (!cells.text()) {
      std::vector<std::string> components;
      for (const v1::ScoreComponent& c : row.components()) {
        components.push_back(absl::StrCat(c.name(), ": ", c.explanation()));
      }
      std::vector<std::string> actions;
      for (const v1::NextAction& a : row.next_actions()) {
        actions.push_back(absl::StrCat(HeartName(a.heart()), ": ", a.action()));
      }
      cells_of_row.push_back(absl::StrJoin(components, "; "));
      cells_of_row.push_back(absl::StrJoin(actions, "; "));
    }
    table.AddRow(std::move(cells_of_row));
  }
  return table;
}

Table ComponentsTable(const v1::WorklistResponse& response, const v1::WorklistRow* only,
                      const Cells& cells) {
  std::vector<Column> columns;
  if (only == nullptr) columns = {{"rank", ColumnKind::kNumber}, {"client"}};
  for (Column column : std::vector<Column>{{"component"},
                                           {"input", ColumnKind::kNumber},
                                           {"points", ColumnKind::kNumber},
                                           {"arithmetic"}}) {
    columns.push_back(std::move(column));
  }
  Table table(std::move(columns));
  const auto add = [&](const v1::WorklistRow& row) {
    for (const v1::ScoreComponent& c : row.components()) {
      std::vector<std::string> line;
      if (only == nullptr) line = {Count(row.rank()), row.client_id()};
      for (std::string cell :
           {c.name(), cells.Decimal(c.input()), cells.Decimal(c.points()), c.explanation()}) {
        line.push_back(std::move(cell));
      }
      table.AddRow(std::move(line));
    }
  };
  if (only != nullptr) {
    add(*only);
  } else {
    for (const v1::WorklistRow& row : response.rows()) add(row);
  }
  return table;
}

Table ActionsTable(const v1::WorklistResponse& response, const v1::WorklistRow* only) {
  std::vector<Column> columns;
  if (only == nullptr) columns = {{"rank", ColumnKind::kNumber}, {"client"}};
  columns.push_back({"heart"});
  columns.push_back({"action"});
  Table table(std::move(columns));
  const auto add = [&](const v1::WorklistRow& row) {
    for (const v1::NextAction& a : row.next_actions()) {
      std::vector<std::string> line;
      if (only == nullptr) line = {Count(row.rank()), row.client_id()};
      line.push_back(HeartName(a.heart()));
      line.push_back(a.action());
      table.AddRow(std::move(line));
    }
  };
  if (only != nullptr) {
    add(*only);
  } else {
    for (const v1::WorklistRow& row : response.rows()) add(row);
  }
  return table;
}

void PrintWorklist(const CommandContext& context, const v1::WorklistResponse& response) {
  const Cells cells(context.format);
  std::ostream& out = *context.out;
  switch (context.format) {
    case OutputFormat::kText:
      out << "Worklist as of " << DateCell(response.as_of()) << KnownAtText(response)
          << "; position " << response.position() << "\n"
          << response.rows_size() << " of " << response.clients_considered()
          << " clients to work on\n"
          << WorklistRows(response, cells).Render(context.format) << "\nWhy\n"
          << ComponentsTable(response, nullptr, cells).Render(context.format) << "\nNext actions\n"
          << ActionsTable(response, nullptr).Render(context.format);
      return;
    case OutputFormat::kCsv:
      out << WorklistRows(response, cells).Render(context.format);
      return;
    case OutputFormat::kJson:
      break;
  }
  Record record;
  AddTitle(response, &record);
  record.Add("clients_considered", Count(response.clients_considered()), ColumnKind::kNumber);
  std::vector<std::string> rows;
  for (const v1::WorklistRow& row : response.rows()) {
    Record r;
    r.Add("rank", Count(row.rank()), ColumnKind::kNumber);
    r.Add("client", row.client_id());
    r.Add("name", row.name());
    r.Add("account_owner", row.account_owner());
    r.Add("score", cells.Decimal(row.score()), ColumnKind::kNumber);
    r.Add("health_index", cells.Decimal(Opt(row.has_health_index(), row.health_index())),
          ColumnKind::kNumber);
    r.AddJson("components",
              Nested(ComponentsTable(response, &row, cells).Render(OutputFormat::kJson)));
    r.AddJson("next_actions", Nested(ActionsTable(response, &row).Render(OutputFormat::kJson)));
    rows.push_back(Nested(r.Render(OutputFormat::kJson)));
  }
  record.AddJson("rows", JsonArray(rows));
  out << record.Render(OutputFormat::kJson);
}

// -------------------------------------------------------------------------- evidence

// Average days late per currency: "CNY 12.50" in text, "CNY=12.5" otherwise.
std::string DaysLateCell(const v1::PaymentBehaviour& b, const Cells& cells) {
  std::vector<std::string> parts;
  for (const v1::CurrencyDaysLate& late : b.days_late()) {
    const std::string value =
        cells.Decimal(Opt(late.has_average_days_late(), late.average_days_late()), "n/a");
    parts.push_back(cells.text() ? absl::StrCat(late.currency(), " ", value)
                                 : absl::StrCat(late.currency(), "=", value));
  }
  return absl::StrJoin(parts, cells.text() ? ", " : ";");
}

// One line per band, then two per heart (practised, not practised).
Table EvidenceTable(const v1::EvidenceResponse& response, const Cells& cells, bool bands,
                    bool hearts) {
  Table table({{"scope"},
               {"group"},
               {"clients", ColumnKind::kNumber},
               {"invoices_due", ColumnKind::kNumber},
               {"invoices_paid_on_time", ColumnKind::kNumber},
               {"on_time_share", ColumnKind::kNumber},
               {"promises_judged", ColumnKind::kNumber},
               {"promises_broken", ColumnKind::kNumber},
               {"broken_promise_rate", ColumnKind::kNumber},
               {"average_days_late"}});
  const auto add = [&](const char* scope, const std::string& group, const v1::PaymentBehaviour& b) {
    table.AddRow({scope, group, Count(b.clients()), Count(b.invoices_due()),
                  Count(b.invoices_paid_on_time()),
                  cells.Decimal(Opt(b.has_on_time_share(), b.on_time_share()), "n/a"),
                  Count(b.promises_judged()), Count(b.promises_broken()),
                  cells.Decimal(Opt(b.has_broken_promise_rate(), b.broken_promise_rate()), "n/a"),
                  DaysLateCell(b, cells)});
  };
  if (bands) {
    for (const v1::EvidenceBand& band : response.bands())
      add("band", band.label(), band.behaviour());
  }
  if (hearts) {
    for (const v1::HeartEvidence& heart : response.hearts()) {
      add("heart", absl::StrCat(HeartName(heart.heart()), " practised"), heart.practised());
      add("heart", absl::StrCat(HeartName(heart.heart()), " not practised"), heart.not_practised());
    }
  }
  return table;
}

void PrintEvidence(const CommandContext& context, const v1::EvidenceResponse& response) {
  const Cells cells(context.format);
  std::ostream& out = *context.out;
  const std::optional<double> r =
      Opt(response.has_health_on_time_correlation(), response.health_on_time_correlation());
  switch (context.format) {
    case OutputFormat::kText:
      out << "Evidence as of " << DateCell(response.as_of()) << ", window "
          << response.window_days() << " days, promise tolerance " << response.tolerance_days()
          << " days" << KnownAtText(response) << "; position " << response.position() << "\n"
          << response.clients() << " clients; correlation of health index with on-time share: "
          << (r.has_value() ? absl::StrFormat("%.2f", *r) : std::string("n/a")) << " over "
          << response.correlation_clients() << " clients\n"
          << "\nBy health index\n"
          << EvidenceTable(response, cells, true, false).Render(context.format) << "\nBy heart\n"
          << EvidenceTable(response, cells, false, true).Render(context.format) << "\n"
          << response.answer() << "\n";
      return;
    case OutputFormat::kCsv:
      out << EvidenceTable(response, cells, true, true).Render(context.format);
      return;
    case OutputFormat::kJson:
      break;
  }
  Record record;
  AddTitle(response, &record);
  record.Add("window_days", Count(response.window_days()), ColumnKind::kNumber);
  record.Add("tolerance_days", Count(response.tolerance_days()), ColumnKind::kNumber);
  record.Add("clients", Count(response.clients()), ColumnKind::kNumber);
  record.Add("health_on_time_correlation", cells.Decimal(r), ColumnKind::kNumber);
  record.Add("correlation_clients", Count(response.correlation_clients()), ColumnKind::kNumber);
  record.AddJson("groups",
                 Nested(EvidenceTable(response, cells, true, true).Render(OutputFormat::kJson)));
  record.Add("answer", response.answer());
  out << record.Render(OutputFormat::kJson);
}

}  // namespace

absl::StatusOr<int> RunScorecard(const CommandContext& context,
                                 const ScorecardCommandOptions& options) {
  if (absl::Status s = RefuseTolerance(options.report, "scorecard"); !s.ok()) return s;
  v1::ScorecardRequest request;
  if (absl::Status s = SetAsOfAndKnownAt(options.report, &request); !s.ok()) return s;
  for (const std::string& client : options.clients) request.add_client_ids(client);
  for (const std::string& owner : options.owners) request.add_account_owners(owner);
  if (options.report.window_days) request.set_window_days(*options.report.window_days);
  absl::StatusOr<v1::ScorecardResponse> response = context.client->Scorecard(request);
  if (!response.ok()) return response.status();
  PrintScorecard(context, *response);
  return kExitOk;
}

absl::StatusOr<int> RunTimeline(const CommandContext& context,
                                const TimelineCommandOptions& options) {
  if (options.client.empty()) return absl::InvalidArgumentError("CLIENT: required");
  if (!options.show.empty() && options.show != "entries" && options.show != "milestones" &&
      options.show != "series") {
    return absl::InvalidArgumentError(
        absl::StrCat("--show: \"", options.show, "\" is not one of entries, milestones, series"));
  }
  v1::TimelineRequest request;
  request.set_client_id(options.client);
  if (absl::Status s = SetAsOfAndKnownAt(options.report, &request); !s.ok()) return s;
  if (options.report.window_days) request.set_window_days(*options.report.window_days);
  if (options.report.tolerance_days) request.set_tolerance_days(*options.report.tolerance_days);
  if (options.months) request.set_series_months(*options.months);
  absl::StatusOr<v1::TimelineResponse> response = context.client->Timeline(request);
  if (!response.ok()) return response.status();
  PrintTimeline(context, *response, options.show);
  return kExitOk;
}

absl::StatusOr<int> RunPlans(const CommandContext& context, const PlansCommandOptions& options) {
  if (absl::Status s = RefuseTolerance(options.report, "plans"); !s.ok()) return s;
  if (options.report.window_days) {
    return absl::InvalidArgumentError("--window-days: plans show every step, not a window");
  }
  v1::PlansRequest request;
  if (absl::Status s = SetAsOfAndKnownAt(options.report, &request); !s.ok()) return s;
  for (const std::string& client : options.clients) request.add_client_ids(client);
  absl::StatusOr<v1::PlansResponse> response = context.client->Plans(request);
  if (!response.ok()) return response.status();
  PrintPlans(context, *response);
  return kExitOk;
}

absl::StatusOr<int> RunWorklist(const CommandContext& context,
                                const WorklistCommandOptions& options) {
  v1::WorklistRequest request;
  if (absl::Status s = SetAsOfAndKnownAt(options.report, &request); !s.ok()) return s;
  for (const std::string& owner : options.owners) request.add_account_owners(owner);
  if (options.report.window_days) request.set_window_days(*options.report.window_days);
  if (options.report.tolerance_days) request.set_tolerance_days(*options.report.tolerance_days);
  if (options.limit) request.set_max_rows(*options.limit);
  absl::StatusOr<v1::WorklistResponse> response = context.client->Worklist(request);
  if (!response.ok()) return response.status();
  PrintWorklist(context, *response);
  return kExitOk;
}

absl::StatusOr<int> RunEvidence(const CommandContext& context,
                                const RelationshipReportOptions& options) {
  v1::EvidenceRequest request;
  if (absl::Status s = SetAsOfAndKnownAt(options, &request); !s.ok()) return s;
  if (options.window_days) request.set_window_days(*options.window_days);
  if (options.tolerance_days) request.set_tolerance_days(*options.tolerance_days);
  absl::StatusOr<v1::EvidenceResponse> response = context.client->Evidence(request);
  if (!response.ok()) return response.status();
  PrintEvidence(context, *response);
  return kExitOk;
}

absl::StatusOr<int> RunRelationshipsProjections(const CommandContext& context) {
  return PrintProjectionStatus(context, context.client->RelationshipsProjectionStatus());
}

absl::StatusOr<int> RunRelationshipsRebuild(const CommandContext& context) {
  return RebuildWithProgress<v1::RelationshipsRebuildResponse>(
      context, "relationships",
      [&](const auto& progress) { return context.client->RelationshipsRebuild(progress); });
}

}  // namespace sixhearts::ledgerctl
