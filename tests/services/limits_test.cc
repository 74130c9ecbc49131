// Limits over the real server (issue 6 item 5): each limit of ledger/limits.h that a
// client can run into, set low, and the status that names it.
#include "ledger/limits.h"

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "services/server.h"
#include "sixhearts/ledger/v1/event_store.grpc.pb.h"
#include "tests/testing/test_events.h"

namespace sixhearts::services {
namespace {

namespace v1 = ::sixhearts::ledger::v1;
using ::sixhearts::testing::Batch;
using ::sixhearts::testing::ClientRegistered;
using ::sixhearts::testing::Interaction;
using ::sixhearts::testing::TempDir;

class LimitsTest : public ::testing::Test {
 protected:
  void Start() {
    ServerOptions options;
    options.data_dir = dir_.sub("ledger");
    options.listen = "127.0.0.1:0";
    options.store.limits = limits_;
    auto server = LedgerServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    grpc::ChannelArguments arguments;
    // The client may send more than the server accepts, to see the server refuse it.
    arguments.SetMaxSendMessageSize(256 << 20);
    channel_ = grpc::CreateCustomChannel(server_->address(), grpc::InsecureChannelCredentials(),
                                         arguments);
    stub_ = v1::EventStore::NewStub(channel_);
  }

  grpc::Status Append(const v1::AppendRequest& request) {
    grpc::ClientContext context;
    v1::AppendResponse response;
    return stub_->Append(&context, request, &response);
  }

  // `count` interactions of client 1, each with a summary of `summary_bytes`.
  static v1::AppendRequest Interactions(int first, int count, size_t summary_bytes) {
    v1::AppendRequest request;
    if (first == 1) *request.add_events() = ClientRegistered(1, "1");
    for (int i = 0; i < count; ++i) {
      v1::Event event = Interaction(1000 + first + i, "1", absl::StrCat("I-", first + i));
      event.mutable_interaction_logged()->set_summary(std::string(summary_bytes, 'x'));
      *request.add_events() = event;
    }
    return request;
  }

  TempDir dir_;
  ledger::Limits limits_;
  std::unique_ptr<LedgerServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::EventStore::Stub> stub_;
};

TEST_F(LimitsTest, MaxMessageBytes) {
  limits_.max_message_bytes = 64 * 1024;
  Start();
  // 30 events of 4,000-byte summaries: about 121 kB on the wire.
  grpc::Status status = Append(Interactions(1, 30, 4000));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  // gRPC's own words; 65536 is max_message_bytes.
  EXPECT_TRUE(absl::StrContains(status.error_message(), "larger than max"))
      << status.error_message();
  EXPECT_TRUE(absl::StrContains(status.error_message(), "vs. 65536)")) << status.error_message();
  EXPECT_EQ(server_->store()->head().position, 0u);
  EXPECT_TRUE(Append(Interactions(1, 10, 4000)).ok());  // about 40 kB fits
}

TEST_F(LimitsTest, MaxBatchEvents) {
  limits_.max_batch_events = 3;
  Start();
  grpc::Status status = Append(Batch({ClientRegistered(1, "1"), ClientRegistered(2, "2"),
                                      ClientRegistered(3, "3"), ClientRegistered(4, "4")}));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "events: 4 events exceed max_batch_events (3)");
  EXPECT_EQ(server_->store()->head().position, 0u);
}

// A read asks for any number of events; the server streams them in pages of at most
// max_read_events, so one read never holds more than a page in memory.
TEST_F(LimitsTest, MaxReadEventsIsThePageSize) {
  limits_.max_read_events = 2;
  Start();
  ASSERT_TRUE(Append(Interactions(1, 4, 10)).ok());  // positions 1..5
  grpc::ClientContext context;
  v1::ReadLogRequest request;
  auto reader = stub_->ReadLog(&context, request);
  std::vector<int> page_sizes;
  v1::ReadResponse page;
  while (reader->Read(&page)) page_sizes.push_back(page.events_size());
  ASSERT_TRUE(reader->Finish().ok());
  EXPECT_EQ(page_sizes, (std::vector<int>{2, 2, 1}));
}

TEST_F(LimitsTest, MaxSubscriptions) {
  // The three projection engines (receivables, relationships, compliance) hold one
  // subscription each.
  limits_.max_subscriptions = 4;
  Start();
  // The followers subscribe from their own threads; wait for all three.
  for (int i = 0; i < 500 && server_->store()->open_subscriptions() < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(server_->store()->open_subscriptions(), 3u);
  grpc::ClientContext first_context;
  auto first = stub_->Subscribe(&first_context, v1::SubscribeRequest());
  v1::SubscribeResponse response;
  ASSERT_TRUE(first->Read(&response));  // caught up: the last slot is taken
  EXPECT_TRUE(response.caught_up());

  grpc::ClientContext second_context;
  auto second = stub_->Subscribe(&second_context, v1::SubscribeRequest());
  EXPECT_FALSE(second->Read(&response));
  grpc::Status status = second->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(status.error_message(), "more than max_subscriptions (4) subscriptions are open");
  first_context.TryCancel();
  (void)first->Finish();
}

// Two reads whose clients do not read hold both in-flight slots; a third call is refused
// before any handler runs, and is served again once the reads end.
TEST_F(LimitsTest, MaxInFlightRequests) {
  limits_.max_in_flight_requests = 2;
  Start();
  // 10,000 events of 4,000-byte summaries: about 40 MB, more than the client's windows
  // and socket buffers take, so the server's writers wait for a client that does not read.
  for (int first = 1; first <= 10000; first += 100) {
    ASSERT_TRUE(Append(Interactions(first, 100, 4000)).ok());
  }
  grpc::ClientContext read1, read2;
  auto reader1 = stub_->ReadLog(&read1, v1::ReadLogRequest());
  auto reader2 = stub_->ReadLog(&read2, v1::ReadLogRequest());
  v1::ReadResponse page;
  ASSERT_TRUE(reader1->Read(&page));  // both calls are running
  ASSERT_TRUE(reader2->Read(&page));
  EXPECT_EQ(server_->in_flight_requests(), 2u);

  grpc::ClientContext context;
  v1::DigestResponse digest;
  grpc::Status status = stub_->Digest(&context, v1::DigestRequest(), &digest);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(status.error_message(),
            "more than max_in_flight_requests (2) calls are in progress; retry with backoff");

  read1.TryCancel();
  read2.TryCancel();
  (void)reader1->Finish();
  (void)reader2->Finish();
  // The handlers notice the cancellation at their next page; give them a moment.
  grpc::Status after;
  for (int attempt = 0; attempt < 100; ++attempt) {
    grpc::ClientContext again;
    after = stub_->Digest(&again, v1::DigestRequest(), &digest);
    if (after.ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(after.ok()) << after.error_message();
  EXPECT_EQ(digest.head_position(), 10001u);
}

// Appends wait for the writer in a queue of at most max_pending_appends; 64 appends sent
// at once to a queue of 1 cannot all wait, and those refused say why.
TEST_F(LimitsTest, MaxPendingAppends) {
  limits_.max_pending_appends = 1;
  Start();
  ASSERT_TRUE(Append(Batch({ClientRegistered(1, "1")})).ok());
  constexpr int kAppends = 64;
  std::mutex mu;
  std::condition_variable cv;
  int done = 0, ok = 0, refused = 0;
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
  std::vector<v1::AppendRequest> requests(kAppends);
  std::vector<v1::AppendResponse> responses(kAppends);
  for (int i = 0; i < kAppends; ++i) {
    requests[i] = Batch({Interaction(100 + i, "1", absl::StrCat("P-", i))});
    contexts.push_back(std::make_unique<grpc::ClientContext>());
  }
  for (int i = 0; i < kAppends; ++i) {
    stub_->async()->Append(
        contexts[i].get(), &requests[i], &responses[i], [&](grpc::Status status) {
          std::lock_guard<std::mutex> lock(mu);
          if (status.ok()) {
            ++ok;
          } else if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED &&
                     status.error_message() ==
                         "more than max_pending_appends (1) appends are "
                         "waiting for the writer; retry later") {
            ++refused;
          }
          ++done;
          cv.notify_all();
        });
  }
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return done == kAppends; });
  EXPECT_EQ(ok + refused, kAppends);
  EXPECT_GE(ok, 1);
  EXPECT_GE(refused, 1);
  EXPECT_EQ(server_->store()->head().position, 1u + static_cast<uint64_t>(ok));
}

}  // namespace
}  // namespace sixhearts::services
