// The real ledgerd binary: start-up errors, configuration and a clean stop on SIGTERM.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "services/auth/auth_config.h"
#include "sixhearts/ledger/v1/event_store.grpc.pb.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/test_certs.h"
#include "tests/testing/test_events.h"

namespace sixhearts {
namespace {

using ::sixhearts::testing::Subprocess;
using ::sixhearts::testing::TempDir;
using namespace std::chrono_literals;

// Tests run in parallel: the default metrics port (127.0.0.1:9464) would be taken twice.
constexpr char kMetricsListen[] = "--metrics-listen";

// Ports from a range the tests own; each test uses its own.
std::string Listen(int offset) {
  return "127.0.0.1:" + std::to_string(46000 + offset + getpid() % 1000);
}

TEST(LedgerdTest, StopsCleanlyOnSigterm) {
  TempDir dir;
  Subprocess server({LEDGERD_PATH, kMetricsListen, "127.0.0.1:0", "--data-dir", dir.sub("a"),
                     "--listen", Listen(0)},
                    dir.sub("out"));
  ASSERT_TRUE(server.WaitForOutput("serving on", 10s)) << server.Output();
  server.Signal(SIGTERM);
  EXPECT_EQ(server.Wait(), 0);
  EXPECT_NE(server.Output().find("stopped cleanly"), std::string::npos) << server.Output();
}

// A client connected to `address` (HOST:PORT) that sent the HTTP/2 preface and its
// settings, then stays silent: it never answers the server's GOAWAY.
class SilentHttp2Client {
 public:
  explicit SilentHttp2Client(const std::string& address) {
    const size_t colon = address.rfind(':');
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<uint16_t>(std::stoi(address.substr(colon + 1))));
    ::inet_pton(AF_INET, address.substr(0, colon).c_str(), &to.sin_addr);
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&to), sizeof(to)) == 0;
    // The connection preface and an empty SETTINGS frame (RFC 9113, 3.4 and 6.5).
    static constexpr char kPreface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\4\0\0\0\0\0";
    const size_t size = sizeof(kPreface) - 1;
    connected_ = connected_ && ::write(fd_, kPreface, size) == static_cast<ssize_t>(size);
  }
  ~SilentHttp2Client() { ::close(fd_); }
  bool connected() const { return connected_; }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

// From SIGTERM on, health says NOT_SERVING and appends are refused at once, and a
// connected client that never answers does not hold the stop up beyond the grace period
// (services/server.h kShutdownGraceMs, 1 s): it held it for the whole 5 s deadline.
TEST(LedgerdTest, OnSigtermRefusesAtOnceAndASilentClientDoesNotHoldTheStop) {
  namespace v1 = ::sixhearts::ledger::v1;
  using HealthResponse = grpc::health::v1::HealthCheckResponse;
  TempDir dir;
  const std::string listen = Listen(8);
  Subprocess server(
      {LEDGERD_PATH, kMetricsListen, "", "--data-dir", dir.sub("a"), "--listen", listen},
      dir.sub("out"));
  ASSERT_TRUE(server.WaitForOutput("serving on", 10s)) << server.Output();
  auto channel = grpc::CreateChannel(listen, grpc::InsecureChannelCredentials());
  auto events = v1::EventStore::NewStub(channel);
  auto append = [&](uint64_t id) {
    v1::AppendRequest request;
    *request.add_events() = testing::ClientRegistered(id, absl::StrCat("c", id));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + 2s);
    v1::AppendResponse response;
    return events->Append(&context, request, &response);
  };
  ASSERT_TRUE(append(1).ok());
  auto health = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext watch_context;
  auto watch = health->Watch(&watch_context, grpc::health::v1::HealthCheckRequest());
  HealthResponse seen;
  ASSERT_TRUE(watch->Read(&seen));
  ASSERT_EQ(seen.status(), HealthResponse::SERVING);
  SilentHttp2Client silent(listen);
  ASSERT_TRUE(silent.connected());
  std::this_thread::sleep_for(200ms);

  const auto signalled = std::chrono::steady_clock::now();
  server.Signal(SIGTERM);
  ASSERT_TRUE(watch->Read(&seen));
  EXPECT_EQ(seen.status(), HealthResponse::NOT_SERVING);
  const auto not_serving_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::steady_clock::now() - signalled)
                                  .count();
  EXPECT_LT(not_serving_ms, 200);
  const grpc::Status refused = append(2);
  EXPECT_FALSE(refused.ok());
  EXPECT_EQ(server.Wait(), 0) << server.Output();
  const auto stop_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::steady_clock::now() - signalled)
                           .count();
  EXPECT_LT(stop_ms, 2000) << server.Output();
  EXPECT_NE(server.Output().find("stopped cleanly"), std::string::npos) << server.Output();
  watch_context.TryCancel();
  (void)watch->Finish();

  // Only the first event was stored.
  Subprocess again(
      {LEDGERD_PATH, kMetricsListen, "", "--data-dir", dir.sub("a"), "--listen", listen},
      dir.sub("out2"));
  ASSERT_TRUE(again.WaitForOutput("serving on", 10s)) << again.Output();
  EXPECT_NE(again.Output().find("(head position 1)"), std::string::npos) << again.Output();
  again.Signal(SIGTERM);
  EXPECT_EQ(again.Wait(), 0);
}

TEST(LedgerdTest, NamesAPortInUseAndALockedDirectory) {
  TempDir dir;
  const std::string listen = Listen(1);
  Subprocess first(
      {LEDGERD_PATH, kMetricsListen, "127.0.0.1:0", "--data-dir", dir.sub("a"), "--listen", listen},
      dir.sub("out1"));
  ASSERT_TRUE(first.WaitForOutput("serving on", 10s)) << first.Output();

  Subprocess same_port(
      {LEDGERD_PATH, kMetricsListen, "127.0.0.1:0", "--data-dir", dir.sub("b"), "--listen", listen},
      dir.sub("out2"));
  EXPECT_EQ(same_port.Wait(), 1);
  EXPECT_NE(same_port.Output().find("cannot listen on " + listen +
                                    ": the port is in use or the address is not one of this "
                                    "host's"),
            std::string::npos)
      << same_port.Output();

  Subprocess same_dir({LEDGERD_PATH, kMetricsListen, "127.0.0.1:0", "--data-dir", dir.sub("a"),
                       "--listen", Listen(2)},
                      dir.sub("out3"));
  EXPECT_EQ(same_dir.Wait(), 1);
  EXPECT_NE(same_dir.Output().find("the data directory is locked by another process"),
            std::string::npos)
      << same_dir.Output();
  first.Signal(SIGTERM);
  EXPECT_EQ(first.Wait(), 0);
}

TEST(LedgerdTest, NamesADataDirectoryThatIsAFile) {
  TempDir dir;
  { std::ofstream(dir.sub("file")) << "x"; }
  Subprocess server({LEDGERD_PATH, kMetricsListen, "127.0.0.1:0", "--data-dir",
                     dir.sub("file") + "/ledger", "--listen", Listen(3)},
                    dir.sub("out"));
  EXPECT_EQ(server.Wait(), 1);
  EXPECT_NE(server.Output().find("cannot create data directory"), std::string::npos)
      << server.Output();
}

// --print-config shows what the server would run with: file < environment < flags.
TEST(LedgerdTest, PrintsTheEffectiveConfiguration) {
  TempDir dir;
  {
    std::ofstream(dir.sub("ledgerd.toml")) << "[server]\nlisten = \"127.0.0.1:7001\"\n"
                                              "[limits]\nmax_batch_events = 100\n"
                                              "max_read_events = 50\n";
  }
  ::setenv("LEDGER_MAX_BATCH_EVENTS", "200", 1);
  Subprocess print(
      {LEDGERD_PATH, "--config", dir.sub("ledgerd.toml"), "--data-dir", "/srv/x", "--print-config"},
      dir.sub("out"));
  ::unsetenv("LEDGER_MAX_BATCH_EVENTS");
  ASSERT_EQ(print.Wait(), 0) << print.Output();
  const std::string out = print.Output();
  EXPECT_NE(out.find("[server]\ndata_dir = \"/srv/x\"\nlisten = \"127.0.0.1:7001\"\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("max_batch_events = 200\n"), std::string::npos) << out;
  EXPECT_NE(out.find("max_read_events = 50\n"), std::string::npos) << out;
  EXPECT_NE(out.find("max_subscriptions = 256\n"), std::string::npos) << out;
}

TEST(LedgerdTest, AnUnknownKeyOrABadValueStopsStartUpNamingTheKey) {
  TempDir dir;
  { std::ofstream(dir.sub("ledgerd.toml")) << "[limits]\nmax_batch_event = 100\n"; }
  Subprocess unknown({LEDGERD_PATH, "--config", dir.sub("ledgerd.toml"), "--data-dir", dir.sub("a"),
                      "--listen", Listen(4)},
                     dir.sub("out1"));
  EXPECT_EQ(unknown.Wait(), 2);
  EXPECT_NE(unknown.Output().find("ledgerd: bad configuration: limits.max_batch_event: unknown "
                                  "key (from " +
                                  dir.sub("ledgerd.toml") + ":2)"),
            std::string::npos)
      << unknown.Output();

  Subprocess bad({LEDGERD_PATH, "--data-dir", dir.sub("a"), "--listen", Listen(4),
                  "--max-subscriptions", "lots"},
                 dir.sub("out2"));
  EXPECT_EQ(bad.Wait(), 2);
  EXPECT_NE(bad.Output().find("limits.max_subscriptions: expected an integer from 1 to 1000000, "
                              "got \"lots\" (from --max-subscriptions)"),
            std::string::npos)
      << bad.Output();

  Subprocess missing({LEDGERD_PATH, "--config", dir.sub("nope.toml")}, dir.sub("out3"));
  EXPECT_EQ(missing.Wait(), 2);
  EXPECT_NE(missing.Output().find("cannot read config file " + dir.sub("nope.toml")),
            std::string::npos)
      << missing.Output();
}

// Every configuration error stops start-up with exit 2 (systemd RestartPreventExitStatus=2)
// naming the setting, before anything is created: an out-of-range port (gRPC listened on
// 99999 mod 65536 = 34463), a backup directory inside the data directory (refused only at
// the first backup), an unknown flag (CLI11's 109), an unreadable auth configuration or
// rates file and a TOML `listen` that is not HOST:PORT (each exit 1).
TEST(LedgerdTest, EveryConfigurationErrorExits2NamingTheSetting) {
  TempDir dir;
  { std::ofstream(dir.sub("listen.toml")) << "[server]\nlisten = \"nonsense\"\n"; }
  const std::string data = dir.sub("data");
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--listen", "127.0.0.1:99999"},
       "ledgerd: bad configuration: listen: port \"99999\" of \"127.0.0.1:99999\" is not a "
       "number from 0 to 65535"},
      {{"--metrics-listen", "127.0.0.1:65536"},
       "ledgerd: bad configuration: metrics_listen: port \"65536\" of \"127.0.0.1:65536\" is "
       "not a number from 0 to 65535"},
      {{"--backup-dir", data + "/backups"},
       "ledgerd: bad configuration: backup_dir: " + data +
           "/backups is the data directory or inside it; keep backups apart from the data "
           "they protect"},
      {{"--no-such-flag"}, "The following argument was not expected: --no-such-flag"},
      {{"--auth-config", dir.sub("missing-auth.toml")},
       "ledgerd: bad configuration: auth config: cannot read " + dir.sub("missing-auth.toml")},
      {{"--compliance-rates", dir.sub("missing-rates.txt")},
       "ledgerd: bad configuration: rate file: cannot read \"" + dir.sub("missing-rates.txt") +
           "\""},
      {{"--config", dir.sub("listen.toml")},
       "ledgerd: bad configuration: listen: expected HOST:PORT, got \"nonsense\""},
  };
  int n = 0;
  for (const auto& [flags, message] : cases) {
    std::vector<std::string> argv = {LEDGERD_PATH, "--data-dir", data};
    argv.insert(argv.end(), flags.begin(), flags.end());
    Subprocess ledgerd(argv, dir.sub(absl::StrCat("out", n++)));
    EXPECT_EQ(ledgerd.Wait(), 2) << flags[0] << ": " << ledgerd.Output();
    EXPECT_NE(ledgerd.Output().find(message), std::string::npos) << ledgerd.Output();
  }
  EXPECT_FALSE(std::filesystem::exists(data));  // refused before anything was created
}

TEST(LedgerdTest, SaysAuthenticationIsOffAndRefusesANonLoopbackAddress) {
  TempDir dir;
  Subprocess local({LEDGERD_PATH, kMetricsListen, "127.0.0.1:0", "--data-dir", dir.sub("a"),
                    "--listen", Listen(4)},
                   dir.sub("out1"));
  ASSERT_TRUE(local.WaitForOutput("serving on", 10s)) << local.Output();
  EXPECT_NE(local.Output().find("security: authentication is OFF (no --auth-config): every "
                                "caller may do everything, so the server listens on loopback "
                                "only"),
            std::string::npos)
      << local.Output();
  local.Signal(SIGTERM);
  EXPECT_EQ(local.Wait(), 0);

  Subprocess open_to_all({LEDGERD_PATH, kMetricsListen, "127.0.0.1:0", "--data-dir", dir.sub("b"),
                          "--listen", "0.0.0.0:0"},
                         dir.sub("out2"));
  EXPECT_EQ(open_to_all.Wait(), 2);  // a configuration error
  EXPECT_NE(open_to_all.Output().find(
                "bad configuration: listen: 0.0.0.0 is not a loopback address, "
                "and without --auth-config anyone who reaches it could append and read"),
            std::string::npos)
      << open_to_all.Output();
}

// ledgerd with TLS and tokens, called by the real ledgerctl: the good token works from
// LEDGER_TOKEN, a bad one is refused, and neither token appears anywhere in the server's
// output, even with gRPC's and ledgerd's logs at debug level.
// A server that requires client certificates turns away a client without one with a
// bare "Socket closed"; ledgerctl names the flags it may need.
TEST(LedgerdTest, AClientWithoutACertificateIsToldTheServerMayRequireOne) {
  TempDir dir;
  testing::KeyAndCert ca, server_cert;
  testing::MakeCertificate("Six Hearts test CA", nullptr, "", &ca);
  testing::MakeCertificate("localhost", &ca, "DNS:localhost,IP:127.0.0.1", &server_cert);
  testing::WriteText(dir.sub("ca.crt"), ca.cert_pem);
  testing::WriteText(dir.sub("server.crt"), server_cert.cert_pem);
  testing::WriteText(dir.sub("server.key"), server_cert.key_pem);
  testing::WriteText(
      dir.sub("auth.toml"),
      absl::StrCat("[tls]\ncert_file = \"", dir.sub("server.crt"), "\"\nkey_file = \"",
                   dir.sub("server.key"), "\"\nclient_certificate = \"require\"\n",
                   "client_ca_file = \"", dir.sub("ca.crt"),
                   "\"\n\n[[principals]]\nname = \"auditor-1\"\nroles = [\"auditor\"]\n"
                   "token_hash = \"",
                   services::auth::MakeTokenHash(services::auth::NewToken()), "\"\n"));
  const std::string listen = Listen(9);
  Subprocess server({LEDGERD_PATH, kMetricsListen, "", "--data-dir", dir.sub("a"), "--listen",
                     listen, "--auth-config", dir.sub("auth.toml")},
                    dir.sub("out"));
  ASSERT_TRUE(server.WaitForOutput("serving on", 10s)) << server.Output();
  Subprocess client({LEDGERCTL_PATH, "--server", listen, "--tls-ca", dir.sub("ca.crt"),
                     "--tls-server-name", "localhost", "digest"},
                    dir.sub("client"));
  EXPECT_EQ(client.Wait(), 1);
  EXPECT_NE(client.Output().find("ledgerctl: the server may require a client certificate: give "
                                 "--tls-cert and --tls-key\n"),
            std::string::npos)
      << client.Output();
  server.Signal(SIGTERM);
  EXPECT_EQ(server.Wait(), 0);
}

TEST(LedgerdTest, TlsAndTokensAndNoSecretInTheLog) {
  TempDir dir;
  testing::KeyAndCert ca, server_cert;
  testing::MakeCertificate("Six Hearts test CA", nullptr, "", &ca);
  testing::MakeCertificate("localhost", &ca, "DNS:localhost,IP:127.0.0.1", &server_cert);
  testing::WriteText(dir.sub("ca.crt"), ca.cert_pem);
  testing::WriteText(dir.sub("server.crt"), server_cert.cert_pem);
  testing::WriteText(dir.sub("server.key"), server_cert.key_pem);
  const std::string token = services::auth::NewToken();
  const std::string bad_token = services::auth::NewToken();
  testing::WriteText(dir.sub("auth.toml"),
                     absl::StrCat("[tls]\ncert_file = \"", dir.sub("server.crt"),
                                  "\"\nkey_file = \"", dir.sub("server.key"),
                                  "\"\n\n[[principals]]\nname = \"auditor-1\"\nroles = "
                                  "[\"auditor\"]\ntoken_hash = \"",
                                  services::auth::MakeTokenHash(token), "\"\n"));
  const std::string listen = Listen(5);
  setenv("GRPC_VERBOSITY", "debug", 1);
  Subprocess server(
      {LEDGERD_PATH, kMetricsListen, "127.0.0.1:0", "--data-dir", dir.sub("a"), "--listen", listen,
       "--auth-config", dir.sub("auth.toml"), "--log-level", "debug"},
      dir.sub("out"));
  unsetenv("GRPC_VERBOSITY");
  ASSERT_TRUE(server.WaitForOutput("serving on", 10s)) << server.Output();
  EXPECT_NE(server.Output().find("security: TLS with bearer tokens, client certificates not "
                                 "requested, 1 principals"),
            std::string::npos)
      << server.Output();

  const std::vector<std::string> tls = {
      "--server", listen, "--tls-ca", dir.sub("ca.crt"), "--tls-server-name", "localhost"};
  auto ledgerctl = [&](std::vector<std::string> args, const std::string& out) {
    std::vector<std::string> argv = {LEDGERCTL_PATH};
    argv.insert(argv.end(), tls.begin(), tls.end());
    argv.insert(argv.end(), args.begin(), args.end());
    Subprocess client(argv, out);
    const int code = client.Wait();
    return std::make_pair(code, client.Output());
  };
  setenv("LEDGER_TOKEN", token.c_str(), 1);
  auto [good_code, good_output] = ledgerctl({"verify"}, dir.sub("good"));
  unsetenv("LEDGER_TOKEN");
  EXPECT_EQ(good_code, 0) << good_output;

  auto [bad_code, bad_output] = ledgerctl({"--token", bad_token, "verify"}, dir.sub("bad"));
  EXPECT_EQ(bad_code, 1) << bad_output;
  EXPECT_EQ(bad_output,
            "ledgerctl: UNAUTHENTICATED: /sixhearts.ledger.v1.EventStore/Verify: the bearer "
            "token matches no principal\n");
  // Plaintext against the TLS port: gRPC only says "Socket closed"; ledgerctl says why.
  Subprocess plain({LEDGERCTL_PATH, "--server", listen, "--token", token, "digest"},
                   dir.sub("plain"));
  EXPECT_EQ(plain.Wait(), 1);
  EXPECT_NE(plain.Output().find("ledgerctl: the server may need TLS: give --tls-ca with the CA "
                                "of its certificate (and --tls-cert/--tls-key if it requires "
                                "client certificates)\n"),
            std::string::npos)
      << plain.Output();
  auto [denied_code, denied_output] = ledgerctl({"--token", token, "rebuild"}, dir.sub("denied"));
  EXPECT_EQ(denied_code, 1) << denied_output;
  EXPECT_NE(denied_output.find("ledgerctl: PERMISSION_DENIED: principal \"auditor-1\" (roles: "
                               "auditor) may not call /sixhearts.ledger.v1.Receivables/Rebuild; "
                               "it needs one of: admin"),
            std::string::npos)
      << denied_output;

  server.Signal(SIGTERM);
  EXPECT_EQ(server.Wait(), 0);
  const std::string log = server.Output();
  EXPECT_NE(log.find("refused: /sixhearts.ledger.v1.EventStore/Verify: the bearer token matches "
                     "no principal"),
            std::string::npos)
      << log;
  EXPECT_EQ(log.find(bad_token), std::string::npos) << log;
  EXPECT_EQ(log.find(token), std::string::npos) << log;
}

}  // namespace
}  // namespace sixhearts
