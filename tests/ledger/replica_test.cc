// Read replicas: a RocksDB secondary over a real primary directory serves reads and
// subscriptions, refuses appends naming the primary, and keeps up under load (the lag
// figure goes into BENCHMARKS.md; REPLICA_LAG_SECONDS=N runs the load longer).
#include <algorithm>
#include <cstdlib>
#include <deque>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "ledger/event_store.h"
#include "ledger/subscription.h"
#include "tests/testing/test_events.h"

namespace sixhearts::ledger {
namespace {

using ::sixhearts::testing::Batch;
using ::sixhearts::testing::ClientRegistered;
using ::sixhearts::testing::TempDir;

std::unique_ptr<EventStore> OpenPrimary(const TempDir& dir) {
  EventStoreOptions options;
  options.data_dir = dir.sub("primary");
  auto store = EventStore::Open(options);
  EXPECT_TRUE(store.ok()) << store.status();
  return std::move(*store);
}

std::unique_ptr<EventStore> OpenReplica(const TempDir& dir, absl::Duration interval) {
  EventStoreOptions options;
  options.data_dir = dir.sub("replica");
  auto store = EventStore::OpenReplica(options, dir.sub("primary"), interval);
  EXPECT_TRUE(store.ok()) << store.status();
  return std::move(*store);
}

bool WaitForHead(const EventStore& store, uint64_t position, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (store.head().position < position) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(1));
  }
  return true;
}

TEST(ReplicaTest, ServesReadsAndSubscriptionsAndRefusesAppends) {
  TempDir dir;
  auto primary = OpenPrimary(dir);
  ASSERT_TRUE(
      primary->Append(Batch({ClientRegistered(1, "a"), ClientRegistered(2, "b")}), "t").ok());
  auto replica = OpenReplica(dir, absl::Milliseconds(5));
  EXPECT_EQ(replica->replica_of(), dir.sub("primary"));
  EXPECT_EQ(replica->head().position, 2u);  // what was there at open
  EXPECT_EQ(replica->head().hash, primary->head().hash);

  auto subscription = replica->Subscribe(0, v1::EventFilter());
  ASSERT_TRUE(subscription.ok()) << subscription.status();
  std::vector<uint64_t> seen;
  auto take = [&](size_t want) {
    const absl::Time deadline = absl::Now() + absl::Seconds(5);
    while (seen.size() < want && absl::Now() < deadline) {
      auto batch = (*subscription)->Next(absl::Milliseconds(50));
      ASSERT_TRUE(batch.ok()) << batch.status();
      for (const auto& e : batch->events) seen.push_back(e.position());
    }
  };
  take(2);
  // Appended on the primary after the replica opened: reaches the replica's subscribers.
  ASSERT_TRUE(primary->Append(Batch({ClientRegistered(3, "c")}), "t").ok());
  take(3);
  EXPECT_EQ(seen, (std::vector<uint64_t>{1, 2, 3}));
  ASSERT_TRUE(WaitForHead(*replica, 3, absl::Seconds(5)));
  EXPECT_EQ(replica->head().hash, primary->head().hash);
  auto page = replica->ReadLog(0, false, 10, v1::EventFilter());
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->events.size(), 3u);
  EXPECT_EQ(page->events[2].client_registered().client_id(), "c");
  auto verified = replica->Verify(0, 0);
  ASSERT_TRUE(verified.ok());
  EXPECT_TRUE(verified->ok);
  EXPECT_EQ(verified->checked, 3u);

  auto refused = replica->Append(Batch({ClientRegistered(4, "d")}), "t");
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(refused.status().message(),
            absl::StrCat("this ledger is a read replica of ", dir.sub("primary"),
                         "; append to the primary"));
  // Projection saves are skipped: nothing is written into the primary's directory.
  EXPECT_TRUE(replica->SaveProjection("p", 3, "state").ok());
  auto loaded = primary->LoadProjection("p");
  ASSERT_TRUE(loaded.ok());
  EXPECT_FALSE(loaded->has_value());
}

TEST(ReplicaTest, RefusesAMissingDirectoryAndThePrimarysOwn) {
  TempDir dir;
  EventStoreOptions options;
  options.data_dir = dir.sub("replica");
  auto missing = EventStore::OpenReplica(options, dir.sub("nope"), absl::Milliseconds(10));
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(missing.status().message(),
            absl::StrCat("replica_of: ", dir.sub("nope"), " is not a directory"));

  auto primary = OpenPrimary(dir);
  options.data_dir = dir.sub("primary") + "/";
  auto same = EventStore::OpenReplica(options, dir.sub("primary"), absl::Milliseconds(10));
  EXPECT_EQ(same.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(same.status().message(),
            absl::StrCat("data_dir: a replica needs its own directory, not the primary's ",
                         dir.sub("primary")));
}

// How far behind a replica is while the primary takes durable appends: lag in events,
// sampled every 2 ms, and how long each acknowledged batch took to become visible on the
// replica. Catch-up interval 100 ms (the default).
TEST(ReplicaTest, LagUnderLoad) {
  const char* env = std::getenv("REPLICA_LAG_SECONDS");
  const absl::Duration load = absl::Seconds(env != nullptr ? std::atoi(env) : 2);
  constexpr int kBatchEvents = 100;
  TempDir dir;
  auto primary = OpenPrimary(dir);
  auto replica = OpenReplica(dir, absl::Milliseconds(100));

  absl::Mutex mu;
  std::deque<std::pair<uint64_t, absl::Time>> acked;  // last position of a batch, when
  std::vector<double> visible_ms;
  std::vector<uint64_t> lag_events;
  std::atomic<bool> done{false};
  uint64_t next_id = 1;
  const absl::Time start = absl::Now();
  std::thread appender([&] {
    while (absl::Now() - start < load) {
      v1::AppendRequest request;
      for (int i = 0; i < kBatchEvents; ++i, ++next_id) {
        *request.add_events() = ClientRegistered(next_id, absl::StrCat("c", next_id));
      }
      auto response = primary->Append(request, "bench");
      ASSERT_TRUE(response.ok()) << response.status();
      absl::MutexLock lock(&mu);
      acked.emplace_back(response->positions(kBatchEvents - 1), absl::Now());
    }
    done = true;
  });
  while (!done) {
    const uint64_t primary_head = primary->head().position;
    const uint64_t replica_head = replica->head().position;
    lag_events.push_back(primary_head - std::min(primary_head, replica_head));
    {
      absl::MutexLock lock(&mu);
      while (!acked.empty() && acked.front().first <= replica_head) {
        visible_ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - acked.front().second));
        acked.pop_front();
      }
    }
    absl::SleepFor(absl::Milliseconds(2));
  }
  appender.join();
  const uint64_t final_head = primary->head().position;
  const absl::Time stopped = absl::Now();
  ASSERT_TRUE(WaitForHead(*replica, final_head, absl::Seconds(5)));
  const double catch_up_ms = absl::ToDoubleMilliseconds(absl::Now() - stopped);
  EXPECT_EQ(replica->head().hash, primary->head().hash);

  std::sort(lag_events.begin(), lag_events.end());
  std::sort(visible_ms.begin(), visible_ms.end());
  ASSERT_FALSE(lag_events.empty());
  ASSERT_FALSE(visible_ms.empty());
  auto at = [](const auto& v, double q) {
    return v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))];
  };
  const double seconds = absl::ToDoubleSeconds(load);
  std::printf(
      "replica lag under load: %lu events in %.1f s (%.0f events/s, batches of %d, synced); "
      "lag events p50 %lu p99 %lu max %lu (%zu samples); batch visible after ms p50 %.1f "
      "p99 %.1f max %.1f (%zu batches); caught up %.1f ms after the load stopped\n",
      static_cast<unsigned long>(final_head), seconds, static_cast<double>(final_head) / seconds,
      kBatchEvents, static_cast<unsigned long>(at(lag_events, 0.5)),
      static_cast<unsigned long>(at(lag_events, 0.99)),
      static_cast<unsigned long>(lag_events.back()), lag_events.size(), at(visible_ms, 0.5),
      at(visible_ms, 0.99), visible_ms.back(), visible_ms.size(), catch_up_ms);
  // The replica polls every 100 ms: a batch is visible within a few intervals.
  EXPECT_LT(at(visible_ms, 0.5), 1000.0);
}

}  // namespace
}  // namespace sixhearts::ledger
