// The compliance projection as stored views (services/projection/view_store.h): its rows
// (a client the fold has seen, each contract with its term versions, each invoice's
// delivery, receipt and acceptance days), their codec (sixhearts.views.v1 messages,
// proto/sixhearts/views/v1/compliance_rows.proto), the entities each event touches, and
// its fold, which is ComplianceState::Apply run on a partial state of just those entities.
//
// Entity keys (parts as projection::AppendKeyPart writes them):
//   client     part(client_id) 'A'
//   contract   part(client_id) 'C' part(contract_id)
//   invoice    part(client_id) 'I' part(invoice_id)
// so a client's rows sit together (one range, ClientComplianceRowsPrefix), its entry first.
//
// Not stored: the fold's counters (applied_event_count, last_position, ignored_events),
// which no report reads; a state assembled from rows has them at zero.
#ifndef SIXHEARTS_SERVICES_COMPLIANCE_COMPLIANCE_VIEW_H_
#define SIXHEARTS_SERVICES_COMPLIANCE_COMPLIANCE_VIEW_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "services/compliance/compliance_state.h"
#include "services/projection/view_store.h"

namespace sixhearts::services::compliance {

// The compliance projection's rows and fold, for ProjectionEngine::StartStored. Folds it
// makes (NewFold) are ComplianceFolds.
std::shared_ptr<const projection::RowProjection> MakeComplianceRows();

// The key prefix of all rows of one client.
std::string ClientComplianceRowsPrefix(std::string_view client_id);

// Adds to `state` the rows of `client_id` in force in `cut` on `day` (nullopt: no bound):
// one range read, no replay. A client with no rows at the cut adds nothing. DATA_LOSS on
// bad bytes.
absl::Status AddClientFromCut(const projection::ViewCut& cut, std::optional<absl::CivilDay> day,
                              std::string_view client_id, ComplianceState& state);

}  // namespace sixhearts::services::compliance

#endif  // SIXHEARTS_SERVICES_COMPLIANCE_COMPLIANCE_VIEW_H_
