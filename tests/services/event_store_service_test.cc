// Integration tests: the real gRPC server on a loopback port over a real RocksDB
// directory, called through generated stubs as other services would.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "ledger/merkle_tree.h"
#include "services/server.h"
#include "sixhearts/ledger/v1/event_store.grpc.pb.h"
#include "tests/testing/raw_call.h"
#include "tests/testing/test_events.h"

namespace sixhearts::services {
namespace {

namespace v1 = ::sixhearts::ledger::v1;
using ::sixhearts::testing::Batch;
using ::sixhearts::testing::ClientRegistered;
using ::sixhearts::testing::D;
using ::sixhearts::testing::Expect;
using ::sixhearts::testing::Interaction;
using ::sixhearts::testing::InvoiceIssued;
using ::sixhearts::testing::TempDir;

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override { StartServer(); }

  void StartServer(size_t subscription_buffer_events = 0) {
    ServerOptions options;
    options.data_dir = dir_.sub("ledger");
    options.listen = "127.0.0.1:0";
    if (subscription_buffer_events != 0) {
      options.store.limits.subscription_buffer_events = subscription_buffer_events;
    }
    auto server = LedgerServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    channel_ = grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials());
    stub_ = v1::EventStore::NewStub(channel_);
  }

  grpc::Status Append(const v1::AppendRequest& request, v1::AppendResponse* response) {
    grpc::ClientContext context;
    return stub_->Append(&context, request, response);
  }

  // Sends `bytes` as the request of `method` (e.g. "/sixhearts.ledger.v1.EventStore/Append")
  // as they are, without a serializer in between.
  grpc::Status CallRaw(const std::string& method, const std::string& bytes) {
    return ::sixhearts::testing::CallRaw(channel_, method, bytes);
  }

  TempDir dir_;
  std::unique_ptr<LedgerServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::EventStore::Stub> stub_;
};

TEST_F(ServiceTest, HealthIsServingAfterRecovery) {
  auto health = grpc::health::v1::Health::NewStub(channel_);
  grpc::ClientContext context;
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  ASSERT_TRUE(health->Check(&context, request, &response).ok());
  EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);
}

TEST_F(ServiceTest, AppendReadAndStatusCodesOverGrpc) {
  v1::AppendResponse response;
  ASSERT_TRUE(
      Append(Batch({ClientRegistered(1, "42"), InvoiceIssued(2, "42", "INV-1", 9900)}), &response)
          .ok());
  EXPECT_EQ(response.positions(1), 2u);

  auto bad = Batch({InvoiceIssued(3, "42", "INV-2", 100, D(2026, 3, 1), D(2026, 2, 1))});
  grpc::Status status = Append(bad, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(),
            "events[0].invoice_issued.due_date: 2026-02-01 is before issue_date 2026-03-01");

  auto stale = Batch({Interaction(4, "42", "X-1")});
  Expect(&stale, "client-42", v1::ExpectedVersion::KIND_EXACT, 1);
  status = Append(stale, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_EQ(status.error_message(), "stream client-42: expected version 1, actual version 2");

  grpc::ClientContext context;
  v1::ReadLogRequest read;
  auto reader = stub_->ReadLog(&context, read);
  v1::ReadResponse page;
  std::vector<v1::Event> events;
  while (reader->Read(&page)) {
    for (const auto& e : page.events()) events.push_back(e);
  }
  ASSERT_TRUE(reader->Finish().ok());
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].actor(), "anonymous");
  EXPECT_EQ(events[1].invoice_issued().amount().amount_minor(), 9900);

  grpc::ClientContext digest_context;
  v1::DigestResponse digest;
  ASSERT_TRUE(stub_->Digest(&digest_context, {}, &digest).ok());
  EXPECT_EQ(digest.head_position(), 2u);
  EXPECT_EQ(digest.head_hash(), events[1].hash());

  grpc::ClientContext verify_context;
  v1::VerifyResponse verify;
  ASSERT_TRUE(stub_->Verify(&verify_context, {}, &verify).ok());
  EXPECT_TRUE(verify.ok());
  EXPECT_EQ(verify.checked(), 2u);
}

// A client event (relationship, money, promise, dispute, contract) needs the client of its
// stream, registered before it or earlier in the same batch; a refused batch stores nothing.
TEST_F(ServiceTest, AnEventOnAStreamWithNoClientRegisteredIsRefusedNamingTheStream) {
  auto digest_head = [&] {
    grpc::ClientContext context;
    v1::DigestResponse digest;
    EXPECT_TRUE(stub_->Digest(&context, {}, &digest).ok());
    return digest.head_position();
  };
  v1::AppendResponse response;
  grpc::Status status = Append(Batch({Interaction(1, "ghost", "X-1")}), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "events[0].stream: no client \"ghost\" in stream client-ghost");
  EXPECT_EQ(digest_head(), 0u);

  status = Append(Batch({InvoiceIssued(2, "ghost", "INV-1", 9900)}), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "events[0].stream: no client \"ghost\" in stream client-ghost");
  EXPECT_EQ(digest_head(), 0u);

  // The second event's stream has no client: the whole batch is refused, the first too.
  status = Append(Batch({ClientRegistered(3, "42"), Interaction(4, "43", "X-2")}), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "events[1].stream: no client \"43\" in stream client-43");
  EXPECT_EQ(digest_head(), 0u);

  // After its ClientRegistered in the same batch the interaction is valid.
  ASSERT_TRUE(Append(Batch({ClientRegistered(5, "ghost"), Interaction(6, "ghost", "X-1"),
                            InvoiceIssued(7, "ghost", "INV-1", 9900)}),
                     &response)
                  .ok());
  ASSERT_EQ(response.positions_size(), 3);
  EXPECT_EQ(response.positions(1), 2u);
  EXPECT_EQ(response.stream_versions(2), 3u);
  EXPECT_EQ(digest_head(), 3u);
}

TEST_F(ServiceTest, ReadLogStreamsManyPages) {
  // 2,500 events: more than two pages of max_read_events (1,000).
  v1::AppendRequest request;
  // The first ten register the ten clients the others are about.
  for (int i = 0; i < 2500; ++i) {
    *request.add_events() =
        i < 10 ? ClientRegistered(100 + i, std::to_string(i))
               : Interaction(100 + i, std::to_string(i % 10), "X-" + std::to_string(i));
  }
  v1::AppendResponse response;
  ASSERT_TRUE(Append(request, &response).ok());
  grpc::ClientContext context;
  v1::ReadLogRequest read;
  read.set_from_position(2);
  read.set_limit(2200);
  auto reader = stub_->ReadLog(&context, read);
  v1::ReadResponse page;
  uint64_t expected = 2;
  int pages = 0;
  while (reader->Read(&page)) {
    ++pages;
    for (const auto& e : page.events()) EXPECT_EQ(e.position(), expected++);
  }
  ASSERT_TRUE(reader->Finish().ok());
  EXPECT_EQ(expected, 2202u);  // positions 2..2201
  EXPECT_EQ(pages, 3);

  grpc::ClientContext stream_context;
  v1::ReadStreamRequest stream_read;
  stream_read.set_stream("client-3");
  stream_read.set_from_version(200);
  auto stream_reader = stub_->ReadStream(&stream_context, stream_read);
  int stream_events = 0;
  while (stream_reader->Read(&page)) stream_events += page.events_size();
  ASSERT_TRUE(stream_reader->Finish().ok());
  EXPECT_EQ(stream_events, 51);  // client-3 holds 250 events; versions 200..250
}

TEST_F(ServiceTest, ConcurrentWritersOverGrpcOneWinnerPerVersion) {
  v1::AppendResponse response;
  ASSERT_TRUE(Append(Batch({ClientRegistered(1, "42")}), &response).ok());
  constexpr int kClients = 6;
  constexpr int kRounds = 20;
  std::atomic<uint64_t> next_id{1000};
  std::mutex mu;
  std::vector<uint64_t> winners;
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&] {
      auto stub = v1::EventStore::NewStub(
          grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials()));
      for (int round = 0; round < kRounds; ++round) {
        grpc::ClientContext read_context;
        v1::ReadStreamRequest read;
        read.set_stream("client-42");
        auto reader = stub->ReadStream(&read_context, read);
        v1::ReadResponse page;
        uint64_t version = 0;
        while (reader->Read(&page)) {
          if (page.events_size() > 0) version = page.events().rbegin()->stream_version();
        }
        reader->Finish();
        const uint64_t id = next_id++;
        auto request = Batch({Interaction(id, "42", "X-" + std::to_string(id))});
        Expect(&request, "client-42", v1::ExpectedVersion::KIND_EXACT, version);
        grpc::ClientContext context;
        v1::AppendResponse r;
        grpc::Status s = stub->Append(&context, request, &r);
        if (s.ok()) {
          std::lock_guard lock(mu);
          winners.push_back(r.stream_versions(0));
        } else {
          EXPECT_EQ(s.error_code(), grpc::StatusCode::ABORTED);
        }
      }
    });
  }
  for (auto& t : clients) t.join();
  std::sort(winners.begin(), winners.end());
  for (size_t i = 0; i < winners.size(); ++i) EXPECT_EQ(winners[i], i + 2);
  EXPECT_GE(winners.size(), static_cast<size_t>(kRounds));  // every round someone wins
  EXPECT_EQ(server_->store()->head().position, winners.size() + 1);
}

// Follows a subscription from `after` until the checkpoint reaches `until` or the stream
// ends (20 s deadline, so a bug fails instead of hanging). Appends the positions
// received to `seen` and returns the final status.
grpc::Status Follow(v1::EventStore::Stub* stub, uint64_t after, uint64_t until,
                    std::vector<uint64_t>* seen, uint64_t* checkpoint) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  v1::SubscribeRequest request;
  request.set_after_position(after);
  auto reader = stub->Subscribe(&context, request);
  v1::SubscribeResponse message;
  *checkpoint = after;
  while (*checkpoint < until && reader->Read(&message)) {
    for (const auto& e : message.events()) seen->push_back(e.position());
    *checkpoint = message.checkpoint_position();
  }
  if (*checkpoint >= until) context.TryCancel();
  return reader->Finish();
}

TEST_F(ServiceTest, SubscriberSeesEveryEventOnceAcrossReconnectAndServerRestart) {
  auto append_range = [&](int from, int to) {
    for (int i = from; i < to; ++i) {
      v1::AppendResponse response;
      // The first registers the client the others are about.
      ASSERT_TRUE(Append(Batch({i == 0 ? ClientRegistered(100, "42")
                                       : Interaction(100 + i, "42", "X-" + std::to_string(i))}),
                         &response)
                      .ok());
    }
  };
  append_range(0, 20);
  std::vector<uint64_t> seen;
  uint64_t checkpoint = 0;
  // Catch-up, then the consumer hangs up by itself.
  Follow(stub_.get(), 0, 20, &seen, &checkpoint);
  EXPECT_EQ(checkpoint, 20u);
  // Reconnect from the checkpoint while a writer appends live.
  std::thread writer([&] { append_range(20, 40); });
  Follow(stub_.get(), checkpoint, 40, &seen, &checkpoint);
  writer.join();
  EXPECT_EQ(checkpoint, 40u);

  // A subscriber connected when the server stops is told to come back.
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    server_->Shutdown();
  });
  grpc::Status ended = Follow(stub_.get(), checkpoint, 1000, &seen, &checkpoint);
  stopper.join();
  EXPECT_TRUE(ended.error_code() == grpc::StatusCode::UNAVAILABLE ||
              ended.error_code() == grpc::StatusCode::CANCELLED)
      << ended.error_code() << " " << ended.error_message();

  // Restart on the same directory; resume where the subscriber left off.
  server_.reset();
  StartServer();
  append_range(40, 45);
  Follow(stub_.get(), checkpoint, 45, &seen, &checkpoint);
  ASSERT_EQ(seen.size(), 45u);
  for (size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], i + 1);
}

TEST_F(ServiceTest, UnknownFilterTypeIsInvalidArgument) {
  grpc::ClientContext context;
  v1::ReadLogRequest read;
  read.mutable_filter()->add_types("InvoicePaid");
  auto reader = stub_->ReadLog(&context, read);
  v1::ReadResponse page;
  while (reader->Read(&page)) {
  }
  grpc::Status status = reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(),
            "filter.types[0]: unknown event type \"InvoicePaid\" (type names are payload message "
            "names such as InvoiceIssued)");
}

// Issue 14 over gRPC: Digest carries the signed checkpoint of the head, the proofs verify
// against it, survive a restart with the same key, and bad input gets the right code.
TEST_F(ServiceTest, ProofsAndSignedCheckpointOverGrpc) {
  v1::AppendResponse appended;
  // Seven events: the client, then six interactions.
  for (uint64_t id = 1; id <= 7; ++id) {
    ASSERT_TRUE(Append(Batch({id == 1 ? ClientRegistered(id, "42")
                                      : Interaction(id, "42", "X-" + std::to_string(id))}),
                       &appended)
                    .ok());
  }
  grpc::ClientContext digest_context;
  v1::DigestResponse digest;
  ASSERT_TRUE(stub_->Digest(&digest_context, v1::DigestRequest(), &digest).ok());
  EXPECT_EQ(digest.head_position(), 7u);
  EXPECT_EQ(digest.tree_root().size(), 32u);
  const std::string body =
      absl::StrCat("sixhearts-ledger\n7\n", absl::Base64Escape(digest.tree_root()), "\n\n");
  EXPECT_EQ(digest.checkpoint().substr(0, body.size()), body);
  EXPECT_EQ(digest.verifier_key().substr(0, 17), "sixhearts-ledger+");

  grpc::ClientContext inclusion_context;
  v1::GetInclusionProofRequest inclusion_request;
  inclusion_request.set_position(3);
  v1::GetInclusionProofResponse inclusion;
  ASSERT_TRUE(stub_->GetInclusionProof(&inclusion_context, inclusion_request, &inclusion).ok());
  EXPECT_EQ(inclusion.tree_size(), 7u);
  EXPECT_EQ(inclusion.root_hash(), digest.tree_root());
  EXPECT_EQ(inclusion.checkpoint(), digest.checkpoint());  // Ed25519 is deterministic
  // Leaf 2 of 7: leaf 3, leaves 0-1, leaves 4-6.
  ASSERT_EQ(inclusion.path_size(), 3);
  std::vector<ledger::merkle::Hash> path;
  auto to_hash = [](const std::string& bytes) {
    ledger::merkle::Hash h{};
    std::copy(bytes.begin(), bytes.end(), h.begin());
    return h;
  };
  for (const std::string& p : inclusion.path()) path.push_back(to_hash(p));
  EXPECT_TRUE(ledger::merkle::VerifyInclusion(2, 7, to_hash(inclusion.leaf_hash()), path,
                                              to_hash(inclusion.root_hash())));

  grpc::ClientContext bad_context;
  inclusion_request.set_tree_size(9);
  grpc::Status bad = stub_->GetInclusionProof(&bad_context, inclusion_request, &inclusion);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::OUT_OF_RANGE);
  EXPECT_EQ(bad.error_message(), "tree_size: 9 is beyond the head of the log, position 7");
  grpc::ClientContext zero_context;
  inclusion_request.set_position(0);
  bad = stub_->GetInclusionProof(&zero_context, inclusion_request, &inclusion);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  grpc::ClientContext order_context;
  v1::GetConsistencyProofRequest consistency_request;
  consistency_request.set_first(5);
  consistency_request.set_second(3);
  v1::GetConsistencyProofResponse consistency;
  bad = stub_->GetConsistencyProof(&order_context, consistency_request, &consistency);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(bad.error_message(), "first: 5 is after second 3");

  // A restart keeps the key and the tree: the same checkpoint, and the old size proves
  // consistent with the new head.
  server_.reset();
  StartServer();
  ASSERT_TRUE(Append(Batch({Interaction(8, "42", "X-8")}), &appended).ok());
  grpc::ClientContext consistency_context;
  consistency_request.set_first(7);
  consistency_request.set_second(0);
  ASSERT_TRUE(
      stub_->GetConsistencyProof(&consistency_context, consistency_request, &consistency).ok());
  EXPECT_EQ(consistency.second(), 8u);
  EXPECT_EQ(consistency.first_checkpoint(), digest.checkpoint());
  std::vector<ledger::merkle::Hash> cpath;
  for (const std::string& p : consistency.path()) cpath.push_back(to_hash(p));
  EXPECT_TRUE(ledger::merkle::VerifyConsistency(7, 8, to_hash(consistency.first_root()),
                                                to_hash(consistency.second_root()), cpath));
}

}  // namespace
}  // namespace sixhearts::services

namespace sixhearts::services {
namespace {

constexpr char kAppendMethod[] = "/sixhearts.ledger.v1.EventStore/Append";

// Bytes that are no AppendRequest are bad input, not a missing method: INVALID_ARGUMENT
// naming, where the wire format tells, the field.
TEST_F(ServiceTest, AnAppendRequestThatDoesNotParseIsInvalidArgumentNamingTheField) {
  // events (1, 5 bytes) { event_id (1, 3 bytes) ff fe fd }: not UTF-8.
  grpc::Status status = CallRaw(kAppendMethod, std::string("\x0a\x05\x0a\x03\xff\xfe\xfd", 7));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(),
            "the request could not be parsed as sixhearts.ledger.v1.AppendRequest: "
            "events[0].event_id: not valid UTF-8");

  // The second event's stream (2) says 9 bytes where 2 are left.
  status = CallRaw(kAppendMethod, std::string("\x0a\x00\x0a\x04\x12\x09\x61\x62", 8));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(),
            "the request could not be parsed as sixhearts.ledger.v1.AppendRequest: "
            "events[1].stream: 9 bytes announced, 2 left");

  // A tag of 5 bytes whose value passes 32 bits (80 80 80 80 18) is cut to its low 32
  // bits by protobuf, field 268435456 as a varint: an unknown field that parses. The fault
  // is the event_id after it (the walk used to name the tag, found by fuzz_append).
  status = CallRaw(kAppendMethod,
                   std::string("\x0a\x0b\x80\x80\x80\x80\x18\x00\x0a\x03\xff\xfe\xfd", 13));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(),
            "the request could not be parsed as sixhearts.ledger.v1.AppendRequest: "
            "events[0].event_id: not valid UTF-8");

  // Field number 0 cannot be written by any encoder.
  status = CallRaw(kAppendMethod, std::string("\x00\x01", 2));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(),
            "the request could not be parsed as sixhearts.ledger.v1.AppendRequest: "
            "byte 0: tag with field number 0");

  v1::DigestResponse digest;
  grpc::ClientContext context;
  ASSERT_TRUE(stub_->Digest(&context, {}, &digest).ok());
  EXPECT_EQ(digest.head_position(), 0u);
}

// The other methods get their request parsed by gRPC, which would answer INTERNAL with
// no message (UNIMPLEMENTED for callback methods); the server's interceptor makes it bad
// input, naming the request type (gRPC frees the bytes before anything can name a field).
TEST_F(ServiceTest, RequestsOfOtherMethodsThatDoNotParseAreInvalidArgument) {
  // ReadStreamRequest.stream (1) = ff fe fd: not UTF-8.
  grpc::Status status =
      CallRaw("/sixhearts.ledger.v1.EventStore/ReadStream", std::string("\x0a\x03\xff\xfe\xfd", 5));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(),
            "the request could not be parsed as sixhearts.ledger.v1.ReadStreamRequest");

  // ReadLogRequest.filter (4) { stream_prefix (2) = ff }: not UTF-8, one level down.
  status =
      CallRaw("/sixhearts.ledger.v1.EventStore/ReadLog", std::string("\x22\x03\x12\x01\xff", 5));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(),
            "the request could not be parsed as sixhearts.ledger.v1.ReadLogRequest");

  // DsoRequest.currency (1) = c0 80: an overlong form of NUL, not UTF-8.
  status = CallRaw("/sixhearts.ledger.v1.Receivables/Dso", std::string("\x0a\x02\xc0\x80", 4));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(),
            "the request could not be parsed as sixhearts.ledger.v1.DsoRequest");

  // AgingRequest.as_of (1) announces 5 bytes, 1 follows.
  status = CallRaw("/sixhearts.ledger.v1.Receivables/Aging", std::string("\x0a\x05\x08", 3));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(),
            "the request could not be parsed as sixhearts.ledger.v1.AgingRequest");

  // Bytes that parse still reach the handler: an empty DigestRequest is a Digest.
  EXPECT_TRUE(CallRaw("/sixhearts.ledger.v1.EventStore/Digest", "").ok());
}

// Every method of every ledger service, found from the descriptors of the services the
// server registers: field 1 announcing 5 bytes where 1 follows parses as no message type.
TEST_F(ServiceTest, EveryMethodAnswersInvalidArgumentForBytesThatDoNotParse) {
  int methods = 0;
  for (const std::string& name : server_->service_names()) {
    if (name.rfind("sixhearts.", 0) != 0) continue;  // gRPC's own health and reflection
    const google::protobuf::ServiceDescriptor* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(name);
    ASSERT_NE(service, nullptr) << name;
    for (int i = 0; i < service->method_count(); ++i) {
      const google::protobuf::MethodDescriptor* method = service->method(i);
      const std::string path = absl::StrCat("/", name, "/", method->name());
      const grpc::Status status = CallRaw(path, std::string("\x0a\x05\x01", 3));
      EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << path;
      EXPECT_EQ(status.error_message().rfind(absl::StrCat("the request could not be parsed as ",
                                                          method->input_type()->full_name()),
                                             0),
                0u)
          << path << ": " << status.error_message();
      ++methods;
    }
  }
  // EventStore 10, Admin 3, Receivables 6, Relationships 7, Compliance 4.
  EXPECT_EQ(methods, 30);
}

// Unknown fields would be stored unvalidated, unencrypted and for ever: refused at every
// level, naming the event and the field number.
TEST_F(ServiceTest, UnknownFieldsAreRefusedAtEveryLevelNamingTheEventAndTheNumber) {
  v1::AppendResponse response;
  auto in_payload = Batch({ClientRegistered(1, "42"), InvoiceIssued(2, "42", "INV-1", 9900)});
  v1::InvoiceIssued* invoice = in_payload.mutable_events(1)->mutable_invoice_issued();
  invoice->GetReflection()->MutableUnknownFields(invoice)->AddVarint(99, 1);
  grpc::Status status = Append(in_payload, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(),
            "events[1].invoice_issued: unknown field 99 (sixhearts.ledger.v1.InvoiceIssued has "
            "no field of that number)");

  auto in_money = Batch({ClientRegistered(1, "42"), InvoiceIssued(2, "42", "INV-1", 9900)});
  v1::Money* amount = in_money.mutable_events(1)->mutable_invoice_issued()->mutable_amount();
  amount->GetReflection()->MutableUnknownFields(amount)->AddLengthDelimited(7, "secret");
  status = Append(in_money, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(),
            "events[1].invoice_issued.amount: unknown field 7 (sixhearts.ledger.v1.Money has no "
            "field of that number)");

  auto in_event = Batch({ClientRegistered(1, "42")});
  v1::Event* event = in_event.mutable_events(0);
  event->GetReflection()->MutableUnknownFields(event)->AddFixed32(98, 5);
  status = Append(in_event, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(),
            "events[0]: unknown field 98 (sixhearts.ledger.v1.Event has no field of that number)");

  auto in_request = Batch({ClientRegistered(1, "42")});
  in_request.GetReflection()->MutableUnknownFields(&in_request)->AddVarint(3, 1);
  status = Append(in_request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(),
            "request: unknown field 3 (sixhearts.ledger.v1.AppendRequest has no field of that "
            "number)");

  v1::DigestResponse digest;
  grpc::ClientContext context;
  ASSERT_TRUE(stub_->Digest(&context, {}, &digest).ok());
  EXPECT_EQ(digest.head_position(), 0u);
  // The same events without the unknown fields are taken.
  ASSERT_TRUE(
      Append(Batch({ClientRegistered(1, "42"), InvoiceIssued(2, "42", "INV-1", 9900)}), &response)
          .ok());
  EXPECT_EQ(response.positions(1), 2u);
}

}  // namespace
}  // namespace sixhearts::services

namespace sixhearts::services {
namespace {

// Falling behind means not reading; one write larger than the buffer, published to a
// subscriber that has taken everything before it, is read from the log instead.
TEST_F(ServiceTest, ASubscriberAtTheHeadReceivesOneWriteLargerThanItsBuffer) {
  server_.reset();
  StartServer(/*subscription_buffer_events=*/16);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  auto reader = stub_->Subscribe(&context, v1::SubscribeRequest());
  v1::SubscribeResponse message;
  ASSERT_TRUE(reader->Read(&message));
  ASSERT_TRUE(message.caught_up());

  for (int round = 0; round < 2; ++round) {
    v1::AppendRequest request;
    // The first event of all registers the client the others are about.
    for (int i = 0; i < 17; ++i) {
      *request.add_events() = round == 0 && i == 0 ? ClientRegistered(100, "42")
                                                   : Interaction(100 + 17 * round + i, "42",
                                                                 absl::StrCat("X-", round, "-", i));
    }
    v1::AppendResponse response;
    ASSERT_TRUE(Append(request, &response).ok());
    std::vector<uint64_t> seen;
    while (seen.size() < 17 && reader->Read(&message)) {
      EXPECT_FALSE(message.caught_up());  // sent once, at the end of the first catch-up
      for (const auto& e : message.events()) seen.push_back(e.position());
    }
    ASSERT_EQ(seen.size(), 17u) << reader->Finish().error_message();
    for (size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], 17 * round + i + 1);
    EXPECT_EQ(message.checkpoint_position(), 17u * (round + 1));
  }
  context.TryCancel();
  reader->Finish();
}

}  // namespace
}  // namespace sixhearts::services
