// The relationship projection as a projection::Fold, so that the projection engine keeps it
// live, rebuilds it and replays it as of a day or a record time with the same code.
#ifndef SIXHEARTS_SERVICES_RELATIONSHIPS_RELATIONSHIPS_FOLD_H_
#define SIXHEARTS_SERVICES_RELATIONSHIPS_RELATIONSHIPS_FOLD_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "services/projection/projection_engine.h"
#include "services/relationships/relationships_state.h"

namespace sixhearts::services::relationships {

// The name the engine stores the relationship projection (state, checkpoint, snapshots)
// under.
inline constexpr char kRelationshipsProjectionName[] = "relationships";

// A RelationshipsState behind the Fold interface; every method delegates to it.
// Thread-compatible, like RelationshipsState: the engine gives Apply/Restore exclusive
// access.
class RelationshipsFold final : public projection::Fold {
 public:
  // REQUIRES: ValidateFoldOptions(options).ok().
  explicit RelationshipsFold(FoldOptions options = {}) : state_(options) {}

  void Apply(const ledger::v1::Event& event) override { state_.Apply(event); }
  std::string Serialize() const override { return state_.Serialize(); }
  // DATA_LOSS / FAILED_PRECONDITION as RelationshipsState::Deserialize, and
  // FAILED_PRECONDITION when the bytes were folded with another timeline limit than this
  // fold's (the engine then rebuilds, so the configured limit takes effect). The state is
  // left unchanged on error.
  absl::Status Restore(std::string_view bytes) override;

  const RelationshipsState& state() const { return state_; }
  // For a stored view assembling the fold of a cut (relationships_view.h).
  RelationshipsState& mutable_state() { return state_; }

 private:
  RelationshipsState state_;
};

// Makes empty RelationshipsFolds with `options`, for ProjectionEngine::Start.
// REQUIRES: ValidateFoldOptions(options).ok().
projection::FoldFactory MakeRelationshipsFoldFactory(FoldOptions options = {});

}  // namespace sixhearts::services::relationships

#endif  // SIXHEARTS_SERVICES_RELATIONSHIPS_RELATIONSHIPS_FOLD_H_
