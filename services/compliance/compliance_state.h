// The compliance projection: a pure fold of the facts the statutory rules need and the
// receivables projection does not keep: contracts with their terms over time (payment
// term, acceptance as a condition, acceptance period, agreed late-interest rate) and, per
// invoice, the delivery, invoice-receipt and acceptance days. Money, disputes and promises
// are read from receivables::ReceivablesState at the same as-of cut; the rules
// (rules.h) take both states.
//
// Threading: a plain value, like ReceivablesState. Concurrent const access is safe;
// Apply() needs exclusive access.
#ifndef SIXHEARTS_SERVICES_COMPLIANCE_COMPLIANCE_STATE_H_
#define SIXHEARTS_SERVICES_COMPLIANCE_COMPLIANCE_STATE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "services/projection/projection_engine.h"
#include "sixhearts/ledger/v1/events.pb.h"

namespace sixhearts::services::compliance {

namespace v1 = ::sixhearts::ledger::v1;

// Contract terms from one day on (ContractSigned, then each ContractAmended).
struct ContractTerms {
  absl::CivilDay from;                 // signed_on, or the amendment's amended_on
  int32_t payment_terms_days = 0;      // 0: none agreed
  int32_t acceptance_period_days = 0;  // 0: none agreed
  int32_t late_interest_rate_bps = 0;  // per year; 0: none agreed
  bool operator==(const ContractTerms&) const = default;
};

struct Contract {
  std::string contract_id;
  absl::CivilDay signed_on;
  bool acceptance_required = false;
  // Ascending by `from` (an amendment dated before the previous version is taken as of
  // that version's day, so "the terms on day d" is the last version with from <= d).
  std::vector<ContractTerms> versions;

  // The terms in force on `day`; the signed terms before signed_on (an invoice may
  // bill a contract the ledger learned of late).
  const ContractTerms& TermsOn(absl::CivilDay day) const;
  bool operator==(const Contract&) const = default;
};

struct InvoiceFacts {
  std::string contract_id;  // "" when the invoice names no contract
  std::optional<absl::CivilDay> delivery_date;
  std::optional<absl::CivilDay> received_date;
  // The first InvoiceAccepted's acceptance_date (a second one is ignored: acceptance
  // passes once).
  std::optional<absl::CivilDay> acceptance_date;
  bool operator==(const InvoiceFacts&) const = default;
};

struct ClientFacts {
  std::map<std::string, Contract> contracts;
  std::map<std::string, InvoiceFacts> invoices;
  bool operator==(const ClientFacts&) const = default;
};

class ComplianceState {
 public:
  // Folds one event in; other event types are skipped. Surprising input (a stream not
  // named client-<id>, a duplicate or unknown id, an invalid date) never crashes: the
  // event is counted in ignored_events() under a short reason.
  void Apply(const v1::Event& event);

  // Keyed by client id.
  const std::map<std::string, ClientFacts, std::less<>>& clients() const { return clients_; }
  const ClientFacts* FindClient(std::string_view client_id) const;
  // The client's entry, created empty when missing: how a stored view
  // (compliance_view.h) assembles a state from its rows.
  ClientFacts& ClientForView(std::string_view client_id);
  uint64_t applied_event_count() const { return applied_event_count_; }
  uint64_t last_position() const { return last_position_; }
  const std::map<std::string, uint64_t>& ignored_events() const { return ignored_events_; }

  // The snapshot format, version 1, in the conventions of ReceivablesState (varints,
  // zigzag for signed values, strings length-prefixed, days zigzag(year) month day,
  // optionals a 0/1 byte then the value, maps a count then entries in key order):
  //   state    := "SHCMP" version(=1) applied_event_count last_position
  //               count { reason n } count { client_id client }
  //   client   := count { contract_id signed_on acceptance_required:byte
  //                       count { from terms:varint period:varint rate:varint } }
  //               count { invoice_id contract_id delivery:opt received:opt accepted:opt }
  // Deserialize: DATA_LOSS for damaged bytes, FAILED_PRECONDITION for another magic or
  // version; whatever it accepts re-serializes to the same bytes.
  std::string Serialize() const;
  static absl::StatusOr<ComplianceState> Deserialize(std::string_view bytes);

  bool operator==(const ComplianceState&) const = default;

 private:
  void Ignore(std::string_view reason);

  std::map<std::string, ClientFacts, std::less<>> clients_;
  uint64_t applied_event_count_ = 0;
  uint64_t last_position_ = 0;
  std::map<std::string, uint64_t> ignored_events_;
};

// The name the engine keeps the compliance projection under.
inline constexpr char kComplianceProjectionName[] = "compliance";

class ComplianceFold final : public projection::Fold {
 public:
  void Apply(const v1::Event& event) override { state_.Apply(event); }
  std::string Serialize() const override { return state_.Serialize(); }
  absl::Status Restore(std::string_view bytes) override;
  const ComplianceState& state() const { return state_; }
  // For a stored view assembling the fold of a cut (compliance_view.h).
  ComplianceState& mutable_state() { return state_; }

 private:
  ComplianceState state_;
};

projection::FoldFactory MakeComplianceFoldFactory();

}  // namespace sixhearts::services::compliance

#endif  // SIXHEARTS_SERVICES_COMPLIANCE_COMPLIANCE_STATE_H_
