// Field checks for every payload of the catalogue, and the entity effects each payload
// has. Messages name the field path so a caller can fix the exact field.
#include "ledger/validate.h"

#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "ledger/currency.h"
#include "ledger/dates.h"
#include "ledger/format.h"
#include "ledger/quoted.h"

namespace sixhearts::ledger {
namespace {

using google::protobuf::Timestamp;

// Collects the first problem found; later checks become no-ops.
class Checker {
 public:
  Checker(absl::string_view path, const Limits& limits) : path_(path), limits_(limits) {}

  absl::Status status() const { return status_; }
  bool ok() const { return status_.ok(); }

  void Fail(absl::string_view field, absl::string_view problem) {
    if (!status_.ok()) return;
    status_ = absl::InvalidArgumentError(absl::StrCat(path_, ".", field, ": ", problem));
  }

  void Id(absl::string_view field, const std::string& value) {
    if (value.empty()) return Fail(field, "required");
    if (value.size() > limits_.max_id_bytes) {
      return Fail(field, absl::StrCat("longer than max_id_bytes (", limits_.max_id_bytes, ")"));
    }
    for (unsigned char c : value) {
      if (c < 0x20 || c == 0x7f) return Fail(field, "control characters are not allowed");
    }
  }
  void OptionalId(absl::string_view field, const std::string& value) {
    if (!value.empty()) Id(field, value);
  }
  void Text(absl::string_view field, const std::string& value, bool required = false) {
    if (required && value.empty()) return Fail(field, "required");
    if (value.size() > limits_.max_text_bytes) {
      Fail(field, absl::StrCat("longer than max_text_bytes (", limits_.max_text_bytes, ")"));
    }
  }
  void Date(absl::string_view field, const v1::Date& date) {
    if (IsUnsetDate(date)) return Fail(field, "required");
    if (!IsValidDate(date))
      return Fail(field, absl::StrCat("not a valid date: ", FormatDate(date)));
  }
  void OptionalDate(absl::string_view field, const v1::Date& date) {
    if (!IsUnsetDate(date)) Date(field, date);
  }
  void Currency(absl::string_view field, const std::string& code) {
    if (code.empty()) return Fail(field, "required");
    if (!IsKnownCurrency(code)) {
      Fail(field, absl::StrCat("unknown currency ", QuotedInput(code), " (ISO 4217, upper case)"));
    }
  }
  void Money(absl::string_view field, const v1::Money& money, bool has_money) {
    if (!has_money) return Fail(field, "required");
    if (money.amount_minor() <= 0) {
      Fail(absl::StrCat(field, ".amount_minor"),
           absl::StrCat("must be positive, got ", money.amount_minor()));
    }
    Currency(absl::StrCat(field, ".currency"), money.currency());
  }
  void Positive(absl::string_view field, int64_t value) {
    if (value <= 0) Fail(field, absl::StrCat("must be positive, got ", value));
  }
  void Range(absl::string_view field, int64_t value, int64_t lo, int64_t hi) {
    if (value < lo || value > hi) {
      Fail(field, absl::StrCat("must be in ", lo, "..", hi, ", got ", value));
    }
  }
  void Heart(absl::string_view field, int value) {
    if (value == v1::HEART_UNSPECIFIED || !v1::Heart_IsValid(value)) {
      Fail(field, absl::StrCat("not a heart: ", value));
    }
  }
  template <typename IsValid>
  void Enum(absl::string_view field, int value, IsValid is_valid) {
    if (value == 0) return Fail(field, "required");
    if (!is_valid(value)) Fail(field, absl::StrCat("unknown value ", value));
  }
  void SubjectId(absl::string_view field, const std::string& value) {
    if (value.empty()) return Fail(field, "required");
    if (!IsValidStreamName(value, limits_)) {
      Fail(field, "not a valid subject id (1..max_id_bytes characters of [A-Za-z0-9._:-])");
    }
  }
  void Contact(absl::string_view field, const v1::Contact& contact) {
    Text(absl::StrCat(field, ".name"), contact.name());
    Text(absl::StrCat(field, ".phone"), contact.phone());
    Text(absl::StrCat(field, ".email"), contact.email());
    Text(absl::StrCat(field, ".role"), contact.role());
    if (!contact.subject_id().empty()) {
      SubjectId(absl::StrCat(field, ".subject_id"), contact.subject_id());
    }
    if (contact.has_sealed()) Fail(absl::StrCat(field, ".sealed"), "set by the ledger only");
    if (contact.erased()) Fail(absl::StrCat(field, ".erased"), "set by the ledger only");
  }
  // A personal text field's sealed form: the ledger's, never the caller's.
  void NotSealed(absl::string_view field, bool sealed) {
    if (sealed) Fail(field, "set by the ledger only");
  }
  void Allocations(absl::string_view field,
                   const google::protobuf::RepeatedPtrField<v1::Allocation>& allocations,
                   int64_t* sum) {
    *sum = 0;
    for (int i = 0; i < allocations.size(); ++i) {
      const std::string item = absl::StrCat(field, "[", i, "]");
      Id(absl::StrCat(item, ".invoice_id"), allocations[i].invoice_id());
      Positive(absl::StrCat(item, ".amount_minor"), allocations[i].amount_minor());
      if (!ok()) return;
      if (__builtin_add_overflow(*sum, allocations[i].amount_minor(), sum)) {
        return Fail(field, "sum overflows");
      }
    }
  }

 private:
  std::string path_;
  const Limits& limits_;
  absl::Status status_;
};

bool DateBefore(const v1::Date& a, const v1::Date& b) { return ToCivilDay(a) < ToCivilDay(b); }

void CheckPayload(const v1::Event& e, Checker& c) {
  switch (e.payload_case()) {
    case v1::Event::kClientRegistered: {
      const auto& p = e.client_registered();
      c.Id("client_registered.client_id", p.client_id());
      c.Text("client_registered.name", p.name(), /*required=*/true);
      c.Enum("client_registered.jurisdiction", p.jurisdiction(), v1::Jurisdiction_IsValid);
      c.Enum("client_registered.client_kind", p.client_kind(), v1::ClientKind_IsValid);
      c.Text("client_registered.region", p.region());
      c.NotSealed("client_registered.sealed_name", p.has_sealed_name());
      if (c.ok() && e.stream() != absl::StrCat("client-", p.client_id())) {
        c.Fail("client_registered.client_id",
               absl::StrCat(QuotedInput(p.client_id()), " does not match stream ",
                            QuotedInput(e.stream()), " (expected client-", p.client_id(), ")"));
      }
      break;
    }
    case v1::Event::kClientUpdated: {
      const auto& p = e.client_updated();
      c.Text("client_updated.name", p.name());
      if (p.jurisdiction() != 0 && !v1::Jurisdiction_IsValid(p.jurisdiction())) {
        c.Fail("client_updated.jurisdiction", "unknown value");
      }
      if (p.client_kind() != 0 && !v1::ClientKind_IsValid(p.client_kind())) {
        c.Fail("client_updated.client_kind", "unknown value");
      }
      c.Text("client_updated.region", p.region());
      c.NotSealed("client_updated.sealed_name", p.has_sealed_name());
      break;
    }
    case v1::Event::kAccountOwnerAssigned:
      c.Id("account_owner_assigned.owner", e.account_owner_assigned().owner());
      break;
    case v1::Event::kContractSigned: {
      const auto& p = e.contract_signed();
      c.Id("contract_signed.contract_id", p.contract_id());
      c.Money("contract_signed.amount", p.amount(), p.has_amount());
      c.Date("contract_signed.signed_on", p.signed_on());
      c.Range("contract_signed.payment_terms_days", p.payment_terms_days(), 0, 3650);
      c.Range("contract_signed.acceptance_period_days", p.acceptance_period_days(), 0, 3650);
      c.Range("contract_signed.late_interest_rate_bps", p.late_interest_rate_bps(), 0, 100000);
      c.Text("contract_signed.title", p.title());
      break;
    }
    case v1::Event::kContractAmended: {
      const auto& p = e.contract_amended();
      c.Id("contract_amended.contract_id", p.contract_id());
      if (p.has_amount()) c.Money("contract_amended.amount", p.amount(), true);
      c.Range("contract_amended.payment_terms_days", p.payment_terms_days(), 0, 3650);
      c.Range("contract_amended.acceptance_period_days", p.acceptance_period_days(), 0, 3650);
      c.Range("contract_amended.late_interest_rate_bps", p.late_interest_rate_bps(), 0, 100000);
      c.Text("contract_amended.reason", p.reason(), /*required=*/true);
      c.Date("contract_amended.amended_on", p.amended_on());
      break;
    }
    case v1::Event::kInvoiceIssued: {
      const auto& p = e.invoice_issued();
      c.Id("invoice_issued.invoice_id", p.invoice_id());
      c.OptionalId("invoice_issued.contract_id", p.contract_id());
      c.Money("invoice_issued.amount", p.amount(), p.has_amount());
      c.Date("invoice_issued.issue_date", p.issue_date());
      c.Date("invoice_issued.due_date", p.due_date());
      c.OptionalDate("invoice_issued.delivery_date", p.delivery_date());
      c.OptionalDate("invoice_issued.received_date", p.received_date());
      if (c.ok() && DateBefore(p.due_date(), p.issue_date())) {
        c.Fail("invoice_issued.due_date",
               absl::StrCat(FormatDate(p.due_date()), " is before issue_date ",
                            FormatDate(p.issue_date())));
      }
      break;
    }
    case v1::Event::kInvoiceAccepted:
      c.Id("invoice_accepted.invoice_id", e.invoice_accepted().invoice_id());
      c.Date("invoice_accepted.acceptance_date", e.invoice_accepted().acceptance_date());
      break;
    case v1::Event::kPaymentReceived: {
      const auto& p = e.payment_received();
      c.Id("payment_received.payment_id", p.payment_id());
      c.Money("payment_received.amount", p.amount(), p.has_amount());
      c.Date("payment_received.value_date", p.value_date());
      c.Text("payment_received.reference", p.reference());
      int64_t sum = 0;
      c.Allocations("payment_received.allocations", p.allocations(), &sum);
      if (c.ok() && sum > p.amount().amount_minor()) {
        c.Fail("payment_received.allocations",
               absl::StrCat("allocations sum to ", sum, ", above the payment amount ",
                            p.amount().amount_minor()));
      }
      break;
    }
    case v1::Event::kPaymentAllocated: {
      const auto& p = e.payment_allocated();
      c.Id("payment_allocated.payment_id", p.payment_id());
      if (p.allocations().empty()) c.Fail("payment_allocated.allocations", "at least one");
      int64_t sum = 0;
      c.Allocations("payment_allocated.allocations", p.allocations(), &sum);
      c.Date("payment_allocated.allocated_on", p.allocated_on());
      break;
    }
    case v1::Event::kCreditNoteIssued: {
      const auto& p = e.credit_note_issued();
      c.Id("credit_note_issued.credit_note_id", p.credit_note_id());
      c.OptionalId("credit_note_issued.invoice_id", p.invoice_id());
      c.Money("credit_note_issued.amount", p.amount(), p.has_amount());
      c.Date("credit_note_issued.issue_date", p.issue_date());
      c.Text("credit_note_issued.reason", p.reason());
      break;
    }
    case v1::Event::kInvoiceWrittenOff: {
      const auto& p = e.invoice_written_off();
      c.Id("invoice_written_off.invoice_id", p.invoice_id());
      c.Positive("invoice_written_off.amount_minor", p.amount_minor());
      c.Date("invoice_written_off.written_off_on", p.written_off_on());
      c.Text("invoice_written_off.reason", p.reason(), /*required=*/true);
      break;
    }
    case v1::Event::kPaymentReversed: {
      const auto& p = e.payment_reversed();
      c.Id("payment_reversed.payment_id", p.payment_id());
      c.Date("payment_reversed.reversed_on", p.reversed_on());
      c.Text("payment_reversed.reason", p.reason(), /*required=*/true);
      break;
    }
    case v1::Event::kInvoiceAmended: {
      const auto& p = e.invoice_amended();
      c.Id("invoice_amended.invoice_id", p.invoice_id());
      if (p.has_amount()) c.Money("invoice_amended.amount", p.amount(), true);
      c.OptionalDate("invoice_amended.issue_date", p.issue_date());
      c.OptionalDate("invoice_amended.due_date", p.due_date());
      c.OptionalDate("invoice_amended.delivery_date", p.delivery_date());
      c.Text("invoice_amended.reason", p.reason(), /*required=*/true);
      c.Text("invoice_amended.source", p.source());
      c.Date("invoice_amended.amended_on", p.amended_on());
      if (c.ok() && !p.has_amount() && IsUnsetDate(p.issue_date()) && IsUnsetDate(p.due_date()) &&
          IsUnsetDate(p.delivery_date())) {
        c.Fail("invoice_amended",
               "changes nothing: set at least one of amount, issue_date, due_date, "
               "delivery_date");
      }
      if (c.ok() && !IsUnsetDate(p.issue_date()) && !IsUnsetDate(p.due_date()) &&
          DateBefore(p.due_date(), p.issue_date())) {
        c.Fail("invoice_amended.due_date",
               absl::StrCat(FormatDate(p.due_date()), " is before issue_date ",
                            FormatDate(p.issue_date())));
      }
      break;
    }
    case v1::Event::kPromiseToPayMade: {
      const auto& p = e.promise_to_pay_made();
      c.Id("promise_to_pay_made.promise_id", p.promise_id());
      c.Money("promise_to_pay_made.amount", p.amount(), p.has_amount());
      c.Date("promise_to_pay_made.promised_date", p.promised_date());
      for (int i = 0; i < p.invoice_ids_size(); ++i) {
        c.Id(absl::StrCat("promise_to_pay_made.invoice_ids[", i, "]"), p.invoice_ids(i));
      }
      c.Contact("promise_to_pay_made.contact", p.contact());
      break;
    }
    case v1::Event::kPromiseToPayCancelled:
      c.Id("promise_to_pay_cancelled.promise_id", e.promise_to_pay_cancelled().promise_id());
      c.Text("promise_to_pay_cancelled.reason", e.promise_to_pay_cancelled().reason(), true);
      break;
    case v1::Event::kDisputeOpened: {
      const auto& p = e.dispute_opened();
      c.Id("dispute_opened.dispute_id", p.dispute_id());
      c.Id("dispute_opened.invoice_id", p.invoice_id());
      c.Positive("dispute_opened.amount_minor", p.amount_minor());
      c.Text("dispute_opened.reason", p.reason(), /*required=*/true);
      c.Date("dispute_opened.opened_on", p.opened_on());
      c.NotSealed("dispute_opened.sealed_reason", p.has_sealed_reason());
      break;
    }
    case v1::Event::kDisputeResolved: {
      const auto& p = e.dispute_resolved();
      c.Id("dispute_resolved.dispute_id", p.dispute_id());
      c.Enum("dispute_resolved.outcome", p.outcome(), v1::DisputeOutcome_IsValid);
      if (p.outcome() == v1::DISPUTE_OUTCOME_PARTIAL) {
        c.Positive("dispute_resolved.conceded_minor", p.conceded_minor());
      } else if (p.conceded_minor() != 0) {
        c.Fail("dispute_resolved.conceded_minor", "only for outcome PARTIAL");
      }
      c.Date("dispute_resolved.resolved_on", p.resolved_on());
      c.Text("dispute_resolved.note", p.note());
      break;
    }
    case v1::Event::kInteractionLogged: {
      const auto& p = e.interaction_logged();
      c.Id("interaction_logged.interaction_id", p.interaction_id());
      c.Enum("interaction_logged.kind", p.kind(), v1::InteractionKind_IsValid);
      std::set<int> seen;
      for (int i = 0; i < p.hearts_size(); ++i) {
        const std::string field = absl::StrCat("interaction_logged.hearts[", i, "]");
        c.Heart(field, p.hearts(i));
        if (!seen.insert(p.hearts(i)).second) c.Fail(field, "repeated heart");
      }
      c.Text("interaction_logged.summary", p.summary());
      c.Contact("interaction_logged.contact", p.contact());
      c.OptionalId("interaction_logged.owner", p.owner());
      if (p.channel() != 0 && !v1::Channel_IsValid(p.channel())) {
        c.Fail("interaction_logged.channel", "unknown value");
      }
      c.Range("interaction_logged.sentiment", p.sentiment(), -2, 2);
      c.NotSealed("interaction_logged.sealed_summary", p.has_sealed_summary());
      break;
    }
    case v1::Event::kConcernRaised:
      c.Id("concern_raised.concern_id", e.concern_raised().concern_id());
      c.Text("concern_raised.summary", e.concern_raised().summary(), true);
      c.Date("concern_raised.raised_on", e.concern_raised().raised_on());
      c.NotSealed("concern_raised.sealed_summary", e.concern_raised().has_sealed_summary());
      break;
    case v1::Event::kConcernResolved:
      c.Id("concern_resolved.concern_id", e.concern_resolved().concern_id());
      c.Text("concern_resolved.resolution", e.concern_resolved().resolution());
      c.Date("concern_resolved.resolved_on", e.concern_resolved().resolved_on());
      break;
    case v1::Event::kSurveyRecorded:
      c.Id("survey_recorded.survey_id", e.survey_recorded().survey_id());
      c.Range("survey_recorded.score", e.survey_recorded().score(), 1, 5);
      c.Text("survey_recorded.comment", e.survey_recorded().comment());
      c.Date("survey_recorded.surveyed_on", e.survey_recorded().surveyed_on());
      c.NotSealed("survey_recorded.sealed_comment", e.survey_recorded().has_sealed_comment());
      break;
    case v1::Event::kFeedbackMeetingHeld: {
      const auto& p = e.feedback_meeting_held();
      c.Id("feedback_meeting_held.meeting_id", p.meeting_id());
      c.Date("feedback_meeting_held.held_on", p.held_on());
      c.Text("feedback_meeting_held.summary", p.summary());
      c.NotSealed("feedback_meeting_held.sealed_summary", p.has_sealed_summary());
      for (int i = 0; i < p.attendees_size(); ++i) {
        c.Contact(absl::StrCat("feedback_meeting_held.attendees[", i, "]"), p.attendees(i));
      }
      break;
    }
    case v1::Event::kCollectionPlanSet: {
      const auto& p = e.collection_plan_set();
      c.Id("collection_plan_set.plan_id", p.plan_id());
      if (p.steps().empty()) c.Fail("collection_plan_set.steps", "at least one");
      std::set<std::string> step_ids;
      for (int i = 0; i < p.steps_size(); ++i) {
        const std::string item = absl::StrCat("collection_plan_set.steps[", i, "]");
        c.Id(absl::StrCat(item, ".step_id"), p.steps(i).step_id());
        c.Text(absl::StrCat(item, ".action"), p.steps(i).action(), true);
        c.Date(absl::StrCat(item, ".due_date"), p.steps(i).due_date());
        if (p.steps(i).has_expected()) {
          c.Money(absl::StrCat(item, ".expected"), p.steps(i).expected(), true);
        }
        if (!step_ids.insert(p.steps(i).step_id()).second) {
          c.Fail(absl::StrCat(item, ".step_id"), "repeated in the plan");
        }
      }
      c.OptionalId("collection_plan_set.owner", p.owner());
      break;
    }
    case v1::Event::kPlanStepCompleted:
      c.Id("plan_step_completed.plan_id", e.plan_step_completed().plan_id());
      c.Id("plan_step_completed.step_id", e.plan_step_completed().step_id());
      c.Date("plan_step_completed.completed_on", e.plan_step_completed().completed_on());
      c.Text("plan_step_completed.note", e.plan_step_completed().note());
      break;
    case v1::Event::kFollowUpScheduled: {
      const auto& p = e.follow_up_scheduled();
      c.Id("follow_up_scheduled.follow_up_id", p.follow_up_id());
      c.Date("follow_up_scheduled.due_date", p.due_date());
      c.Heart("follow_up_scheduled.heart", p.heart());
      c.Text("follow_up_scheduled.action", p.action(), true);
      c.OptionalId("follow_up_scheduled.owner", p.owner());
      break;
    }
    case v1::Event::kFollowUpCompleted:
      c.Id("follow_up_completed.follow_up_id", e.follow_up_completed().follow_up_id());
      c.Date("follow_up_completed.completed_on", e.follow_up_completed().completed_on());
      c.Text("follow_up_completed.note", e.follow_up_completed().note());
      break;
    case v1::Event::kSubjectErased:
      // Whether the caller may append it at all is the store's decision (EraseSubject).
      c.SubjectId("subject_erased.subject_id", e.subject_erased().subject_id());
      c.Text("subject_erased.reason", e.subject_erased().reason(), /*required=*/true);
      break;
    case v1::Event::PAYLOAD_NOT_SET:
      c.Fail("payload", "required: set one event type");
      break;
  }
}

}  // namespace

bool IsValidStreamName(std::string_view stream, const Limits& limits) {
  if (stream.empty() || stream.size() > limits.max_id_bytes) return false;
  for (char ch : stream) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                    (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == ':' || ch == '-';
    if (!ok) return false;
  }
  return true;
}

absl::Status ValidateEvent(const v1::Event& event, std::string_view path, const Limits& limits) {
  Checker c(absl::string_view(path.data(), path.size()), limits);
  if (event.event_id().empty()) {
    c.Fail("event_id", "required (a UUID chosen by the caller; the idempotency key)");
  } else if (!format::IdKey(event.event_id())) {
    c.Fail("event_id",
           absl::StrCat("not a UUID in 8-4-4-4-12 form: ", QuotedInput(event.event_id())));
  }
  if (event.stream().empty()) {
    c.Fail("stream", "required");
  } else if (!IsValidStreamName(event.stream(), limits)) {
    c.Fail("stream",
           absl::StrCat("must be 1..", limits.max_id_bytes, " characters of [A-Za-z0-9._:-], got ",
                        QuotedInput(event.stream())));
  }
  if (!event.has_occurred_at()) {
    c.Fail("occurred_at", "required (business time)");
  } else if (!IsValidTimestamp(event.occurred_at())) {
    c.Fail("occurred_at", "not a valid timestamp");
  }
  c.OptionalId("correlation_id", event.correlation_id());
  c.OptionalId("causation_id", event.causation_id());
  if (event.schema_version() > 1) {
    c.Fail("schema_version",
           absl::StrCat("unsupported version ", event.schema_version(), " (this ledger knows 1)"));
  }
  if (c.ok()) CheckPayload(event, c);
  return c.status();
}

std::string_view EntityKindName(EntityKind kind) {
  switch (kind) {
    case EntityKind::kClient:
      return "client";
    case EntityKind::kContract:
      return "contract";
    case EntityKind::kInvoice:
      return "invoice";
    case EntityKind::kPayment:
      return "payment";
    case EntityKind::kCreditNote:
      return "credit note";
    case EntityKind::kPromise:
      return "promise";
    case EntityKind::kDispute:
      return "dispute";
    case EntityKind::kInteraction:
      return "interaction";
    case EntityKind::kConcern:
      return "concern";
    case EntityKind::kSurvey:
      return "survey";
    case EntityKind::kMeeting:
      return "meeting";
    case EntityKind::kPlan:
      return "collection plan";
    case EntityKind::kFollowUp:
      return "follow-up";
  }
  return "object";
}

EntityEffects DescribeEntities(const v1::Event& e) {
  EntityEffects fx;
  auto create = [&](EntityKind kind, const std::string& id, std::string field,
                    const std::string& currency = {}, int64_t amount = 0, bool replaces = false) {
    fx.creations.push_back({kind, id, std::move(field), currency, amount, replaces});
  };
  auto need = [&](EntityKind kind, const std::string& id, std::string field,
                  const std::string& currency = {}, int64_t amount = -1) {
    fx.references.push_back({kind, id, std::move(field), currency, amount, false});
  };
  switch (e.payload_case()) {
    case v1::Event::kClientRegistered:
      create(EntityKind::kClient, e.client_registered().client_id(), "client_registered.client_id");
      break;
    case v1::Event::kContractSigned: {
      const auto& p = e.contract_signed();
      create(EntityKind::kContract, p.contract_id(), "contract_signed.contract_id",
             p.amount().currency(), p.amount().amount_minor());
      break;
    }
    case v1::Event::kContractAmended:
      need(EntityKind::kContract, e.contract_amended().contract_id(),
           "contract_amended.contract_id");
      break;
    case v1::Event::kInvoiceIssued: {
      const auto& p = e.invoice_issued();
      create(EntityKind::kInvoice, p.invoice_id(), "invoice_issued.invoice_id",
             p.amount().currency(), p.amount().amount_minor());
      if (!p.contract_id().empty()) {
        need(EntityKind::kContract, p.contract_id(), "invoice_issued.contract_id");
      }
      break;
    }
    case v1::Event::kInvoiceAccepted:
      need(EntityKind::kInvoice, e.invoice_accepted().invoice_id(), "invoice_accepted.invoice_id");
      break;
    case v1::Event::kPaymentReceived: {
      const auto& p = e.payment_received();
      create(EntityKind::kPayment, p.payment_id(), "payment_received.payment_id",
             p.amount().currency(), p.amount().amount_minor());
      for (int i = 0; i < p.allocations_size(); ++i) {
        need(EntityKind::kInvoice, p.allocations(i).invoice_id(),
             absl::StrCat("payment_received.allocations[", i, "].invoice_id"),
             p.amount().currency(), p.allocations(i).amount_minor());
      }
      break;
    }
    case v1::Event::kPaymentAllocated: {
      const auto& p = e.payment_allocated();
      int64_t sum = 0;
      for (const auto& a : p.allocations()) sum += a.amount_minor();
      // The payment's currency is not in this event; the writer checks each invoice's
      // currency against the payment's (FORMAT.md "entities").
      need(EntityKind::kPayment, p.payment_id(), "payment_allocated.payment_id", {}, sum);
      for (int i = 0; i < p.allocations_size(); ++i) {
        need(EntityKind::kInvoice, p.allocations(i).invoice_id(),
             absl::StrCat("payment_allocated.allocations[", i, "].invoice_id"), {},
             p.allocations(i).amount_minor());
        fx.references.back().currency_of_first_reference = true;
      }
      break;
    }
    case v1::Event::kCreditNoteIssued: {
      const auto& p = e.credit_note_issued();
      create(EntityKind::kCreditNote, p.credit_note_id(), "credit_note_issued.credit_note_id",
             p.amount().currency(), p.amount().amount_minor());
      if (!p.invoice_id().empty()) {
        need(EntityKind::kInvoice, p.invoice_id(), "credit_note_issued.invoice_id",
             p.amount().currency(), p.amount().amount_minor());
      }
      break;
    }
    case v1::Event::kInvoiceWrittenOff:
      need(EntityKind::kInvoice, e.invoice_written_off().invoice_id(),
           "invoice_written_off.invoice_id", {}, e.invoice_written_off().amount_minor());
      break;
    case v1::Event::kPaymentReversed:
      need(EntityKind::kPayment, e.payment_reversed().payment_id(), "payment_reversed.payment_id");
      break;
    case v1::Event::kInvoiceAmended: {
      const auto& p = e.invoice_amended();
      need(EntityKind::kInvoice, p.invoice_id(), "invoice_amended.invoice_id");
      if (p.has_amount()) {
        // The currency stays the invoice's; the amount is restated in place (the entity's
        // value takes the new amount and this event's position, FORMAT.md "entities"), so
        // later allocations, credit notes and write-offs are checked against it.
        need(EntityKind::kInvoice, p.invoice_id(), "invoice_amended.amount.currency",
             p.amount().currency());
        create(EntityKind::kInvoice, p.invoice_id(), "invoice_amended.invoice_id",
               p.amount().currency(), p.amount().amount_minor(), /*replaces=*/true);
      }
      break;
    }
    case v1::Event::kPromiseToPayMade: {
      const auto& p = e.promise_to_pay_made();
      create(EntityKind::kPromise, p.promise_id(), "promise_to_pay_made.promise_id",
             p.amount().currency(), p.amount().amount_minor());
      for (int i = 0; i < p.invoice_ids_size(); ++i) {
        need(EntityKind::kInvoice, p.invoice_ids(i),
             absl::StrCat("promise_to_pay_made.invoice_ids[", i, "]"), p.amount().currency());
      }
      break;
    }
    case v1::Event::kPromiseToPayCancelled:
      need(EntityKind::kPromise, e.promise_to_pay_cancelled().promise_id(),
           "promise_to_pay_cancelled.promise_id");
      break;
    case v1::Event::kDisputeOpened: {
      const auto& p = e.dispute_opened();
      create(EntityKind::kDispute, p.dispute_id(), "dispute_opened.dispute_id", {},
             p.amount_minor());
      need(EntityKind::kInvoice, p.invoice_id(), "dispute_opened.invoice_id", {}, p.amount_minor());
      break;
    }
    case v1::Event::kDisputeResolved: {
      const auto& p = e.dispute_resolved();
      need(EntityKind::kDispute, p.dispute_id(), "dispute_resolved.dispute_id", {},
           p.outcome() == v1::DISPUTE_OUTCOME_PARTIAL ? p.conceded_minor() : -1);
      break;
    }
    case v1::Event::kInteractionLogged:
      create(EntityKind::kInteraction, e.interaction_logged().interaction_id(),
             "interaction_logged.interaction_id");
      break;
    case v1::Event::kConcernRaised:
      create(EntityKind::kConcern, e.concern_raised().concern_id(), "concern_raised.concern_id");
      break;
    case v1::Event::kConcernResolved:
      need(EntityKind::kConcern, e.concern_resolved().concern_id(), "concern_resolved.concern_id");
      break;
    case v1::Event::kSurveyRecorded:
      create(EntityKind::kSurvey, e.survey_recorded().survey_id(), "survey_recorded.survey_id");
      break;
    case v1::Event::kFeedbackMeetingHeld:
      create(EntityKind::kMeeting, e.feedback_meeting_held().meeting_id(),
             "feedback_meeting_held.meeting_id");
      break;
    case v1::Event::kCollectionPlanSet:
      create(EntityKind::kPlan, e.collection_plan_set().plan_id(), "collection_plan_set.plan_id",
             {}, 0, /*replaces=*/true);
      break;
    case v1::Event::kPlanStepCompleted:
      need(EntityKind::kPlan, e.plan_step_completed().plan_id(), "plan_step_completed.plan_id");
      break;
    case v1::Event::kFollowUpScheduled:
      create(EntityKind::kFollowUp, e.follow_up_scheduled().follow_up_id(),
             "follow_up_scheduled.follow_up_id");
      break;
    case v1::Event::kFollowUpCompleted:
      need(EntityKind::kFollowUp, e.follow_up_completed().follow_up_id(),
           "follow_up_completed.follow_up_id");
      break;
    case v1::Event::kClientUpdated:
    case v1::Event::kAccountOwnerAssigned:
    case v1::Event::kSubjectErased:
    case v1::Event::PAYLOAD_NOT_SET:
      break;
  }
  // Every event about a client (its updates, contracts, money, promises, disputes and
  // relationship events) on a client stream needs that client, registered before it or
  // earlier in the batch, as a payment needs its invoice. ClientRegistered creates it and
  // SubjectErased is the store's own. Last, so that the first reference stays the event's
  // own (PaymentAllocated's currency check).
  constexpr absl::string_view kClientStreamPrefix = "client-";
  const absl::string_view stream = e.stream();
  if (e.payload_case() != v1::Event::kClientRegistered &&
      e.payload_case() != v1::Event::kSubjectErased &&
      e.payload_case() != v1::Event::PAYLOAD_NOT_SET &&
      absl::StartsWith(stream, kClientStreamPrefix)) {
    need(EntityKind::kClient, std::string(stream.substr(kClientStreamPrefix.size())), "stream");
  }
  return fx;
}

}  // namespace sixhearts::ledger
