// Authentication and roles on the real server: TLS with certificates made at test time,
// bearer tokens, client certificates, the role table against the proto descriptors of
// every registered service, and the refusal to serve beyond loopback without auth.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <condition_variable>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "services/auth/auth_config.h"
#include "services/auth/roles.h"
#include "services/server.h"
#include "sixhearts/ledger/v1/event_store.grpc.pb.h"
#include "tests/testing/raw_call.h"
#include "tests/testing/test_certs.h"
#include "tests/testing/test_events.h"

namespace sixhearts::services {
namespace {

namespace v1 = ::sixhearts::ledger::v1;
using ::sixhearts::testing::Batch;
using ::sixhearts::testing::ClientRegistered;
using ::sixhearts::testing::KeyAndCert;
using ::sixhearts::testing::MakeCertificate;
using ::sixhearts::testing::TempDir;
using ::sixhearts::testing::WriteText;

struct Tokens {
  std::string writer = auth::NewToken();
  std::string reader = auth::NewToken();
  std::string auditor = auth::NewToken();
  std::string admin = auth::NewToken();
  std::string nobody = auth::NewToken();
};

// The principals every test uses; `tls` is the [tls] section or empty.
std::string AuthToml(const Tokens& tokens, const std::string& tls) {
  auto principal = [](const char* name, const char* roles, const std::string& token,
                      const char* extra = "") {
    return absl::StrCat("[[principals]]\nname = \"", name, "\"\nroles = [", roles,
                        "]\ntoken_hash = \"", auth::MakeTokenHash(token), "\"\n", extra, "\n");
  };
  return absl::StrCat(tls, "\n", principal("erp-import", "\"writer\"", tokens.writer),
                      principal("collector", "\"reader\"", tokens.reader),
                      principal("audit-firm", "\"auditor\"", tokens.auditor,
                                "certificate_common_name = \"audit-firm\"\n"),
                      principal("operator", "\"admin\"", tokens.admin),
                      principal("nobody", "", tokens.nobody));
}

class AuthServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MakeCertificate("Six Hearts test CA", nullptr, "", &ca_);
    MakeCertificate("localhost", &ca_, "DNS:localhost,IP:127.0.0.1", &server_cert_);
    MakeCertificate("audit-firm", &ca_, "", &client_cert_);
    WriteText(dir_.sub("ca.crt"), ca_.cert_pem);
    WriteText(dir_.sub("server.crt"), server_cert_.cert_pem);
    WriteText(dir_.sub("server.key"), server_cert_.key_pem);
  }

  std::string TlsSection(const std::string& client_certificate = "request") {
    return absl::StrCat("[tls]\ncert_file = \"", dir_.sub("server.crt"), "\"\nkey_file = \"",
                        dir_.sub("server.key"), "\"\nclient_ca_file = \"", dir_.sub("ca.crt"),
                        "\"\nclient_certificate = \"", client_certificate, "\"\n");
  }

  void Start(const std::string& auth_toml, const std::string& listen = "127.0.0.1:0") {
    WriteText(dir_.sub("auth.toml"), auth_toml);
    ServerOptions options;
    options.data_dir = dir_.sub("ledger");
    options.listen = listen;
    options.auth_config_path = dir_.sub("auth.toml");
    auto server = LedgerServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }

  std::shared_ptr<grpc::Channel> TlsChannel(bool client_certificate = false) {
    grpc::SslCredentialsOptions tls;
    tls.pem_root_certs = ca_.cert_pem;
    if (client_certificate) {
      tls.pem_cert_chain = client_cert_.cert_pem;
      tls.pem_private_key = client_cert_.key_pem;
    }
    grpc::ChannelArguments arguments;
    // The address is 127.0.0.1; the name checked is the certificate's.
    arguments.SetSslTargetNameOverride("localhost");
    return grpc::CreateCustomChannel(server_->address(), grpc::SslCredentials(tls), arguments);
  }

  static void SetToken(grpc::ClientContext* context, const std::string& token) {
    if (!token.empty()) context->AddMetadata("authorization", "Bearer " + token);
  }

  grpc::Status Append(grpc::Channel* channel, const std::string& token,
                      const v1::AppendRequest& request) {
    grpc::ClientContext context;
    SetToken(&context, token);
    v1::AppendResponse response;
    return v1::EventStore::NewStub(std::shared_ptr<grpc::Channel>(channel, [](auto*) {}))
        ->Append(&context, request, &response);
  }

  grpc::Status Digest(grpc::Channel* channel, const std::string& token,
                      v1::DigestResponse* response) {
    grpc::ClientContext context;
    SetToken(&context, token);
    return v1::EventStore::NewStub(std::shared_ptr<grpc::Channel>(channel, [](auto*) {}))
        ->Digest(&context, v1::DigestRequest(), response);
  }

  // Calls `method` with an empty request through the generic stub; returns the status.
  grpc::Status CallEmpty(grpc::Channel* channel, const std::string& method,
                         const std::string& token) {
    return ::sixhearts::testing::CallRaw(std::shared_ptr<grpc::Channel>(channel, [](auto*) {}),
                                         method, "", token);
  }

  TempDir dir_;
  KeyAndCert ca_, server_cert_, client_cert_;
  Tokens tokens_;
  std::unique_ptr<LedgerServer> server_;
};

TEST_F(AuthServerTest, TheActorOfAnAppendedEventIsTheAuthenticatedPrincipal) {
  Start(AuthToml(tokens_, TlsSection()));
  auto channel = TlsChannel();
  ASSERT_TRUE(Append(channel.get(), tokens_.writer, Batch({ClientRegistered(1, "42")})).ok());

  grpc::ClientContext context;
  SetToken(&context, tokens_.reader);
  v1::ReadLogRequest read;
  auto reader = v1::EventStore::NewStub(channel)->ReadLog(&context, read);
  v1::ReadResponse page;
  std::vector<std::string> actors;
  while (reader->Read(&page)) {
    for (const auto& event : page.events()) actors.push_back(event.actor());
  }
  ASSERT_TRUE(reader->Finish().ok());
  EXPECT_EQ(actors, std::vector<std::string>{"erp-import"});
}

// gRPC's auth context belongs to the connection and outlives each call: the actor must
// come from the credentials of the call that appends, not from whichever call on the
// connection authenticated first.
TEST_F(AuthServerTest, OneConnectionCarryingTwoPrincipalsStampsEachCallWithItsOwn) {
  Start(AuthToml(tokens_, TlsSection()));
  auto channel = TlsChannel();
  v1::DigestResponse digest;
  ASSERT_TRUE(Digest(channel.get(), tokens_.reader, &digest).ok());
  ASSERT_TRUE(Append(channel.get(), tokens_.writer, Batch({ClientRegistered(1, "42")})).ok());
  EXPECT_EQ(Append(channel.get(), tokens_.reader, Batch({ClientRegistered(2, "43")})).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(Digest(channel.get(), tokens_.auditor, &digest).ok());
  ASSERT_TRUE(Append(channel.get(), tokens_.writer, Batch({ClientRegistered(3, "44")})).ok());

  auto page = server_->store()->ReadLog(1, false, 10, v1::EventFilter());
  ASSERT_TRUE(page.ok()) << page.status();
  std::vector<std::string> actors;
  for (const auto& event : page->events) actors.push_back(event.actor());
  EXPECT_EQ(actors, (std::vector<std::string>{"erp-import", "erp-import"}));
}

TEST_F(AuthServerTest, MissingOrUnknownCredentialsAreUnauthenticated) {
  Start(AuthToml(tokens_, TlsSection()));
  auto channel = TlsChannel();
  v1::DigestResponse digest;
  grpc::Status status = Digest(channel.get(), "", &digest);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(status.error_message(),
            "/sixhearts.ledger.v1.EventStore/Digest: no credentials; send \"authorization: "
            "Bearer <token>\" (ledgerctl --token or LEDGER_TOKEN) or a client certificate of a "
            "configured principal");

  status = Digest(channel.get(), tokens_.writer + "x", &digest);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(status.error_message(),
            "/sixhearts.ledger.v1.EventStore/Digest: the bearer token matches no principal");

  grpc::ClientContext context;
  context.AddMetadata("authorization", "Basic " + tokens_.writer);
  status = v1::EventStore::NewStub(channel)->Digest(&context, v1::DigestRequest(), &digest);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(status.error_message(),
            "/sixhearts.ledger.v1.EventStore/Digest: the authorization metadata is not "
            "\"Bearer <token>\"");

  // A plaintext client cannot talk to the TLS port at all.
  auto plain = grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials());
  grpc::ClientContext plain_context;
  plain_context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  SetToken(&plain_context, tokens_.writer);
  status = v1::EventStore::NewStub(plain)->Digest(&plain_context, v1::DigestRequest(), &digest);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
}

// A call that carries two authorization values does not say whose call it is. The gate
// checked the last and PrincipalOf named the first, so a reader's token before a writer's
// appended events whose actor was the reader, and an unknown token before a writer's
// stopped the server (found by tests/fuzz/fuzz_auth). Such a call is refused.
TEST_F(AuthServerTest, ACallCarryingTwoAuthorizationValuesIsUnauthenticated) {
  Start(AuthToml(tokens_, TlsSection()));
  auto channel = TlsChannel();
  auto append = [&](const std::string& first, const std::string& second, uint64_t id) {
    grpc::ClientContext context;
    context.AddMetadata("authorization", first);
    context.AddMetadata("authorization", second);
    v1::AppendResponse response;
    return v1::EventStore::NewStub(channel)->Append(
        &context, Batch({ClientRegistered(id, absl::StrCat(id))}), &response);
  };
  const std::string refusal =
      "/sixhearts.ledger.v1.EventStore/Append: the call carries 2 authorization values; send "
      "one, \"Bearer <token>\"";
  for (const auto& [first, second] : std::vector<std::pair<std::string, std::string>>{
           {"Bearer " + tokens_.reader, "Bearer " + tokens_.writer},
           {"Bearer not-a-token", "Bearer " + tokens_.writer},
           {"Basic x", "Bearer " + tokens_.writer},
           {"Bearer " + tokens_.writer, "Bearer " + tokens_.writer}}) {
    const grpc::Status status = append(first, second, 1);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << first << ", " << second;
    EXPECT_EQ(status.error_message(), refusal) << first << ", " << second;
  }
  EXPECT_EQ(server_->store()->head().position, 0u);
  // One value still works on the same channel.
  EXPECT_TRUE(Append(channel.get(), tokens_.writer, Batch({ClientRegistered(2, "2")})).ok());
  EXPECT_EQ(server_->store()->head().position, 1u);
}

TEST_F(AuthServerTest, ARoleThatDoesNotAllowTheMethodIsPermissionDenied) {
  Start(AuthToml(tokens_, TlsSection()));
  auto channel = TlsChannel();
  grpc::Status status = Append(channel.get(), tokens_.reader, Batch({ClientRegistered(1, "42")}));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(status.error_message(),
            "principal \"collector\" (roles: reader) may not call "
            "/sixhearts.ledger.v1.EventStore/Append; it needs one of: writer");
  status = CallEmpty(channel.get(), "/sixhearts.ledger.v1.Receivables/Rebuild", tokens_.auditor);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(status.error_message(),
            "principal \"audit-firm\" (roles: auditor) may not call "
            "/sixhearts.ledger.v1.Receivables/Rebuild; it needs one of: admin");
  // Nothing was appended by the refused call.
  v1::DigestResponse digest;
  ASSERT_TRUE(Digest(channel.get(), tokens_.auditor, &digest).ok());
  EXPECT_EQ(digest.head_position(), 0u);
  // The admin may rebuild.
  EXPECT_TRUE(
      CallEmpty(channel.get(), "/sixhearts.ledger.v1.Receivables/ProjectionStatus", tokens_.admin)
          .ok());
}

// Every method of every service the server registers must be in the role table, and the
// table must name no method that does not exist. A new RPC fails this test until someone
// decides who may call it.
TEST_F(AuthServerTest, EveryMethodOfEveryRegisteredServiceIsInTheRoleTable) {
  Start(AuthToml(tokens_, TlsSection()));
  // Link the health descriptor in; reflection's comes with grpc++_reflection.
  (void)grpc::health::v1::HealthCheckRequest::descriptor();
  const auto* pool = google::protobuf::DescriptorPool::generated_pool();
  std::set<std::string> served;
  ASSERT_GE(server_->service_names().size(), 5u);
  for (const std::string& name : server_->service_names()) {
    const google::protobuf::ServiceDescriptor* service = pool->FindServiceByName(name);
    ASSERT_NE(service, nullptr) << "no descriptor for the registered service " << name;
    for (int i = 0; i < service->method_count(); ++i) {
      const std::string path = absl::StrCat("/", name, "/", service->method(i)->name());
      served.insert(path);
      EXPECT_NE(auth::FindMethodAccess(path), nullptr)
          << path << " is served but missing from the role table (services/auth/roles.cc)";
    }
  }
  for (const auth::MethodAccess& entry : auth::MethodTable()) {
    EXPECT_TRUE(served.count(std::string(entry.method)) == 1)
        << entry.method << " is in the role table but no registered service has it";
  }
}

// A principal without roles is refused by every method that needs one: the check runs
// for each of them, not only for the ones a test thought of.
TEST_F(AuthServerTest, EveryMethodRefusesAPrincipalWithoutItsRole) {
  Start(AuthToml(tokens_, TlsSection()));
  auto channel = TlsChannel();
  int checked = 0;
  for (const auth::MethodAccess& entry : auth::MethodTable()) {
    if (entry.access != auth::Access::kRoles) continue;
    grpc::Status status = CallEmpty(channel.get(), std::string(entry.method), tokens_.nobody);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << entry.method;
    EXPECT_EQ(status.error_message().substr(0, 35), "principal \"nobody\" (roles: none) ma")
        << entry.method;
    ++checked;
  }
  // 6 EventStore + 6 Receivables + 7 Relationships methods today; more as services come.
  EXPECT_GE(checked, 19);

  grpc::Status unknown =
      CallEmpty(channel.get(), "/sixhearts.ledger.v1.EventStore/DropAll", tokens_.admin);
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(unknown.error_message(),
            "/sixhearts.ledger.v1.EventStore/DropAll is not in the role table "
            "(services/auth/roles.cc): nobody may call it");
}

TEST_F(AuthServerTest, HealthNeedsNoCredentials) {
  Start(AuthToml(tokens_, TlsSection()));
  auto health = grpc::health::v1::Health::NewStub(TlsChannel());
  grpc::ClientContext context;
  grpc::health::v1::HealthCheckResponse response;
  ASSERT_TRUE(health->Check(&context, grpc::health::v1::HealthCheckRequest(), &response).ok());
  EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);
}

TEST_F(AuthServerTest, AClientCertificateAuthenticatesItsPrincipal) {
  Start(AuthToml(tokens_, TlsSection("request")));
  auto channel = TlsChannel(/*client_certificate=*/true);
  grpc::ClientContext context;
  v1::VerifyResponse verify;
  ASSERT_TRUE(
      v1::EventStore::NewStub(channel)->Verify(&context, v1::VerifyRequest(), &verify).ok());
  EXPECT_TRUE(verify.ok());
  grpc::Status status = Append(channel.get(), "", Batch({ClientRegistered(1, "42")}));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(status.error_message(),
            "principal \"audit-firm\" (roles: auditor) may not call "
            "/sixhearts.ledger.v1.EventStore/Append; it needs one of: writer");
}

TEST_F(AuthServerTest, RequiredClientCertificatesStopClientsWithoutOne) {
  Start(AuthToml(tokens_, TlsSection("require")));
  v1::DigestResponse digest;
  auto without = TlsChannel(false);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  SetToken(&context, tokens_.reader);
  grpc::Status status =
      v1::EventStore::NewStub(without)->Digest(&context, v1::DigestRequest(), &digest);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  // With one, the token still chooses the principal.
  EXPECT_TRUE(Digest(TlsChannel(true).get(), tokens_.reader, &digest).ok());
}

TEST_F(AuthServerTest, TokensWithoutTlsWorkOnLoopbackOnly) {
  Start(AuthToml(tokens_, ""));
  auto channel = grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials());
  ASSERT_TRUE(Append(channel.get(), tokens_.writer, Batch({ClientRegistered(1, "42")})).ok());
  v1::DigestResponse digest;
  EXPECT_EQ(Digest(channel.get(), "", &digest).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(server_->store()->ReadLog(1, false, 1, v1::EventFilter())->events[0].actor(),
            "erp-import");
  server_.reset();

  WriteText(dir_.sub("auth.toml"), AuthToml(tokens_, ""));
  ServerOptions options;
  options.data_dir = dir_.sub("ledger2");
  options.listen = "0.0.0.0:0";
  options.auth_config_path = dir_.sub("auth.toml");
  auto refused = LedgerServer::Start(options);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(refused.status().message(),
            "listen: 0.0.0.0 is not a loopback address, and the auth configuration has no "
            "[tls]: bearer tokens would cross the network in clear");
}

TEST_F(AuthServerTest, WithoutAuthOnlyLoopbackIsServed) {
  ServerOptions options;
  options.data_dir = dir_.sub("ledger");
  options.listen = "0.0.0.0:0";
  auto refused = LedgerServer::Start(options);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(refused.status().message(),
            "listen: 0.0.0.0 is not a loopback address, and without --auth-config anyone who "
            "reaches it could append and read; give an auth configuration with [tls] or "
            "listen on 127.0.0.1");
  options.listen = "[::]:0";
  EXPECT_EQ(LedgerServer::Start(options).status().code(), absl::StatusCode::kFailedPrecondition);
  options.listen = "127.0.0.1:0";
  auto served = LedgerServer::Start(options);
  ASSERT_TRUE(served.ok()) << served.status();
  EXPECT_EQ((*served)->security(),
            "authentication is OFF (no --auth-config): every caller may do everything, so the "
            "server listens on loopback only");
}

TEST_F(AuthServerTest, TlsFilesAreCheckedAtStartUp) {
  KeyAndCert other;
  MakeCertificate("other", &ca_, "", &other);
  WriteText(dir_.sub("server.key"), other.key_pem);
  WriteText(dir_.sub("auth.toml"), AuthToml(tokens_, TlsSection()));
  ServerOptions options;
  options.data_dir = dir_.sub("ledger");
  options.listen = "127.0.0.1:0";
  options.auth_config_path = dir_.sub("auth.toml");
  auto refused = LedgerServer::Start(options);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(refused.status().message(),
            absl::StrCat("tls.key_file: ", dir_.sub("server.key"),
                         " does not match the certificate in ", dir_.sub("server.crt")));
}

}  // namespace
}  // namespace sixhearts::services
