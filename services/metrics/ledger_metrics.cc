// The ledger's metric families, the scrape-time collector and the gRPC interceptor.
#include "services/metrics/ledger_metrics.h"

#include <random>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "grpcpp/support/interceptor.h"
#include "spdlog/spdlog.h"

namespace sixhearts::services::metrics {

namespace {

// Seconds from 50 µs to 10 s: a synced append is ~0.1-5 ms on SSDs, seconds on a sick disk.
std::vector<double> SecondsBuckets() {
  return {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
          0.05,    0.1,    0.25,    0.5,    1,     2.5,    5,     10};
}

// Counts from 1 to the largest batch (limits.max_batch_events defaults to 10,000).
std::vector<double> CountBuckets() {
  return {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000};
}

std::string NewRequestId() {
  thread_local std::mt19937_64 random{std::random_device{}()};
  return absl::StrFormat("%016x", random());
}

class MetricsInterceptor final : public grpc::experimental::Interceptor {
 public:
  MetricsInterceptor(LedgerMetrics* metrics, grpc::experimental::ServerRpcInfo* info)
      : metrics_(metrics), method_(info->method() != nullptr ? info->method() : "unknown") {
    metrics_->OnCallStarted(method_);
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    using grpc::experimental::InterceptionHookPoints;
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      if (auto* received = methods->GetRecvInitialMetadata(); received != nullptr) {
        auto it = received->find(kRequestIdKey);
        if (it != received->end()) request_id_.assign(it->second.data(), it->second.size());
      }
      if (request_id_.empty()) request_id_ = NewRequestId();
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      if (auto* sent = methods->GetSendInitialMetadata(); sent != nullptr) {
        sent->emplace(kRequestIdKey, request_id_);
      }
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      const grpc::Status status = methods->GetSendStatus();
      const absl::Duration duration = absl::Now() - start_;
      metrics_->OnCallHandled(method_, status.error_code(), duration);
      // One line per call: routine successes at debug, failures at info so they show by
      // default with the request id the caller can quote.
      spdlog::log(status.ok() ? spdlog::level::debug : spdlog::level::info,
                  "rpc method={} code={} duration_ms={:.3f} request_id={}{}{}", method_,
                  StatusCodeName(status.error_code()), absl::ToDoubleMilliseconds(duration),
                  request_id_, status.ok() ? "" : " message=", status.error_message());
    }
    methods->Proceed();
  }

 private:
  LedgerMetrics* metrics_;
  const std::string method_;
  const absl::Time start_ = absl::Now();
  std::string request_id_;
};

class MetricsInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit MetricsInterceptorFactory(LedgerMetrics* metrics) : metrics_(metrics) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new MetricsInterceptor(metrics_, info);
  }

 private:
  LedgerMetrics* metrics_;
};

}  // namespace

std::string StatusCodeName(grpc::StatusCode code) {
  // absl and gRPC share the codes and their numbers.
  std::string name = absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
  for (char& c : name) c = c == ' ' ? '_' : c;
  return name;
}

LedgerMetrics::LedgerMetrics()
    : append_requests_(registry_.AddCounter(
          "ledger_append_requests_total",
          "Append requests finished, by status code (OK includes idempotent retries).", {"code"})),
      appended_events_(registry_
                           .AddCounter("ledger_appended_events_total",
                                       "New events written to the log (the append rate).")
                           .With({})),
      duplicate_appends_(registry_
                             .AddCounter("ledger_duplicate_appends_total",
                                         "Append requests that were idempotent retries of a "
                                         "stored batch and wrote nothing.")
                             .With({})),
      log_damage_found_(registry_
                            .AddCounter("ledger_log_damage_found_total",
                                        "Reads (and start-up checks of the head) that found the "
                                        "log damaged: a record failing its chain, a gap, a record "
                                        "that does not parse. From the first, appends are refused.")
                            .With({})),
      append_seconds_(registry_
                          .AddHistogram("ledger_append_seconds",
                                        "Time from submitting an Append to its outcome (durable "
                                        "or rejected), in seconds.",
                                        {}, SecondsBuckets())
                          .With({})),
      append_batch_events_(registry_
                               .AddHistogram("ledger_append_batch_events",
                                             "Events per Append request.", {}, CountBuckets())
                               .With({})),
      group_commit_requests_(registry_
                                 .AddHistogram("ledger_group_commit_requests",
                                               "Append requests per group commit (one synced "
                                               "write).",
                                               {}, CountBuckets())
                                 .With({})),
      group_commit_events_(registry_
                               .AddHistogram("ledger_group_commit_events",
                                             "New events per group commit.", {}, CountBuckets())
                               .With({})),
      sync_seconds_(registry_
                        .AddHistogram("ledger_sync_seconds",
                                      "Duration of one group commit's RocksDB write, the WAL "
                                      "sync included, in seconds.",
                                      {}, SecondsBuckets())
                        .With({})),
      grpc_started_(registry_.AddCounter("grpc_server_started_total",
                                         "gRPC calls started, by method.", {"method"})),
      grpc_handled_(registry_.AddCounter("grpc_server_handled_total",
                                         "gRPC calls finished, by method and status code.",
                                         {"method", "code"})),
      grpc_seconds_(registry_.AddHistogram(
          "grpc_server_handling_seconds",
          "Time from a call's start to its status, by method, in seconds (streams: their "
          "whole life).",
          {"method"}, SecondsBuckets())) {
  registry_.AddCollector([this](TextWriter& out) { Collect(out); });
}

void LedgerMetrics::Attach(const ledger::EventStore* store,
                           std::vector<const projection::ProjectionEngine*> engines) {
  absl::MutexLock lock(&sources_mu_);
  store_ = store;
  engines_ = std::move(engines);
}

void LedgerMetrics::Detach() { Attach(nullptr, {}); }

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
LedgerMetrics::MakeInterceptorFactory() {
  return std::make_unique<MetricsInterceptorFactory>(this);
}

void LedgerMetrics::OnAppendDone(size_t events, const absl::Status& status, bool duplicate,
                                 absl::Duration latency) {
  append_requests_.With({StatusCodeName(static_cast<grpc::StatusCode>(status.code()))}).Increment();
  if (duplicate) duplicate_appends_.Increment();
  append_seconds_.Observe(absl::ToDoubleSeconds(latency));
  append_batch_events_.Observe(static_cast<double>(events));
}

void LedgerMetrics::OnGroupCommit(size_t requests, size_t events_written,
                                  absl::Duration write_duration) {
  appended_events_.Increment(events_written);
  group_commit_requests_.Observe(static_cast<double>(requests));
  group_commit_events_.Observe(static_cast<double>(events_written));
  sync_seconds_.Observe(absl::ToDoubleSeconds(write_duration));
}

void LedgerMetrics::OnLogDamage(const absl::Status&) { log_damage_found_.Increment(); }

void LedgerMetrics::OnCallStarted(const std::string& method) {
  grpc_started_.With({method}).Increment();
}

void LedgerMetrics::OnCallHandled(const std::string& method, grpc::StatusCode code,
                                  absl::Duration duration) {
  grpc_handled_.With({method, StatusCodeName(code)}).Increment();
  grpc_seconds_.With({method}).Observe(absl::ToDoubleSeconds(duration));
}

void LedgerMetrics::Collect(TextWriter& out) {
  absl::MutexLock lock(&sources_mu_);
  if (store_ == nullptr) return;
  const ledger::Head head = store_->head();
  out.Family("ledger_head_position", "Position of the last event in the log.", "gauge");
  out.Sample("ledger_head_position", {}, head.position);
  out.Family("ledger_subscriptions", "Subscriptions open (live or catching up).", "gauge");
  out.Sample("ledger_subscriptions", {}, static_cast<uint64_t>(store_->open_subscriptions()));
  if (!engines_.empty()) {
    std::vector<projection::ProjectionStatus> statuses;
    for (const auto* engine : engines_) statuses.push_back(engine->status());
    out.Family("ledger_projection_position", "Last position a live projection includes.", "gauge");
    for (const auto& s : statuses)
      out.Sample("ledger_projection_position", {{"projection", s.name}}, s.position);
    out.Family("ledger_projection_lag_events",
               "Events in the log a live projection has not applied yet.", "gauge");
    for (const auto& s : statuses)
      out.Sample("ledger_projection_lag_events", {{"projection", s.name}}, s.lag_events);
    out.Family("ledger_projection_saved_position",
               "Position of a projection's last saved checkpoint.", "gauge");
    for (const auto& s : statuses)
      out.Sample("ledger_projection_saved_position", {{"projection", s.name}}, s.saved_position);
  }
  const auto tickers = store_->StatisticsTickers();
  if (!tickers.empty()) {
    out.Family("ledger_rocksdb_ticker_total",
               "RocksDB statistics tickers (rocksdb::Statistics), by ticker name.", "counter");
    for (const auto& [name, value] : tickers) {
      out.Sample("ledger_rocksdb_ticker_total", {{"ticker", name}}, value);
    }
  }
  out.Family("ledger_rocksdb_property", "RocksDB size properties, by property name.", "gauge");
  for (const auto& [name, value] : store_->StorageProperties()) {
    out.Sample("ledger_rocksdb_property", {{"name", name}}, value);
  }
}

}  // namespace sixhearts::services::metrics
