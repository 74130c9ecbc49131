// The real server over a store whose file system fails on command
// (tests/testing/faulty_file_system.h): a client sees the failed append as UNAVAILABLE
// naming the cause, every later append refused until restart, and never a state that
// fails verification; after a restart on healthy storage, everything acknowledged is
// there and appends go on. A record changed on disk reaches clients as DATA_LOSS naming
// its position, never as an event.
#include <arpa/inet.h>
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

#include "absl/strings/match.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "services/server.h"
#include "sixhearts/ledger/v1/event_store.grpc.pb.h"
#include "tests/testing/faulty_file_system.h"
#include "tests/testing/raw_log.h"
#include "tests/testing/test_events.h"

namespace sixhearts::services {
namespace {

namespace v1 = ::sixhearts::ledger::v1;
using ::sixhearts::testing::Batch;
using ::sixhearts::testing::ClientRegistered;
using ::sixhearts::testing::FaultyFileSystem;
using ::sixhearts::testing::Interaction;
using ::sixhearts::testing::TempDir;

class StorageFaultsServiceTest : public ::testing::Test {
 protected:
  StorageFaultsServiceTest() : faulty_(std::make_shared<FaultyFileSystem>()) {}

  void StartServer(bool metrics = false) {
    server_.reset();
    ServerOptions options;
    options.data_dir = dir_.sub("ledger");
    options.listen = "127.0.0.1:0";
    if (metrics) options.metrics_listen = "127.0.0.1:0";
    options.store.file_system = faulty_;
    auto server = LedgerServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    stub_ = v1::EventStore::NewStub(
        grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials()));
  }

  grpc::Status AppendOne(uint64_t id, v1::AppendResponse* response) {
    grpc::ClientContext context;
    // Event 1 registers the client.
    return stub_->Append(&context,
                         Batch({id == 1 ? ClientRegistered(id, "42")
                                        : Interaction(id, "42", "X-" + std::to_string(id))}),
                         response);
  }

  v1::DigestResponse Digest() {
    grpc::ClientContext context;
    v1::DigestResponse response;
    EXPECT_TRUE(stub_->Digest(&context, {}, &response).ok());
    return response;
  }

  v1::VerifyResponse Verify() {
    grpc::ClientContext context;
    v1::VerifyResponse response;
    EXPECT_TRUE(stub_->Verify(&context, {}, &response).ok());
    return response;
  }

  // Every event of a ReadLog call from the start, and its final status.
  grpc::Status ReadAll(std::vector<v1::Event>* events) {
    grpc::ClientContext context;
    auto reader = stub_->ReadLog(&context, v1::ReadLogRequest());
    v1::ReadResponse response;
    while (reader->Read(&response)) {
      for (const auto& event : response.events()) events->push_back(event);
    }
    return reader->Finish();
  }

  // The health of `service` ("" for the whole server).
  grpc::health::v1::HealthCheckResponse::ServingStatus Health(const std::string& service) {
    auto health = grpc::health::v1::Health::NewStub(
        grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    grpc::health::v1::HealthCheckRequest request;
    request.set_service(service);
    grpc::health::v1::HealthCheckResponse response;
    EXPECT_TRUE(health->Check(&context, request, &response).ok());
    return response.status();
  }

  TempDir dir_;
  std::shared_ptr<FaultyFileSystem> faulty_;
  std::unique_ptr<LedgerServer> server_;
  std::unique_ptr<v1::EventStore::Stub> stub_;
};

TEST_F(StorageFaultsServiceTest, FailedWriteIsUnavailableAndNothingAcknowledgedIsLost) {
  StartServer();
  v1::AppendResponse response;
  for (uint64_t id = 1; id <= 4; ++id) ASSERT_TRUE(AppendOne(id, &response).ok());
  const v1::DigestResponse before = Digest();
  ASSERT_EQ(before.head_position(), 4u);
  constexpr char kEventStore[] = "sixhearts.ledger.v1.EventStore";
  EXPECT_EQ(Health(kEventStore), grpc::health::v1::HealthCheckResponse::SERVING);

  faulty_->FailAfter(FaultyFileSystem::Op::kWrite, 0, ".log");
  grpc::Status failed = AppendOne(5, &response);
  EXPECT_EQ(failed.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_TRUE(absl::StartsWith(failed.error_message(), "append: IO error: injected write fault"))
      << failed.error_message();
  faulty_->Heal();
  grpc::Status refused = AppendOne(6, &response);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_TRUE(absl::StartsWith(refused.error_message(),
                               "appends are refused since a write failed (append: IO error: "
                               "injected write fault"))
      << refused.error_message();

  // Appends wait for a restart: the EventStore service says so to a supervisor; the
  // server as a whole still serves reads.
  EXPECT_EQ(Health(kEventStore), grpc::health::v1::HealthCheckResponse::NOT_SERVING);
  EXPECT_EQ(Health(""), grpc::health::v1::HealthCheckResponse::SERVING);

  // What is served is what was acknowledged, and it verifies.
  EXPECT_EQ(Digest().head_position(), 4u);
  EXPECT_EQ(Digest().head_hash(), before.head_hash());
  const v1::VerifyResponse verified = Verify();
  EXPECT_TRUE(verified.ok()) << verified.problem();
  EXPECT_EQ(verified.checked(), 4u);

  StartServer();  // a restart on healthy storage
  EXPECT_EQ(Health(kEventStore), grpc::health::v1::HealthCheckResponse::SERVING);
  EXPECT_EQ(Digest().head_position(), 4u);
  EXPECT_EQ(Digest().head_hash(), before.head_hash());
  ASSERT_TRUE(AppendOne(5, &response).ok());
  EXPECT_EQ(response.positions(0), 5u);
  EXPECT_FALSE(response.duplicate());
  EXPECT_TRUE(Verify().ok());
  EXPECT_EQ(Verify().checked(), 5u);
}

TEST_F(StorageFaultsServiceTest, DamagedRecordIsDataLossNamingItsPosition) {
  StartServer();
  v1::AppendResponse response;
  for (uint64_t id = 1; id <= 4; ++id) ASSERT_TRUE(AppendOne(id, &response).ok());
  server_.reset();
  {
    // Change the interaction id inside the record at position 2 straight through RocksDB,
    // as a disk or an attacker with file access could: the event still parses.
    testing::RewriteLogRecord(dir_.sub("ledger"), 2, [](std::string& value) {
      const size_t at = value.find("X-2");
      ASSERT_NE(at, std::string::npos);
      value[at + 2] = '7';
    });
  }
  StartServer();

  const std::string named = "the record at position 2 fails its chain hash";
  std::vector<v1::Event> events;
  grpc::Status read = ReadAll(&events);
  EXPECT_EQ(read.error_code(), grpc::StatusCode::DATA_LOSS);
  EXPECT_TRUE(absl::StartsWith(read.error_message(), named)) << read.error_message();
  ASSERT_LE(events.size(), 1u);  // at most the record before the damage, never the damaged one
  {
    grpc::ClientContext context;
    v1::ReadStreamRequest request;
    request.set_stream("client-42");
    auto reader = stub_->ReadStream(&context, request);
    v1::ReadResponse page;
    while (reader->Read(&page)) {
    }
    grpc::Status status = reader->Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::DATA_LOSS);
    EXPECT_TRUE(absl::StartsWith(status.error_message(), named)) << status.error_message();
  }
  {
    grpc::ClientContext context;
    v1::SubscribeRequest request;
    auto reader = stub_->Subscribe(&context, request);
    v1::SubscribeResponse message;
    while (reader->Read(&message)) {
      for (const auto& event : message.events()) EXPECT_LT(event.position(), 2u);
    }
    grpc::Status status = reader->Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::DATA_LOSS);
    EXPECT_TRUE(absl::StartsWith(status.error_message(), named)) << status.error_message();
  }
  const v1::VerifyResponse verified = Verify();
  EXPECT_FALSE(verified.ok());
  EXPECT_EQ(verified.first_bad_position(), 2u);
}

// The body of GET /metrics on `port`, read with a raw socket.
std::string ScrapeMetrics(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return "connect failed";
  }
  const std::string request =
      "GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
  (void)::write(fd, request.data(), request.size());
  std::string response;
  char buffer[65536];
  ssize_t n;
  while ((n = ::read(fd, buffer, sizeof(buffer))) > 0) response.append(buffer, n);
  ::close(fd);
  return response.substr(response.find("\r\n\r\n") + 4);
}

// The value of the unlabelled metric `name` in `body`, or -1.
double MetricValue(const std::string& body, const std::string& name) {
  const size_t at = body.find("\n" + name + " ");
  if (at == std::string::npos) return -1;
  return std::stod(body.substr(at + name.size() + 2));
}

// Damage is never built on: once a read (or the start-up check of the head) finds a record
// that fails its chain, appends are refused naming it and the EventStore health is
// NOT_SERVING, while everything before the damage is still served, to a subscriber too.
TEST_F(StorageFaultsServiceTest, DamageFoundByAReadStopsAppendsAndServesTheIntactRange) {
  StartServer();
  v1::AppendResponse response;
  for (uint64_t id = 1; id <= 4; ++id) ASSERT_TRUE(AppendOne(id, &response).ok());
  server_.reset();
  testing::RewriteLogRecord(dir_.sub("ledger"), 3, [](std::string& value) {
    const size_t at = value.find("X-3");
    ASSERT_NE(at, std::string::npos);
    value[at + 2] = '8';
  });
  StartServer(/*metrics=*/true);

  const std::string named = "the record at position 3 fails its chain hash";
  {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    auto reader = stub_->Subscribe(&context, v1::SubscribeRequest());
    v1::SubscribeResponse message;
    std::vector<uint64_t> seen;
    while (reader->Read(&message)) {
      for (const auto& event : message.events()) seen.push_back(event.position());
    }
    grpc::Status status = reader->Finish();
    EXPECT_EQ(seen, (std::vector<uint64_t>{1, 2}));
    EXPECT_EQ(status.error_code(), grpc::StatusCode::DATA_LOSS);
    EXPECT_TRUE(absl::StartsWith(status.error_message(), named)) << status.error_message();
  }
  std::vector<v1::Event> events;
  EXPECT_EQ(ReadAll(&events).error_code(), grpc::StatusCode::DATA_LOSS);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].position(), 2u);

  EXPECT_EQ(Health("sixhearts.ledger.v1.EventStore"),
            grpc::health::v1::HealthCheckResponse::NOT_SERVING);
  EXPECT_EQ(Health(""), grpc::health::v1::HealthCheckResponse::SERVING);
  grpc::Status refused = AppendOne(5, &response);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_TRUE(absl::StartsWith(refused.error_message(),
                               "appends are refused: the log is damaged (" + named))
      << refused.error_message();
  EXPECT_EQ(Digest().head_position(), 4u);
  EXPECT_GE(MetricValue(ScrapeMetrics(server_->metrics_port()), "ledger_log_damage_found_total"),
            1);
}

TEST_F(StorageFaultsServiceTest, ADamagedHeadIsFoundAtStartUpAndNothingChainsOntoIt) {
  StartServer();
  v1::AppendResponse response;
  for (uint64_t id = 1; id <= 4; ++id) ASSERT_TRUE(AppendOne(id, &response).ok());
  server_.reset();
  testing::RewriteLogRecord(dir_.sub("ledger"), 4, [](std::string& value) {
    const size_t at = value.find("X-4");
    ASSERT_NE(at, std::string::npos);
    value[at + 2] = '9';
  });
  StartServer();
  EXPECT_EQ(Health("sixhearts.ledger.v1.EventStore"),
            grpc::health::v1::HealthCheckResponse::NOT_SERVING);
  grpc::Status refused = AppendOne(5, &response);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_TRUE(absl::StartsWith(refused.error_message(),
                               "appends are refused: the log is damaged (the record at position "
                               "4 fails its chain hash"))
      << refused.error_message();
  EXPECT_EQ(Digest().head_position(), 4u);
  std::vector<v1::Event> events;
  EXPECT_EQ(ReadAll(&events).error_code(), grpc::StatusCode::DATA_LOSS);
  EXPECT_EQ(events.size(), 3u);
}

}  // namespace
}  // namespace sixhearts::services
