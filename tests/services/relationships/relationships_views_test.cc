// Property test of the relationships stored views against the oracle: random portfolios of
// interactions (tagged or by kind), surveys, feedback meetings, concerns, collection plans
// replaced and completed, follow-ups, owner assignments, contracts, registrations and
// money events (invoices, payments, promises, disputes), a quarter of them recorded late
// (occurred up to 60 days before the day they are recorded), applied to the view store in
// random batches, and random cuts (business day, known-at position). For every cut the
// state assembled from the rows in force must equal a fresh RelationshipsState fold of
// exactly the events of the cut (occurred before the end of the day, at or before the
// position), and so must every figure of the reports: scorecard (per client and per
// owner, alerts), timeline (entries, dropped count, milestones, monthly series), plans,
// worklist and evidence. Half the portfolios keep 5 timeline entries per client, so the
// limit drops entries at most cuts.
//
// The second test runs the same kind of portfolio through a real EventStore (RocksDB, each
// event appended on its own, the ones validation refuses left out) and the projection
// engines of both projections over stored views, restarted half way, and reads random cuts
// (business day, known-at time) with ProjectionEngine::ReadTogether as the Relationships
// service does; the oracle is a fresh fold of the events read back from the log, selected
// by occurred_at and by the position PositionKnownAt gives for the known-at time.
//
// The seed is fixed (kSeed) so CI runs the same cases; SIXHEARTS_PROPERTY_SEED=<n> in the
// environment runs others, and a failure prints the seed, portfolio and cut.
#include <algorithm>
#include <cstdlib>
#include <functional>
#include <iomanip>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "ledger/clock.h"
#include "ledger/dates.h"
#include "ledger/event_store.h"
#include "services/projection/view_store.h"
#include "services/receivables/receivables_fold.h"
#include "services/receivables/receivables_state.h"
#include "services/receivables/receivables_view.h"
#include "services/relationships/analytics.h"
#include "services/relationships/relationships_fold.h"
#include "services/relationships/relationships_state.h"
#include "services/relationships/relationships_view.h"
#include "tests/testing/test_events.h"

namespace sixhearts::services::relationships {
namespace {

using receivables::ReceivablesState;
using ::sixhearts::testing::TempDir;
using ::sixhearts::testing::Uuid;

constexpr uint64_t kSeed = 20261208;
constexpr int kPortfolios = 10;
constexpr int kEventsPerPortfolio = 240;
constexpr int kCutsPerPortfolio = 30;
const absl::CivilDay kFirstDay(2026, 1, 1);
constexpr int kDays = 200;
const std::vector<std::string> kClients = {"c1", "c2", "c3"};

uint64_t Seed() {
  const char* env = std::getenv("SIXHEARTS_PROPERTY_SEED");
  return env != nullptr ? std::strtoull(env, nullptr, 10) : kSeed;
}

// Generates one portfolio's events in log order.
class Portfolio {
 public:
  explicit Portfolio(uint64_t seed) : rng_(seed) {}

  std::vector<v1::Event> Generate() {
    for (const std::string& client : kClients) {
      v1::Event& e = Next(client, kFirstDay + Uniform(0, 20));
      v1::ClientRegistered* r = e.mutable_client_registered();
      r->set_client_id(client);
      r->set_name(absl::StrCat("Client ", client));
      r->set_jurisdiction(v1::JURISDICTION_CN);
      r->set_client_kind(v1::CLIENT_KIND_PRIVATE);
      r->set_region("CN-31");
    }
    int today = 0;
    while (events_.size() < static_cast<size_t>(kEventsPerPortfolio)) {
      if (Chance(0.5) && today < kDays - 1) ++today;
      // A late event: recorded now, occurred up to 60 days ago.
      const int day = Chance(0.25) ? std::max(0, today - Uniform(1, 60)) : today;
      AddOne(kFirstDay + day);
    }
    return std::move(events_);
  }

 private:
  bool Chance(double p) { return std::bernoulli_distribution(p)(rng_); }
  int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  std::string Pick(const std::vector<std::string>& ids) {
    return ids.empty() ? "none" : ids[Uniform(0, static_cast<int>(ids.size()) - 1)];
  }
  static v1::Date Date(absl::CivilDay day) { return ledger::FromCivilDay(day); }
  v1::Heart AnyHeart() { return static_cast<v1::Heart>(Uniform(1, 6)); }

  v1::Event& Next(const std::string& client, absl::CivilDay day) {
    v1::Event& e = events_.emplace_back();
    e.set_position(events_.size());
    e.set_stream(absl::StrCat("client-", client));
    e.set_actor(Chance(0.5) ? "alice" : "bob");
    e.mutable_occurred_at()->set_seconds(absl::ToUnixSeconds(ledger::EndOfUtcDay(day)) -
                                         Uniform(1, 86'399));
    return e;
  }

  void AddOne(absl::CivilDay day) {
    const std::string client = Pick(kClients);
    std::vector<std::string>& invoices = invoices_[client];
    const int kind = Uniform(0, 99);
    if (kind < 20) {
      v1::InteractionLogged* i = Next(client, day).mutable_interaction_logged();
      i->set_interaction_id(absl::StrCat("IX-", ++ids_));
      i->set_kind(static_cast<v1::InteractionKind>(Uniform(1, 12)));
      if (Chance(0.4)) i->add_hearts(AnyHeart());
      if (Chance(0.2)) i->add_hearts(AnyHeart());
      i->set_summary("talked");
    } else if (kind < 25) {
      v1::SurveyRecorded* s = Next(client, day).mutable_survey_recorded();
      s->set_survey_id(absl::StrCat("SV-", ++ids_));
      s->set_score(Uniform(1, 5));
      *s->mutable_surveyed_on() = Date(day - Uniform(0, 3));
    } else if (kind < 29) {
      v1::FeedbackMeetingHeld* f = Next(client, day).mutable_feedback_meeting_held();
      f->set_meeting_id(absl::StrCat("FM-", ++ids_));
      *f->mutable_held_on() = Date(day - Uniform(0, 3));
      f->set_collection_review(Chance(0.5));
    } else if (kind < 34) {
      v1::ConcernRaised* c = Next(client, day).mutable_concern_raised();
      concerns_[client].push_back(absl::StrCat("CC-", ++ids_));
      c->set_concern_id(concerns_[client].back());
      c->set_summary("late delivery");
      *c->mutable_raised_on() = Date(day - Uniform(0, 5));
    } else if (kind < 38) {
      v1::ConcernResolved* c = Next(client, day).mutable_concern_resolved();
      c->set_concern_id(Pick(concerns_[client]));
      *c->mutable_resolved_on() = Date(day - Uniform(0, 10));
    } else if (kind < 43) {
      v1::CollectionPlanSet* p = Next(client, day).mutable_collection_plan_set();
      // Often a replacement of an existing plan.
      if (plans_[client].empty() || Chance(0.5)) {
        plans_[client].push_back(absl::StrCat("PL-", ++ids_));
      }
      p->set_plan_id(Pick(plans_[client]));
      p->set_owner(Chance(0.5) ? "alice" : "bob");
      for (int s = Uniform(1, 3); s > 0; --s) {
        v1::PlanStep* step = p->add_steps();
        step->set_step_id(absl::StrCat("S", Uniform(1, 4)));
        step->set_action("call");
        *step->mutable_due_date() = Date(day + Uniform(-5, 30));
        if (Chance(0.6)) {
          step->mutable_expected()->set_amount_minor(100 * Uniform(1, 50));
          step->mutable_expected()->set_currency("CNY");
        }
      }
    } else if (kind < 48) {
      v1::PlanStepCompleted* c = Next(client, day).mutable_plan_step_completed();
      c->set_plan_id(Pick(plans_[client]));
      c->set_step_id(absl::StrCat("S", Uniform(1, 4)));
      *c->mutable_completed_on() = Date(day - Uniform(0, 10));
    } else if (kind < 53) {
      v1::FollowUpScheduled* f = Next(client, day).mutable_follow_up_scheduled();
      follow_ups_[client].push_back(absl::StrCat("FU-", ++ids_));
      f->set_follow_up_id(follow_ups_[client].back());
      *f->mutable_due_date() = Date(day + Uniform(-3, 20));
      f->set_heart(AnyHeart());
      f->set_action("send the report");
      f->set_owner("alice");
    } else if (kind < 58) {
      v1::FollowUpCompleted* f = Next(client, day).mutable_follow_up_completed();
      f->set_follow_up_id(Pick(follow_ups_[client]));
      *f->mutable_completed_on() = Date(day - Uniform(0, 10));
    } else if (kind < 61) {
      Next(client, day)
          .mutable_account_owner_assigned()
          ->set_owner(absl::StrCat("owner-", Uniform(1, 3)));
    } else if (kind < 63) {
      v1::ContractSigned* c = Next(client, day).mutable_contract_signed();
      c->set_contract_id(absl::StrCat("K-", ++ids_));
      c->mutable_amount()->set_amount_minor(100 * Uniform(10, 1000));
      c->mutable_amount()->set_currency("CNY");
      *c->mutable_signed_on() = Date(day - Uniform(0, 90));
      c->set_payment_terms_days(30);
    } else if (kind < 64) {
      Next(client, day).mutable_client_updated()->set_name(absl::StrCat("Renamed ", ++ids_));
    } else if (kind < 80 || invoices.empty()) {
      v1::InvoiceIssued* i = Next(client, day).mutable_invoice_issued();
      invoices.push_back(absl::StrCat("INV-", ++ids_));
      i->set_invoice_id(invoices.back());
      i->mutable_amount()->set_amount_minor(100 * Uniform(1, 100));
      i->mutable_amount()->set_currency(Chance(0.1) ? "USD" : "CNY");
      const absl::CivilDay issued = day - Uniform(0, 5);
      *i->mutable_issue_date() = Date(issued);
      *i->mutable_due_date() = Date(issued + Uniform(0, 45));
    } else if (kind < 90) {
      v1::PaymentReceived* p = Next(client, day).mutable_payment_received();
      payments_[client].push_back(absl::StrCat("PAY-", ++ids_));
      p->set_payment_id(payments_[client].back());
      p->mutable_amount()->set_amount_minor(100 * Uniform(1, 80));
      p->mutable_amount()->set_currency("CNY");
      *p->mutable_value_date() = Date(day - (Chance(0.4) ? Uniform(1, 40) : 0));
      v1::Allocation* a = p->add_allocations();
      a->set_invoice_id(Pick(invoices));
      a->set_amount_minor(100 * Uniform(1, 50));
    } else if (kind < 93) {
      v1::PaymentReversed* r = Next(client, day).mutable_payment_reversed();
      r->set_payment_id(Pick(payments_[client]));
      *r->mutable_reversed_on() = Date(day - Uniform(0, 20));
      r->set_reason("returned");
    } else if (kind < 97) {
      v1::PromiseToPayMade* p = Next(client, day).mutable_promise_to_pay_made();
      p->set_promise_id(absl::StrCat("PR-", ++ids_));
      p->mutable_amount()->set_amount_minor(100 * Uniform(1, 50));
      p->mutable_amount()->set_currency("CNY");
      *p->mutable_promised_date() = Date(day + Uniform(0, 20));
      if (Chance(0.5)) p->add_invoice_ids(Pick(invoices));
    } else {
      v1::DisputeOpened* d = Next(client, day).mutable_dispute_opened();
      d->set_dispute_id(absl::StrCat("D-", ++ids_));
      d->set_invoice_id(Pick(invoices));
      d->set_amount_minor(100 * Uniform(1, 20));
      d->set_reason("short delivery");
      *d->mutable_opened_on() = Date(day - Uniform(0, 10));
    }
  }

  std::mt19937_64 rng_;
  std::vector<v1::Event> events_;
  uint64_t ids_ = 0;
  std::map<std::string, std::vector<std::string>> invoices_, payments_, concerns_, plans_,
      follow_ups_;
};

// Writes every figure of the reports as text, so two states compare figure by figure.
class FigureWriter {
 public:
  FigureWriter() { out_ << std::setprecision(17); }

  template <typename T>
  FigureWriter& operator<<(const T& value) {
    out_ << value;
    return *this;
  }
  FigureWriter& operator<<(absl::CivilDay day) {
    out_ << ledger::FormatDay(day);
    return *this;
  }
  FigureWriter& operator<<(const std::optional<double>& v) {
    if (v)
      out_ << *v;
    else
      out_ << "n/a";
    return *this;
  }
  FigureWriter& operator<<(const std::optional<absl::CivilDay>& v) {
    if (v)
      *this << *v;
    else
      out_ << "never";
    return *this;
  }
  FigureWriter& operator<<(const std::optional<int64_t>& v) {
    if (v)
      out_ << *v;
    else
      out_ << "-";
    return *this;
  }
  void Behaviour(const PaymentBehaviour& b) {
    *this << b.clients << " " << b.invoices_due << " " << b.invoices_paid_on_time << " "
          << b.on_time_share << " " << b.promises_judged << " " << b.promises_broken << " "
          << b.broken_promise_rate;
    for (const receivables::DaysLateReport& l : b.days_late) {
      *this << " [" << l.currency << " " << l.invoice_count << " " << l.billed_minor << " "
            << l.average_days_late.value_or(-1) << "]";
    }
    *this << "\n";
  }
  std::string str() const { return out_.str(); }

 private:
  std::ostringstream out_;
};

void WriteCard(FigureWriter& out, const ClientScorecard& card) {
  out << "card " << card.client_id << " " << card.name << " " << card.account_owner << " "
      << card.health_index << "\n";
  for (const HeartScore& h : card.hearts) {
    out << "  heart " << static_cast<int>(h.heart) << " " << h.score << " " << h.periods << " "
        << h.periods_covered << " " << h.concerns_judged << " " << h.concerns_resolved_in_time
        << " " << h.items_due << " " << h.items_on_time << " " << h.last_event_on << "\n";
  }
  for (const NeglectAlert& a : card.alerts) {
    out << "  alert " << static_cast<int>(a.kind) << " " << static_cast<int>(a.heart) << " "
        << a.item_id << " " << a.days << " " << a.due_date << " " << a.message << "\n";
  }
}

// The clients a scorecard and plans filter lists (c9 is never generated), and the clients
// whose timelines are compared.
const std::vector<std::string> kListedClients = {"c1", "c3", "c9"};
const std::vector<std::string> kTimelineClients = {"c1", "c2", "c3", "c9"};

// The states the reports of Figures read: `state` and `money` for the reports of every
// client; `listed`, for the scorecard and plans of kListedClients; `client`, for one
// client's timeline. A fold gives the same state to all; a stored cut, the rows each
// report reads (relationships_view.h).
struct Sources {
  const RelationshipsState* state = nullptr;
  const ReceivablesState* money = nullptr;
  const RelationshipsState* listed = nullptr;
  const ReceivablesState* listed_money = nullptr;
  std::function<std::pair<const RelationshipsState*, const ReceivablesState*>(
      const std::string& client)>
      client;
};

void WriteScorecard(FigureWriter& out, const ScorecardReport& scorecard) {
  for (const ClientScorecard& card : scorecard.clients) WriteCard(out, card);
  for (const OwnerScorecard& o : scorecard.owners) {
    out << "owner " << o.account_owner << " " << o.clients << " " << o.health_index << " "
        << o.alerts;
    for (const std::optional<double>& s : o.heart_scores) out << " " << s;
    out << "\n";
  }
}

void WritePlans(FigureWriter& out, const std::vector<PlanReport>& plans) {
  for (const PlanReport& plan : plans) {
    out << "plan " << plan.client_id << " " << plan.plan_id << " " << plan.owner << " "
        << plan.first_set_on << " " << plan.version_set_on << " " << plan.done_on_time << " "
        << plan.done_late << " " << plan.overdue << " " << plan.upcoming << "\n";
    for (const StepLine& s : plan.steps) {
      out << "  step " << s.step_id << " " << s.action << " " << s.due_date << " "
          << s.expected_minor << " " << s.currency << " " << s.completed_on << " "
          << static_cast<int>(s.status) << " " << s.days_late << "\n";
    }
    for (const PlanMoney& m : plan.money) {
      out << "  money " << m.currency << " " << m.expected_minor << " " << m.expected_due_minor
          << " " << m.collected_minor << " " << m.shortfall_minor << " " << m.progress << "\n";
    }
  }
}

// Every figure of the scorecard (of every client and of the listed ones), each client's
// timeline, the plans (likewise), the worklist and the evidence as of `day`.
std::string Figures(const Sources& from, absl::CivilDay day) {
  const RelationshipsState& state = *from.state;
  const ReceivablesState& money = *from.money;
  FigureWriter out;
  const absl::StatusOr<ScorecardReport> scorecard = ComputeScorecard(state, day);
  if (!scorecard.ok()) return scorecard.status().ToString();
  WriteScorecard(out, *scorecard);
  ScorecardOptions listed_options;
  listed_options.client_ids = kListedClients;
  const absl::StatusOr<ScorecardReport> listed =
      ComputeScorecard(*from.listed, day, listed_options);
  if (!listed.ok()) return listed.status().ToString();
  out << "listed\n";
  WriteScorecard(out, *listed);
  for (const std::string& client : kTimelineClients) {
    const auto [relationship, receivable] = from.client(client);
    const absl::StatusOr<ClientTimeline> timeline =
        ComputeTimeline(*relationship, *receivable, client, day);
    if (!timeline.ok()) {
      out << "timeline " << client << " " << timeline.status().ToString() << "\n";
      continue;
    }
    out << "timeline " << client << " " << timeline->name << " " << timeline->entries_dropped
        << "\n";
    for (const TimelineEntry& e : timeline->entries) {
      out << "  entry " << e.position << " " << e.type << " " << e.on << " "
          << static_cast<int>(e.hearts.bits()) << " " << e.actor << " " << e.hash_prefix << " "
          << e.summary << "\n";
    }
    for (const Milestone& m : timeline->milestones) {
      out << "  milestone " << static_cast<int>(m.kind) << " " << m.on << " " << m.subject_id << " "
          << m.description << "\n";
    }
    for (const MonthlyPoint& p : timeline->series) {
      out << "  month " << p.measured_on << " " << p.health_index << " " << p.invoices_due << " "
          << p.invoices_paid_on_time << " " << p.on_time_share << " " << p.promises_kept << " "
          << p.promises_partially_kept << " " << p.promises_broken;
      for (const auto& [currency, minor] : p.overdue_minor) out << " " << currency << minor;
      out << "\n";
    }
  }
  WritePlans(out, ComputePlans(state, money, day));
  out << "listed\n";
  WritePlans(out, ComputePlans(*from.listed, *from.listed_money, day,
                               PlansOptions{.client_ids = kListedClients}));
  const absl::StatusOr<Worklist> worklist = ComputeWorklist(state, money, day);
  if (!worklist.ok()) return worklist.status().ToString();
  out << "worklist " << worklist->clients_considered << "\n";
  for (const WorklistRow& row : worklist->rows) {
    out << "  row " << row.rank << " " << row.client_id << " " << row.name << " "
        << row.account_owner << " " << row.score << " " << row.health_index << "\n";
    for (const ScoreComponent& c : row.components) {
      out << "    " << c.name << " " << c.input << " " << c.points << " " << c.explanation << "\n";
    }
    for (const NextAction& a : row.next_actions) {
      out << "    next " << static_cast<int>(a.heart) << " " << a.action << "\n";
    }
  }
  const absl::StatusOr<EvidenceReport> evidence = ComputeEvidence(state, money, day);
  if (!evidence.ok()) return evidence.status().ToString();
  out << "evidence " << evidence->clients << " " << evidence->health_on_time_correlation << " "
      << evidence->correlation_clients << " " << evidence->answer << "\n";
  for (const EvidenceBand& band : evidence->bands) {
    out << "  band " << band.label << " ";
    out.Behaviour(band.behaviour);
  }
  for (const HeartEvidence& h : evidence->hearts) {
    out << "  heart " << static_cast<int>(h.heart) << " practised ";
    out.Behaviour(h.practised);
    out << "  heart " << static_cast<int>(h.heart) << " not practised ";
    out.Behaviour(h.not_practised);
  }
  return out.str();
}

// Figures of a fold: every report reads the whole state.
std::string Figures(const RelationshipsState& state, const ReceivablesState& money,
                    absl::CivilDay day) {
  Sources from{.state = &state,
               .money = &money,
               .listed = &state,
               .listed_money = &money,
               .client = [&](const std::string&) { return std::pair(&state, &money); }};
  return Figures(from, day);
}

// The stored states each report reads of a cut (the service's reads, relationships_view.h),
// kept alive for Figures. `money_cut` null: every report reads `money` whole.
class StoredSources {
 public:
  StoredSources(FoldOptions options) : options_(options) {}

  absl::Status Read(const projection::ViewCut& cut, const projection::ViewCut* money_cut,
                    const ReceivablesState* money, absl::CivilDay day) {
    all_ = std::make_unique<RelationshipsState>(options_);
    if (absl::Status s = AddClientsRows(cut, day, *all_); !s.ok()) return s;
    listed_ = std::make_unique<RelationshipsState>(options_);
    for (const std::string& id : kListedClients) {
      if (absl::Status s = AddClientRows(cut, id, day, false, *listed_); !s.ok()) return s;
    }
    for (const std::string& id : kTimelineClients) {
      auto state = std::make_unique<RelationshipsState>(options_);
      if (absl::Status s = AddClientRows(cut, id, day, true, *state); !s.ok()) return s;
      clients_[id] = std::move(state);
    }
    if (money_cut == nullptr) {
      money_ = listed_money_ = money;
      for (const std::string& id : kTimelineClients) client_money_[id] = money;
      return absl::OkStatus();
    }
    auto read_money = [&](std::optional<std::vector<std::string>> ids)
        -> absl::StatusOr<const ReceivablesState*> {
      auto fold = money_rows_->NewFold();
      if (!ids.has_value()) {
        if (absl::Status s = AddReceivablesRows(*money_cut, *money_rows_, std::nullopt, day, *fold);
            !s.ok())
          return s;
      } else {
        for (const std::string& id : *ids) {
          if (absl::Status s = AddReceivablesRows(*money_cut, *money_rows_, id, day, *fold);
              !s.ok())
            return s;
        }
      }
      folds_.push_back(std::move(fold));
      return &static_cast<const receivables::ReceivablesFold&>(*folds_.back()).state();
    };
    auto all = read_money(std::nullopt);
    if (!all.ok()) return all.status();
    money_ = *all;
    auto listed = read_money(kListedClients);
    if (!listed.ok()) return listed.status();
    listed_money_ = *listed;
    for (const std::string& id : kTimelineClients) {
      auto one = read_money(std::vector<std::string>{id});
      if (!one.ok()) return one.status();
      client_money_[id] = *one;
    }
    return absl::OkStatus();
  }

  // The reads hold what their reports need and no more: no timeline entry in the reads of
  // every client or of the listed ones, and one client in a timeline's read.
  std::string Overreach() const {
    std::string out;
    for (const RelationshipsState* state : {all_.get(), listed_.get()}) {
      for (const auto& [id, client] : state->clients()) {
        if (!client.timeline.empty()) absl::StrAppend(&out, "timeline of ", id, " read; ");
      }
    }
    for (const auto& [id, client] : listed_->clients()) {
      if (std::find(kListedClients.begin(), kListedClients.end(), id) == kListedClients.end()) {
        absl::StrAppend(&out, "unlisted ", id, " read; ");
      }
    }
    for (const auto& [id, state] : clients_) {
      for (const auto& [other, client] : state->clients()) {
        if (other != id) absl::StrAppend(&out, other, " read with the timeline of ", id, "; ");
      }
    }
    return out;
  }

  std::string Figures(absl::CivilDay day) const {
    const Sources from{.state = all_.get(),
                       .money = money_,
                       .listed = listed_.get(),
                       .listed_money = listed_money_,
                       .client = [&](const std::string& id) {
                         return std::pair<const RelationshipsState*, const ReceivablesState*>(
                             clients_.at(id).get(), client_money_.at(id));
                       }};
    return relationships::Figures(from, day);
  }

 private:
  const FoldOptions options_;
  const std::shared_ptr<const projection::RowProjection> money_rows_ =
      receivables::MakeReceivablesRows();
  std::unique_ptr<RelationshipsState> all_, listed_;
  std::map<std::string, std::unique_ptr<RelationshipsState>> clients_;
  std::vector<std::unique_ptr<projection::Fold>> folds_;
  const ReceivablesState* money_ = nullptr;
  const ReceivablesState* listed_money_ = nullptr;
  std::map<std::string, const ReceivablesState*> client_money_;
};

bool InCut(const v1::Event& event, absl::CivilDay day, uint64_t position) {
  return event.position() <= position &&
         absl::FromUnixSeconds(event.occurred_at().seconds()) < ledger::EndOfUtcDay(day);
}

TEST(RelationshipsViewsTest, EveryCutOfTheStoredViewsEqualsAFreshFoldOfItsEvents) {
  const uint64_t seed = Seed();
  std::mt19937_64 rng(seed);
  int cuts = 0;
  int with_plans = 0;
  int with_drops = 0;
  for (int portfolio = 0; portfolio < kPortfolios; ++portfolio) {
    const FoldOptions fold_options{.timeline_entries_per_client =
                                       portfolio % 2 == 0 ? size_t{5} : size_t{1000}};
    const auto rows = MakeRelationshipsRows(fold_options);
    TempDir dir;
    projection::ViewStoreOptions options;
    options.dir = dir.sub("views");
    auto views = projection::ViewStore::Open(options, nullptr);
    ASSERT_TRUE(views.ok()) << views.status();
    const std::vector<v1::Event> events = Portfolio(rng()).Generate();
    // Some portfolios with a cache too small to hold anything: every read goes to RocksDB.
    projection::ViewWriter writer(views->get(), rows.get(), 1, portfolio % 3 == 0 ? 64 : 1 << 20);
    for (const v1::Event& event : events) {
      ASSERT_TRUE(writer.Apply(event).ok()) << event.position();
      if (std::bernoulli_distribution(0.2)(rng)) {
        ASSERT_TRUE(writer.Commit(event.position(), std::string(32, 'h')).ok());
      }
    }
    ASSERT_TRUE(writer.Commit(events.size(), std::string(32, 'h')).ok());

    for (int c = 0; c < kCutsPerPortfolio; ++c) {
      // Days from before the first event to past the last; positions from 0 to the end.
      const absl::CivilDay day =
          kFirstDay + std::uniform_int_distribution<int>(-3, kDays + 30)(rng);
      const uint64_t position =
          c == 0 ? 0 : std::uniform_int_distribution<uint64_t>(0, events.size())(rng);
      RelationshipsFold stored(fold_options);
      auto at = (*views)->ReadCut(*rows, day, position, stored);
      ASSERT_TRUE(at.ok()) << at.status();
      ASSERT_EQ(*at, position);
      RelationshipsState oracle(fold_options);
      ReceivablesState money;
      for (const v1::Event& event : events) {
        if (!InCut(event, day, position)) continue;
        oracle.Apply(event);
        money.Apply(event);
      }
      const std::string where = absl::StrCat("seed ", seed, ", portfolio ", portfolio, ", cut (",
                                             ledger::FormatDay(day), ", ", position, ")");
      ASSERT_TRUE(stored.state().clients() == oracle.clients()) << where;
      const std::string figures = Figures(oracle, money, day);
      ASSERT_EQ(Figures(stored.state(), money, day), figures) << where;
      // The reports as the service reads them: each the rows of the clients it covers.
      auto cut = (*views)->OpenCut(*rows, position);
      ASSERT_TRUE(cut.ok()) << cut.status();
      StoredSources scoped(fold_options);
      ASSERT_TRUE(scoped.Read(**cut, nullptr, &money, day).ok()) << where;
      ASSERT_EQ(scoped.Figures(day), figures) << where;
      ASSERT_EQ(scoped.Overreach(), "") << where;
      if (figures.find("\nplan ") != std::string::npos) ++with_plans;
      for (const auto& [id, client] : oracle.clients()) {
        if (client.timeline_dropped > 0) {
          ++with_drops;
          break;
        }
      }
      ++cuts;
    }
  }
  EXPECT_EQ(cuts, kPortfolios * kCutsPerPortfolio);
  // The cuts are not all empty: most have plans to compare, and the timeline limit drops
  // entries in many.
  EXPECT_GT(with_plans, cuts / 2);
  EXPECT_GT(with_drops, cuts / 4);
}

// Both projections' engines over stored views on a real log: appended event by event (the
// record clock one second apart), restarted half way, and read at random (business day,
// known-at time) cuts.
class StoredEngines {
 public:
  explicit StoredEngines(const TempDir& dir) : dir_(dir) {}

  void Open() {
    ledger::EventStoreOptions options;
    options.data_dir = dir_.sub("ledger");
    options.clock = &clock_;
    options.sync = false;
    auto store = ledger::EventStore::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    projection::ViewStoreOptions view_options;
    view_options.dir = dir_.sub("views");
    auto views = projection::ViewStore::Open(view_options, nullptr);
    ASSERT_TRUE(views.ok()) << views.status();
    views_ = *std::move(views);
    projection::EngineOptions engine_options;
    engine_options.view_cache_bytes = 4096;  // small: most versions are read back from RocksDB
    auto relationships = projection::ProjectionEngine::StartStored(
        store_.get(), views_.get(), MakeRelationshipsRows(), engine_options);
    ASSERT_TRUE(relationships.ok()) << relationships.status();
    relationships_ = *std::move(relationships);
    auto money = projection::ProjectionEngine::StartStored(
        store_.get(), views_.get(), receivables::MakeReceivablesRows(), engine_options);
    ASSERT_TRUE(money.ok()) << money.status();
    receivables_ = *std::move(money);
  }

  void Close() {
    relationships_.reset();
    receivables_.reset();
    views_.reset();
    store_.reset();
  }

  // Appends `event` alone; false when validation refuses it.
  bool Append(v1::Event event) {
    clock_.Advance(absl::Seconds(1));
    event.set_event_id(Uuid(++appended_));
    event.clear_position();
    event.clear_actor();
    v1::AppendRequest request;
    *request.add_events() = std::move(event);
    return store_->Append(request, "property-test").ok();
  }

  bool CaughtUp() {
    const uint64_t head = store_->head().position;
    return relationships_->WaitFor(head, absl::Seconds(10)) &&
           receivables_->WaitFor(head, absl::Seconds(10));
  }

  ledger::EventStore& store() { return *store_; }
  projection::ProjectionEngine& relationships() { return *relationships_; }
  projection::ProjectionEngine& receivables() { return *receivables_; }

  static absl::Time Start() {
    return absl::FromCivil(absl::CivilDay(2026, 9, 1), absl::UTCTimeZone());
  }

 private:
  const TempDir& dir_;
  ledger::ManualClock clock_{Start()};
  uint64_t appended_ = 0;
  std::unique_ptr<ledger::EventStore> store_;
  std::unique_ptr<projection::ViewStore> views_;
  std::unique_ptr<projection::ProjectionEngine> relationships_;
  std::unique_ptr<projection::ProjectionEngine> receivables_;
};

TEST(RelationshipsViewsTest, TheEnginesOverStoredViewsAnswerEveryCutAsAFreshReplayOfTheLog) {
  constexpr int kEnginePortfolios = 3;
  const uint64_t seed = Seed() + 1;
  std::mt19937_64 rng(seed);
  int cuts = 0;
  int late_cuts = 0;  // cuts whose known-at leaves out an event of a day the cut includes
  for (int portfolio = 0; portfolio < kEnginePortfolios; ++portfolio) {
    TempDir dir;
    StoredEngines engines(dir);
    ASSERT_NO_FATAL_FAILURE(engines.Open());
    const std::vector<v1::Event> events = Portfolio(rng()).Generate();
    size_t accepted = 0;
    for (size_t i = 0; i < events.size(); ++i) {
      if (i == events.size() / 2) {
        // A restart half way: the views are where they were, nothing is rebuilt.
        ASSERT_TRUE(engines.CaughtUp());
        engines.Close();
        ASSERT_NO_FATAL_FAILURE(engines.Open());
        ASSERT_EQ(engines.relationships().status().position, engines.store().head().position);
      }
      if (engines.Append(events[i])) ++accepted;
    }
    // Most events pass validation; refused ones (unknown ids, overpaid invoices) are left out.
    ASSERT_GT(accepted, events.size() / 2) << "seed " << seed << ", portfolio " << portfolio;
    const uint64_t head = engines.store().head().position;
    ASSERT_EQ(head, accepted);
    ASSERT_TRUE(engines.CaughtUp());

    std::vector<v1::Event> log;
    ASSERT_TRUE(engines.store()
                    .ForEachEvent(1, head, v1::EventFilter(),
                                  [&](const v1::Event& e) {
                                    log.push_back(e);
                                    return absl::OkStatus();
                                  })
                    .ok());
    ASSERT_EQ(log.size(), head);

    for (int c = 0; c < kCutsPerPortfolio; ++c) {
      const absl::CivilDay day =
          kFirstDay + std::uniform_int_distribution<int>(-3, kDays + 30)(rng);
      projection::AsOf as_of;
      as_of.business_day = day;
      if (c % 5 != 0) {
        as_of.known_at =
            StoredEngines::Start() + absl::Milliseconds(std::uniform_int_distribution<int64_t>(
                                         0, static_cast<int64_t>(events.size() + 2) * 1000)(rng));
      }
      uint64_t position = head;
      if (as_of.known_at) {
        auto known = engines.store().PositionKnownAt(*as_of.known_at);
        ASSERT_TRUE(known.ok()) << known.status();
        position = *known;
      }
      RelationshipsState oracle;
      ReceivablesState money;
      bool left_out_late = false;
      for (const v1::Event& event : log) {
        if (absl::FromUnixSeconds(event.occurred_at().seconds()) >= ledger::EndOfUtcDay(day)) {
          continue;
        }
        if (event.position() > position) {
          left_out_late = true;
          continue;
        }
        oracle.Apply(event);
        money.Apply(event);
      }
      if (left_out_late && position > 0) ++late_cuts;
      const std::string where = absl::StrCat("seed ", seed, ", portfolio ", portfolio, ", cut (",
                                             ledger::FormatDay(day), ", position ", position, ")");
      std::string stored;
      uint64_t read_at = 0;
      absl::Status read = projection::ProjectionEngine::ReadTogether(
          {&engines.relationships(), &engines.receivables()}, as_of,
          [&](const std::vector<const projection::Fold*>& folds, uint64_t at) {
            const RelationshipsState& state =
                static_cast<const RelationshipsFold&>(*folds[0]).state();
            const ReceivablesState& receivables =
                static_cast<const receivables::ReceivablesFold&>(*folds[1]).state();
            EXPECT_TRUE(state.clients() == oracle.clients()) << where;
            stored = Figures(state, receivables, day);
            read_at = at;
            return absl::OkStatus();
          });
      ASSERT_TRUE(read.ok()) << read << " " << where;
      EXPECT_EQ(read_at, position) << where;
      const std::string figures = Figures(oracle, money, day);
      ASSERT_EQ(stored, figures) << where;
      // As the service reads them: both views' cuts at one position, each report the rows
      // of the clients it covers.
      std::string scoped;
      auto together = projection::ProjectionEngine::ReadViewCutsTogether(
          {&engines.relationships(), &engines.receivables()}, as_of,
          [&](const std::vector<const projection::ViewCut*>& views, uint64_t at) {
            StoredSources sources(FoldOptions{});
            if (absl::Status s = sources.Read(*views[0], views[1], nullptr, day); !s.ok()) {
              return s;
            }
            scoped = sources.Figures(day);
            read_at = at;
            return absl::OkStatus();
          });
      ASSERT_TRUE(together.ok()) << together.status() << " " << where;
      ASSERT_TRUE(*together) << where;
      EXPECT_EQ(read_at, position) << where;
      ASSERT_EQ(scoped, figures) << where;
      ++cuts;
    }
  }
  EXPECT_EQ(cuts, kEnginePortfolios * kCutsPerPortfolio);
  EXPECT_GT(late_cuts, cuts / 4);
}

}  // namespace
}  // namespace sixhearts::services::relationships
