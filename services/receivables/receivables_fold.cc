// Delegation of the Fold interface to ReceivablesState.
#include "services/receivables/receivables_fold.h"

#include <memory>
#include <utility>

namespace sixhearts::services::receivables {

absl::Status ReceivablesFold::Restore(std::string_view bytes) {
  absl::StatusOr<ReceivablesState> restored = ReceivablesState::Deserialize(bytes);
  if (!restored.ok()) return restored.status();
  state_ = *std::move(restored);
  return absl::OkStatus();
}

projection::FoldFactory MakeReceivablesFoldFactory() {
  return []() -> std::unique_ptr<projection::Fold> { return std::make_unique<ReceivablesFold>(); };
}

}  // namespace sixhearts::services::receivables
