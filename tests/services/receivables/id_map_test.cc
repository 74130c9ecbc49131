// Tests of IdMap, the receivables state's ordered map with O(1) lookups.
#include "services/receivables/id_map.h"

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "gtest/gtest.h"

namespace sixhearts::services::receivables {
namespace {

std::vector<std::string> Keys(const IdMap<int>& map) {
  std::vector<std::string> keys;
  for (const auto& [key, value] : map) keys.push_back(key);
  return keys;
}

TEST(IdMapTest, IteratesInKeyOrderWhateverTheInsertOrder) {
  IdMap<int> map;
  for (const char* id : {"INV-3", "INV-1", "INV-4", "INV-2", "A", "INV-10"}) {
    EXPECT_TRUE(map.try_emplace(id, static_cast<int>(map.size())).second) << id;
  }
  EXPECT_EQ(Keys(map),
            (std::vector<std::string>{"A", "INV-1", "INV-10", "INV-2", "INV-3", "INV-4"}));
  EXPECT_EQ(map.size(), 6u);
  // A second insert of an id keeps the first record.
  const auto [it, inserted] = map.try_emplace("INV-1", 99);
  EXPECT_FALSE(inserted);
  EXPECT_EQ(it->second, 1);
}

TEST(IdMapTest, FindContainsAtAndAdvancingAFoundPosition) {
  IdMap<int> map;
  map.emplace("b", 2);
  map.emplace("a", 1);
  map.emplace("c", 3);
  EXPECT_TRUE(map.contains("b"));
  EXPECT_FALSE(map.contains("d"));
  EXPECT_EQ(map.find("d"), map.end());
  EXPECT_EQ(map.at("c"), 3);
  EXPECT_THROW(map.at("d"), std::out_of_range);
  // A position from find() advances in key order like any other.
  auto it = map.find("a");
  ASSERT_NE(it, map.end());
  ++it;
  EXPECT_EQ(it->first, "b");
  ++it;
  EXPECT_EQ(it->first, "c");
  ++it;
  EXPECT_EQ(it, map.end());
  map.find("b")->second = 20;
  EXPECT_EQ(map.at("b"), 20);
}

TEST(IdMapTest, AppendInOrderRefusesAnIdNotAboveTheLast) {
  IdMap<int> map;
  EXPECT_TRUE(map.AppendInOrder("a", 1));
  EXPECT_TRUE(map.AppendInOrder("b", 2));
  EXPECT_FALSE(map.AppendInOrder("b", 3));   // repeated
  EXPECT_FALSE(map.AppendInOrder("a0", 3));  // below the last
  EXPECT_EQ(Keys(map), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(map.at("b"), 2);
}

// 1,000 records span several chunks; none moves while others are added, and a copy is
// independent of its source (its index points at its own records).
TEST(IdMapTest, RecordsStayPutAndCopiesAreIndependent) {
  IdMap<std::string> map;
  std::vector<const std::string*> addresses;
  for (int i = 999; i >= 0; --i) {
    const std::string id = absl::StrFormat("PAY-%04d", i);
    addresses.push_back(&map.try_emplace(id, id + " value").first->second);
  }
  for (int i = 999; i >= 0; --i) {
    const std::string id = absl::StrFormat("PAY-%04d", i);
    EXPECT_EQ(&map.at(id), addresses[static_cast<size_t>(999 - i)]) << id;
  }
  IdMap<std::string> copy = map;
  EXPECT_EQ(copy, map);
  copy.find("PAY-0500")->second = "changed";
  EXPECT_EQ(map.at("PAY-0500"), "PAY-0500 value");
  EXPECT_NE(copy, map);
  EXPECT_NE(&copy.at("PAY-0001"), &map.at("PAY-0001"));

  // A move keeps the records where they are and leaves the source empty.
  const std::string* first = &map.at("PAY-0000");
  IdMap<std::string> moved = std::move(map);
  EXPECT_EQ(&moved.at("PAY-0000"), first);
  EXPECT_EQ(moved.size(), 1000u);
  EXPECT_TRUE(map.empty());  // NOLINT(bugprone-use-after-move): moved-from is empty
  EXPECT_EQ(map.begin(), map.end());
  map.emplace("again", "usable");
  EXPECT_EQ(Keys(IdMap<int>()), std::vector<std::string>{});
  EXPECT_EQ(map.size(), 1u);
}

}  // namespace
}  // namespace sixhearts::services::receivables
