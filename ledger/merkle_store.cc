// The Merkle tree's nodes in RocksDB, its writer, its build over an older log, and the
// proofs of ledger/proofs.h read from it (FORMAT.md "Merkle tree").
#include "ledger/merkle_store.h"

#include <bit>
#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"
#include "ledger/format.h"
#include "ledger/log_chain.h"
#include "ledger/proofs.h"
#include "ledger/rocksdb_status.h"

namespace sixhearts::ledger::merkle {

namespace {

constexpr char kNodePrefix[] = {'t', 'r', 'e', 'e', '\0'};
constexpr size_t kNodePrefixBytes = sizeof(kNodePrefix);
// Leaves per WriteBatch while building the tree of an older directory.
constexpr uint64_t kBuildBatchLeaves = 16384;
// A progress line every this many leaves.
constexpr uint64_t kBuildProgressLeaves = 1'000'000;

Hash ToHash(std::string_view bytes) {
  Hash hash{};
  std::memcpy(hash.data(), bytes.data(), std::min(bytes.size(), hash.size()));
  return hash;
}

std::string_view View(const Hash& hash) {
  return std::string_view(reinterpret_cast<const char*>(hash.data()), hash.size());
}

// Adds one leaf to the edge, putting the leaf and every subtree it completes.
void AddLeaf(uint64_t index, const Hash& leaf, std::vector<Hash>& edge, rocksdb::WriteBatch& batch,
             rocksdb::ColumnFamilyHandle* family) {
  batch.Put(family, NodeKey(0, index), View(leaf)).PermitUncheckedError();
  Hash hash = leaf;
  int level = 0;
  // A right child (odd index) completes its parent with the subtree left of it, which is
  // the last root on the edge.
  while ((index & 1) == 1) {
    hash = HashChildren(edge.back(), hash);
    edge.pop_back();
    index >>= 1;
    ++level;
    batch.Put(family, NodeKey(level, index), View(hash)).PermitUncheckedError();
  }
  edge.push_back(hash);
}

}  // namespace

std::string NodeKey(int level, uint64_t index) {
  std::string key(kNodePrefix, kNodePrefixBytes);
  key.push_back(static_cast<char>(level));
  key += format::EncodeUint64(index);
  return key;
}

absl::StatusOr<Hash> StoredNodes::Node(int level, uint64_t index) const {
  std::string value;
  rocksdb::ReadOptions read;
  read.verify_checksums = true;
  rocksdb::Status s = db_->Get(read, family_, NodeKey(level, index), &value);
  if (s.IsNotFound() || (s.ok() && value.size() != format::kHashBytes)) {
    return absl::DataLossError(absl::StrCat("Merkle tree node (level ", level, ", index ", index,
                                            ") is ", s.ok() ? "damaged" : "missing"));
  }
  if (!s.ok()) return FromRocksDB(s, "read Merkle tree node");
  return ToHash(value);
}

absl::StatusOr<uint64_t> StoredNodes::Size() const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), family_));
  const std::string last = NodeKey(0, UINT64_MAX);
  it->SeekForPrev(last);
  if (!it->status().ok()) return FromRocksDB(it->status(), "find the Merkle tree's size");
  const std::string first = NodeKey(0, 0);
  if (!it->Valid() || it->key().size() != first.size() ||
      it->key().ToStringView().substr(0, kNodePrefixBytes + 1) !=
          std::string_view(first).substr(0, kNodePrefixBytes + 1)) {
    return 0;
  }
  return format::DecodeUint64(it->key().ToStringView().substr(kNodePrefixBytes + 1)) + 1;
}

absl::StatusOr<TreeWriter> TreeWriter::Load(const StoredNodes& nodes, uint64_t size) {
  TreeWriter writer;
  writer.size_ = size;
  uint64_t start = 0;
  for (int level = 63; level >= 0; --level) {
    if (((size >> level) & 1) == 0) continue;
    auto node = nodes.Node(level, start >> level);
    if (!node.ok()) return node.status();
    writer.edge_.push_back(*node);
    start += uint64_t{1} << level;
  }
  writer.staged_size_ = writer.size_;
  writer.staged_edge_ = writer.edge_;
  return writer;
}

void TreeWriter::Stage(uint64_t first_position, const std::vector<Hash>& leaves,
                       rocksdb::WriteBatch& batch, rocksdb::ColumnFamilyHandle* family) {
  staged_size_ = size_;
  staged_edge_ = edge_;
  if (first_position != size_ + 1) return;
  for (const Hash& leaf : leaves) AddLeaf(staged_size_++, leaf, staged_edge_, batch, family);
}

void TreeWriter::Commit() {
  size_ = staged_size_;
  edge_ = staged_edge_;
}

absl::StatusOr<BuildResult> BuildTree(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* family,
                                      rocksdb::ColumnFamilyHandle* log, uint64_t head,
                                      const std::function<void(std::string_view)>& progress) {
  StoredNodes nodes(db, family);
  auto size = nodes.Size();
  if (!size.ok()) return size.status();
  auto writer = TreeWriter::Load(nodes, *size);
  if (!writer.ok()) return writer.status();
  BuildResult result{std::move(*writer), 0, absl::OkStatus()};
  if (*size >= head) return result;
  if (progress) {
    progress(absl::StrCat("building the Merkle tree over positions ", *size + 1, "..", head,
                          " (a directory written before the tree existed)"));
  }
  // The chain hash before the first leaf to add, to check each record on the way.
  format::Hash chain = format::ZeroHash();
  if (*size > 0) {
    std::string value;
    rocksdb::Status s = db->Get(rocksdb::ReadOptions(), log, format::PositionKey(*size), &value);
    auto record = s.ok() ? format::DecodeRecord(value) : std::nullopt;
    if (!record) {
      result.damage =
          absl::DataLossError(absl::StrCat("the Merkle tree stops at ", *size,
                                           ": the record at position ", *size, " does not read"));
      return result;
    }
    chain = record->hash;
  }
  rocksdb::ReadOptions read;
  read.verify_checksums = true;
  read.readahead_size = 2 << 20;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(read, log));
  TreeWriter& tree = result.writer;
  std::vector<Hash> leaves;
  auto flush = [&]() -> absl::Status {
    rocksdb::WriteBatch batch;
    tree.Stage(tree.size() + 1, leaves, batch, family);
    rocksdb::Status s = db->Write(rocksdb::WriteOptions(), &batch);
    if (!s.ok()) return FromRocksDB(s, "write Merkle tree nodes");
    tree.Commit();
    result.built += leaves.size();
    leaves.clear();
    return absl::OkStatus();
  };
  uint64_t expected = *size + 1;
  for (it->Seek(format::PositionKey(expected)); it->Valid() && expected <= head;
       it->Next(), ++expected) {
    const uint64_t position = format::DecodeUint64(it->key().ToStringView());
    auto record = format::DecodeRecord(it->value().ToStringView());
    std::string problem;
    Hash leaf{};
    if (position != expected) {
      problem = absl::StrCat("position ", expected, " is missing");
    } else if (!record) {
      problem = absl::StrCat("the record at position ", position, " does not decode");
    } else {
      leaf = format::LeafHash(record->event_bytes);
      chain = format::ChainHash(chain, position, leaf);
      if (chain != record->hash) {
        problem = absl::StrCat("the record at position ", position, " does not match its hash");
      }
    }
    if (!problem.empty()) {
      result.damage = absl::DataLossError(
          absl::StrCat("the Merkle tree stops at ", expected - 1, ": ", problem));
      break;
    }
    leaves.push_back(leaf);
    if (leaves.size() >= kBuildBatchLeaves) {
      if (absl::Status s = flush(); !s.ok()) return s;
      if (progress && tree.size() % kBuildProgressLeaves < kBuildBatchLeaves) {
        progress(absl::StrCat("Merkle tree: ", tree.size(), " of ", head, " leaves"));
      }
    }
  }
  if (!it->status().ok()) return FromRocksDB(it->status(), "scan log for the Merkle tree");
  if (absl::Status s = flush(); !s.ok()) return s;
  if (result.damage.ok() && tree.size() < head) {
    result.damage = absl::DataLossError(absl::StrCat(
        "the Merkle tree stops at ", tree.size(), ": position ", tree.size() + 1, " is missing"));
  }
  if (progress) {
    progress(absl::StrCat("Merkle tree built: ", tree.size(), " leaves (", result.built, " new)",
                          result.damage.ok() ? "" : absl::StrCat("; ", result.damage.message())));
  }
  return result;
}

}  // namespace sixhearts::ledger::merkle

namespace sixhearts::ledger {

namespace {

using merkle::Hash;

std::string Bytes(const Hash& hash) { return format::HashBytes(hash); }

std::vector<std::string> Bytes(const std::vector<Hash>& hashes) {
  std::vector<std::string> out;
  out.reserve(hashes.size());
  for (const Hash& hash : hashes) out.push_back(Bytes(hash));
  return out;
}

// The nodes of `store`, and a check that the tree reaches `size`.
absl::Status CheckTreeReaches(const merkle::StoredNodes& nodes, uint64_t size) {
  auto stored = nodes.Size();
  if (!stored.ok()) return stored.status();
  if (*stored < size) {
    return absl::DataLossError(absl::StrCat("the Merkle tree stops at ", *stored,
                                            " (a damaged record at position ", *stored + 1,
                                            "); sizes up to ", *stored, " can be proven"));
  }
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> ResolveSize(const EventStore& store, const char* field, uint64_t size) {
  const uint64_t head = store.head().position;
  if (size == 0) return head;
  if (size > head) {
    return absl::OutOfRangeError(
        absl::StrCat(field, ": ", size, " is beyond the head of the log, position ", head));
  }
  return size;
}

merkle::StoredNodes NodesOf(const EventStore& store) {
  rocksdb::DB* db = StoreDatabase(store);
  return merkle::StoredNodes(db, db->DefaultColumnFamily());
}

}  // namespace

absl::StatusOr<TreeHead> TreeHeadAt(const EventStore& store, uint64_t tree_size) {
  auto size = ResolveSize(store, "tree_size", tree_size);
  if (!size.ok()) return size.status();
  const merkle::StoredNodes nodes = NodesOf(store);
  if (absl::Status s = CheckTreeReaches(nodes, *size); !s.ok()) return s;
  auto root = merkle::RootAt(nodes, *size);
  if (!root.ok()) return root.status();
  return TreeHead{*size, Bytes(*root)};
}

absl::StatusOr<std::string> CheckpointAt(const EventStore& store, const CheckpointSigner* signer,
                                         uint64_t tree_size) {
  if (signer == nullptr) return std::string();
  if (tree_size == 0) return SignedCheckpoint(signer, 0, Bytes(merkle::EmptyRoot()));
  auto tree = TreeHeadAt(store, tree_size);
  if (!tree.ok()) return tree.status();
  return SignedCheckpoint(signer, tree->size, tree->root);
}

absl::StatusOr<InclusionProof> ProveInclusion(const EventStore& store, uint64_t position,
                                              uint64_t tree_size) {
  if (position == 0) return absl::InvalidArgumentError("position: required (positions start at 1)");
  auto size = ResolveSize(store, "tree_size", tree_size);
  if (!size.ok()) return size.status();
  if (position > *size) {
    return absl::OutOfRangeError(absl::StrCat("position: ", position, " is beyond tree_size ",
                                              *size, " (the head is position ",
                                              store.head().position, ")"));
  }
  const merkle::StoredNodes nodes = NodesOf(store);
  if (absl::Status s = CheckTreeReaches(nodes, *size); !s.ok()) return s;
  auto leaf = nodes.Node(0, position - 1);
  if (!leaf.ok()) return leaf.status();
  auto path = merkle::InclusionPath(nodes, position - 1, *size);
  if (!path.ok()) return path.status();
  auto root = merkle::RootAt(nodes, *size);
  if (!root.ok()) return root.status();
  return InclusionProof{position, *size, Bytes(*leaf), Bytes(*path), Bytes(*root)};
}

absl::StatusOr<ConsistencyProof> ProveConsistency(const EventStore& store, uint64_t first,
                                                  uint64_t second) {
  auto size = ResolveSize(store, "second", second);
  if (!size.ok()) return size.status();
  if (first > *size) {
    return absl::InvalidArgumentError(
        absl::StrCat("first: ", first, " is after second ", *size,
                     second == 0 ? absl::StrCat(" (the head)") : std::string()));
  }
  const merkle::StoredNodes nodes = NodesOf(store);
  if (absl::Status s = CheckTreeReaches(nodes, *size); !s.ok()) return s;
  auto first_root = merkle::RootAt(nodes, first);
  if (!first_root.ok()) return first_root.status();
  auto second_root = merkle::RootAt(nodes, *size);
  if (!second_root.ok()) return second_root.status();
  auto path = merkle::ConsistencyPath(nodes, first, *size);
  if (!path.ok()) return path.status();
  return ConsistencyProof{first, *size, Bytes(*first_root), Bytes(*second_root), Bytes(*path)};
}

}  // namespace sixhearts::ledger
