// Receivables analytics read from a ReceivablesState as of a civil day: aging, DSO
// (countback, simple, best possible), ADD, CEI, amount-weighted days late, promises to pay
// and disputes. Every function is pure: the same state, day and options give the same
// report, so a live view, a rebuild and an as-of replay agree. Formulas follow DOMAIN.md
// "Receivables formulas"; where it leaves a choice, the choice is stated here.
//
// Money stays in integer minor units and every total is per currency, never converted.
// Only ratios and day counts are doubles. "AR" below always means the sum of the
// outstanding amounts of invoices issued on or before the day (Invoice::OutstandingOn);
// unapplied cash and standalone credits are not netted into it, because they are not
// tied to any period's sales and would let one unapplied receipt push DSO below zero.
// Aging shows them as their own negative lines instead.
#ifndef SIXHEARTS_SERVICES_RECEIVABLES_ANALYTICS_H_
#define SIXHEARTS_SERVICES_RECEIVABLES_ANALYTICS_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "services/receivables/receivables_state.h"

namespace sixhearts::services::receivables {

// Bounds on caller-supplied options, so a request cannot ask for unbounded work.
inline constexpr size_t kMaxAgingBuckets = 64;
// Aging bucket bounds lie in [-kMaxAgingBoundDays, kMaxAgingBoundDays] (a century), so a
// bucket's label and its bounds (the next bound + 1) stay within int32 and mean something.
inline constexpr int64_t kMaxAgingBoundDays = 36'500;
inline constexpr int kMaxCountbackMonths = 1200;
inline constexpr int64_t kMaxPromiseToleranceDays = 3650;

// ------------------------------------------------------------------------------ aging

enum class AgingGroupBy {
  kClient,        // group key: client id
  kAccountOwner,  // group key: the owner's principal name; "" when none is assigned
  kJurisdiction,  // group key: the enum name, e.g. "JURISDICTION_CN"
  kClientKind,    // group key: the enum name, e.g. "CLIENT_KIND_GOVERNMENT_ORGAN"
  kCurrency,      // group key: the currency code (rows are per currency anyway)
};

struct AgingOptions {
  // Inclusive upper bounds, in days of age, of every bucket but the last, strictly
  // ascending; one more bucket holds everything older than the last bound. An invoice
  // goes in the first bucket whose bound is >= its age (age = as_of - due_date).
  // Default {0, 30, 60, 90, 180, 365}: not yet due, 1-30, 31-60, 61-90, 91-180,
  // 181-365, over 365. At most kMaxAgingBuckets - 1 bounds, each within
  // +-kMaxAgingBoundDays.
  std::vector<int64_t> bucket_upper_bounds_days = {0, 30, 60, 90, 180, 365};
  // Default: by client.
  AgingGroupBy group_by = AgingGroupBy::kClient;
  // Default: true. False leaves invoice_lines and credit_lines empty (totals only).
  bool include_lines = true;
};

struct AgingBucket {
  // "not yet due" for a first bucket bounded at 0, "1-30", ..., "over 365".
  std::string label;
  std::optional<int64_t> lower_bound_days;  // none for the first bucket
  std::optional<int64_t> upper_bound_days;  // none for the last bucket
};

// Drill-down: one invoice with a non-zero outstanding amount.
struct AgingInvoiceLine {
  std::string client_id;
  std::string invoice_id;
  std::string currency;
  absl::CivilDay due_date;
  int64_t age_days = 0;
  size_t bucket = 0;  // index into AgingReport::buckets
  int64_t outstanding_minor = 0;
  // The part of the outstanding amount under disputes open on as_of: the sum of their
  // amounts, capped at the outstanding amount (a payment may have reduced the invoice
  // below what was disputed).
  int64_t disputed_minor = 0;
};

enum class CreditLineKind {
  kUnappliedCash,     // source_id is the payment id
  kStandaloneCredit,  // source_id is the credit note id
};

// Drill-down: money the client holds to its credit, shown as a negative amount.
struct AgingCreditLine {
  std::string client_id;
  CreditLineKind kind = CreditLineKind::kUnappliedCash;
  std::string source_id;
  std::string currency;
  absl::CivilDay dated;      // payment value date or credit note issue date
  int64_t amount_minor = 0;  // < 0
};

// One group in one currency.
struct AgingRow {
  std::string group;  // see AgingGroupBy; "" in AgingReport::totals
  std::string currency;
  // Outstanding invoice amounts per bucket, disputed ones included.
  std::vector<int64_t> outstanding_by_bucket_minor;
  // The disputed part of the above, per bucket.
  std::vector<int64_t> disputed_by_bucket_minor;
  int64_t outstanding_minor = 0;        // sum of outstanding_by_bucket_minor
  int64_t disputed_minor = 0;           // sum of disputed_by_bucket_minor
  int64_t unapplied_cash_minor = 0;     // <= 0
  int64_t standalone_credit_minor = 0;  // <= 0
  // outstanding + unapplied cash + standalone credits: what the group owes net.
  int64_t net_minor = 0;
  std::vector<AgingInvoiceLine> invoice_lines;  // by client id, then invoice id
  std::vector<AgingCreditLine> credit_lines;    // by client id, kind, source id
};

struct AgingReport {
  absl::CivilDay as_of;
  std::vector<AgingBucket> buckets;
  std::vector<AgingRow> rows;    // ordered by group, then currency
  std::vector<AgingRow> totals;  // one per currency, ordered by currency; no lines
};

// Ages every invoice issued on or before as_of with a non-zero outstanding amount on
// as_of, plus the unapplied cash and standalone credits held on as_of. A partly paid
// invoice stays in its bucket: age depends on the due date only. Rows with nothing in
// them are left out.
// Errors: INVALID_ARGUMENT for bounds that are not strictly ascending or too many.
absl::StatusOr<AgingReport> ComputeAging(const ReceivablesState& state, absl::CivilDay as_of,
                                         const AgingOptions& options = {});

// ComputeAging in parts, for a state read client by client (a stored view): Add the
// clients in ascending id order, each once, then Finish. The report equals ComputeAging's
// on the union of the clients added.
class AgingBuilder {
 public:
  // INVALID_ARGUMENT as ComputeAging.
  static absl::StatusOr<AgingBuilder> Make(absl::CivilDay as_of, const AgingOptions& options);
  void Add(const ReceivablesState& state);
  void AddClient(const std::string& client_id, const Client& client);
  AgingReport Finish() &&;

 private:
  AgingBuilder() = default;
  absl::CivilDay as_of_;
  AgingOptions options_;
  std::vector<AgingBucket> buckets_;
  std::map<std::pair<std::string, std::string>, AgingRow> rows_;
};

// -------------------------------------------------------------------------------- DSO

enum class DsoMethod { kCountback, kSimple };

struct DsoOptions {
  // Which DSO figure is reported as DsoReport::dso_days and used for ADD.
  // Default: countback, DOMAIN.md's default DSO.
  DsoMethod method = DsoMethod::kCountback;
  // How many calendar months countback may walk back, the period's end month included.
  // Default 36; at most kMaxCountbackMonths.
  int countback_max_months = 36;
  // Restricts every figure to these clients; empty (the default) means all clients.
  std::vector<std::string> client_ids;
};

// DSO-family figures for one currency over the period [from, to] (both inclusive).
//
// Definitions (D = to - from + 1 days; credit sales = sum of the amounts of invoices whose
// issue date is in the period; ending AR = AR on `to`; beginning AR = AR on from - 1;
// current AR = the ending AR of invoices not past due on `to`, i.e. due_date >= to):
// - simple DSO = ending AR / credit sales * D.
// - countback DSO: remainder = ending AR. Walk calendar months back from the month of
//   `to`: the first month is cut at `to` (its sales are invoices issued from its first
//   day to `to`, its days are to.day()), earlier months are whole. While the remainder
//   is not smaller than the month's sales, subtract them and add the month's days (a
//   month without sales adds its days whole); then add remainder / sales * days for the
//   month where it is smaller, and stop. A remainder of exactly zero stops the walk.
//   The walk is not bound by `from`: AR left from older sales counts back into older
//   months. It ends after countback_max_months; if AR is still left then, the result is
//   the days walked (a lower bound) and countback_sales_exhausted is set. Because AR
//   can never exceed the sales that created it, that only happens when the limit is
//   shorter than the age of the oldest open invoice.
// - best possible DSO = current AR / credit sales * D.
// - ADD (average days delinquent) = dso_days - best possible DSO.
// - CEI = (beginning AR + credit sales - ending AR) /
//         (beginning AR + credit sales - current AR) * 100.
// A figure whose divisor is zero is nullopt.
struct DsoReport {
  std::string currency;
  absl::CivilDay from;
  absl::CivilDay to;
  int64_t period_days = 0;
  int64_t credit_sales_minor = 0;
  int64_t beginning_ar_minor = 0;
  int64_t ending_ar_minor = 0;
  int64_t ending_current_ar_minor = 0;
  std::optional<double> simple_dso_days;
  std::optional<double> countback_dso_days;
  int countback_months_walked = 0;
  bool countback_sales_exhausted = false;
  std::optional<double> dso_days;  // simple or countback per DsoOptions::method
  std::optional<double> best_possible_dso_days;
  std::optional<double> average_days_delinquent;
  std::optional<double> cei_percent;
};

// One report per currency with an invoice issued on or before `to`, ordered by currency.
// Errors: INVALID_ARGUMENT when from > to or countback_max_months is out of [1,
// kMaxCountbackMonths].
absl::StatusOr<std::vector<DsoReport>> ComputeDso(const ReceivablesState& state,
                                                  absl::CivilDay from, absl::CivilDay to,
                                                  const DsoOptions& options = {});

// ------------------------------------------------------------------------- days late

// Days late of one invoice as seen on as_of: max(0, end - due_date), where end is the day
// the invoice was settled (Invoice::SettledOn: the day its outstanding amount reached
// zero, by the allocation, credit note or write-off that brought it there, and stayed
// there) or as_of while it is still owed. nullopt when the invoice was not yet issued on
// as_of. Reproduces the IBM sample's DaysLate = max(0, SettledDate - DueDate).
std::optional<int64_t> InvoiceDaysLate(const Invoice& invoice, absl::CivilDay as_of);

struct DaysLateOptions {
  // Only invoices due on or after this day; default: no lower limit.
  std::optional<absl::CivilDay> due_from;
  // Restricts to these clients; empty (the default) means all clients.
  std::vector<std::string> client_ids;
};

// Amount-weighted average days late for one currency:
//   sum(amount * InvoiceDaysLate) / sum(amount)
// over invoices issued and due on or before as_of (and due on or after due_from), where
// amount is the invoice's billed amount. Days late are floored at 0, so early payment
// does not offset late payment.
struct DaysLateReport {
  std::string currency;
  int64_t invoice_count = 0;
  int64_t billed_minor = 0;                 // the weights' sum
  std::optional<double> average_days_late;  // nullopt when billed_minor is 0
};

// One report per currency with at least one invoice in scope, ordered by currency.
std::vector<DaysLateReport> ComputeAverageDaysLate(const ReceivablesState& state,
                                                   absl::CivilDay as_of,
                                                   const DaysLateOptions& options = {});

// -------------------------------------------------------------------------- promises

struct PromiseOptions {
  // A promise is judged on promised_date + tolerance_days, and only once as_of has
  // reached that day. Default 3; 0..kMaxPromiseToleranceDays.
  int64_t tolerance_days = 3;
};

enum class PromiseStatus { kOpen, kKept, kPartiallyKept, kBroken };

// Payments counted toward a promise: in the promise's currency, with a value date from
// the promise's made_on to its judgement day (both inclusive, and never after as_of),
// and not reversed on or before as_of. When the promise names invoices, only the parts
// of those payments allocated to the named invoices on or before the judgement day
// count (cash allocated later to them was not paid "toward the promise" in time).
// Kept: counted >= amount; partially kept: 0 < counted < amount; broken: nothing
// counted. Promises made after as_of, and promises cancelled on or before as_of, are
// left out: a cancelled promise is never judged.
struct PromiseLine {
  std::string client_id;
  std::string promise_id;
  std::string currency;
  int64_t amount_minor = 0;
  absl::CivilDay made_on;
  absl::CivilDay promised_date;
  absl::CivilDay judged_on;  // promised_date + tolerance_days
  std::vector<std::string> invoice_ids;
  int64_t received_minor = 0;  // counted so far (open) or by judged_on (judged)
  PromiseStatus status = PromiseStatus::kOpen;
};

struct PromiseReport {
  absl::CivilDay as_of;
  std::vector<PromiseLine> open;    // by client id, promise id
  std::vector<PromiseLine> judged;  // by client id, promise id
  int64_t kept_count = 0;
  int64_t partially_kept_count = 0;
  int64_t broken_count = 0;
  // broken_count / judged.size(); nullopt when nothing was judged.
  std::optional<double> broken_rate;
};

// Errors: INVALID_ARGUMENT when tolerance_days is out of range.
absl::StatusOr<PromiseReport> ComputePromises(const ReceivablesState& state, absl::CivilDay as_of,
                                              const PromiseOptions& options = {});

// -------------------------------------------------------------------------- disputes

struct DisputeLine {
  std::string client_id;
  std::string dispute_id;
  std::string invoice_id;
  std::string currency;  // the invoice's
  int64_t amount_minor = 0;
  std::string reason;
  absl::CivilDay opened_on;
  // Set for resolved disputes (resolved on or before as_of).
  std::optional<DisputeResolution> resolution;
};

struct DisputeReport {
  absl::CivilDay as_of;
  std::vector<DisputeLine> open;      // opened on or before as_of, not yet resolved then
  std::vector<DisputeLine> resolved;  // resolved on or before as_of
};

DisputeReport ComputeDisputes(const ReceivablesState& state, absl::CivilDay as_of);

}  // namespace sixhearts::services::receivables

#endif  // SIXHEARTS_SERVICES_RECEIVABLES_ANALYTICS_H_
