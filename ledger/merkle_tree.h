// The Merkle tree over the log (RFC 9162 section 2.1): hashing, the root of any tree
// size, and inclusion and consistency proofs, generated and verified. The tree's leaves
// are the leaf digests the hash chain already commits to (FORMAT.md "The hash chain"),
// leaf i being the event at position i + 1. Generation reads only complete subtree
// hashes through a NodeReader, O(log n) of them per root or proof; the stored form of
// those nodes is in ledger/merkle_store.h and FORMAT.md "Merkle tree".
#ifndef SIXHEARTS_LEDGER_MERKLE_TREE_H_
#define SIXHEARTS_LEDGER_MERKLE_TREE_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "ledger/format.h"

namespace sixhearts::ledger::merkle {

using format::Hash;

// SHA-256(0x00 || bytes): the same digest as format::LeafHash.
Hash HashLeaf(std::string_view bytes);
// SHA-256(0x01 || left || right).
Hash HashChildren(const Hash& left, const Hash& right);
// The root of the empty tree: SHA-256 of nothing.
Hash EmptyRoot();

// Complete subtree hashes: Node(level, index) is the root of the 2^level leaves
// [index * 2^level, (index + 1) * 2^level). Implementations return DATA_LOSS naming the
// node when it is missing.
class NodeReader {
 public:
  virtual ~NodeReader() = default;
  virtual absl::StatusOr<Hash> Node(int level, uint64_t index) const = 0;
};

// MTH(D[0:size]); EmptyRoot() for 0. REQUIRES: every complete subtree of the first `size`
// leaves is readable.
absl::StatusOr<Hash> RootAt(const NodeReader& nodes, uint64_t size);

// PATH(index, D[0:size]) (RFC 9162 2.1.3.1), from the leaf's sibling up.
// REQUIRES: index < size.
absl::StatusOr<std::vector<Hash>> InclusionPath(const NodeReader& nodes, uint64_t index,
                                                uint64_t size);

// PROOF(first, D[0:second]) (RFC 9162 2.1.4.1); empty when first is 0 or equals second.
// REQUIRES: first <= second.
absl::StatusOr<std::vector<Hash>> ConsistencyPath(const NodeReader& nodes, uint64_t first,
                                                  uint64_t second);

// RFC 9162 2.1.3.2: true when `path` proves that `leaf` is leaf `index` of the tree of
// `size` leaves whose root is `root`.
bool VerifyInclusion(uint64_t index, uint64_t size, const Hash& leaf, const std::vector<Hash>& path,
                     const Hash& root);

// RFC 9162 2.1.4.2: true when `path` proves that the tree of `first` leaves with root
// `first_root` is a prefix of the tree of `second` leaves with root `second_root`. Equal
// sizes need an empty path and equal roots; the empty tree is a prefix of every tree.
bool VerifyConsistency(uint64_t first, uint64_t second, const Hash& first_root,
                       const Hash& second_root, const std::vector<Hash>& path);

}  // namespace sixhearts::ledger::merkle

#endif  // SIXHEARTS_LEDGER_MERKLE_TREE_H_
