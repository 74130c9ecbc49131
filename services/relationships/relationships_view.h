// The relationships projection as stored views (services/projection/view_store.h): its
// rows (a client's attributes, each owner assignment, each day a heart was practised, each
// concern, plan, plan step completion and follow-up, and one immutable row per event of
// the client's stream for its timeline), their codec (sixhearts.views.v1 messages,
// proto/sixhearts/views/v1/relationships_rows.proto), the entities each event touches,
// and its fold, which is RelationshipsState::Apply run on a partial state of just those
// entities.
//
// Entity keys (parts as projection::AppendKeyPart writes them; day: 4 bytes BE, days
// since 1970-01-01 plus 2^31; position: 8 bytes BE):
//   client attributes     part(client_id) 'A'
//   follow-up             part(client_id) 'F' part(follow_up_id)
//   heart day             part(client_id) 'H' heart(1 byte, HeartIndex) day
//   concern               part(client_id) 'K' part(concern_id)
//   owner assignment      part(client_id) 'O' day position
//   plan (its versions)   part(client_id) 'P' part(plan_id)
//   plan step completion  part(client_id) 'Q' part(plan_id) part(step_id)
//   timeline entry        part(client_id) 'T' position
// so a client's rows sit together, its attributes first, and its timeline is one range
// (part(client_id) 'T') in arrival order.
//
// The timeline keeps every entry as a row; the per-client limit
// (FoldOptions::timeline_entries_per_client) is applied when a cut is read: the newest that
// many entries of the cut by arrival are kept and the older ones counted as dropped,
// exactly as the fold drops them. A change of the limit needs no rebuild.
//
// Not stored: the fold's counters (applied_event_count, last_position, ignored_events),
// which no report reads; a state assembled from rows has them at zero.
#ifndef SIXHEARTS_SERVICES_RELATIONSHIPS_RELATIONSHIPS_VIEW_H_
#define SIXHEARTS_SERVICES_RELATIONSHIPS_RELATIONSHIPS_VIEW_H_

#include <memory>
#include <string>
#include <string_view>

#include "services/projection/view_store.h"
#include "services/relationships/relationships_state.h"

namespace sixhearts::services::relationships {

// The relationships projection's rows and fold, for ProjectionEngine::StartStored. Folds it
// makes (NewFold) are RelationshipsFolds with `options`.
// REQUIRES: ValidateFoldOptions(options).ok().
std::shared_ptr<const projection::RowProjection> MakeRelationshipsRows(FoldOptions options = {});

// The key prefix of all rows of one client (a per-client read), and of its timeline.
std::string ClientRowsPrefix(std::string_view client_id);
std::string TimelineRowsPrefix(std::string_view client_id);

}  // namespace sixhearts::services::relationships

#endif  // SIXHEARTS_SERVICES_RELATIONSHIPS_RELATIONSHIPS_VIEW_H_
