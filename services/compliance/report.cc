// Builds the compliance report and the annual disclosure from the three states.
#include "services/compliance/report.h"

#include <algorithm>
#include <set>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "ledger/dates.h"

namespace sixhearts::services::compliance {
namespace {

using receivables::ReceivablesState;
using relationships::RelationshipsState;

bool InScope(const std::vector<std::string>& ids, const std::string& id) {
  return ids.empty() || std::find(ids.begin(), ids.end(), id) != ids.end();
}

absl::Status CheckClientIds(const std::vector<std::string>& ids) {
  if (ids.size() > kMaxReportClientIds) {
    return absl::InvalidArgumentError(
        absl::StrCat("client_ids: at most ", kMaxReportClientIds, " ids, got ", ids.size()));
  }
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i].empty())
      return absl::InvalidArgumentError(absl::StrCat("client_ids[", i, "]: empty"));
  }
  return absl::OkStatus();
}

// Month ends from the period's first month to the month before as_of's, then as_of:
// at most kMaxTrendPoints, the latest.
std::vector<absl::CivilDay> TrendDays(absl::CivilDay from, absl::CivilDay as_of) {
  std::vector<absl::CivilDay> days;
  for (absl::CivilMonth m(from); absl::CivilDay(m + 1) - 1 < as_of; ++m) {
    days.push_back(absl::CivilDay(m + 1) - 1);
  }
  days.push_back(as_of);
  if (days.size() > kMaxTrendPoints) days.erase(days.begin(), days.end() - kMaxTrendPoints);
  return days;
}

}  // namespace

absl::Status ValidateReportRequest(const ReportRequest& request) {
  if (request.period_from) {
    if (*request.period_from > request.as_of) {
      return absl::InvalidArgumentError(
          absl::StrCat("period_from: ", ledger::FormatDay(*request.period_from), " is after as_of ",
                       ledger::FormatDay(request.as_of)));
    }
    if (request.as_of - *request.period_from >= kMaxReportPeriodDays) {
      return absl::InvalidArgumentError(
          absl::StrCat("period_from: the period may span at most ", kMaxReportPeriodDays, " days"));
    }
  }
  return CheckClientIds(request.client_ids);
}

absl::StatusOr<ComplianceReport> BuildComplianceReport(const ReceivablesState& receivables,
                                                       const ComplianceState& compliance,
                                                       const RelationshipsState& relationships,
                                                       const ReportRequest& request,
                                                       const LogDigest& digest,
                                                       const StatutoryOptions& options) {
  if (absl::Status s = ValidateReportRequest(request); !s.ok()) return s;
  ComplianceReport r;
  r.as_of = request.as_of;
  r.known_at = request.known_at;
  // The default period never starts before the first day a Date can name (0001-01-01).
  r.period_from = request.period_from.value_or(
      std::max(request.as_of - (kDefaultReportPeriodDays - 1), absl::CivilDay(1, 1, 1)));
  r.digest = digest;
  r.rate_tables = FormatRateTables(options.rates);

  // Aging of the whole book (or the listed clients), per client, totals per currency.
  {
    receivables::AgingOptions aging;
    aging.include_lines = false;
    absl::StatusOr<receivables::AgingReport> a =
        receivables::ComputeAging(receivables, r.as_of, aging);
    if (!a.ok()) return a.status();
    r.aging = std::move(*a);
    if (!request.client_ids.empty()) {
      std::erase_if(r.aging.rows, [&](const receivables::AgingRow& row) {
        return !InScope(request.client_ids, row.group);
      });
      // Totals follow the rows kept.
      std::map<std::string, receivables::AgingRow> totals;
      for (const receivables::AgingRow& row : r.aging.rows) {
        receivables::AgingRow& t = totals[row.currency];
        if (t.currency.empty()) {
          t.currency = row.currency;
          t.outstanding_by_bucket_minor.assign(row.outstanding_by_bucket_minor.size(), 0);
          t.disputed_by_bucket_minor.assign(row.disputed_by_bucket_minor.size(), 0);
        }
        for (size_t i = 0; i < row.outstanding_by_bucket_minor.size(); ++i) {
          t.outstanding_by_bucket_minor[i] += row.outstanding_by_bucket_minor[i];
          t.disputed_by_bucket_minor[i] += row.disputed_by_bucket_minor[i];
        }
        t.outstanding_minor += row.outstanding_minor;
        t.disputed_minor += row.disputed_minor;
        t.unapplied_cash_minor += row.unapplied_cash_minor;
        t.standalone_credit_minor += row.standalone_credit_minor;
        t.net_minor += row.net_minor;
      }
      r.aging.totals.clear();
      for (auto& [currency, row] : totals) r.aging.totals.push_back(std::move(row));
    }
  }

  // Statutory assessment of every invoice issued by as_of, and the trend.
  const std::vector<absl::CivilDay> trend_days = TrendDays(r.period_from, r.as_of);
  r.trend.resize(trend_days.size());
  for (size_t i = 0; i < trend_days.size(); ++i) r.trend[i].on = trend_days[i];
  std::map<std::pair<RuleSet, std::string>, StatutoryTotal> totals;
  std::set<std::string> client_ids;
  for (const auto& [client_id, client] : receivables.clients()) {
    if (!InScope(request.client_ids, client_id)) continue;
    client_ids.insert(client_id);
    const RuleChoice choice = ChooseRuleSet(client);
    ClientHealth health;
    health.client_id = client_id;
    health.name = client.name;
    health.rule_set = choice.rule_set;
    health.rule_reason = choice.reason;
    const ClientFacts* facts = compliance.FindClient(client_id);
    if (choice.rule_set != RuleSet::kNone) {
      for (const auto& [invoice_id, invoice] : client.invoices) {
        if (invoice.issue_date > r.as_of) continue;
        InvoiceAssessment a =
            AssessInvoice(client_id, client, invoice, facts, choice.rule_set, r.as_of, options);
        StatutoryTotal& total = totals[{choice.rule_set, a.currency}];
        total.rule_set = choice.rule_set;
        total.currency = a.currency;
        ++total.invoices_assessed;
        if (a.statutory_due_date) {
          for (TrendPoint& point : r.trend) {
            if (*a.statutory_due_date >= point.on || invoice.issue_date > point.on) continue;
            const int64_t owed = OwedOnDay(client, invoice, point.on);
            if (owed > 0) {
              point.overdue_minor[a.currency] += owed;
              ++point.invoices_overdue;
            }
          }
        }
        const bool paid_late_in_period =
            (a.status == StatutoryStatus::kPaidLate || a.status == StatutoryStatus::kDisputed) &&
            a.days_overdue > 0 && *a.statutory_due_date + a.days_overdue >= r.period_from;
        const bool listed = a.status == StatutoryStatus::kOverdue ||
                            a.status == StatutoryStatus::kDisputed || paid_late_in_period;
        if (!listed) continue;
        if (a.status == StatutoryStatus::kOverdue) {
          ++total.invoices_overdue;
          total.overdue_minor += a.overdue_minor;
          ++health.invoices_overdue;
        }
        if (paid_late_in_period && a.status == StatutoryStatus::kPaidLate)
          ++total.invoices_paid_late;
        total.interest_minor += a.interest_minor;
        total.fixed_compensation_minor += a.fixed_compensation_minor;
        for (const CarriedRate& carried : a.carried_rates) {
          MergeCarriedRate(carried, &r.carried_rates);
        }
        r.invoices.push_back(std::move(a));
      }
      if (facts != nullptr) {
        for (const auto& [contract_id, contract] : facts->contracts) {
          for (TermFinding& f :
               CheckContractTerms(client_id, contract, choice.rule_set, r.as_of, options)) {
            r.findings.push_back(std::move(f));
          }
        }
      }
    }
    r.clients.push_back(std::move(health));
  }
  for (auto& [key, total] : totals) r.totals.push_back(std::move(total));

  // Promises and disputes, as the receivables reports state them, for the clients in scope.
  absl::StatusOr<receivables::PromiseReport> promises =
      receivables::ComputePromises(receivables, r.as_of);
  if (!promises.ok()) return promises.status();
  r.promises = std::move(*promises);
  auto out_of_scope = [&](const auto& line) {
    return !InScope(request.client_ids, line.client_id);
  };
  std::erase_if(r.promises.open, out_of_scope);
  std::erase_if(r.promises.judged, [&](const receivables::PromiseLine& line) {
    return out_of_scope(line) || line.judged_on < r.period_from;
  });
  r.promises.kept_count = r.promises.partially_kept_count = r.promises.broken_count = 0;
  for (const receivables::PromiseLine& line : r.promises.judged) {
    if (line.status == receivables::PromiseStatus::kKept) ++r.promises.kept_count;
    if (line.status == receivables::PromiseStatus::kPartiallyKept)
      ++r.promises.partially_kept_count;
    if (line.status == receivables::PromiseStatus::kBroken) ++r.promises.broken_count;
  }
  r.promises.broken_rate.reset();
  if (!r.promises.judged.empty()) {
    r.promises.broken_rate = static_cast<double>(r.promises.broken_count) /
                             static_cast<double>(r.promises.judged.size());
  }
  r.disputes = receivables::ComputeDisputes(receivables, r.as_of);
  std::erase_if(r.disputes.open, out_of_scope);
  std::erase_if(r.disputes.resolved, [&](const receivables::DisputeLine& line) {
    return out_of_scope(line) || line.resolution->resolved_on < r.period_from;
  });

  // Six-heart coverage of the period and the trust timeline. Clients known only to the
  // relationship projection count too: they are in the book the officer reviews.
  for (const auto& [client_id, rel] : relationships.clients()) {
    if (InScope(request.client_ids, client_id) && rel.first_event_on <= r.as_of) {
      if (client_ids.insert(client_id).second) {
        ClientHealth health;
        health.client_id = client_id;
        health.name = rel.name;
        health.rule_reason = "no receivables";
        r.clients.push_back(std::move(health));
      }
    }
  }
  std::sort(r.clients.begin(), r.clients.end(),
            [](const ClientHealth& a, const ClientHealth& b) { return a.client_id < b.client_id; });
  relationships::ScorecardOptions scorecard;
  scorecard.window_days =
      std::clamp<int64_t>(r.as_of - r.period_from + 1, 1, relationships::kMaxWindowDays);
  for (size_t h = 0; h < relationships::kHeartCount; ++h) {
    r.coverage[h].heart = relationships::kAllHearts[h];
    r.coverage[h].clients = static_cast<int64_t>(r.clients.size());
  }
  const absl::CivilMonth first_month =
      std::max(absl::CivilMonth(r.period_from),
               absl::CivilMonth(r.as_of) - static_cast<int64_t>(kMaxTrendPoints - 1));
  for (absl::CivilMonth m = first_month; m <= absl::CivilMonth(r.as_of); ++m) {
    r.trust.push_back(TrustPoint{m, 0, 0});
  }
  for (ClientHealth& health : r.clients) {
    const relationships::ClientRelationship* rel = relationships.FindClient(health.client_id);
    health.health_index =
        relationships::ScoreClient(rel, health.client_id, r.as_of, scorecard).health_index;
    if (rel == nullptr) continue;
    for (size_t h = 0; h < relationships::kHeartCount; ++h) {
      if (rel->PractisedBetween(relationships::kAllHearts[h], r.period_from, r.as_of)) {
        ++r.coverage[h].clients_practised;
      }
    }
    const std::vector<absl::CivilDay>& trust_days =
        rel->heart_days[relationships::HeartIndex(v1::HEART_TRUST)];
    for (TrustPoint& point : r.trust) {
      const absl::CivilDay from = std::max(absl::CivilDay(point.month), r.period_from);
      const absl::CivilDay to = std::min(absl::CivilDay(point.month + 1) - 1, r.as_of);
      auto lo = std::lower_bound(trust_days.begin(), trust_days.end(), from);
      auto hi = std::upper_bound(trust_days.begin(), trust_days.end(), to);
      if (hi > lo) {
        ++point.clients_practised;
        point.practice_days += hi - lo;
      }
    }
  }
  return r;
}

absl::StatusOr<DisclosureReport> BuildDisclosure(const ReceivablesState& receivables,
                                                 const ComplianceState& compliance,
                                                 const DisclosureRequest& request,
                                                 const LogDigest& digest,
                                                 const StatutoryOptions& options) {
  if (request.year < 2 || request.year > 9999) {
    return absl::InvalidArgumentError(
        absl::StrCat("year: must be in [2, 9999], got ", request.year));
  }
  if (absl::Status s = CheckClientIds(request.client_ids); !s.ok()) return s;
  DisclosureReport r;
  r.year = request.year;
  r.as_of = absl::CivilDay(request.year, 12, 31);
  r.known_at = request.known_at;
  r.digest = digest;
  const absl::CivilDay year_start(request.year, 1, 1);
  const absl::CivilDay previous_end = year_start - 1;
  for (const auto& [client_id, client] : receivables.clients()) {
    if (!InScope(request.client_ids, client_id)) continue;
    const RuleChoice choice = ChooseRuleSet(client);
    if (choice.rule_set != RuleSet::kCn) continue;
    const ClientFacts* facts = compliance.FindClient(client_id);
    std::map<std::string, DisclosureRow> by_currency;
    std::map<std::string, std::set<std::string>> contracts;
    for (const auto& [invoice_id, invoice] : client.invoices) {
      if (invoice.issue_date > r.as_of) continue;
      const InvoiceAssessment a =
          AssessInvoice(client_id, client, invoice, facts, RuleSet::kCn, r.as_of, options);
      if (!a.statutory_due_date || *a.statutory_due_date >= r.as_of) continue;
      // Overdue on some day of the year: owed by law on a day after the due date that
      // falls in the year.
      const absl::CivilDay due = *a.statutory_due_date;
      const bool overdue_now = a.status == StatutoryStatus::kOverdue;
      const bool late_in_year = a.days_overdue > 0 && due + a.days_overdue >= year_start;
      if (!overdue_now && !late_in_year) continue;
      DisclosureRow& row = by_currency[a.currency];
      row.client_id = client_id;
      row.name = client.name;
      row.client_kind = client.client_kind;
      row.currency = a.currency;
      ++row.invoices_overdue;
      contracts[a.currency].insert(invoice.contract_id.empty() ? "invoice:" + invoice_id
                                                               : invoice.contract_id);
      row.overdue_minor += OwedOnDay(client, invoice, std::max(due, previous_end));
      row.unpaid_at_year_end_minor += a.overdue_minor;
      int64_t before = 0;
      if (due < previous_end) {
        before =
            AssessInvoice(client_id, client, invoice, facts, RuleSet::kCn, previous_end, options)
                .interest_minor;
      }
      row.interest_minor += a.interest_minor - before;
    }
    for (auto& [currency, row] : by_currency) {
      row.contracts_overdue = static_cast<int64_t>(contracts[currency].size());
      r.contracts_overdue_by_currency[currency] += row.contracts_overdue;
      r.overdue_minor_by_currency[currency] += row.overdue_minor;
      r.rows.push_back(std::move(row));
    }
  }
  return r;
}

}  // namespace sixhearts::services::compliance
