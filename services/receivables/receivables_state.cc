// The receivables fold: how each money, promise and dispute event changes the state.
#include "services/receivables/receivables_state.h"

#include <algorithm>
#include <bitset>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "absl/time/time.h"
#include "ledger/dates.h"
#include "ledger/personal_text.h"

namespace sixhearts::services::receivables {
namespace {

constexpr std::string_view kStreamPrefix = "client-";

// A date of the event, or nullopt when it is not a real calendar day.
std::optional<absl::CivilDay> DayOf(const v1::Date& date) {
  if (!ledger::IsValidDate(date)) return std::nullopt;
  return ledger::ToCivilDay(date);
}

absl::CivilDay OccurredDay(const v1::Event& event) {
  const absl::Time t = absl::FromUnixSeconds(event.occurred_at().seconds()) +
                       absl::Nanoseconds(event.occurred_at().nanos());
  return ledger::UtcDay(t);
}

}  // namespace

int64_t Invoice::OutstandingOn(absl::CivilDay day) const {
  if (day < issue_date) return 0;
  int64_t outstanding = amount_minor;
  for (const Movement& m : movements) {
    if (m.CountsOn(day)) outstanding -= m.amount_minor;
  }
  return outstanding;
}

int64_t Invoice::OutstandingNow() const {
  int64_t outstanding = amount_minor;
  for (const Movement& m : movements) {
    if (!m.voided_on.has_value()) outstanding -= m.amount_minor;
  }
  return outstanding;
}

std::optional<absl::CivilDay> Invoice::SettledOn(absl::CivilDay day) const {
  if (day < issue_date) return std::nullopt;
  // The outstanding amount only changes on days a movement starts or stops counting,
  // so walking those days in order finds when it last reached zero.
  std::vector<absl::CivilDay> change_days = {issue_date};
  change_days.reserve(1 + movements.size() * 2);
  for (const Movement& m : movements) {
    // A movement dated before the invoice (which validation prevents) takes effect with it.
    const absl::CivilDay effective_on = std::max(m.effective_on, issue_date);
    if (effective_on <= day) change_days.push_back(effective_on);
    if (m.voided_on.has_value()) {
      const absl::CivilDay voided_on = std::max(*m.voided_on, issue_date);
      if (voided_on <= day) change_days.push_back(voided_on);
    }
  }
  std::sort(change_days.begin(), change_days.end());
  change_days.erase(std::unique(change_days.begin(), change_days.end()), change_days.end());
  std::optional<absl::CivilDay> settled_on;
  for (const absl::CivilDay change : change_days) {
    if (OutstandingOn(change) <= 0) {
      if (!settled_on.has_value()) settled_on = change;
    } else {
      settled_on.reset();
    }
  }
  return settled_on;
}

int64_t Payment::UnappliedOn(absl::CivilDay day) const {
  if (!HeldOn(day)) return 0;
  int64_t unapplied = amount_minor;
  for (const PaymentApplication& a : applications) {
    if (a.applied_on <= day) unapplied -= a.amount_minor;
  }
  return unapplied;
}

int64_t Payment::UnappliedNow() const {
  if (reversed_on.has_value()) return 0;
  int64_t unapplied = amount_minor;
  for (const PaymentApplication& a : applications) unapplied -= a.amount_minor;
  return unapplied;
}

const Client* ReceivablesState::FindClient(std::string_view client_id) const {
  const auto it = clients_.find(client_id);
  return it == clients_.end() ? nullptr : &it->second;
}

Client& ReceivablesState::ClientForView(std::string_view client_id) {
  const auto [it, inserted] = clients_.try_emplace(client_id);
  if (inserted) it->second.client_id = std::string(client_id);
  return it->second;
}

void ReceivablesState::Ignore(std::string_view reason) { ++ignored_events_[std::string(reason)]; }

Client* ReceivablesState::ClientForStream(std::string_view stream) {
  if (!stream.starts_with(kStreamPrefix) || stream.size() == kStreamPrefix.size()) {
    return nullptr;
  }
  const std::string_view client_id = stream.substr(kStreamPrefix.size());
  const auto [it, inserted] = clients_.try_emplace(client_id);
  if (inserted) it->second.client_id = std::string(client_id);
  return &it->second;
}

const std::vector<v1::Event::PayloadCase>& ReceivablesState::HandledPayloads() {
  static const std::vector<v1::Event::PayloadCase> kHandled = {
      v1::Event::kClientRegistered,      v1::Event::kClientUpdated,
      v1::Event::kAccountOwnerAssigned,  v1::Event::kInvoiceIssued,
      v1::Event::kPaymentReceived,       v1::Event::kPaymentAllocated,
      v1::Event::kCreditNoteIssued,      v1::Event::kInvoiceWrittenOff,
      v1::Event::kPaymentReversed,       v1::Event::kPromiseToPayMade,
      v1::Event::kPromiseToPayCancelled, v1::Event::kDisputeOpened,
      v1::Event::kDisputeResolved,       v1::Event::kInvoiceAmended,
  };
  return kHandled;
}

void ReceivablesState::Apply(const v1::Event& event) {
  // Relationship, contract and acceptance events do not move receivables; skipping them
  // before counting keeps a type-filtered replay and the live fold identical.
  static const std::bitset<64> handled = [] {
    std::bitset<64> bits;
    for (const auto payload : HandledPayloads()) bits.set(payload);
    return bits;
  }();
  const auto payload = static_cast<size_t>(event.payload_case());
  if (payload >= handled.size() || !handled.test(payload)) return;
  ++applied_event_count_;
  last_position_ = std::max(last_position_, event.position());
  Client* client = ClientForStream(event.stream());
  if (client == nullptr) {
    Ignore("stream is not client-<id>");
    return;
  }
  switch (event.payload_case()) {
    case v1::Event::kClientRegistered:
      OnClientRegistered(*client, event.client_registered(), ledger::PersonalTextReference(event));
      break;
    case v1::Event::kClientUpdated:
      OnClientUpdated(*client, ledger::PersonalTextReference(event), event.client_updated());
      break;
    case v1::Event::kAccountOwnerAssigned:
      client->account_owner = event.account_owner_assigned().owner();
      break;
    case v1::Event::kInvoiceIssued:
      OnInvoiceIssued(*client, event.invoice_issued());
      break;
    case v1::Event::kPaymentReceived:
      OnPaymentReceived(*client, event.payment_received());
      break;
    case v1::Event::kPaymentAllocated:
      OnPaymentAllocated(*client, event.payment_allocated());
      break;
    case v1::Event::kCreditNoteIssued:
      OnCreditNoteIssued(*client, event.credit_note_issued());
      break;
    case v1::Event::kInvoiceWrittenOff:
      OnInvoiceWrittenOff(*client, event.invoice_written_off());
      break;
    case v1::Event::kPaymentReversed:
      OnPaymentReversed(*client, event.payment_reversed());
      break;
    case v1::Event::kInvoiceAmended: {
      // The new figures replace the old in the fold; an as-of view of a day before the
      // amendment replays without it (its occurred_at), so there the old figures hold.
      const v1::InvoiceAmended& e = event.invoice_amended();
      const auto it = client->invoices.find(e.invoice_id());
      if (it == client->invoices.end()) {
        Ignore("unknown invoice");
        break;
      }
      Invoice& invoice = it->second;
      const std::optional<absl::CivilDay> issue =
          ledger::IsUnsetDate(e.issue_date()) ? invoice.issue_date : DayOf(e.issue_date());
      const std::optional<absl::CivilDay> due =
          ledger::IsUnsetDate(e.due_date()) ? invoice.due_date : DayOf(e.due_date());
      if (!issue.has_value() || !due.has_value()) {
        Ignore("invalid date");
        break;
      }
      if (e.has_amount() &&
          (e.amount().amount_minor() <= 0 || e.amount().currency() != invoice.currency)) {
        Ignore(e.amount().amount_minor() <= 0 ? "invalid invoice" : "currency mismatch");
        break;
      }
      if (e.has_amount()) invoice.amount_minor = e.amount().amount_minor();
      invoice.issue_date = *issue;
      invoice.due_date = *due;
      break;
    }
    case v1::Event::kPromiseToPayMade:
      OnPromiseMade(*client, event.promise_to_pay_made(), OccurredDay(event));
      break;
    case v1::Event::kPromiseToPayCancelled:
      OnPromiseCancelled(*client, event.promise_to_pay_cancelled(), OccurredDay(event));
      break;
    case v1::Event::kDisputeOpened:
      OnDisputeOpened(*client, event.dispute_opened(), ledger::PersonalTextReference(event));
      break;
    case v1::Event::kDisputeResolved:
      OnDisputeResolved(*client, event.dispute_resolved());
      break;
    default:
      break;
  }
}

void ReceivablesState::OnClientRegistered(Client& client, const v1::ClientRegistered& e,
                                          std::string name) {
  if (e.client_id() != client.client_id) {
    Ignore("client_id does not match stream");
    return;
  }
  if (client.registered) {
    Ignore("duplicate client registration");
    return;
  }
  client.registered = true;
  client.name = std::move(name);
  client.jurisdiction = e.jurisdiction();
  client.client_kind = e.client_kind();
  client.seller_is_sme = e.seller_is_sme();
  client.region = e.region();
}

void ReceivablesState::OnClientUpdated(Client& client, std::string name,
                                       const v1::ClientUpdated& e) {
  if (!name.empty()) client.name = std::move(name);
  if (e.jurisdiction() != v1::JURISDICTION_UNSPECIFIED) client.jurisdiction = e.jurisdiction();
  if (e.client_kind() != v1::CLIENT_KIND_UNSPECIFIED) client.client_kind = e.client_kind();
  if (e.seller_is_sme_changed()) client.seller_is_sme = e.seller_is_sme();
  if (!e.region().empty()) client.region = e.region();
}

void ReceivablesState::OnInvoiceIssued(Client& client, const v1::InvoiceIssued& e) {
  const std::optional<absl::CivilDay> issue = DayOf(e.issue_date());
  const std::optional<absl::CivilDay> due = DayOf(e.due_date());
  if (!issue.has_value() || !due.has_value()) {
    Ignore("invalid date");
    return;
  }
  if (e.invoice_id().empty() || e.amount().amount_minor() <= 0 || e.amount().currency().empty()) {
    Ignore("invalid invoice");
    return;
  }
  const auto [it, inserted] = client.invoices.try_emplace(e.invoice_id());
  if (!inserted) {
    Ignore("duplicate invoice");
    return;
  }
  Invoice& invoice = it->second;
  invoice.invoice_id = e.invoice_id();
  invoice.contract_id = e.contract_id();
  invoice.currency = e.amount().currency();
  invoice.amount_minor = e.amount().amount_minor();
  invoice.issue_date = *issue;
  invoice.due_date = *due;
}

bool ReceivablesState::Allocate(
    Client& client, Payment& payment,
    const google::protobuf::RepeatedPtrField<v1::Allocation>& allocations,
    absl::CivilDay applied_on) {
  // Check every allocation before applying any, so an event is taken whole or not at all.
  int64_t total_minor = 0;
  // Almost every payment has one or two allocations.
  absl::InlinedVector<Invoice*, 2> invoices;
  for (const v1::Allocation& a : allocations) {
    const auto it = client.invoices.find(a.invoice_id());
    if (it == client.invoices.end()) {
      Ignore("unknown invoice");
      return false;
    }
    if (it->second.currency != payment.currency) {
      Ignore("currency mismatch");
      return false;
    }
    if (a.amount_minor() <= 0) {
      Ignore("invalid allocation");
      return false;
    }
    total_minor += a.amount_minor();
    invoices.push_back(&it->second);
  }
  if (total_minor > payment.UnappliedNow()) {
    Ignore("allocations exceed payment");
    return false;
  }
  for (int i = 0; i < allocations.size(); ++i) {
    const v1::Allocation& a = allocations[i];
    Invoice& invoice = *invoices[i];
    invoice.movements.push_back(Movement{.kind = MovementKind::kAllocation,
                                         .effective_on = applied_on,
                                         .amount_minor = a.amount_minor(),
                                         .source_id = payment.payment_id,
                                         .voided_on = std::nullopt});
    payment.applications.push_back(PaymentApplication{
        .invoice_id = a.invoice_id(), .applied_on = applied_on, .amount_minor = a.amount_minor()});
  }
  return true;
}

void ReceivablesState::OnPaymentReceived(Client& client, const v1::PaymentReceived& e) {
  const std::optional<absl::CivilDay> value = DayOf(e.value_date());
  if (!value.has_value()) {
    Ignore("invalid date");
    return;
  }
  if (e.payment_id().empty() || e.amount().amount_minor() <= 0 || e.amount().currency().empty()) {
    Ignore("invalid payment");
    return;
  }
  if (client.payments.contains(e.payment_id())) {
    Ignore("duplicate payment");
    return;
  }
  Payment payment;
  payment.payment_id = e.payment_id();
  payment.currency = e.amount().currency();
  payment.amount_minor = e.amount().amount_minor();
  payment.value_date = *value;
  // Bad allocations leave the whole payment unapplied rather than losing the cash.
  Allocate(client, payment, e.allocations(), *value);
  client.payments.emplace(payment.payment_id, std::move(payment));
}

void ReceivablesState::OnPaymentAllocated(Client& client, const v1::PaymentAllocated& e) {
  const std::optional<absl::CivilDay> allocated_on = DayOf(e.allocated_on());
  if (!allocated_on.has_value()) {
    Ignore("invalid date");
    return;
  }
  const auto it = client.payments.find(e.payment_id());
  if (it == client.payments.end()) {
    Ignore("unknown payment");
    return;
  }
  Payment& payment = it->second;
  if (payment.reversed_on.has_value()) {
    Ignore("allocation of a reversed payment");
    return;
  }
  // Cash cannot be applied before it arrived; the later day keeps unapplied cash >= 0 on
  // every day.
  Allocate(client, payment, e.allocations(), std::max(*allocated_on, payment.value_date));
}

void ReceivablesState::OnCreditNoteIssued(Client& client, const v1::CreditNoteIssued& e) {
  const std::optional<absl::CivilDay> issue = DayOf(e.issue_date());
  if (!issue.has_value()) {
    Ignore("invalid date");
    return;
  }
  if (e.credit_note_id().empty() || e.amount().amount_minor() <= 0 ||
      e.amount().currency().empty()) {
    Ignore("invalid credit note");
    return;
  }
  if (client.standalone_credits.contains(e.credit_note_id())) {
    Ignore("duplicate credit note");
    return;
  }
  if (e.invoice_id().empty()) {
    client.standalone_credits.emplace(e.credit_note_id(),
                                      StandaloneCredit{.credit_note_id = e.credit_note_id(),
                                                       .currency = e.amount().currency(),
                                                       .amount_minor = e.amount().amount_minor(),
                                                       .issue_date = *issue});
    return;
  }
  const auto it = client.invoices.find(e.invoice_id());
  if (it == client.invoices.end()) {
    Ignore("unknown invoice");
    return;
  }
  Invoice& invoice = it->second;
  if (invoice.currency != e.amount().currency()) {
    Ignore("currency mismatch");
    return;
  }
  for (const Movement& m : invoice.movements) {
    if (m.kind == MovementKind::kCreditNote && m.source_id == e.credit_note_id()) {
      Ignore("duplicate credit note");
      return;
    }
  }
  invoice.movements.push_back(Movement{.kind = MovementKind::kCreditNote,
                                       .effective_on = *issue,
                                       .amount_minor = e.amount().amount_minor(),
                                       .source_id = e.credit_note_id(),
                                       .voided_on = std::nullopt});
}

void ReceivablesState::OnInvoiceWrittenOff(Client& client, const v1::InvoiceWrittenOff& e) {
  const std::optional<absl::CivilDay> written_off_on = DayOf(e.written_off_on());
  if (!written_off_on.has_value()) {
    Ignore("invalid date");
    return;
  }
  const auto it = client.invoices.find(e.invoice_id());
  if (it == client.invoices.end()) {
    Ignore("unknown invoice");
    return;
  }
  if (e.amount_minor() <= 0) {
    Ignore("invalid write-off");
    return;
  }
  it->second.movements.push_back(Movement{.kind = MovementKind::kWriteOff,
                                          .effective_on = *written_off_on,
                                          .amount_minor = e.amount_minor(),
                                          .source_id = "",
                                          .voided_on = std::nullopt});
}

void ReceivablesState::OnPaymentReversed(Client& client, const v1::PaymentReversed& e) {
  const std::optional<absl::CivilDay> reversed_on = DayOf(e.reversed_on());
  if (!reversed_on.has_value()) {
    Ignore("invalid date");
    return;
  }
  const auto it = client.payments.find(e.payment_id());
  if (it == client.payments.end()) {
    Ignore("unknown payment");
    return;
  }
  Payment& payment = it->second;
  if (payment.reversed_on.has_value()) {
    Ignore("duplicate reversal");
    return;
  }
  payment.reversed_on = *reversed_on;
  for (const PaymentApplication& a : payment.applications) {
    const auto invoice = client.invoices.find(a.invoice_id);
    if (invoice == client.invoices.end()) continue;
    for (Movement& m : invoice->second.movements) {
      if (m.kind == MovementKind::kAllocation && m.source_id == payment.payment_id &&
          !m.voided_on.has_value()) {
        m.voided_on = *reversed_on;
      }
    }
  }
}

void ReceivablesState::OnPromiseMade(Client& client, const v1::PromiseToPayMade& e,
                                     absl::CivilDay made_on) {
  const std::optional<absl::CivilDay> promised = DayOf(e.promised_date());
  if (!promised.has_value()) {
    Ignore("invalid date");
    return;
  }
  if (e.promise_id().empty() || e.amount().amount_minor() <= 0 || e.amount().currency().empty()) {
    Ignore("invalid promise");
    return;
  }
  if (client.promises.contains(e.promise_id())) {
    Ignore("duplicate promise");
    return;
  }
  Promise promise{.promise_id = e.promise_id(),
                  .currency = e.amount().currency(),
                  .amount_minor = e.amount().amount_minor(),
                  .made_on = made_on,
                  .promised_date = *promised,
                  .invoice_ids = {e.invoice_ids().begin(), e.invoice_ids().end()},
                  .cancelled_on = std::nullopt};
  client.promises.emplace(promise.promise_id, std::move(promise));
}

void ReceivablesState::OnPromiseCancelled(Client& client, const v1::PromiseToPayCancelled& e,
                                          absl::CivilDay cancelled_on) {
  const auto it = client.promises.find(e.promise_id());
  if (it == client.promises.end()) {
    Ignore("unknown promise");
    return;
  }
  if (it->second.cancelled_on.has_value()) {
    Ignore("duplicate promise cancellation");
    return;
  }
  it->second.cancelled_on = cancelled_on;
}

void ReceivablesState::OnDisputeOpened(Client& client, const v1::DisputeOpened& e,
                                       std::string reason) {
  const std::optional<absl::CivilDay> opened_on = DayOf(e.opened_on());
  if (!opened_on.has_value()) {
    Ignore("invalid date");
    return;
  }
  if (!client.invoices.contains(e.invoice_id())) {
    Ignore("unknown invoice");
    return;
  }
  if (e.dispute_id().empty() || e.amount_minor() <= 0) {
    Ignore("invalid dispute");
    return;
  }
  if (client.disputes.contains(e.dispute_id())) {
    Ignore("duplicate dispute");
    return;
  }
  client.disputes.emplace(e.dispute_id(), Dispute{.dispute_id = e.dispute_id(),
                                                  .invoice_id = e.invoice_id(),
                                                  .amount_minor = e.amount_minor(),
                                                  .reason = std::move(reason),
                                                  .opened_on = *opened_on,
                                                  .resolution = std::nullopt});
}

void ReceivablesState::OnDisputeResolved(Client& client, const v1::DisputeResolved& e) {
  const std::optional<absl::CivilDay> resolved_on = DayOf(e.resolved_on());
  if (!resolved_on.has_value()) {
    Ignore("invalid date");
    return;
  }
  const auto it = client.disputes.find(e.dispute_id());
  if (it == client.disputes.end()) {
    Ignore("unknown dispute");
    return;
  }
  Dispute& dispute = it->second;
  if (dispute.resolution.has_value()) {
    Ignore("duplicate dispute resolution");
    return;
  }
  int64_t conceded_minor = 0;
  switch (e.outcome()) {
    case v1::DISPUTE_OUTCOME_UPHELD:
      conceded_minor = dispute.amount_minor;
      break;
    case v1::DISPUTE_OUTCOME_REJECTED:
      conceded_minor = 0;
      break;
    case v1::DISPUTE_OUTCOME_PARTIAL:
      if (e.conceded_minor() < 0 || e.conceded_minor() > dispute.amount_minor) {
        Ignore("invalid dispute resolution");
        return;
      }
      conceded_minor = e.conceded_minor();
      break;
    default:
      Ignore("invalid dispute resolution");
      return;
  }
  dispute.resolution = DisputeResolution{
      .outcome = e.outcome(), .conceded_minor = conceded_minor, .resolved_on = *resolved_on};
}

}  // namespace sixhearts::services::receivables
