// Delegation of the Fold interface to ReceivablesState.
#include "services/receivables/receivables_fold.h"

#include <memory>
#include <utility>

#include "ledger/event_types.h"

namespace sixhearts::services::receivables {

absl::Status ReceivablesFold::Restore(std::string_view bytes) {
  absl::StatusOr<ReceivablesState> restored = ReceivablesState::Deserialize(bytes);
  if (!restored.ok()) return restored.status();
  state_ = *std::move(restored);
  return absl::OkStatus();
}

std::vector<std::string> ReceivablesFold::EventTypes() const {
  std::vector<std::string> types;
  for (const auto payload : ReceivablesState::HandledPayloads()) {
    types.emplace_back(ledger::EventTypeNameOf(payload));
  }
  return types;
}

projection::FoldFactory MakeReceivablesFoldFactory() {
  return []() -> std::unique_ptr<projection::Fold> { return std::make_unique<ReceivablesFold>(); };
}

}  // namespace sixhearts::services::receivables
