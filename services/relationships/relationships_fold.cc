// Delegation of the Fold interface to RelationshipsState.
#include "services/relationships/relationships_fold.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"

namespace sixhearts::services::relationships {

absl::Status RelationshipsFold::Restore(std::string_view bytes) {
  absl::StatusOr<RelationshipsState> restored = RelationshipsState::Deserialize(bytes);
  if (!restored.ok()) return restored.status();
  if (restored->options().timeline_entries_per_client !=
      state_.options().timeline_entries_per_client) {
    return absl::FailedPreconditionError(absl::StrCat(
        "relationships snapshot keeps ", restored->options().timeline_entries_per_client,
        " timeline entries per client, this fold ", state_.options().timeline_entries_per_client));
  }
  state_ = *std::move(restored);
  return absl::OkStatus();
}

projection::FoldFactory MakeRelationshipsFoldFactory(FoldOptions options) {
  return [options]() -> std::unique_ptr<projection::Fold> {
    return std::make_unique<RelationshipsFold>(options);
  };
}

}  // namespace sixhearts::services::relationships
