// The web console and the Connect protocol's unary JSON form, on an HTTP listener of their
// own (civetweb), apart from gRPC. Every data call is forwarded to ledgerd's own gRPC port
// over a loopback channel with the caller's bearer token as `authorization` metadata, so
// the same gate (services/auth/authenticator.h), role table and actor rules apply to HTTP
// callers as to gRPC ones; this listener checks nothing itself.
//
//   POST /<package.Service>/<Method>            Connect unary (application/json or
//                                               application/proto), any unary RPC
//   POST /console/stream/<package.Service>/<Method>   a server-streaming RPC collected into
//                                               {"messages": [...]}, for the console pages
//   GET  /, /console.js, /console.css, ...      the console pages, compiled into ledgerd
//
// Errors follow the Connect protocol: the HTTP status of the gRPC code (ConnectHttpStatus)
// and a body {"code": "invalid_argument", "message": "..."}.
#ifndef SIXHEARTS_SERVICES_CONSOLE_CONSOLE_SERVER_H_
#define SIXHEARTS_SERVICES_CONSOLE_CONSOLE_SERVER_H_

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/status.h"
#include "services/console/tls_front.h"

namespace sixhearts::services::console {

struct ConsoleOptions {
  // HOST:PORT to listen on; port 0 picks a free port. Without TLS (below) it must be a
  // loopback address: plain HTTP must not carry tokens and data across a network.
  // Required.
  std::string listen;
  // HOST:PORT of ledgerd's gRPC port. Required.
  std::string grpc_target;
  // The credentials of the calls to grpc_target. Default (null): gRPC local credentials,
  // for a port served on loopback without TLS.
  std::shared_ptr<grpc::ChannelCredentials> grpc_credentials;
  // PEM certificate (with its chain) and unencrypted key, the server's [tls] files: when
  // both are set the console serves HTTPS on `listen` (services/console/tls_front.h),
  // which may then be any address, and answers whatever Host a browser names (the
  // browser checks that name against the certificate). Default: empty, plain HTTP.
  std::string tls_cert_file;
  std::string tls_key_file;
  // Largest request body and largest collected stream, in bytes (ledger::Limits::
  // max_message_bytes). Default: 64 MiB.
  size_t max_message_bytes = 64 << 20;
  // Most messages a collected stream (/console/stream/...) returns before it is cut with
  // RESOURCE_EXHAUSTED. Default: 10,000.
  size_t max_stream_messages = 10'000;
  // civetweb worker threads: calls served at once. Default: 8.
  int threads = 8;
  // HTTPS connections relayed at once (more are closed at accept). Default: 64.
  int max_tls_connections = 64;
};

class ConsoleServer {
 public:
  // Listens. INVALID_ARGUMENT naming console.listen for a malformed address, or a
  // non-loopback one without TLS, and naming tls.cert_file or tls.key_file for files that
  // do not load; UNAVAILABLE naming console.listen when it cannot be bound.
  static absl::StatusOr<std::unique_ptr<ConsoleServer>> Start(const ConsoleOptions& options);
  // Stops listening; waits for calls in progress.
  ~ConsoleServer();

  // The port actually bound (the HTTPS port with TLS).
  int port() const { return port_; }
  // The HTTP listener's own port: port() without TLS, else a loopback port behind the
  // HTTPS front that answers only the connections the front relays.
  int http_port() const { return http_port_; }
  // "https" with TLS, else "http".
  const char* scheme() const { return front_ != nullptr ? "https" : "http"; }

  class Impl;

 private:
  ConsoleServer() = default;
  std::unique_ptr<Impl> impl_;
  // Before impl_ in destruction order: it relays to impl_'s listener.
  std::unique_ptr<TlsFront> front_;
  int port_ = 0;
  int http_port_ = 0;  // the HTTP listener's own port (loopback, behind front_ with TLS)
};

// Channel credentials that accept as the server exactly the certificate `cert_pem` holds
// first (the leaf), whatever names it carries and whoever signed it: the console calling
// its own server's gRPC port, whose certificate file it reads. INVALID_ARGUMENT when
// `cert_pem` holds no PEM certificate.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> PinnedCertificateCredentials(
    std::string_view cert_pem);

// The Connect protocol's name of a gRPC code ("invalid_argument"; "canceled" for
// CANCELLED).
std::string_view ConnectCodeName(grpc::StatusCode code);

// The HTTP status the Connect protocol gives an error of `code` (400 for
// INVALID_ARGUMENT, FAILED_PRECONDITION and OUT_OF_RANGE, 401, 403, 404, 409 for
// ALREADY_EXISTS and ABORTED, 429, 499, 500, 501, 503, 504).
int ConnectHttpStatus(grpc::StatusCode code);

}  // namespace sixhearts::services::console

#endif  // SIXHEARTS_SERVICES_CONSOLE_CONSOLE_SERVER_H_
