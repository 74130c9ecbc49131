// Receivables analytics: aging, DSO family, days late, promises and disputes as of a day.
#include "services/receivables/analytics.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>
#include <utility>

#include "absl/numeric/int128.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace sixhearts::services::receivables {
namespace {

bool InScope(const std::vector<std::string>& client_ids, const std::string& client_id) {
  return client_ids.empty() ||
         std::find(client_ids.begin(), client_ids.end(), client_id) != client_ids.end();
}

// The disputed part of `invoice` on `day` (see AgingInvoiceLine::disputed_minor).
int64_t DisputedOn(const Client& client, const Invoice& invoice, int64_t outstanding_minor,
                   absl::CivilDay day) {
  int64_t disputed_minor = 0;
  for (const auto& [id, dispute] : client.disputes) {
    if (dispute.invoice_id == invoice.invoice_id && dispute.OpenOn(day)) {
      disputed_minor += dispute.amount_minor;
    }
  }
  return std::clamp<int64_t>(disputed_minor, 0, std::max<int64_t>(outstanding_minor, 0));
}

std::string GroupKey(const Client& client, const std::string& currency, AgingGroupBy group_by) {
  switch (group_by) {
    case AgingGroupBy::kClient:
      return client.client_id;
    case AgingGroupBy::kAccountOwner:
      return client.account_owner;
    case AgingGroupBy::kJurisdiction:
      return v1::Jurisdiction_Name(client.jurisdiction);
    case AgingGroupBy::kClientKind:
      return v1::ClientKind_Name(client.client_kind);
    case AgingGroupBy::kCurrency:
      return currency;
  }
  return client.client_id;
}

std::vector<AgingBucket> MakeBuckets(const std::vector<int64_t>& bounds) {
  std::vector<AgingBucket> buckets;
  std::optional<int64_t> lower;
  for (const int64_t upper : bounds) {
    AgingBucket bucket;
    bucket.lower_bound_days = lower;
    bucket.upper_bound_days = upper;
    if (!lower.has_value()) {
      bucket.label = upper == 0 ? "not yet due" : absl::StrCat("up to ", upper);
    } else {
      bucket.label = absl::StrCat(*lower, "-", upper);
    }
    buckets.push_back(std::move(bucket));
    lower = upper + 1;
  }
  AgingBucket last;
  last.lower_bound_days = lower;
  last.label = lower.has_value() ? absl::StrCat("over ", *lower - 1) : "all";
  buckets.push_back(std::move(last));
  return buckets;
}

size_t BucketOf(const std::vector<int64_t>& bounds, int64_t age_days) {
  const auto it = std::lower_bound(bounds.begin(), bounds.end(), age_days);
  return static_cast<size_t>(it - bounds.begin());
}

AgingRow& RowFor(std::map<std::pair<std::string, std::string>, AgingRow>& rows,
                 const std::string& group, const std::string& currency, size_t bucket_count) {
  AgingRow& row = rows[{group, currency}];
  if (row.outstanding_by_bucket_minor.empty()) {
    row.group = group;
    row.currency = currency;
    row.outstanding_by_bucket_minor.assign(bucket_count, 0);
    row.disputed_by_bucket_minor.assign(bucket_count, 0);
  }
  return row;
}

// Sum of outstanding amounts per currency on `day`; with `current_only`, only invoices
// not past due on `day`.
std::map<std::string, int64_t> ArOn(const ReceivablesState& state,
                                    const std::vector<std::string>& client_ids, absl::CivilDay day,
                                    bool current_only) {
  std::map<std::string, int64_t> ar;
  for (const auto& [client_id, client] : state.clients()) {
    if (!InScope(client_ids, client_id)) continue;
    for (const auto& [invoice_id, invoice] : client.invoices) {
      if (invoice.issue_date > day) continue;
      if (current_only && invoice.due_date < day) continue;
      ar[invoice.currency] += invoice.OutstandingOn(day);
    }
  }
  return ar;
}

// Credit sales per currency of invoices issued in [from, to].
std::map<std::string, int64_t> SalesIn(const ReceivablesState& state,
                                       const std::vector<std::string>& client_ids,
                                       absl::CivilDay from, absl::CivilDay to) {
  std::map<std::string, int64_t> sales;
  for (const auto& [client_id, client] : state.clients()) {
    if (!InScope(client_ids, client_id)) continue;
    for (const auto& [invoice_id, invoice] : client.invoices) {
      if (invoice.issue_date < from || invoice.issue_date > to) continue;
      sales[invoice.currency] += invoice.amount_minor;
    }
  }
  return sales;
}

std::optional<double> Ratio(int64_t numerator, int64_t denominator) {
  if (denominator == 0) return std::nullopt;
  return static_cast<double>(numerator) / static_cast<double>(denominator);
}

struct Countback {
  std::optional<double> days;
  int months_walked = 0;
  bool exhausted = false;
};

// See DsoReport for the walk. `monthly_sales` maps a month to the sales issued in it.
Countback CountbackDays(int64_t ending_ar_minor, absl::CivilDay to, int max_months,
                        const std::map<absl::CivilMonth, int64_t>& monthly_sales) {
  Countback result;
  int64_t remainder_minor = ending_ar_minor;
  double days = 0;
  absl::CivilMonth month(to);
  for (int walked = 0; walked < max_months; ++walked, --month) {
    if (remainder_minor <= 0) break;
    const auto it = monthly_sales.find(month);
    const int64_t sales_minor = it == monthly_sales.end() ? 0 : it->second;
    const int64_t month_days =
        walked == 0 ? to.day() : absl::CivilDay(month + 1) - absl::CivilDay(month);
    result.months_walked = walked + 1;
    if (remainder_minor < sales_minor) {
      days += static_cast<double>(remainder_minor) / static_cast<double>(sales_minor) *
              static_cast<double>(month_days);
      remainder_minor = 0;
      break;
    }
    remainder_minor -= sales_minor;
    days += static_cast<double>(month_days);
  }
  result.exhausted = remainder_minor > 0;
  result.days = days;
  return result;
}

int64_t ReceivedTowardPromise(const Client& client, const Promise& promise,
                              absl::CivilDay window_end, absl::CivilDay as_of) {
  int64_t received_minor = 0;
  const std::set<std::string> named(promise.invoice_ids.begin(), promise.invoice_ids.end());
  for (const auto& [payment_id, payment] : client.payments) {
    if (payment.currency != promise.currency) continue;
    if (payment.value_date < promise.made_on || payment.value_date > window_end) continue;
    // A payment that bounced by as_of never kept a promise.
    if (!payment.HeldOn(as_of)) continue;
    if (named.empty()) {
      received_minor += payment.amount_minor;
      continue;
    }
    for (const PaymentApplication& a : payment.applications) {
      if (named.contains(a.invoice_id) && a.applied_on <= window_end) {
        received_minor += a.amount_minor;
      }
    }
  }
  return received_minor;
}

}  // namespace

absl::StatusOr<AgingBuilder> AgingBuilder::Make(absl::CivilDay as_of, const AgingOptions& options) {
  const std::vector<int64_t>& bounds = options.bucket_upper_bounds_days;
  if (bounds.size() + 1 > kMaxAgingBuckets) {
    return absl::InvalidArgumentError(
        absl::StrCat("at most ", kMaxAgingBuckets - 1, " bucket bounds, got ", bounds.size()));
  }
  for (size_t i = 0; i < bounds.size(); ++i) {
    if (bounds[i] < -kMaxAgingBoundDays || bounds[i] > kMaxAgingBoundDays) {
      return absl::InvalidArgumentError(absl::StrCat("bucket upper bound ", bounds[i],
                                                     " is outside [", -kMaxAgingBoundDays, ", ",
                                                     kMaxAgingBoundDays, "]"));
    }
    if (i > 0 && bounds[i] <= bounds[i - 1]) {
      return absl::InvalidArgumentError("bucket upper bounds must be strictly ascending");
    }
  }
  AgingBuilder builder;
  builder.as_of_ = as_of;
  builder.options_ = options;
  builder.buckets_ = MakeBuckets(bounds);
  return builder;
}

void AgingBuilder::Add(const ReceivablesState& state) {
  for (const auto& [client_id, client] : state.clients()) AddClient(client_id, client);
}

void AgingBuilder::AddClient(const std::string& client_id, const Client& client) {
  const absl::CivilDay as_of = as_of_;
  const AgingOptions& options = options_;
  const std::vector<int64_t>& bounds = options.bucket_upper_bounds_days;
  const size_t bucket_count = buckets_.size();
  auto& rows = rows_;
  for (const auto& [invoice_id, invoice] : client.invoices) {
    const int64_t outstanding_minor = invoice.OutstandingOn(as_of);
    if (outstanding_minor == 0) continue;
    const int64_t age_days = as_of - invoice.due_date;
    const size_t bucket = BucketOf(bounds, age_days);
    const int64_t disputed_minor = DisputedOn(client, invoice, outstanding_minor, as_of);
    AgingRow& row = RowFor(rows, GroupKey(client, invoice.currency, options.group_by),
                           invoice.currency, bucket_count);
    row.outstanding_by_bucket_minor[bucket] += outstanding_minor;
    row.disputed_by_bucket_minor[bucket] += disputed_minor;
    if (options.include_lines) {
      row.invoice_lines.push_back(AgingInvoiceLine{.client_id = client_id,
                                                   .invoice_id = invoice_id,
                                                   .currency = invoice.currency,
                                                   .due_date = invoice.due_date,
                                                   .age_days = age_days,
                                                   .bucket = bucket,
                                                   .outstanding_minor = outstanding_minor,
                                                   .disputed_minor = disputed_minor});
    }
  }
  for (const auto& [payment_id, payment] : client.payments) {
    const int64_t unapplied_minor = payment.UnappliedOn(as_of);
    if (unapplied_minor == 0) continue;
    AgingRow& row = RowFor(rows, GroupKey(client, payment.currency, options.group_by),
                           payment.currency, bucket_count);
    row.unapplied_cash_minor -= unapplied_minor;
    if (options.include_lines) {
      row.credit_lines.push_back(AgingCreditLine{.client_id = client_id,
                                                 .kind = CreditLineKind::kUnappliedCash,
                                                 .source_id = payment_id,
                                                 .currency = payment.currency,
                                                 .dated = payment.value_date,
                                                 .amount_minor = -unapplied_minor});
    }
  }
  for (const auto& [credit_id, credit] : client.standalone_credits) {
    if (credit.issue_date > as_of) continue;
    AgingRow& row = RowFor(rows, GroupKey(client, credit.currency, options.group_by),
                           credit.currency, bucket_count);
    row.standalone_credit_minor -= credit.amount_minor;
    if (options.include_lines) {
      row.credit_lines.push_back(AgingCreditLine{.client_id = client_id,
                                                 .kind = CreditLineKind::kStandaloneCredit,
                                                 .source_id = credit_id,
                                                 .currency = credit.currency,
                                                 .dated = credit.issue_date,
                                                 .amount_minor = -credit.amount_minor});
    }
  }
}

AgingReport AgingBuilder::Finish() && {
  AgingReport report;
  report.as_of = as_of_;
  report.buckets = std::move(buckets_);
  const size_t bucket_count = report.buckets.size();
  auto& rows = rows_;
  std::map<std::string, AgingRow> totals;
  for (auto& [key, row] : rows) {
    for (size_t b = 0; b < bucket_count; ++b) {
      row.outstanding_minor += row.outstanding_by_bucket_minor[b];
      row.disputed_minor += row.disputed_by_bucket_minor[b];
    }
    row.net_minor = row.outstanding_minor + row.unapplied_cash_minor + row.standalone_credit_minor;
    // Clients are visited in id order, so lines only need sorting within a client.
    std::stable_sort(row.credit_lines.begin(), row.credit_lines.end(),
                     [](const AgingCreditLine& a, const AgingCreditLine& b) {
                       return std::tie(a.client_id, a.kind, a.source_id) <
                              std::tie(b.client_id, b.kind, b.source_id);
                     });
    AgingRow& total = totals[row.currency];
    if (total.outstanding_by_bucket_minor.empty()) {
      total.currency = row.currency;
      total.outstanding_by_bucket_minor.assign(bucket_count, 0);
      total.disputed_by_bucket_minor.assign(bucket_count, 0);
    }
    for (size_t b = 0; b < bucket_count; ++b) {
      total.outstanding_by_bucket_minor[b] += row.outstanding_by_bucket_minor[b];
      total.disputed_by_bucket_minor[b] += row.disputed_by_bucket_minor[b];
    }
    total.outstanding_minor += row.outstanding_minor;
    total.disputed_minor += row.disputed_minor;
    total.unapplied_cash_minor += row.unapplied_cash_minor;
    total.standalone_credit_minor += row.standalone_credit_minor;
    total.net_minor += row.net_minor;
    report.rows.push_back(std::move(row));
  }
  for (auto& [currency, total] : totals) report.totals.push_back(std::move(total));
  return report;
}

absl::StatusOr<AgingReport> ComputeAging(const ReceivablesState& state, absl::CivilDay as_of,
                                         const AgingOptions& options) {
  absl::StatusOr<AgingBuilder> builder = AgingBuilder::Make(as_of, options);
  if (!builder.ok()) return builder.status();
  builder->Add(state);
  return std::move(*builder).Finish();
}

absl::StatusOr<std::vector<DsoReport>> ComputeDso(const ReceivablesState& state,
                                                  absl::CivilDay from, absl::CivilDay to,
                                                  const DsoOptions& options) {
  if (from > to) return absl::InvalidArgumentError("DSO period starts after it ends");
  if (options.countback_max_months < 1 || options.countback_max_months > kMaxCountbackMonths) {
    return absl::InvalidArgumentError(
        absl::StrCat("countback_max_months must be in [1, ", kMaxCountbackMonths, "]"));
  }
  // Sales per currency and month, for countback; the month of `to` is cut at `to`.
  std::map<std::string, std::map<absl::CivilMonth, int64_t>> monthly_sales;
  for (const auto& [client_id, client] : state.clients()) {
    if (!InScope(options.client_ids, client_id)) continue;
    for (const auto& [invoice_id, invoice] : client.invoices) {
      if (invoice.issue_date > to) continue;
      monthly_sales[invoice.currency][absl::CivilMonth(invoice.issue_date)] += invoice.amount_minor;
    }
  }
  const std::map<std::string, int64_t> sales = SalesIn(state, options.client_ids, from, to);
  const std::map<std::string, int64_t> beginning = ArOn(state, options.client_ids, from - 1, false);
  const std::map<std::string, int64_t> ending = ArOn(state, options.client_ids, to, false);
  const std::map<std::string, int64_t> current = ArOn(state, options.client_ids, to, true);
  const auto get = [](const std::map<std::string, int64_t>& m, const std::string& key) {
    const auto it = m.find(key);
    return it == m.end() ? int64_t{0} : it->second;
  };

  std::vector<DsoReport> reports;
  for (const auto& [currency, by_month] : monthly_sales) {
    DsoReport r;
    r.currency = currency;
    r.from = from;
    r.to = to;
    r.period_days = (to - from) + 1;
    r.credit_sales_minor = get(sales, currency);
    r.beginning_ar_minor = get(beginning, currency);
    r.ending_ar_minor = get(ending, currency);
    r.ending_current_ar_minor = get(current, currency);
    const double period_days = static_cast<double>(r.period_days);
    if (const auto ratio = Ratio(r.ending_ar_minor, r.credit_sales_minor)) {
      r.simple_dso_days = *ratio * period_days;
    }
    if (const auto ratio = Ratio(r.ending_current_ar_minor, r.credit_sales_minor)) {
      r.best_possible_dso_days = *ratio * period_days;
    }
    const Countback countback =
        CountbackDays(r.ending_ar_minor, to, options.countback_max_months, by_month);
    r.countback_dso_days = countback.days;
    r.countback_months_walked = countback.months_walked;
    r.countback_sales_exhausted = countback.exhausted;
    r.dso_days = options.method == DsoMethod::kCountback ? r.countback_dso_days : r.simple_dso_days;
    if (r.dso_days.has_value() && r.best_possible_dso_days.has_value()) {
      r.average_days_delinquent = *r.dso_days - *r.best_possible_dso_days;
    }
    const int64_t collectable_minor = r.beginning_ar_minor + r.credit_sales_minor;
    if (const auto ratio = Ratio(collectable_minor - r.ending_ar_minor,
                                 collectable_minor - r.ending_current_ar_minor)) {
      r.cei_percent = *ratio * 100.0;
    }
    reports.push_back(std::move(r));
  }
  return reports;
}

std::optional<int64_t> InvoiceDaysLate(const Invoice& invoice, absl::CivilDay as_of) {
  if (invoice.issue_date > as_of) return std::nullopt;
  const absl::CivilDay end = invoice.SettledOn(as_of).value_or(as_of);
  return std::max<int64_t>(0, end - invoice.due_date);
}

std::vector<DaysLateReport> ComputeAverageDaysLate(const ReceivablesState& state,
                                                   absl::CivilDay as_of,
                                                   const DaysLateOptions& options) {
  // Weighted sums stay integral until the one division at the end.
  struct Sums {
    int64_t count = 0;
    int64_t billed_minor = 0;
    absl::int128 weighted = 0;
  };
  std::map<std::string, Sums> sums;
  for (const auto& [client_id, client] : state.clients()) {
    if (!InScope(options.client_ids, client_id)) continue;
    for (const auto& [invoice_id, invoice] : client.invoices) {
      if (invoice.issue_date > as_of || invoice.due_date > as_of) continue;
      if (options.due_from.has_value() && invoice.due_date < *options.due_from) continue;
      const int64_t days_late = InvoiceDaysLate(invoice, as_of).value_or(0);
      Sums& s = sums[invoice.currency];
      ++s.count;
      s.billed_minor += invoice.amount_minor;
      s.weighted += absl::int128(invoice.amount_minor) * days_late;
    }
  }
  std::vector<DaysLateReport> reports;
  for (const auto& [currency, s] : sums) {
    DaysLateReport r;
    r.currency = currency;
    r.invoice_count = s.count;
    r.billed_minor = s.billed_minor;
    if (s.billed_minor != 0) {
      r.average_days_late = static_cast<double>(s.weighted) / static_cast<double>(s.billed_minor);
    }
    reports.push_back(std::move(r));
  }
  return reports;
}

absl::StatusOr<PromiseReport> ComputePromises(const ReceivablesState& state, absl::CivilDay as_of,
                                              const PromiseOptions& options) {
  if (options.tolerance_days < 0 || options.tolerance_days > kMaxPromiseToleranceDays) {
    return absl::InvalidArgumentError(
        absl::StrCat("tolerance_days must be in [0, ", kMaxPromiseToleranceDays, "]"));
  }
  PromiseReport report;
  report.as_of = as_of;
  for (const auto& [client_id, client] : state.clients()) {
    for (const auto& [promise_id, promise] : client.promises) {
      if (promise.made_on > as_of) continue;
      if (promise.cancelled_on.has_value() && *promise.cancelled_on <= as_of) continue;
      PromiseLine line{.client_id = client_id,
                       .promise_id = promise_id,
                       .currency = promise.currency,
                       .amount_minor = promise.amount_minor,
                       .made_on = promise.made_on,
                       .promised_date = promise.promised_date,
                       .judged_on = promise.promised_date + options.tolerance_days,
                       .invoice_ids = promise.invoice_ids,
                       .received_minor = 0,
                       .status = PromiseStatus::kOpen};
      const bool judged = as_of >= line.judged_on;
      const absl::CivilDay window_end = judged ? line.judged_on : as_of;
      line.received_minor = ReceivedTowardPromise(client, promise, window_end, as_of);
      if (!judged) {
        report.open.push_back(std::move(line));
        continue;
      }
      if (line.received_minor >= line.amount_minor) {
        line.status = PromiseStatus::kKept;
        ++report.kept_count;
      } else if (line.received_minor > 0) {
        line.status = PromiseStatus::kPartiallyKept;
        ++report.partially_kept_count;
      } else {
        line.status = PromiseStatus::kBroken;
        ++report.broken_count;
      }
      report.judged.push_back(std::move(line));
    }
  }
  if (!report.judged.empty()) {
    report.broken_rate =
        static_cast<double>(report.broken_count) / static_cast<double>(report.judged.size());
  }
  return report;
}

DisputeReport ComputeDisputes(const ReceivablesState& state, absl::CivilDay as_of) {
  DisputeReport report;
  report.as_of = as_of;
  for (const auto& [client_id, client] : state.clients()) {
    for (const auto& [dispute_id, dispute] : client.disputes) {
      if (dispute.opened_on > as_of) continue;
      const auto invoice = client.invoices.find(dispute.invoice_id);
      DisputeLine line{.client_id = client_id,
                       .dispute_id = dispute_id,
                       .invoice_id = dispute.invoice_id,
                       .currency = invoice == client.invoices.end() ? "" : invoice->second.currency,
                       .amount_minor = dispute.amount_minor,
                       .reason = dispute.reason,
                       .opened_on = dispute.opened_on,
                       .resolution = std::nullopt};
      if (dispute.OpenOn(as_of)) {
        report.open.push_back(std::move(line));
      } else {
        line.resolution = dispute.resolution;
        report.resolved.push_back(std::move(line));
      }
    }
  }
  return report;
}

}  // namespace sixhearts::services::receivables
