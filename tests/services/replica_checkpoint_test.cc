// A read replica signs the checkpoints it serves with its primary's key, so an auditor who
// asks either server gets notes that verify with the one verifier key the primary
// publishes; a replica never creates a key of its own.
#include <grpcpp/grpcpp.h>

#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "ledger/checkpoint.h"
#include "services/server.h"
#include "sixhearts/ledger/v1/event_store.grpc.pb.h"
#include "tests/testing/test_events.h"

namespace sixhearts::services {
namespace {

namespace v1 = ::sixhearts::ledger::v1;
using ::sixhearts::testing::Batch;
using ::sixhearts::testing::ClientRegistered;
using ::sixhearts::testing::InvoiceIssued;
using ::sixhearts::testing::TempDir;

std::unique_ptr<v1::EventStore::Stub> StubOf(const LedgerServer& server) {
  return v1::EventStore::NewStub(
      grpc::CreateChannel(server.address(), grpc::InsecureChannelCredentials()));
}

v1::DigestResponse DigestOf(v1::EventStore::Stub& stub) {
  grpc::ClientContext context;
  v1::DigestResponse digest;
  const grpc::Status status = stub.Digest(&context, v1::DigestRequest(), &digest);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return digest;
}

ServerOptions ReplicaOptions(const TempDir& dir) {
  ServerOptions options;
  options.data_dir = dir.sub("replica");
  options.listen = "127.0.0.1:0";
  options.replica_of = dir.sub("ledger");
  options.replica_catch_up_interval = absl::Milliseconds(20);
  return options;
}

TEST(ReplicaCheckpointTest, AReplicaSignsWithThePrimarysKey) {
  TempDir dir;
  ServerOptions options;
  options.data_dir = dir.sub("ledger");
  options.listen = "127.0.0.1:0";
  auto primary = LedgerServer::Start(options);
  ASSERT_TRUE(primary.ok()) << primary.status();
  auto on_primary = StubOf(**primary);
  {
    grpc::ClientContext context;
    v1::AppendResponse response;
    ASSERT_TRUE(
        on_primary
            ->Append(&context,
                     Batch({ClientRegistered(1, "42"), InvoiceIssued(2, "42", "INV-1", 10000)}),
                     &response)
            .ok());
  }
  const v1::DigestResponse primary_digest = DigestOf(*on_primary);
  ASSERT_EQ(primary_digest.head_position(), 2u);

  auto replica = LedgerServer::Start(ReplicaOptions(dir));
  ASSERT_TRUE(replica.ok()) << replica.status();
  auto on_replica = StubOf(**replica);
  v1::DigestResponse replica_digest;
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  do {
    replica_digest = DigestOf(*on_replica);
  } while (replica_digest.head_position() < 2 && absl::Now() < deadline);
  ASSERT_EQ(replica_digest.head_position(), 2u);

  EXPECT_EQ(replica_digest.verifier_key(), primary_digest.verifier_key());
  // Same tree, same key, same origin: the same note (Ed25519 signatures are deterministic).
  EXPECT_EQ(replica_digest.checkpoint(), primary_digest.checkpoint());
  EXPECT_TRUE(ledger::VerifyNote(replica_digest.checkpoint(), primary_digest.verifier_key()).ok());
  // The replica made no key file of its own.
  EXPECT_FALSE(std::filesystem::exists(dir.sub("replica") + ".checkpoint.key"));
}

TEST(ReplicaCheckpointTest, AReplicaWithoutThePrimarysKeyDoesNotStart) {
  TempDir dir;
  ServerOptions options;
  options.data_dir = dir.sub("ledger");
  options.listen = "127.0.0.1:0";
  {
    auto primary = LedgerServer::Start(options);
    ASSERT_TRUE(primary.ok()) << primary.status();
  }
  ServerOptions replica_options = ReplicaOptions(dir);
  replica_options.checkpoint_key_file = dir.sub("elsewhere.key");
  auto replica = LedgerServer::Start(replica_options);
  ASSERT_FALSE(replica.ok());
  EXPECT_EQ(replica.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(
      replica.status().message(),
      absl::StrCat("server.checkpoint_key_file: a read replica signs with its primary's "
                   "checkpoint key, and ",
                   dir.sub("elsewhere.key"), " does not exist (give the primary's key file)"));
  EXPECT_FALSE(std::filesystem::exists(dir.sub("elsewhere.key")));
}

}  // namespace
}  // namespace sixhearts::services
