// The checkpoint and proof commands: one RPC each, the answer written as the signed note
// (checkpoint) or as one JSON object (proofs) that tools/verify_audit.py reads.
#include "tools/ledgerctl/proof_commands.h"

#include <fstream>

#include "absl/strings/str_cat.h"
#include "ledger/quoted.h"
#include "tools/ledgerctl/event_output.h"

namespace sixhearts::ledgerctl {

namespace {

std::string HexList(const google::protobuf::RepeatedPtrField<std::string>& hashes) {
  std::string out = "[";
  for (int i = 0; i < hashes.size(); ++i) {
    absl::StrAppend(&out, i == 0 ? "" : ", ", "\"", HexBytes(hashes[i]), "\"");
  }
  return out + "]";
}

// Writes `text` to -o's file or standard output.
absl::StatusOr<int> Emit(const CommandContext& context, const ProofOptions& options,
                         const std::string& text, std::string_view what) {
  if (options.output.empty() || options.output == "-") {
    *context.out << text;
    return kExitOk;
  }
  std::ofstream file(options.output, std::ios::binary | std::ios::trunc);
  if (!file) return absl::InvalidArgumentError(absl::StrCat("-o: cannot write ", options.output));
  file << text;
  file.flush();
  if (!file) return absl::InternalError(absl::StrCat("writing ", options.output, " failed"));
  *context.err << what << " written to " << options.output << "\n";
  return kExitOk;
}

absl::StatusOr<int> RunCheckpoint(const CommandContext& context, const ProofOptions& options) {
  auto digest = context.client->Digest();
  if (!digest.ok()) return digest.status();
  if (digest->checkpoint().empty()) {
    return absl::FailedPreconditionError("the server signs no checkpoints");
  }
  return Emit(context, options, digest->checkpoint(),
              absl::StrCat("checkpoint of tree size ", digest->head_position()));
}

absl::StatusOr<int> RunVerifierKey(const CommandContext& context) {
  auto digest = context.client->Digest();
  if (!digest.ok()) return digest.status();
  if (digest->verifier_key().empty()) {
    return absl::FailedPreconditionError("the server signs no checkpoints");
  }
  *context.out << digest->verifier_key() << "\n";
  return kExitOk;
}

absl::StatusOr<int> RunInclusion(const CommandContext& context, const ProofOptions& options) {
  v1::GetInclusionProofRequest request;
  request.set_position(options.position);
  request.set_tree_size(options.tree_size);
  auto proof = context.client->GetInclusionProof(request);
  if (!proof.ok()) return proof.status();
  const std::string json = absl::StrCat(
      "{\"proof\": \"inclusion\", \"position\": ", proof->position(),
      ", \"tree_size\": ", proof->tree_size(), ", \"leaf_hash\": \"", HexBytes(proof->leaf_hash()),
      "\", \"path\": ", HexList(proof->path()), ", \"root_hash\": \"", HexBytes(proof->root_hash()),
      "\", \"checkpoint\": ", ledger::Quoted(proof->checkpoint()), "}\n");
  return Emit(context, options, json,
              absl::StrCat("inclusion proof of position ", proof->position(), " in tree size ",
                           proof->tree_size()));
}

absl::StatusOr<int> RunConsistency(const CommandContext& context, const ProofOptions& options) {
  v1::GetConsistencyProofRequest request;
  request.set_first(options.first);
  request.set_second(options.second);
  auto proof = context.client->GetConsistencyProof(request);
  if (!proof.ok()) return proof.status();
  const std::string json = absl::StrCat(
      "{\"proof\": \"consistency\", \"first\": ", proof->first(), ", \"second\": ", proof->second(),
      ", \"first_root\": \"", HexBytes(proof->first_root()), "\", \"second_root\": \"",
      HexBytes(proof->second_root()), "\", \"path\": ", HexList(proof->path()),
      ", \"first_checkpoint\": ", ledger::Quoted(proof->first_checkpoint()),
      ", \"second_checkpoint\": ", ledger::Quoted(proof->second_checkpoint()), "}\n");
  return Emit(
      context, options, json,
      absl::StrCat("consistency proof of tree sizes ", proof->first(), " and ", proof->second()));
}

}  // namespace

ProofCommands AddProofCommands(CLI::App& app, ProofOptions* options) {
  ProofCommands commands;
  commands.checkpoint = app.add_subcommand(
      "checkpoint", "The signed checkpoint of the Merkle tree at the head (C2SP signed note)");
  commands.checkpoint->add_option("-o,--output", options->output, "Output file");
  commands.verifier_key = app.add_subcommand(
      "verifier-key", "The checkpoint key, as a note verifier key: NAME+KEYID+BASE64");
  CLI::App* proof = app.add_subcommand("proof", "Merkle proofs (RFC 9162)");
  proof->require_subcommand(1);
  commands.inclusion = proof->add_subcommand(
      "inclusion", "Proof that the event at POSITION is in the tree of TREE_SIZE events");
  commands.inclusion->add_option("position", options->position, "Position of the event")
      ->required();
  commands.inclusion->add_option("--tree-size", options->tree_size, "Tree size (default: head)");
  commands.inclusion->add_option("-o,--output", options->output, "Output file (JSON)");
  commands.consistency = proof->add_subcommand(
      "consistency", "Proof that the tree of FIRST events is a prefix of the tree of SECOND");
  commands.consistency->add_option("first", options->first, "Older tree size")->required();
  commands.consistency->add_option("second", options->second, "Newer tree size (default: head)");
  commands.consistency->add_option("-o,--output", options->output, "Output file (JSON)");
  return commands;
}

std::optional<absl::StatusOr<int>> RunProofCommand(const ProofCommands& commands,
                                                   const CommandContext& context,
                                                   const ProofOptions& options) {
  if (commands.checkpoint->parsed()) return RunCheckpoint(context, options);
  if (commands.verifier_key->parsed()) return RunVerifierKey(context);
  if (commands.inclusion->parsed()) return RunInclusion(context, options);
  if (commands.consistency->parsed()) return RunConsistency(context, options);
  return std::nullopt;
}

}  // namespace sixhearts::ledgerctl
