// The ledger's metrics: what the store reports through ledger::StoreObserver (appends,
// group commits, syncs), gRPC calls by method and status code (a server interceptor that
// also gives each call a request id and logs it), and values read at scrape time (head,
// subscriptions, projection positions and lag, RocksDB statistics). Metric names and
// meanings are listed in docs/operations.md.
#ifndef SIXHEARTS_SERVICES_METRICS_LEDGER_METRICS_H_
#define SIXHEARTS_SERVICES_METRICS_LEDGER_METRICS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "grpcpp/support/server_interceptor.h"
#include "ledger/event_store.h"
#include "ledger/observer.h"
#include "services/metrics/registry.h"
#include "services/projection/projection_engine.h"

namespace sixhearts::services::metrics {

// The metadata key carrying a request id, read from the caller and echoed back.
inline constexpr char kRequestIdKey[] = "x-request-id";

class LedgerMetrics final : public ledger::StoreObserver {
 public:
  LedgerMetrics();

  Registry& registry() { return registry_; }

  // Sources read at scrape time. Not owned; Detach() before they are destroyed.
  void Attach(const ledger::EventStore* store,
              std::vector<const projection::ProjectionEngine*> engines);
  void Detach();

  // For grpc::ServerBuilder::experimental().SetInterceptorCreators(). The factory must
  // not outlive this object.
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> MakeInterceptorFactory();

  void OnAppendDone(size_t events, const absl::Status& status, bool duplicate,
                    absl::Duration latency) override;
  void OnGroupCommit(size_t requests, size_t events_written,
                     absl::Duration write_duration) override;
  void OnLogDamage(const absl::Status& found) override;

  // Called by the interceptor when a call ends.
  void OnCallStarted(const std::string& method);
  void OnCallHandled(const std::string& method, grpc::StatusCode code, absl::Duration duration);

 private:
  void Collect(TextWriter& out);

  Registry registry_;
  Registry::Family<Counter>& append_requests_;
  Counter& appended_events_;
  Counter& duplicate_appends_;
  Counter& log_damage_found_;
  Histogram& append_seconds_;
  Histogram& append_batch_events_;
  Histogram& group_commit_requests_;
  Histogram& group_commit_events_;
  Histogram& sync_seconds_;
  Registry::Family<Counter>& grpc_started_;
  Registry::Family<Counter>& grpc_handled_;
  Registry::Family<Histogram>& grpc_seconds_;

  absl::Mutex sources_mu_;
  const ledger::EventStore* store_ ABSL_GUARDED_BY(sources_mu_) = nullptr;
  std::vector<const projection::ProjectionEngine*> engines_ ABSL_GUARDED_BY(sources_mu_);
};

// The gRPC status code's name, as in grpc::StatusCode: "OK", "INVALID_ARGUMENT", ...
std::string StatusCodeName(grpc::StatusCode code);

}  // namespace sixhearts::services::metrics

#endif  // SIXHEARTS_SERVICES_METRICS_LEDGER_METRICS_H_
