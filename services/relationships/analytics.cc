// Scorecards, timelines, plans, worklists and evidence read from the relationship state
// and the receivables state; definitions are in analytics.h.
#include "services/relationships/analytics.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "services/relationships/text_format.h"

namespace sixhearts::services::relationships {
namespace {

using receivables::ReceivablesState;

// Debian's Abseil has its own string_view, which absl::StrCat needs.
absl::string_view HeartText(v1::Heart heart) {
  const std::string_view name = HeartName(heart);
  return absl::string_view(name.data(), name.size());
}

bool InScope(const std::vector<std::string>& filter, const std::string& id) {
  return filter.empty() || std::find(filter.begin(), filter.end(), id) != filter.end();
}

std::optional<double> Share(int64_t part, int64_t whole) {
  if (whole == 0) return std::nullopt;
  return static_cast<double>(part) / static_cast<double>(whole);
}

// The first day receivables knows of the client: its earliest invoice, payment or promise.
std::optional<absl::CivilDay> ReceivablesFirstDay(const receivables::Client& client) {
  std::optional<absl::CivilDay> first;
  const auto take = [&first](absl::CivilDay day) {
    if (!first.has_value() || day < *first) first = day;
  };
  for (const auto& [id, invoice] : client.invoices) take(invoice.issue_date);
  for (const auto& [id, payment] : client.payments) take(payment.value_date);
  for (const auto& [id, promise] : client.promises) take(promise.made_on);
  return first;
}

// The first day either state knows of the client; nullopt when neither does.
std::optional<absl::CivilDay> KnownFrom(const ClientRelationship* relationship,
                                        const receivables::Client* money) {
  std::optional<absl::CivilDay> first;
  if (relationship != nullptr) first = relationship->first_event_on;
  if (money != nullptr) {
    const std::optional<absl::CivilDay> day = ReceivablesFirstDay(*money);
    if (day.has_value() && (!first.has_value() || *day < *first)) first = day;
  }
  return first;
}

// Client ids either state knows on as_of, ascending.
std::vector<std::string> ClientsKnownOn(const RelationshipsState& state,
                                        const ReceivablesState& receivables, absl::CivilDay as_of) {
  std::set<std::string> ids;
  for (const auto& [id, client] : state.clients()) {
    if (client.first_event_on <= as_of) ids.insert(id);
  }
  for (const auto& [id, client] : receivables.clients()) {
    const std::optional<absl::CivilDay> first = ReceivablesFirstDay(client);
    if (first.has_value() && *first <= as_of) ids.insert(id);
  }
  return {ids.begin(), ids.end()};
}

// Paid in full by the due date, as known on `day` (a payment reversed by then no longer
// counts, and a reversal followed by a late payment makes the invoice late).
bool PaidOnTime(const receivables::Invoice& invoice, absl::CivilDay day) {
  const std::optional<absl::CivilDay> settled = invoice.SettledOn(day);
  return settled.has_value() && *settled <= invoice.due_date;
}

// Judges an invoice issued by `measured_on` and due in [from, measured_on] for the on-time
// share: paid in full by its due date as known on measured_on. nullopt when it is not
// judged: outside the range, or due on as_of itself and not paid yet.
std::optional<bool> InvoiceOnTime(const receivables::Invoice& invoice, absl::CivilDay from,
                                  absl::CivilDay measured_on, absl::CivilDay as_of) {
  if (invoice.issue_date > measured_on) return std::nullopt;
  if (invoice.due_date < from || invoice.due_date > measured_on) return std::nullopt;
  const bool on_time = PaidOnTime(invoice, measured_on);
  if (!on_time && invoice.due_date == as_of) return std::nullopt;
  return on_time;
}

struct DueItem {
  absl::CivilDay due_date;
  std::optional<absl::CivilDay> completed_on;  // only if on or before as_of
};

// Judges one item due in [from, as_of] for a share of things done on time. Returns
// nullopt when it is not judged: due outside the window, or due on as_of and not done.
std::optional<bool> OnTime(const DueItem& item, absl::CivilDay from, absl::CivilDay as_of) {
  if (item.due_date < from || item.due_date > as_of) return std::nullopt;
  if (item.due_date == as_of && !item.completed_on.has_value()) return std::nullopt;
  return item.completed_on.has_value() && *item.completed_on <= item.due_date;
}

std::optional<absl::CivilDay> CompletedBy(const std::optional<absl::CivilDay>& completed_on,
                                          absl::CivilDay as_of) {
  if (completed_on.has_value() && *completed_on <= as_of) return completed_on;
  return std::nullopt;
}

std::optional<absl::CivilDay> StepCompletedBy(const Plan& plan, const std::string& step_id,
                                              absl::CivilDay as_of) {
  const auto it = plan.completions.find(step_id);
  if (it == plan.completions.end() || it->second > as_of) return std::nullopt;
  return it->second;
}

void ScoreCadence(const ClientRelationship* client, v1::Heart heart, int64_t cadence_days,
                  int64_t window_days, absl::CivilDay as_of, HeartScore& score) {
  score.periods = window_days / cadence_days;
  for (int64_t k = 0; k < score.periods; ++k) {
    const absl::CivilDay to = as_of - k * cadence_days;
    const absl::CivilDay from = to - (cadence_days - 1);
    if (client != nullptr && client->PractisedBetween(heart, from, to)) ++score.periods_covered;
  }
  score.score = Share(score.periods_covered, score.periods);
}

void ScoreConcerns(const ClientRelationship& client, absl::CivilDay window_start,
                   absl::CivilDay as_of, int64_t resolution_days, HeartScore& score) {
  for (const auto& [id, concern] : client.concerns) {
    if (concern.raised_on < window_start || concern.raised_on > as_of) continue;
    const std::optional<absl::CivilDay> resolved = CompletedBy(concern.resolved_on, as_of);
    const bool judged = resolved.has_value() || concern.raised_on + resolution_days < as_of;
    if (!judged) continue;
    ++score.concerns_judged;
    if (resolved.has_value() && *resolved - concern.raised_on <= resolution_days) {
      ++score.concerns_resolved_in_time;
    }
  }
  const std::optional<double> share = Share(score.concerns_resolved_in_time, score.concerns_judged);
  if (!share.has_value()) return;
  score.score = score.score.has_value() ? (*score.score + *share) / 2 : *share;
}

void ScoreExecution(const ClientRelationship& client, absl::CivilDay window_start,
                    absl::CivilDay as_of, HeartScore& score) {
  const auto judge = [&](const DueItem& item) {
    const std::optional<bool> on_time = OnTime(item, window_start, as_of);
    if (!on_time.has_value()) return;
    ++score.items_due;
    if (*on_time) ++score.items_on_time;
  };
  for (const auto& [plan_id, plan] : client.plans) {
    const PlanVersion* version = plan.VersionOn(as_of);
    if (version == nullptr) continue;
    for (const PlanStep& step : version->steps) {
      judge(DueItem{step.due_date, StepCompletedBy(plan, step.step_id, as_of)});
    }
  }
  for (const auto& [id, follow_up] : client.follow_ups) {
    if (follow_up.scheduled_on > as_of) continue;
    judge(DueItem{follow_up.due_date, CompletedBy(follow_up.completed_on, as_of)});
  }
  score.score = Share(score.items_on_time, score.items_due);
}

void AddAlerts(const ClientRelationship* client, absl::CivilDay as_of,
               const ScorecardOptions& options, ClientScorecard& card) {
  for (const v1::Heart heart : kAllHearts) {
    const HeartScore& score = card.hearts[HeartIndex(heart)];
    const int64_t cadence = options.cadence_days[HeartIndex(heart)];
    NeglectAlert alert{.kind = NeglectKind::kHeart,
                       .heart = heart,
                       .item_id = "",
                       .last_event_on = score.last_event_on,
                       .cadence_days = cadence,
                       .days = std::nullopt,
                       .due_date = std::nullopt,
                       .message = ""};
    if (!score.last_event_on.has_value()) {
      alert.message = absl::StrCat(HeartText(heart), ": never practised (cadence ", cadence, ")");
    } else {
      alert.days = as_of - *score.last_event_on;
      if (*alert.days <= cadence) continue;
      alert.message =
          absl::StrCat(HeartText(heart), ": last practised ", DayText(*score.last_event_on), ", ",
                       *alert.days, " days ago (cadence ", cadence, ")");
    }
    card.alerts.push_back(std::move(alert));
  }
  if (client == nullptr) return;
  std::vector<NeglectAlert> items;
  const auto overdue = [&](NeglectKind kind, v1::Heart heart, std::string item_id,
                           absl::CivilDay due, const char* what) {
    const int64_t days = as_of - due;
    items.push_back(
        NeglectAlert{.kind = kind,
                     .heart = heart,
                     .item_id = item_id,
                     .last_event_on = std::nullopt,
                     .cadence_days = 0,
                     .days = days,
                     .due_date = due,
                     .message = absl::StrCat(what, " ", item_id, " (", HeartText(heart), ") due ",
                                             DayText(due), ", ", days, " days overdue")});
  };
  for (const auto& [id, f] : client->follow_ups) {
    if (f.scheduled_on > as_of || f.due_date >= as_of) continue;
    if (CompletedBy(f.completed_on, as_of).has_value()) continue;
    overdue(NeglectKind::kOverdueFollowUp, f.heart, id, f.due_date, "follow-up");
  }
  for (const auto& [plan_id, plan] : client->plans) {
    const PlanVersion* version = plan.VersionOn(as_of);
    if (version == nullptr) continue;
    for (const PlanStep& step : version->steps) {
      if (step.due_date >= as_of || StepCompletedBy(plan, step.step_id, as_of).has_value()) {
        continue;
      }
      overdue(NeglectKind::kOverduePlanStep, v1::HEART_EXECUTION,
              absl::StrCat(plan_id, "/", step.step_id), step.due_date, "plan step");
    }
  }
  std::sort(items.begin(), items.end(), [](const NeglectAlert& a, const NeglectAlert& b) {
    return std::tie(*a.due_date, a.item_id) < std::tie(*b.due_date, b.item_id);
  });
  for (NeglectAlert& item : items) card.alerts.push_back(std::move(item));
}

absl::Status CheckRange(std::string_view name, int64_t value, int64_t low, int64_t high) {
  if (value < low || value > high) {
    return absl::InvalidArgumentError(absl::StrCat(absl::string_view(name.data(), name.size()),
                                                   " must be in [", low, ", ", high, "], got ",
                                                   value));
  }
  return absl::OkStatus();
}

absl::Status CheckPromiseOptions(const receivables::PromiseOptions& options) {
  return CheckRange("promise tolerance_days", options.tolerance_days, 0,
                    receivables::kMaxPromiseToleranceDays);
}

// Promises of the report judged in [from, to], grouped by client id.
std::map<std::string, std::vector<const receivables::PromiseLine*>> JudgedBetween(
    const receivables::PromiseReport& report, absl::CivilDay from, absl::CivilDay to) {
  std::map<std::string, std::vector<const receivables::PromiseLine*>> by_client;
  for (const receivables::PromiseLine& line : report.judged) {
    if (line.judged_on < from || line.judged_on > to) continue;
    by_client[line.client_id].push_back(&line);
  }
  return by_client;
}

std::string NumberText(double value) { return absl::StrFormat("%.2f", value); }

}  // namespace

// ---------------------------------------------------------------------------- scorecard

absl::Status ValidateScorecardOptions(const ScorecardOptions& options) {
  if (absl::Status s = CheckRange("window_days", options.window_days, 1, kMaxWindowDays); !s.ok()) {
    return s;
  }
  for (const v1::Heart heart : kAllHearts) {
    if (absl::Status s = CheckRange(absl::StrCat(HeartText(heart), " cadence_days"),
                                    options.cadence_days[HeartIndex(heart)], 1, kMaxCadenceDays);
        !s.ok()) {
      return s;
    }
  }
  return CheckRange("concern_resolution_days", options.concern_resolution_days, 0, kMaxWindowDays);
}

ClientScorecard ScoreClient(const ClientRelationship* client, std::string_view client_id,
                            absl::CivilDay as_of, const ScorecardOptions& options) {
  ClientScorecard card;
  card.client_id = std::string(client_id);
  if (client != nullptr) {
    card.name = client->name;
    card.account_owner = client->OwnerOn(as_of);
  }
  const absl::CivilDay window_start = as_of - (options.window_days - 1);
  double sum = 0;
  int applicable = 0;
  for (const v1::Heart heart : kAllHearts) {
    HeartScore& score = card.hearts[HeartIndex(heart)];
    score.heart = heart;
    if (client != nullptr) score.last_event_on = client->LastHeartDay(heart, as_of);
    if (heart == v1::HEART_EXECUTION) {
      if (client != nullptr) ScoreExecution(*client, window_start, as_of, score);
    } else {
      ScoreCadence(client, heart, options.cadence_days[HeartIndex(heart)], options.window_days,
                   as_of, score);
      if (heart == v1::HEART_LISTENING && client != nullptr) {
        ScoreConcerns(*client, window_start, as_of, options.concern_resolution_days, score);
      }
    }
    if (score.score.has_value()) {
      sum += *score.score;
      ++applicable;
    }
  }
  if (applicable > 0) card.health_index = 100.0 * sum / applicable;
  AddAlerts(client, as_of, options, card);
  return card;
}

absl::StatusOr<ScorecardReport> ComputeScorecard(const RelationshipsState& state,
                                                 absl::CivilDay as_of,
                                                 const ScorecardOptions& options) {
  if (absl::Status s = ValidateScorecardOptions(options); !s.ok()) return s;
  ScorecardReport report;
  report.as_of = as_of;
  struct OwnerSums {
    int64_t clients = 0;
    std::array<double, kHeartCount> heart_sum = {};
    std::array<int64_t, kHeartCount> heart_n = {};
    double index_sum = 0;
    int64_t index_n = 0;
    int64_t alerts = 0;
  };
  std::map<std::string, OwnerSums> owners;
  for (const auto& [id, client] : state.clients()) {
    if (client.first_event_on > as_of || !InScope(options.client_ids, id)) continue;
    ClientScorecard card = ScoreClient(&client, id, as_of, options);
    OwnerSums& sums = owners[card.account_owner];
    ++sums.clients;
    for (size_t i = 0; i < kHeartCount; ++i) {
      if (!card.hearts[i].score.has_value()) continue;
      sums.heart_sum[i] += *card.hearts[i].score;
      ++sums.heart_n[i];
    }
    if (card.health_index.has_value()) {
      sums.index_sum += *card.health_index;
      ++sums.index_n;
    }
    sums.alerts += static_cast<int64_t>(card.alerts.size());
    report.clients.push_back(std::move(card));
  }
  for (const auto& [owner, sums] : owners) {
    OwnerScorecard line;
    line.account_owner = owner;
    line.clients = sums.clients;
    for (size_t i = 0; i < kHeartCount; ++i) {
      if (sums.heart_n[i] > 0) line.heart_scores[i] = sums.heart_sum[i] / sums.heart_n[i];
    }
    if (sums.index_n > 0) line.health_index = sums.index_sum / sums.index_n;
    line.alerts = sums.alerts;
    report.owners.push_back(std::move(line));
  }
  return report;
}

// ----------------------------------------------------------------------------- timeline

absl::StatusOr<ClientTimeline> ComputeTimeline(const RelationshipsState& state,
                                               const ReceivablesState& receivables,
                                               std::string_view client_id, absl::CivilDay as_of,
                                               const TimelineOptions& options) {
  if (absl::Status s = ValidateScorecardOptions(options.scorecard); !s.ok()) return s;
  if (absl::Status s = CheckRange("series_months", options.series_months, 1, kMaxSeriesMonths);
      !s.ok()) {
    return s;
  }
  absl::StatusOr<receivables::PromiseReport> promises =
      receivables::ComputePromises(receivables, as_of, options.promises);
  if (!promises.ok()) return promises.status();

  const ClientRelationship* relationship = state.FindClient(client_id);
  const receivables::Client* money = receivables.FindClient(client_id);
  const std::optional<absl::CivilDay> known_from = KnownFrom(relationship, money);
  if (!known_from.has_value() || *known_from > as_of) {
    return absl::NotFoundError(absl::StrCat("no client ",
                                            absl::string_view(client_id.data(), client_id.size()),
                                            " on ", DayText(as_of)));
  }
  ClientTimeline timeline;
  timeline.client_id = std::string(client_id);
  timeline.name = relationship != nullptr && !relationship->name.empty() ? relationship->name
                  : money != nullptr                                     ? money->name
                                                                         : "";

  if (relationship != nullptr) {
    for (const TimelineEntry& entry : relationship->timeline) {
      if (entry.on <= as_of) timeline.entries.push_back(entry);
    }
    std::stable_sort(timeline.entries.begin(), timeline.entries.end(),
                     [](const TimelineEntry& a, const TimelineEntry& b) {
                       return std::tie(a.on, a.position) < std::tie(b.on, b.position);
                     });
    timeline.entries_dropped = relationship->timeline_dropped;
  }

  // Milestones.
  std::vector<Milestone>& milestones = timeline.milestones;
  if (relationship != nullptr && relationship->first_contract.has_value() &&
      relationship->first_contract->signed_on <= as_of) {
    const ContractMark& mark = *relationship->first_contract;
    milestones.push_back({MilestoneKind::kFirstContract, mark.signed_on, mark.contract_id,
                          absl::StrCat("first contract ", mark.contract_id)});
  }
  if (money != nullptr) {
    std::optional<Milestone> first_on_time;
    for (const auto& [id, invoice] : money->invoices) {
      if (invoice.issue_date > as_of || !PaidOnTime(invoice, as_of)) continue;
      // A payment, not a credit note alone, must have gone into it.
      const bool paid = std::any_of(
          invoice.movements.begin(), invoice.movements.end(), [&](const receivables::Movement& m) {
            return m.kind == receivables::MovementKind::kAllocation && m.CountsOn(as_of);
          });
      if (!paid) continue;
      const absl::CivilDay settled = *invoice.SettledOn(as_of);
      if (!first_on_time.has_value() || settled < first_on_time->on) {
        first_on_time = Milestone{MilestoneKind::kFirstOnTimePayment, settled, id,
                                  absl::StrCat("first invoice paid on time: ", id, " (due ",
                                               DayText(invoice.due_date), ")")};
      }
    }
    if (first_on_time.has_value()) milestones.push_back(*std::move(first_on_time));
    for (const receivables::PromiseLine& line : promises->judged) {
      if (line.client_id != client_id || line.status != receivables::PromiseStatus::kBroken) {
        continue;
      }
      milestones.push_back({MilestoneKind::kPromiseBroken, line.judged_on, line.promise_id,
                            absl::StrCat("promise ", line.promise_id, " to pay ",
                                         MoneyText(line.amount_minor, line.currency), " by ",
                                         DayText(line.promised_date), " broken")});
    }
    const receivables::DisputeReport disputes = receivables::ComputeDisputes(receivables, as_of);
    for (const auto* list : {&disputes.open, &disputes.resolved}) {
      for (const receivables::DisputeLine& line : *list) {
        if (line.client_id != client_id) continue;
        milestones.push_back({MilestoneKind::kDisputeOpened, line.opened_on, line.dispute_id,
                              absl::StrCat("dispute ", line.dispute_id, " opened on invoice ",
                                           line.invoice_id, ": ", line.reason)});
        if (line.resolution.has_value()) {
          milestones.push_back(
              {MilestoneKind::kDisputeResolved, line.resolution->resolved_on, line.dispute_id,
               absl::StrCat("dispute ", line.dispute_id,
                            " resolved: ", v1::DisputeOutcome_Name(line.resolution->outcome))});
        }
      }
    }
  }
  if (relationship != nullptr) {
    for (const auto& [id, concern] : relationship->concerns) {
      const std::optional<absl::CivilDay> resolved = CompletedBy(concern.resolved_on, as_of);
      if (!resolved.has_value()) continue;
      milestones.push_back(
          {MilestoneKind::kConcernResolved, *resolved, id,
           absl::StrCat("concern ", id, " resolved in ", *resolved - concern.raised_on, " days")});
    }
  }
  std::sort(milestones.begin(), milestones.end(), [](const Milestone& a, const Milestone& b) {
    return std::tie(a.on, a.kind, a.subject_id) < std::tie(b.on, b.kind, b.subject_id);
  });

  // Monthly series.
  const absl::CivilMonth last_month(as_of);
  const absl::CivilMonth first_month =
      std::max(last_month - (options.series_months - 1), absl::CivilMonth(*known_from));
  for (absl::CivilMonth month = first_month; month <= last_month; ++month) {
    MonthlyPoint point;
    point.month = month;
    point.measured_on = std::min(absl::CivilDay(month + 1) - 1, as_of);
    point.health_index =
        ScoreClient(relationship, client_id, point.measured_on, options.scorecard).health_index;
    if (money != nullptr) {
      for (const auto& [id, invoice] : money->invoices) {
        if (invoice.issue_date > point.measured_on) continue;
        if (invoice.due_date < point.measured_on) {
          const int64_t outstanding = invoice.OutstandingOn(point.measured_on);
          if (outstanding > 0) point.overdue_minor[invoice.currency] += outstanding;
        }
        // A past month ends before as_of: an unpaid invoice due on its last day was late.
        const std::optional<bool> on_time =
            InvoiceOnTime(invoice, absl::CivilDay(month), point.measured_on, as_of);
        if (!on_time.has_value()) continue;
        ++point.invoices_due;
        if (*on_time) ++point.invoices_paid_on_time;
      }
      point.on_time_share = Share(point.invoices_paid_on_time, point.invoices_due);
      for (const receivables::PromiseLine& line : promises->judged) {
        if (line.client_id != client_id || absl::CivilMonth(line.judged_on) != month) continue;
        switch (line.status) {
          case receivables::PromiseStatus::kKept:
            ++point.promises_kept;
            break;
          case receivables::PromiseStatus::kPartiallyKept:
            ++point.promises_partially_kept;
            break;
          case receivables::PromiseStatus::kBroken:
            ++point.promises_broken;
            break;
          case receivables::PromiseStatus::kOpen:
            break;
        }
      }
    }
    timeline.series.push_back(std::move(point));
  }
  return timeline;
}

// -------------------------------------------------------------------------------- plans

std::vector<PlanReport> ComputePlans(const RelationshipsState& state,
                                     const ReceivablesState& receivables, absl::CivilDay as_of,
                                     const PlansOptions& options) {
  std::vector<PlanReport> reports;
  for (const auto& [client_id, client] : state.clients()) {
    if (!InScope(options.client_ids, client_id)) continue;
    const receivables::Client* money = receivables.FindClient(client_id);
    for (const auto& [plan_id, plan] : client.plans) {
      const PlanVersion* version = plan.VersionOn(as_of);
      if (version == nullptr) continue;
      PlanReport report;
      report.client_id = client_id;
      report.plan_id = plan_id;
      report.owner = version->owner;
      report.first_set_on = plan.versions.front().set_on;
      report.version_set_on = version->set_on;
      std::map<std::string, PlanMoney> by_currency;
      for (const PlanStep& step : version->steps) {
        StepLine line{.step_id = step.step_id,
                      .action = step.action,
                      .due_date = step.due_date,
                      .expected_minor = step.expected_minor,
                      .currency = step.currency,
                      .completed_on = StepCompletedBy(plan, step.step_id, as_of),
                      .status = StepStatus::kUpcoming,
                      .days_late = 0};
        if (line.completed_on.has_value()) {
          if (*line.completed_on <= step.due_date) {
            line.status = StepStatus::kDoneOnTime;
            ++report.done_on_time;
          } else {
            line.status = StepStatus::kDoneLate;
            line.days_late = *line.completed_on - step.due_date;
            ++report.done_late;
          }
        } else if (step.due_date < as_of) {
          line.status = StepStatus::kOverdue;
          line.days_late = as_of - step.due_date;
          ++report.overdue;
        } else {
          ++report.upcoming;
        }
        if (!step.currency.empty() && step.expected_minor > 0) {
          PlanMoney& m = by_currency[step.currency];
          m.currency = step.currency;
          m.expected_minor += step.expected_minor;
          if (step.due_date <= as_of) m.expected_due_minor += step.expected_minor;
        }
        report.steps.push_back(std::move(line));
      }
      for (auto& [currency, m] : by_currency) {
        if (money != nullptr) {
          for (const auto& [payment_id, payment] : money->payments) {
            if (payment.currency != currency || payment.value_date < report.first_set_on ||
                !payment.HeldOn(as_of)) {
              continue;
            }
            m.collected_minor += payment.amount_minor;
          }
        }
        m.shortfall_minor = std::max<int64_t>(0, m.expected_due_minor - m.collected_minor);
        m.progress = Share(m.collected_minor, m.expected_minor);
        report.money.push_back(m);
      }
      reports.push_back(std::move(report));
    }
  }
  return reports;
}

// ----------------------------------------------------------------------------- worklist

std::array<std::string, kHeartCount> DefaultNextActions() {
  return {
      "schedule an on-site visit or consulting session",
      "send an industry report or market analysis",
      "run an interview or satisfaction survey, and resolve open concerns",
      "send a progress report",
      "complete the overdue follow-ups and plan steps, and agree the next collection step",
      "hold a feedback meeting or collection review",
  };
}

namespace {

absl::Status ValidateWorklistOptions(const WorklistOptions& options) {
  if (absl::Status s = ValidateScorecardOptions(options.scorecard); !s.ok()) return s;
  if (absl::Status s = CheckPromiseOptions(options.promises); !s.ok()) return s;
  for (const double weight : {options.overdue_amount_weight, options.overdue_age_weight,
                              options.broken_promise_points, options.neglected_heart_points,
                              options.overdue_item_points, options.statutory_deadline_weight}) {
    if (!(weight >= 0) || !std::isfinite(weight)) {
      return absl::InvalidArgumentError("worklist weights must be finite and not negative");
    }
  }
  if (absl::Status s =
          CheckRange("overdue_age_cap_days", options.overdue_age_cap_days, 1, kMaxWindowDays);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckRange("broken_promise_cap", options.broken_promise_cap, 0, 1'000'000);
      !s.ok()) {
    return s;
  }
  if (absl::Status s =
          CheckRange("statutory_horizon_days", options.statutory_horizon_days, 1, kMaxWindowDays);
      !s.ok()) {
    return s;
  }
  return CheckRange("max_rows", static_cast<int64_t>(options.max_rows), 1,
                    static_cast<int64_t>(kMaxWorklistRows));
}

// What one client owes past due on as_of, read from the aging report's drill-down lines.
struct Overdue {
  std::map<std::string, int64_t> minor_by_currency;
  int64_t oldest_age_days = 0;
};

}  // namespace

absl::StatusOr<Worklist> ComputeWorklist(const RelationshipsState& state,
                                         const ReceivablesState& receivables, absl::CivilDay as_of,
                                         const WorklistOptions& options) {
  if (absl::Status s = ValidateWorklistOptions(options); !s.ok()) return s;
  absl::StatusOr<receivables::AgingReport> aging = receivables::ComputeAging(receivables, as_of);
  if (!aging.ok()) return aging.status();
  absl::StatusOr<receivables::PromiseReport> promises =
      receivables::ComputePromises(receivables, as_of, options.promises);
  if (!promises.ok()) return promises.status();

  std::map<std::string, Overdue> overdue;
  for (const receivables::AgingRow& row : aging->rows) {
    for (const receivables::AgingInvoiceLine& line : row.invoice_lines) {
      if (line.age_days <= 0 || line.outstanding_minor <= 0) continue;
      Overdue& o = overdue[line.client_id];
      o.minor_by_currency[line.currency] += line.outstanding_minor;
      o.oldest_age_days = std::max(o.oldest_age_days, line.age_days);
    }
  }
  const absl::CivilDay window_start = as_of - (options.scorecard.window_days - 1);
  const auto broken = JudgedBetween(*promises, window_start, as_of);

  Worklist worklist;
  worklist.as_of = as_of;
  std::vector<std::string> scope;
  for (const std::string& id : ClientsKnownOn(state, receivables, as_of)) {
    const ClientRelationship* client = state.FindClient(id);
    const std::string owner = client != nullptr ? client->OwnerOn(as_of) : "";
    if (options.account_owners.empty() ||
        std::find(options.account_owners.begin(), options.account_owners.end(), owner) !=
            options.account_owners.end()) {
      scope.push_back(id);
    }
  }
  // The largest overdue amount per currency among the clients in scope: the yardstick
  // that makes amounts in one currency comparable without exchange rates.
  std::map<std::string, int64_t> largest;
  for (const std::string& id : scope) {
    const auto it = overdue.find(id);
    if (it == overdue.end()) continue;
    for (const auto& [currency, minor] : it->second.minor_by_currency) {
      largest[currency] = std::max(largest[currency], minor);
    }
  }

  for (const std::string& id : scope) {
    ++worklist.clients_considered;
    const ClientRelationship* client = state.FindClient(id);
    const ClientScorecard card = ScoreClient(client, id, as_of, options.scorecard);
    WorklistRow row;
    row.client_id = id;
    row.name = card.name;
    if (row.name.empty()) {
      if (const receivables::Client* money = receivables.FindClient(id)) row.name = money->name;
    }
    row.account_owner = card.account_owner;
    row.health_index = card.health_index;
    const auto add = [&row](std::string name, double input, double points,
                            std::string explanation) {
      if (points <= 0) return;
      row.components.push_back(
          ScoreComponent{std::move(name), input, points, std::move(explanation)});
      row.score += points;
    };

    if (const auto it = overdue.find(id); it != overdue.end()) {
      double ratio = 0;
      std::string basis;
      for (const auto& [currency, minor] : it->second.minor_by_currency) {
        const double r = static_cast<double>(minor) / static_cast<double>(largest[currency]);
        if (r > ratio || basis.empty()) {
          ratio = r;
          basis = absl::StrCat(MoneyText(minor, currency), " / largest ",
                               MoneyText(largest[currency], currency));
        }
      }
      const double amount_points = options.overdue_amount_weight * ratio;
      add("overdue amount", ratio, amount_points,
          absl::StrCat(NumberText(options.overdue_amount_weight), " x ", basis, " = ",
                       NumberText(amount_points)));
      const int64_t age = it->second.oldest_age_days;
      const double age_ratio = static_cast<double>(std::min(age, options.overdue_age_cap_days)) /
                               static_cast<double>(options.overdue_age_cap_days);
      const double age_points = options.overdue_age_weight * age_ratio;
      add("overdue age", static_cast<double>(age), age_points,
          absl::StrCat(NumberText(options.overdue_age_weight), " x min(", age, ", ",
                       options.overdue_age_cap_days, ") / ", options.overdue_age_cap_days,
                       " days = ", NumberText(age_points)));
    }
    if (const auto it = broken.find(id); it != broken.end()) {
      const auto count = static_cast<int64_t>(std::count_if(
          it->second.begin(), it->second.end(),
          [](const auto* line) { return line->status == receivables::PromiseStatus::kBroken; }));
      const int64_t counted = std::min(count, options.broken_promise_cap);
      const double points = options.broken_promise_points * static_cast<double>(counted);
      add("broken promises", static_cast<double>(count), points,
          absl::StrCat(NumberText(options.broken_promise_points), " x min(", count, ", ",
                       options.broken_promise_cap, ") = ", NumberText(points)));
    }
    std::vector<std::string> neglected;
    int64_t overdue_items = 0;
    for (const NeglectAlert& alert : card.alerts) {
      if (alert.kind == NeglectKind::kHeart) {
        neglected.emplace_back(HeartText(alert.heart));
        row.next_actions.push_back(
            NextAction{alert.heart, options.next_actions[HeartIndex(alert.heart)]});
      } else {
        ++overdue_items;
      }
    }
    const double neglect_points =
        options.neglected_heart_points * static_cast<double>(neglected.size());
    add("neglected hearts", static_cast<double>(neglected.size()), neglect_points,
        absl::StrCat(NumberText(options.neglected_heart_points), " x ", neglected.size(), " (",
                     absl::StrJoin(neglected, ", "), ") = ", NumberText(neglect_points)));
    const double item_points = options.overdue_item_points * static_cast<double>(overdue_items);
    add("overdue follow-ups and plan steps", static_cast<double>(overdue_items), item_points,
        absl::StrCat(NumberText(options.overdue_item_points), " x ", overdue_items, " = ",
                     NumberText(item_points)));
    if (const auto it = options.statutory_deadlines.find(id);
        it != options.statutory_deadlines.end()) {
      const int64_t days_until = it->second - as_of;
      double share = 0;
      if (days_until <= 0) {
        share = 1;
      } else if (days_until < options.statutory_horizon_days) {
        share = static_cast<double>(options.statutory_horizon_days - days_until) /
                static_cast<double>(options.statutory_horizon_days);
      }
      const double points = options.statutory_deadline_weight * share;
      add("statutory deadline", static_cast<double>(days_until), points,
          absl::StrCat(NumberText(options.statutory_deadline_weight), " x (",
                       options.statutory_horizon_days, " - ", std::max<int64_t>(days_until, 0),
                       ") / ", options.statutory_horizon_days, " (deadline ", DayText(it->second),
                       ") = ", NumberText(points)));
    }
    if (row.score > 0) worklist.rows.push_back(std::move(row));
  }
  std::sort(worklist.rows.begin(), worklist.rows.end(),
            [](const WorklistRow& a, const WorklistRow& b) {
              if (a.score != b.score) return a.score > b.score;
              return a.client_id < b.client_id;
            });
  if (worklist.rows.size() > options.max_rows) worklist.rows.resize(options.max_rows);
  for (size_t i = 0; i < worklist.rows.size(); ++i) {
    worklist.rows[i].rank = static_cast<int64_t>(i) + 1;
  }
  return worklist;
}

// ----------------------------------------------------------------------------- evidence

namespace {

absl::Status ValidateEvidenceOptions(const EvidenceOptions& options) {
  if (absl::Status s = ValidateScorecardOptions(options.scorecard); !s.ok()) return s;
  if (absl::Status s = CheckPromiseOptions(options.promises); !s.ok()) return s;
  if (absl::Status s =
          CheckRange("payment_window_days", options.payment_window_days, 1, kMaxWindowDays);
      !s.ok()) {
    return s;
  }
  const std::vector<double>& bounds = options.band_lower_bounds;
  if (bounds.empty() || bounds.size() > kMaxEvidenceBands || bounds.front() != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "band_lower_bounds must start at 0 and hold 1 to ", kMaxEvidenceBands, " bounds"));
  }
  for (size_t i = 1; i < bounds.size(); ++i) {
    if (!(bounds[i] > bounds[i - 1]) || !(bounds[i] < 100)) {
      return absl::InvalidArgumentError(
          "band_lower_bounds must be strictly ascending and below 100");
    }
  }
  if (!(options.coverage_threshold >= 0 && options.coverage_threshold <= 1)) {
    return absl::InvalidArgumentError("coverage_threshold must be in [0, 1]");
  }
  return absl::OkStatus();
}

// One client's payment figures over the payment window.
struct ClientPayments {
  int64_t invoices_due = 0;
  int64_t invoices_paid_on_time = 0;
  int64_t promises_judged = 0;
  int64_t promises_broken = 0;
};

PaymentBehaviour Behaviour(const std::vector<std::string>& client_ids,
                           const std::map<std::string, ClientPayments>& payments,
                           const ReceivablesState& receivables, absl::CivilDay as_of,
                           absl::CivilDay window_start) {
  PaymentBehaviour b;
  b.clients = static_cast<int64_t>(client_ids.size());
  // An empty filter would mean every client to ComputeAverageDaysLate.
  if (!client_ids.empty()) {
    b.days_late = receivables::ComputeAverageDaysLate(
        receivables, as_of, {.due_from = window_start, .client_ids = client_ids});
  }
  for (const std::string& id : client_ids) {
    const ClientPayments& p = payments.at(id);
    b.invoices_due += p.invoices_due;
    b.invoices_paid_on_time += p.invoices_paid_on_time;
    b.promises_judged += p.promises_judged;
    b.promises_broken += p.promises_broken;
  }
  b.on_time_share = Share(b.invoices_paid_on_time, b.invoices_due);
  b.broken_promise_rate = Share(b.promises_broken, b.promises_judged);
  return b;
}

std::string BoundText(double bound) { return absl::StrFormat("%g", bound); }

std::optional<double> Pearson(const std::vector<std::pair<double, double>>& points) {
  if (points.size() < 3) return std::nullopt;
  double mx = 0, my = 0;
  for (const auto& [x, y] : points) {
    mx += x;
    my += y;
  }
  mx /= static_cast<double>(points.size());
  my /= static_cast<double>(points.size());
  double sxy = 0, sxx = 0, syy = 0;
  for (const auto& [x, y] : points) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) * (x - mx);
    syy += (y - my) * (y - my);
  }
  if (sxx <= 0 || syy <= 0) return std::nullopt;
  return sxy / std::sqrt(sxx * syy);
}

std::string RateText(const std::optional<double>& share) {
  return share.has_value() ? PercentText(*share) : "n/a";
}

std::string Answer(const EvidenceReport& report) {
  const EvidenceBand* low = nullptr;
  const EvidenceBand* high = nullptr;
  for (const EvidenceBand& band : report.bands) {
    if (!band.behaviour.on_time_share.has_value()) continue;
    if (low == nullptr) low = &band;
    high = &band;
  }
  if (low == nullptr || low == high) {
    return "Not enough payment history in the window to compare clients with healthy and "
           "weak relationships.";
  }
  std::string answer = absl::StrCat(
      "Clients with a health index of ", high->label, " paid ",
      RateText(high->behaviour.on_time_share), " of the invoices due on time (broken-promise rate ",
      RateText(high->behaviour.broken_promise_rate), ") against ",
      RateText(low->behaviour.on_time_share), " (", RateText(low->behaviour.broken_promise_rate),
      ") for ", low->label, ".");
  if (report.health_on_time_correlation.has_value()) {
    absl::StrAppend(&answer, " Across ", report.correlation_clients,
                    " clients the correlation of health index with on-time share is r = ",
                    absl::StrFormat("%.2f", *report.health_on_time_correlation), ".");
  }
  const HeartEvidence* widest = nullptr;
  double widest_gap = 0;
  for (const HeartEvidence& heart : report.hearts) {
    if (!heart.practised.on_time_share.has_value() ||
        !heart.not_practised.on_time_share.has_value()) {
      continue;
    }
    const double gap = *heart.practised.on_time_share - *heart.not_practised.on_time_share;
    if (widest == nullptr || gap > widest_gap) {
      widest = &heart;
      widest_gap = gap;
    }
  }
  if (widest != nullptr) {
    absl::StrAppend(&answer, " The widest on-time gap is with ", HeartText(widest->heart), ": ",
                    RateText(widest->practised.on_time_share), " when practised, ",
                    RateText(widest->not_practised.on_time_share), " when not.");
  }
  absl::StrAppend(&answer,
                  " This is an association in the ledger's own data, not proof "
                  "that the practice causes the payment.");
  return answer;
}

}  // namespace

absl::StatusOr<EvidenceReport> ComputeEvidence(const RelationshipsState& state,
                                               const ReceivablesState& receivables,
                                               absl::CivilDay as_of,
                                               const EvidenceOptions& options) {
  if (absl::Status s = ValidateEvidenceOptions(options); !s.ok()) return s;
  absl::StatusOr<receivables::PromiseReport> promises =
      receivables::ComputePromises(receivables, as_of, options.promises);
  if (!promises.ok()) return promises.status();
  const absl::CivilDay window_start = as_of - (options.payment_window_days - 1);
  const auto judged = JudgedBetween(*promises, window_start, as_of);

  EvidenceReport report;
  report.as_of = as_of;
  const std::vector<double>& bounds = options.band_lower_bounds;
  std::vector<std::vector<std::string>> band_clients(bounds.size());
  std::array<std::vector<std::string>, kHeartCount> practised, not_practised;
  std::map<std::string, ClientPayments> payments;
  std::vector<std::pair<double, double>> index_vs_on_time;

  for (const std::string& id : ClientsKnownOn(state, receivables, as_of)) {
    ++report.clients;
    const ClientScorecard card = ScoreClient(state.FindClient(id), id, as_of, options.scorecard);
    ClientPayments& p = payments[id];
    if (const receivables::Client* money = receivables.FindClient(id)) {
      for (const auto& [invoice_id, invoice] : money->invoices) {
        const std::optional<bool> judged_on_time =
            InvoiceOnTime(invoice, window_start, as_of, as_of);
        if (!judged_on_time.has_value()) continue;
        ++p.invoices_due;
        if (*judged_on_time) ++p.invoices_paid_on_time;
      }
    }
    if (const auto it = judged.find(id); it != judged.end()) {
      for (const receivables::PromiseLine* line : it->second) {
        ++p.promises_judged;
        if (line->status == receivables::PromiseStatus::kBroken) ++p.promises_broken;
      }
    }
    for (const v1::Heart heart : kAllHearts) {
      const std::optional<double>& score = card.hearts[HeartIndex(heart)].score;
      if (!score.has_value()) continue;
      (*score >= options.coverage_threshold ? practised : not_practised)[HeartIndex(heart)]
          .push_back(id);
    }
    if (!card.health_index.has_value()) continue;
    size_t band = 0;
    while (band + 1 < bounds.size() && *card.health_index >= bounds[band + 1]) ++band;
    band_clients[band].push_back(id);
    if (p.invoices_due > 0) {
      index_vs_on_time.emplace_back(
          *card.health_index,
          static_cast<double>(p.invoices_paid_on_time) / static_cast<double>(p.invoices_due));
    }
  }

  for (size_t i = 0; i < bounds.size(); ++i) {
    EvidenceBand band;
    band.lower = bounds[i];
    band.upper = i + 1 < bounds.size() ? bounds[i + 1] : 100;
    band.label = absl::StrCat(BoundText(band.lower), "-", BoundText(band.upper));
    band.behaviour = Behaviour(band_clients[i], payments, receivables, as_of, window_start);
    report.bands.push_back(std::move(band));
  }
  for (const v1::Heart heart : kAllHearts) {
    HeartEvidence& evidence = report.hearts[HeartIndex(heart)];
    evidence.heart = heart;
    evidence.practised =
        Behaviour(practised[HeartIndex(heart)], payments, receivables, as_of, window_start);
    evidence.not_practised =
        Behaviour(not_practised[HeartIndex(heart)], payments, receivables, as_of, window_start);
  }
  report.health_on_time_correlation = Pearson(index_vs_on_time);
  report.correlation_clients = static_cast<int64_t>(index_vs_on_time.size());
  report.answer = Answer(report);
  return report;
}

}  // namespace sixhearts::services::relationships
