// The compliance report and the annual overdue disclosure, built as pure functions of the
// receivables, compliance and relationship states read at one bitemporal cut (as_of,
// known_at), plus the digest of the log at that cut. Nothing here reads a clock: the
// same states, request and digest always give the same report, so the rendered bytes
// (render.h) are identical however often, and however much later, it is asked for.
#ifndef SIXHEARTS_SERVICES_COMPLIANCE_REPORT_H_
#define SIXHEARTS_SERVICES_COMPLIANCE_REPORT_H_

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "services/compliance/compliance_state.h"
#include "services/compliance/rules.h"
#include "services/receivables/analytics.h"
#include "services/receivables/receivables_state.h"
#include "services/relationships/analytics.h"
#include "services/relationships/hearts.h"
#include "services/relationships/relationships_state.h"

namespace sixhearts::services::compliance {

// Bounds on a request, so one report cannot ask for unbounded work.
inline constexpr int64_t kMaxReportPeriodDays = 3650;
inline constexpr size_t kMaxReportClientIds = 1'000;
// Month-end points of the overdue trend and the trust timeline (the latest ones).
inline constexpr size_t kMaxTrendPoints = 24;
// Default report period: the year ending on (and including) as_of.
inline constexpr int64_t kDefaultReportPeriodDays = 365;

// The log the report was built from: the last position at the known_at cut, the chain
// hash there (ledger/FORMAT.md) and the signed checkpoint of the Merkle tree of that size
// (ledger/checkpoint.h), so an auditor can check it against a Digest or the verifier key.
struct LogDigest {
  uint64_t position = 0;
  std::string head_hash_hex;  // 64 hex digits; all zero for an empty log
  std::string checkpoint;     // signed note text; empty when the server signs nothing
};

struct ReportRequest {
  absl::CivilDay as_of;
  absl::Time known_at = absl::InfinitePast();  // REQUIRED: the record-time cut used
  // First day of the period (paid-late invoices, judged promises, resolved disputes,
  // coverage). Default: as_of - kDefaultReportPeriodDays + 1.
  std::optional<absl::CivilDay> period_from;
  // Only these clients; empty means all.
  std::vector<std::string> client_ids;
  // Each listed invoice with the events its figures came from and their inclusion proofs
  // (ReportProofs); JSON only.
  bool with_proofs = false;
};

// INVALID_ARGUMENT naming the field: period_from after as_of or more than
// kMaxReportPeriodDays before it; too many or empty client ids.
absl::Status ValidateReportRequest(const ReportRequest& request);

struct StatutoryTotal {
  RuleSet rule_set = RuleSet::kNone;
  std::string currency;
  int64_t invoices_assessed = 0;  // issued on or before as_of under the rule
  int64_t invoices_overdue = 0;
  int64_t overdue_minor = 0;
  int64_t invoices_paid_late = 0;        // paid late within the period
  int64_t interest_minor = 0;            // over the listed invoices
  int64_t fixed_compensation_minor = 0;  // EU Art 6, in its own currency (EUR)
};

struct HeartCoverage {
  v1::Heart heart = v1::HEART_UNSPECIFIED;
  int64_t clients_practised = 0;  // practised on some day of the period
  int64_t clients = 0;            // in scope
};

struct ClientHealth {
  std::string client_id;
  std::string name;
  RuleSet rule_set = RuleSet::kNone;
  std::string rule_reason;
  std::optional<double> health_index;  // relationships::ScoreClient over the period
  int64_t invoices_overdue = 0;
};

struct TrendPoint {
  absl::CivilDay on;
  // Statutory overdue amount per currency on that day (by each invoice's statutory due
  // date as of the report's as_of; see docs/compliance.md).
  std::map<std::string, int64_t> overdue_minor;
  int64_t invoices_overdue = 0;
};

struct TrustPoint {
  absl::CivilMonth month;
  int64_t clients_practised = 0;  // clients with a trust event in the month
  int64_t practice_days = 0;      // distinct (client, day) trust events
};

// A report on proofs (ledger/FORMAT.md "Report on proofs"): the listed invoices name the
// log positions of the events their figures came from, and those events travel with
// their bytes and inclusion proofs in the tree of the report's checkpoint, so that an
// auditor recomputes the figures (tools/verify_audit.py).
//
// At most this many events in one report's proofs: the listed invoices of a whole
// portfolio may need more than one response should carry (narrow client_ids).
inline constexpr size_t kMaxReportProvenEvents = 100'000;

// One listed invoice's figures on as_of as the receivables projection has them, beyond
// those of InvoiceAssessment, and the events they came from.
struct InvoiceProof {
  int64_t paid_minor = 0;         // payments applied to it, not reversed by as_of
  int64_t credited_minor = 0;     // credit notes against it
  int64_t written_off_minor = 0;  // written off
  // Ascending log positions: its InvoiceIssued and InvoiceAccepted, the PaymentReceived,
  // PaymentAllocated and PaymentReversed of every payment applied to it, its credit
  // notes, write-offs, and its disputes' DisputeOpened and DisputeResolved.
  std::vector<uint64_t> positions;
};

// One event of the log with its inclusion proof in the tree of ComplianceReport::digest
// (size digest.position).
struct ProvenEvent {
  uint64_t position = 0;
  std::string leaf;               // 32 bytes: SHA-256(0x00 || bytes)
  std::string bytes;              // the stored event bytes, as the leaf hashes them
  std::vector<std::string> path;  // RFC 9162 inclusion path, 32 bytes each
};

struct ReportProofs {
  std::string tree_root;               // 32 bytes: the root of the tree of digest.position
  std::vector<InvoiceProof> invoices;  // one per ComplianceReport::invoices, same order
  std::vector<ProvenEvent> events;     // ascending positions, each once
};

struct ComplianceReport {
  absl::CivilDay as_of;
  absl::Time known_at;
  absl::CivilDay period_from;
  LogDigest digest;
  std::string rate_tables;  // FormatRateTables of the rates used
  // Rates the listed invoices used for days past their table's next publication, one
  // per table with the latest day used (the invoices' notes name each).
  std::vector<CarriedRate> carried_rates;
  receivables::AgingReport aging;
  // Invoices overdue by law on as_of, disputed past due, or paid late within the period;
  // by client id, then invoice id.
  std::vector<InvoiceAssessment> invoices;
  std::vector<StatutoryTotal> totals;  // by rule set, then currency
  std::vector<TermFinding> findings;   // by client id, contract id
  receivables::PromiseReport promises;
  receivables::DisputeReport disputes;
  std::array<HeartCoverage, relationships::kHeartCount> coverage;
  std::vector<ClientHealth> clients;  // by client id
  std::vector<TrendPoint> trend;      // oldest first, as_of last
  std::vector<TrustPoint> trust;      // oldest first
  // With ReportRequest::with_proofs; JSON renders it (render.h).
  std::optional<ReportProofs> proofs;
};

absl::StatusOr<ComplianceReport> BuildComplianceReport(
    const receivables::ReceivablesState& receivables, const ComplianceState& compliance,
    const relationships::RelationshipsState& relationships, const ReportRequest& request,
    const LogDigest& digest, const StatutoryOptions& options = {});

// --------------------------------------------------------------------- disclosure

// CN Art 18: 机关 and 事业单位 publish, by 31 March, the overdue payments to SMEs of the
// prior year. One row per client under the CN rule set and currency with overdue money in
// the year.
struct DisclosureRow {
  std::string client_id;
  std::string name;
  v1::ClientKind client_kind = v1::CLIENT_KIND_UNSPECIFIED;
  std::string currency;
  // Contracts with an invoice overdue by law on some day of the year (an invoice without
  // a contract counts as its own contract).
  int64_t contracts_overdue = 0;
  int64_t invoices_overdue = 0;
  // Each such invoice's amount owed by law when its overdue time in the year began (its
  // due date, or 1 January for one already overdue then).
  int64_t overdue_minor = 0;
  int64_t unpaid_at_year_end_minor = 0;  // still owed by law on 31 December
  int64_t interest_minor = 0;            // late interest accrued within the year
};

struct DisclosureRequest {
  int year = 0;  // 1..9999; the report reads the books as of 31 December of it
  absl::Time known_at = absl::InfinitePast();  // REQUIRED
  std::vector<std::string> client_ids;
};

struct DisclosureReport {
  int year = 0;
  absl::CivilDay as_of;  // 31 December of the year
  absl::Time known_at;
  LogDigest digest;
  std::vector<DisclosureRow> rows;  // by client id, currency
  std::map<std::string, int64_t> contracts_overdue_by_currency;
  std::map<std::string, int64_t> overdue_minor_by_currency;
};

absl::StatusOr<DisclosureReport> BuildDisclosure(const receivables::ReceivablesState& receivables,
                                                 const ComplianceState& compliance,
                                                 const DisclosureRequest& request,
                                                 const LogDigest& digest,
                                                 const StatutoryOptions& options = {});

}  // namespace sixhearts::services::compliance

#endif  // SIXHEARTS_SERVICES_COMPLIANCE_REPORT_H_
