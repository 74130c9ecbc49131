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

#include "services/projection/view_store.h"

namespace sixhearts::services::receivables {

// The receivables projection's rows and fold, for ProjectionEngine::StartStored.
std::shared_ptr<const projection::RowProjection> MakeReceivablesRows();

// The entity key of a client's attributes row (tests and tools).
std::string ClientEntityKey(std::string_view client_id);

}  // namespace sixhearts::services::receivables

#endif  // SIXHEARTS_SERVICES_RECEIVABLES_RECEIVABLES_VIEW_H_
