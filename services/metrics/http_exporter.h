// Serves a Registry as GET /metrics over HTTP (civetweb, Debian's libcivetweb), on its
// own port apart from gRPC, for Prometheus to scrape; and GET /healthz, the server's
// overall health for probes that cannot speak gRPC over TLS (Kubernetes' gRPC probes
// have no TLS): 200 "SERVING" or 503 "NOT_SERVING", as the gRPC health service says.
#ifndef SIXHEARTS_SERVICES_METRICS_HTTP_EXPORTER_H_
#define SIXHEARTS_SERVICES_METRICS_HTTP_EXPORTER_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "services/metrics/registry.h"

namespace sixhearts::services::metrics {

class HttpExporter {
 public:
  // Listens on `listen` (HOST:PORT; port 0 picks a free port). `registry` must outlive
  // the exporter; `serving` (called per /healthz request, from civetweb's threads) says
  // whether the server is serving. UNAVAILABLE naming the address when it cannot listen.
  static absl::StatusOr<std::unique_ptr<HttpExporter>> Start(const std::string& listen,
                                                             const Registry* registry,
                                                             std::function<bool()> serving);
  // Stops serving; waits for scrapes in progress.
  ~HttpExporter();

  // The port actually bound.
  int port() const { return port_; }

  class Impl;

 private:
  HttpExporter() = default;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

}  // namespace sixhearts::services::metrics

#endif  // SIXHEARTS_SERVICES_METRICS_HTTP_EXPORTER_H_
