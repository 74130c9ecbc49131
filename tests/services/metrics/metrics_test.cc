// Metrics: the text format of the registry, and the real ledgerd serving /metrics on its
// own port (port 0), scraped over a plain socket after appends a person can count.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <regex>
#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "services/metrics/http_exporter.h"
#include "services/metrics/registry.h"
#include "sixhearts/ledger/v1/event_store.grpc.pb.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/test_events.h"

namespace sixhearts {
namespace {

using ::sixhearts::testing::Subprocess;
using ::sixhearts::testing::TempDir;
using namespace std::chrono_literals;
namespace v1 = ::sixhearts::ledger::v1;

TEST(RegistryTest, WritesTheTextExpositionFormat) {
  services::metrics::Registry registry;
  auto& calls = registry.AddCounter("calls_total", "Calls.", {"method", "code"});
  calls.With({"/a.B/C", "OK"}).Increment(3);
  calls.With({"/a.B/C", "NOT_FOUND"}).Increment();
  registry.AddGauge("depth", "Queue depth.").With({}).Set(2.5);
  auto& latency = registry.AddHistogram("latency_seconds", "Latency.", {}, {0.1, 1}).With({});
  latency.Observe(0.05);
  latency.Observe(0.1);  // upper bounds are inclusive
  latency.Observe(0.5);
  latency.Observe(7);
  registry.AddCollector([](services::metrics::TextWriter& out) {
    out.Family("head", "Head \"position\".", "gauge");
    out.Sample("head", {{"name", "a\"b\\c"}}, uint64_t{42});
  });
  EXPECT_EQ(registry.Render(),
            "# HELP calls_total Calls.\n"
            "# TYPE calls_total counter\n"
            "calls_total{method=\"/a.B/C\",code=\"NOT_FOUND\"} 1\n"
            "calls_total{method=\"/a.B/C\",code=\"OK\"} 3\n"
            "# HELP depth Queue depth.\n"
            "# TYPE depth gauge\n"
            "depth 2.5\n"
            "# HELP latency_seconds Latency.\n"
            "# TYPE latency_seconds histogram\n"
            "latency_seconds_bucket{le=\"0.1\"} 2\n"
            "latency_seconds_bucket{le=\"1\"} 3\n"
            "latency_seconds_bucket{le=\"+Inf\"} 4\n"
            "latency_seconds_sum 7.65\n"
            "latency_seconds_count 4\n"
            "# HELP head Head \"position\".\n"
            "# TYPE head gauge\n"
            "head{name=\"a\\\"b\\\\c\"} 42\n");
}

// GET http://127.0.0.1:port/PATH with a raw socket; the whole response.
std::string Get(int port, const std::string& path) {
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
      "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
  (void)::write(fd, request.data(), request.size());
  std::string response;
  char buffer[65536];
  ssize_t n;
  while ((n = ::read(fd, buffer, sizeof(buffer))) > 0) response.append(buffer, n);
  ::close(fd);
  return response;
}

// GET /metrics; the body.
std::string Scrape(int port) {
  const std::string response = Get(port, "/metrics");
  if (!absl::StartsWith(response, "HTTP/1.1 200 OK")) return "bad response: " + response;
  return response.substr(response.find("\r\n\r\n") + 4);
}

// GET /healthz: the status line and the body.
std::pair<std::string, std::string> Health(int port) {
  const std::string response = Get(port, "/healthz");
  return {response.substr(0, response.find("\r\n")),
          response.substr(response.find("\r\n\r\n") + 4)};
}

TEST(HttpExporterTest, HealthzSaysWhatTheServerSays) {
  services::metrics::Registry registry;
  std::atomic<bool> serving{false};
  auto exporter = services::metrics::HttpExporter::Start("127.0.0.1:0", &registry,
                                                         [&] { return serving.load(); });
  ASSERT_TRUE(exporter.ok()) << exporter.status();
  EXPECT_EQ(Health((*exporter)->port()),
            std::make_pair(std::string("HTTP/1.1 503 Service Unavailable"),
                           std::string("NOT_SERVING\n")));
  serving = true;
  EXPECT_EQ(Health((*exporter)->port()),
            std::make_pair(std::string("HTTP/1.1 200 OK"), std::string("SERVING\n")));
}

// The value of the sample line `series` (name and labels exactly), or -1.
double Value(const std::string& body, const std::string& series) {
  const std::string key = "\n" + series + " ";
  const size_t at = ("\n" + body).find(key);
  if (at == std::string::npos) return -1;
  const size_t start = at + key.size() - 1;
  double v = -1;
  (void)absl::SimpleAtod(body.substr(start, body.find('\n', start) - start), &v);
  return v;
}

int PortFromLog(const std::string& output, const std::string& prefix) {
  std::smatch m;
  if (!std::regex_search(output, m, std::regex(prefix + "127\\.0\\.0\\.1:([0-9]+)"))) return 0;
  return std::stoi(m[1]);
}

TEST(LedgerdMetricsTest, CountsAppendsAndCallsAndTagsEachCallWithARequestId) {
  TempDir dir;
  Subprocess server(
      {LEDGERD_PATH, "--data-dir", dir.sub("data"), "--listen", "127.0.0.1:0", "--metrics-listen",
       "127.0.0.1:0", "--log-format", "json", "--log-level", "debug"},
      dir.sub("out"));
  ASSERT_TRUE(server.WaitForOutput("serving on", 20s)) << server.Output();
  const int grpc_port = PortFromLog(server.Output(), "serving on ");
  const int metrics_port = PortFromLog(server.Output(), "metrics on ");
  ASSERT_GT(grpc_port, 0) << server.Output();
  ASSERT_GT(metrics_port, 0) << server.Output();
  EXPECT_EQ(Health(metrics_port),
            std::make_pair(std::string("HTTP/1.1 200 OK"), std::string("SERVING\n")));

  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(grpc_port),
                                     grpc::InsecureChannelCredentials());
  auto stub = v1::EventStore::NewStub(channel);
  v1::AppendRequest batch;
  *batch.add_events() = testing::ClientRegistered(1, "a");
  *batch.add_events() = testing::ClientRegistered(2, "b");
  // Written, then retried (an idempotent duplicate), then a request with no events.
  for (int i = 0; i < 2; ++i) {
    grpc::ClientContext context;
    context.AddMetadata("x-request-id", "req-" + std::to_string(i));
    v1::AppendResponse response;
    ASSERT_TRUE(stub->Append(&context, batch, &response).ok());
    EXPECT_EQ(response.duplicate(), i == 1);
    auto echoed = context.GetServerInitialMetadata().find("x-request-id");
    ASSERT_NE(echoed, context.GetServerInitialMetadata().end());
    EXPECT_EQ(std::string(echoed->second.data(), echoed->second.size()),
              "req-" + std::to_string(i));
  }
  {
    grpc::ClientContext context;
    context.AddMetadata("x-request-id", "req-empty");
    v1::AppendResponse response;
    EXPECT_EQ(stub->Append(&context, v1::AppendRequest(), &response).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);
  }
  // A subscription stays open while we scrape.
  grpc::ClientContext subscribe_context;
  v1::SubscribeRequest subscribe;
  auto reader = stub->Subscribe(&subscribe_context, subscribe);

  const std::string append = "method=\"/sixhearts.ledger.v1.EventStore/Append\"";
  std::string body;
  // The projections apply the two events in the background; wait for them.
  for (int attempt = 0; attempt < 200; ++attempt) {
    body = Scrape(metrics_port);
    if (Value(body, "ledger_projection_position{projection=\"receivables\"}") == 2 &&
        Value(body, "ledger_projection_position{projection=\"relationships\"}") == 2 &&
        Value(body, "ledger_projection_position{projection=\"compliance\"}") == 2 &&
        Value(body, "ledger_subscriptions") == 4) {
      break;
    }
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(Value(body, "ledger_appended_events_total"), 2) << body;
  EXPECT_EQ(Value(body, "ledger_append_requests_total{code=\"OK\"}"), 2) << body;
  EXPECT_EQ(Value(body, "ledger_append_requests_total{code=\"INVALID_ARGUMENT\"}"), 1) << body;
  EXPECT_EQ(Value(body, "ledger_duplicate_appends_total"), 1) << body;
  // Batch sizes 2, 2 and 0.
  EXPECT_EQ(Value(body, "ledger_append_batch_events_bucket{le=\"1\"}"), 1) << body;
  EXPECT_EQ(Value(body, "ledger_append_batch_events_bucket{le=\"2\"}"), 3) << body;
  EXPECT_EQ(Value(body, "ledger_append_batch_events_sum"), 4) << body;
  EXPECT_EQ(Value(body, "ledger_append_seconds_count"), 3) << body;
  // One synced write: the duplicate wrote nothing.
  EXPECT_EQ(Value(body, "ledger_group_commit_events_sum"), 2) << body;
  EXPECT_EQ(Value(body, "ledger_group_commit_requests_count"), 1) << body;
  EXPECT_EQ(Value(body, "ledger_sync_seconds_count"), 1) << body;
  EXPECT_EQ(Value(body, "grpc_server_handled_total{" + append + ",code=\"OK\"}"), 2) << body;
  EXPECT_EQ(Value(body, "grpc_server_handled_total{" + append + ",code=\"INVALID_ARGUMENT\"}"), 1)
      << body;
  EXPECT_EQ(Value(body, "grpc_server_started_total{" + append + "}"), 3) << body;
  EXPECT_EQ(Value(body, "grpc_server_handling_seconds_count{" + append + "}"), 3) << body;
  EXPECT_EQ(Value(body, "ledger_head_position"), 2) << body;
  // Ours and the followers of the three projections (receivables, relationships,
  // compliance).
  EXPECT_EQ(Value(body, "ledger_subscriptions"), 4) << body;
  EXPECT_EQ(Value(body, "ledger_projection_position{projection=\"receivables\"}"), 2) << body;
  EXPECT_EQ(Value(body, "ledger_projection_lag_events{projection=\"receivables\"}"), 0) << body;
  // Every projection is monitored, compliance too.
  for (const char* name : {"relationships", "compliance"}) {
    const std::string label = absl::StrCat("{projection=\"", name, "\"}");
    EXPECT_EQ(Value(body, "ledger_projection_position" + label), 2) << body;
    EXPECT_EQ(Value(body, "ledger_projection_lag_events" + label), 0) << body;
  }
  EXPECT_GT(Value(body, "ledger_rocksdb_ticker_total{ticker=\"rocksdb.bytes.written\"}"), 0)
      << body;
  EXPECT_GE(Value(body, "ledger_rocksdb_property{name=\"rocksdb.cur-size-all-mem-tables\"}"), 0)
      << body;

  subscribe_context.TryCancel();
  v1::SubscribeResponse ignored;
  while (reader->Read(&ignored)) {
  }
  (void)reader->Finish();
  server.Signal(SIGTERM);
  EXPECT_EQ(server.Wait(), 0);
  // One JSON line per call, with the caller's request id in its own field.
  const std::string out = server.Output();
  EXPECT_NE(out.find("\"level\":\"info\",\"message\":\"rpc "
                     "method=/sixhearts.ledger.v1.EventStore/Append code=INVALID_ARGUMENT"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("\"request_id\":\"req-empty\"}"), std::string::npos) << out;
  EXPECT_NE(out.find("\"request_id\":\"req-1\"}"), std::string::npos) << out;
}

TEST(LedgerdMetricsTest, AMetricsPortInUseStopsStartUp) {
  TempDir dir;
  Subprocess first({LEDGERD_PATH, "--data-dir", dir.sub("a"), "--listen", "127.0.0.1:0",
                    "--metrics-listen", "127.0.0.1:0"},
                   dir.sub("out1"));
  ASSERT_TRUE(first.WaitForOutput("serving on", 20s)) << first.Output();
  const int metrics_port = PortFromLog(first.Output(), "metrics on ");
  const std::string taken = "127.0.0.1:" + std::to_string(metrics_port);
  Subprocess second({LEDGERD_PATH, "--data-dir", dir.sub("b"), "--listen", "127.0.0.1:0",
                     "--metrics-listen", taken},
                    dir.sub("out2"));
  EXPECT_EQ(second.Wait(), 1);
  EXPECT_NE(second.Output().find("metrics.listen: cannot listen on " + taken), std::string::npos)
      << second.Output();
  first.Signal(SIGTERM);
  EXPECT_EQ(first.Wait(), 0);
}

}  // namespace
}  // namespace sixhearts

namespace sixhearts {
namespace {

// ledgerd says at start which compiled-in rate tables end before their publisher's next
// rate, and exports each table's last entry and that next publication (Unix seconds of the
// day, UTC): us_prompt_payment 2025-01-01 = 1735689600, next 2025-07-01 = 1751328000;
// cn_lpr_1y 2025-05-20 = 1747699200, next 2025-06-20 = 1750377600; ecb_main_refinancing
// 2026-01-01 = 1767225600, next 2026-07-01 = 1782864000.
TEST(LedgerdMetricsTest, WarnsOfRateTablesPastTheirNextPublicationAndExportsTheirDates) {
  TempDir dir;
  Subprocess server({LEDGERD_PATH, "--data-dir", dir.sub("data"), "--listen", "127.0.0.1:0",
                     "--metrics-listen", "127.0.0.1:0"},
                    dir.sub("out"));
  ASSERT_TRUE(server.WaitForOutput("serving on", 20s)) << server.Output();
  const int metrics_port = PortFromLog(server.Output(), "metrics on ");
  ASSERT_GT(metrics_port, 0) << server.Output();
  EXPECT_NE(server.Output().find(
                "compliance rate table us_prompt_payment ends with 4.625% from 2025-01-01; its "
                "next rate was due 2025-07-01, "),
            std::string::npos)
      << server.Output();
  EXPECT_NE(server.Output().find("compliance rate table cn_lpr_1y ends with 3.00% from "
                                 "2025-05-20; its next rate was due 2025-06-20, "),
            std::string::npos);
  const std::string body = Scrape(metrics_port);
  const std::string last = "ledger_compliance_rate_table_last_entry_timestamp_seconds";
  const std::string next = "ledger_compliance_rate_table_next_publication_timestamp_seconds";
  EXPECT_NE(body.find(last + "{table=\"us_prompt_payment\"} 1735689600\n"), std::string::npos)
      << body;
  EXPECT_NE(body.find(next + "{table=\"us_prompt_payment\"} 1751328000\n"), std::string::npos);
  EXPECT_NE(body.find(last + "{table=\"cn_lpr_1y\"} 1747699200\n"), std::string::npos);
  EXPECT_NE(body.find(next + "{table=\"cn_lpr_1y\"} 1750377600\n"), std::string::npos);
  EXPECT_NE(body.find(last + "{table=\"ecb_main_refinancing\"} 1767225600\n"), std::string::npos);
  EXPECT_NE(body.find(next + "{table=\"ecb_main_refinancing\"} 1782864000\n"), std::string::npos);
}

}  // namespace
}  // namespace sixhearts
