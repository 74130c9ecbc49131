// The event store against a real RocksDB in a temporary directory: append, idempotency,
// validation, expected versions, restart, verification, reads and subscriptions.
#include "ledger/event_store.h"

#include <openssl/sha.h>

#include <thread>

#include "absl/strings/escaping.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "gtest/gtest.h"
#include "ledger/audit_export.h"
#include "ledger/format.h"
#include "ledger/subscription.h"
#include "rocksdb/db.h"
#include "tests/testing/raw_log.h"
#include "tests/testing/test_events.h"

namespace sixhearts::ledger {
namespace {

using ::sixhearts::testing::Batch;
using ::sixhearts::testing::ClientRegistered;
using ::sixhearts::testing::D;
using ::sixhearts::testing::Expect;
using ::sixhearts::testing::Interaction;
using ::sixhearts::testing::InvoiceIssued;
using ::sixhearts::testing::PaymentReceived;
using ::sixhearts::testing::TempDir;
using ::sixhearts::testing::Uuid;

const absl::Time kStart = absl::FromUnixSeconds(1'780'000'000);  // 2026-05-28

class EventStoreTest : public ::testing::Test {
 protected:
  EventStoreTest() : clock_(kStart) { Reopen(); }

  void Reopen() {
    store_.reset();
    EventStoreOptions options;
    options.data_dir = dir_.sub("ledger");
    options.clock = &clock_;
    options.limits = limits_;
    auto opened = EventStore::Open(options);
    ASSERT_TRUE(opened.ok()) << opened.status();
    store_ = std::move(*opened);
  }

  v1::AppendResponse MustAppend(const v1::AppendRequest& request) {
    auto result = store_->Append(request, "alice");
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : v1::AppendResponse();
  }

  std::vector<v1::Event> ReadAll() {
    auto page = store_->ReadLog(0, false, 0, {});
    EXPECT_TRUE(page.ok()) << page.status();
    return page.ok() ? page->events : std::vector<v1::Event>{};
  }

  TempDir dir_;
  ManualClock clock_;
  Limits limits_;
  std::unique_ptr<EventStore> store_;
};

TEST_F(EventStoreTest, AppendAssignsPositionsVersionsAndServerFields) {
  v1::Event forged = ClientRegistered(1, "42");
  forged.set_position(99);
  forged.set_actor("mallory");
  forged.mutable_recorded_at()->set_seconds(1);
  auto response = MustAppend(
      Batch({forged, InvoiceIssued(2, "42", "INV-1", 100'000), ClientRegistered(3, "7")}));
  EXPECT_EQ(response.positions(0), 1u);
  EXPECT_EQ(response.positions(1), 2u);
  EXPECT_EQ(response.positions(2), 3u);
  EXPECT_EQ(response.stream_versions(0), 1u);  // client-42 v1
  EXPECT_EQ(response.stream_versions(1), 2u);  // client-42 v2
  EXPECT_EQ(response.stream_versions(2), 1u);  // client-7 v1
  EXPECT_FALSE(response.duplicate());

  auto events = ReadAll();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].position(), 1u);
  EXPECT_EQ(events[0].actor(), "alice");  // the caller's "mallory" is ignored
  EXPECT_EQ(events[0].recorded_at().seconds(), absl::ToUnixSeconds(kStart));
  EXPECT_EQ(events[0].hash().size(), 32u);
  EXPECT_EQ(store_->head().position, 3u);
  EXPECT_EQ(store_->head().hash, events[2].hash());
  EXPECT_EQ(*store_->StreamVersion("client-42"), 2u);
  EXPECT_EQ(*store_->StreamVersion("client-4"), 0u);  // a prefix of client-42 is no stream
}

TEST_F(EventStoreTest, RetryReturnsOriginalPositionsAndWritesNothing) {
  auto request = Batch({ClientRegistered(1, "42"), InvoiceIssued(2, "42", "INV-1", 500)});
  auto first = MustAppend(request);
  const std::string head_hash = store_->head().hash;
  clock_.Advance(absl::Hours(1));
  // A retry with an expected version that no longer holds is still a duplicate.
  Expect(&request, "client-42", v1::ExpectedVersion::KIND_NO_STREAM);
  auto again = MustAppend(request);
  EXPECT_TRUE(again.duplicate());
  EXPECT_EQ(again.positions(0), 1u);
  EXPECT_EQ(again.positions(1), 2u);
  EXPECT_EQ(again.recorded_at().seconds(), first.recorded_at().seconds());
  EXPECT_EQ(store_->head().position, 2u);
  EXPECT_EQ(store_->head().hash, head_hash);

  // Also across a restart.
  Reopen();
  auto after_restart = MustAppend(request);
  EXPECT_TRUE(after_restart.duplicate());
  EXPECT_EQ(after_restart.positions(1), 2u);
  EXPECT_EQ(store_->head().position, 2u);
}

TEST_F(EventStoreTest, ReusedIdWithOtherContentOrMixedBatchIsRefused) {
  MustAppend(Batch({ClientRegistered(1, "42")}));
  v1::Event other = ClientRegistered(1, "42");
  other.mutable_client_registered()->set_name("Another name");
  auto changed = store_->Append(Batch({other}), "alice");
  EXPECT_EQ(changed.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(
      std::string(changed.status().message()),
      "events[0].event_id: " + Uuid(1) + " is already stored at position 1 with different content");

  auto mixed =
      store_->Append(Batch({ClientRegistered(1, "42"), ClientRegistered(2, "9")}), "alice");
  EXPECT_EQ(mixed.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(store_->head().position, 1u);
}

TEST_F(EventStoreTest, OneBadEventWritesNothingAndNamesTheField) {
  MustAppend(Batch({ClientRegistered(1, "42")}));
  auto bad = InvoiceIssued(3, "42", "INV-2", 100, D(2026, 3, 1), D(2026, 2, 1));
  auto result = store_->Append(Batch({InvoiceIssued(2, "42", "INV-1", 100), bad}), "alice");
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(result.status().message()),
            "events[1].invoice_issued.due_date: 2026-02-01 is before issue_date 2026-03-01");
  EXPECT_EQ(store_->head().position, 1u);
  EXPECT_EQ(*store_->StreamVersion("client-42"), 1u);
  // The good event of the rejected batch can be appended on its own later.
  EXPECT_EQ(MustAppend(Batch({InvoiceIssued(2, "42", "INV-1", 100)})).positions(0), 2u);
}

struct ValidationCase {
  std::string name;
  v1::Event event;
  absl::StatusCode code;
  std::string message;
};

TEST_F(EventStoreTest, ValidationNamesTheEventIndexAndField) {
  MustAppend(Batch({ClientRegistered(1, "42"), InvoiceIssued(2, "42", "INV-1", 10'000)}));
  std::vector<ValidationCase> cases;
  {
    auto e = InvoiceIssued(10, "42", "INV-9", 100);
    e.mutable_invoice_issued()->mutable_amount()->set_currency("XYZ");
    cases.push_back({"unknown currency", e, absl::StatusCode::kInvalidArgument,
                     "events[0].invoice_issued.amount.currency: unknown currency \"XYZ\" "
                     "(ISO 4217, upper case)"});
  }
  {
    auto e = InvoiceIssued(10, "42", "INV-9", 0);
    cases.push_back({"zero amount", e, absl::StatusCode::kInvalidArgument,
                     "events[0].invoice_issued.amount.amount_minor: must be positive, got 0"});
  }
  {
    auto e = InvoiceIssued(10, "42", "INV-9", 100);
    *e.mutable_invoice_issued()->mutable_due_date() = D(2026, 2, 30);
    cases.push_back({"invalid date", e, absl::StatusCode::kInvalidArgument,
                     "events[0].invoice_issued.due_date: not a valid date: 2026-02-30"});
  }
  cases.push_back({"allocation above payment", PaymentReceived(10, "42", "P-1", 100, "INV-1", 101),
                   absl::StatusCode::kInvalidArgument,
                   "events[0].payment_received.allocations: allocations sum to 101, above the "
                   "payment amount 100"});
  cases.push_back({"allocation to unknown invoice",
                   PaymentReceived(10, "42", "P-1", 100, "INV-404", 100),
                   absl::StatusCode::kInvalidArgument,
                   "events[0].payment_received.allocations[0].invoice_id: no invoice "
                   "\"INV-404\" in stream client-42"});
  cases.push_back({"allocation to another client's invoice",
                   PaymentReceived(10, "7", "P-1", 100, "INV-1", 100),
                   absl::StatusCode::kInvalidArgument,
                   "events[0].payment_received.allocations[0].invoice_id: no invoice "
                   "\"INV-1\" in stream client-7"});
  cases.push_back({"allocation in another currency",
                   PaymentReceived(10, "42", "P-1", 100, "INV-1", 100, D(2026, 2, 1), "USD"),
                   absl::StatusCode::kInvalidArgument,
                   "events[0].payment_received.allocations[0].invoice_id: currency USD differs "
                   "from the invoice's currency CNY"});
  cases.push_back({"duplicate invoice id", InvoiceIssued(10, "42", "INV-1", 100),
                   absl::StatusCode::kAlreadyExists,
                   "events[0].invoice_issued.invoice_id: invoice \"INV-1\" already exists in "
                   "stream client-42 (position 2)"});
  {
    auto e = sixhearts::testing::Envelope(10, "42");
    auto* p = e.mutable_promise_to_pay_made();
    p->set_promise_id("PTP-1");
    *p->mutable_amount() = sixhearts::testing::Money(-5);
    *p->mutable_promised_date() = D(2026, 3, 1);
    cases.push_back(
        {"negative promise", e, absl::StatusCode::kInvalidArgument,
         "events[0].promise_to_pay_made.amount.amount_minor: must be positive, got -5"});
  }
  {
    auto e = Interaction(10, "42", "X-1");
    e.mutable_interaction_logged()->add_hearts(v1::HEART_CARE);
    e.mutable_interaction_logged()->add_hearts(static_cast<v1::Heart>(9));
    cases.push_back({"bad heart", e, absl::StatusCode::kInvalidArgument,
                     "events[0].interaction_logged.hearts[1]: not a heart: 9"});
  }
  {
    auto e = ClientRegistered(10, "42");
    e.set_event_id("not-a-uuid");
    cases.push_back({"event id", e, absl::StatusCode::kInvalidArgument,
                     "events[0].event_id: not a UUID in 8-4-4-4-12 form: \"not-a-uuid\""});
  }
  {
    auto e = ClientRegistered(10, "42");
    e.set_stream("client 42");
    cases.push_back({"stream", e, absl::StatusCode::kInvalidArgument,
                     "events[0].stream: must be 1..128 characters of [A-Za-z0-9._:-], got "
                     "\"client 42\""});
  }
  {
    auto e = sixhearts::testing::Envelope(10, "42");
    cases.push_back({"no payload", e, absl::StatusCode::kInvalidArgument,
                     "events[0].payload: required: set one event type"});
  }
  for (const auto& c : cases) {
    auto result = store_->Append(Batch({c.event}), "alice");
    EXPECT_EQ(result.status().code(), c.code) << c.name << ": " << result.status();
    EXPECT_EQ(std::string(result.status().message()), c.message) << c.name;
  }
  EXPECT_EQ(store_->head().position, 2u);
}

TEST_F(EventStoreTest, ExpectedVersionMismatchIsAbortedWithBothVersions) {
  auto first = Batch({ClientRegistered(1, "42")});
  Expect(&first, "client-42", v1::ExpectedVersion::KIND_NO_STREAM);
  MustAppend(first);

  auto again = Batch({Interaction(2, "42", "X-1")});
  Expect(&again, "client-42", v1::ExpectedVersion::KIND_NO_STREAM);
  auto result = store_->Append(again, "alice");
  EXPECT_EQ(result.status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(std::string(result.status().message()),
            "stream client-42: expected no stream, actual version 1");

  auto exact = Batch({Interaction(2, "42", "X-1")});
  Expect(&exact, "client-42", v1::ExpectedVersion::KIND_EXACT, 3);
  result = store_->Append(exact, "alice");
  EXPECT_EQ(result.status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(std::string(result.status().message()),
            "stream client-42: expected version 3, actual version 1");

  auto right = Batch({Interaction(2, "42", "X-1")});
  Expect(&right, "client-42", v1::ExpectedVersion::KIND_EXACT, 1);
  EXPECT_EQ(MustAppend(right).stream_versions(0), 2u);
}

TEST_F(EventStoreTest, ConcurrentWritersOnOneStreamEachVersionWonOnce) {
  MustAppend(Batch({ClientRegistered(1, "42")}));
  constexpr int kThreads = 8;
  constexpr int kAttempts = 40;
  std::atomic<uint64_t> next_id{1000};
  std::vector<std::vector<uint64_t>> won(kThreads);
  std::atomic<int> aborted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int a = 0; a < kAttempts; ++a) {
        const uint64_t version = *store_->StreamVersion("client-42");
        const uint64_t id = next_id++;
        auto request = Batch({Interaction(id, "42", "X-" + std::to_string(id))});
        Expect(&request, "client-42", v1::ExpectedVersion::KIND_EXACT, version);
        auto result = store_->Append(request, "writer");
        if (result.ok()) {
          ASSERT_EQ(result->stream_versions(0), version + 1);
          won[t].push_back(version + 1);
        } else {
          ASSERT_EQ(result.status().code(), absl::StatusCode::kAborted) << result.status();
          ++aborted;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  std::vector<uint64_t> all;
  for (const auto& w : won) all.insert(all.end(), w.begin(), w.end());
  std::sort(all.begin(), all.end());
  // Every winning version is distinct and they are exactly 2..N+1: one winner each.
  for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i], i + 2);
  EXPECT_EQ(all.size() + aborted.load(), static_cast<size_t>(kThreads * kAttempts));
  EXPECT_EQ(*store_->StreamVersion("client-42"), all.size() + 1);
  EXPECT_EQ(store_->head().position, all.size() + 1);
}

// The writer serializes the caller's fields before it knows the position, and merges its
// own in (format::MergeEventFields): the stored bytes must still be the deterministic
// serialization of the whole stamped event, personal data sealed, byte for byte.
TEST_F(EventStoreTest, StoredBytesAreTheDeterministicSerializationOfTheStampedEvent) {
  MustAppend(Batch({ClientRegistered(1, "42"), InvoiceIssued(2, "42", "INV-1", 100'000),
                    Interaction(3, "42", "X-1")}));
  std::vector<v1::Event> stored;
  ASSERT_TRUE(
      store_
          ->ForEachRecord(
              0, 0,
              [&](uint64_t position, std::string_view, std::string_view bytes) {
                v1::Event event;
                EXPECT_TRUE(event.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())));
                std::string canonical;
                {
                  google::protobuf::io::StringOutputStream out(&canonical);
                  google::protobuf::io::CodedOutputStream coded(&out);
                  coded.SetSerializationDeterministic(true);
                  event.SerializeToCodedStream(&coded);
                }
                EXPECT_EQ(absl::BytesToHexString(canonical),
                          absl::BytesToHexString(absl::string_view(bytes.data(), bytes.size())))
                    << "position " << position;
                stored.push_back(std::move(event));
                return absl::OkStatus();
              })
          .ok());
  ASSERT_EQ(stored.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(stored[i].position(), i + 1);
    EXPECT_EQ(stored[i].stream_version(), i + 1);
    EXPECT_EQ(stored[i].previous_stream_position(), i);  // 0, then positions 1 and 2
    EXPECT_EQ(stored[i].actor(), "alice");
    EXPECT_EQ(stored[i].recorded_at().seconds(), absl::ToUnixSeconds(kStart));
    EXPECT_TRUE(stored[i].hash().empty());
  }
  // Sealed as stored: the client's name and the interaction's summary are not in the bytes.
  EXPECT_TRUE(stored[0].client_registered().name().empty());
  EXPECT_TRUE(stored[2].interaction_logged().summary().empty());
}

TEST(MergeEventFieldsTest, MergesInFieldNumberOrderAndRefusesAFieldInBoth) {
  v1::Event caller;
  caller.set_event_id("e");        // field 1
  caller.set_correlation_id("c");  // 8
  v1::Event stamp;
  stamp.set_position(7);  // 4
  stamp.set_actor("a");   // 7
  const auto merged =
      format::MergeEventFields(caller.SerializeAsString(), stamp.SerializeAsString());
  ASSERT_TRUE(merged.has_value());
  // 0a 01 'e' | 20 07 | 3a 01 'a' | 42 01 'c'
  EXPECT_EQ(absl::BytesToHexString(*merged),
            "0a016520073a016142016"
            "3");
  EXPECT_FALSE(format::MergeEventFields(caller.SerializeAsString(), caller.SerializeAsString()));
  EXPECT_FALSE(
      format::MergeEventFields("\x0a\x05"
                               "ab",
                               ""));  // 5 bytes announced, 2 left
}

// Retries of one batch racing with each other and with other appends, through the groups
// the writer stages while the one before is being written: the batch is stored once, every
// retry answers its positions, and the log stays one chain.
TEST_F(EventStoreTest, ConcurrentRetriesOfOneBatchStoreItOnce) {
  MustAppend(Batch({ClientRegistered(1, "42")}));
  const v1::AppendRequest shared =
      Batch({Interaction(2, "42", "X-2"), Interaction(3, "42", "X-3")});
  constexpr int kThreads = 8;
  constexpr int kAttempts = 25;
  std::atomic<int> written{0};
  std::atomic<int> duplicates{0};
  std::vector<std::vector<uint64_t>> answers(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int a = 0; a < kAttempts; ++a) {
        if (a % 5 == t % 5) {
          auto result = store_->Append(shared, "writer");
          ASSERT_TRUE(result.ok()) << result.status();
          (result->duplicate() ? duplicates : written)++;
          answers[t].push_back(result->positions(0));
          answers[t].push_back(result->positions(1));
        } else {
          const uint64_t id = 1000 + static_cast<uint64_t>(t * kAttempts + a);
          auto result =
              store_->Append(Batch({Interaction(id, "42", "X-" + std::to_string(id))}), "writer");
          ASSERT_TRUE(result.ok()) << result.status();
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(written.load(), 1);
  // Each thread sends the shared batch 5 times (a % 5 == t % 5): 40 in all.
  EXPECT_EQ(written.load() + duplicates.load(), kThreads * 5);
  std::vector<uint64_t> first;
  for (const auto& a : answers) {
    for (size_t i = 0; i < a.size(); i += 2) {
      if (first.empty()) first = {a[i], a[i + 1]};
      EXPECT_EQ(a[i], first[0]);
      EXPECT_EQ(a[i + 1], first[0] + 1);
    }
  }
  // 1 registration + 2 shared + 8 * 20 single events.
  EXPECT_EQ(store_->head().position, 163u);
  auto verify = store_->Verify(0, 0);
  ASSERT_TRUE(verify.ok());
  EXPECT_TRUE(verify->ok) << verify->problem;
  EXPECT_EQ(verify->checked, 163u);
  EXPECT_EQ(*store_->StreamVersion("client-42"), 163u);
}

TEST_F(EventStoreTest, RestartKeepsEveryEventAndTheChainHead) {
  for (int i = 0; i < 50; ++i) {
    // The first five register the five clients.
    MustAppend(
        Batch({i < 5 ? ClientRegistered(100 + i, std::to_string(i))
                     : Interaction(100 + i, std::to_string(i % 5), "X-" + std::to_string(i))}));
  }
  const Head before = store_->head();
  Reopen();
  const Head after = store_->head();
  EXPECT_EQ(after.position, 50u);
  EXPECT_EQ(after.hash, before.hash);
  EXPECT_EQ(after.recorded_at, before.recorded_at);
  auto verify = store_->Verify(0, 0);
  ASSERT_TRUE(verify.ok());
  EXPECT_TRUE(verify->ok) << verify->problem;
  EXPECT_EQ(verify->checked, 50u);
  EXPECT_EQ(verify->head_hash, after.hash);
  EXPECT_EQ(ReadAll().size(), 50u);
  EXPECT_EQ(*store_->StreamVersion("client-3"), 10u);
  EXPECT_EQ(MustAppend(Batch({Interaction(999, "3", "X-999")})).positions(0), 51u);
}

TEST_F(EventStoreTest, VerifyNamesAByteFlippedStraightInRocksDB) {
  for (int i = 0; i < 5; ++i) {
    // Event 0 registers the client.
    MustAppend(Batch({i == 0 ? ClientRegistered(100, "42")
                             : Interaction(100 + i, "42", "X-" + std::to_string(i))}));
  }
  store_.reset();
  {
    // Tamper as an attacker with file access would: rewrite position 3's value.
    testing::RewriteLogRecord(dir_.sub("ledger"), 3, [](std::string& value) {
      value[value.size() - 3] ^= 0x01;  // inside the summary text of the event
    });
  }
  Reopen();
  auto verify = store_->Verify(0, 0);
  ASSERT_TRUE(verify.ok());
  EXPECT_FALSE(verify->ok);
  EXPECT_EQ(verify->first_bad_position, 3u);
  EXPECT_EQ(verify->checked, 2u);
  EXPECT_TRUE(verify->problem.starts_with("hash mismatch")) << verify->problem;
  // A range that ends before the damage still verifies.
  EXPECT_TRUE(store_->Verify(1, 2)->ok);
}

// Computes the chain with OpenSSL's one-shot SHA256 over the stored bytes, as FORMAT.md
// states it, independently of format.cc.
std::string Sha256(const std::string& bytes) {
  unsigned char out[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), out);
  return std::string(reinterpret_cast<const char*>(out), sizeof(out));
}

TEST_F(EventStoreTest, ChainCommitsToLeafDigestsWithDomainPrefixes) {
  MustAppend(Batch({ClientRegistered(1, "42"), Interaction(2, "42", "X-1")}));
  std::string chain(32, '\0');
  uint64_t records = 0;
  ASSERT_TRUE(
      store_
          ->ForEachRecord(
              0, 0,
              [&](uint64_t position, std::string_view hash, std::string_view bytes) {
                const std::string leaf = Sha256(std::string(1, '\x00') + std::string(bytes));
                chain =
                    Sha256(std::string(1, '\x01') + chain + format::EncodeUint64(position) + leaf);
                EXPECT_EQ(absl::BytesToHexString(std::string(hash)), absl::BytesToHexString(chain))
                    << "position " << position;
                ++records;
                return absl::OkStatus();
              })
          .ok());
  EXPECT_EQ(records, 2u);
  EXPECT_EQ(store_->head().hash, chain);
}

TEST_F(EventStoreTest, EachEventNamesThePreviousPositionOfItsStream) {
  MustAppend(Batch({ClientRegistered(1, "42"), ClientRegistered(2, "7")}));
  MustAppend(Batch({Interaction(3, "42", "X-1")}));
  MustAppend(Batch({Interaction(4, "7", "X-1"), Interaction(5, "42", "X-2")}));
  std::vector<uint64_t> previous;
  for (const v1::Event& e : ReadAll()) previous.push_back(e.previous_stream_position());
  EXPECT_EQ(previous, (std::vector<uint64_t>{0, 0, 1, 2, 3}));
  // A caller cannot set it.
  v1::Event forged = Interaction(6, "42", "X-3");
  forged.set_previous_stream_position(1);
  EXPECT_EQ(MustAppend(Batch({forged})).positions(0), 6u);
  EXPECT_EQ(ReadAll().back().previous_stream_position(), 5u);
  Reopen();  // recovered from the streams family after a restart
  EXPECT_EQ(MustAppend(Batch({Interaction(7, "7", "X-2")})).positions(0), 7u);
  EXPECT_EQ(ReadAll().back().previous_stream_position(), 4u);
}

TEST_F(EventStoreTest, ADirectoryOfAnotherFormatVersionIsRefusedNamingBoth) {
  MustAppend(Batch({ClientRegistered(1, "42")}));
  store_.reset();
  {
    rocksdb::DB* raw = nullptr;
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    for (const char* name :
         {"default", "log", "streams", "ids", "entities", "projections", "snapshots"}) {
      families.emplace_back(name, rocksdb::ColumnFamilyOptions());
    }
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    ASSERT_TRUE(
        rocksdb::DB::Open(rocksdb::DBOptions(), dir_.sub("ledger"), families, &handles, &raw).ok());
    ASSERT_TRUE(raw->Put({}, handles[0], "format_version", "1").ok());
    for (auto* h : handles) raw->DestroyColumnFamilyHandle(h);
    delete raw;
  }
  EventStoreOptions options;
  options.data_dir = dir_.sub("ledger");
  auto opened = EventStore::Open(options);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(opened.status().message(),
            dir_.sub("ledger") +
                " holds ledger format 1; this build reads format 2 only (ledger/FORMAT.md "
                "\"Compatibility\")");
}

TEST_F(EventStoreTest, AuditExportListsOnlyTheClientsEventsAndEveryLeaf) {
  // Positions: 1 K42, 2 K7, 3 X42 (2026-01-05), 4 X7, 5 INV42 (03-02), 6 INV7 (03-03).
  MustAppend(Batch({ClientRegistered(1, "42")}));
  MustAppend(Batch({ClientRegistered(2, "7")}));
  MustAppend(Batch({Interaction(3, "42", "X-1")}));
  MustAppend(Batch({Interaction(4, "7", "X-1")}));
  MustAppend(Batch({InvoiceIssued(5, "42", "INV-1", 100, D(2026, 3, 2), D(2026, 4, 1))}));
  MustAppend(Batch({InvoiceIssued(6, "7", "INV-1", 100, D(2026, 3, 3), D(2026, 4, 2))}));
  AuditExportRequest request;
  request.client_id = "42";
  request.from = absl::CivilDay(2026, 3, 1);
  request.to = absl::CivilDay(2026, 3, 31);
  auto run = [&](uint64_t verified, v1::AuditHeader* header) {
    request.verified_position = verified;
    std::vector<std::string> rows;
    absl::Status s = ExportAudit(
        *store_, request,
        [&](const v1::AuditHeader& h) {
          *header = h;
          return absl::OkStatus();
        },
        [&](v1::AuditRecord& r) {
          if (!r.event_bytes().empty()) {
            EXPECT_EQ(r.leaf(), Sha256(std::string(1, '\x00') + r.event_bytes()));
          }
          rows.push_back(absl::StrCat(r.position(), r.event_bytes().empty() ? " leaf" : " event",
                                      r.in_period() ? " in-period" : ""));
          return absl::OkStatus();
        });
    EXPECT_TRUE(s.ok()) << s;
    return rows;
  };
  v1::AuditHeader header;
  // Without a verified head: from the first March event of client 42 to the head.
  EXPECT_EQ(run(0, &header), (std::vector<std::string>{"5 event in-period", "6 leaf"}));
  EXPECT_EQ(header.first_position(), 5u);
  EXPECT_EQ(header.head_position(), 6u);
  EXPECT_EQ(header.head_hash(), store_->head().hash);
  EXPECT_EQ(header.chain_format(), "2");
  auto fourth = store_->ReadLog(4, false, 1, {});
  EXPECT_EQ(header.anchor_hash(), fourth->events[0].hash());
  // From the auditor's verified head at 2: positions 3..6, client 42's events with bytes.
  EXPECT_EQ(run(2, &header),
            (std::vector<std::string>{"3 event", "4 leaf", "5 event in-period", "6 leaf"}));
  EXPECT_EQ(header.first_position(), 3u);

  request.to = absl::CivilDay(2026, 2, 28);
  request.from = absl::CivilDay(2026, 3, 1);
  absl::Status backwards = ExportAudit(
      *store_, request, [](const v1::AuditHeader&) { return absl::OkStatus(); },
      [](v1::AuditRecord&) { return absl::OkStatus(); });
  EXPECT_EQ(backwards.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(backwards.message(), "to: 2026-02-28 is before from 2026-03-01");
}

TEST_F(EventStoreTest, ReadsForwardBackwardByStreamAndFiltered) {
  MustAppend(Batch({ClientRegistered(1, "42"), ClientRegistered(2, "7"),
                    InvoiceIssued(3, "42", "INV-1", 100, D(2026, 1, 10), D(2026, 2, 9)),
                    InvoiceIssued(4, "7", "INV-1", 200, D(2026, 1, 20), D(2026, 2, 19)),
                    Interaction(5, "42", "X-1")}));
  auto backward = store_->ReadLog(0, true, 2, {});
  ASSERT_TRUE(backward.ok());
  ASSERT_EQ(backward->events.size(), 2u);
  EXPECT_EQ(backward->events[0].position(), 5u);
  EXPECT_EQ(backward->events[1].position(), 4u);

  v1::EventFilter invoices;
  invoices.add_types("InvoiceIssued");
  auto typed = store_->ReadLog(0, false, 0, invoices);
  ASSERT_EQ(typed->events.size(), 2u);
  EXPECT_EQ(typed->events[1].position(), 4u);

  v1::EventFilter prefix;
  prefix.set_stream_prefix("client-7");
  EXPECT_EQ(store_->ReadLog(0, false, 0, prefix)->events.size(), 2u);

  v1::EventFilter range;  // occurred in [2026-01-15, 2026-01-31)
  range.mutable_occurred_from()->set_seconds(1'768'435'200);
  range.mutable_occurred_to()->set_seconds(1'769'817'600);
  auto ranged = store_->ReadLog(0, false, 0, range);
  ASSERT_EQ(ranged->events.size(), 1u);
  EXPECT_EQ(ranged->events[0].invoice_issued().amount().amount_minor(), 200);

  auto stream = store_->ReadStream("client-42", 2, 0, {});
  ASSERT_EQ(stream->events.size(), 2u);
  EXPECT_EQ(stream->events[0].stream_version(), 2u);
  EXPECT_EQ(stream->events[1].position(), 5u);
  EXPECT_EQ(stream->scanned_to_version, 3u);

  v1::EventFilter unknown;
  unknown.add_types("InvoicePaid");
  EXPECT_EQ(ValidateFilter(unknown).code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(EventStoreTest, RecordedAtNeverGoesBackward) {
  MustAppend(Batch({ClientRegistered(1, "42")}));
  clock_.Advance(-absl::Hours(2));  // the system clock stepped back
  auto second = MustAppend(Batch({Interaction(2, "42", "X-1")}));
  EXPECT_EQ(second.recorded_at().seconds(), absl::ToUnixSeconds(kStart));
}

TEST_F(EventStoreTest, SubscriptionCatchesUpThenGoesLiveWithoutGapOrDuplicate) {
  for (int i = 0; i < 30; ++i) {
    // Event 0 registers the client.
    MustAppend(Batch({i == 0 ? ClientRegistered(100, "42")
                             : Interaction(100 + i, "42", "X-" + std::to_string(i))}));
  }
  auto sub = store_->Subscribe(10, {});
  ASSERT_TRUE(sub.ok());
  std::vector<uint64_t> seen;
  bool caught_up = false;
  std::thread writer([&] {
    for (int i = 30; i < 60; ++i) {
      MustAppend(Batch({Interaction(100 + i, "42", "X-" + std::to_string(i))}));
    }
  });
  while (seen.size() < 50) {
    auto batch = (*sub)->Next(absl::Seconds(5));
    ASSERT_TRUE(batch.ok()) << batch.status();
    caught_up = caught_up || batch->caught_up;
    for (const auto& e : batch->events) seen.push_back(e.position());
  }
  writer.join();
  EXPECT_TRUE(caught_up);
  for (size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], 11 + i);
}

TEST_F(EventStoreTest, SlowLiveSubscriberIsToldAndCanResume) {
  limits_.subscription_buffer_events = 4;
  Reopen();
  auto sub = store_->Subscribe(0, {});
  ASSERT_TRUE(sub.ok());
  auto first = (*sub)->Next(absl::Seconds(1));  // empty log: caught up at once
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(first->caught_up);
  for (int i = 0; i < 6; ++i) {
    // Event 0 registers the client.
    MustAppend(Batch({i == 0 ? ClientRegistered(100, "42")
                             : Interaction(100 + i, "42", "X-" + std::to_string(i))}));
  }
  // What was buffered before the overflow is still delivered, then the consumer is told.
  auto buffered = (*sub)->Next(absl::Seconds(1));
  ASSERT_TRUE(buffered.ok()) << buffered.status();
  EXPECT_EQ(buffered->events.size(), 4u);
  EXPECT_EQ(buffered->checkpoint_position, 4u);
  auto dropped = (*sub)->Next(absl::Seconds(1));
  EXPECT_EQ(dropped.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(std::string(dropped.status().message()),
            "subscription fell behind: more than subscription_buffer_events (4) events waited "
            "for this consumer at position 5; subscribe again with after_position=4");
  // Resuming from the checkpoint delivers 5 and 6 from the log.
  auto resumed = store_->Subscribe(4, {});
  auto batch = (*resumed)->Next(absl::Seconds(1));
  ASSERT_TRUE(batch.ok());
  ASSERT_EQ(batch->events.size(), 2u);
  EXPECT_EQ(batch->events[0].position(), 5u);
}

TEST_F(EventStoreTest, ShutdownEndsSubscriptionsAndRefusesAppends) {
  auto sub = store_->Subscribe(0, {});
  ASSERT_TRUE((*sub)->Next(absl::Seconds(1))->caught_up);
  store_->Shutdown();
  EXPECT_EQ((*sub)->Next(absl::Seconds(1)).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(store_->Append(Batch({ClientRegistered(1, "42")}), "alice").status().code(),
            absl::StatusCode::kUnavailable);
  sub->reset();
}

TEST_F(EventStoreTest, SubscriptionSlotsAreLimited) {
  limits_.max_subscriptions = 1;
  Reopen();
  auto first = store_->Subscribe(0, {});
  ASSERT_TRUE(first.ok());
  auto second = store_->Subscribe(0, {});
  EXPECT_EQ(second.status().code(), absl::StatusCode::kResourceExhausted);
  first->reset();
  EXPECT_TRUE(store_->Subscribe(0, {}).ok());
}

TEST_F(EventStoreTest, BatchLimitIsNamed) {
  limits_.max_batch_events = 2;
  Reopen();
  auto result = store_->Append(
      Batch({ClientRegistered(1, "1"), ClientRegistered(2, "2"), ClientRegistered(3, "3")}),
      "alice");
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(result.status().message()), "events: 3 events exceed max_batch_events (2)");
}

}  // namespace
}  // namespace sixhearts::ledger
