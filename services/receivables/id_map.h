// IdMap: the receivables state's container of records keyed by their ids (clients,
// invoices, payments, credits, promises, disputes).
//
// Iteration is in ascending id order, as reports and the snapshot format need, and lookups
// are O(1). Records are placed one after another in chunks owned by the map (so a
// client's invoices sit together in memory, in the order they arrived, and the fold
// spends one allocation per chunk rather than per record); a hash index over the ids
// answers find() and contains(), and a B-tree of record pointers keeps the order. A fold looks an
// id up for nearly every event: on a std::map of a few thousand string keys each lookup
// and insert was a dozen cache misses (BENCHMARKS.md, "Receivables projection"). Ids
// usually arrive in ascending order (ERP numbering), which makes an insert O(1) too; any
// other order is O(log n) with B-tree nodes of dozens of pointers.
//
// Memory: about 50 bytes of index and order per record besides the record itself, and
// at most one partly used chunk (up to kMaxChunkRecords records) per map.
// Threading: as for std::map. Records never move while they are in the map, so pointers
// and references to them stay valid until the map is destroyed or cleared.
#ifndef SIXHEARTS_SERVICES_RECEIVABLES_ID_MAP_H_
#define SIXHEARTS_SERVICES_RECEIVABLES_ID_MAP_H_

#include <algorithm>
#include <cstddef>
#include <iterator>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"

namespace sixhearts::services::receivables {

template <typename V>
class IdMap {
 public:
  using value_type = std::pair<const std::string, V>;

 private:
  struct ByKey {
    bool operator()(const value_type* a, const value_type* b) const { return a->first < b->first; }
  };
  using Order = absl::btree_set<value_type*, ByKey>;

  // A position in key order. An iterator returned by find() knows its record but not its
  // place in the B-tree; it finds that place the first time it is advanced.
  template <bool kConst>
  class Iter {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = IdMap::value_type;
    using difference_type = std::ptrdiff_t;
    using reference = std::conditional_t<kConst, const value_type&, value_type&>;
    using pointer = std::conditional_t<kConst, const value_type*, value_type*>;

    Iter() = default;
    // iterator -> const_iterator.
    template <bool kOther, typename = std::enable_if_t<kConst && !kOther>>
    Iter(const Iter<kOther>& other)  // NOLINT(google-explicit-constructor)
        : order_(other.order_), record_(other.record_), at_(other.at_), placed_(other.placed_) {}

    reference operator*() const { return *record_; }
    pointer operator->() const { return record_; }
    Iter& operator++() {
      if (!placed_) at_ = order_->find(record_);
      ++at_;
      placed_ = true;
      record_ = at_ == order_->end() ? nullptr : *at_;
      return *this;
    }
    Iter operator++(int) {
      Iter before = *this;
      ++*this;
      return before;
    }
    friend bool operator==(const Iter& a, const Iter& b) { return a.record_ == b.record_; }

   private:
    friend class IdMap;
    template <bool>
    friend class Iter;
    Iter(const Order* order, value_type* record, typename Order::const_iterator at, bool placed)
        : order_(order), record_(record), at_(at), placed_(placed) {}

    const Order* order_ = nullptr;
    value_type* record_ = nullptr;  // nullptr at the end
    typename Order::const_iterator at_;
    bool placed_ = false;
  };

 public:
  using iterator = Iter<false>;
  using const_iterator = Iter<true>;

  IdMap() = default;
  IdMap(const IdMap& other) { CopyFrom(other); }
  IdMap& operator=(const IdMap& other) {
    if (this != &other) {
      clear();
      CopyFrom(other);
    }
    return *this;
  }
  // Moves keep the records where they are.
  IdMap(IdMap&& other) noexcept { Steal(other); }
  IdMap& operator=(IdMap&& other) noexcept {
    if (this != &other) {
      clear();
      Steal(other);
    }
    return *this;
  }
  ~IdMap() { clear(); }

  iterator begin() { return First<false>(); }
  iterator end() { return iterator(&order_, nullptr, order_.end(), true); }
  const_iterator begin() const { return First<true>(); }
  const_iterator end() const { return const_iterator(&order_, nullptr, order_.end(), true); }
  size_t size() const { return index_.size(); }
  bool empty() const { return index_.empty(); }

  iterator find(std::string_view id) {
    const auto it = index_.find(id);
    return it == index_.end() ? end() : iterator(&order_, it->second, order_.end(), false);
  }
  const_iterator find(std::string_view id) const { return const_cast<IdMap*>(this)->find(id); }
  bool contains(std::string_view id) const { return index_.contains(id); }
  // As std::map::at: std::out_of_range when `id` is absent.
  V& at(std::string_view id) {
    const auto it = index_.find(id);
    if (it == index_.end()) throw std::out_of_range("IdMap::at: no such id");
    return it->second->second;
  }
  const V& at(std::string_view id) const { return const_cast<IdMap*>(this)->at(id); }

  // Inserts a record constructed from `args` unless `id` is present; as std::map. The
  // key is copied before the record is constructed, so `id` may view a field of an
  // argument that the record is moved from.
  template <typename... Args>
  std::pair<iterator, bool> try_emplace(std::string_view id, Args&&... args) {
    if (const auto it = index_.find(id); it != index_.end()) {
      return {iterator(&order_, it->second, order_.end(), false), false};
    }
    auto* record = new (Allocate()) value_type(std::piecewise_construct, std::forward_as_tuple(id),
                                               std::forward_as_tuple(std::forward<Args>(args)...));
    // Appending after the last id, the common case, costs one comparison.
    const bool last = order_.empty() || (*order_.rbegin())->first < record->first;
    const auto at = order_.insert(last ? order_.end() : order_.lower_bound(record), record);
    index_.emplace(std::string_view(record->first), record);
    return {iterator(&order_, record, at, true), true};
  }
  template <typename T>
  std::pair<iterator, bool> emplace(std::string_view id, T&& value) {
    return try_emplace(id, std::forward<T>(value));
  }

  // Appends a record whose id is above every present id; false (and nothing added)
  // otherwise. For decoders that keep their input canonical.
  bool AppendInOrder(std::string_view id, V&& value) {
    if (!order_.empty() && !((*order_.rbegin())->first < id)) return false;
    return try_emplace(id, std::move(value)).second;
  }

  void clear() {
    index_.clear();
    for (value_type* record : order_) record->~value_type();
    order_.clear();
    chunks_.clear();
    next_ = nullptr;
    left_in_chunk_ = 0;
  }

  bool operator==(const IdMap& other) const {
    if (size() != other.size()) return false;
    auto b = other.order_.begin();
    for (const value_type* a : order_) {
      if (!(*a == **b)) return false;
      ++b;
    }
    return true;
  }

 private:
  template <bool kConst>
  Iter<kConst> First() const {
    const auto at = order_.begin();
    return Iter<kConst>(&order_, at == order_.end() ? nullptr : *at, at, true);
  }

  // Storage for one record, from the current chunk or a new one. A new chunk holds half
  // as many records as the map (4 to kMaxChunkRecords), so small maps stay small and
  // large ones allocate rarely.
  value_type* Allocate() {
    if (left_in_chunk_ == 0) {
      const size_t n = std::clamp<size_t>(size() / 2, kMinChunkRecords, kMaxChunkRecords);
      chunks_.emplace_back(new Slot[n]);
      next_ = chunks_.back().get();
      left_in_chunk_ = n;
    }
    --left_in_chunk_;
    return reinterpret_cast<value_type*>(next_++);
  }

  void Steal(IdMap& other) {
    order_ = std::move(other.order_);
    index_ = std::move(other.index_);
    chunks_ = std::move(other.chunks_);
    next_ = std::exchange(other.next_, nullptr);
    left_in_chunk_ = std::exchange(other.left_in_chunk_, 0);
    other.order_.clear();
    other.index_.clear();
    other.chunks_.clear();
  }

  void CopyFrom(const IdMap& other) {
    index_.reserve(other.size());
    for (const value_type* record : other.order_) {
      auto* copy = new (Allocate()) value_type(*record);
      order_.insert(order_.end(), copy);
      index_.emplace(std::string_view(copy->first), copy);
    }
  }

  static constexpr size_t kMinChunkRecords = 4;
  static constexpr size_t kMaxChunkRecords = 64;
  struct Slot {
    alignas(value_type) std::byte bytes[sizeof(value_type)];
  };

  Order order_;
  // Views of the records' ids, which never move.
  absl::flat_hash_map<std::string_view, value_type*> index_;
  std::vector<std::unique_ptr<Slot[]>> chunks_;
  Slot* next_ = nullptr;  // the next free slot of chunks_.back()
  size_t left_in_chunk_ = 0;
};

}  // namespace sixhearts::services::receivables

#endif  // SIXHEARTS_SERVICES_RECEIVABLES_ID_MAP_H_
