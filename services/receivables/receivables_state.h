// The receivables projection: a pure fold of ledger events into per-client invoices,
// payments, credits, promises and disputes, kept with dated movements so that any
// figure can be read "as of" a civil day from one state.
//
// Threading: a ReceivablesState is a plain value. Concurrent const access is safe;
// Apply() needs exclusive access, as for any std:: container.
//
// Dates: every movement carries the civil day it takes effect (see Movement). Reading
// "as of day d" counts the movements dated on or before d that were not voided on or
// before d, so the live view, a rebuild from zero and an as-of replay agree.
#ifndef SIXHEARTS_SERVICES_RECEIVABLES_RECEIVABLES_STATE_H_
#define SIXHEARTS_SERVICES_RECEIVABLES_RECEIVABLES_STATE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "services/receivables/id_map.h"
#include "sixhearts/ledger/v1/events.pb.h"

namespace sixhearts::services::receivables {

namespace v1 = ::sixhearts::ledger::v1;

// What reduces an invoice's outstanding amount.
enum class MovementKind : uint8_t {
  kAllocation = 1,  // money from a payment (or its unapplied cash) applied to the invoice
  kCreditNote = 2,  // a credit note issued against the invoice
  kWriteOff = 3,    // part or all of the invoice written off
};

// One dated reduction of an invoice.
struct Movement {
  MovementKind kind = MovementKind::kAllocation;
  // The day it takes effect: the payment's value date for allocations made with the
  // payment, PaymentAllocated.allocated_on (never before the value date) for later ones,
  // the credit note's issue date, or the write-off date.
  absl::CivilDay effective_on;
  int64_t amount_minor = 0;
  // The payment id (allocations) or credit note id (credit notes); empty for write-offs.
  std::string source_id;
  // Set when the source payment was reversed: from this day on the movement no longer
  // counts.
  std::optional<absl::CivilDay> voided_on;

  // True when the movement reduces the outstanding amount as of `day`.
  bool CountsOn(absl::CivilDay day) const {
    return effective_on <= day && !(voided_on.has_value() && *voided_on <= day);
  }
  bool operator==(const Movement&) const = default;
};

struct Invoice {
  std::string invoice_id;
  std::string contract_id;
  std::string currency;
  // As issued, or as the last InvoiceAmended folded in restated them.
  int64_t amount_minor = 0;
  absl::CivilDay issue_date;
  absl::CivilDay due_date;
  // In the order the events arrived. Most invoices have one (their payment), kept inline
  // to spare the fold an allocation per invoice.
  absl::InlinedVector<Movement, 1> movements;

  // Amount still owed on `day`: 0 before the issue date, else amount minus the
  // movements that count on `day`. Negative only if more was applied than billed,
  // which the store's validation prevents.
  int64_t OutstandingOn(absl::CivilDay day) const;
  // The same with every movement that was not voided, whatever its date: the live view.
  int64_t OutstandingNow() const;
  // The day the outstanding amount last reached zero or below and stayed there through
  // `day`; nullopt while it is still owed on `day`. A reversal that reopens the invoice
  // clears the earlier settlement.
  std::optional<absl::CivilDay> SettledOn(absl::CivilDay day) const;

  bool operator==(const Invoice&) const = default;
};

// Money applied from a payment to one invoice (mirrors the invoice's movement).
struct PaymentApplication {
  std::string invoice_id;
  absl::CivilDay applied_on;
  int64_t amount_minor = 0;
  bool operator==(const PaymentApplication&) const = default;
};

struct Payment {
  std::string payment_id;
  std::string currency;
  int64_t amount_minor = 0;
  absl::CivilDay value_date;
  absl::InlinedVector<PaymentApplication, 1> applications;
  std::optional<absl::CivilDay> reversed_on;

  // True when the payment's money is held on `day`: received and not yet reversed.
  bool HeldOn(absl::CivilDay day) const {
    return value_date <= day && !(reversed_on.has_value() && *reversed_on <= day);
  }
  // The part not applied to any invoice on `day` (0 when not held on `day`).
  int64_t UnappliedOn(absl::CivilDay day) const;
  // The part not applied by any application at all (0 when reversed).
  int64_t UnappliedNow() const;

  bool operator==(const Payment&) const = default;
};

// A credit note not tied to an invoice: a credit on the client's account.
struct StandaloneCredit {
  std::string credit_note_id;
  std::string currency;
  int64_t amount_minor = 0;
  absl::CivilDay issue_date;
  bool operator==(const StandaloneCredit&) const = default;
};

struct Promise {
  std::string promise_id;
  std::string currency;
  int64_t amount_minor = 0;
  // The UTC day of the PromiseToPayMade event's occurred_at.
  absl::CivilDay made_on;
  absl::CivilDay promised_date;
  std::vector<std::string> invoice_ids;
  // The UTC day of the PromiseToPayCancelled event's occurred_at.
  std::optional<absl::CivilDay> cancelled_on;
  bool operator==(const Promise&) const = default;
};

struct DisputeResolution {
  v1::DisputeOutcome outcome = v1::DISPUTE_OUTCOME_UNSPECIFIED;
  // What the seller conceded: the whole disputed amount when UPHELD, conceded_minor
  // when PARTIAL, 0 when REJECTED. Informational only: the invoice's outstanding moves
  // when the matching CreditNoteIssued arrives, never on the resolution itself, so a
  // concession is not counted twice.
  int64_t conceded_minor = 0;
  absl::CivilDay resolved_on;
  bool operator==(const DisputeResolution&) const = default;
};

struct Dispute {
  std::string dispute_id;
  std::string invoice_id;
  int64_t amount_minor = 0;
  // Personal data: a reference to the DisputeOpened event's reason
  // (ledger::PersonalTextReference), opened when a report is read
  // (EventStore::OpenViewText).
  std::string reason;
  absl::CivilDay opened_on;
  std::optional<DisputeResolution> resolution;

  // Open on `day`: opened on or before it and not resolved on or before it.
  bool OpenOn(absl::CivilDay day) const {
    return opened_on <= day && !(resolution.has_value() && resolution->resolved_on <= day);
  }
  bool operator==(const Dispute&) const = default;
};

struct Client {
  std::string client_id;
  // False until ClientRegistered arrives; money events of an unregistered stream are
  // still kept, because dropping a payment would be worse than an unnamed client.
  bool registered = false;
  // Personal data: a reference to the name of the ClientRegistered or ClientUpdated
  // event that set it (ledger::PersonalTextReference), opened when a report is read.
  std::string name;
  v1::Jurisdiction jurisdiction = v1::JURISDICTION_UNSPECIFIED;
  v1::ClientKind client_kind = v1::CLIENT_KIND_UNSPECIFIED;
  bool seller_is_sme = false;
  std::string region;
  std::string account_owner;  // empty until AccountOwnerAssigned

  // Keyed by their ids, which are unique within the stream; ordered so that reports
  // and the serialized form are deterministic, with O(1) lookups for the fold.
  IdMap<Invoice> invoices;
  IdMap<Payment> payments;
  IdMap<StandaloneCredit> standalone_credits;
  IdMap<Promise> promises;
  IdMap<Dispute> disputes;

  bool operator==(const Client&) const = default;
};

class ReceivablesState {
 public:
  ReceivablesState() = default;

  // Folds one event in. Events must arrive in stream order (any interleaving of
  // streams is fine). Event types that do not touch receivables are skipped silently.
  // Surprising input (an unknown stream form, an unknown or duplicate id, an invalid
  // date, a currency mismatch) never crashes: the event is ignored and counted in
  // ignored_events() under a short reason.
  void Apply(const v1::Event& event);

  // The payload types Apply reads; every other event leaves the state unchanged.
  static const std::vector<v1::Event::PayloadCase>& HandledPayloads();

  // Keyed by client id (the stream name without its "client-" prefix).
  const IdMap<Client>& clients() const { return clients_; }
  const Client* FindClient(std::string_view client_id) const;
  // The client's entry, created empty (only its id set) when missing: how a stored view
  // (receivables_view.h) assembles a state from its rows.
  Client& ClientForView(std::string_view client_id);

  // Events of a handled type folded in (ignored ones included), and the largest global
  // position among them (0 when none carried one).
  uint64_t applied_event_count() const { return applied_event_count_; }
  uint64_t last_position() const { return last_position_; }

  // Reason -> number of events ignored for it, e.g. "unknown invoice".
  const std::map<std::string, uint64_t>& ignored_events() const { return ignored_events_; }

  // The binary snapshot format, version 1. All integers are unsigned LEB128 varints;
  // signed ones are zigzag-encoded first. A string is a varint byte length then the
  // bytes. A day is zigzag(year), month, day. An optional is one byte 0/1 then the value.
  // A map or vector is a varint count then its elements in key order.
  //
  //   state      := "SHRCV" version(=1) applied_event_count last_position
  //                 count { reason:string n:varint }          (ignored_events)
  //                 count { client }
  //   client     := client_id registered:byte name jurisdiction:varint kind:varint
  //                 seller_is_sme:byte region account_owner
  //                 count { invoice } count { payment } count { credit }
  //                 count { promise } count { dispute }
  //   invoice    := invoice_id contract_id currency amount:zz issue_date due_date
  //                 count { kind:varint effective_on amount:zz source_id voided_on:opt }
  //   payment    := payment_id currency amount:zz value_date
  //                 count { invoice_id applied_on amount:zz } reversed_on:opt
  //   credit     := credit_note_id currency amount:zz issue_date
  //   promise    := promise_id currency amount:zz made_on promised_date
  //                 count { invoice_id } cancelled_on:opt
  //   dispute    := dispute_id invoice_id amount:zz reason opened_on
  //                 resolution:opt(outcome:varint conceded:zz resolved_on)
  //
  // Deserialize() rejects trailing bytes, truncation, out-of-range values and keys out of
  // ascending order with DATA_LOSS, and a different magic or version with
  // FAILED_PRECONDITION; whatever it accepts re-serializes to the same bytes. There is no
  // checksum: whoever stores snapshots (RocksDB checksums its blocks) guards the bytes.
  std::string Serialize() const;
  static absl::StatusOr<ReceivablesState> Deserialize(std::string_view bytes);

  bool operator==(const ReceivablesState&) const = default;

 private:
  void Ignore(std::string_view reason);
  Client* ClientForStream(std::string_view stream);

  // `name` and `reason`: what the state keeps of the event's personal text, a
  // reference (ledger::PersonalTextReference).
  void OnClientRegistered(Client& client, const v1::ClientRegistered& e, std::string name);
  void OnClientUpdated(Client& client, std::string name, const v1::ClientUpdated& e);
  void OnInvoiceIssued(Client& client, const v1::InvoiceIssued& e);
  void OnPaymentReceived(Client& client, const v1::PaymentReceived& e);
  void OnPaymentAllocated(Client& client, const v1::PaymentAllocated& e);
  void OnCreditNoteIssued(Client& client, const v1::CreditNoteIssued& e);
  void OnInvoiceWrittenOff(Client& client, const v1::InvoiceWrittenOff& e);
  void OnPaymentReversed(Client& client, const v1::PaymentReversed& e);
  void OnPromiseMade(Client& client, const v1::PromiseToPayMade& e, absl::CivilDay made_on);
  void OnPromiseCancelled(Client& client, const v1::PromiseToPayCancelled& e,
                          absl::CivilDay cancelled_on);
  void OnDisputeOpened(Client& client, const v1::DisputeOpened& e, std::string reason);
  void OnDisputeResolved(Client& client, const v1::DisputeResolved& e);

  // Applies allocations of `payment` dated `applied_on`; false (and nothing applied)
  // when any of them names an unknown invoice, a different currency, or more money
  // than the payment has unapplied.
  bool Allocate(Client& client, Payment& payment,
                const google::protobuf::RepeatedPtrField<v1::Allocation>& allocations,
                absl::CivilDay applied_on);

  // Looked up by a view of the stream name, without building a string.
  IdMap<Client> clients_;
  uint64_t applied_event_count_ = 0;
  uint64_t last_position_ = 0;
  std::map<std::string, uint64_t> ignored_events_;
};

}  // namespace sixhearts::services::receivables

#endif  // SIXHEARTS_SERVICES_RECEIVABLES_RECEIVABLES_STATE_H_
