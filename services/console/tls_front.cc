// The console's HTTPS front: OpenSSL accept, then a relay of plaintext to the console's
// loopback HTTP listener, one thread per connection (at most max_connections).
#include "services/console/tls_front.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstring>
#include <list>
#include <mutex>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"

namespace sixhearts::services::console {
namespace {

// The first byte of a TLS record carrying a handshake (RFC 8446 5.1): a ClientHello.
constexpr unsigned char kTlsHandshakeRecord = 0x16;
constexpr size_t kRelayBufferBytes = 16 * 1024;

std::string OpenSslError() {
  const unsigned long code = ERR_get_error();
  if (code == 0) return "no OpenSSL error";
  char text[256];
  ERR_error_string_n(code, text, sizeof(text));
  return text;
}

bool SendAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

bool SslWriteAll(SSL* ssl, const char* data, size_t size) {
  while (size > 0) {
    size_t written = 0;
    if (SSL_write_ex(ssl, data, size, &written) <= 0) return false;
    data += written;
    size -= written;
  }
  return true;
}

void SetTimeouts(int fd, int timeout_ms) {
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

}  // namespace

class TlsFront::Impl {
 public:
  Impl(const TlsFrontOptions& options, SSL_CTX* ctx, int listen_fd, int port)
      : options_(options), ctx_(ctx), listen_fd_(listen_fd), port_(port) {
    if (::pipe2(wake_, O_CLOEXEC) != 0) wake_[0] = wake_[1] = -1;
    acceptor_ = std::thread([this] { Accept(); });
  }

  ~Impl() {
    stopping_.store(true);
    if (wake_[1] >= 0) (void)::write(wake_[1], "x", 1);
    acceptor_.join();
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
    }
    for (Relay& relay : relays_) relay.thread.join();
    ::close(listen_fd_);
    if (wake_[0] >= 0) ::close(wake_[0]);
    if (wake_[1] >= 0) ::close(wake_[1]);
    SSL_CTX_free(ctx_);
  }

  int port() const { return port_; }

  bool Relays(int local_port) const {
    std::lock_guard<std::mutex> lock(mu_);
    return relayed_ports_.contains(local_port);
  }

 private:
  struct Relay {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };

  void Accept() {
    for (;;) {
      pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
      if (::poll(fds, wake_[0] >= 0 ? 2 : 1, 1000) < 0 && errno != EINTR) return;
      if (stopping_.load()) return;
      Reap();
      if ((fds[0].revents & POLLIN) == 0) continue;
      const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      std::lock_guard<std::mutex> lock(mu_);
      if (open_fds_.size() >= static_cast<size_t>(options_.max_connections)) {
        ::close(fd);
        continue;
      }
      open_fds_.insert(fd);
      auto done = std::make_shared<std::atomic<bool>>(false);
      relays_.push_back(Relay{std::thread([this, fd, done] {
                                Serve(fd);
                                std::lock_guard<std::mutex> lock(mu_);
                                open_fds_.erase(fd);
                                ::close(fd);
                                done->store(true);
                              }),
                              done});
    }
  }

  // Joins the threads of connections that ended. Only the acceptor touches relays_.
  void Reap() {
    for (auto it = relays_.begin(); it != relays_.end();) {
      if (it->done->load()) {
        it->thread.join();
        it = relays_.erase(it);
      } else {
        ++it;
      }
    }
  }

  void Serve(int fd) {
    SetTimeouts(fd, options_.idle_timeout_ms);
    unsigned char first = 0;
    if (::recv(fd, &first, 1, MSG_PEEK) != 1) return;
    if (first != kTlsHandshakeRecord) {
      const std::string body = absl::StrCat(
          "This is the ledger console's HTTPS port: open https://, not http://, on port ", port_,
          ".\n");
      const std::string reply =
          absl::StrCat("HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n",
                       "Content-Length: ", body.size(), "\r\nConnection: close\r\n\r\n", body);
      SendAll(fd, reply.data(), reply.size());
      return;
    }
    SSL* ssl = SSL_new(ctx_);
    if (ssl == nullptr) return;
    SSL_set_fd(ssl, fd);
    if (SSL_accept(ssl) == 1) Pump(ssl, fd);
    SSL_free(ssl);
  }

  // Connects to the backend, registers the connection as relayed, and relays it.
  void Pump(SSL* ssl, int fd) {
    const int backend = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (backend < 0) return;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(options_.backend_port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(backend, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
      ::close(backend);
      return;
    }
    SetTimeouts(backend, options_.idle_timeout_ms);
    sockaddr_in local{};
    socklen_t local_length = sizeof(local);
    ::getsockname(backend, reinterpret_cast<sockaddr*>(&local), &local_length);
    const int local_port = ntohs(local.sin_port);
    {
      std::lock_guard<std::mutex> lock(mu_);
      relayed_ports_.insert(local_port);
    }
    Copy(ssl, fd, backend);
    {
      std::lock_guard<std::mutex> lock(mu_);
      relayed_ports_.erase(local_port);
    }
    ::close(backend);
  }

  // Relays both ways until either side closes or stays silent for idle_timeout_ms.
  void Copy(SSL* ssl, int fd, int backend) {
    std::string buffer(kRelayBufferBytes, '\0');
    bool client_open = true;
    for (;;) {
      pollfd fds[2] = {{fd, static_cast<short>(client_open ? POLLIN : 0), 0}, {backend, POLLIN, 0}};
      const bool buffered = client_open && SSL_pending(ssl) > 0;
      const int ready = buffered ? 1 : ::poll(fds, 2, options_.idle_timeout_ms);
      if (ready <= 0 || stopping_.load()) break;
      if (buffered || (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
        size_t got = 0;
        if (SSL_read_ex(ssl, buffer.data(), buffer.size(), &got) <= 0) {
          // The client is done sending; the answer may still be on its way.
          client_open = false;
          ::shutdown(backend, SHUT_WR);
        } else if (!SendAll(backend, buffer.data(), got)) {
          break;
        }
      }
      if ((fds[1].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
        const ssize_t n = ::recv(backend, buffer.data(), buffer.size(), 0);
        if (n <= 0) {
          SSL_shutdown(ssl);
          break;
        }
        if (!SslWriteAll(ssl, buffer.data(), static_cast<size_t>(n))) break;
      }
    }
  }

  const TlsFrontOptions options_;
  SSL_CTX* const ctx_;
  const int listen_fd_;
  const int port_;
  int wake_[2] = {-1, -1};
  std::atomic<bool> stopping_{false};
  mutable std::mutex mu_;
  std::set<int> open_fds_;       // guarded by mu_
  std::set<int> relayed_ports_;  // guarded by mu_: local ports of the backend connections
  std::list<Relay> relays_;
  std::thread acceptor_;
};

absl::StatusOr<std::unique_ptr<TlsFront>> TlsFront::Start(const TlsFrontOptions& options) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) return absl::InternalError("console TLS: " + OpenSslError());
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  if (SSL_CTX_use_certificate_chain_file(ctx, options.cert_file.c_str()) != 1) {
    const std::string why = OpenSslError();
    SSL_CTX_free(ctx);
    return absl::InvalidArgumentError(
        absl::StrCat("tls.cert_file: cannot load ", options.cert_file, " for the console: ", why));
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, options.key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(ctx) != 1) {
    const std::string why = OpenSslError();
    SSL_CTX_free(ctx);
    return absl::InvalidArgumentError(
        absl::StrCat("tls.key_file: cannot load ", options.key_file, " for the console: ", why));
  }
  const size_t colon = options.listen.rfind(':');
  std::string host = options.listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  const std::string port = options.listen.substr(colon + 1);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  if (colon == std::string::npos ||
      ::getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &found) != 0) {
    SSL_CTX_free(ctx);
    return absl::InvalidArgumentError(
        absl::StrCat("console.listen: cannot resolve \"", options.listen, "\""));
  }
  int fd = -1;
  for (addrinfo* a = found; a != nullptr && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (::bind(fd, a->ai_addr, a->ai_addrlen) != 0 || ::listen(fd, 128) != 0) {
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(found);
  if (fd < 0) {
    SSL_CTX_free(ctx);
    return absl::UnavailableError(absl::StrCat("console.listen: cannot listen on ", options.listen,
                                               ": ", std::strerror(errno)));
  }
  sockaddr_storage bound{};
  socklen_t length = sizeof(bound);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length);
  const int bound_port =
      ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                        : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  std::unique_ptr<TlsFront> self(new TlsFront());
  self->impl_ = std::make_unique<Impl>(options, ctx, fd, bound_port);
  return self;
}

TlsFront::~TlsFront() = default;

int TlsFront::port() const { return impl_->port(); }

bool TlsFront::Relays(int local_port) const { return impl_->Relays(local_port); }

}  // namespace sixhearts::services::console
