// The scenario generator: deterministic from its seed, the shape a person can check (one
// registration first per client, due dates, allocations to earlier invoices), and every
// event one the ledger stores: field validation plus the writer's entity checks.
#include "tools/scenario/scenario.h"

#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "ledger/dates.h"
#include "ledger/event_types.h"
#include "ledger/validate.h"

namespace sixhearts::scenario {
namespace {

std::vector<v1::Event> Generate(const ScenarioOptions& options,
                                std::vector<size_t>* chunk_sizes = nullptr) {
  std::vector<v1::Event> all;
  auto summary = GenerateScenario(options, [&](std::vector<v1::Event>&& chunk) {
    if (chunk_sizes != nullptr) chunk_sizes->push_back(chunk.size());
    for (v1::Event& e : chunk) all.push_back(std::move(e));
    return absl::OkStatus();
  });
  EXPECT_TRUE(summary.ok()) << summary.status();
  if (summary.ok()) {
    EXPECT_EQ(summary->events, static_cast<int64_t>(all.size()));
  }
  return all;
}

std::string Bytes(const std::vector<v1::Event>& events) {
  std::string bytes;
  for (const v1::Event& e : events) bytes += e.SerializeAsString();
  return bytes;
}

ScenarioOptions Small() {
  ScenarioOptions options;
  options.seed = 7;
  options.clients = 5;
  options.months = 6;
  return options;
}

TEST(ScenarioTest, SameSeedSameBytesOtherSeedOtherBytes) {
  const std::string first = Bytes(Generate(Small()));
  EXPECT_EQ(first, Bytes(Generate(Small())));
  ScenarioOptions other = Small();
  other.seed = 8;
  EXPECT_NE(first, Bytes(Generate(other)));
}

TEST(ScenarioTest, ChunksAreBoundedAndTheSameForTheSameOptions) {
  ScenarioOptions options = Small();
  options.chunk_events = 37;
  std::vector<size_t> sizes;
  std::vector<size_t> again;
  const std::vector<v1::Event> events = Generate(options, &sizes);
  Generate(options, &again);
  EXPECT_EQ(sizes, again);
  ASSERT_FALSE(sizes.empty());
  for (size_t i = 0; i + 1 < sizes.size(); ++i) EXPECT_EQ(sizes[i], 37u);
  EXPECT_LE(sizes.back(), 37u);
}

// A client's events do not depend on how many other clients there are.
TEST(ScenarioTest, BiggerPortfolioStartsWithTheSameClients) {
  ScenarioOptions three = Small();
  three.clients = 3;
  std::map<std::string, std::string> by_stream;
  for (const v1::Event& e : Generate(three)) by_stream[e.stream()] += e.SerializeAsString();
  std::map<std::string, std::string> bigger;
  for (const v1::Event& e : Generate(Small())) {
    if (by_stream.contains(e.stream())) bigger[e.stream()] += e.SerializeAsString();
  }
  EXPECT_EQ(by_stream.size(), 3u);
  EXPECT_EQ(bigger, by_stream);
}

TEST(ScenarioTest, ShapeOfASmallPortfolio) {
  const std::vector<v1::Event> events = Generate(Small());
  std::set<std::string> registered;
  std::set<std::string> jurisdictions;
  std::map<std::string, std::set<std::string>> invoices;  // stream -> invoice ids so far
  std::set<std::string> event_ids;
  std::map<std::string, int> types;
  int64_t previous_seconds = 0;
  for (const v1::Event& e : events) {
    ++types[std::string(ledger::EventTypeName(e))];
    EXPECT_TRUE(event_ids.insert(e.event_id()).second) << "repeated event id " << e.event_id();
    EXPECT_GE(e.occurred_at().seconds(), previous_seconds) << "not in occurred_at order";
    previous_seconds = e.occurred_at().seconds();
    EXPECT_LE(e.occurred_at().seconds(),
              absl::ToUnixSeconds(absl::FromCivil(Small().end_date + 1, absl::UTCTimeZone())));
    if (e.has_client_registered()) {
      EXPECT_TRUE(registered.insert(e.stream()).second) << "registered twice: " << e.stream();
      jurisdictions.insert(v1::Jurisdiction_Name(e.client_registered().jurisdiction()));
      continue;
    }
    EXPECT_TRUE(registered.contains(e.stream())) << "event before registration in " << e.stream();
    if (e.has_invoice_issued()) {
      const auto& p = e.invoice_issued();
      EXPECT_GE(ledger::ToCivilDay(p.due_date()), ledger::ToCivilDay(p.issue_date()));
      invoices[e.stream()].insert(p.invoice_id());
    }
    if (e.has_payment_received()) {
      int64_t allocated = 0;
      for (const v1::Allocation& a : e.payment_received().allocations()) {
        EXPECT_TRUE(invoices[e.stream()].contains(a.invoice_id()))
            << "allocation to an invoice not issued before in " << e.stream();
        allocated += a.amount_minor();
      }
      EXPECT_LE(allocated, e.payment_received().amount().amount_minor());
    }
  }
  EXPECT_EQ(registered.size(), 5u);
  EXPECT_EQ(types["ClientRegistered"], 5);
  EXPECT_EQ(types["AccountOwnerAssigned"], 5);
  EXPECT_GT(types["InvoiceIssued"], 0);
  EXPECT_GT(types["PaymentReceived"], 0);
  EXPECT_GT(types["InteractionLogged"], types["InvoiceIssued"]);
}

// The ledger's entity checks over one stream at a time: every reference names an object
// created earlier in the stream (in the currency and within the amount asked), and no
// object is created twice.
class Entities {
 public:
  void Apply(const v1::Event& e) {
    const ledger::EntityEffects effects = ledger::DescribeEntities(e);
    std::string first_currency;
    for (size_t i = 0; i < effects.references.size(); ++i) {
      const ledger::EntityReference& ref = effects.references[i];
      auto it = objects_.find({e.stream(), ref.kind, ref.id});
      ASSERT_NE(it, objects_.end()) << ref.field << " \"" << ref.id << "\" in " << e.stream();
      if (i == 0) first_currency = it->second.first;
      const std::string& want = ref.currency_of_first_reference ? first_currency : ref.currency;
      if (!want.empty() && !it->second.first.empty()) {
        EXPECT_EQ(want, it->second.first);
      }
      if (ref.amount_minor >= 0 && it->second.second > 0) {
        EXPECT_LE(ref.amount_minor, it->second.second) << ref.field << " in " << e.stream();
      }
    }
    for (const ledger::EntityCreation& c : effects.creations) {
      const bool fresh =
          objects_.emplace(Key{e.stream(), c.kind, c.id}, Value{c.currency, c.amount_minor}).second;
      EXPECT_TRUE(fresh || c.replaces) << c.field << " \"" << c.id << "\" twice in " << e.stream();
    }
  }

 private:
  using Key = std::tuple<std::string, ledger::EntityKind, std::string>;
  using Value = std::pair<std::string, int64_t>;
  std::map<Key, Value> objects_;
};

TEST(ScenarioTest, EveryEventPassesTheLedgersChecks) {
  ScenarioOptions options;
  options.seed = 3;
  options.clients = 60;
  options.months = 36;
  const ledger::Limits limits;
  Entities entities;
  int64_t n = 0;
  for (const v1::Event& e : Generate(options)) {
    const absl::Status valid = ledger::ValidateEvent(e, absl::StrCat("events[", n++, "]"), limits);
    ASSERT_TRUE(valid.ok()) << valid << "\n" << e.ShortDebugString();
    EXPECT_LE(e.ByteSizeLong(), limits.max_event_bytes);
    entities.Apply(e);
  }
  EXPECT_GT(n, 1000);
}

TEST(ScenarioTest, RefusesBadOptions) {
  ScenarioOptions options = Small();
  options.clients = 0;
  EXPECT_EQ(CheckOptions(options).code(), absl::StatusCode::kInvalidArgument);
  options = Small();
  options.months = 0;
  EXPECT_EQ(CheckOptions(options).code(), absl::StatusCode::kInvalidArgument);
  options = Small();
  options.chunk_events = 0;
  EXPECT_EQ(CheckOptions(options).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace sixhearts::scenario
