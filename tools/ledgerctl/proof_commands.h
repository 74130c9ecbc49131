// ledgerctl's Merkle-tree commands: the signed checkpoint, the checkpoint key, and
// inclusion and consistency proofs, printed and saved as JSON (README "Proofs").
#ifndef SIXHEARTS_TOOLS_LEDGERCTL_PROOF_COMMANDS_H_
#define SIXHEARTS_TOOLS_LEDGERCTL_PROOF_COMMANDS_H_

#include <cstdint>
#include <string>

#include "CLI/CLI.hpp"
#include "tools/ledgerctl/commands.h"

namespace sixhearts::ledgerctl {

struct ProofOptions {
  std::string output;  // -o; empty or "-": standard output
  // checkpoint: nothing more. inclusion: position, tree_size (0: head). consistency:
  // first, second (0: head).
  uint64_t position = 0;
  uint64_t tree_size = 0;
  uint64_t first = 0;
  uint64_t second = 0;
};

struct ProofCommands {
  CLI::App* checkpoint = nullptr;
  CLI::App* verifier_key = nullptr;
  CLI::App* inclusion = nullptr;
  CLI::App* consistency = nullptr;
};

// Adds `checkpoint`, `verifier-key` and `proof inclusion|consistency` to `app`.
ProofCommands AddProofCommands(CLI::App& app, ProofOptions* options);

// Runs the one of them that was parsed; nullopt when none was.
std::optional<absl::StatusOr<int>> RunProofCommand(const ProofCommands& commands,
                                                   const CommandContext& context,
                                                   const ProofOptions& options);

}  // namespace sixhearts::ledgerctl

#endif  // SIXHEARTS_TOOLS_LEDGERCTL_PROOF_COMMANDS_H_
