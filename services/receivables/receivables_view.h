// The receivables projection as stored views (services/projection/view_store.h): its
// rows (a client's attributes, and each invoice, payment, standalone credit, promise and
// dispute), their codec (sixhearts.views.v1 messages, proto/sixhearts/views/v1/
// receivables_rows.proto), the entities each event touches, and its fold, which is
// ReceivablesState::Apply run on a partial state of just those entities.
//
// Entity keys (parts as projection::AppendKeyPart writes them):
//   client attributes  part(client_id) 'C'
//   invoice            part(client_id) 'I' part(invoice_id)
//   payment            part(client_id) 'P' part(payment_id)
//   standalone credit  part(client_id) 'S' part(credit_note_id)
//   promise            part(client_id) 'R' part(promise_id)
//   dispute            part(client_id) 'D' part(dispute_id)
// so a client's rows sit together, its attributes first.
//
// Not stored: the fold's counters (applied_event_count, last_position, ignored_events),
// which no report reads; a state assembled from rows has them at zero.
#ifndef SIXHEARTS_SERVICES_RECEIVABLES_RECEIVABLES_VIEW_H_
#define SIXHEARTS_SERVICES_RECEIVABLES_RECEIVABLES_VIEW_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "services/projection/view_store.h"
#include "services/receivables/analytics.h"

namespace sixhearts::services::receivables {

// The receivables projection's rows and fold, for ProjectionEngine::StartStored.
std::shared_ptr<const projection::RowProjection> MakeReceivablesRows();

// The entity key of a client's attributes row (tests and tools).
std::string ClientEntityKey(std::string_view client_id);

// The aging of a stored cut, equal to ComputeAging on the fold of the cut, read from the
// entities the index of open intervals lists as maybe open on `as_of` (each in force on
// it), one client at a time: it holds one client's listed rows, not the projection's.
absl::StatusOr<AgingReport> StoredAging(const projection::ViewCut& cut, absl::CivilDay as_of,
                                        const AgingOptions& options);

}  // namespace sixhearts::services::receivables

#endif  // SIXHEARTS_SERVICES_RECEIVABLES_RECEIVABLES_VIEW_H_
