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
#include "grpcpp/support/status.h"

namespace sixhearts::services::console {

struct ConsoleOptions {
  // HOST:PORT to listen on; port 0 picks a free port. Must be a loopback address: the
  // listener speaks plain HTTP, so tokens and data must not cross a network. Required.
  std::string listen;
  // HOST:PORT of ledgerd's gRPC port, served with local (loopback, plaintext) credentials.
  // Required.
  std::string grpc_target;
  // Largest request body and largest collected stream, in bytes (ledger::Limits::
  // max_message_bytes). Default: 64 MiB.
  size_t max_message_bytes = 64 << 20;
  // Most messages a collected stream (/console/stream/...) returns before it is cut with
  // RESOURCE_EXHAUSTED. Default: 10,000.
  size_t max_stream_messages = 10'000;
  // civetweb worker threads: calls served at once. Default: 8.
  int threads = 8;
};

class ConsoleServer {
 public:
  // Listens. INVALID_ARGUMENT naming console.listen for a malformed or non-loopback
  // address; UNAVAILABLE naming it when it cannot be bound.
  static absl::StatusOr<std::unique_ptr<ConsoleServer>> Start(const ConsoleOptions& options);
  // Stops listening; waits for calls in progress.
  ~ConsoleServer();

  // The port actually bound.
  int port() const { return port_; }

  class Impl;

 private:
  ConsoleServer() = default;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

// The Connect protocol's name of a gRPC code ("invalid_argument"; "canceled" for
// CANCELLED).
std::string_view ConnectCodeName(grpc::StatusCode code);

// The HTTP status the Connect protocol gives an error of `code` (400 for
// INVALID_ARGUMENT, FAILED_PRECONDITION and OUT_OF_RANGE, 401, 403, 404, 409 for
// ALREADY_EXISTS and ABORTED, 429, 499, 500, 501, 503, 504).
int ConnectHttpStatus(grpc::StatusCode code);

}  // namespace sixhearts::services::console

#endif  // SIXHEARTS_SERVICES_CONSOLE_CONSOLE_SERVER_H_
