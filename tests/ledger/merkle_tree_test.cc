// The Merkle tree against RFC 9162: the reference test vectors of the Certificate
// Transparency code (transparency-dev/merkle testonly/constants.go and
// proof/verify_test.go: roots of the first 1..8 of eight standard leaf inputs, and
// inclusion and consistency proofs in the 8-leaf tree), an independent recursive
// implementation of MTH, PATH and PROOF straight from the RFC's definitions on trees of
// every size up to 70 and random sizes beyond, tampered proofs, and the tree the store
// keeps: maintained at append, and built on open for a directory without one.
#include "ledger/merkle_tree.h"

#include <random>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"
#include "ledger/merkle_store.h"
#include "ledger/proofs.h"
#include "rocksdb/db.h"
#include "tests/testing/test_events.h"

namespace sixhearts::ledger::merkle {
namespace {

using ::sixhearts::testing::Batch;
using ::sixhearts::testing::ClientRegistered;
using ::sixhearts::testing::Interaction;
using ::sixhearts::testing::TempDir;

std::string Hex(const Hash& h) {
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(h.data()), 32));
}

std::vector<std::string> Hexes(const std::vector<Hash>& hashes) {
  std::vector<std::string> out;
  for (const Hash& h : hashes) out.push_back(Hex(h));
  return out;
}

// Every complete subtree of a list of leaf hashes, in memory.
class MemoryNodes final : public NodeReader {
 public:
  explicit MemoryNodes(std::vector<Hash> leaves) {
    levels_.push_back(std::move(leaves));
    while (levels_.back().size() > 1) {
      const std::vector<Hash>& below = levels_.back();
      std::vector<Hash> above;
      for (size_t i = 0; i + 1 < below.size(); i += 2) {
        above.push_back(HashChildren(below[i], below[i + 1]));
      }
      levels_.push_back(std::move(above));
    }
  }
  absl::StatusOr<Hash> Node(int level, uint64_t index) const override {
    if (static_cast<size_t>(level) >= levels_.size() || index >= levels_[level].size()) {
      return absl::DataLossError("no such node");
    }
    ++reads_;
    return levels_[level][index];
  }
  mutable int reads_ = 0;

 private:
  std::vector<std::vector<Hash>> levels_;
};

// RFC 9162 2.1.1, 2.1.3.1 and 2.1.4.1 as written: recursion over the leaf list.
uint64_t K(uint64_t n) {
  uint64_t k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}
Hash Mth(const std::vector<Hash>& d, uint64_t lo, uint64_t hi) {
  if (hi - lo == 0) return EmptyRoot();
  if (hi - lo == 1) return d[lo];
  const uint64_t k = K(hi - lo);
  return HashChildren(Mth(d, lo, lo + k), Mth(d, lo + k, hi));
}
std::vector<Hash> RefPath(const std::vector<Hash>& d, uint64_t m, uint64_t lo, uint64_t hi) {
  if (hi - lo == 1) return {};
  const uint64_t k = K(hi - lo);
  std::vector<Hash> out;
  if (m < k) {
    out = RefPath(d, m, lo, lo + k);
    out.push_back(Mth(d, lo + k, hi));
  } else {
    out = RefPath(d, m - k, lo + k, hi);
    out.push_back(Mth(d, lo, lo + k));
  }
  return out;
}
std::vector<Hash> RefSubproof(const std::vector<Hash>& d, uint64_t m, uint64_t lo, uint64_t hi,
                              bool b) {
  const uint64_t n = hi - lo;
  if (m == n) return b ? std::vector<Hash>{} : std::vector<Hash>{Mth(d, lo, hi)};
  const uint64_t k = K(n);
  std::vector<Hash> out;
  if (m <= k) {
    out = RefSubproof(d, m, lo, lo + k, b);
    out.push_back(Mth(d, lo + k, hi));
  } else {
    out = RefSubproof(d, m - k, lo + k, hi, false);
    out.push_back(Mth(d, lo, lo + k));
  }
  return out;
}

std::vector<Hash> VectorLeaves() {
  std::vector<Hash> leaves;
  for (const char* hex : {"", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                          "606162636465666768696a6b6c6d6e6f"}) {
    leaves.push_back(HashLeaf(absl::HexStringToBytes(hex)));
  }
  return leaves;
}

TEST(MerkleTreeTest, RootsOfTheReferenceVectors) {
  const std::vector<std::string> roots = {
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
      "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
      "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
      "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
      "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
      "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
  };
  const std::vector<Hash> leaves = VectorLeaves();
  for (uint64_t n = 0; n <= 8; ++n) {
    MemoryNodes nodes(std::vector<Hash>(leaves.begin(), leaves.begin() + n));
    auto root = RootAt(nodes, n);
    ASSERT_TRUE(root.ok());
    EXPECT_EQ(Hex(*root), roots[n]) << "size " << n;
  }
}

TEST(MerkleTreeTest, InclusionProofsOfTheReferenceVectors) {
  const std::vector<Hash> leaves = VectorLeaves();
  struct Vector {
    uint64_t index, size;
    std::vector<std::string> path;
  };
  // verify_test.go numbers leaves from 1; these are 0-based indexes.
  const std::vector<Vector> vectors = {
      {0,
       8,
       {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
      {5,
       8,
       {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
      {2, 3, {"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"}},
      {1,
       5,
       {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
      {0, 1, {}},
  };
  for (const Vector& v : vectors) {
    MemoryNodes nodes(std::vector<Hash>(leaves.begin(), leaves.begin() + v.size));
    auto path = InclusionPath(nodes, v.index, v.size);
    ASSERT_TRUE(path.ok());
    EXPECT_EQ(Hexes(*path), v.path) << v.index << " in " << v.size;
    const Hash root = *RootAt(nodes, v.size);
    EXPECT_TRUE(VerifyInclusion(v.index, v.size, leaves[v.index], *path, root));
    EXPECT_FALSE(VerifyInclusion(v.index + 1, v.size, leaves[v.index], *path, root));
    EXPECT_FALSE(VerifyInclusion(v.index, v.size, leaves[v.index], *path, EmptyRoot()));
  }
}

TEST(MerkleTreeTest, ConsistencyProofsOfTheReferenceVectors) {
  const std::vector<Hash> leaves = VectorLeaves();
  struct Vector {
    uint64_t first, second;
    std::vector<std::string> path;
  };
  const std::vector<Vector> vectors = {
      {1, 1, {}},
      {1,
       8,
       {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
      {6,
       8,
       {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
      {2,
       5,
       {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
      {6,
       7,
       {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
  };
  for (const Vector& v : vectors) {
    MemoryNodes nodes(std::vector<Hash>(leaves.begin(), leaves.begin() + v.second));
    auto path = ConsistencyPath(nodes, v.first, v.second);
    ASSERT_TRUE(path.ok());
    EXPECT_EQ(Hexes(*path), v.path) << v.first << " to " << v.second;
    const Hash first_root = *RootAt(nodes, v.first);
    const Hash second_root = *RootAt(nodes, v.second);
    EXPECT_TRUE(VerifyConsistency(v.first, v.second, first_root, second_root, *path));
    if (v.first != v.second) {
      EXPECT_FALSE(VerifyConsistency(v.first, v.second, second_root, first_root, *path));
      EXPECT_FALSE(VerifyConsistency(v.first, v.second, first_root, second_root, {}));
    }
  }
}

// Every proof of a tree of `n` leaves against the recursive definitions, verified, and
// refused once tampered with.
void CheckEveryProof(uint64_t n, std::mt19937_64& random) {
  std::vector<Hash> leaves;
  for (uint64_t i = 0; i < n; ++i) leaves.push_back(HashLeaf("leaf " + std::to_string(i)));
  MemoryNodes nodes(leaves);
  const Hash root = *RootAt(nodes, n);
  ASSERT_EQ(Hex(root), Hex(Mth(leaves, 0, n))) << n;
  for (uint64_t m = 0; m < n; ++m) {
    auto path = InclusionPath(nodes, m, n);
    ASSERT_TRUE(path.ok());
    ASSERT_EQ(Hexes(*path), Hexes(RefPath(leaves, m, 0, n))) << m << " in " << n;
    ASSERT_TRUE(VerifyInclusion(m, n, leaves[m], *path, root)) << m << " in " << n;
    ASSERT_FALSE(VerifyInclusion(m, n, leaves[(m + 1) % n], *path, root) && n > 1);
    if (!path->empty()) {
      std::vector<Hash> tampered = *path;
      tampered[random() % tampered.size()][random() % 32] ^= 0x01;
      ASSERT_FALSE(VerifyInclusion(m, n, leaves[m], tampered, root)) << m << " in " << n;
      tampered = *path;
      tampered.pop_back();
      ASSERT_FALSE(VerifyInclusion(m, n, leaves[m], tampered, root)) << m << " in " << n;
    }
    // A tree twice the size has one level more than the path climbs.
    ASSERT_FALSE(VerifyInclusion(m, 2 * n, leaves[m], *path, root)) << m << " in " << n;

    // Consistency of size m (m = 0 included) with n.
    auto consistency = ConsistencyPath(nodes, m, n);
    ASSERT_TRUE(consistency.ok());
    if (m > 0) {
      ASSERT_EQ(Hexes(*consistency), Hexes(RefSubproof(leaves, m, 0, n, true))) << m << " to " << n;
    }
    const Hash first_root = *RootAt(nodes, m);
    ASSERT_TRUE(VerifyConsistency(m, n, first_root, root, *consistency)) << m << " to " << n;
    if (!consistency->empty()) {
      std::vector<Hash> tampered = *consistency;
      tampered[random() % tampered.size()][random() % 32] ^= 0x80;
      ASSERT_FALSE(VerifyConsistency(m, n, first_root, root, tampered)) << m << " to " << n;
      Hash other_root = root;
      other_root[0] ^= 1;
      ASSERT_FALSE(VerifyConsistency(m, n, first_root, other_root, *consistency));
      ASSERT_FALSE(VerifyConsistency(m + 1, n, first_root, root, *consistency));
    }
  }
}

TEST(MerkleTreeTest, EveryProofOfEverySizeUpTo70) {
  std::mt19937_64 random(14);
  for (uint64_t n = 1; n <= 70; ++n) CheckEveryProof(n, random);
}

TEST(MerkleTreeTest, EveryProofOfRandomSizes) {
  std::mt19937_64 random(9162);
  for (int round = 0; round < 6; ++round) CheckEveryProof(100 + random() % 1000, random);
}

TEST(MerkleTreeTest, ProofsReadLogarithmicallyManyNodes) {
  std::vector<Hash> leaves;
  for (int i = 0; i < 5000; ++i) leaves.push_back(HashLeaf(std::to_string(i)));
  MemoryNodes nodes(leaves);
  // 5000 = 0b1001110001000: 5 set bits, so the root reads 5 nodes.
  ASSERT_TRUE(RootAt(nodes, 5000).ok());
  EXPECT_EQ(nodes.reads_, 5);
  nodes.reads_ = 0;
  ASSERT_TRUE(InclusionPath(nodes, 4321, 5000).ok());
  EXPECT_LE(nodes.reads_, 2 * 13);  // 13 levels
  nodes.reads_ = 0;
  ASSERT_TRUE(ConsistencyPath(nodes, 3333, 5000).ok());
  EXPECT_LE(nodes.reads_, 2 * 13);
}

// The store keeps the tree at append: its roots and proofs are those of the leaf digests
// of the stored records.
class StoredTreeTest : public ::testing::Test {
 protected:
  void Open() {
    EventStoreOptions options;
    options.data_dir = dir_.sub("ledger");
    options.on_progress = [this](std::string_view line) { progress_.emplace_back(line); };
    auto opened = EventStore::Open(options);
    ASSERT_TRUE(opened.ok()) << opened.status();
    store_ = std::move(*opened);
  }
  void AppendInteractions(uint64_t first_id, int n) {
    for (int i = 0; i < n; ++i) {
      const uint64_t id = first_id + i;
      // Event 1 registers the client.
      auto r = store_->Append(Batch({id == 1 ? ClientRegistered(id, "42")
                                             : Interaction(id, "42", "X-" + std::to_string(id))}),
                              "alice");
      ASSERT_TRUE(r.ok()) << r.status();
    }
  }
  std::vector<Hash> StoredLeaves() {
    std::vector<Hash> leaves;
    EXPECT_TRUE(store_
                    ->ForEachRecord(1, 0,
                                    [&](uint64_t, std::string_view, std::string_view bytes) {
                                      leaves.push_back(HashLeaf(bytes));
                                      return absl::OkStatus();
                                    })
                    .ok());
    return leaves;
  }
  TempDir dir_;
  std::unique_ptr<EventStore> store_;
  std::vector<std::string> progress_;
};

Hash ToHash(const std::string& bytes) {
  Hash h{};
  std::copy(bytes.begin(), bytes.end(), h.begin());
  return h;
}

TEST_F(StoredTreeTest, AppendsMaintainTheTree) {
  Open();
  AppendInteractions(1, 37);
  const std::vector<Hash> leaves = StoredLeaves();
  ASSERT_EQ(leaves.size(), 37u);
  for (uint64_t n : {1, 2, 7, 8, 16, 37}) {
    auto head = TreeHeadAt(*store_, n);
    ASSERT_TRUE(head.ok()) << head.status();
    EXPECT_EQ(Hex(ToHash(head->root)), Hex(Mth(leaves, 0, n))) << n;
  }
  auto proof = ProveInclusion(*store_, 13, 0);
  ASSERT_TRUE(proof.ok()) << proof.status();
  EXPECT_EQ(proof->tree_size, 37u);
  EXPECT_EQ(Hex(ToHash(proof->leaf)), Hex(leaves[12]));
  std::vector<Hash> path;
  for (const std::string& p : proof->path) path.push_back(ToHash(p));
  EXPECT_EQ(path.size(), 6u);  // 37 leaves: depth 6
  EXPECT_TRUE(VerifyInclusion(12, 37, leaves[12], path, ToHash(proof->root)));

  auto consistency = ProveConsistency(*store_, 20, 37);
  ASSERT_TRUE(consistency.ok()) << consistency.status();
  std::vector<Hash> cpath;
  for (const std::string& p : consistency->path) cpath.push_back(ToHash(p));
  EXPECT_TRUE(VerifyConsistency(20, 37, ToHash(consistency->first_root),
                                ToHash(consistency->second_root), cpath));

  // Bad input names the field and the head.
  EXPECT_EQ(ProveInclusion(*store_, 0, 10).status().message(),
            "position: required (positions start at 1)");
  EXPECT_EQ(ProveInclusion(*store_, 11, 10).status().message(),
            "position: 11 is beyond tree_size 10 (the head is position 37)");
  EXPECT_EQ(ProveInclusion(*store_, 5, 38).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(ProveInclusion(*store_, 5, 38).status().message(),
            "tree_size: 38 is beyond the head of the log, position 37");
  EXPECT_EQ(ProveConsistency(*store_, 30, 20).status().message(), "first: 30 is after second 20");
  EXPECT_EQ(ProveConsistency(*store_, 3, 40).status().message(),
            "second: 40 is beyond the head of the log, position 37");
}

TEST_F(StoredTreeTest, ADirectoryWithoutTheTreeGetsItBuiltOnOpen) {
  Open();
  AppendInteractions(1, 25);
  const std::string before = TreeHeadAt(*store_, 0)->root;
  store_.reset();
  {
    // Remove every tree node, as in a directory written before the tree existed.
    rocksdb::DB* db = nullptr;
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    std::vector<std::string> names;
    ASSERT_TRUE(rocksdb::DB::ListColumnFamilies({}, dir_.sub("ledger"), &names).ok());
    for (const auto& name : names) families.emplace_back(name, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    ASSERT_TRUE(rocksdb::DB::Open({}, dir_.sub("ledger"), families, &handles, &db).ok());
    std::string from(NodeKey(0, 0).substr(0, 5));
    std::string to = from;
    to.back() = '\x01';
    ASSERT_TRUE(db->DeleteRange({}, db->DefaultColumnFamily(), from, to).ok());
    for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
    delete db;
  }
  Open();
  EXPECT_EQ(TreeHeadAt(*store_, 0)->root, before);
  ASSERT_GE(progress_.size(), 2u);
  EXPECT_EQ(progress_.front(),
            "building the Merkle tree over positions 1..25 (a directory written before the "
            "tree existed)");
  EXPECT_EQ(progress_.back(), "Merkle tree built: 25 leaves (25 new)");
  // Appends carry on from the built tree.
  AppendInteractions(100, 3);
  const std::vector<Hash> leaves = StoredLeaves();
  EXPECT_EQ(Hex(ToHash(TreeHeadAt(*store_, 0)->root)), Hex(Mth(leaves, 0, 28)));
}

}  // namespace
}  // namespace sixhearts::ledger::merkle
