// EventStore::ForEachEventPipelined against a real RocksDB: the same events, in the same
// order, with the same hashes as the one-thread ForEachEvent, over ranges and filters that
// cross the hand-over batches, and an early stop that neither hangs nor runs on.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "ledger/event_store.h"
#include "ledger/event_types.h"
#include "tests/testing/test_events.h"

namespace sixhearts::ledger {
namespace {

using ::sixhearts::testing::ClientRegistered;
using ::sixhearts::testing::Interaction;
using ::sixhearts::testing::TempDir;

// 2,500 events: 2.4 hand-over batches of 1,024, alternating between two streams, so
// position p is in client-a when p is odd and client-b when p is even.
constexpr uint64_t kEvents = 2'500;

class EventScanTest : public ::testing::Test {
 protected:
  EventScanTest() : clock_(absl::FromUnixSeconds(1'780'000'000)) {
    static_assert(EventStore::kScanBatchEvents == 1024);
    EventStoreOptions options;
    options.data_dir = dir_.sub("ledger");
    options.clock = &clock_;
    auto opened = EventStore::Open(options);
    EXPECT_TRUE(opened.ok()) << opened.status();
    store_ = std::move(*opened);
    for (uint64_t first = 1; first <= kEvents; first += 500) {
      v1::AppendRequest request;
      for (uint64_t n = first; n < first + 500; ++n) {
        // Events 1 and 2 register the clients a and b.
        *request.add_events() =
            n <= 2 ? ClientRegistered(n, n % 2 == 1 ? "a" : "b")
                   : Interaction(n, n % 2 == 1 ? "a" : "b", "interaction-" + std::to_string(n));
      }
      auto appended = store_->Append(request, "alice");
      EXPECT_TRUE(appended.ok()) << appended.status();
    }
  }

  // Positions and hashes seen by one scan.
  struct Seen {
    std::vector<uint64_t> positions;
    std::vector<std::string> hashes;
  };

  Seen Scan(bool pipelined, uint64_t from, uint64_t to, const v1::EventFilter& filter) {
    Seen seen;
    auto collect = [&](const v1::Event& event) {
      seen.positions.push_back(event.position());
      seen.hashes.push_back(event.hash());
      return absl::OkStatus();
    };
    absl::Status s = pipelined ? store_->ForEachEventPipelined(from, to, filter, collect)
                               : store_->ForEachEvent(from, to, filter, collect);
    EXPECT_TRUE(s.ok()) << s;
    return seen;
  }

  TempDir dir_;
  ManualClock clock_;
  std::unique_ptr<EventStore> store_;
};

TEST_F(EventScanTest, WholeLogMatchesTheOneThreadScan) {
  const Seen pipelined = Scan(true, 0, 0, {});
  const Seen plain = Scan(false, 0, 0, {});
  ASSERT_EQ(pipelined.positions.size(), kEvents);
  for (uint64_t i = 0; i < kEvents; ++i) ASSERT_EQ(pipelined.positions[i], i + 1);
  EXPECT_EQ(pipelined.positions, plain.positions);
  EXPECT_EQ(pipelined.hashes, plain.hashes);
  EXPECT_EQ(pipelined.hashes.back(), store_->head().hash);
}

TEST_F(EventScanTest, RangeAndFilterAcrossBatches) {
  // [1000, 2100]: 1,101 events, crossing the first hand-over at the 1,024th.
  const Seen range = Scan(true, 1000, 2100, {});
  ASSERT_EQ(range.positions.size(), 1101u);
  EXPECT_EQ(range.positions.front(), 1000u);
  EXPECT_EQ(range.positions.back(), 2100u);

  // client-b holds the even positions: 1,250 of them, 2 .. 2,500.
  v1::EventFilter only_b;
  only_b.set_stream_prefix("client-b");
  const Seen b = Scan(true, 0, 0, only_b);
  ASSERT_EQ(b.positions.size(), 1250u);
  EXPECT_EQ(b.positions.front(), 2u);
  EXPECT_EQ(b.positions.back(), 2500u);
  EXPECT_EQ(b.positions, Scan(false, 0, 0, only_b).positions);

  // A range past the head ends at the head; an empty range calls nothing.
  EXPECT_EQ(Scan(true, 2400, 9999, {}).positions.size(), 101u);
  EXPECT_TRUE(Scan(true, 3000, 0, {}).positions.empty());
}

TEST_F(EventScanTest, AnErrorStopsTheScanAndIsReturned) {
  for (uint64_t stop_at : {1ull, 1024ull, 1500ull}) {
    uint64_t calls = 0;
    absl::Status s = store_->ForEachEventPipelined(0, 0, {}, [&](const v1::Event& event) {
      ++calls;
      if (event.position() == stop_at) return absl::CancelledError("enough");
      return absl::OkStatus();
    });
    EXPECT_EQ(s.code(), absl::StatusCode::kCancelled);
    EXPECT_EQ(calls, stop_at) << "the caller's function must not run after it failed";
  }
}

TEST_F(EventScanTest, TypeFilterSkipsOtherTypesBeforeParsing) {
  // 2,500 interactions at positions 1..2,500, then three invoices at 2,501..2,503.
  v1::AppendRequest invoices;
  for (uint64_t n = 1; n <= 3; ++n) {
    *invoices.add_events() =
        ::sixhearts::testing::InvoiceIssued(10'000 + n, "a", "inv-" + std::to_string(n), 100);
  }
  ASSERT_TRUE(store_->Append(invoices, "alice").ok());

  v1::EventFilter only_invoices;
  only_invoices.add_types("InvoiceIssued");
  const std::vector<uint64_t> expected = {2501, 2502, 2503};
  EXPECT_EQ(Scan(true, 0, 0, only_invoices).positions, expected);
  EXPECT_EQ(Scan(false, 0, 0, only_invoices).positions, expected);

  // The peek reads the payload's field number from the bytes without a parse.
  v1::Event event = ::sixhearts::testing::InvoiceIssued(1, "a", "inv-1", 100);
  event.set_position(7);
  event.set_actor("alice");
  EXPECT_EQ(PeekPayloadFieldNumber(event.SerializeAsString()), v1::Event::kInvoiceIssued);
  EXPECT_EQ(EventTypeNameOf(v1::Event::kInvoiceIssued), "InvoiceIssued");
  EXPECT_EQ(PayloadFieldNumber("InvoiceIssued"), v1::Event::kInvoiceIssued);
  EXPECT_EQ(PeekPayloadFieldNumber(v1::Event().SerializeAsString()), 0);
  EXPECT_EQ(PeekPayloadFieldNumber("\xff\xff"), 0);
}

}  // namespace
}  // namespace sixhearts::ledger
