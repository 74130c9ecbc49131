// Six-hearts analytics read from a RelationshipsState (and, for payment outcomes, a
// receivables::ReceivablesState) as of a civil day: scorecards per client and per account
// owner, the trust-building timeline of a client, collection plans (回款计划), a ranked
// worklist and portfolio evidence relating relationship health to payment behaviour.
// Every function is pure: the same states, day and options give the same report, so a
// live view, a rebuild and an as-of replay agree. Every default below is an option.
//
// Payment figures are not recomputed here: overdue amounts come from
// receivables::ComputeAging, days late from receivables::ComputeAverageDaysLate and
// Invoice::SettledOn, promises from receivables::ComputePromises and disputes from
// receivables::ComputeDisputes.
//
// Clients: a client is in scope on day d when either state knows it by then (a relationship
// event dated on or before d, or an invoice issued, a payment received or a promise made on
// or before d). A client the relationship projection has never seen scores 0 on every
// cadence heart: no relationship is exactly what the method warns about.
//
// "Due on the as-of day": an item (plan step, follow-up, invoice) due on the as-of day is
// judged only once it is done; until the day is over it is neither a hit nor a miss.
#ifndef SIXHEARTS_SERVICES_RELATIONSHIPS_ANALYTICS_H_
#define SIXHEARTS_SERVICES_RELATIONSHIPS_ANALYTICS_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "services/receivables/analytics.h"
#include "services/receivables/receivables_state.h"
#include "services/relationships/hearts.h"
#include "services/relationships/relationships_state.h"

namespace sixhearts::services::relationships {

// Bounds on caller-supplied options, so a request cannot ask for unbounded work.
inline constexpr int64_t kMaxWindowDays = 3650;
inline constexpr int64_t kMaxCadenceDays = 3650;
inline constexpr int kMaxSeriesMonths = 120;
inline constexpr size_t kMaxWorklistRows = 10'000;
inline constexpr size_t kMaxEvidenceBands = 20;

// -------------------------------------------------------------------------- scorecard

struct ScorecardOptions {
  // The look-back window in days, ending on (and including) the as-of day. Default 180.
  int64_t window_days = 180;
  // Cadence in days of each heart: how often it should be practised. A cadence heart's
  // score is its coverage: of the floor(window_days / cadence) periods of `cadence` days
  // counted back from the as-of day (period k holds the days as_of - (k+1)*cadence + 1 ..
  // as_of - k*cadence), the share holding at least one event of the heart. A cadence
  // longer than the window leaves no period: the heart is then not applicable.
  // Defaults: trust 90, care 30, listening 60, communication 14, feedback 90.
  // Execution is scored by due dates instead (see execution below); its cadence, default
  // 30, is used only for the neglect alert.
  std::array<int64_t, kHeartCount> cadence_days = {90, 30, 60, 14, 30, 90};
  // Listening averages its coverage with the share of concerns raised in the window and
  // judged by the as-of day that were resolved within this many days (resolved_on -
  // raised_on <= it). A concern is judged once resolved or once this many days have
  // passed unresolved (raised_on + days < as_of); no judged concern leaves coverage
  // alone. Default 30.
  int64_t concern_resolution_days = 30;
  // Restricts the report to these clients; empty (the default) means all.
  std::vector<std::string> client_ids;
};

// Errors: INVALID_ARGUMENT when a field is out of [1, its kMax...] range.
absl::Status ValidateScorecardOptions(const ScorecardOptions& options);

struct HeartScore {
  v1::Heart heart = v1::HEART_UNSPECIFIED;
  // 0..1; nullopt when not applicable.
  std::optional<double> score;
  // Cadence hearts (all but execution): the periods counted and those with an event.
  int64_t periods = 0;
  int64_t periods_covered = 0;
  // Listening only: concerns raised in the window and judged, and those resolved in time.
  int64_t concerns_judged = 0;
  int64_t concerns_resolved_in_time = 0;
  // Execution only: plan steps and follow-ups due in the window (see the file comment for
  // the as-of day) and those completed on or before their due date. Execution is the share
  // on time; late and missing are misses; none due means not applicable.
  int64_t items_due = 0;
  int64_t items_on_time = 0;
  // The last day on or before as_of the heart was practised.
  std::optional<absl::CivilDay> last_event_on;
};

enum class NeglectKind {
  kHeart,            // the heart's last event is older than its cadence (or never)
  kOverdueFollowUp,  // a follow-up due before as_of and not completed by as_of
  kOverduePlanStep,  // a plan step due before as_of and not completed by as_of
};

struct NeglectAlert {
  NeglectKind kind = NeglectKind::kHeart;
  // kHeart: the neglected heart; follow-up: the heart it serves; plan step: EXECUTION.
  v1::Heart heart = v1::HEART_UNSPECIFIED;
  // kHeart: ""; follow-up: its id; plan step: "<plan_id>/<step_id>".
  std::string item_id;
  // kHeart: the last event (nullopt: never). Items: nullopt.
  std::optional<absl::CivilDay> last_event_on;
  // kHeart: the cadence. Items: 0.
  int64_t cadence_days = 0;
  // kHeart: days since the last event (nullopt: never). Items: days past the due date.
  std::optional<int64_t> days;
  // Items: the due date.
  std::optional<absl::CivilDay> due_date;
  // One line for people, e.g. "care: last practised 2026-01-02, 45 days ago (cadence 30)".
  std::string message;
};

struct ClientScorecard {
  std::string client_id;
  std::string name;
  std::string account_owner;                   // as of the day; "" when none
  std::array<HeartScore, kHeartCount> hearts;  // HeartIndex order
  // 100 * the mean of the applicable hearts' scores; nullopt when none applies.
  std::optional<double> health_index;
  // Heart alerts in heart order, then overdue follow-ups and plan steps by due date, id.
  std::vector<NeglectAlert> alerts;
};

// Per account owner: each heart's score is the mean over the owner's clients where it
// applies; the health index is the mean of the clients' health indices (each client counts
// once, whatever its size).
struct OwnerScorecard {
  std::string account_owner;
  int64_t clients = 0;
  std::array<std::optional<double>, kHeartCount> heart_scores;
  std::optional<double> health_index;
  int64_t alerts = 0;
};

struct ScorecardReport {
  absl::CivilDay as_of;
  std::vector<ClientScorecard> clients;  // by client id
  std::vector<OwnerScorecard> owners;    // by owner ("" first: clients without owner)
};

// The scorecard of one client. `client` may be nullptr (a client known only to
// receivables): every cadence heart then scores 0. REQUIRES: the options are valid.
ClientScorecard ScoreClient(const ClientRelationship* client, std::string_view client_id,
                            absl::CivilDay as_of, const ScorecardOptions& options);

// Scorecards of the clients the relationship state knows on as_of (only that state: for
// clients known only to receivables use ScoreClient, or the worklist and evidence, which
// take both states). Errors: INVALID_ARGUMENT for invalid options.
absl::StatusOr<ScorecardReport> ComputeScorecard(const RelationshipsState& state,
                                                 absl::CivilDay as_of,
                                                 const ScorecardOptions& options = {});

// --------------------------------------------------------------------------- timeline

enum class MilestoneKind {
  kFirstContract,       // the earliest ContractSigned (by signed_on)
  kFirstOnTimePayment,  // the first invoice paid in full by its due date (day: settled on)
  kPromiseBroken,       // a promise judged broken (day: promised date + tolerance)
  kDisputeOpened,
  kDisputeResolved,
  kConcernResolved,
};

struct Milestone {
  MilestoneKind kind = MilestoneKind::kFirstContract;
  absl::CivilDay on;
  std::string subject_id;  // contract, invoice, promise, dispute or concern id
  std::string description;
};

// One month of the health-versus-payment series, measured on the month's last day (or on
// as_of for the as-of month).
struct MonthlyPoint {
  absl::CivilMonth month;
  absl::CivilDay measured_on;
  std::optional<double> health_index;
  // Outstanding on measured_on of invoices due before it, per currency (currency order).
  std::map<std::string, int64_t> overdue_minor;
  // Invoices due in the month up to measured_on (see the file comment for the as-of
  // day), and those paid in full by their due date as known on measured_on.
  int64_t invoices_due = 0;
  int64_t invoices_paid_on_time = 0;
  std::optional<double> on_time_share;  // nullopt when none was due
  // Promises judged in the month (promised date + tolerance), as known on as_of.
  int64_t promises_kept = 0;
  int64_t promises_partially_kept = 0;
  int64_t promises_broken = 0;
};

struct TimelineOptions {
  ScorecardOptions scorecard;            // for the monthly health index
  receivables::PromiseOptions promises;  // tolerance before a promise is judged
  // Months in the series, ending with the as-of month and starting no earlier than the
  // month the client became known. Default 12; 1..kMaxSeriesMonths.
  int series_months = 12;
};

struct ClientTimeline {
  std::string client_id;
  std::string name;
  // The kept entries dated on or before as_of, by day then position.
  std::vector<TimelineEntry> entries;
  // Entries the fold dropped for its per-client limit (FoldOptions); they are older by
  // arrival than every kept one.
  uint64_t entries_dropped = 0;
  std::vector<Milestone> milestones;  // by day, then kind, then subject id
  std::vector<MonthlyPoint> series;   // oldest month first
};

// Errors: INVALID_ARGUMENT for invalid options; NOT_FOUND when neither state knows the
// client on as_of.
absl::StatusOr<ClientTimeline> ComputeTimeline(const RelationshipsState& state,
                                               const receivables::ReceivablesState& receivables,
                                               std::string_view client_id, absl::CivilDay as_of,
                                               const TimelineOptions& options = {});

// ------------------------------------------------------------------------------ plans

enum class StepStatus {
  kDoneOnTime,  // completed on or before as_of and on or before its due date
  kDoneLate,    // completed on or before as_of, after its due date
  kOverdue,     // not completed by as_of, due before as_of
  kUpcoming,    // not completed by as_of, due on or after as_of
};

struct StepLine {
  std::string step_id;
  std::string action;
  absl::CivilDay due_date;
  int64_t expected_minor = 0;
  std::string currency;
  std::optional<absl::CivilDay> completed_on;  // only when on or before as_of
  StepStatus status = StepStatus::kUpcoming;
  // Done late: completed_on - due_date. Overdue: as_of - due_date. Otherwise 0.
  int64_t days_late = 0;
};

// Money of a plan in one currency. Collected money is the client's, not the plan's: the
// payments in that currency with a value date from the plan's first set day to as_of, not
// reversed by as_of, whichever invoices they paid (a payment does not name a plan).
struct PlanMoney {
  std::string currency;
  int64_t expected_minor = 0;      // all steps
  int64_t expected_due_minor = 0;  // steps due on or before as_of
  int64_t collected_minor = 0;
  // max(0, expected_due - collected): what should have arrived by now and has not.
  int64_t shortfall_minor = 0;
  // collected / expected; nullopt when nothing is expected.
  std::optional<double> progress;
};

struct PlanReport {
  std::string client_id;
  std::string plan_id;
  std::string owner;
  absl::CivilDay first_set_on;
  absl::CivilDay version_set_on;  // the version in force on as_of
  std::vector<StepLine> steps;    // in the version's order
  int64_t done_on_time = 0;
  int64_t done_late = 0;
  int64_t overdue = 0;
  int64_t upcoming = 0;
  std::vector<PlanMoney> money;  // by currency; steps without money are left out
};

struct PlansOptions {
  // Restricts the report to these clients; empty (the default) means all.
  std::vector<std::string> client_ids;
};

// The plans set on or before as_of, by client id then plan id.
std::vector<PlanReport> ComputePlans(const RelationshipsState& state,
                                     const receivables::ReceivablesState& receivables,
                                     absl::CivilDay as_of, const PlansOptions& options = {});

// --------------------------------------------------------------------------- worklist

// The default next action for each neglected heart (HeartIndex order).
std::array<std::string, kHeartCount> DefaultNextActions();

struct WorklistOptions {
  ScorecardOptions scorecard;
  receivables::PromiseOptions promises;
  // The collector or team: clients whose account owner on as_of is one of these; empty
  // (the default) means every client.
  std::vector<std::string> account_owners;

  // Score components; the score is their sum. Every component shows its input and points.
  // overdue amount: weight * the client's overdue amount / the largest overdue amount of a
  // client in scope in the same currency (the largest ratio when a client owes in several
  // currencies), so no exchange rate is needed. Default 40.
  double overdue_amount_weight = 40;
  // overdue age: weight * min(age of the oldest overdue invoice, cap) / cap. Defaults 20,
  // 180 days.
  double overdue_age_weight = 20;
  int64_t overdue_age_cap_days = 180;
  // broken promises: points for each promise judged broken in the scorecard window, at
  // most cap of them. Defaults 10 points, cap 3.
  double broken_promise_points = 10;
  int64_t broken_promise_cap = 3;
  // neglected hearts: points for each heart alert. Default 5.
  double neglected_heart_points = 5;
  // overdue follow-ups and plan steps: points for each. Default 3.
  double overdue_item_points = 3;
  // statutory deadline: client id -> the next statutory payment deadline, supplied by the
  // caller (from a statutory projection once one exists; none here). Points = weight *
  // (horizon - days until it) / horizon within the horizon, the whole weight once it has
  // passed, 0 beyond the horizon or when none is given. Defaults 30 points, 30 days.
  std::map<std::string, absl::CivilDay> statutory_deadlines;
  double statutory_deadline_weight = 30;
  int64_t statutory_horizon_days = 30;

  // What to suggest for each neglected heart (HeartIndex order).
  std::array<std::string, kHeartCount> next_actions = DefaultNextActions();
  // Rows returned, best first. Default 100; 1..kMaxWorklistRows. Clients scoring 0 are
  // left out: nothing to do.
  size_t max_rows = 100;
};

struct ScoreComponent {
  std::string name;         // "overdue amount", "overdue age", "broken promises", ...
  double input = 0;         // the raw figure: ratio, days, count
  double points = 0;        // what it adds to the score
  std::string explanation;  // e.g. "40 x 8000.00/10000.00 USD = 32.0"
};

struct NextAction {
  v1::Heart heart = v1::HEART_UNSPECIFIED;
  std::string action;
};

struct WorklistRow {
  int64_t rank = 0;  // 1 for the first
  std::string client_id;
  std::string name;
  std::string account_owner;
  double score = 0;
  std::vector<ScoreComponent> components;  // only those with points > 0
  std::vector<NextAction> next_actions;    // one per neglected heart, heart order
  std::optional<double> health_index;
};

struct Worklist {
  absl::CivilDay as_of;
  int64_t clients_considered = 0;
  std::vector<WorklistRow> rows;  // score descending, then client id
};

// Errors: INVALID_ARGUMENT for invalid options or negative weights.
absl::StatusOr<Worklist> ComputeWorklist(const RelationshipsState& state,
                                         const receivables::ReceivablesState& receivables,
                                         absl::CivilDay as_of, const WorklistOptions& options = {});

// --------------------------------------------------------------------------- evidence

struct EvidenceOptions {
  ScorecardOptions scorecard;
  receivables::PromiseOptions promises;
  // Lower bounds of the health-index bands, strictly ascending, the first 0: band i holds
  // [bound i, bound i+1), the last one up to 100 inclusive. Default {0, 40, 70}: 0-40,
  // 40-70, 70-100. At most kMaxEvidenceBands.
  std::vector<double> band_lower_bounds = {0, 40, 70};
  // A heart counts as practised by a client when its score is at least this. Default 0.5.
  double coverage_threshold = 0.5;
  // Payment behaviour is read over invoices due, and promises judged, in the last this
  // many days up to as_of. Default 180 (the scorecard's default window); 1..kMaxWindowDays.
  int64_t payment_window_days = 180;
};

struct PaymentBehaviour {
  int64_t clients = 0;
  // Amount-weighted average days late per currency (receivables::ComputeAverageDaysLate
  // over the group's invoices due in the payment window).
  std::vector<receivables::DaysLateReport> days_late;
  int64_t invoices_due = 0;
  int64_t invoices_paid_on_time = 0;  // paid in full by their due date
  std::optional<double> on_time_share;
  int64_t promises_judged = 0;
  int64_t promises_broken = 0;
  std::optional<double> broken_promise_rate;  // broken / judged
};

struct EvidenceBand {
  std::string label;  // "0-40"
  double lower = 0;
  double upper = 100;
  PaymentBehaviour behaviour;
};

struct HeartEvidence {
  v1::Heart heart = v1::HEART_UNSPECIFIED;
  PaymentBehaviour practised;      // score >= coverage_threshold
  PaymentBehaviour not_practised;  // score < coverage_threshold; n/a clients in neither
};

struct EvidenceReport {
  absl::CivilDay as_of;
  int64_t clients = 0;
  std::vector<EvidenceBand> bands;
  std::array<HeartEvidence, kHeartCount> hearts;
  // Pearson correlation over clients with an invoice due in the window between health
  // index and on-time share; nullopt with fewer than 3 such clients or no spread.
  std::optional<double> health_on_time_correlation;
  int64_t correlation_clients = 0;
  // The method's question, "do clients with healthier relationships pay better?",
  // answered in one paragraph from the figures above.
  std::string answer;
};

// Errors: INVALID_ARGUMENT for invalid options.
absl::StatusOr<EvidenceReport> ComputeEvidence(const RelationshipsState& state,
                                               const receivables::ReceivablesState& receivables,
                                               absl::CivilDay as_of,
                                               const EvidenceOptions& options = {});

}  // namespace sixhearts::services::relationships

#endif  // SIXHEARTS_SERVICES_RELATIONSHIPS_ANALYTICS_H_
