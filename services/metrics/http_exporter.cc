// The /metrics endpoint on civetweb's C++ API.
#include "services/metrics/http_exporter.h"

#include <functional>
#include <string_view>
#include <utility>
#include <vector>

#include "CivetServer.h"
#include "absl/strings/str_cat.h"

namespace sixhearts::services::metrics {

namespace {

class MetricsHandler final : public CivetHandler {
 public:
  explicit MetricsHandler(const Registry* registry) : registry_(registry) {}
  bool handleGet(CivetServer*, mg_connection* conn) override {
    const std::string body = registry_->Render();
    mg_printf(conn,
              "HTTP/1.1 200 OK\r\n"
              "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
              "Content-Length: %zu\r\n"
              "Connection: close\r\n\r\n",
              body.size());
    mg_write(conn, body.data(), body.size());
    return true;
  }

 private:
  const Registry* registry_;
};

class HealthHandler final : public CivetHandler {
 public:
  explicit HealthHandler(std::function<bool()> serving) : serving_(std::move(serving)) {}
  bool handleGet(CivetServer*, mg_connection* conn) override {
    const bool serving = serving_();
    const std::string_view body = serving ? "SERVING\n" : "NOT_SERVING\n";
    mg_printf(conn,
              "HTTP/1.1 %s\r\n"
              "Content-Type: text/plain; charset=utf-8\r\n"
              "Content-Length: %zu\r\n"
              "Cache-Control: no-store\r\n"
              "Connection: close\r\n\r\n",
              serving ? "200 OK" : "503 Service Unavailable", body.size());
    mg_write(conn, body.data(), body.size());
    return true;
  }

 private:
  std::function<bool()> serving_;
};

}  // namespace

class HttpExporter::Impl {
 public:
  Impl(const Registry* registry, std::function<bool()> serving)
      : handler(registry), health(std::move(serving)) {}
  MetricsHandler handler;
  HealthHandler health;
  std::unique_ptr<CivetServer> server;
};

absl::StatusOr<std::unique_ptr<HttpExporter>> HttpExporter::Start(const std::string& listen,
                                                                  const Registry* registry,
                                                                  std::function<bool()> serving) {
  std::unique_ptr<HttpExporter> self(new HttpExporter());
  self->impl_ = std::make_unique<Impl>(registry, std::move(serving));
  // Two threads: scrapes are rare and short; nothing else is served.
  const std::vector<std::string> options = {"listening_ports", listen, "num_threads", "2"};
  try {
    self->impl_->server = std::make_unique<CivetServer>(options);
  } catch (const CivetException& e) {
    return absl::UnavailableError(
        absl::StrCat("metrics.listen: cannot listen on ", listen, ": ", e.what()));
  }
  if (self->impl_->server->getContext() == nullptr) {
    return absl::UnavailableError(absl::StrCat("metrics.listen: cannot listen on ", listen));
  }
  self->impl_->server->addHandler("/metrics", self->impl_->handler);
  self->impl_->server->addHandler("/healthz", self->impl_->health);
  const std::vector<int> ports = self->impl_->server->getListeningPorts();
  if (ports.empty() || ports[0] == 0) {
    return absl::UnavailableError(
        absl::StrCat("metrics.listen: ", listen, " gave no listening port"));
  }
  self->port_ = ports[0];
  return self;
}

HttpExporter::~HttpExporter() {
  if (impl_ != nullptr && impl_->server != nullptr) impl_->server->close();
}

}  // namespace sixhearts::services::metrics
