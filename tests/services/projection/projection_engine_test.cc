// The projection engine over a real store: live follow, restart from the saved
// checkpoint, rebuild, bitemporal as-of replay and snapshots, with a fold simple enough
// to check by hand (a count of events and a sum of invoiced amounts).
#include "services/projection/projection_engine.h"

#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "spdlog/sinks/ostream_sink.h"
#include "spdlog/spdlog.h"
#include "tests/testing/raw_log.h"
#include "tests/testing/test_events.h"

namespace sixhearts::services::projection {
namespace {

using ::sixhearts::testing::Batch;
using ::sixhearts::testing::ClientRegistered;
using ::sixhearts::testing::D;
using ::sixhearts::testing::InvoiceIssued;
using ::sixhearts::testing::TempDir;

class SumFold final : public Fold {
 public:
  void Apply(const ledger::v1::Event& event) override {
    ++count;
    ++applied_here;
    if (event.has_invoice_issued()) sum += event.invoice_issued().amount().amount_minor();
  }
  std::string Serialize() const override { return absl::StrCat(count, ",", sum); }
  absl::Status Restore(std::string_view bytes) override {
    std::vector<std::string> parts = absl::StrSplit(std::string(bytes), ',');
    if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &count) ||
        !absl::SimpleAtoi(parts[1], &sum)) {
      return absl::DataLossError("bad SumFold state");
    }
    return absl::OkStatus();
  }
  int64_t count = 0;
  int64_t sum = 0;
  int64_t applied_here = 0;  // not saved: how many events this instance applied itself
};

struct Seen {
  int64_t count = -1;
  int64_t sum = -1;
  int64_t applied_here = -1;
  uint64_t position = 0;
};

class EngineTest : public ::testing::Test {
 protected:
  EngineTest() : clock_(absl::FromUnixSeconds(1'767'225'600)) {  // 2026-01-01T00:00Z
    OpenStore();
  }

  void OpenStore() {
    engine_.reset();
    store_.reset();
    ledger::EventStoreOptions options;
    options.data_dir = dir_.sub("ledger");
    options.clock = &clock_;
    store_ = *ledger::EventStore::Open(options);
  }

  void StartEngine() {
    EngineOptions options;
    options.snapshot_every_events = 10;
    options.checkpoint_every_events = 1;
    auto engine = ProjectionEngine::Start(
        store_.get(), "sum", [] { return std::make_unique<SumFold>(); }, options);
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = std::move(*engine);
  }

  // The engine's fold sums events of any stream: its invoices go to a stream that is no
  // client's, which needs no ClientRegistered (ledger/FORMAT.md "entities"), so that every
  // count and position below is the invoices' own.
  static constexpr char kSumStream[] = "sums-42";

  // Invoice i of amount 100 * i, issued (and occurred) on 2026-01-(i) for i in 1..28.
  void AppendInvoices(int from, int to) {
    for (int i = from; i <= to; ++i) {
      auto e = InvoiceIssued(100 + i, "42", "INV-" + std::to_string(i), 100 * i, D(2026, 1, i),
                             D(2026, 2, i));
      e.set_stream(kSumStream);
      ASSERT_TRUE(store_->Append(Batch({e}), "test").ok());
      clock_.Advance(absl::Hours(1));
    }
  }

  Seen Read(const AsOf& as_of) {
    Seen seen;
    absl::Status s = engine_->Read(as_of, [&](const Fold& fold, uint64_t position) {
      const auto& f = static_cast<const SumFold&>(fold);
      seen = {f.count, f.sum, f.applied_here, position};
      return absl::OkStatus();
    });
    EXPECT_TRUE(s.ok()) << s;
    return seen;
  }

  TempDir dir_;
  ledger::ManualClock clock_;
  std::unique_ptr<ledger::EventStore> store_;
  std::unique_ptr<ProjectionEngine> engine_;
};

TEST_F(EngineTest, LiveFollowsAndRestartsFromItsCheckpointWithoutReapplying) {
  ASSERT_TRUE(store_->Append(Batch({ClientRegistered(1, "42")}), "test").ok());
  StartEngine();
  AppendInvoices(1, 4);  // 100 + 200 + 300 + 400 = 1,000
  Seen live = Read({});
  EXPECT_EQ(live.count, 5);
  EXPECT_EQ(live.sum, 1000);
  EXPECT_EQ(live.position, 5u);
  ASSERT_TRUE(engine_->WaitFor(5, absl::Seconds(5)));
  engine_->Stop();
  EXPECT_EQ(engine_->status().saved_position, 5u);

  OpenStore();  // a restart of the whole server
  StartEngine();
  Seen restored = Read({});
  EXPECT_EQ(restored.count, 5);
  EXPECT_EQ(restored.sum, 1000);
  EXPECT_EQ(restored.applied_here, 0);  // nothing applied twice
  AppendInvoices(5, 5);
  EXPECT_EQ(Read({}).sum, 1500);
  EXPECT_EQ(engine_->status().lag_events, 0u);
}

TEST_F(EngineTest, RebuildEqualsLive) {
  StartEngine();
  AppendInvoices(1, 25);  // 100 * (1 + ... + 25) = 32,500
  const Seen live = Read({});
  auto reached = engine_->Rebuild();
  ASSERT_TRUE(reached.ok());
  EXPECT_EQ(*reached, 25u);
  const Seen rebuilt = Read({});
  EXPECT_EQ(rebuilt.sum, 32'500);
  EXPECT_EQ(rebuilt.sum, live.sum);
  EXPECT_EQ(rebuilt.count, live.count);
  EXPECT_EQ(engine_->status().snapshots, 2u);  // at positions 10 and 20
}

TEST_F(EngineTest, AsOfBusinessDayAndKnownAtAreBitemporal) {
  StartEngine();
  AppendInvoices(1, 25);
  // Invoices 1..10 occurred by the end of 2026-01-10: 100 * 55 = 5,500.
  Seen books = Read({.business_day = absl::CivilDay(2026, 1, 10)});
  EXPECT_EQ(books.count, 10);
  EXPECT_EQ(books.sum, 5'500);

  // A correction recorded late: an invoice that occurred on 2026-01-03, recorded now.
  const absl::Time before_correction = clock_.Now() - absl::Minutes(30);
  auto late = InvoiceIssued(999, "42", "INV-LATE", 7, D(2026, 1, 3), D(2026, 2, 3));
  late.set_stream(kSumStream);
  ASSERT_TRUE(store_->Append(Batch({late}), "test").ok());
  EXPECT_EQ(Read({.business_day = absl::CivilDay(2026, 1, 10)}).sum, 5'507);
  // As the ledger knew it before the correction was recorded: the old figure.
  Seen known = Read({.business_day = absl::CivilDay(2026, 1, 10), .known_at = before_correction});
  EXPECT_EQ(known.sum, 5'500);
  EXPECT_EQ(known.position, 25u);
  // Known-at alone: recorded by 2026-01-01T05:00Z are invoices 1..6 (one an hour from
  // 00:00): 100 * 21 = 2,100.
  Seen early = Read({.known_at = absl::FromUnixSeconds(1'767'225'600 + 5 * 3600)});
  EXPECT_EQ(early.count, 6);
  EXPECT_EQ(early.sum, 2'100);
}

TEST_F(EngineTest, HistoricalQueriesStartFromASnapshot) {
  StartEngine();
  AppendInvoices(1, 25);
  // A rebuild keeps snapshots at exactly 10 and 20 (the live follower's land wherever its
  // batches end, which depends on timing).
  ASSERT_TRUE(engine_->Rebuild().ok());
  // Snapshots exist at 10 and 20. Known at the time of position 23: replay 21..23 only.
  const absl::Time t23 = absl::FromUnixSeconds(1'767'225'600 + 22 * 3600);
  Seen seen = Read({.known_at = t23});
  EXPECT_EQ(seen.count, 23);
  EXPECT_EQ(seen.sum, 100 * 23 * 24 / 2);  // 27,600
  EXPECT_EQ(seen.applied_here, 3);
}

// A rebuild's snapshot spacing grows by replay_snapshot_growth: with every 3 events and a
// growth of 2, snapshots at 3, 6, 12 and 24 (four, where a fixed spacing keeps eight:
// 3, 6, ..., 24). A read known at the time of position 23 then replays 13..23 from the
// snapshot at 12; the same read over fixed spacing replays 22..23 from the one at 21.
TEST_F(EngineTest, RebuildSnapshotSpacingGrows) {
  AppendInvoices(1, 25);
  const absl::Time t23 = absl::FromUnixSeconds(1'767'225'600 + 22 * 3600);
  for (const uint64_t growth : {2, 1}) {
    EngineOptions options;
    options.snapshot_every_events = 3;
    options.replay_snapshot_growth = growth;
    const std::string name = absl::StrCat("sum-growth-", growth);
    auto engine = ProjectionEngine::Start(
        store_.get(), name, [] { return std::make_unique<SumFold>(); }, options);
    ASSERT_TRUE(engine.ok()) << engine.status();
    ASSERT_TRUE((*engine)->Rebuild().ok());
    EXPECT_EQ((*engine)->status().snapshots, growth == 2 ? 4u : 8u) << "growth " << growth;
    Seen seen;
    absl::Status s = (*engine)->Read({.known_at = t23}, [&](const Fold& fold, uint64_t position) {
      const auto& f = static_cast<const SumFold&>(fold);
      seen = {f.count, f.sum, f.applied_here, position};
      return absl::OkStatus();
    });
    ASSERT_TRUE(s.ok()) << s;
    EXPECT_EQ(seen.sum, 27'600);
    EXPECT_EQ(seen.applied_here, growth == 2 ? 11 : 2) << "growth " << growth;
  }
}

// A projection that starts 25 events behind the head (more than catch_up_replay_events =
// 10) catches up with one replay: snapshots spaced as in a rebuild (every 3, growing by 2:
// at 3, 6, 12 and 24), its state saved at the head; then it follows live.
TEST_F(EngineTest, StartFarBehindCatchesUpByReplay) {
  AppendInvoices(1, 25);
  EngineOptions options;
  options.snapshot_every_events = 3;
  options.catch_up_replay_events = 10;
  options.checkpoint_every_events = 1'000'000;
  options.checkpoint_every = absl::Hours(1);
  auto engine = ProjectionEngine::Start(
      store_.get(), "sum-catch-up", [] { return std::make_unique<SumFold>(); }, options);
  ASSERT_TRUE(engine.ok()) << engine.status();
  ASSERT_TRUE((*engine)->WaitFor(25, absl::Seconds(10)));
  // The save comes right after the replay reaches the head; give it a moment.
  for (int i = 0; i < 100 && (*engine)->status().saved_position < 25; ++i) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ((*engine)->status().saved_position, 25u);
  EXPECT_EQ((*engine)->status().snapshots, 4u);
  auto sum = [&] {
    int64_t total = -1;
    EXPECT_TRUE((*engine)
                    ->Read({},
                           [&](const Fold& fold, uint64_t) {
                             total = static_cast<const SumFold&>(fold).sum;
                             return absl::OkStatus();
                           })
                    .ok());
    return total;
  };
  EXPECT_EQ(sum(), 32'500);  // 100 * (1 + ... + 25)
  AppendInvoices(26, 27);    // followed live: + 2,600 + 2,700
  ASSERT_TRUE((*engine)->WaitFor(27, absl::Seconds(10)));
  EXPECT_EQ(sum(), 37'800);
}

TEST_F(EngineTest, DamagedSavedStateIsRebuilt) {
  StartEngine();
  AppendInvoices(1, 3);
  ASSERT_TRUE(engine_->WaitFor(3, absl::Seconds(5)));
  engine_->Stop();
  engine_.reset();
  ASSERT_TRUE(store_->SaveProjection("sum", 3, std::string(8, '\0') + "garbage").ok());
  StartEngine();
  Seen seen = Read({});
  EXPECT_EQ(seen.sum, 600);
  EXPECT_EQ(seen.count, 3);
}

// A follower that meets a damaged record (README "Storage faults") folds nothing past it,
// says so naming the position, and retries once a second instead of rereading the log in
// a loop; stopping it does not wait out the pause.
TEST_F(EngineTest, FollowerStoppedByADamagedRecordSaysSoAndRetriesSlowly) {
  AppendInvoices(1, 3);
  store_.reset();
  // The invoice id of position 2 changed straight in RocksDB: the event still parses.
  testing::RewriteLogRecord(dir_.sub("ledger"), 2, [](std::string& value) {
    const size_t at = value.find("INV-2");
    ASSERT_NE(at, std::string::npos);
    value[at + 4] = '9';
  });
  OpenStore();

  std::ostringstream log;
  auto previous_logger = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>(
      "test", std::make_shared<spdlog::sinks::ostream_sink_mt>(log)));
  StartEngine();  // a new projection: its follower starts at position 0
  // Failures at about 0 s and 1 s, the next pause from 1 s to 2 s.
  absl::SleepFor(absl::Milliseconds(1200));
  // Position 1, before the damage, is served and folded; nothing from 2 on.
  EXPECT_EQ(engine_->status().position, 1u);
  const absl::Time stop_start = absl::Now();
  engine_.reset();
  const absl::Duration stopping = absl::Now() - stop_start;
  spdlog::set_default_logger(previous_logger);

  EXPECT_LT(stopping, absl::Milliseconds(300));
  const std::string said =
      "projection sum: cannot follow the log: DATA_LOSS: the record at position 2 fails its "
      "chain hash";
  const std::string text = log.str();
  int times = 0;
  for (size_t at = text.find(said); at != std::string::npos; at = text.find(said, at + 1)) {
    ++times;
  }
  EXPECT_GE(times, 1) << text;
  EXPECT_LE(times, 3) << text.substr(0, 2000);
}

// Two engines read together at one past cut: one restored from its snapshot at 20, the
// other (snapshots every 7, rebuilt: at 7, 14, 21) from 21; one scan from 21 feeds the
// first the events 21..23 and the second event 22..23 (it already holds 21).
TEST_F(EngineTest, ReadTogetherReplaysSeveralEnginesInOneScan) {
  StartEngine();
  AppendInvoices(1, 25);
  ASSERT_TRUE(engine_->Rebuild().ok());  // snapshots at 10, 20
  EngineOptions options;
  options.snapshot_every_events = 7;
  options.replay_snapshot_growth = 1;  // fixed spacing
  auto other = ProjectionEngine::Start(
      store_.get(), "sum7", [] { return std::make_unique<SumFold>(); }, options);
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE((*other)->Rebuild().ok());  // snapshots at 7, 14, 21
  const absl::Time t23 = absl::FromUnixSeconds(1'767'225'600 + 22 * 3600);
  std::vector<Seen> seen;
  absl::Status s =
      ProjectionEngine::ReadTogether({engine_.get(), other->get()}, {.known_at = t23},
                                     [&](const std::vector<const Fold*>& folds, uint64_t position) {
                                       for (const Fold* fold : folds) {
                                         const auto& f = static_cast<const SumFold&>(*fold);
                                         seen.push_back({f.count, f.sum, f.applied_here, position});
                                       }
                                       return absl::OkStatus();
                                     });
  ASSERT_TRUE(s.ok()) << s;
  ASSERT_EQ(seen.size(), 2u);
  for (const Seen& one : seen) {
    EXPECT_EQ(one.count, 23);
    EXPECT_EQ(one.sum, 27'600);  // 100 * (1 + ... + 23)
    EXPECT_EQ(one.position, 23u);
  }
  EXPECT_EQ(seen[0].applied_here, 3);  // 21, 22, 23 after the snapshot at 20
  EXPECT_EQ(seen[1].applied_here, 2);  // 22, 23 after the snapshot at 21
  // At the head, both live folds qualify and nothing is replayed.
  ASSERT_TRUE(engine_->WaitFor(25, absl::Seconds(5)));
  ASSERT_TRUE((*other)->WaitFor(25, absl::Seconds(5)));
  s = ProjectionEngine::ReadTogether({engine_.get(), other->get()}, {},
                                     [&](const std::vector<const Fold*>& folds, uint64_t position) {
                                       EXPECT_EQ(position, 25u);
                                       for (const Fold* fold : folds) {
                                         EXPECT_EQ(static_cast<const SumFold&>(*fold).sum, 32'500);
                                       }
                                       return absl::OkStatus();
                                     });
  EXPECT_TRUE(s.ok()) << s;
  (*other)->Stop();
}

}  // namespace
}  // namespace sixhearts::services::projection
