// The proofs a compliance report carries with `with_proofs` (ledger/FORMAT.md "Report on
// proofs"): for each listed invoice, its figures as the receivables projection has them
// and the log positions of the events they came from; for each such event, its bytes and
// its inclusion proof in the tree of the report's checkpoint. tools/verify_audit.py
// recomputes the figures from those events alone.
#ifndef SIXHEARTS_SERVICES_COMPLIANCE_REPORT_PROOFS_H_
#define SIXHEARTS_SERVICES_COMPLIANCE_REPORT_PROOFS_H_

#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "ledger/event_store.h"
#include "services/compliance/report.h"
#include "services/receivables/receivables_state.h"

namespace sixhearts::services::compliance {

// The paid, credited and written-off amounts of `invoice` on `as_of`: its movements of
// each kind that count that day (receivables::Movement::CountsOn); all zero before the
// issue date, as OutstandingOn.
InvoiceProof InvoiceFigures(const receivables::Invoice& invoice, absl::CivilDay as_of);

// Starts report.proofs: the figures of every listed invoice from `receivables`, the state
// the report was built from (cheap: called while the state is held).
void SetInvoiceFigures(const receivables::ReceivablesState& receivables, ComplianceReport& report);

// Completes report.proofs (REQUIRES: SetInvoiceFigures ran): the positions of the listed
// invoices' events, found in the listed clients' streams among the events the report's
// cut holds (position at most report.digest.position, occurred before the end of
// report.as_of), and each such event with its inclusion proof. INVALID_ARGUMENT naming
// with_proofs when they would be more than kMaxReportProvenEvents; DATA_LOSS naming the
// position when a stored record and the tree disagree.
absl::Status AddProvenEvents(const ledger::EventStore& store, ComplianceReport& report);

}  // namespace sixhearts::services::compliance

#endif  // SIXHEARTS_SERVICES_COMPLIANCE_REPORT_PROOFS_H_
