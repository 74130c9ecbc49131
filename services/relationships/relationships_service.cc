// Relationships RPCs: validate the request (messages name the field), read the relationship
// projection, and the receivables projection inside the same read when the report needs
// payment outcomes, as of the requested day and record time; run the pure analytics on the
// states and copy the report into the response.
#include "services/relationships/relationships_service.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "ledger/dates.h"
#include "ledger/quoted.h"
#include "services/grpc_status.h"
#include "services/projection/projection_rpc.h"
#include "services/receivables/analytics.h"
#include "services/receivables/receivables_fold.h"
#include "services/receivables/receivables_view.h"
#include "services/relationships/analytics.h"
#include "services/relationships/relationships_fold.h"
#include "services/relationships/relationships_view.h"
#include "services/relationships/text_format.h"
#include "services/request_fields.h"

namespace sixhearts::services::relationships {
namespace {

using ::sixhearts::services::DayOrToday;
using ::sixhearts::services::KnownAt;

using receivables::ReceivablesState;

// Ids a client_ids or account_owners filter may list: a filter is a short list people
// typed, and each id costs a scan of the list per client.
constexpr int kMaxFilterIds = 1'000;

grpc::Status NotReady() {
  return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                      "the relationship projections are still loading; retry shortly");
}

// An optional int32 request field: `fallback` when unset, else checked against [low, high].
absl::StatusOr<int64_t> OptionalInRange(bool present, int32_t value, const char* field,
                                        int64_t fallback, int64_t low, int64_t high) {
  if (!present) return fallback;
  if (value < low || value > high) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": must be in [", low, ", ", high, "], got ", value));
  }
  return value;
}

absl::StatusOr<std::vector<std::string>> Ids(
    const google::protobuf::RepeatedPtrField<std::string>& ids, const char* field,
    bool allow_empty_id) {
  if (ids.size() > kMaxFilterIds) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": at most ", kMaxFilterIds, " ids, got ", ids.size()));
  }
  for (const std::string& id : ids) {
    if (id.empty() && !allow_empty_id) {
      return absl::InvalidArgumentError(absl::StrCat(field, ": an empty id"));
    }
  }
  return std::vector<std::string>(ids.begin(), ids.end());
}

// The day and record time every report is read at.
struct ReadAt {
  absl::CivilDay day;
  std::optional<absl::Time> known_at;

  projection::AsOf as_of() const {
    projection::AsOf as_of;
    as_of.business_day = day;
    as_of.known_at = known_at;
    return as_of;
  }
};

template <typename Request>
absl::StatusOr<ReadAt> ReadAtOf(const Request& request, ledger::Clock* clock) {
  absl::StatusOr<absl::CivilDay> day =
      DayOrToday(request.has_as_of(), request.as_of(), "as_of", clock);
  if (!day.ok()) return day.status();
  absl::StatusOr<std::optional<absl::Time>> known_at =
      KnownAt(request.has_known_at(), request.known_at(), clock);
  if (!known_at.ok()) return known_at.status();
  return ReadAt{*day, *known_at};
}

// Hands the relationship state as `at` selects it, and its last position, to `use`.
template <typename Use>
absl::Status ReadRelationships(projection::ProjectionEngine* engine, const ReadAt& at, Use use) {
  return engine->Read(at.as_of(), [&](const projection::Fold& fold, uint64_t position) {
    // The engine only ever holds folds made by MakeRelationshipsFoldFactory().
    return use(static_cast<const RelationshipsFold&>(fold).state(), position);
  });
}

// Both states as `at` selects them, read together at one log position (the lock order
// of ProjectionEngine::ReadTogether), so each fold stays valid while the analytics hold
// references into both and both positions are the same.
template <typename Use>
absl::Status ReadBoth(projection::ProjectionEngine* relationships,
                      projection::ProjectionEngine* receivables, const ReadAt& at, Use use) {
  return projection::ProjectionEngine::ReadTogether(
      {relationships, receivables}, at.as_of(),
      [&](const std::vector<const projection::Fold*>& folds, uint64_t position) {
        // The engines only ever hold folds made by their factories.
        return use(static_cast<const RelationshipsFold&>(*folds[0]).state(),
                   static_cast<const receivables::ReceivablesFold&>(*folds[1]).state(), position,
                   position);
      });
}

// What a report reads of stored views: the clients it covers, and their timelines or not.
struct Scope {
  // Ascending, each once; empty: every client.
  std::vector<std::string> clients;
  bool timeline = false;

  static Scope Of(std::vector<std::string> clients, bool timeline) {
    std::sort(clients.begin(), clients.end());
    clients.erase(std::unique(clients.begin(), clients.end()), clients.end());
    return Scope{std::move(clients), timeline};
  }
};

// The relationship rows `scope` covers of a stored cut, in force on `at.day`, into `state`
// (made with the view's FoldOptions: ledgerd's are the defaults, server.cc).
absl::Status AddScope(const projection::ViewCut& cut, const Scope& scope, const ReadAt& at,
                      RelationshipsState& state) {
  if (scope.clients.empty()) return AddClientsRows(cut, at.day, state);
  for (const std::string& id : scope.clients) {
    if (absl::Status s = AddClientRows(cut, id, at.day, scope.timeline, state); !s.ok()) return s;
  }
  return absl::OkStatus();
}

// The relationship state of `scope` as `at` selects it, and its position, to `use`: from
// the stored view's rows of just those clients when it has reached the cut, else as Read
// gives the whole fold.
template <typename Use>
absl::Status ReadScope(projection::ProjectionEngine* engine, const ReadAt& at, const Scope& scope,
                       Use use) {
  absl::StatusOr<bool> stored = engine->ReadViewCut(
      at.as_of(), [&](const projection::ViewCut& cut, uint64_t position) -> absl::Status {
        RelationshipsState state;
        if (absl::Status s = AddScope(cut, scope, at, state); !s.ok()) return s;
        return use(state, position);
      });
  if (!stored.ok()) return stored.status();
  if (*stored) return absl::OkStatus();
  return ReadRelationships(engine, at, use);
}

// Both states of `scope` as `at` selects them, at one log position: from the stored views'
// rows of just those clients (both views' cuts at the same position) when both have
// reached the cut, else the whole folds read together.
template <typename Use>
absl::Status ReadBothScope(projection::ProjectionEngine* relationships,
                           projection::ProjectionEngine* receivables, const ReadAt& at,
                           const Scope& scope, Use use) {
  absl::StatusOr<bool> stored = projection::ProjectionEngine::ReadViewCutsTogether(
      {relationships, receivables}, at.as_of(),
      [&](const std::vector<const projection::ViewCut*>& cuts, uint64_t position) -> absl::Status {
        RelationshipsState state;
        if (absl::Status s = AddScope(*cuts[0], scope, at, state); !s.ok()) return s;
        static const std::shared_ptr<const projection::RowProjection> money_rows =
            receivables::MakeReceivablesRows();
        std::unique_ptr<projection::Fold> money = money_rows->NewFold();
        std::vector<std::optional<std::string_view>> clients;
        if (scope.clients.empty()) clients.push_back(std::nullopt);
        for (const std::string& id : scope.clients) clients.push_back(id);
        for (const std::optional<std::string_view>& client : clients) {
          if (absl::Status s = AddReceivablesRows(*cuts[1], *money_rows, client, at.day, *money);
              !s.ok()) {
            return s;
          }
        }
        // MakeReceivablesRows() makes ReceivablesFolds.
        return use(state, static_cast<const receivables::ReceivablesFold&>(*money).state(),
                   position, position);
      });
  if (!stored.ok()) return stored.status();
  if (*stored) return absl::OkStatus();
  return ReadBoth(relationships, receivables, at, use);
}

v1::Date DateOf(absl::CivilDay day) { return ledger::FromCivilDay(day); }

// Sets an optional Date field through `mutable_field` only when there is a day: calling a
// mutable_ accessor alone would mark the field present.
template <typename Message>
void SetDate(const std::optional<absl::CivilDay>& day, Message* message,
             v1::Date* (Message::*mutable_field)()) {
  if (day.has_value()) *(message->*mutable_field)() = DateOf(*day);
}

// -------------------------------------------------------------------------- scorecard

v1::NeglectKind ToProto(NeglectKind kind) {
  switch (kind) {
    case NeglectKind::kHeart:
      return v1::NEGLECT_KIND_HEART;
    case NeglectKind::kOverdueFollowUp:
      return v1::NEGLECT_KIND_OVERDUE_FOLLOW_UP;
    case NeglectKind::kOverduePlanStep:
      return v1::NEGLECT_KIND_OVERDUE_PLAN_STEP;
  }
  return v1::NEGLECT_KIND_UNSPECIFIED;
}

void ToProto(const ClientScorecard& card, v1::ClientScorecard* out) {
  out->set_client_id(card.client_id);
  out->set_name(card.name);
  out->set_account_owner(card.account_owner);
  for (const HeartScore& score : card.hearts) {
    v1::HeartScore* heart = out->add_hearts();
    heart->set_heart(score.heart);
    if (score.score.has_value()) heart->set_score(*score.score);
    heart->set_periods(score.periods);
    heart->set_periods_covered(score.periods_covered);
    heart->set_concerns_judged(score.concerns_judged);
    heart->set_concerns_resolved_in_time(score.concerns_resolved_in_time);
    heart->set_items_due(score.items_due);
    heart->set_items_on_time(score.items_on_time);
    SetDate(score.last_event_on, heart, &v1::HeartScore::mutable_last_event_on);
  }
  if (card.health_index.has_value()) out->set_health_index(*card.health_index);
  for (const NeglectAlert& alert : card.alerts) {
    v1::NeglectAlert* a = out->add_alerts();
    a->set_kind(ToProto(alert.kind));
    a->set_heart(alert.heart);
    a->set_item_id(alert.item_id);
    SetDate(alert.last_event_on, a, &v1::NeglectAlert::mutable_last_event_on);
    a->set_cadence_days(alert.cadence_days);
    if (alert.days.has_value()) a->set_days(*alert.days);
    SetDate(alert.due_date, a, &v1::NeglectAlert::mutable_due_date);
    a->set_message(alert.message);
  }
}

void ToProto(const OwnerScorecard& owner, v1::OwnerScorecard* out) {
  out->set_account_owner(owner.account_owner);
  out->set_clients(owner.clients);
  for (const v1::Heart heart : kAllHearts) {
    v1::OwnerHeartScore* score = out->add_hearts();
    score->set_heart(heart);
    const std::optional<double>& value = owner.heart_scores[HeartIndex(heart)];
    if (value.has_value()) score->set_score(*value);
  }
  if (owner.health_index.has_value()) out->set_health_index(*owner.health_index);
  out->set_alerts(owner.alerts);
}

bool Listed(const std::vector<std::string>& filter, const std::string& id) {
  if (filter.empty()) return true;
  for (const std::string& listed : filter) {
    if (listed == id) return true;
  }
  return false;
}

// --------------------------------------------------------------------------- timeline

v1::MilestoneKind ToProto(MilestoneKind kind) {
  switch (kind) {
    case MilestoneKind::kFirstContract:
      return v1::MILESTONE_KIND_FIRST_CONTRACT;
    case MilestoneKind::kFirstOnTimePayment:
      return v1::MILESTONE_KIND_FIRST_ON_TIME_PAYMENT;
    case MilestoneKind::kPromiseBroken:
      return v1::MILESTONE_KIND_PROMISE_BROKEN;
    case MilestoneKind::kDisputeOpened:
      return v1::MILESTONE_KIND_DISPUTE_OPENED;
    case MilestoneKind::kDisputeResolved:
      return v1::MILESTONE_KIND_DISPUTE_RESOLVED;
    case MilestoneKind::kConcernResolved:
      return v1::MILESTONE_KIND_CONCERN_RESOLVED;
  }
  return v1::MILESTONE_KIND_UNSPECIFIED;
}

void ToProto(const ClientTimeline& timeline, v1::TimelineResponse* out) {
  out->set_client_id(timeline.client_id);
  out->set_name(timeline.name);
  for (const TimelineEntry& entry : timeline.entries) {
    v1::TimelineEntry* e = out->add_entries();
    e->set_position(entry.position);
    e->set_type(entry.type);
    *e->mutable_day() = DateOf(entry.on);
    for (const v1::Heart heart : entry.hearts.ToVector()) e->add_hearts(heart);
    e->set_actor(entry.actor);
    e->set_hash_prefix(entry.hash_prefix);
    e->set_summary(entry.summary);
  }
  out->set_entries_dropped(timeline.entries_dropped);
  for (const Milestone& milestone : timeline.milestones) {
    v1::Milestone* m = out->add_milestones();
    m->set_kind(ToProto(milestone.kind));
    *m->mutable_day() = DateOf(milestone.on);
    m->set_subject_id(milestone.subject_id);
    m->set_description(milestone.description);
  }
  for (const MonthlyPoint& point : timeline.series) {
    v1::MonthlyPoint* p = out->add_series();
    *p->mutable_month() = DateOf(absl::CivilDay(point.month));
    *p->mutable_measured_on() = DateOf(point.measured_on);
    if (point.health_index.has_value()) p->set_health_index(*point.health_index);
    for (const auto& [currency, minor] : point.overdue_minor) {
      v1::CurrencyAmount* amount = p->add_overdue();
      amount->set_currency(currency);
      amount->set_amount_minor(minor);
    }
    p->set_invoices_due(point.invoices_due);
    p->set_invoices_paid_on_time(point.invoices_paid_on_time);
    if (point.on_time_share.has_value()) p->set_on_time_share(*point.on_time_share);
    p->set_promises_kept(point.promises_kept);
    p->set_promises_partially_kept(point.promises_partially_kept);
    p->set_promises_broken(point.promises_broken);
  }
}

// ------------------------------------------------------------------------------ plans

v1::PlanStepStatus ToProto(StepStatus status) {
  switch (status) {
    case StepStatus::kDoneOnTime:
      return v1::PLAN_STEP_STATUS_DONE_ON_TIME;
    case StepStatus::kDoneLate:
      return v1::PLAN_STEP_STATUS_DONE_LATE;
    case StepStatus::kOverdue:
      return v1::PLAN_STEP_STATUS_OVERDUE;
    case StepStatus::kUpcoming:
      return v1::PLAN_STEP_STATUS_UPCOMING;
  }
  return v1::PLAN_STEP_STATUS_UNSPECIFIED;
}

void ToProto(const PlanReport& plan, v1::CollectionPlanReport* out) {
  out->set_client_id(plan.client_id);
  out->set_plan_id(plan.plan_id);
  out->set_owner(plan.owner);
  *out->mutable_first_set_on() = DateOf(plan.first_set_on);
  *out->mutable_version_set_on() = DateOf(plan.version_set_on);
  for (const StepLine& step : plan.steps) {
    v1::PlanStepLine* s = out->add_steps();
    s->set_step_id(step.step_id);
    s->set_action(step.action);
    *s->mutable_due_date() = DateOf(step.due_date);
    s->set_expected_minor(step.expected_minor);
    s->set_currency(step.currency);
    SetDate(step.completed_on, s, &v1::PlanStepLine::mutable_completed_on);
    s->set_status(ToProto(step.status));
    s->set_days_late(step.days_late);
  }
  out->set_done_on_time(plan.done_on_time);
  out->set_done_late(plan.done_late);
  out->set_overdue(plan.overdue);
  out->set_upcoming(plan.upcoming);
  for (const PlanMoney& money : plan.money) {
    v1::PlanMoney* m = out->add_money();
    m->set_currency(money.currency);
    m->set_expected_minor(money.expected_minor);
    m->set_expected_due_minor(money.expected_due_minor);
    m->set_collected_minor(money.collected_minor);
    m->set_shortfall_minor(money.shortfall_minor);
    if (money.progress.has_value()) m->set_progress(*money.progress);
  }
}

// --------------------------------------------------------------------------- worklist

void ToProto(const WorklistRow& row, v1::WorklistRow* out) {
  out->set_rank(row.rank);
  out->set_client_id(row.client_id);
  out->set_name(row.name);
  out->set_account_owner(row.account_owner);
  out->set_score(row.score);
  for (const ScoreComponent& component : row.components) {
    v1::ScoreComponent* c = out->add_components();
    c->set_name(component.name);
    c->set_input(component.input);
    c->set_points(component.points);
    c->set_explanation(component.explanation);
  }
  for (const NextAction& action : row.next_actions) {
    v1::NextAction* a = out->add_next_actions();
    a->set_heart(action.heart);
    a->set_action(action.action);
  }
  if (row.health_index.has_value()) out->set_health_index(*row.health_index);
}

// --------------------------------------------------------------------------- evidence

void ToProto(const PaymentBehaviour& behaviour, v1::PaymentBehaviour* out) {
  out->set_clients(behaviour.clients);
  for (const receivables::DaysLateReport& late : behaviour.days_late) {
    v1::CurrencyDaysLate* l = out->add_days_late();
    l->set_currency(late.currency);
    l->set_invoice_count(late.invoice_count);
    l->set_billed_minor(late.billed_minor);
    if (late.average_days_late.has_value()) l->set_average_days_late(*late.average_days_late);
  }
  out->set_invoices_due(behaviour.invoices_due);
  out->set_invoices_paid_on_time(behaviour.invoices_paid_on_time);
  if (behaviour.on_time_share.has_value()) out->set_on_time_share(*behaviour.on_time_share);
  out->set_promises_judged(behaviour.promises_judged);
  out->set_promises_broken(behaviour.promises_broken);
  if (behaviour.broken_promise_rate.has_value()) {
    out->set_broken_promise_rate(*behaviour.broken_promise_rate);
  }
}

void ToProto(const EvidenceReport& report, v1::EvidenceResponse* out) {
  out->set_clients(report.clients);
  for (const EvidenceBand& band : report.bands) {
    v1::EvidenceBand* b = out->add_bands();
    b->set_label(band.label);
    b->set_lower(band.lower);
    b->set_upper(band.upper);
    ToProto(band.behaviour, b->mutable_behaviour());
  }
  for (const HeartEvidence& heart : report.hearts) {
    v1::HeartEvidence* h = out->add_hearts();
    h->set_heart(heart.heart);
    ToProto(heart.practised, h->mutable_practised());
    ToProto(heart.not_practised, h->mutable_not_practised());
  }
  if (report.health_on_time_correlation.has_value()) {
    out->set_health_on_time_correlation(*report.health_on_time_correlation);
  }
  out->set_correlation_clients(report.correlation_clients);
  out->set_answer(report.answer);
}

// Unset request options take the analytics' own defaults, so the two never disagree.
absl::StatusOr<int64_t> WindowDays(bool present, int32_t value) {
  return OptionalInRange(present, value, "window_days", ScorecardOptions().window_days, 1,
                         kMaxWindowDays);
}

absl::StatusOr<int64_t> ToleranceDays(bool present, int32_t value) {
  return OptionalInRange(present, value, "tolerance_days",
                         receivables::PromiseOptions().tolerance_days, 0,
                         receivables::kMaxPromiseToleranceDays);
}

}  // namespace

void RelationshipsService::Attach(projection::ProjectionEngine* relationships,
                                  projection::ProjectionEngine* receivables) {
  absl::MutexLock lock(&mu_);
  if (relationships == nullptr || receivables == nullptr) {
    engines_ = Engines{};
  } else {
    engines_ = Engines{relationships, receivables};
  }
}

RelationshipsService::Engines RelationshipsService::engines() const {
  absl::MutexLock lock(&mu_);
  return engines_;
}

grpc::Status RelationshipsService::Scorecard(grpc::ServerContext* /*context*/,
                                             const v1::ScorecardRequest* request,
                                             v1::ScorecardResponse* response) {
  const Engines engines = this->engines();
  if (engines.relationships == nullptr) return NotReady();
  absl::StatusOr<ReadAt> at = ReadAtOf(*request, clock_);
  if (!at.ok()) return ToGrpcStatus(at.status());
  ScorecardOptions options;
  absl::StatusOr<int64_t> window = WindowDays(request->has_window_days(), request->window_days());
  if (!window.ok()) return ToGrpcStatus(window.status());
  options.window_days = *window;
  absl::StatusOr<std::vector<std::string>> clients =
      Ids(request->client_ids(), "client_ids", false);
  if (!clients.ok()) return ToGrpcStatus(clients.status());
  options.client_ids = *std::move(clients);
  // "" is a real owner filter value: the clients nobody owns.
  absl::StatusOr<std::vector<std::string>> owners =
      Ids(request->account_owners(), "account_owners", true);
  if (!owners.ok()) return ToGrpcStatus(owners.status());

  const Scope scope = Scope::Of(options.client_ids, false);
  absl::Status status = ReadScope(
      engines.relationships, *at, scope, [&](const RelationshipsState& state, uint64_t position) {
        absl::StatusOr<ScorecardReport> report = ComputeScorecard(state, at->day, options);
        if (!report.ok()) return report.status();
        for (const ClientScorecard& card : report->clients) {
          if (Listed(*owners, card.account_owner)) ToProto(card, response->add_clients());
        }
        for (const OwnerScorecard& owner : report->owners) {
          if (Listed(*owners, owner.account_owner)) ToProto(owner, response->add_owners());
        }
        response->set_position(position);
        return absl::OkStatus();
      });
  if (!status.ok()) return ToGrpcStatus(status);
  *response->mutable_as_of() = DateOf(at->day);
  if (request->has_known_at()) *response->mutable_known_at() = request->known_at();
  response->set_window_days(static_cast<int32_t>(options.window_days));
  if (absl::Status s = engines.relationships->store().OpenViewTexts(response); !s.ok()) {
    return ToGrpcStatus(s);
  }
  return grpc::Status::OK;
}

grpc::Status RelationshipsService::Timeline(grpc::ServerContext* /*context*/,
                                            const v1::TimelineRequest* request,
                                            v1::TimelineResponse* response) {
  const Engines engines = this->engines();
  if (engines.relationships == nullptr) return NotReady();
  if (request->client_id().empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "client_id: required");
  }
  absl::StatusOr<ReadAt> at = ReadAtOf(*request, clock_);
  if (!at.ok()) return ToGrpcStatus(at.status());
  TimelineOptions options;
  absl::StatusOr<int64_t> window = WindowDays(request->has_window_days(), request->window_days());
  if (!window.ok()) return ToGrpcStatus(window.status());
  options.scorecard.window_days = *window;
  absl::StatusOr<int64_t> tolerance =
      ToleranceDays(request->has_tolerance_days(), request->tolerance_days());
  if (!tolerance.ok()) return ToGrpcStatus(tolerance.status());
  options.promises.tolerance_days = *tolerance;
  absl::StatusOr<int64_t> months =
      OptionalInRange(request->has_series_months(), request->series_months(), "series_months",
                      TimelineOptions().series_months, 1, kMaxSeriesMonths);
  if (!months.ok()) return ToGrpcStatus(months.status());
  options.series_months = static_cast<int>(*months);

  absl::Status status = ReadBothScope(
      engines.relationships, engines.receivables, *at, Scope::Of({request->client_id()}, true),
      [&](const RelationshipsState& state, const ReceivablesState& money, uint64_t position,
          uint64_t receivables_position) -> absl::Status {
        absl::StatusOr<ClientTimeline> timeline =
            ComputeTimeline(state, money, request->client_id(), at->day, options);
        if (absl::IsNotFound(timeline.status())) {
          // The analytics' message does not name the request field; this one does.
          return absl::NotFoundError(absl::StrCat("client_id: no client ",
                                                  ledger::QuotedInput(request->client_id()), " on ",
                                                  ledger::FormatDate(DateOf(at->day))));
        }
        if (!timeline.ok()) return timeline.status();
        ToProto(*timeline, response);
        response->set_position(position);
        response->set_receivables_position(receivables_position);
        return absl::OkStatus();
      });
  if (!status.ok()) return ToGrpcStatus(status);
  *response->mutable_as_of() = DateOf(at->day);
  if (request->has_known_at()) *response->mutable_known_at() = request->known_at();
  response->set_tolerance_days(static_cast<int32_t>(options.promises.tolerance_days));
  response->set_window_days(static_cast<int32_t>(options.scorecard.window_days));
  if (absl::Status s = engines.relationships->store().OpenViewTexts(response); !s.ok()) {
    return ToGrpcStatus(s);
  }
  // The personal text a summary shows is cut to the line's length once opened.
  for (v1::TimelineEntry& entry : *response->mutable_entries()) {
    entry.set_summary(Truncated(entry.summary(), kMaxTimelineSummaryBytes));
  }
  return grpc::Status::OK;
}

grpc::Status RelationshipsService::Plans(grpc::ServerContext* /*context*/,
                                         const v1::PlansRequest* request,
                                         v1::PlansResponse* response) {
  const Engines engines = this->engines();
  if (engines.relationships == nullptr) return NotReady();
  absl::StatusOr<ReadAt> at = ReadAtOf(*request, clock_);
  if (!at.ok()) return ToGrpcStatus(at.status());
  PlansOptions options;
  absl::StatusOr<std::vector<std::string>> clients =
      Ids(request->client_ids(), "client_ids", false);
  if (!clients.ok()) return ToGrpcStatus(clients.status());
  options.client_ids = *std::move(clients);

  absl::Status status = ReadBothScope(
      engines.relationships, engines.receivables, *at, Scope::Of(options.client_ids, false),
      [&](const RelationshipsState& state, const ReceivablesState& money, uint64_t position,
          uint64_t receivables_position) {
        for (const PlanReport& plan : ComputePlans(state, money, at->day, options)) {
          ToProto(plan, response->add_plans());
        }
        response->set_position(position);
        response->set_receivables_position(receivables_position);
        return absl::OkStatus();
      });
  if (!status.ok()) return ToGrpcStatus(status);
  *response->mutable_as_of() = DateOf(at->day);
  if (request->has_known_at()) *response->mutable_known_at() = request->known_at();
  if (absl::Status s = engines.relationships->store().OpenViewTexts(response); !s.ok()) {
    return ToGrpcStatus(s);
  }
  return grpc::Status::OK;
}

grpc::Status RelationshipsService::Worklist(grpc::ServerContext* /*context*/,
                                            const v1::WorklistRequest* request,
                                            v1::WorklistResponse* response) {
  const Engines engines = this->engines();
  if (engines.relationships == nullptr) return NotReady();
  absl::StatusOr<ReadAt> at = ReadAtOf(*request, clock_);
  if (!at.ok()) return ToGrpcStatus(at.status());
  WorklistOptions options;
  absl::StatusOr<std::vector<std::string>> owners =
      Ids(request->account_owners(), "account_owners", true);
  if (!owners.ok()) return ToGrpcStatus(owners.status());
  options.account_owners = *std::move(owners);
  absl::StatusOr<int64_t> window = WindowDays(request->has_window_days(), request->window_days());
  if (!window.ok()) return ToGrpcStatus(window.status());
  options.scorecard.window_days = *window;
  absl::StatusOr<int64_t> tolerance =
      ToleranceDays(request->has_tolerance_days(), request->tolerance_days());
  if (!tolerance.ok()) return ToGrpcStatus(tolerance.status());
  options.promises.tolerance_days = *tolerance;
  absl::StatusOr<int64_t> rows = OptionalInRange(
      request->has_max_rows(), request->max_rows(), "max_rows",
      static_cast<int64_t>(WorklistOptions().max_rows), 1, static_cast<int64_t>(kMaxWorklistRows));
  if (!rows.ok()) return ToGrpcStatus(rows.status());
  options.max_rows = static_cast<size_t>(*rows);

  absl::Status status =
      ReadBothScope(engines.relationships, engines.receivables, *at, Scope{},
                    [&](const RelationshipsState& state, const ReceivablesState& money,
                        uint64_t position, uint64_t receivables_position) {
                      absl::StatusOr<relationships::Worklist> worklist =
                          ComputeWorklist(state, money, at->day, options);
                      if (!worklist.ok()) return worklist.status();
                      response->set_clients_considered(worklist->clients_considered);
                      for (const WorklistRow& row : worklist->rows)
                        ToProto(row, response->add_rows());
                      response->set_position(position);
                      response->set_receivables_position(receivables_position);
                      return absl::OkStatus();
                    });
  if (!status.ok()) return ToGrpcStatus(status);
  *response->mutable_as_of() = DateOf(at->day);
  if (request->has_known_at()) *response->mutable_known_at() = request->known_at();
  if (absl::Status s = engines.relationships->store().OpenViewTexts(response); !s.ok()) {
    return ToGrpcStatus(s);
  }
  return grpc::Status::OK;
}

grpc::Status RelationshipsService::Evidence(grpc::ServerContext* /*context*/,
                                            const v1::EvidenceRequest* request,
                                            v1::EvidenceResponse* response) {
  const Engines engines = this->engines();
  if (engines.relationships == nullptr) return NotReady();
  absl::StatusOr<ReadAt> at = ReadAtOf(*request, clock_);
  if (!at.ok()) return ToGrpcStatus(at.status());
  EvidenceOptions options;
  absl::StatusOr<int64_t> window = WindowDays(request->has_window_days(), request->window_days());
  if (!window.ok()) return ToGrpcStatus(window.status());
  // One window for both sides of the comparison: the hearts scored and the payments
  // judged cover the same days.
  options.scorecard.window_days = *window;
  options.payment_window_days = *window;
  absl::StatusOr<int64_t> tolerance =
      ToleranceDays(request->has_tolerance_days(), request->tolerance_days());
  if (!tolerance.ok()) return ToGrpcStatus(tolerance.status());
  options.promises.tolerance_days = *tolerance;

  absl::Status status = ReadBothScope(
      engines.relationships, engines.receivables, *at, Scope{},
      [&](const RelationshipsState& state, const ReceivablesState& money, uint64_t position,
          uint64_t receivables_position) {
        absl::StatusOr<EvidenceReport> report = ComputeEvidence(state, money, at->day, options);
        if (!report.ok()) return report.status();
        ToProto(*report, response);
        response->set_position(position);
        response->set_receivables_position(receivables_position);
        return absl::OkStatus();
      });
  if (!status.ok()) return ToGrpcStatus(status);
  *response->mutable_as_of() = DateOf(at->day);
  if (request->has_known_at()) *response->mutable_known_at() = request->known_at();
  response->set_window_days(static_cast<int32_t>(*window));
  response->set_tolerance_days(static_cast<int32_t>(*tolerance));
  if (absl::Status s = engines.relationships->store().OpenViewTexts(response); !s.ok()) {
    return ToGrpcStatus(s);
  }
  return grpc::Status::OK;
}

grpc::Status RelationshipsService::ProjectionStatus(
    grpc::ServerContext* /*context*/, const v1::RelationshipsProjectionStatusRequest* /*request*/,
    v1::RelationshipsProjectionStatusResponse* response) {
  const Engines engines = this->engines();
  if (engines.relationships == nullptr) return NotReady();
  projection::FillStatus(*engines.relationships, response);
  return grpc::Status::OK;
}

grpc::Status RelationshipsService::Rebuild(
    grpc::ServerContext* /*context*/, const v1::RelationshipsRebuildRequest* /*request*/,
    grpc::ServerWriter<v1::RelationshipsRebuildResponse>* writer) {
  const Engines engines = this->engines();
  if (engines.relationships == nullptr) return NotReady();
  return projection::StreamRebuild(engines.relationships, writer);
}

}  // namespace sixhearts::services::relationships
