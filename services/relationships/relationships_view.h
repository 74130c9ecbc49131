// The relationships projection as stored views (services/projection/view_store.h): its
// rows (a client's attributes, each owner assignment, each day a heart was practised, each
// concern, plan, plan step completion and follow-up, and one immutable row per event of
// the client's stream for its timeline), their codec (sixhearts.views.v1 messages,
// proto/sixhearts/views/v1/relationships_rows.proto), the entities each event touches,
// and its fold, which is RelationshipsState::Apply run on a partial state of just those
// entities.
//
// Entity keys (parts as projection::AppendKeyPart writes them; day: 4 bytes BE, days
// since 1970-01-01 plus 2^31; position: 8 bytes BE), in two families, a client's summary
// rows ('C') and its timeline ('T'):
//   client attributes     'C' part(client_id) 'A'
//   follow-up             'C' part(client_id) 'F' part(follow_up_id)
//   heart day             'C' part(client_id) 'H' heart(1 byte, HeartIndex) day
//   concern               'C' part(client_id) 'K' part(concern_id)
//   owner assignment      'C' part(client_id) 'O' day position
//   plan (its versions)   'C' part(client_id) 'P' part(plan_id)
//   plan step completion  'C' part(client_id) 'Q' part(plan_id) part(step_id)
//   timeline entry        'T' part(client_id) position
// so a client's summary rows sit together, its attributes first; every client's summary
// rows are one range ('C'), which the scorecard, plans, worklist and evidence read without
// stepping over any timeline; and a client's timeline is one range ('T' part(client_id))
// in arrival order, read by its timeline alone.
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
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "services/projection/view_store.h"
#include "services/relationships/relationships_state.h"

namespace sixhearts::services::relationships {

// The relationships projection's rows and fold, for ProjectionEngine::StartStored. Folds it
// makes (NewFold) are RelationshipsFolds with `options`.
// REQUIRES: ValidateFoldOptions(options).ok().
std::shared_ptr<const projection::RowProjection> MakeRelationshipsRows(FoldOptions options = {});

// The key prefix of one client's summary rows (all but its timeline), and of its timeline.
std::string ClientRowsPrefix(std::string_view client_id);
std::string TimelineRowsPrefix(std::string_view client_id);

// Reads of a stored cut (ProjectionEngine::ReadViewCut) into a state the analytics read as
// they read a fold's: each adds the rows in force on `day` (nullopt: no bound) to `state`,
// whose FoldOptions must be the view's (the timeline limit is applied as rows are added).
// DATA_LOSS on a row that does not parse.
//
// Every client's summary rows, no timeline: what ComputeScorecard, ComputePlans,
// ComputeWorklist and ComputeEvidence read (no report but the timeline reads one).
absl::Status AddClientsRows(const projection::ViewCut& cut, std::optional<absl::CivilDay> day,
                            RelationshipsState& state);
// One client's summary rows and, `with_timeline`, its timeline: ComputeTimeline of the
// client, or a scorecard or plans of listed clients.
absl::Status AddClientRows(const projection::ViewCut& cut, std::string_view client_id,
                           std::optional<absl::CivilDay> day, bool with_timeline,
                           RelationshipsState& state);
// The receivables rows of one client (nullopt: every client) of a cut of the receivables
// view (`receivables_rows`: receivables::MakeReceivablesRows()) into `fold`, made by
// receivables_rows.NewFold().
absl::Status AddReceivablesRows(const projection::ViewCut& cut,
                                const projection::RowProjection& receivables_rows,
                                std::optional<std::string_view> client_id,
                                std::optional<absl::CivilDay> day, projection::Fold& fold);

}  // namespace sixhearts::services::relationships

#endif  // SIXHEARTS_SERVICES_RELATIONSHIPS_RELATIONSHIPS_VIEW_H_
