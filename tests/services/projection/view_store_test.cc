// The projection kit's view store with a projection simple enough to check by hand (the
// sum of invoiced amounts per stream, one row per stream): key parts, the versions a late
// event writes and the cuts they answer, commits with the checkpoint, generations, the
// format check, and the engine over stored views (migration from a whole-fold blob,
// restart without a rebuild, rebuild).
#include "services/projection/view_store.h"

#include <filesystem>
#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "ledger/dates.h"
#include "rocksdb/db.h"
#include "tests/testing/test_events.h"

namespace sixhearts::services::projection {
namespace {

namespace v1 = ::sixhearts::ledger::v1;
using ::sixhearts::testing::Batch;
using ::sixhearts::testing::D;
using ::sixhearts::testing::InvoiceIssued;
using ::sixhearts::testing::TempDir;

absl::CivilDay CD(int y, int m, int d) { return absl::CivilDay(y, m, d); }

// The chain hash the checkpoints of these tests carry (their events are not in a log).
const std::string kHash(32, 'h');

// Sums of invoiced amounts per stream.
class SumsFold final : public Fold {
 public:
  void Apply(const v1::Event& event) override {
    if (event.has_invoice_issued()) {
      sums[event.stream()] += event.invoice_issued().amount().amount_minor();
    }
  }
  std::string Serialize() const override { return ""; }
  absl::Status Restore(std::string_view) override { return absl::UnimplementedError("none"); }
  std::vector<std::string> EventTypes() const override { return {"InvoiceIssued"}; }
  std::map<std::string, int64_t> sums;
};

class SumsRows final : public RowProjection {
 public:
  std::string_view name() const override { return "sums"; }
  std::unique_ptr<Fold> NewFold() const override { return std::make_unique<SumsFold>(); }
  absl::Status EntitiesOf(const v1::Event& event, EntityLookup&,
                          std::vector<std::string>* entities) const override {
    if (!event.has_invoice_issued()) return absl::OkStatus();
    std::string key;
    AppendKeyPart(&key, event.stream());
    entities->push_back(key);
    return absl::OkStatus();
  }
  absl::Status ApplyToRows(const v1::Event& event, std::vector<RowState>& rows) const override {
    SumsFold fold;
    for (const RowState& row : rows) {
      std::string_view entity = row.entity;
      const std::string stream = *ConsumeKeyPart(&entity);
      if (row.state.has_value()) {
        EXPECT_TRUE(absl::SimpleAtoi(*row.state, &fold.sums[stream]));
      }
    }
    fold.Apply(event);  // the fold's own code, on the partial state
    for (RowState& row : rows) {
      std::string_view entity = row.entity;
      const std::string stream = *ConsumeKeyPart(&entity);
      if (fold.sums.contains(stream)) row.state = absl::StrCat(fold.sums[stream]);
    }
    return absl::OkStatus();
  }
  absl::Status AddRow(Fold& fold, std::string_view entity, std::string_view state) const override {
    const std::string stream = *ConsumeKeyPart(&entity);
    int64_t sum = 0;
    if (!absl::SimpleAtoi(std::string(state), &sum)) return absl::DataLossError("bad sum");
    static_cast<SumsFold&>(fold).sums[stream] = sum;
    return absl::OkStatus();
  }
};

// An invoice on `stream` of `amount`, occurred at noon UTC of `day`, at `position`.
v1::Event At(uint64_t position, absl::CivilDay day, std::string stream, int64_t amount) {
  v1::Event e;
  e.set_position(position);
  e.set_stream(std::move(stream));
  e.mutable_occurred_at()->set_seconds(absl::ToUnixSeconds(ledger::EndOfUtcDay(day)) - 43'200);
  e.mutable_invoice_issued()->mutable_amount()->set_amount_minor(amount);
  return e;
}

class ViewStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }
  void Open() {
    views_.reset();
    ViewStoreOptions options;
    options.dir = dir_.sub("views");
    auto views =
        ViewStore::Open(options, [this](std::string_view line) { log_.emplace_back(line); });
    ASSERT_TRUE(views.ok()) << views.status();
    views_ = *std::move(views);
  }
  // The sums of the cut (day, position) and the position the view answered at.
  std::pair<std::map<std::string, int64_t>, uint64_t> Cut(std::optional<absl::CivilDay> day,
                                                          uint64_t position) {
    SumsFold fold;
    auto at = views_->ReadCut(rows_, day, position, fold);
    EXPECT_TRUE(at.ok()) << at.status();
    return {fold.sums, at.value_or(0)};
  }
  using Sums = std::map<std::string, int64_t>;

  TempDir dir_;
  SumsRows rows_;
  std::unique_ptr<ViewStore> views_;
  std::vector<std::string> log_;
};

TEST(KeyPartTest, PartsKeepTheirOrderAndZerosAndAreNotPrefixesOfEachOther) {
  std::string a, b, c;
  AppendKeyPart(&a, "ab");
  AppendKeyPart(&b, std::string_view("ab\0c", 4));
  AppendKeyPart(&c, "abc");
  EXPECT_EQ(a, std::string("ab\0\1", 4));
  EXPECT_EQ(b, std::string("ab\0\xff"
                           "c\0\1",
                           7));
  EXPECT_LT(a, b);  // "ab" < "ab\0c" < "abc"
  EXPECT_LT(b, c);
  std::string_view read = b;
  EXPECT_EQ(ConsumeKeyPart(&read), std::string("ab\0c", 4));
  EXPECT_TRUE(read.empty());
  std::string_view truncated("ab\0", 3);
  EXPECT_EQ(ConsumeKeyPart(&truncated), std::nullopt);
  std::string_view bad_escape("ab\0\x02", 4);
  EXPECT_EQ(ConsumeKeyPart(&bad_escape), std::nullopt);
  std::string_view unterminated("ab\0\xff", 4);
  EXPECT_EQ(ConsumeKeyPart(&unterminated), std::nullopt);
  // Two parts in a row: the first is consumed, the rest left.
  std::string two = a + c;
  std::string_view both = two;
  EXPECT_EQ(ConsumeKeyPart(&both), "ab");
  EXPECT_EQ(both, c);
}

// Events at positions 1, 2, 3 of business days 01-10, 01-20 and (late) 01-05, on one
// stream, amounts 100, 50, 7. Position 3 writes versions from 01-05, 01-10 and 01-20, so
// every later day sees the correction and what was known at position 2 stays as it was.
TEST_F(ViewStoreTest, ALateEventAddsVersionsAndEveryCutIsExact) {
  ViewWriter writer(views_.get(), &rows_, 1, 1 << 20);
  ASSERT_TRUE(writer.Apply(At(1, CD(2026, 1, 10), "a", 100)).ok());
  ASSERT_TRUE(writer.Apply(At(2, CD(2026, 1, 20), "a", 50)).ok());
  ASSERT_TRUE(writer.Commit(2, kHash).ok());
  ASSERT_TRUE(writer.Apply(At(3, CD(2026, 1, 5), "a", 7)).ok());
  ASSERT_TRUE(writer.Commit(3, kHash).ok());
  // (01-10, 1), (01-20, 2), then (01-05, 3), (01-10, 3), (01-20, 3).
  EXPECT_EQ(views_->CountRows("sums").value(), 5u);

  EXPECT_EQ(Cut(CD(2026, 1, 4), 3), std::make_pair(Sums{}, uint64_t{3}));
  EXPECT_EQ(Cut(CD(2026, 1, 5), 2).first, Sums{});
  EXPECT_EQ(Cut(CD(2026, 1, 5), 3).first, (Sums{{"a", 7}}));
  EXPECT_EQ(Cut(CD(2026, 1, 9), 3).first, (Sums{{"a", 7}}));
  EXPECT_EQ(Cut(CD(2026, 1, 10), 1).first, (Sums{{"a", 100}}));
  EXPECT_EQ(Cut(CD(2026, 1, 10), 2).first, (Sums{{"a", 100}}));
  EXPECT_EQ(Cut(CD(2026, 1, 10), 3).first, (Sums{{"a", 107}}));
  EXPECT_EQ(Cut(CD(2026, 1, 19), 3).first, (Sums{{"a", 107}}));
  EXPECT_EQ(Cut(CD(2026, 1, 20), 2).first, (Sums{{"a", 150}}));
  EXPECT_EQ(Cut(CD(2026, 1, 20), 3).first, (Sums{{"a", 157}}));
  EXPECT_EQ(Cut(std::nullopt, 3).first, (Sums{{"a", 157}}));
  // Before the first event: the empty view at position 0.
  EXPECT_EQ(Cut(std::nullopt, 0), std::make_pair(Sums{}, uint64_t{0}));
  // Past the checkpoint: the view answers at its checkpoint, the caller replays the rest.
  EXPECT_EQ(Cut(std::nullopt, 9).second, 3u);
}

// A cut steps over at most kViewSeekPastVersions versions dated after its day, then seeks
// past the entity: the entities after it are read whole. Stream "a" has versions on
// 01-01..01-08 (amounts 1, 2, 4, ... 128), "b" and "c" one each.
TEST_F(ViewStoreTest, ACutSkipsALongLaterHistoryAndReadsTheNextEntities) {
  ViewWriter writer(views_.get(), &rows_, 1, 1 << 20);
  uint64_t position = 0;
  for (int day = 1; day <= 8; ++day) {
    ASSERT_TRUE(writer.Apply(At(++position, CD(2026, 1, day), "a", int64_t{1} << (day - 1))).ok());
  }
  ASSERT_TRUE(writer.Apply(At(++position, CD(2026, 1, 2), "b", 1000)).ok());
  ASSERT_TRUE(writer.Apply(At(++position, CD(2026, 1, 9), "c", 5000)).ok());
  ASSERT_TRUE(writer.Commit(position, kHash).ok());
  static_assert(kViewSeekPastVersions < 6);  // "a" has 6 versions after 01-02
  EXPECT_EQ(Cut(CD(2026, 1, 2), position).first, (Sums{{"a", 3}, {"b", 1000}}));
  EXPECT_EQ(Cut(CD(2026, 1, 7), position).first, (Sums{{"a", 127}, {"b", 1000}}));
  EXPECT_EQ(Cut(CD(2026, 1, 9), position).first, (Sums{{"a", 255}, {"b", 1000}, {"c", 5000}}));
  EXPECT_EQ(Cut(CD(2026, 1, 1), 0).first, Sums{});
}

// Each stream is a row of its own; events applied but not committed are not seen.
TEST_F(ViewStoreTest, StreamsAreRowsOfTheirOwnAndUncommittedEventsAreNotSeen) {
  ViewWriter writer(views_.get(), &rows_, 1, 1 << 20);
  ASSERT_TRUE(writer.Apply(At(1, CD(2026, 1, 10), "a", 100)).ok());
  ASSERT_TRUE(writer.Apply(At(2, CD(2026, 1, 8), "b", 30)).ok());
  ASSERT_TRUE(writer.Commit(2, kHash).ok());
  ASSERT_TRUE(writer.Apply(At(3, CD(2026, 1, 1), "b", 1)).ok());  // pending, never committed
  EXPECT_EQ(Cut(std::nullopt, 3), std::make_pair(Sums{{"a", 100}, {"b", 30}}, uint64_t{2}));
  EXPECT_EQ(Cut(CD(2026, 1, 9), 2).first, (Sums{{"b", 30}}));
  writer.Abandon();
  EXPECT_EQ(views_->CountRows("sums").value(), 2u);
}

TEST_F(ViewStoreTest, ARebuildWritesANewGenerationAndSwitchesInOneBatch) {
  {
    ViewWriter first(views_.get(), &rows_, 1, 1 << 20);
    ASSERT_TRUE(first.Apply(At(1, CD(2026, 1, 10), "a", 100)).ok());
    ASSERT_TRUE(first.Commit(1, kHash).ok());
  }
  ViewWriter second(views_.get(), &rows_, 2, 1 << 20);
  ASSERT_TRUE(second.Apply(At(1, CD(2026, 1, 10), "a", 100)).ok());
  ASSERT_TRUE(second.CommitRows().ok());
  ASSERT_TRUE(second.Apply(At(2, CD(2026, 1, 11), "a", 5)).ok());
  // Until the switch, readers see generation 1.
  EXPECT_EQ(views_->LoadCheckpoint("sums").value()->generation, 1u);
  EXPECT_EQ(Cut(std::nullopt, 2).first, (Sums{{"a", 100}}));
  ASSERT_TRUE(second.CommitAndSwitch(2, kHash).ok());
  const ViewCheckpoint checkpoint = *views_->LoadCheckpoint("sums").value();
  EXPECT_EQ(checkpoint.generation, 2u);
  EXPECT_EQ(checkpoint.position, 2u);
  EXPECT_EQ(Cut(std::nullopt, 2).first, (Sums{{"a", 105}}));
  EXPECT_EQ(views_->CountRows("sums").value(), 2u);  // generation 1's row is gone
}

TEST_F(ViewStoreTest, AStoreOfAnotherFormatIsWipedNeverRead) {
  {
    ViewWriter writer(views_.get(), &rows_, 1, 1 << 20);
    ASSERT_TRUE(writer.Apply(At(1, CD(2026, 1, 10), "a", 100)).ok());
    ASSERT_TRUE(writer.Commit(1, kHash).ok());
  }
  views_.reset();
  {
    // Every column family the store has must be opened to write into it.
    std::vector<std::string> names;
    ASSERT_TRUE(
        rocksdb::DB::ListColumnFamilies(rocksdb::Options(), dir_.sub("views"), &names).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    for (const std::string& name : names)
      families.emplace_back(name, rocksdb::ColumnFamilyOptions());
    rocksdb::DB* db = nullptr;
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    ASSERT_TRUE(
        rocksdb::DB::Open(rocksdb::Options(), dir_.sub("views"), families, &handles, &db).ok());
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), std::string("\0f", 2), "sixhearts-views 0").ok());
    for (rocksdb::ColumnFamilyHandle* h : handles) db->DestroyColumnFamilyHandle(h);
    delete db;
  }
  Open();
  ASSERT_EQ(log_.size(), 1u);
  EXPECT_NE(log_[0].find("is of format 'sixhearts-views 0', not 'sixhearts-views 3'"),
            std::string::npos)
      << log_[0];
  EXPECT_EQ(views_->LoadCheckpoint("sums").value(), std::nullopt);
  EXPECT_EQ(Cut(std::nullopt, 1), std::make_pair(Sums{}, uint64_t{0}));
}

// ------------------------------------------------------------------ engine, stored views

AsOf Day(absl::CivilDay day) {
  AsOf as_of;
  as_of.business_day = day;
  return as_of;
}

class StoredEngineTest : public ViewStoreTest {
 protected:
  StoredEngineTest() : clock_(absl::FromUnixSeconds(1'767'225'600)) {}  // 2026-01-01T00:00Z
  void OpenStore() {
    ledger::EventStoreOptions options;
    options.data_dir = dir_.sub("ledger");
    options.clock = &clock_;
    store_ = *ledger::EventStore::Open(options);
  }
  void StartEngine() {
    auto engine =
        ProjectionEngine::StartStored(store_.get(), views_.get(), std::make_shared<SumsRows>());
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = *std::move(engine);
  }
  // Invoice i of amount 100 * i on stream "sums-42", occurred on 2026-01-(i).
  void AppendInvoices(int from, int to) {
    for (int i = from; i <= to; ++i) {
      auto e = InvoiceIssued(100 + i, "42", "INV-" + std::to_string(i), 100 * i, D(2026, 1, i),
                             D(2026, 2, i));
      e.set_stream("sums-42");
      ASSERT_TRUE(store_->Append(Batch({e}), "test").ok());
      clock_.Advance(absl::Hours(1));
    }
  }
  std::pair<int64_t, uint64_t> Read(const AsOf& as_of) {
    std::pair<int64_t, uint64_t> seen{-1, 0};
    absl::Status s = engine_->Read(as_of, [&](const Fold& fold, uint64_t position) {
      const auto& sums = static_cast<const SumsFold&>(fold).sums;
      seen = {sums.contains("sums-42") ? sums.at("sums-42") : 0, position};
      return absl::OkStatus();
    });
    EXPECT_TRUE(s.ok()) << s;
    return seen;
  }

  ledger::ManualClock clock_;
  std::unique_ptr<ledger::EventStore> store_;
  std::unique_ptr<ProjectionEngine> engine_;
};

TEST_F(StoredEngineTest, MigratesAWholeFoldBlobRestartsWithoutRebuildingAndRebuilds) {
  OpenStore();
  AppendInvoices(1, 4);  // 100 + 200 + 300 + 400 = 1,000 at position 4
  // What an older ledgerd saved: a whole-fold blob, which must not be read.
  ASSERT_TRUE(store_->SaveProjection("sums", 4, "not rows").ok());
  StartEngine();
  EXPECT_EQ(store_->LoadProjection("sums").value(), std::nullopt);
  EXPECT_EQ(Read({}), std::make_pair(int64_t{1000}, uint64_t{4}));
  AppendInvoices(5, 5);  // + 500, live
  ASSERT_TRUE(engine_->WaitFor(5, absl::Seconds(5)));
  EXPECT_EQ(engine_->status().saved_position, 5u);
  EXPECT_EQ(Read(Day(CD(2026, 1, 2))), std::make_pair(int64_t{300}, uint64_t{5}));

  engine_.reset();
  StartEngine();  // from the checkpoint: nothing to rebuild
  EXPECT_EQ(engine_->status().position, 5u);
  EXPECT_EQ(views_->LoadCheckpoint("sums").value()->generation, 1u);
  EXPECT_EQ(Read(Day(CD(2026, 1, 3))), std::make_pair(int64_t{600}, uint64_t{5}));
  auto rebuilt = engine_->Rebuild();
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
  EXPECT_EQ(*rebuilt, 5u);
  EXPECT_EQ(views_->LoadCheckpoint("sums").value()->generation, 2u);
  EXPECT_EQ(Read({}), std::make_pair(int64_t{1500}, uint64_t{5}));
  EXPECT_EQ(views_->CountRows("sums").value(), 5u);
}

// A view whose log was replaced under it (another data directory, e.g. one restored from
// a backup of another ledger, with as many events or more) is rebuilt, never followed.
TEST_F(StoredEngineTest, AViewBuiltFromAnotherLogIsRebuilt) {
  OpenStore();
  AppendInvoices(1, 3);  // 100 + 200 + 300 at position 3
  StartEngine();
  EXPECT_EQ(Read({}), std::make_pair(int64_t{600}, uint64_t{3}));
  engine_.reset();
  store_.reset();

  std::filesystem::remove_all(dir_.sub("ledger"));
  OpenStore();
  AppendInvoices(4, 7);  // 400 + 500 + 600 + 700 at positions 1..4
  StartEngine();
  EXPECT_EQ(views_->LoadCheckpoint("sums").value()->generation, 2u);
  EXPECT_EQ(Read({}), std::make_pair(int64_t{2200}, uint64_t{4}));
  EXPECT_EQ(Read(Day(CD(2026, 1, 5))), std::make_pair(int64_t{900}, uint64_t{4}));
}

}  // namespace
}  // namespace sixhearts::services::projection
