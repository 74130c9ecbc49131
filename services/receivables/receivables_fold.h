// The receivables projection as a projection::Fold, so that the projection engine can keep
// it live, rebuild it and replay it as of a day or a record time with the same code.
#ifndef SIXHEARTS_SERVICES_RECEIVABLES_RECEIVABLES_FOLD_H_
#define SIXHEARTS_SERVICES_RECEIVABLES_RECEIVABLES_FOLD_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "services/projection/projection_engine.h"
#include "services/receivables/receivables_state.h"

namespace sixhearts::services::receivables {

// The name the engine stores the receivables projection (state, checkpoint, snapshots)
// under.
inline constexpr char kReceivablesProjectionName[] = "receivables";

// A ReceivablesState behind the Fold interface; every method delegates to it.
// Thread-compatible, like ReceivablesState: the engine gives Apply/Restore exclusive access.
class ReceivablesFold final : public projection::Fold {
 public:
  ReceivablesFold() = default;

  void Apply(const ledger::v1::Event& event) override { state_.Apply(event); }
  std::string Serialize() const override { return state_.Serialize(); }
  // DATA_LOSS / FAILED_PRECONDITION as ReceivablesState::Deserialize; the state is left
  // unchanged then.
  absl::Status Restore(std::string_view bytes) override;
  std::vector<std::string> EventTypes() const override;

  const ReceivablesState& state() const { return state_; }
  // For a stored view assembling the fold of a cut (receivables_view.h).
  ReceivablesState& mutable_state() { return state_; }

 private:
  ReceivablesState state_;
};

// Makes empty ReceivablesFolds, for ProjectionEngine::Start.
projection::FoldFactory MakeReceivablesFoldFactory();

}  // namespace sixhearts::services::receivables

#endif  // SIXHEARTS_SERVICES_RECEIVABLES_RECEIVABLES_FOLD_H_
