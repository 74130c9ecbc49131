// Proofs over the log's Merkle tree (RFC 9162; FORMAT.md "Merkle tree"): the root at any
// tree size, inclusion of a position and consistency between two sizes, O(log n) stored
// nodes each. Hashes are 32-byte strings. Thread-safe (reads only).
#ifndef SIXHEARTS_LEDGER_PROOFS_H_
#define SIXHEARTS_LEDGER_PROOFS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ledger/checkpoint.h"
#include "ledger/event_store.h"

namespace sixhearts::ledger {

struct TreeHead {
  uint64_t size = 0;
  std::string root;
};

struct InclusionProof {
  uint64_t position = 0;  // the event's position; its leaf index is position - 1
  uint64_t tree_size = 0;
  std::string leaf;  // SHA-256(0x00 || event bytes)
  std::vector<std::string> path;
  std::string root;  // the root of tree_size
};

struct ConsistencyProof {
  uint64_t first = 0;
  uint64_t second = 0;
  std::string first_root;
  std::string second_root;
  std::vector<std::string> path;
};

// The root of the tree of the first `tree_size` events; 0 means the head. OUT_OF_RANGE
// naming the field and the head when tree_size is beyond it; DATA_LOSS naming the
// position when the tree stops before it (a damaged record).
absl::StatusOr<TreeHead> TreeHeadAt(const EventStore& store, uint64_t tree_size);

// The signed checkpoint (SignedCheckpoint) of the tree of the first `tree_size` events,
// where 0 is the empty tree (not the head); empty when `signer` is nullptr. OUT_OF_RANGE
// as TreeHeadAt.
absl::StatusOr<std::string> CheckpointAt(const EventStore& store, const CheckpointSigner* signer,
                                         uint64_t tree_size);

// Inclusion of the event at `position` (1..tree_size) in the tree of `tree_size` (0: the
// head). INVALID_ARGUMENT for position 0, OUT_OF_RANGE naming the field for a position
// beyond tree_size or a tree_size beyond the head.
absl::StatusOr<InclusionProof> ProveInclusion(const EventStore& store, uint64_t position,
                                              uint64_t tree_size);

// Consistency of the tree of `first` events with the tree of `second` (0: the head).
// INVALID_ARGUMENT when first is after second; OUT_OF_RANGE when second is beyond the
// head.
absl::StatusOr<ConsistencyProof> ProveConsistency(const EventStore& store, uint64_t first,
                                                  uint64_t second);

}  // namespace sixhearts::ledger

#endif  // SIXHEARTS_LEDGER_PROOFS_H_
