// The heart mapping of event types and interaction kinds, and the day each event counts on.
#include "services/relationships/hearts.h"

#include "absl/time/time.h"
#include "ledger/dates.h"

namespace sixhearts::services::relationships {
namespace {

// The payload's business date when it is a real day, else the day it occurred.
absl::CivilDay DayOr(const v1::Date& date, const v1::Event& event) {
  if (ledger::IsValidDate(date)) return ledger::ToCivilDay(date);
  return OccurredDay(event);
}

}  // namespace

bool IsHeart(v1::Heart heart) { return heart >= v1::HEART_TRUST && heart <= v1::HEART_FEEDBACK; }

std::string_view HeartName(v1::Heart heart) {
  switch (heart) {
    case v1::HEART_TRUST:
      return "trust";
    case v1::HEART_CARE:
      return "care";
    case v1::HEART_LISTENING:
      return "listening";
    case v1::HEART_COMMUNICATION:
      return "communication";
    case v1::HEART_EXECUTION:
      return "execution";
    case v1::HEART_FEEDBACK:
      return "feedback";
    default:
      return "";
  }
}

std::vector<v1::Heart> HeartSet::ToVector() const {
  std::vector<v1::Heart> hearts;
  for (const v1::Heart heart : kAllHearts) {
    if (Has(heart)) hearts.push_back(heart);
  }
  return hearts;
}

HeartSet DefaultHearts(v1::InteractionKind kind) {
  HeartSet set;
  switch (kind) {
    case v1::INTERACTION_KIND_PRE_PROJECT_RESEARCH:
    case v1::INTERACTION_KIND_CONSULTING:
    case v1::INTERACTION_KIND_INDUSTRY_EVENT:
    case v1::INTERACTION_KIND_ON_SITE_VISIT:
      set.Add(v1::HEART_TRUST);
      break;
    case v1::INTERACTION_KIND_INDUSTRY_REPORT_SENT:
    case v1::INTERACTION_KIND_MARKET_ANALYSIS_SENT:
    case v1::INTERACTION_KIND_CHECK_IN_CALL:
      set.Add(v1::HEART_CARE);
      break;
    case v1::INTERACTION_KIND_INTERVIEW:
    case v1::INTERACTION_KIND_SURVEY:
      set.Add(v1::HEART_LISTENING);
      break;
    case v1::INTERACTION_KIND_PROGRESS_REPORT:
    case v1::INTERACTION_KIND_MEETING:
    case v1::INTERACTION_KIND_CALL:
    case v1::INTERACTION_KIND_EMAIL:
    case v1::INTERACTION_KIND_MESSAGE:
      set.Add(v1::HEART_COMMUNICATION);
      break;
    case v1::INTERACTION_KIND_FEEDBACK_MEETING:
    case v1::INTERACTION_KIND_COLLECTION_REVIEW:
      set.Add(v1::HEART_FEEDBACK);
      break;
    default:
      break;
  }
  return set;
}

HeartSet EventHearts(const v1::Event& event) {
  HeartSet set;
  switch (event.payload_case()) {
    case v1::Event::kInteractionLogged: {
      const v1::InteractionLogged& e = event.interaction_logged();
      for (const int heart : e.hearts()) set.Add(static_cast<v1::Heart>(heart));
      if (set.empty()) set = DefaultHearts(e.kind());
      break;
    }
    case v1::Event::kConcernRaised:
    case v1::Event::kConcernResolved:
      set.Add(v1::HEART_LISTENING);
      break;
    case v1::Event::kSurveyRecorded:
      set.Add(v1::HEART_LISTENING);
      set.Add(v1::HEART_FEEDBACK);
      break;
    case v1::Event::kFeedbackMeetingHeld:
      set.Add(v1::HEART_FEEDBACK);
      break;
    case v1::Event::kCollectionPlanSet:
    case v1::Event::kPlanStepCompleted:
    case v1::Event::kFollowUpScheduled:
    case v1::Event::kFollowUpCompleted:
      set.Add(v1::HEART_EXECUTION);
      break;
    default:
      break;
  }
  return set;
}

absl::CivilDay OccurredDay(const v1::Event& event) {
  const absl::Time t = absl::FromUnixSeconds(event.occurred_at().seconds()) +
                       absl::Nanoseconds(event.occurred_at().nanos());
  return ledger::UtcDay(t);
}

absl::CivilDay EventDay(const v1::Event& event) {
  switch (event.payload_case()) {
    case v1::Event::kContractSigned:
      return DayOr(event.contract_signed().signed_on(), event);
    case v1::Event::kContractAmended:
      return DayOr(event.contract_amended().amended_on(), event);
    case v1::Event::kInvoiceIssued:
      return DayOr(event.invoice_issued().issue_date(), event);
    case v1::Event::kInvoiceAccepted:
      return DayOr(event.invoice_accepted().acceptance_date(), event);
    case v1::Event::kPaymentReceived:
      return DayOr(event.payment_received().value_date(), event);
    case v1::Event::kPaymentAllocated:
      return DayOr(event.payment_allocated().allocated_on(), event);
    case v1::Event::kCreditNoteIssued:
      return DayOr(event.credit_note_issued().issue_date(), event);
    case v1::Event::kInvoiceWrittenOff:
      return DayOr(event.invoice_written_off().written_off_on(), event);
    case v1::Event::kPaymentReversed:
      return DayOr(event.payment_reversed().reversed_on(), event);
    case v1::Event::kInvoiceAmended:
      return DayOr(event.invoice_amended().amended_on(), event);
    case v1::Event::kDisputeOpened:
      return DayOr(event.dispute_opened().opened_on(), event);
    case v1::Event::kDisputeResolved:
      return DayOr(event.dispute_resolved().resolved_on(), event);
    case v1::Event::kConcernRaised:
      return DayOr(event.concern_raised().raised_on(), event);
    case v1::Event::kConcernResolved:
      return DayOr(event.concern_resolved().resolved_on(), event);
    case v1::Event::kSurveyRecorded:
      return DayOr(event.survey_recorded().surveyed_on(), event);
    case v1::Event::kFeedbackMeetingHeld:
      return DayOr(event.feedback_meeting_held().held_on(), event);
    case v1::Event::kPlanStepCompleted:
      return DayOr(event.plan_step_completed().completed_on(), event);
    case v1::Event::kFollowUpCompleted:
      return DayOr(event.follow_up_completed().completed_on(), event);
    default:
      return OccurredDay(event);
  }
}

}  // namespace sixhearts::services::relationships
