// HTTPS in front of the console's HTTP listener, with OpenSSL: accepts TLS connections on
// the console's address and relays each, decrypted, to the listener on a loopback port.
// Debian 12's civetweb cannot serve HTTPS itself: built for the OpenSSL 1.1 API and
// loading libssl.so at run time, it finds no SSL_get_peer_certificate in OpenSSL 3 (now
// SSL_get1_peer_certificate); its first attempt fails, a second one counts the library as
// loaded, and every HTTPS connection then calls that missing function (a null pointer).
//
// A connection that does not begin with a TLS handshake record (plain HTTP) gets a 400
// naming the https:// address, then is closed.
#ifndef SIXHEARTS_SERVICES_CONSOLE_TLS_FRONT_H_
#define SIXHEARTS_SERVICES_CONSOLE_TLS_FRONT_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace sixhearts::services::console {

struct TlsFrontOptions {
  // HOST:PORT to listen on (port 0 picks one). Required.
  std::string listen;
  // PEM files: the certificate (with its chain) and its unencrypted private key.
  std::string cert_file;
  std::string key_file;
  // The loopback port of the plain HTTP listener the connections are relayed to.
  int backend_port = 0;
  // Connections relayed at once; more are closed at accept. Default: 64.
  int max_connections = 64;
  // A TLS handshake, or a silence on a relayed connection, longer than this ends it.
  // Default: 30 s.
  int idle_timeout_ms = 30'000;
};

class TlsFront {
 public:
  // Loads the certificate and key and listens. INVALID_ARGUMENT naming the file for a
  // certificate or key that does not load or does not match; UNAVAILABLE naming
  // console.listen when it cannot be bound.
  static absl::StatusOr<std::unique_ptr<TlsFront>> Start(const TlsFrontOptions& options);
  // Stops accepting, ends the relayed connections and waits for their threads.
  ~TlsFront();

  int port() const;

  // Whether a connection to the backend from loopback port `local_port` is one this
  // front relays (so the backend can refuse every other caller). Thread-safe.
  bool Relays(int local_port) const;

  class Impl;

 private:
  TlsFront() = default;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sixhearts::services::console

#endif  // SIXHEARTS_SERVICES_CONSOLE_TLS_FRONT_H_
