// Tests of the relationship fold, its snapshot format and the six-hearts analytics, with
// figures computed by hand (the arithmetic is in the comments).
//
// Most tests read as of 2026-06-30 with the default 180-day window, which starts on
// 2026-01-02 (2026-06-30 - 179 days). Periods counted back from 2026-06-30:
//   trust and feedback (90): P0 04-02..06-30, P1 01-02..04-01
//   care (30):        P0 06-01..06-30, P1 05-02..05-31, P2 04-02..05-01, P3 03-03..04-01,
//                     P4 02-01..03-02, P5 01-02..01-31
//   listening (60):   P0 05-02..06-30, P1 03-03..05-01, P2 01-02..03-02
//   communication (14): floor(180/14) = 12 periods, P0 06-17..06-30 ... P11 01-14..01-27
#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "ledger/dates.h"
#include "ledger/personal_text.h"
#include "services/receivables/receivables_state.h"
#include "services/relationships/analytics.h"
#include "services/relationships/hearts.h"
#include "services/relationships/relationships_fold.h"
#include "services/relationships/relationships_state.h"

namespace sixhearts::services::relationships {
namespace {

using absl::CivilDay;
using receivables::ReceivablesState;

constexpr CivilDay kAsOf(2026, 6, 30);

struct Step {
  std::string step_id;
  CivilDay due;
  int64_t expected_minor;
};

// Builds the events of one client stream. Every event gets a fresh id and global position,
// occurs at 09:00 UTC on its day, is appended by "collector-1" and carries a 32-byte hash
// whose bytes all equal the low byte of its position.
class Stream {
 public:
  explicit Stream(std::string client_id) : client_id_(std::move(client_id)) {}

  v1::Event Registered() {
    v1::Event e = Envelope(CivilDay(2025, 1, 1));
    e.mutable_client_registered()->set_client_id(client_id_);
    e.mutable_client_registered()->set_name("Bureau " + client_id_);
    e.mutable_client_registered()->set_jurisdiction(v1::JURISDICTION_CN);
    e.mutable_client_registered()->set_client_kind(v1::CLIENT_KIND_GOVERNMENT_ORGAN);
    return e;
  }
  v1::Event Owner(const std::string& owner, CivilDay on = CivilDay(2025, 1, 1)) {
    v1::Event e = Envelope(on);
    e.mutable_account_owner_assigned()->set_owner(owner);
    return e;
  }
  v1::Event Contract(const std::string& id, CivilDay signed_on) {
    v1::Event e = Envelope(signed_on);
    v1::ContractSigned* p = e.mutable_contract_signed();
    p->set_contract_id(id);
    p->mutable_amount()->set_amount_minor(10000'00);
    p->mutable_amount()->set_currency("CNY");
    *p->mutable_signed_on() = ledger::FromCivilDay(signed_on);
    p->set_payment_terms_days(30);
    return e;
  }
  // An interaction of `kind`; `hearts` empty means the kind's defaults.
  v1::Event Touch(v1::InteractionKind kind, CivilDay on,
                  std::initializer_list<v1::Heart> hearts = {}) {
    v1::Event e = Envelope(on);
    v1::InteractionLogged* p = e.mutable_interaction_logged();
    p->set_interaction_id("i-" + std::to_string(next_));
    p->set_kind(kind);
    for (const v1::Heart h : hearts) p->add_hearts(h);
    p->set_summary("touch");
    p->mutable_contact()->set_name("Ms Personal");
    return e;
  }
  v1::Event AllHearts(CivilDay on) {
    return Touch(v1::INTERACTION_KIND_MEETING, on,
                 {v1::HEART_TRUST, v1::HEART_CARE, v1::HEART_LISTENING, v1::HEART_COMMUNICATION,
                  v1::HEART_EXECUTION, v1::HEART_FEEDBACK});
  }
  v1::Event ConcernRaised(const std::string& id, CivilDay on) {
    v1::Event e = Envelope(on);
    e.mutable_concern_raised()->set_concern_id(id);
    e.mutable_concern_raised()->set_summary("late acceptance");
    *e.mutable_concern_raised()->mutable_raised_on() = ledger::FromCivilDay(on);
    return e;
  }
  v1::Event ConcernResolved(const std::string& id, CivilDay on) {
    v1::Event e = Envelope(on);
    e.mutable_concern_resolved()->set_concern_id(id);
    *e.mutable_concern_resolved()->mutable_resolved_on() = ledger::FromCivilDay(on);
    return e;
  }
  v1::Event Survey(const std::string& id, CivilDay on, int score) {
    v1::Event e = Envelope(on);
    e.mutable_survey_recorded()->set_survey_id(id);
    e.mutable_survey_recorded()->set_score(score);
    *e.mutable_survey_recorded()->mutable_surveyed_on() = ledger::FromCivilDay(on);
    return e;
  }
  v1::Event Plan(const std::string& plan_id, CivilDay set_on, std::initializer_list<Step> steps) {
    v1::Event e = Envelope(set_on);
    v1::CollectionPlanSet* p = e.mutable_collection_plan_set();
    p->set_plan_id(plan_id);
    p->set_owner("alice");
    for (const Step& s : steps) {
      v1::PlanStep* step = p->add_steps();
      step->set_step_id(s.step_id);
      step->set_action("call finance");
      *step->mutable_due_date() = ledger::FromCivilDay(s.due);
      if (s.expected_minor > 0) {
        step->mutable_expected()->set_amount_minor(s.expected_minor);
        step->mutable_expected()->set_currency("CNY");
      }
    }
    return e;
  }
  v1::Event StepDone(const std::string& plan_id, const std::string& step_id, CivilDay on) {
    v1::Event e = Envelope(on);
    e.mutable_plan_step_completed()->set_plan_id(plan_id);
    e.mutable_plan_step_completed()->set_step_id(step_id);
    *e.mutable_plan_step_completed()->mutable_completed_on() = ledger::FromCivilDay(on);
    return e;
  }
  v1::Event FollowUp(const std::string& id, CivilDay scheduled_on, CivilDay due,
                     v1::Heart heart = v1::HEART_EXECUTION) {
    v1::Event e = Envelope(scheduled_on);
    v1::FollowUpScheduled* p = e.mutable_follow_up_scheduled();
    p->set_follow_up_id(id);
    *p->mutable_due_date() = ledger::FromCivilDay(due);
    p->set_heart(heart);
    p->set_action("follow up");
    return e;
  }
  v1::Event FollowUpDone(const std::string& id, CivilDay on) {
    v1::Event e = Envelope(on);
    e.mutable_follow_up_completed()->set_follow_up_id(id);
    *e.mutable_follow_up_completed()->mutable_completed_on() = ledger::FromCivilDay(on);
    return e;
  }
  v1::Event Invoice(const std::string& id, int64_t amount_minor, CivilDay issue, CivilDay due) {
    v1::Event e = Envelope(issue);
    v1::InvoiceIssued* p = e.mutable_invoice_issued();
    p->set_invoice_id(id);
    p->mutable_amount()->set_amount_minor(amount_minor);
    p->mutable_amount()->set_currency("CNY");
    *p->mutable_issue_date() = ledger::FromCivilDay(issue);
    *p->mutable_due_date() = ledger::FromCivilDay(due);
    return e;
  }
  // Pays `amount_minor` on `value`, all of it to `invoice_id` unless that is empty.
  v1::Event Payment(const std::string& id, int64_t amount_minor, CivilDay value,
                    const std::string& invoice_id) {
    v1::Event e = Envelope(value);
    v1::PaymentReceived* p = e.mutable_payment_received();
    p->set_payment_id(id);
    p->mutable_amount()->set_amount_minor(amount_minor);
    p->mutable_amount()->set_currency("CNY");
    *p->mutable_value_date() = ledger::FromCivilDay(value);
    if (!invoice_id.empty()) {
      v1::Allocation* a = p->add_allocations();
      a->set_invoice_id(invoice_id);
      a->set_amount_minor(amount_minor);
    }
    return e;
  }
  v1::Event Reversed(const std::string& payment_id, CivilDay on) {
    v1::Event e = Envelope(on);
    e.mutable_payment_reversed()->set_payment_id(payment_id);
    *e.mutable_payment_reversed()->mutable_reversed_on() = ledger::FromCivilDay(on);
    e.mutable_payment_reversed()->set_reason("bounced");
    return e;
  }
  v1::Event Promise(const std::string& id, int64_t amount_minor, CivilDay made_on,
                    CivilDay promised) {
    v1::Event e = Envelope(made_on);
    v1::PromiseToPayMade* p = e.mutable_promise_to_pay_made();
    p->set_promise_id(id);
    p->mutable_amount()->set_amount_minor(amount_minor);
    p->mutable_amount()->set_currency("CNY");
    *p->mutable_promised_date() = ledger::FromCivilDay(promised);
    return e;
  }
  v1::Event DisputeOpened(const std::string& id, const std::string& invoice_id, CivilDay on) {
    v1::Event e = Envelope(on);
    v1::DisputeOpened* p = e.mutable_dispute_opened();
    p->set_dispute_id(id);
    p->set_invoice_id(invoice_id);
    p->set_amount_minor(500'00);
    p->set_reason("short delivery");
    *p->mutable_opened_on() = ledger::FromCivilDay(on);
    return e;
  }
  v1::Event DisputeResolved(const std::string& id, CivilDay on) {
    v1::Event e = Envelope(on);
    e.mutable_dispute_resolved()->set_dispute_id(id);
    e.mutable_dispute_resolved()->set_outcome(v1::DISPUTE_OUTCOME_REJECTED);
    *e.mutable_dispute_resolved()->mutable_resolved_on() = ledger::FromCivilDay(on);
    return e;
  }

 private:
  v1::Event Envelope(CivilDay occurred_on) {
    static uint64_t next_position = 1;
    const uint64_t position = next_position++;
    ++next_;
    v1::Event e;
    char id[40];
    std::snprintf(id, sizeof(id), "00000000-0000-4000-8000-%012llu",
                  static_cast<unsigned long long>(position));
    e.set_event_id(id);
    e.set_stream("client-" + client_id_);
    e.set_position(position);
    e.set_actor("collector-1");
    e.set_hash(std::string(32, static_cast<char>(position & 0xff)));
    const absl::Time t = absl::FromCivil(occurred_on, absl::UTCTimeZone()) + absl::Hours(9);
    e.mutable_occurred_at()->set_seconds(absl::ToUnixSeconds(t));
    return e;
  }

  std::string client_id_;
  int next_ = 0;
};

// Both projections folded over the same events, as the two engines would.
struct States {
  RelationshipsState relationships;
  ReceivablesState receivables;
};

// A view's text as a service shows it: the references to events' personal text
// (ledger::PersonalTextReference) opened from `events`, as EventStore::OpenViewText does
// from the log.
std::string Opened(const std::string& text, const std::vector<v1::Event>& events) {
  auto opened = ledger::OpenViewText(text, [&](uint64_t position) -> absl::StatusOr<std::string> {
    for (const v1::Event& e : events) {
      if (e.position() == position) return ledger::PersonalTextOf(e);
    }
    return absl::NotFoundError(absl::StrCat("no event at position ", position));
  });
  EXPECT_TRUE(opened.ok()) << opened.status();
  return opened.value_or("");
}

// The reference a view keeps to the personal text of `event`.
std::string Reference(const v1::Event& event) {
  return absl::StrCat("\x1f", event.position(), "\x1f");
}

States Fold(const std::vector<v1::Event>& events, FoldOptions options = {}) {
  States states{RelationshipsState(options), ReceivablesState()};
  for (const v1::Event& e : events) {
    states.relationships.Apply(e);
    states.receivables.Apply(e);
  }
  return states;
}

ClientScorecard Score(const States& states, const std::string& client_id, CivilDay as_of = kAsOf,
                      const ScorecardOptions& options = {}) {
  return ScoreClient(states.relationships.FindClient(client_id), client_id, as_of, options);
}

// By value: callers pass a temporary scorecard, and a const reference to the copy keeps it.
HeartScore HeartOf(const ClientScorecard& card, v1::Heart heart) {
  return card.hearts[HeartIndex(heart)];
}

// ------------------------------------------------------------------------------- hearts

TEST(HeartsTest, DefaultHeartsFollowDomainTable) {
  EXPECT_TRUE(DefaultHearts(v1::INTERACTION_KIND_ON_SITE_VISIT).Has(v1::HEART_TRUST));
  EXPECT_TRUE(DefaultHearts(v1::INTERACTION_KIND_CONSULTING).Has(v1::HEART_TRUST));
  EXPECT_TRUE(DefaultHearts(v1::INTERACTION_KIND_INDUSTRY_REPORT_SENT).Has(v1::HEART_CARE));
  EXPECT_TRUE(DefaultHearts(v1::INTERACTION_KIND_CHECK_IN_CALL).Has(v1::HEART_CARE));
  EXPECT_TRUE(DefaultHearts(v1::INTERACTION_KIND_SURVEY).Has(v1::HEART_LISTENING));
  EXPECT_TRUE(DefaultHearts(v1::INTERACTION_KIND_EMAIL).Has(v1::HEART_COMMUNICATION));
  EXPECT_TRUE(DefaultHearts(v1::INTERACTION_KIND_COLLECTION_REVIEW).Has(v1::HEART_FEEDBACK));
  EXPECT_TRUE(DefaultHearts(v1::INTERACTION_KIND_UNSPECIFIED).empty());
  // Every kind maps to exactly one heart.
  for (int kind = 1; kind <= v1::InteractionKind_MAX; ++kind) {
    EXPECT_EQ(DefaultHearts(static_cast<v1::InteractionKind>(kind)).ToVector().size(), 1u) << kind;
  }
}

TEST(HeartsTest, EventHeartsTagsReplaceDefaultsAndSurveyIsListeningAndFeedback) {
  Stream s("x");
  // Tagged CARE only: the visit's default TRUST is replaced, not added to.
  const HeartSet tagged =
      EventHearts(s.Touch(v1::INTERACTION_KIND_ON_SITE_VISIT, kAsOf, {v1::HEART_CARE}));
  EXPECT_EQ(tagged.ToVector(), std::vector<v1::Heart>{v1::HEART_CARE});
  EXPECT_EQ(EventHearts(s.Touch(v1::INTERACTION_KIND_ON_SITE_VISIT, kAsOf)).ToVector(),
            std::vector<v1::Heart>{v1::HEART_TRUST});
  EXPECT_EQ(EventHearts(s.Survey("sv", kAsOf, 4)).ToVector(),
            (std::vector<v1::Heart>{v1::HEART_LISTENING, v1::HEART_FEEDBACK}));
  EXPECT_EQ(EventHearts(s.ConcernRaised("c", kAsOf)).ToVector(),
            std::vector<v1::Heart>{v1::HEART_LISTENING});
  EXPECT_EQ(EventHearts(s.FollowUp("f", kAsOf, kAsOf)).ToVector(),
            std::vector<v1::Heart>{v1::HEART_EXECUTION});
  EXPECT_TRUE(EventHearts(s.Invoice("inv", 1, kAsOf, kAsOf)).empty());
  // Business date over occurred_at: a survey recorded on 06-30 about 05-01.
  v1::Event survey = s.Survey("sv2", CivilDay(2026, 5, 1), 5);
  EXPECT_EQ(EventDay(survey), CivilDay(2026, 5, 1));
  EXPECT_EQ(EventDay(s.Touch(v1::INTERACTION_KIND_CALL, CivilDay(2026, 6, 3))),
            CivilDay(2026, 6, 3));
}

// ---------------------------------------------------------------------------- scorecard

TEST(ScorecardTest, CadenceCoverageAtPeriodEdges) {
  Stream a("a");
  // 04-01 is as_of - 90: the last day of trust's P1, not P0.
  States only_edge =
      Fold({a.Registered(), a.Touch(v1::INTERACTION_KIND_ON_SITE_VISIT, CivilDay(2026, 4, 1))});
  const HeartScore& trust = HeartOf(Score(only_edge, "a"), v1::HEART_TRUST);
  EXPECT_EQ(trust.periods, 2);  // floor(180 / 90)
  EXPECT_EQ(trust.periods_covered, 1);
  EXPECT_DOUBLE_EQ(*trust.score, 0.5);

  // 04-02 is as_of - 89: the first day of P0. With 04-01, both periods: 2/2.
  Stream b("b");
  States both = Fold({b.Touch(v1::INTERACTION_KIND_ON_SITE_VISIT, CivilDay(2026, 4, 1)),
                      b.Touch(v1::INTERACTION_KIND_CONSULTING, CivilDay(2026, 4, 2))});
  EXPECT_DOUBLE_EQ(*HeartOf(Score(both, "b"), v1::HEART_TRUST).score, 1.0);

  // 01-01 is as_of - 180, one day before the window: 0/2.
  Stream c("c");
  States outside = Fold({c.Touch(v1::INTERACTION_KIND_ON_SITE_VISIT, CivilDay(2026, 1, 1))});
  EXPECT_DOUBLE_EQ(*HeartOf(Score(outside, "c"), v1::HEART_TRUST).score, 0.0);
  // ...but as of one day earlier, 01-01 is inside P1 (06-29 - 179 = 01-01): 1/2.
  EXPECT_DOUBLE_EQ(*HeartOf(Score(outside, "c", CivilDay(2026, 6, 29)), v1::HEART_TRUST).score,
                   0.5);

  // Care: 06-01 (first day of P0) and 05-31 (last day of P1) and 05-02 (first day of P1):
  // P0 and P1 covered, 2 of floor(180 / 30) = 6 periods.
  Stream d("d");
  States care = Fold({d.Touch(v1::INTERACTION_KIND_INDUSTRY_REPORT_SENT, CivilDay(2026, 6, 1)),
                      d.Touch(v1::INTERACTION_KIND_MARKET_ANALYSIS_SENT, CivilDay(2026, 5, 31)),
                      d.Touch(v1::INTERACTION_KIND_CHECK_IN_CALL, CivilDay(2026, 5, 2))});
  const HeartScore& care_score = HeartOf(Score(care, "d"), v1::HEART_CARE);
  EXPECT_EQ(care_score.periods, 6);
  EXPECT_EQ(care_score.periods_covered, 2);
  EXPECT_DOUBLE_EQ(*care_score.score, 2.0 / 6.0);

  // Communication: 12 periods of 14 days; 06-17 (P0's first day), 06-16 (P1's last day)
  // and 01-14 (P11's first day): 3/12 = 0.25. 01-13 would be past the 168 days counted.
  Stream e("e");
  States comm = Fold({e.Touch(v1::INTERACTION_KIND_EMAIL, CivilDay(2026, 6, 17)),
                      e.Touch(v1::INTERACTION_KIND_CALL, CivilDay(2026, 6, 16)),
                      e.Touch(v1::INTERACTION_KIND_MESSAGE, CivilDay(2026, 1, 14)),
                      e.Touch(v1::INTERACTION_KIND_MESSAGE, CivilDay(2026, 1, 13))});
  const HeartScore& comm_score = HeartOf(Score(comm, "e"), v1::HEART_COMMUNICATION);
  EXPECT_EQ(comm_score.periods, 12);
  EXPECT_EQ(comm_score.periods_covered, 3);
  EXPECT_DOUBLE_EQ(*comm_score.score, 0.25);
}

TEST(ScorecardTest, ListeningAveragesCoverageWithConcernsResolvedInThirtyDays) {
  Stream a("a");
  States states = Fold({
      // Raised 03-01 (P2), resolved 03-31 (P1): 30 days, in time.
      a.ConcernRaised("k1", CivilDay(2026, 3, 1)),
      a.ConcernResolved("k1", CivilDay(2026, 3, 31)),
      // Raised 04-01 (P1), resolved 05-02 (P0): 31 days, too late.
      a.ConcernRaised("k2", CivilDay(2026, 4, 1)),
      a.ConcernResolved("k2", CivilDay(2026, 5, 2)),
  });
  // Coverage 3/3 (P0, P1, P2 all hold a concern event); concerns 1 of 2 in time.
  // Listening = (1 + 1/2) / 2 = 0.75.
  const HeartScore& listening = HeartOf(Score(states, "a"), v1::HEART_LISTENING);
  EXPECT_EQ(listening.periods_covered, 3);
  EXPECT_EQ(listening.concerns_judged, 2);
  EXPECT_EQ(listening.concerns_resolved_in_time, 1);
  EXPECT_DOUBLE_EQ(*listening.score, 0.75);

  // k4 raised 05-15 and open: 05-15 + 30 = 06-14 < 06-30, judged and missed.
  // k3 raised 06-20 and open: still inside its 30 days, not judged.
  states.relationships.Apply(a.ConcernRaised("k4", CivilDay(2026, 5, 15)));
  states.relationships.Apply(a.ConcernRaised("k3", CivilDay(2026, 6, 20)));
  const HeartScore& later = HeartOf(Score(states, "a"), v1::HEART_LISTENING);
  EXPECT_EQ(later.concerns_judged, 3);
  EXPECT_EQ(later.concerns_resolved_in_time, 1);
  // (1 + 1/3) / 2 = 2/3.
  EXPECT_DOUBLE_EQ(*later.score, (1.0 + 1.0 / 3.0) / 2.0);

  // As of 05-01, k2 (raised 04-01) is open and 04-01 + 30 = 05-01 is not before 05-01:
  // not judged; k1 is. Window 11-03..05-01: P0 03-03..05-01 (k1 resolved, k2 raised),
  // P1 01-02..03-02 (k1 raised), P2 11-03..01-01 (nothing): coverage 2/3.
  // Listening = (2/3 + 1/1) / 2 = 5/6.
  const HeartScore& early = HeartOf(Score(states, "a", CivilDay(2026, 5, 1)), v1::HEART_LISTENING);
  EXPECT_EQ(early.concerns_judged, 1);
  EXPECT_DOUBLE_EQ(*early.score, (2.0 / 3.0 + 1.0) / 2.0);
}

TEST(ScorecardTest, ExecutionCountsOnTimeLateMissingAndNoneDueIsNotApplicable) {
  Stream a("a");
  const States states = Fold({
      a.Plan("p1", CivilDay(2026, 3, 1),
             {{"s1", CivilDay(2026, 3, 31), 0},    // done on its due day: on time
              {"s2", CivilDay(2026, 4, 30), 0},    // done 05-02: late
              {"s3", CivilDay(2026, 5, 31), 0},    // never done: missing
              {"s4", CivilDay(2026, 6, 30), 0},    // due on as_of, not done: not judged yet
              {"s5", CivilDay(2026, 7, 15), 0}}),  // not due yet
      a.StepDone("p1", "s1", CivilDay(2026, 3, 31)),
      a.StepDone("p1", "s2", CivilDay(2026, 5, 2)),
      a.FollowUp("f1", CivilDay(2026, 6, 1), CivilDay(2026, 6, 10)),
      a.FollowUpDone("f1", CivilDay(2026, 6, 9)),  // early: on time
      // Due before the window: not scored, but still an overdue alert.
      a.FollowUp("f0", CivilDay(2025, 11, 1), CivilDay(2025, 12, 1)),
  });
  const ClientScorecard card = Score(states, "a");
  const HeartScore& execution = HeartOf(card, v1::HEART_EXECUTION);
  // Due in the window and judged: s1, s2, s3, f1 = 4; on time: s1, f1 = 2. 2/4 = 0.5.
  EXPECT_EQ(execution.items_due, 4);
  EXPECT_EQ(execution.items_on_time, 2);
  EXPECT_DOUBLE_EQ(*execution.score, 0.5);

  // Nothing due in the window: not applicable.
  Stream b("b");
  const States none = Fold({b.Plan("p", CivilDay(2026, 6, 1), {{"s", CivilDay(2026, 8, 1), 0}})});
  EXPECT_FALSE(HeartOf(Score(none, "b"), v1::HEART_EXECUTION).score.has_value());
}

TEST(ScorecardTest, FeedbackFromASurvey) {
  Stream a("a");
  const States states = Fold({a.Survey("sv1", CivilDay(2026, 5, 1), 4)});
  const ClientScorecard card = Score(states, "a");
  // Feedback (90): 05-01 lies in P0 (04-02..06-30); P1 empty: 1/2.
  EXPECT_DOUBLE_EQ(*HeartOf(card, v1::HEART_FEEDBACK).score, 0.5);
  // Listening (60): 05-01 is the last day of P1 (03-03..05-01): 1/3.
  EXPECT_DOUBLE_EQ(*HeartOf(card, v1::HEART_LISTENING).score, 1.0 / 3.0);
}

TEST(ScorecardTest, HealthIndexIsTheMeanOfApplicableHeartsOnly) {
  Stream a("a");
  const States states = Fold({
      // Trust: P0 (05-01) and P1 (03-01): 1.
      a.Touch(v1::INTERACTION_KIND_ON_SITE_VISIT, CivilDay(2026, 5, 1)),
      a.Touch(v1::INTERACTION_KIND_PRE_PROJECT_RESEARCH, CivilDay(2026, 3, 1)),
      // Care: P0 (06-10), P1 (05-10), P2 (04-10): 3/6 = 0.5.
      a.Touch(v1::INTERACTION_KIND_CHECK_IN_CALL, CivilDay(2026, 6, 10)),
      a.Touch(v1::INTERACTION_KIND_CHECK_IN_CALL, CivilDay(2026, 5, 10)),
      a.Touch(v1::INTERACTION_KIND_CHECK_IN_CALL, CivilDay(2026, 4, 10)),
      // Communication: one every 14 days from 06-30 back, six times: P0..P5 = 6/12 = 0.5.
      a.Touch(v1::INTERACTION_KIND_EMAIL, CivilDay(2026, 6, 30)),
      a.Touch(v1::INTERACTION_KIND_EMAIL, CivilDay(2026, 6, 16)),
      a.Touch(v1::INTERACTION_KIND_EMAIL, CivilDay(2026, 6, 2)),
      a.Touch(v1::INTERACTION_KIND_EMAIL, CivilDay(2026, 5, 19)),
      a.Touch(v1::INTERACTION_KIND_EMAIL, CivilDay(2026, 5, 5)),
      a.Touch(v1::INTERACTION_KIND_EMAIL, CivilDay(2026, 4, 21)),
  });
  const ClientScorecard card = Score(states, "a");
  EXPECT_DOUBLE_EQ(*HeartOf(card, v1::HEART_TRUST).score, 1.0);
  EXPECT_DOUBLE_EQ(*HeartOf(card, v1::HEART_CARE).score, 0.5);
  EXPECT_DOUBLE_EQ(*HeartOf(card, v1::HEART_LISTENING).score, 0.0);
  EXPECT_DOUBLE_EQ(*HeartOf(card, v1::HEART_COMMUNICATION).score, 0.5);
  EXPECT_FALSE(HeartOf(card, v1::HEART_EXECUTION).score.has_value());
  EXPECT_DOUBLE_EQ(*HeartOf(card, v1::HEART_FEEDBACK).score, 0.0);
  // Five applicable hearts: 100 * (1 + 0.5 + 0 + 0.5 + 0) / 5 = 40.
  ASSERT_TRUE(card.health_index.has_value());
  EXPECT_DOUBLE_EQ(*card.health_index, 40.0);
}

TEST(ScorecardTest, NeglectAlertsForStaleHeartsAndOverdueItems) {
  Stream a("a");
  const States states = Fold({
      a.Touch(v1::INTERACTION_KIND_CHECK_IN_CALL, CivilDay(2026, 5, 31)),  // care: 30 days
      a.Touch(v1::INTERACTION_KIND_ON_SITE_VISIT, CivilDay(2026, 4, 1)),   // trust: 90 days
      a.Touch(v1::INTERACTION_KIND_EMAIL, CivilDay(2026, 6, 15)),          // comm: 15 days
      a.Survey("sv", CivilDay(2026, 6, 29), 5),  // listening and feedback: 1 day
      a.Plan("p1", CivilDay(2026, 6, 1), {{"s1", CivilDay(2026, 6, 20), 0}}),
      a.FollowUp("f1", CivilDay(2026, 6, 1), CivilDay(2026, 6, 25), v1::HEART_CARE),
  });
  const ClientScorecard card = Score(states, "a");
  // Care at exactly its cadence (30) and trust at exactly 90 are not older than it: no
  // alert. Communication: 15 days > 14: alert. Execution: the plan on 06-01 is 29 days
  // ago (cadence 30): no alert. Then f1 (due 06-25, 5 days) and p1/s1 (due 06-20,
  // 10 days) by due date: s1 first.
  ASSERT_EQ(card.alerts.size(), 3u);
  EXPECT_EQ(card.alerts[0].kind, NeglectKind::kHeart);
  EXPECT_EQ(card.alerts[0].heart, v1::HEART_COMMUNICATION);
  EXPECT_EQ(card.alerts[0].days, 15);
  EXPECT_EQ(card.alerts[0].message,
            "communication: last practised 2026-06-15, 15 days ago "
            "(cadence 14)");
  EXPECT_EQ(card.alerts[1].kind, NeglectKind::kOverduePlanStep);
  EXPECT_EQ(card.alerts[1].item_id, "p1/s1");
  EXPECT_EQ(card.alerts[1].days, 10);
  EXPECT_EQ(card.alerts[2].kind, NeglectKind::kOverdueFollowUp);
  EXPECT_EQ(card.alerts[2].item_id, "f1");
  EXPECT_EQ(card.alerts[2].heart, v1::HEART_CARE);
  EXPECT_EQ(card.alerts[2].days, 5);

  // One day later trust (91 days) and care (31 days) are stale as well.
  const ClientScorecard next_day = Score(states, "a", CivilDay(2026, 7, 1));
  ASSERT_GE(next_day.alerts.size(), 3u);
  EXPECT_EQ(next_day.alerts[0].heart, v1::HEART_TRUST);
  EXPECT_EQ(next_day.alerts[0].days, 91);
  EXPECT_EQ(next_day.alerts[1].heart, v1::HEART_CARE);
  EXPECT_EQ(next_day.alerts[2].heart, v1::HEART_COMMUNICATION);

  // A client never touched: six "never practised" alerts.
  Stream b("b");
  const States empty = Fold({b.Registered()});
  const ClientScorecard never = Score(empty, "b");
  ASSERT_EQ(never.alerts.size(), 6u);
  EXPECT_FALSE(never.alerts[0].last_event_on.has_value());
  EXPECT_EQ(never.alerts[0].message, "trust: never practised (cadence 90)");
}

TEST(ScorecardTest, CompletedFollowUpAlsoPractisesItsHeart) {
  Stream a("a");
  const States states = Fold({
      a.FollowUp("f1", CivilDay(2026, 6, 1), CivilDay(2026, 6, 10), v1::HEART_CARE),
      a.FollowUpDone("f1", CivilDay(2026, 6, 8)),
  });
  // Care: 06-08 in P0: 1/6. Execution: f1 on time: 1/1.
  const ClientScorecard card = Score(states, "a");
  EXPECT_DOUBLE_EQ(*HeartOf(card, v1::HEART_CARE).score, 1.0 / 6.0);
  EXPECT_DOUBLE_EQ(*HeartOf(card, v1::HEART_EXECUTION).score, 1.0);
}

TEST(ScorecardTest, PerAccountOwnerAveragesClients) {
  Stream a("a");
  Stream b("b");
  Stream c("c");
  const States states = Fold({
      a.Owner("alice"), a.AllHearts(CivilDay(2026, 6, 1)), b.Owner("alice"), b.Registered(),
      c.Owner("bob", CivilDay(2026, 7, 1)), c.Registered(),  // bob only from 07-01
  });
  const absl::StatusOr<ScorecardReport> report = ComputeScorecard(states.relationships, kAsOf);
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_EQ(report->clients.size(), 3u);
  // a: trust 1/2, care 1/6, listening 1/3, communication 1/12, execution n/a (no item),
  // feedback 1/2. Index = 100 * (1/2 + 1/6 + 1/3 + 1/12 + 1/2) / 5 = 100 * 19/12 / 5
  // = 31.666...
  EXPECT_NEAR(*report->clients[0].health_index, 100.0 * 19.0 / 60.0, 1e-9);
  // b: every cadence heart 0, execution n/a: index 0.
  EXPECT_DOUBLE_EQ(*report->clients[1].health_index, 0.0);
  // c has no owner yet on 06-30.
  EXPECT_EQ(report->clients[2].account_owner, "");
  ASSERT_EQ(report->owners.size(), 2u);
  EXPECT_EQ(report->owners[0].account_owner, "");
  EXPECT_EQ(report->owners[1].account_owner, "alice");
  EXPECT_EQ(report->owners[1].clients, 2);
  // alice: (31.666... + 0) / 2; trust (1/2 + 0) / 2 = 1/4.
  EXPECT_NEAR(*report->owners[1].health_index, 100.0 * 19.0 / 120.0, 1e-9);
  EXPECT_DOUBLE_EQ(*report->owners[1].heart_scores[HeartIndex(v1::HEART_TRUST)], 0.25);
  EXPECT_FALSE(report->owners[1].heart_scores[HeartIndex(v1::HEART_EXECUTION)].has_value());

  ScorecardOptions bad;
  bad.cadence_days[HeartIndex(v1::HEART_CARE)] = 0;
  EXPECT_EQ(ComputeScorecard(states.relationships, kAsOf, bad).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// -------------------------------------------------------------------------------- plans

TEST(PlansTest, StepStatusesAndProgressAgainstCollectedMoney) {
  Stream a("a");
  const States states = Fold({
      a.Invoice("inv", 5000'00, CivilDay(2026, 1, 15), CivilDay(2026, 2, 14)),
      a.Payment("pay-0", 500'00, CivilDay(2026, 2, 15), "inv"),  // before the plan
      a.Plan("p1", CivilDay(2026, 3, 1),
             {{"s1", CivilDay(2026, 3, 31), 300'00},
              {"s2", CivilDay(2026, 4, 30), 300'00},
              {"s3", CivilDay(2026, 5, 31), 400'00},
              {"s4", CivilDay(2026, 7, 31), 1000'00}}),
      a.StepDone("p1", "s1", CivilDay(2026, 3, 30)),
      a.Payment("pay-1", 250'00, CivilDay(2026, 4, 1), "inv"),
      a.Payment("pay-2", 300'00, CivilDay(2026, 5, 6), "inv"),
      a.StepDone("p1", "s2", CivilDay(2026, 5, 5)),
      a.Payment("pay-3", 100'00, CivilDay(2026, 6, 1), "inv"),
      a.Reversed("pay-3", CivilDay(2026, 6, 5)),  // bounced: not collected
  });
  const std::vector<PlanReport> plans =
      ComputePlans(states.relationships, states.receivables, kAsOf);
  ASSERT_EQ(plans.size(), 1u);
  const PlanReport& plan = plans[0];
  ASSERT_EQ(plan.steps.size(), 4u);
  EXPECT_EQ(plan.steps[0].status, StepStatus::kDoneOnTime);
  EXPECT_EQ(plan.steps[1].status, StepStatus::kDoneLate);
  EXPECT_EQ(plan.steps[1].days_late, 5);  // 05-05 - 04-30
  EXPECT_EQ(plan.steps[2].status, StepStatus::kOverdue);
  EXPECT_EQ(plan.steps[2].days_late, 30);  // 06-30 - 05-31
  EXPECT_EQ(plan.steps[3].status, StepStatus::kUpcoming);
  EXPECT_EQ(plan.done_on_time, 1);
  EXPECT_EQ(plan.done_late, 1);
  EXPECT_EQ(plan.overdue, 1);
  EXPECT_EQ(plan.upcoming, 1);
  ASSERT_EQ(plan.money.size(), 1u);
  const PlanMoney& money = plan.money[0];
  EXPECT_EQ(money.currency, "CNY");
  EXPECT_EQ(money.expected_minor, 2000'00);      // 300 + 300 + 400 + 1000
  EXPECT_EQ(money.expected_due_minor, 1000'00);  // s1 + s2 + s3
  EXPECT_EQ(money.collected_minor, 550'00);      // pay-1 + pay-2; not pay-0, not pay-3
  EXPECT_EQ(money.shortfall_minor, 450'00);      // 1000 - 550
  EXPECT_DOUBLE_EQ(*money.progress, 0.275);      // 550 / 2000

  // As of 05-03: s2 not done yet and due 04-30: overdue 3 days; pay-2 not arrived:
  // collected 250.00.
  const std::vector<PlanReport> earlier =
      ComputePlans(states.relationships, states.receivables, CivilDay(2026, 5, 3));
  EXPECT_EQ(earlier[0].steps[1].status, StepStatus::kOverdue);
  EXPECT_EQ(earlier[0].steps[1].days_late, 3);
  EXPECT_EQ(earlier[0].money[0].collected_minor, 250'00);
}

TEST(PlansTest, ReplacedPlanReadsAsItStoodOnEachDay) {
  Stream a("a");
  const States states = Fold({
      a.Plan("p1", CivilDay(2026, 3, 1),
             {{"s1", CivilDay(2026, 3, 31), 0}, {"s3", CivilDay(2026, 5, 31), 0}}),
      a.StepDone("p1", "s1", CivilDay(2026, 3, 31)),
      // Rescheduled on 06-15: s3 moves to 07-15; s1's completion carries over.
      a.Plan("p1", CivilDay(2026, 6, 15),
             {{"s1", CivilDay(2026, 3, 31), 0}, {"s3", CivilDay(2026, 7, 15), 0}}),
  });
  const PlanReport before =
      ComputePlans(states.relationships, states.receivables, CivilDay(2026, 6, 10))[0];
  EXPECT_EQ(before.version_set_on, CivilDay(2026, 3, 1));
  EXPECT_EQ(before.steps[1].status, StepStatus::kOverdue);  // due 05-31, 10 days
  const PlanReport after = ComputePlans(states.relationships, states.receivables, kAsOf)[0];
  EXPECT_EQ(after.version_set_on, CivilDay(2026, 6, 15));
  EXPECT_EQ(after.first_set_on, CivilDay(2026, 3, 1));
  EXPECT_EQ(after.steps[0].status, StepStatus::kDoneOnTime);
  EXPECT_EQ(after.steps[1].status, StepStatus::kUpcoming);
}

// ----------------------------------------------------------------------------- worklist

// a: owes 10,000.00 due 05-31 (30 days), never touched. b: owes 5,000.00 due 03-02
// (120 days), broke a promise, every heart practised on 06-29. c (bob): an overdue
// follow-up. d: nothing to do.
std::vector<v1::Event> WorklistPortfolio() {
  Stream a("a");
  Stream b("b");
  Stream c("c");
  Stream d("d");
  return {
      a.Registered(),
      a.Owner("alice"),
      a.Invoice("a-1", 10000'00, CivilDay(2026, 5, 1), CivilDay(2026, 5, 31)),
      b.Registered(),
      b.Owner("alice"),
      b.Invoice("b-1", 5000'00, CivilDay(2026, 2, 1), CivilDay(2026, 3, 2)),
      b.Promise("b-p", 5000'00, CivilDay(2026, 5, 1), CivilDay(2026, 5, 20)),
      b.AllHearts(CivilDay(2026, 6, 29)),
      c.Registered(),
      c.Owner("bob"),
      c.FollowUp("c-f", CivilDay(2026, 6, 1), CivilDay(2026, 6, 20)),
      c.AllHearts(CivilDay(2026, 6, 29)),
      d.Registered(),
      d.Owner("bob"),
      d.AllHearts(CivilDay(2026, 6, 29)),
  };
}

TEST(WorklistTest, RankedWithVisibleComponents) {
  const std::vector<v1::Event> events = WorklistPortfolio();
  const States states = Fold(events);
  const absl::StatusOr<Worklist> list =
      ComputeWorklist(states.relationships, states.receivables, kAsOf);
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ(list->clients_considered, 4);
  ASSERT_EQ(list->rows.size(), 3u);  // d scores 0 and is left out

  // a: amount 40 x 10000/10000 = 40; age 20 x 30/180 = 3.333; 6 hearts never practised:
  // 5 x 6 = 30. Total 73.333.
  const WorklistRow& a = list->rows[0];
  EXPECT_EQ(a.rank, 1);
  EXPECT_EQ(a.client_id, "a");
  EXPECT_EQ(Opened(a.name, events), "Bureau a");
  EXPECT_NEAR(a.score, 40.0 + 20.0 / 6.0 + 30.0, 1e-9);
  ASSERT_EQ(a.components.size(), 3u);
  EXPECT_EQ(a.components[0].name, "overdue amount");
  EXPECT_EQ(a.components[0].explanation, "40.00 x 10000.00 CNY / largest 10000.00 CNY = 40.00");
  EXPECT_EQ(a.components[1].name, "overdue age");
  EXPECT_EQ(a.components[1].explanation, "20.00 x min(30, 180) / 180 days = 3.33");
  EXPECT_EQ(a.components[2].name, "neglected hearts");
  EXPECT_DOUBLE_EQ(a.components[2].points, 30.0);
  ASSERT_EQ(a.next_actions.size(), 6u);
  EXPECT_EQ(a.next_actions[0].heart, v1::HEART_TRUST);
  EXPECT_EQ(a.next_actions[0].action, "schedule an on-site visit or consulting session");
  EXPECT_EQ(a.next_actions[1].action, "send an industry report or market analysis");

  // b: amount 40 x 5000/10000 = 20; age 20 x 120/180 = 13.333; promise judged 05-23 with
  // nothing paid: broken, 10 x 1. Total 43.333. No neglected heart.
  const WorklistRow& b = list->rows[1];
  EXPECT_EQ(b.client_id, "b");
  EXPECT_NEAR(b.score, 20.0 + 40.0 / 3.0 + 10.0, 1e-9);
  ASSERT_EQ(b.components.size(), 3u);
  EXPECT_EQ(b.components[2].name, "broken promises");
  EXPECT_EQ(b.components[2].explanation, "10.00 x min(1, 3) = 10.00");
  EXPECT_TRUE(b.next_actions.empty());

  // c: one overdue follow-up, 3 points.
  EXPECT_EQ(list->rows[2].client_id, "c");
  EXPECT_DOUBLE_EQ(list->rows[2].score, 3.0);
  EXPECT_EQ(list->rows[2].components[0].name, "overdue follow-ups and plan steps");
}

TEST(WorklistTest, TeamFilterAndStatutoryDeadline) {
  const States states = Fold(WorklistPortfolio());
  WorklistOptions options;
  options.account_owners = {"bob"};
  // Deadline 07-10 is 10 days away within a 30-day horizon: 30 x (30 - 10) / 30 = 20.
  options.statutory_deadlines["c"] = CivilDay(2026, 7, 10);
  const absl::StatusOr<Worklist> list =
      ComputeWorklist(states.relationships, states.receivables, kAsOf, options);
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ(list->clients_considered, 2);  // c and d
  ASSERT_EQ(list->rows.size(), 1u);
  EXPECT_EQ(list->rows[0].client_id, "c");
  EXPECT_DOUBLE_EQ(list->rows[0].score, 23.0);
  EXPECT_EQ(list->rows[0].components[1].name, "statutory deadline");
  EXPECT_EQ(list->rows[0].components[1].explanation,
            "30.00 x (30 - 10) / 30 (deadline 2026-07-10) = 20.00");

  options.overdue_amount_weight = -1;
  EXPECT_EQ(
      ComputeWorklist(states.relationships, states.receivables, kAsOf, options).status().code(),
      absl::StatusCode::kInvalidArgument);
}

// ----------------------------------------------------------------------------- evidence

TEST(EvidenceTest, PaymentBehaviourByHealthBandAndHeart) {
  Stream high("high");
  Stream mid("mid");
  Stream low("low");
  Stream low2("low2");
  std::vector<v1::Event> events = {high.Registered(), mid.Registered(), low.Registered(),
                                   low2.Registered()};
  // high: every heart every 14 days from 06-30 back to 01-27 (as_of - 154): every period
  // of every cadence covered, index 100.
  for (int k = 0; k <= 11; ++k) events.push_back(high.AllHearts(kAsOf - 14 * k));
  // mid: the same for 06-30 back to 04-21 (as_of - 70): trust 1/2, care 3/6 (days
  // 0, 14, 28 | 42, 56 | 70), listening 2/3 (0..59 | 60..119), communication 6/12,
  // feedback 1/2. Index = 100 * (0.5 + 0.5 + 2/3 + 0.5 + 0.5) / 5 = 53.333.
  for (int k = 0; k <= 5; ++k) events.push_back(mid.AllHearts(kAsOf - 14 * k));
  // low, low2: no relationship at all, index 0.

  // high: two invoices paid on time, a promise kept (500.00 by 04-28, judged 05-01;
  // h-2's 1000.00 arrived 04-30).
  events.push_back(high.Invoice("h-1", 1000'00, CivilDay(2026, 3, 1), CivilDay(2026, 3, 31)));
  events.push_back(high.Payment("h-pay-1", 1000'00, CivilDay(2026, 3, 30), "h-1"));
  events.push_back(high.Promise("h-p", 500'00, CivilDay(2026, 4, 1), CivilDay(2026, 4, 28)));
  events.push_back(high.Invoice("h-2", 1000'00, CivilDay(2026, 4, 1), CivilDay(2026, 4, 30)));
  events.push_back(high.Payment("h-pay-2", 1000'00, CivilDay(2026, 4, 30), "h-2"));
  // mid: 1000.00 paid 10 days late, 3000.00 on time.
  events.push_back(mid.Invoice("m-1", 1000'00, CivilDay(2026, 3, 1), CivilDay(2026, 3, 31)));
  events.push_back(mid.Payment("m-pay-1", 1000'00, CivilDay(2026, 4, 10), "m-1"));
  events.push_back(mid.Invoice("m-2", 3000'00, CivilDay(2026, 4, 1), CivilDay(2026, 4, 30)));
  events.push_back(mid.Payment("m-pay-2", 3000'00, CivilDay(2026, 4, 30), "m-2"));
  // low: 2000.00 paid 60 days late; a promise by 04-15 (judged 04-18) broken.
  events.push_back(low.Invoice("l-1", 2000'00, CivilDay(2026, 3, 1), CivilDay(2026, 3, 31)));
  events.push_back(low.Promise("l-p", 2000'00, CivilDay(2026, 4, 5), CivilDay(2026, 4, 15)));
  events.push_back(low.Payment("l-pay-1", 2000'00, CivilDay(2026, 5, 30), "l-1"));
  // low2: 2000.00 due 05-31 still unpaid (30 days late on 06-30); a promise by 06-10
  // (judged 06-13) broken.
  events.push_back(low2.Invoice("l2-1", 2000'00, CivilDay(2026, 5, 1), CivilDay(2026, 5, 31)));
  events.push_back(low2.Promise("l2-p", 2000'00, CivilDay(2026, 6, 1), CivilDay(2026, 6, 10)));
  const States states = Fold(events);

  const absl::StatusOr<EvidenceReport> report =
      ComputeEvidence(states.relationships, states.receivables, kAsOf);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->clients, 4);
  ASSERT_EQ(report->bands.size(), 3u);

  const EvidenceBand& weak = report->bands[0];
  EXPECT_EQ(weak.label, "0-40");
  EXPECT_EQ(weak.behaviour.clients, 2);
  ASSERT_EQ(weak.behaviour.days_late.size(), 1u);
  // (2000 x 60 + 2000 x 30) / 4000 = 45.
  EXPECT_DOUBLE_EQ(*weak.behaviour.days_late[0].average_days_late, 45.0);
  EXPECT_DOUBLE_EQ(*weak.behaviour.on_time_share, 0.0);  // 0 of 2
  EXPECT_EQ(weak.behaviour.promises_judged, 2);
  EXPECT_DOUBLE_EQ(*weak.behaviour.broken_promise_rate, 1.0);  // 2 of 2

  const EvidenceBand& middle = report->bands[1];
  EXPECT_EQ(middle.label, "40-70");
  EXPECT_EQ(middle.behaviour.clients, 1);
  // (1000 x 10 + 3000 x 0) / 4000 = 2.5.
  EXPECT_DOUBLE_EQ(*middle.behaviour.days_late[0].average_days_late, 2.5);
  EXPECT_DOUBLE_EQ(*middle.behaviour.on_time_share, 0.5);  // 1 of 2
  EXPECT_FALSE(middle.behaviour.broken_promise_rate.has_value());

  const EvidenceBand& strong = report->bands[2];
  EXPECT_EQ(strong.label, "70-100");
  EXPECT_EQ(strong.behaviour.clients, 1);
  EXPECT_DOUBLE_EQ(*strong.behaviour.days_late[0].average_days_late, 0.0);
  EXPECT_DOUBLE_EQ(*strong.behaviour.on_time_share, 1.0);
  EXPECT_DOUBLE_EQ(*strong.behaviour.broken_promise_rate, 0.0);  // 0 of 1

  // Trust: high (1) and mid (0.5) practise it; low, low2 (0) do not.
  // Practised: 3 of 4 invoices on time; not: 0 of 2.
  const HeartEvidence& trust = report->hearts[HeartIndex(v1::HEART_TRUST)];
  EXPECT_EQ(trust.practised.clients, 2);
  EXPECT_DOUBLE_EQ(*trust.practised.on_time_share, 0.75);
  EXPECT_EQ(trust.not_practised.clients, 2);
  EXPECT_DOUBLE_EQ(*trust.not_practised.on_time_share, 0.0);
  // Execution is not applicable to anyone (no plan steps or follow-ups due).
  const HeartEvidence& execution = report->hearts[HeartIndex(v1::HEART_EXECUTION)];
  EXPECT_EQ(execution.practised.clients + execution.not_practised.clients, 0);

  // Pearson over (100, 1), (53.33, 0.5), (0, 0), (0, 0): 0.99942 (computed separately).
  EXPECT_EQ(report->correlation_clients, 4);
  EXPECT_NEAR(*report->health_on_time_correlation, 0.999420, 1e-5);
  EXPECT_EQ(report->answer.rfind("Clients with a health index of 70-100 paid 100% of the "
                                 "invoices due on time (broken-promise rate 0%) against 0% "
                                 "(100%) for 0-40.",
                                 0),
            0u)
      << report->answer;
}

// ----------------------------------------------------------------------------- timeline

std::vector<v1::Event> TimelineHistory() {
  Stream t("t");
  return {
      t.Registered(),
      t.Contract("c-1", CivilDay(2026, 1, 10)),
      t.Invoice("i-1", 1000'00, CivilDay(2026, 1, 29), CivilDay(2026, 2, 28)),
      t.Payment("pay-1", 1000'00, CivilDay(2026, 3, 5), "i-1"),  // 5 days late
      t.Invoice("i-2", 2000'00, CivilDay(2026, 3, 1), CivilDay(2026, 3, 31)),
      t.Payment("pay-2", 2000'00, CivilDay(2026, 3, 25), "i-2"),                // on time
      t.Invoice("i-3", 1500'00, CivilDay(2026, 3, 16), CivilDay(2026, 4, 15)),  // never paid
      t.Promise("p-1", 1500'00, CivilDay(2026, 4, 1), CivilDay(2026, 4, 10)),
      t.DisputeOpened("d-1", "i-3", CivilDay(2026, 4, 20)),
      t.ConcernRaised("k-1", CivilDay(2026, 5, 1)),
      t.DisputeResolved("d-1", CivilDay(2026, 5, 5)),
      t.ConcernResolved("k-1", CivilDay(2026, 5, 10)),
      t.Touch(v1::INTERACTION_KIND_ON_SITE_VISIT, CivilDay(2026, 5, 20)),
  };
}

TEST(TimelineTest, EntriesMilestonesAndMonthlySeries) {
  const std::vector<v1::Event> events = TimelineHistory();
  const States states = Fold(events);
  TimelineOptions options;
  options.series_months = 3;
  const absl::StatusOr<ClientTimeline> timeline = ComputeTimeline(
      states.relationships, states.receivables, "t", CivilDay(2026, 5, 31), options);
  ASSERT_TRUE(timeline.ok()) << timeline.status();
  // The state keeps a reference to the name, never the name; services open it on read.
  EXPECT_EQ(timeline->name, Reference(events[0]));
  EXPECT_EQ(Opened(timeline->name, events), "Bureau t");

  ASSERT_EQ(timeline->entries.size(), 13u);
  EXPECT_EQ(timeline->entries[0].type, "ClientRegistered");
  const TimelineEntry& visit = timeline->entries.back();
  EXPECT_EQ(visit.type, "InteractionLogged");
  EXPECT_EQ(visit.on, CivilDay(2026, 5, 20));
  EXPECT_EQ(visit.hearts.ToVector(), std::vector<v1::Heart>{v1::HEART_TRUST});
  EXPECT_EQ(visit.actor, "collector-1");
  // The first 8 of the 32 hash bytes, in hex.
  EXPECT_EQ(visit.hash_prefix, absl::BytesToHexString(events.back().hash().substr(0, 8)));
  EXPECT_EQ(visit.hash_prefix.size(), 16u);
  // The contact's name is personal data and stays out of the summary.
  EXPECT_EQ(visit.summary,
            absl::StrCat("INTERACTION_KIND_ON_SITE_VISIT: ", Reference(events.back())));
  EXPECT_EQ(Opened(visit.summary, events), "INTERACTION_KIND_ON_SITE_VISIT: touch");
  // By business day: i-2 issued 03-01 comes before pay-1 received 03-05, though it
  // arrived after it.
  EXPECT_EQ(timeline->entries[3].summary, "invoice i-2 2000.00 CNY due 2026-03-31");
  EXPECT_EQ(timeline->entries[4].summary, "payment pay-1 1000.00 CNY");

  // Milestones by day: contract 01-10; i-2 paid on time 03-25 (i-1 was late); p-1
  // judged 04-10 + 3 = 04-13 with nothing paid: broken; dispute 04-20 and 05-05;
  // concern resolved 05-10 after 9 days.
  const std::vector<Milestone>& m = timeline->milestones;
  ASSERT_EQ(m.size(), 6u);
  EXPECT_EQ(m[0].kind, MilestoneKind::kFirstContract);
  EXPECT_EQ(m[0].on, CivilDay(2026, 1, 10));
  EXPECT_EQ(m[1].kind, MilestoneKind::kFirstOnTimePayment);
  EXPECT_EQ(m[1].on, CivilDay(2026, 3, 25));
  EXPECT_EQ(m[1].subject_id, "i-2");
  EXPECT_EQ(m[2].kind, MilestoneKind::kPromiseBroken);
  EXPECT_EQ(m[2].on, CivilDay(2026, 4, 13));
  EXPECT_EQ(m[2].description, "promise p-1 to pay 1500.00 CNY by 2026-04-10 broken");
  EXPECT_EQ(m[3].kind, MilestoneKind::kDisputeOpened);
  EXPECT_EQ(m[4].kind, MilestoneKind::kDisputeResolved);
  EXPECT_EQ(m[4].on, CivilDay(2026, 5, 5));
  EXPECT_EQ(m[5].kind, MilestoneKind::kConcernResolved);
  EXPECT_EQ(m[5].description, "concern k-1 resolved in 9 days");

  // Series: March, April, May.
  ASSERT_EQ(timeline->series.size(), 3u);
  const MonthlyPoint& march = timeline->series[0];
  EXPECT_EQ(march.measured_on, CivilDay(2026, 3, 31));
  EXPECT_TRUE(march.overdue_minor.empty());  // i-1 paid 03-05; i-2 due 03-31 is not past due
  EXPECT_EQ(march.invoices_due, 1);          // i-2
  EXPECT_DOUBLE_EQ(*march.on_time_share, 1.0);
  const MonthlyPoint& april = timeline->series[1];
  EXPECT_EQ(april.overdue_minor.at("CNY"), 1500'00);  // i-3
  EXPECT_EQ(april.invoices_due, 1);                   // i-3, unpaid
  EXPECT_DOUBLE_EQ(*april.on_time_share, 0.0);
  EXPECT_EQ(april.promises_broken, 1);
  const MonthlyPoint& may = timeline->series[2];
  EXPECT_EQ(may.measured_on, CivilDay(2026, 5, 31));
  EXPECT_EQ(may.overdue_minor.at("CNY"), 1500'00);
  EXPECT_FALSE(may.on_time_share.has_value());
  // May 31: trust 1/2 (05-20 in P0 03-03..05-31). Listening: coverage 1/3 (05-01 and
  // 05-10 both in P0 04-02..05-31) averaged with k-1 resolved in 9 <= 30 days (1/1):
  // (1/3 + 1) / 2 = 2/3. Care, communication, feedback 0; execution n/a.
  // 100 * (1/2 + 0 + 2/3 + 0 + 0) / 5 = 23.333.
  EXPECT_NEAR(*may.health_index, 100.0 * (0.5 + 2.0 / 3.0) / 5.0, 1e-9);

  EXPECT_EQ(
      ComputeTimeline(states.relationships, states.receivables, "nobody", kAsOf).status().code(),
      absl::StatusCode::kNotFound);
}

// --------------------------------------------------------------------- fold and snapshot

TEST(FoldTest, TimelineIsBoundedAndIgnoredEventsAreCounted) {
  Stream a("a");
  RelationshipsState state(FoldOptions{.timeline_entries_per_client = 3});
  for (int day = 1; day <= 5; ++day) {
    state.Apply(a.Touch(v1::INTERACTION_KIND_CALL, CivilDay(2026, 6, day)));
  }
  state.Apply(a.FollowUpDone("unknown", CivilDay(2026, 6, 6)));
  v1::Event stray = a.Touch(v1::INTERACTION_KIND_CALL, kAsOf);
  stray.set_stream("not-a-client");
  state.Apply(stray);

  const ClientRelationship* client = state.FindClient("a");
  ASSERT_NE(client, nullptr);
  ASSERT_EQ(client->timeline.size(), 3u);  // the last three of six
  EXPECT_EQ(client->timeline_dropped, 3u);
  EXPECT_EQ(client->timeline.front().on, CivilDay(2026, 6, 4));
  // Heart days survive the dropped entries: five distinct communication days.
  EXPECT_EQ(client->heart_days[HeartIndex(v1::HEART_COMMUNICATION)].size(), 5u);
  EXPECT_EQ(state.ignored_events().at("unknown follow-up"), 1u);
  EXPECT_EQ(state.ignored_events().at("stream is not client-<id>"), 1u);
  EXPECT_EQ(state.applied_event_count(), 7u);
}

TEST(FoldTest, SerializeDeserializeRoundTrip) {
  std::vector<v1::Event> events = TimelineHistory();
  for (const v1::Event& e : WorklistPortfolio()) events.push_back(e);
  Stream p("p");
  events.push_back(p.Owner("carol", CivilDay(2026, 2, 1)));
  events.push_back(p.Plan("plan", CivilDay(2026, 3, 1), {{"s1", CivilDay(2026, 4, 1), 100'00}}));
  events.push_back(p.StepDone("plan", "s1", CivilDay(2026, 4, 2)));
  events.push_back(p.Plan("plan", CivilDay(2026, 4, 5),
                          {{"s1", CivilDay(2026, 4, 1), 100'00}, {"s2", CivilDay(2026, 5, 1), 0}}));
  events.push_back(p.FollowUp("f", CivilDay(2026, 4, 1), CivilDay(2026, 4, 9), v1::HEART_TRUST));
  events.push_back(p.FollowUpDone("f", CivilDay(2026, 4, 8)));
  events.push_back(p.Survey("s", CivilDay(2026, 4, 3), 2));
  events.push_back(p.FollowUpDone("missing", CivilDay(2026, 4, 8)));  // an ignored event
  const States states = Fold(events, FoldOptions{.timeline_entries_per_client = 5});

  const std::string bytes = states.relationships.Serialize();
  const absl::StatusOr<RelationshipsState> restored = RelationshipsState::Deserialize(bytes);
  ASSERT_TRUE(restored.ok()) << restored.status();
  EXPECT_EQ(*restored, states.relationships);
  EXPECT_EQ(restored->Serialize(), bytes);
  EXPECT_EQ(restored->options().timeline_entries_per_client, 5u);

  // Damage is reported, never crashes.
  EXPECT_EQ(RelationshipsState::Deserialize(bytes.substr(0, bytes.size() - 1)).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(RelationshipsState::Deserialize(bytes + "x").status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(RelationshipsState::Deserialize("SHRCV\x01").status().code(),
            absl::StatusCode::kFailedPrecondition);
  std::string other_version = bytes;
  other_version[5] = 2;
  EXPECT_EQ(RelationshipsState::Deserialize(other_version).status().code(),
            absl::StatusCode::kFailedPrecondition);
  for (size_t cut = 0; cut < bytes.size(); cut += 7) {
    EXPECT_FALSE(RelationshipsState::Deserialize(bytes.substr(0, cut)).ok()) << cut;
  }

  // The fold adapter restores its own limit and refuses another, so the engine rebuilds.
  RelationshipsFold same(FoldOptions{.timeline_entries_per_client = 5});
  EXPECT_TRUE(same.Restore(bytes).ok());
  EXPECT_EQ(same.state(), states.relationships);
  RelationshipsFold other;
  EXPECT_EQ(other.Restore(bytes).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(std::string(kRelationshipsProjectionName), "relationships");
  EXPECT_NE(MakeRelationshipsFoldFactory()(), nullptr);
}

}  // namespace
}  // namespace sixhearts::services::relationships
