// RFC 9162 section 2.1 over complete subtree hashes: the recursive definitions of MTH,
// PATH and SUBPROOF, with every full subtree read as one stored node, and the iterative
// verification algorithms of 2.1.3.2 and 2.1.4.2.
#include "ledger/merkle_tree.h"

#include <openssl/evp.h>

#include <bit>

namespace sixhearts::ledger::merkle {

namespace {

// The largest power of two below n. REQUIRES: n >= 2.
uint64_t SplitPoint(uint64_t n) { return std::bit_floor(n - 1); }

// MTH(D[lo:hi]). REQUIRES: lo < hi. In the recursions of RFC 9162 every range starts at
// a multiple of its split point, so each complete subtree is one stored node, and a
// range costs one node per set bit of its size.
absl::StatusOr<Hash> RangeHash(const NodeReader& nodes, uint64_t lo, uint64_t hi) {
  const uint64_t size = hi - lo;
  if (std::has_single_bit(size) && lo % size == 0) {
    return nodes.Node(std::countr_zero(size), lo / size);
  }
  const uint64_t k = SplitPoint(size);
  auto left = RangeHash(nodes, lo, lo + k);
  if (!left.ok()) return left.status();
  auto right = RangeHash(nodes, lo + k, hi);
  if (!right.ok()) return right.status();
  return HashChildren(*left, *right);
}

absl::Status Path(const NodeReader& nodes, uint64_t index, uint64_t lo, uint64_t hi,
                  std::vector<Hash>& out) {
  if (hi - lo == 1) return absl::OkStatus();
  const uint64_t k = SplitPoint(hi - lo);
  absl::StatusOr<Hash> sibling;
  if (index < lo + k) {
    if (absl::Status s = Path(nodes, index, lo, lo + k, out); !s.ok()) return s;
    sibling = RangeHash(nodes, lo + k, hi);
  } else {
    if (absl::Status s = Path(nodes, index, lo + k, hi, out); !s.ok()) return s;
    sibling = RangeHash(nodes, lo, lo + k);
  }
  if (!sibling.ok()) return sibling.status();
  out.push_back(*sibling);
  return absl::OkStatus();
}

// SUBPROOF(first - lo, D[lo:hi], whole): `first` is the old tree's size, lo < first <= hi.
absl::Status SubProof(const NodeReader& nodes, uint64_t first, uint64_t lo, uint64_t hi, bool whole,
                      std::vector<Hash>& out) {
  if (first == hi) {
    if (whole) return absl::OkStatus();
    auto hash = RangeHash(nodes, lo, hi);
    if (!hash.ok()) return hash.status();
    out.push_back(*hash);
    return absl::OkStatus();
  }
  const uint64_t k = SplitPoint(hi - lo);
  absl::StatusOr<Hash> sibling;
  if (first <= lo + k) {
    if (absl::Status s = SubProof(nodes, first, lo, lo + k, whole, out); !s.ok()) return s;
    sibling = RangeHash(nodes, lo + k, hi);
  } else {
    if (absl::Status s = SubProof(nodes, first, lo + k, hi, false, out); !s.ok()) return s;
    sibling = RangeHash(nodes, lo, lo + k);
  }
  if (!sibling.ok()) return sibling.status();
  out.push_back(*sibling);
  return absl::OkStatus();
}

// Right-shifts both until fn's lowest bit is set or fn is 0 (RFC 9162's "right-shift
// fn and sn equally until either LSB(fn) is set or fn is 0").
void ShiftWhileEven(uint64_t& fn, uint64_t& sn) {
  while ((fn & 1) == 0 && fn != 0) {
    fn >>= 1;
    sn >>= 1;
  }
}

}  // namespace

Hash HashLeaf(std::string_view bytes) { return format::LeafHash(bytes); }

Hash HashChildren(const Hash& left, const Hash& right) {
  uint8_t input[1 + 2 * format::kHashBytes];
  input[0] = 0x01;
  std::copy(left.begin(), left.end(), input + 1);
  std::copy(right.begin(), right.end(), input + 1 + format::kHashBytes);
  Hash out;
  unsigned int length = 0;
  EVP_Digest(input, sizeof(input), out.data(), &length, EVP_sha256(), nullptr);
  return out;
}

Hash EmptyRoot() {
  Hash out;
  unsigned int length = 0;
  EVP_Digest("", 0, out.data(), &length, EVP_sha256(), nullptr);
  return out;
}

absl::StatusOr<Hash> RootAt(const NodeReader& nodes, uint64_t size) {
  if (size == 0) return EmptyRoot();
  return RangeHash(nodes, 0, size);
}

absl::StatusOr<std::vector<Hash>> InclusionPath(const NodeReader& nodes, uint64_t index,
                                                uint64_t size) {
  std::vector<Hash> path;
  if (index >= size) return path;
  if (absl::Status s = Path(nodes, index, 0, size, path); !s.ok()) return s;
  return path;
}

absl::StatusOr<std::vector<Hash>> ConsistencyPath(const NodeReader& nodes, uint64_t first,
                                                  uint64_t second) {
  std::vector<Hash> path;
  if (first == 0 || first >= second) return path;
  if (absl::Status s = SubProof(nodes, first, 0, second, true, path); !s.ok()) return s;
  return path;
}

bool VerifyInclusion(uint64_t index, uint64_t size, const Hash& leaf, const std::vector<Hash>& path,
                     const Hash& root) {
  if (index >= size) return false;
  uint64_t fn = index;
  uint64_t sn = size - 1;
  Hash r = leaf;
  for (const Hash& p : path) {
    if (sn == 0) return false;
    if ((fn & 1) == 1 || fn == sn) {
      r = HashChildren(p, r);
      if ((fn & 1) == 0) ShiftWhileEven(fn, sn);
    } else {
      r = HashChildren(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && r == root;
}

bool VerifyConsistency(uint64_t first, uint64_t second, const Hash& first_root,
                       const Hash& second_root, const std::vector<Hash>& path) {
  if (first > second) return false;
  if (first == second) return path.empty() && first_root == second_root;
  if (first == 0) return path.empty();
  if (path.empty()) return false;
  // A first tree that is a complete subtree is its own first node of the path.
  std::vector<Hash> nodes;
  nodes.reserve(path.size() + 1);
  if (std::has_single_bit(first)) nodes.push_back(first_root);
  nodes.insert(nodes.end(), path.begin(), path.end());
  uint64_t fn = first - 1;
  uint64_t sn = second - 1;
  while ((fn & 1) == 1) {
    fn >>= 1;
    sn >>= 1;
  }
  Hash fr = nodes[0];
  Hash sr = nodes[0];
  for (size_t i = 1; i < nodes.size(); ++i) {
    const Hash& c = nodes[i];
    if (sn == 0) return false;
    if ((fn & 1) == 1 || fn == sn) {
      fr = HashChildren(c, fr);
      sr = HashChildren(c, sr);
      if ((fn & 1) == 0) ShiftWhileEven(fn, sn);
    } else {
      sr = HashChildren(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return fr == first_root && sr == second_root && sn == 0;
}

}  // namespace sixhearts::ledger::merkle
