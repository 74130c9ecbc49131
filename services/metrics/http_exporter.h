// Serves a Registry as GET /metrics over HTTP (civetweb, Debian's libcivetweb), on its
// own port apart from gRPC, for Prometheus to scrape.
#ifndef SIXHEARTS_SERVICES_METRICS_HTTP_EXPORTER_H_
#define SIXHEARTS_SERVICES_METRICS_HTTP_EXPORTER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "services/metrics/registry.h"

namespace sixhearts::services::metrics {

class HttpExporter {
 public:
  // Listens on `listen` (HOST:PORT; port 0 picks a free port). `registry` must outlive
  // the exporter. UNAVAILABLE naming the address when it cannot listen.
  static absl::StatusOr<std::unique_ptr<HttpExporter>> Start(const std::string& listen,
                                                             const Registry* registry);
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
