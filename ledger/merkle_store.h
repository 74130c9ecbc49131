// Internal to ledger/: the Merkle tree's complete subtree hashes in RocksDB (FORMAT.md
// "Merkle tree"), the writer that adds them in the same WriteBatch as the events, and
// the build of the tree for a directory written before it existed. Nothing outside
// ledger/ includes this header (STYLE.md rule 2); callers use ledger/proofs.h.
#ifndef SIXHEARTS_LEDGER_MERKLE_STORE_H_
#define SIXHEARTS_LEDGER_MERKLE_STORE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "ledger/merkle_tree.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"

namespace sixhearts::ledger::merkle {

// Key of Node(level, index) in the `default` family: "tree" 0x00 level(1) index(8).
std::string NodeKey(int level, uint64_t index);

// Reads nodes from `family` of `db`. REQUIRES: both outlive the reader.
class StoredNodes final : public NodeReader {
 public:
  StoredNodes(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* family) : db_(db), family_(family) {}
  absl::StatusOr<Hash> Node(int level, uint64_t index) const override;
  // Leaves stored: one more than the index of the last level-0 node, 0 for none.
  absl::StatusOr<uint64_t> Size() const;

 private:
  rocksdb::DB* db_;
  rocksdb::ColumnFamilyHandle* family_;
};

// The right edge of the tree (one complete subtree root per set bit of its size) and
// the nodes each new leaf completes. Owned by the store's writer thread; not
// thread-safe.
class TreeWriter {
 public:
  TreeWriter() = default;
  // The writer for the stored tree of `size` leaves: reads its O(log size) edge nodes.
  static absl::StatusOr<TreeWriter> Load(const StoredNodes& nodes, uint64_t size);

  // Puts the nodes that `leaves` (leaf indexes size() onwards) add into `batch`: each
  // leaf, and each subtree it completes (one per trailing one bit of its index, 2 nodes
  // per leaf on average). Nothing changes in the writer until Commit().
  // `first_position` is the position of leaves[0]; when it is not size() + 1 (the tree is
  // behind the log after a damaged record) nothing is written and the tree stays as is.
  void Stage(uint64_t first_position, const std::vector<Hash>& leaves, rocksdb::WriteBatch& batch,
             rocksdb::ColumnFamilyHandle* family);
  // The staged leaves were written.
  void Commit();

  uint64_t size() const { return size_; }

 private:
  uint64_t size_ = 0;
  std::vector<Hash> edge_;  // roots of the complete subtrees, largest (leftmost) first
  uint64_t staged_size_ = 0;
  std::vector<Hash> staged_edge_;
};

// Extends the stored tree over the log up to `head` (an older directory, or a build
// stopped half-way), writing nodes in batches, checking each record against the chain.
// `progress` gets a line now and then. On a damaged record the tree stops before it (a
// DATA_LOSS status is returned with the writer for the part built).
struct BuildResult {
  TreeWriter writer;
  uint64_t built = 0;   // leaves added now
  absl::Status damage;  // OK, or why the tree stops before the head
};
absl::StatusOr<BuildResult> BuildTree(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* family,
                                      rocksdb::ColumnFamilyHandle* log, uint64_t head,
                                      const std::function<void(std::string_view)>& progress);

}  // namespace sixhearts::ledger::merkle

#endif  // SIXHEARTS_LEDGER_MERKLE_STORE_H_
