// The event store over a file system that fails writes, syncs or reads on command
// (tests/testing/faulty_file_system.h), and over damaged files: the append that hits a
// fault fails, later appends are refused until the store is reopened, nothing
// acknowledged is lost, the head never moves past what is stored, and a damaged or missing
// record is named by its position when it is read, by every read path, including scans
// that skip it by type without parsing it.
#include <filesystem>
#include <fstream>
#include <functional>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "ledger/event_store.h"
#include "ledger/format.h"
#include "ledger/subscription.h"
#include "rocksdb/db.h"
#include "tests/ledger/sync_gate.h"
#include "tests/testing/faulty_file_system.h"
#include "tests/testing/raw_log.h"
#include "tests/testing/test_events.h"

namespace sixhearts::ledger {
namespace {

using ::sixhearts::testing::Batch;
using ::sixhearts::testing::ClientRegistered;
using ::sixhearts::testing::FaultyFileSystem;
using ::sixhearts::testing::Interaction;
using ::sixhearts::testing::InvoiceIssued;
using ::sixhearts::testing::Outcome;
using ::sixhearts::testing::SyncGate;
using ::sixhearts::testing::TempDir;
namespace fs = std::filesystem;

// A filter that keeps invoices only: a scan with it skips interactions before parsing them.
v1::EventFilter OnlyInvoices() {
  v1::EventFilter filter;
  filter.add_types("InvoiceIssued");
  return filter;
}

// Reads pages from `from` as a client does, until the log ends or a page is refused: the
// positions served and the final status. A page ends before damage; the next is refused.
std::pair<std::vector<uint64_t>, absl::Status> ReadPages(const EventStore& store, uint64_t from,
                                                         bool backward,
                                                         const v1::EventFilter& filter) {
  std::vector<uint64_t> positions;
  uint64_t next = from;
  for (int pages = 0; pages < 100; ++pages) {
    auto page = store.ReadLog(next, backward, 0, filter);
    if (!page.ok()) return {positions, page.status()};
    for (const auto& event : page->events) positions.push_back(event.position());
    if (page->end || page->scanned_to_position == 0) break;
    if (backward && page->scanned_to_position == 1) break;
    next = backward ? page->scanned_to_position - 1 : page->scanned_to_position + 1;
  }
  return {positions, absl::OkStatus()};
}

class StorageFaultsTest : public ::testing::Test {
 protected:
  StorageFaultsTest()
      : faulty_(std::make_shared<FaultyFileSystem>()), gate_(std::make_shared<SyncGate>(faulty_)) {}

  absl::Status Reopen() {
    store_.reset();
    EventStoreOptions options;
    options.data_dir = dir_.sub("ledger");
    options.file_system = gate_;
    options.block_cache_bytes = block_cache_bytes_;
    auto opened = EventStore::Open(options);
    if (!opened.ok()) return opened.status();
    store_ = std::move(*opened);
    return absl::OkStatus();
  }

  absl::StatusOr<v1::AppendResponse> AppendOne(uint64_t id) {
    // Event 1 registers the client.
    return store_->Append(Batch({id == 1 ? ClientRegistered(id, "42")
                                         : Interaction(id, "42", "X-" + std::to_string(id))}),
                          "alice");
  }

  void AppendAcknowledged(uint64_t first_id, int n) {
    for (int i = 0; i < n; ++i) {
      auto r = AppendOne(first_id + i);
      ASSERT_TRUE(r.ok()) << r.status();
    }
  }

  // Every position 1..n holds interaction X-<first_id + position - 1> (event 1 is the
  // client's registration) and the chain verifies over exactly n records.
  void ExpectIntact(uint64_t n, uint64_t first_id = 1) {
    EXPECT_EQ(store_->head().position, n);
    auto page = store_->ReadLog(0, false, 0, {});
    ASSERT_TRUE(page.ok()) << page.status();
    ASSERT_EQ(page->events.size(), n);
    for (uint64_t p = 1; p <= n; ++p) {
      if (first_id + p - 1 == 1) {
        EXPECT_EQ(page->events[p - 1].client_registered().client_id(), "42");
        continue;
      }
      EXPECT_EQ(page->events[p - 1].interaction_logged().interaction_id(),
                "X-" + std::to_string(first_id + p - 1));
    }
    auto verify = store_->Verify(0, 0);
    ASSERT_TRUE(verify.ok()) << verify.status();
    EXPECT_TRUE(verify->ok) << verify->problem;
    EXPECT_EQ(verify->checked, n);
  }

  // Closes the store and calls `fn` with the data directory opened straight through
  // RocksDB and the handle of its `log` family, as an attacker or a broken disk controller
  // with file access would change it.
  void WithRawLog(const std::function<void(rocksdb::DB*, rocksdb::ColumnFamilyHandle*)>& fn) {
    store_.reset();
    testing::WithRawLog(dir_.sub("ledger"), fn);
  }

  // Replaces `from` by `to` (of the same length, so the event still parses) in the stored
  // record at `position`.
  void Rewrite(uint64_t position, const std::string& from, const std::string& to) {
    ASSERT_EQ(from.size(), to.size());
    WithRawLog([&](rocksdb::DB* raw, rocksdb::ColumnFamilyHandle* log) {
      std::string value;
      ASSERT_TRUE(raw->Get({}, log, format::PositionKey(position), &value).ok());
      const size_t at = value.find(from);
      ASSERT_NE(at, std::string::npos);
      value.replace(at, from.size(), to);
      ASSERT_TRUE(raw->Put({}, log, format::PositionKey(position), value).ok());
    });
  }

  // Positions of the events a scan hands over, and its status.
  struct Scanned {
    absl::Status status;
    std::vector<uint64_t> positions;
  };
  Scanned Scan(bool pipelined, uint64_t from, const v1::EventFilter& filter) {
    Scanned scanned;
    auto collect = [&](const v1::Event& event) {
      scanned.positions.push_back(event.position());
      return absl::OkStatus();
    };
    scanned.status = pipelined ? store_->ForEachEventPipelined(from, 0, filter, collect)
                               : store_->ForEachEvent(from, 0, filter, collect);
    return scanned;
  }

  TempDir dir_;
  std::shared_ptr<FaultyFileSystem> faulty_;
  std::shared_ptr<SyncGate> gate_;  // over faulty_
  std::unique_ptr<EventStore> store_;
  size_t block_cache_bytes_ = 64 << 20;
};

TEST_F(StorageFaultsTest, FailedWalWriteFailsTheAppendAndRefusesMoreUntilReopened) {
  ASSERT_TRUE(Reopen().ok());
  AppendAcknowledged(1, 5);
  const Head before = store_->head();

  faulty_->FailAfter(FaultyFileSystem::Op::kWrite, 0, ".log");
  auto failed = AppendOne(6);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable) << failed.status();
  EXPECT_TRUE(absl::StartsWith(failed.status().message(), "append: IO error: injected write fault"))
      << failed.status();
  EXPECT_GE(faulty_->injected(), 1);

  // The storage is healthy again, but the store does not know what reached the disk:
  // it refuses appends, naming the cause, and serves only what was acknowledged.
  faulty_->Heal();
  auto refused = AppendOne(7);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(absl::StartsWith(
      refused.status().message(),
      "appends are refused since a write failed (append: IO error: injected write fault"))
      << refused.status();
  EXPECT_NE(refused.status().message().find("restart ledgerd (reopen the store)"),
            std::string::npos);
  EXPECT_EQ(store_->head().position, 5u);
  EXPECT_EQ(store_->head().hash, before.hash);
  ExpectIntact(5);

  // Reopened: the five acknowledged events, the failed one not stored, appends again.
  ASSERT_TRUE(Reopen().ok());
  ExpectIntact(5);
  EXPECT_EQ(store_->head().hash, before.hash);
  auto retried = AppendOne(6);
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(retried->positions(0), 6u);
  EXPECT_FALSE(retried->duplicate());
  ExpectIntact(6);
}

TEST_F(StorageFaultsTest, FailedWalSyncFailsTheAppendAndARetryStoresItOnce) {
  ASSERT_TRUE(Reopen().ok());
  AppendAcknowledged(1, 3);
  faulty_->FailAfter(FaultyFileSystem::Op::kSync, 0, ".log");
  auto failed = AppendOne(4);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable) << failed.status();
  EXPECT_NE(failed.status().message().find("injected sync fault"), std::string::npos)
      << failed.status();
  // Not acknowledged, so not published: readers never see it.
  EXPECT_EQ(store_->head().position, 3u);
  EXPECT_FALSE(AppendOne(5).ok());

  faulty_->Heal();
  ASSERT_TRUE(Reopen().ok());
  // The write reached the file before its sync failed, so the reopened store may hold
  // it (a process crash keeps what the OS has). Either way the retry leaves exactly one.
  const uint64_t head = store_->head().position;
  EXPECT_TRUE(head == 3u || head == 4u) << head;
  auto retried = AppendOne(4);
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(retried->positions(0), 4u);
  EXPECT_EQ(retried->duplicate(), head == 4u);
  ExpectIntact(4);
}

// A retry that the writer resolves against an event staged in the same group is only as
// durable as that group: when the group's write fails, the retry fails with it instead of
// answering positions that were never written.
TEST_F(StorageFaultsTest, RetryResolvedInAFailedGroupFailsWithIt) {
  ASSERT_TRUE(Reopen().ok());
  AppendAcknowledged(1, 1);
  // Group 1 (event 2) waits in its WAL sync, after its WAL write, while the writer stages
  // event 3 and its retry into group 2, whose WAL write fails.
  gate_->HoldNextSync();
  Outcome second;
  store_->AppendAsync(Batch({Interaction(2, "42", "X-2")}), "alice", second.callback());
  gate_->AwaitHeld();
  faulty_->FailAfter(FaultyFileSystem::Op::kWrite, 0, ".log");
  Outcome third;
  Outcome retry;
  store_->AppendAsync(Batch({Interaction(3, "42", "X-3")}), "alice", third.callback());
  store_->AppendAsync(Batch({Interaction(3, "42", "X-3")}), "alice", retry.callback());
  absl::SleepFor(absl::Milliseconds(200));  // both are staged into group 2 meanwhile
  gate_->Release();

  auto written = second.Await();
  ASSERT_TRUE(written.ok()) << written.status();
  EXPECT_EQ(written->positions(0), 2u);
  for (Outcome* outcome : {&third, &retry}) {
    auto failed = outcome->Await();
    ASSERT_FALSE(failed.ok()) << "answered positions " << failed->positions(0) << ", duplicate "
                              << failed->duplicate();
    EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable) << failed.status();
    EXPECT_TRUE(
        absl::StartsWith(failed.status().message(), "append: IO error: injected write fault"))
        << failed.status();
  }
  EXPECT_EQ(store_->head().position, 2u);

  // Reopened: event 3 was never stored; its retry stores it at position 3.
  faulty_->Heal();
  ASSERT_TRUE(Reopen().ok());
  ExpectIntact(2);
  auto stored = AppendOne(3);
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->positions(0), 3u);
  EXPECT_FALSE(stored->duplicate());
  ExpectIntact(3);
}

TEST_F(StorageFaultsTest, FullDiskIsResourceExhausted) {
  ASSERT_TRUE(Reopen().ok());
  AppendAcknowledged(1, 2);
  faulty_->FailAfter(FaultyFileSystem::Op::kWrite, 0, ".log", /*no_space=*/true);
  auto failed = AppendOne(3);
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kResourceExhausted) << failed.status();
  EXPECT_TRUE(absl::StartsWith(failed.status().message(),
                               "append: IO error: No space left on device: injected write fault"))
      << failed.status();
  faulty_->Heal();
  EXPECT_EQ(AppendOne(4).status().code(), absl::StatusCode::kResourceExhausted);
  ASSERT_TRUE(Reopen().ok());
  ExpectIntact(2);
}

TEST_F(StorageFaultsTest, OpenFailsWhileTheStorageFailsAndRecoversAfter) {
  ASSERT_TRUE(Reopen().ok());
  AppendAcknowledged(1, 4);
  store_.reset();
  faulty_->FailAfter(FaultyFileSystem::Op::kWrite, 0, "");
  absl::Status opened = Reopen();
  EXPECT_FALSE(opened.ok());
  EXPECT_EQ(opened.code(), absl::StatusCode::kUnavailable) << opened;
  EXPECT_NE(opened.message().find("injected write fault"), std::string::npos) << opened;
  faulty_->Heal();
  ASSERT_TRUE(Reopen().ok());
  ExpectIntact(4);
}

TEST_F(StorageFaultsTest, FailedTableReadIsAnErrorNamingThePositionNotADifferentAnswer) {
  ASSERT_TRUE(Reopen().ok());
  AppendAcknowledged(1, 20);
  // Closing flushes nothing by itself; a reopen replays the WAL into the memtable. Make
  // the records live in a table file: flush through RocksDB directly.
  WithRawLog([](rocksdb::DB* raw, rocksdb::ColumnFamilyHandle* log) {
    ASSERT_TRUE(raw->Flush(rocksdb::FlushOptions(), log).ok());
  });
  // No block cache: every read of a record goes to the table file.
  block_cache_bytes_ = 0;
  ASSERT_TRUE(Reopen().ok());
  faulty_->FailAfter(FaultyFileSystem::Op::kRead, 0, ".sst");
  auto page = store_->ReadLog(0, false, 0, {});
  ASSERT_FALSE(page.ok());
  EXPECT_EQ(page.status().code(), absl::StatusCode::kUnavailable) << page.status();
  EXPECT_TRUE(absl::StartsWith(page.status().message(),
                               "read log at position 1: IO error: injected "
                               "read fault"))
      << page.status();
  // A failed read says nothing about the chain: Verify fails with the error instead of
  // reporting the chain broken.
  auto verify = store_->Verify(0, 0);
  EXPECT_EQ(verify.status().code(), absl::StatusCode::kUnavailable) << verify.status();
  EXPECT_TRUE(absl::StartsWith(verify.status().message(),
                               "verify: read log at position 1: IO error: injected read fault"))
      << verify.status();

  faulty_->Heal();
  ExpectIntact(20);
}

// A record whose bytes were changed through RocksDB (a valid block checksum, a wrong
// value): every read path names its position instead of serving it.
TEST_F(StorageFaultsTest, RewrittenRecordIsNamedByEveryReadPath) {
  ASSERT_TRUE(Reopen().ok());
  AppendAcknowledged(1, 6);
  Rewrite(4, "X-4", "X-9");  // the interaction id: the event still parses
  ASSERT_TRUE(Reopen().ok());
  const std::string named = "the record at position 4 fails its chain hash";

  // Pages end before the damage; the next is refused.
  auto [forward_positions, forward] = ReadPages(*store_, 0, false, {});
  EXPECT_EQ(forward_positions, (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(forward.code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(absl::StartsWith(forward.message(), named)) << forward;
  // Reads that stop before the damage are served.
  auto before = store_->ReadLog(1, false, 3, {});
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_EQ(before->events.size(), 3u);

  auto [backward_positions, backward] = ReadPages(*store_, 0, true, {});
  EXPECT_EQ(backward_positions, (std::vector<uint64_t>{6, 5}));
  EXPECT_EQ(backward.code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(absl::StartsWith(backward.message(), named)) << backward;

  auto stream = store_->ReadStream("client-42", 0, 0, {});
  EXPECT_EQ(stream.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(absl::StartsWith(stream.status().message(), named)) << stream.status();

  // The projections' scans, on one thread and pipelined: they fold nothing past the damage.
  for (bool pipelined : {false, true}) {
    const Scanned scan = Scan(pipelined, 0, {});
    EXPECT_EQ(scan.status.code(), absl::StatusCode::kDataLoss);
    EXPECT_TRUE(absl::StartsWith(scan.status.message(), named)) << scan.status;
    EXPECT_EQ(scan.positions, (std::vector<uint64_t>{1, 2, 3})) << pipelined;
  }

  // A subscription's catch-up.
  auto subscription = store_->Subscribe(0, {});
  ASSERT_TRUE(subscription.ok()) << subscription.status();
  auto intact = (*subscription)->Next(absl::Seconds(1));
  ASSERT_TRUE(intact.ok()) << intact.status();
  EXPECT_EQ(intact->events.size(), 3u);
  EXPECT_EQ(intact->checkpoint_position, 3u);
  auto batch = (*subscription)->Next(absl::Seconds(1));
  EXPECT_EQ(batch.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(absl::StartsWith(batch.status().message(), named)) << batch.status();

  // Damage found, appends are refused (even a retry of the damaged event's batch), named.
  EXPECT_TRUE(absl::StartsWith(store_->damage().message(), named)) << store_->damage();
  auto retry = AppendOne(4);
  EXPECT_EQ(retry.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StartsWith(retry.status().message(),
                               "appends are refused: the log is damaged (" + named))
      << retry.status();

  auto verify = store_->Verify(0, 0);
  ASSERT_TRUE(verify.ok());
  EXPECT_FALSE(verify->ok);
  EXPECT_EQ(verify->first_bad_position, 4u);
}

// A byte flipped in a table file on disk: RocksDB's block checksum fails on read, and
// the error names the position the read was at and the file.
TEST_F(StorageFaultsTest, FlippedByteInATableFileIsNamedOnRead) {
  ASSERT_TRUE(Reopen().ok());
  AppendAcknowledged(1, 60);  // several table blocks; opening reads only the last
  WithRawLog([](rocksdb::DB* raw, rocksdb::ColumnFamilyHandle* log) {
    ASSERT_TRUE(raw->Flush(rocksdb::FlushOptions(), log).ok());  // the log family only
  });
  // The only table file is the log family's; flip a byte in its first data block.
  fs::path table;
  for (const auto& entry : fs::directory_iterator(dir_.sub("ledger"))) {
    if (entry.path().extension() == ".sst") table = entry.path();
  }
  ASSERT_FALSE(table.empty());
  {
    std::fstream file(table, std::ios::in | std::ios::out | std::ios::binary);
    file.seekg(100);
    char byte = 0;
    file.read(&byte, 1);
    byte ^= 0x40;
    file.seekp(100);
    file.write(&byte, 1);
  }
  ASSERT_TRUE(Reopen().ok());
  auto page = store_->ReadLog(0, false, 0, {});
  ASSERT_FALSE(page.ok());
  EXPECT_EQ(page.status().code(), absl::StatusCode::kDataLoss) << page.status();
  EXPECT_TRUE(absl::StartsWith(page.status().message(), "read log at position 1: Corruption: "))
      << page.status();
  EXPECT_NE(page.status().message().find(table.filename().string()), std::string::npos)
      << page.status();
  auto verify = store_->Verify(0, 0);
  ASSERT_TRUE(verify.ok());
  EXPECT_FALSE(verify->ok);
  EXPECT_EQ(verify->first_bad_position, 1u);
}

// Scans filtered by type skip the records of other types without parsing them, but still
// hash each one into the chain: a damaged skipped record is named, and so is a damaged
// record right after skipped ones, while a healthy filtered scan passes (event_scan_test).
class TypeFilteredScanTest : public StorageFaultsTest {
 protected:
  // 1 the client, 2-3 interactions, 4 an invoice, 5 an interaction, 6 an invoice; one stream.
  void AppendMixed() {
    ASSERT_TRUE(Reopen().ok());
    for (uint64_t id = 1; id <= 6; ++id) {
      v1::Event event = id == 4 || id == 6
                            ? InvoiceIssued(id, "42", "INV-" + std::to_string(id), 100)
                        : id == 1 ? ClientRegistered(id, "42")
                                  : Interaction(id, "42", "X-" + std::to_string(id));
      auto appended = store_->Append(Batch({event}), "alice");
      ASSERT_TRUE(appended.ok()) << appended.status();
    }
  }

  // Every scan of invoices from the start fails naming `position`, after handing over
  // exactly `before`.
  void ExpectNamed(uint64_t position, const std::vector<uint64_t>& before) {
    const std::string named =
        absl::StrCat("the record at position ", position, " fails its chain hash");
    for (bool pipelined : {false, true}) {
      const Scanned scan = Scan(pipelined, 0, OnlyInvoices());
      EXPECT_EQ(scan.status.code(), absl::StatusCode::kDataLoss) << pipelined;
      EXPECT_TRUE(absl::StartsWith(scan.status.message(), named)) << scan.status;
      EXPECT_EQ(scan.positions, before) << pipelined;
    }
    auto [positions, status] = ReadPages(*store_, 0, false, OnlyInvoices());
    EXPECT_EQ(positions, before);
    EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
    EXPECT_TRUE(absl::StartsWith(status.message(), named)) << status;
  }
};

TEST_F(TypeFilteredScanTest, HealthyLogScansTheInvoices) {
  AppendMixed();
  for (bool pipelined : {false, true}) {
    const Scanned scan = Scan(pipelined, 0, OnlyInvoices());
    ASSERT_TRUE(scan.status.ok()) << scan.status;
    EXPECT_EQ(scan.positions, (std::vector<uint64_t>{4, 6}));
  }
}

TEST_F(TypeFilteredScanTest, DamagedSkippedRecordIsNamed) {
  AppendMixed();
  Rewrite(2, "X-2", "X-7");
  ASSERT_TRUE(Reopen().ok());
  ExpectNamed(2, {});
  // A scan that starts after the damage chains from the stored hash of position 2.
  for (bool pipelined : {false, true}) {
    const Scanned scan = Scan(pipelined, 3, OnlyInvoices());
    ASSERT_TRUE(scan.status.ok()) << scan.status;
    EXPECT_EQ(scan.positions, (std::vector<uint64_t>{4, 6}));
  }
}

TEST_F(TypeFilteredScanTest, DamagedRecordRightAfterSkippedOnesIsNamed) {
  AppendMixed();
  Rewrite(4, "INV-4", "INV-7");
  ASSERT_TRUE(Reopen().ok());
  ExpectNamed(4, {});
}

TEST_F(TypeFilteredScanTest, DamagedSkippedRecordAfterAServedOneStopsTheScanThere) {
  AppendMixed();
  Rewrite(5, "X-5", "X-7");
  ASSERT_TRUE(Reopen().ok());
  ExpectNamed(5, {4});  // invoice 6 is never handed over
}

// A record deleted from the log (its indexes left): every read path names the gap.
TEST_F(StorageFaultsTest, MissingRecordIsAGapOnEveryReadPath) {
  ASSERT_TRUE(Reopen().ok());
  AppendAcknowledged(1, 6);
  WithRawLog([](rocksdb::DB* raw, rocksdb::ColumnFamilyHandle* log) {
    ASSERT_TRUE(raw->Delete({}, log, format::PositionKey(3)).ok());
  });
  ASSERT_TRUE(Reopen().ok());
  ASSERT_EQ(store_->head().position, 6u);
  const std::string named = "the log has a gap: position 3 is missing";
  auto expect_named = [&](const absl::Status& status) {
    EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << status;
    EXPECT_EQ(status.message(), named);
  };
  expect_named(ReadPages(*store_, 0, false, {}).second);
  expect_named(ReadPages(*store_, 0, true, {}).second);
  expect_named(store_->ReadStream("client-42", 0, 0, {}).status());
  for (bool pipelined : {false, true}) {
    expect_named(Scan(pipelined, 0, {}).status);
    expect_named(Scan(pipelined, 0, OnlyInvoices()).status);
    expect_named(Scan(pipelined, 4, {}).status);  // the record before the first is missing
  }
  // Reads that end before the gap are served.
  auto before = store_->ReadLog(1, false, 2, {});
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_EQ(before->events.size(), 2u);
  auto verify = store_->Verify(0, 0);
  ASSERT_TRUE(verify.ok()) << verify.status();
  EXPECT_FALSE(verify->ok);
  EXPECT_EQ(verify->first_bad_position, 3u);
}

}  // namespace
}  // namespace sixhearts::ledger
