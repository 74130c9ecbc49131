// The relationship fold: how each event changes a client's heart days, concerns, plans,
// follow-ups, owner history and timeline.
#include "services/relationships/relationships_state.h"

#include <algorithm>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "ledger/dates.h"
#include "ledger/event_types.h"
#include "ledger/personal_text.h"
#include "services/relationships/text_format.h"

namespace sixhearts::services::relationships {
namespace {

constexpr std::string_view kStreamPrefix = "client-";

std::optional<absl::CivilDay> DayOf(const v1::Date& date) {
  if (!ledger::IsValidDate(date)) return std::nullopt;
  return ledger::ToCivilDay(date);
}

std::string AmountText(const v1::Money& money) {
  return MoneyText(money.amount_minor(), money.currency());
}

std::string DateText(const v1::Date& date) { return ledger::FormatDate(date); }

// A one-line description of the event for the timeline, before the event's personal
// text (a reference to it, ledger::PersonalTextReference, is appended by the caller
// when the type shows it: `*with_text`). Contact names, phones and emails are never
// shown; the personal text (a client's name, a summary, a dispute's reason) is shown as
// it reads when the timeline is read, so an erasure reaches it.
std::string SummaryOf(const v1::Event& event, bool* with_text) {
  *with_text = false;
  switch (event.payload_case()) {
    case v1::Event::kClientRegistered:
      *with_text = true;
      return "registered as ";
    case v1::Event::kClientUpdated:
      return "registration updated";
    case v1::Event::kAccountOwnerAssigned:
      return absl::StrCat("account owner ", event.account_owner_assigned().owner());
    case v1::Event::kContractSigned: {
      const v1::ContractSigned& e = event.contract_signed();
      return absl::StrCat("contract ", e.contract_id(), " ", AmountText(e.amount()), ", terms ",
                          e.payment_terms_days(), " days");
    }
    case v1::Event::kContractAmended:
      return absl::StrCat("contract ", event.contract_amended().contract_id(),
                          " amended: ", event.contract_amended().reason());
    case v1::Event::kInvoiceIssued: {
      const v1::InvoiceIssued& e = event.invoice_issued();
      return absl::StrCat("invoice ", e.invoice_id(), " ", AmountText(e.amount()), " due ",
                          DateText(e.due_date()));
    }
    case v1::Event::kInvoiceAccepted:
      return absl::StrCat("invoice ", event.invoice_accepted().invoice_id(), " accepted");
    case v1::Event::kPaymentReceived: {
      const v1::PaymentReceived& e = event.payment_received();
      return absl::StrCat("payment ", e.payment_id(), " ", AmountText(e.amount()));
    }
    case v1::Event::kPaymentAllocated:
      return absl::StrCat("payment ", event.payment_allocated().payment_id(), " allocated");
    case v1::Event::kCreditNoteIssued: {
      const v1::CreditNoteIssued& e = event.credit_note_issued();
      return absl::StrCat("credit note ", e.credit_note_id(), " ", AmountText(e.amount()));
    }
    case v1::Event::kInvoiceWrittenOff:
      return absl::StrCat("invoice ", event.invoice_written_off().invoice_id(), " written off ",
                          event.invoice_written_off().amount_minor(), " minor units");
    case v1::Event::kPaymentReversed:
      return absl::StrCat("payment ", event.payment_reversed().payment_id(),
                          " reversed: ", event.payment_reversed().reason());
    case v1::Event::kInvoiceAmended: {
      const v1::InvoiceAmended& e = event.invoice_amended();
      std::string text = absl::StrCat("invoice ", e.invoice_id(), " amended:");
      if (e.has_amount()) absl::StrAppend(&text, " amount ", AmountText(e.amount()));
      if (!ledger::IsUnsetDate(e.issue_date())) {
        absl::StrAppend(&text, " issued ", DateText(e.issue_date()));
      }
      if (!ledger::IsUnsetDate(e.due_date()))
        absl::StrAppend(&text, " due ", DateText(e.due_date()));
      if (!ledger::IsUnsetDate(e.delivery_date())) {
        absl::StrAppend(&text, " delivered ", DateText(e.delivery_date()));
      }
      absl::StrAppend(&text, " (", e.reason(), ")");
      return text;
    }
    case v1::Event::kPromiseToPayMade: {
      const v1::PromiseToPayMade& e = event.promise_to_pay_made();
      return absl::StrCat("promise ", e.promise_id(), " to pay ", AmountText(e.amount()), " by ",
                          DateText(e.promised_date()));
    }
    case v1::Event::kPromiseToPayCancelled:
      return absl::StrCat("promise ", event.promise_to_pay_cancelled().promise_id(), " cancelled");
    case v1::Event::kDisputeOpened:
      *with_text = true;
      return absl::StrCat("dispute ", event.dispute_opened().dispute_id(), " on invoice ",
                          event.dispute_opened().invoice_id(), ": ");
    case v1::Event::kDisputeResolved:
      return absl::StrCat("dispute ", event.dispute_resolved().dispute_id(), " resolved: ",
                          v1::DisputeOutcome_Name(event.dispute_resolved().outcome()));
    case v1::Event::kInteractionLogged: {
      const v1::InteractionLogged& e = event.interaction_logged();
      std::string text = v1::InteractionKind_Name(e.kind());
      if (!e.summary().empty()) {
        absl::StrAppend(&text, ": ");
        *with_text = true;
      }
      return text;
    }
    case v1::Event::kConcernRaised:
      *with_text = true;
      return absl::StrCat("concern ", event.concern_raised().concern_id(), ": ");
    case v1::Event::kConcernResolved:
      return absl::StrCat("concern ", event.concern_resolved().concern_id(), " resolved");
    case v1::Event::kSurveyRecorded:
      return absl::StrCat("survey score ", event.survey_recorded().score(), "/5");
    case v1::Event::kFeedbackMeetingHeld:
      return event.feedback_meeting_held().collection_review() ? "collection review"
                                                               : "feedback meeting";
    case v1::Event::kCollectionPlanSet:
      return absl::StrCat("collection plan ", event.collection_plan_set().plan_id(), ", ",
                          event.collection_plan_set().steps_size(), " steps");
    case v1::Event::kPlanStepCompleted:
      return absl::StrCat("plan ", event.plan_step_completed().plan_id(), " step ",
                          event.plan_step_completed().step_id(), " done");
    case v1::Event::kFollowUpScheduled:
      return absl::StrCat("follow-up ", event.follow_up_scheduled().follow_up_id(), " due ",
                          DateText(event.follow_up_scheduled().due_date()), ": ",
                          event.follow_up_scheduled().action());
    case v1::Event::kFollowUpCompleted:
      return absl::StrCat("follow-up ", event.follow_up_completed().follow_up_id(), " done");
    default:
      return "";
  }
}

// Inserts keeping the vector ascending and free of duplicates; events mostly arrive in
// date order, so the common case is an append.
void InsertDay(std::vector<absl::CivilDay>& days, absl::CivilDay day) {
  if (days.empty() || days.back() < day) {
    days.push_back(day);
    return;
  }
  const auto it = std::lower_bound(days.begin(), days.end(), day);
  if (it == days.end() || *it != day) days.insert(it, day);
}

}  // namespace

absl::Status ValidateFoldOptions(const FoldOptions& options) {
  if (options.timeline_entries_per_client < 1 ||
      options.timeline_entries_per_client > kMaxTimelineEntriesPerClient) {
    return absl::InvalidArgumentError(absl::StrCat("timeline_entries_per_client must be in [1, ",
                                                   kMaxTimelineEntriesPerClient, "]"));
  }
  return absl::OkStatus();
}

const PlanVersion* Plan::VersionOn(absl::CivilDay day) const {
  const PlanVersion* found = nullptr;
  for (const PlanVersion& version : versions) {
    if (version.set_on > day) break;  // set_on never decreases
    found = &version;
  }
  return found;
}

std::string ClientRelationship::OwnerOn(absl::CivilDay day) const {
  std::string owner;
  for (const OwnerAssignment& a : owners) {
    if (a.from > day) break;
    owner = a.owner;
  }
  return owner;
}

std::optional<absl::CivilDay> ClientRelationship::LastHeartDay(v1::Heart heart,
                                                               absl::CivilDay day) const {
  if (!IsHeart(heart)) return std::nullopt;
  const std::vector<absl::CivilDay>& days = heart_days[HeartIndex(heart)];
  const auto it = std::upper_bound(days.begin(), days.end(), day);
  if (it == days.begin()) return std::nullopt;
  return *std::prev(it);
}

bool ClientRelationship::PractisedBetween(v1::Heart heart, absl::CivilDay from,
                                          absl::CivilDay to) const {
  const std::optional<absl::CivilDay> last = LastHeartDay(heart, to);
  return last.has_value() && *last >= from;
}

RelationshipsState::RelationshipsState(FoldOptions options) : options_(options) {
  options_.timeline_entries_per_client =
      std::clamp<size_t>(options_.timeline_entries_per_client, 1, kMaxTimelineEntriesPerClient);
}

const ClientRelationship* RelationshipsState::FindClient(std::string_view client_id) const {
  const auto it = clients_.find(std::string(client_id));
  return it == clients_.end() ? nullptr : &it->second;
}

ClientRelationship& RelationshipsState::ClientForView(std::string_view client_id) {
  const auto [it, inserted] = clients_.try_emplace(std::string(client_id));
  if (inserted) it->second.client_id = std::string(client_id);
  return it->second;
}

void RelationshipsState::KeepTimelineEntry(ClientRelationship& client, TimelineEntry entry) const {
  client.timeline.push_back(std::move(entry));
  while (client.timeline.size() > options_.timeline_entries_per_client) {
    client.timeline.pop_front();
    ++client.timeline_dropped;
  }
}

void RelationshipsState::Ignore(std::string_view reason) { ++ignored_events_[std::string(reason)]; }

ClientRelationship* RelationshipsState::ClientForStream(std::string_view stream, bool& created) {
  if (!stream.starts_with(kStreamPrefix) || stream.size() == kStreamPrefix.size()) {
    return nullptr;
  }
  const std::string client_id(stream.substr(kStreamPrefix.size()));
  const auto [it, inserted] = clients_.try_emplace(client_id);
  if (inserted) it->second.client_id = client_id;
  created = inserted;
  return &it->second;
}

void RelationshipsState::MarkHearts(ClientRelationship& client, HeartSet hearts,
                                    absl::CivilDay day) {
  for (const v1::Heart heart : hearts.ToVector()) {
    InsertDay(client.heart_days[HeartIndex(heart)], day);
  }
}

void RelationshipsState::Apply(const v1::Event& event) {
  ++applied_event_count_;
  last_position_ = std::max(last_position_, event.position());
  if (event.payload_case() == v1::Event::PAYLOAD_NOT_SET) {
    Ignore("no payload");
    return;
  }
  bool created = false;
  ClientRelationship* client = ClientForStream(event.stream(), created);
  if (client == nullptr) {
    Ignore("stream is not client-<id>");
    return;
  }
  const absl::CivilDay day = EventDay(event);
  if (created || day < client->first_event_on) client->first_event_on = day;
  const HeartSet hearts = ApplyRelationship(*client, event, day);
  MarkHearts(*client, hearts, day);
  AddTimelineEntry(*client, event, day, hearts);
}

HeartSet RelationshipsState::ApplyRelationship(ClientRelationship& client, const v1::Event& event,
                                               absl::CivilDay day) {
  HeartSet hearts = EventHearts(event);
  switch (event.payload_case()) {
    case v1::Event::kClientRegistered:
      if (event.client_registered().client_id() != client.client_id) {
        Ignore("client_id does not match stream");
      } else {
        client.name = ledger::PersonalTextReference(event);
      }
      break;
    case v1::Event::kClientUpdated:
      if (!event.client_updated().name().empty()) {
        client.name = ledger::PersonalTextReference(event);
      }
      break;
    case v1::Event::kAccountOwnerAssigned: {
      // Stable: a later assignment on the same day wins.
      const auto it =
          std::upper_bound(client.owners.begin(), client.owners.end(), day,
                           [](absl::CivilDay d, const OwnerAssignment& a) { return d < a.from; });
      client.owners.insert(it, OwnerAssignment{day, event.account_owner_assigned().owner()});
      break;
    }
    case v1::Event::kContractSigned: {
      const v1::ContractSigned& e = event.contract_signed();
      const std::optional<absl::CivilDay> signed_on = DayOf(e.signed_on());
      if (!signed_on.has_value() || e.contract_id().empty()) {
        Ignore("invalid contract");
        break;
      }
      const ContractMark mark{e.contract_id(), *signed_on};
      if (!client.first_contract.has_value() || mark.signed_on < client.first_contract->signed_on ||
          (mark.signed_on == client.first_contract->signed_on &&
           mark.contract_id < client.first_contract->contract_id)) {
        client.first_contract = mark;
      }
      break;
    }
    case v1::Event::kConcernRaised: {
      const v1::ConcernRaised& e = event.concern_raised();
      const std::optional<absl::CivilDay> raised_on = DayOf(e.raised_on());
      if (!raised_on.has_value() || e.concern_id().empty()) {
        Ignore("invalid concern");
        return {};
      }
      if (client.concerns.contains(e.concern_id())) {
        Ignore("duplicate concern");
        return {};
      }
      client.concerns.emplace(
          e.concern_id(),
          Concern{e.concern_id(), ledger::PersonalTextReference(event), *raised_on, std::nullopt});
      break;
    }
    case v1::Event::kConcernResolved: {
      const v1::ConcernResolved& e = event.concern_resolved();
      const std::optional<absl::CivilDay> resolved_on = DayOf(e.resolved_on());
      const auto it = client.concerns.find(e.concern_id());
      if (!resolved_on.has_value()) {
        Ignore("invalid date");
        return {};
      }
      if (it == client.concerns.end()) {
        Ignore("unknown concern");
        return {};
      }
      if (it->second.resolved_on.has_value()) {
        Ignore("duplicate concern resolution");
        return {};
      }
      // A resolution dated before the concern was raised is taken as same-day: the
      // resolution time can never be negative.
      it->second.resolved_on = std::max(*resolved_on, it->second.raised_on);
      break;
    }
    case v1::Event::kSurveyRecorded:
    case v1::Event::kFeedbackMeetingHeld:
    case v1::Event::kInteractionLogged:
      break;  // Heart days only.
    case v1::Event::kCollectionPlanSet: {
      const v1::CollectionPlanSet& e = event.collection_plan_set();
      if (e.plan_id().empty() || e.steps().empty()) {
        Ignore("invalid plan");
        return {};
      }
      PlanVersion version{.set_on = day, .owner = e.owner(), .steps = {}};
      for (const v1::PlanStep& s : e.steps()) {
        const std::optional<absl::CivilDay> due = DayOf(s.due_date());
        const bool duplicate =
            std::any_of(version.steps.begin(), version.steps.end(),
                        [&](const PlanStep& other) { return other.step_id == s.step_id(); });
        if (!due.has_value() || s.step_id().empty() || duplicate) {
          Ignore("invalid plan");
          return {};
        }
        version.steps.push_back(PlanStep{.step_id = s.step_id(),
                                         .action = s.action(),
                                         .due_date = *due,
                                         .expected_minor = s.expected().amount_minor(),
                                         .currency = s.expected().currency()});
      }
      Plan& plan = client.plans[e.plan_id()];
      plan.plan_id = e.plan_id();
      if (!plan.versions.empty()) {
        version.set_on = std::max(version.set_on, plan.versions.back().set_on);
      }
      plan.versions.push_back(std::move(version));
      break;
    }
    case v1::Event::kPlanStepCompleted: {
      const v1::PlanStepCompleted& e = event.plan_step_completed();
      const std::optional<absl::CivilDay> completed_on = DayOf(e.completed_on());
      const auto it = client.plans.find(e.plan_id());
      if (!completed_on.has_value()) {
        Ignore("invalid date");
        return {};
      }
      if (it == client.plans.end()) {
        Ignore("unknown plan");
        return {};
      }
      const std::vector<PlanStep>& steps = it->second.versions.back().steps;
      if (std::none_of(steps.begin(), steps.end(),
                       [&](const PlanStep& s) { return s.step_id == e.step_id(); })) {
        Ignore("unknown plan step");
        return {};
      }
      if (!it->second.completions.emplace(e.step_id(), *completed_on).second) {
        Ignore("duplicate plan step completion");
        return {};
      }
      break;
    }
    case v1::Event::kFollowUpScheduled: {
      const v1::FollowUpScheduled& e = event.follow_up_scheduled();
      const std::optional<absl::CivilDay> due = DayOf(e.due_date());
      if (!due.has_value() || e.follow_up_id().empty()) {
        Ignore("invalid follow-up");
        return {};
      }
      if (client.follow_ups.contains(e.follow_up_id())) {
        Ignore("duplicate follow-up");
        return {};
      }
      client.follow_ups.emplace(e.follow_up_id(), FollowUp{.follow_up_id = e.follow_up_id(),
                                                           .scheduled_on = day,
                                                           .due_date = *due,
                                                           .heart = e.heart(),
                                                           .action = e.action(),
                                                           .owner = e.owner(),
                                                           .completed_on = std::nullopt});
      break;
    }
    case v1::Event::kFollowUpCompleted: {
      const v1::FollowUpCompleted& e = event.follow_up_completed();
      const std::optional<absl::CivilDay> completed_on = DayOf(e.completed_on());
      const auto it = client.follow_ups.find(e.follow_up_id());
      if (!completed_on.has_value()) {
        Ignore("invalid date");
        return {};
      }
      if (it == client.follow_ups.end()) {
        Ignore("unknown follow-up");
        return {};
      }
      if (it->second.completed_on.has_value()) {
        Ignore("duplicate follow-up completion");
        return {};
      }
      it->second.completed_on = *completed_on;
      // Doing what was scheduled for a heart practises that heart too (a completed
      // "send the industry report" follow-up is care as well as execution).
      hearts.Add(it->second.heart);
      break;
    }
    default:
      break;  // Money, promises, disputes: timeline only.
  }
  return hearts;
}

void RelationshipsState::AddTimelineEntry(ClientRelationship& client, const v1::Event& event,
                                          absl::CivilDay day, HeartSet hearts) {
  const std::string_view hash = event.hash();
  bool with_text = false;
  std::string summary = SummaryOf(event, &with_text);
  // The reference is kept whole (the text it stands for is cut when the timeline is
  // read); a prefix that fills the line leaves no room for it.
  if (with_text && summary.size() < kMaxTimelineSummaryBytes) {
    summary.append(ledger::PersonalTextReference(event));
  } else {
    summary = Truncated(std::move(summary), kMaxTimelineSummaryBytes);
  }
  KeepTimelineEntry(
      client, TimelineEntry{.position = event.position(),
                            .type = std::string(ledger::EventTypeName(event)),
                            .on = day,
                            .hearts = hearts,
                            .actor = event.actor(),
                            .hash_prefix = absl::BytesToHexString(absl::string_view(
                                hash.data(), std::min(hash.size(), kTimelineHashPrefixBytes))),
                            .summary = std::move(summary)});
}

}  // namespace sixhearts::services::relationships
