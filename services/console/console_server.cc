// The console's HTTP listener: static files, Connect unary calls and collected streams,
// each call forwarded to ledgerd's gRPC port through the descriptor pool.
#include "services/console/console_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <optional>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include "CivetServer.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/impl/client_unary_call.h"
#include "grpcpp/impl/codegen/proto_utils.h"
#include "grpcpp/impl/rpc_method.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/tls_certificate_verifier.h"
#include "grpcpp/security/tls_credentials_options.h"
#include "grpcpp/support/channel_arguments.h"
#include "grpcpp/support/sync_stream.h"
#include "ledger/quoted.h"
#include "services/auth/authenticator.h"
#include "services/console/assets.h"

namespace sixhearts::services::console {
namespace {

namespace pb = ::google::protobuf;

// Debian's Abseil has its own string_view; StrCat takes only that one.
absl::string_view Sv(std::string_view s) { return absl::string_view(s.data(), s.size()); }

constexpr std::string_view kStreamPrefix = "/console/stream/";

struct Reply {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

// A Connect error: {"code": ..., "message": ...} with the HTTP status of the code.
Reply ErrorReply(grpc::StatusCode code, std::string_view message, int http_status = 0) {
  // The protobuf printer escapes the message as JSON.
  pb::Value text;
  text.set_string_value(std::string(message));
  std::string escaped;
  (void)pb::util::MessageToJsonString(text, &escaped);
  Reply reply;
  reply.status = http_status != 0 ? http_status : ConnectHttpStatus(code);
  reply.body =
      absl::StrCat("{\"code\":\"", Sv(ConnectCodeName(code)), "\",\"message\":", escaped, "}");
  return reply;
}

void Send(mg_connection* conn, const Reply& reply, std::string_view extra_headers = "") {
  mg_printf(conn,
            "HTTP/1.1 %d %s\r\n"
            "Content-Type: %s\r\n"
            "Content-Length: %zu\r\n"
            "Cache-Control: no-store\r\n"
            "X-Content-Type-Options: nosniff\r\n"
            "%.*s"
            "Connection: close\r\n\r\n",
            reply.status, mg_get_response_code_text(conn, reply.status), reply.content_type.c_str(),
            reply.body.size(), static_cast<int>(extra_headers.size()), extra_headers.data());
  mg_write(conn, reply.body.data(), reply.body.size());
}

// The body, at most `max_bytes`; nullopt when larger (or cut short).
std::optional<std::string> ReadBody(mg_connection* conn, size_t max_bytes) {
  const mg_request_info* info = mg_get_request_info(conn);
  std::string body;
  if (info->content_length > 0) {
    if (static_cast<unsigned long long>(info->content_length) > max_bytes) return std::nullopt;
    body.resize(static_cast<size_t>(info->content_length));
    size_t got = 0;
    while (got < body.size()) {
      const int n = mg_read(conn, body.data() + got, body.size() - got);
      if (n <= 0) return std::nullopt;
      got += static_cast<size_t>(n);
    }
    return body;
  }
  char buffer[8192];
  for (;;) {
    const int n = mg_read(conn, buffer, sizeof(buffer));
    if (n <= 0) break;
    body.append(buffer, static_cast<size_t>(n));
    if (body.size() > max_bytes) return std::nullopt;
  }
  return body;
}

std::string Header(mg_connection* conn, const char* name) {
  const char* value = mg_get_header(conn, name);
  return value == nullptr ? std::string() : std::string(value);
}

// One forwarded call: the method found in the descriptor pool, its request parsed.
struct Call {
  const pb::MethodDescriptor* method = nullptr;
  std::unique_ptr<pb::Message> request;
  std::unique_ptr<pb::Message> response_prototype_owner;
  const pb::Message* response_prototype = nullptr;
  bool binary = false;  // application/proto rather than JSON
  std::string path;     // the gRPC path, "/package.Service/Method"
};

const pb::Message* Prototype(const pb::Descriptor* type) {
  return pb::MessageFactory::generated_factory()->GetPrototype(type);
}

// Finds `procedure` ("package.Service/Method") and parses the body as its request. An
// error reply for an unknown method, a bad content type or a body that does not parse.
std::variant<Call, Reply> PrepareCall(std::string_view procedure, mg_connection* conn,
                                      size_t max_bytes, bool want_streaming) {
  const size_t slash = procedure.find('/');
  if (slash == std::string_view::npos || procedure.find('/', slash + 1) != std::string_view::npos) {
    return ErrorReply(grpc::StatusCode::UNIMPLEMENTED,
                      absl::StrCat("no procedure ", ledger::QuotedInput(procedure),
                                   ": the path is /<package.Service>/<Method>"),
                      404);
  }
  const std::string service_name(procedure.substr(0, slash));
  const std::string method_name(procedure.substr(slash + 1));
  const pb::ServiceDescriptor* service =
      pb::DescriptorPool::generated_pool()->FindServiceByName(service_name);
  const pb::MethodDescriptor* method =
      service == nullptr ? nullptr : service->FindMethodByName(method_name);
  if (method == nullptr) {
    return ErrorReply(grpc::StatusCode::UNIMPLEMENTED,
                      absl::StrCat("no procedure ", ledger::QuotedInput(absl::StrCat(
                                                        service_name, "/", method_name))),
                      404);
  }
  if (method->client_streaming()) {
    return ErrorReply(
        grpc::StatusCode::UNIMPLEMENTED,
        absl::StrCat(method->full_name(), " streams requests: it is served over gRPC only"));
  }
  if (method->server_streaming() != want_streaming) {
    return ErrorReply(
        grpc::StatusCode::UNIMPLEMENTED,
        want_streaming
            ? absl::StrCat(method->full_name(), " is unary: POST /", service_name, "/", method_name)
            : absl::StrCat(method->full_name(),
                           " is a server-streaming RPC: it stays gRPC (the Connect unary form "
                           "serves unary RPCs only)"));
  }
  Call call;
  call.method = method;
  call.path = absl::StrCat("/", service_name, "/", method_name);
  const std::string content_type = Header(conn, "Content-Type");
  if (absl::StartsWith(content_type, "application/proto")) {
    call.binary = true;
  } else if (!absl::StartsWith(content_type, "application/json")) {
    return ErrorReply(grpc::StatusCode::UNIMPLEMENTED,
                      absl::StrCat("Content-Type: ", ledger::QuotedInput(content_type),
                                   " is not application/json or application/proto"),
                      415);
  }
  std::optional<std::string> body = ReadBody(conn, max_bytes);
  if (!body.has_value()) {
    return ErrorReply(
        grpc::StatusCode::RESOURCE_EXHAUSTED,
        absl::StrCat("request body: larger than max_message_bytes (", max_bytes, ") or cut short"));
  }
  call.request.reset(Prototype(method->input_type())->New());
  call.response_prototype = Prototype(method->output_type());
  if (call.binary) {
    if (!call.request->ParseFromString(*body)) {
      return ErrorReply(
          grpc::StatusCode::INVALID_ARGUMENT,
          absl::StrCat("request body: not a serialized ", method->input_type()->full_name()));
    }
  } else if (!body->empty()) {
    pb::util::JsonParseOptions options;
    options.ignore_unknown_fields = false;
    const auto parsed = pb::util::JsonStringToMessage(*body, call.request.get(), options);
    if (!parsed.ok()) {
      return ErrorReply(
          grpc::StatusCode::INVALID_ARGUMENT,
          absl::StrCat("request body: not a ", method->input_type()->full_name(),
                       " in the protobuf JSON mapping: ", Sv(std::string(parsed.message()))));
    }
  }
  return call;
}

// The caller's token and deadline on the forwarded call.
void Forward(mg_connection* conn, grpc::ClientContext* context) {
  const std::string authorization = Header(conn, "Authorization");
  if (!authorization.empty()) context->AddMetadata("authorization", authorization);
  int64_t timeout_ms = 0;
  if (absl::SimpleAtoi(Header(conn, "Connect-Timeout-Ms"), &timeout_ms) && timeout_ms > 0) {
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(timeout_ms));
  }
}

Reply Encode(const pb::Message& message, bool binary) {
  Reply reply;
  if (binary) {
    reply.content_type = "application/proto";
    message.SerializeToString(&reply.body);
    return reply;
  }
  pb::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  (void)pb::util::MessageToJsonString(message, &reply.body, options);
  return reply;
}

}  // namespace

std::string_view ConnectCodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return "ok";
    case grpc::StatusCode::CANCELLED:
      return "canceled";
    case grpc::StatusCode::UNKNOWN:
      return "unknown";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "invalid_argument";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "deadline_exceeded";
    case grpc::StatusCode::NOT_FOUND:
      return "not_found";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "already_exists";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "permission_denied";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "resource_exhausted";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "failed_precondition";
    case grpc::StatusCode::ABORTED:
      return "aborted";
    case grpc::StatusCode::OUT_OF_RANGE:
      return "out_of_range";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "unimplemented";
    case grpc::StatusCode::INTERNAL:
      return "internal";
    case grpc::StatusCode::UNAVAILABLE:
      return "unavailable";
    case grpc::StatusCode::DATA_LOSS:
      return "data_loss";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "unauthenticated";
    default:
      return "unknown";
  }
}

int ConnectHttpStatus(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return 200;
    case grpc::StatusCode::CANCELLED:
      return 499;
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::OUT_OF_RANGE:
      return 400;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return 504;
    case grpc::StatusCode::NOT_FOUND:
      return 404;
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::ABORTED:
      return 409;
    case grpc::StatusCode::PERMISSION_DENIED:
      return 403;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return 429;
    case grpc::StatusCode::UNIMPLEMENTED:
      return 501;
    case grpc::StatusCode::UNAVAILABLE:
      return 503;
    case grpc::StatusCode::UNAUTHENTICATED:
      return 401;
    default:
      return 500;  // UNKNOWN, INTERNAL, DATA_LOSS
  }
}

namespace {

// The leaf certificate of `pem` in DER, or "" when it holds none.
std::string LeafDer(std::string_view pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (bio == nullptr) return "";
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (cert == nullptr) return "";
  unsigned char* der = nullptr;
  const int length = i2d_X509(cert, &der);
  X509_free(cert);
  if (length <= 0) return "";
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(length));
  OPENSSL_free(der);
  return out;
}

// Accepts the peer whose leaf certificate is exactly the one held.
class PinnedVerifier final : public grpc::experimental::ExternalCertificateVerifier {
 public:
  explicit PinnedVerifier(std::string der) : der_(std::move(der)) {}

  bool Verify(grpc::experimental::TlsCustomVerificationCheckRequest* request,
              std::function<void(grpc::Status)>, grpc::Status* sync_status) override {
    const grpc::string_ref peer = request->peer_cert();
    *sync_status = LeafDer(std::string_view(peer.data(), peer.size())) == der_
                       ? grpc::Status::OK
                       : grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                                      "the gRPC port's certificate is not the server's own");
    return true;
  }
  void Cancel(grpc::experimental::TlsCustomVerificationCheckRequest*) override {}

 private:
  const std::string der_;
};

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> PinnedCertificateCredentials(
    std::string_view cert_pem) {
  std::string der = LeafDer(cert_pem);
  if (der.empty()) {
    return absl::InvalidArgumentError("tls.cert_file: holds no PEM certificate for the console");
  }
  grpc::experimental::TlsChannelCredentialsOptions options;
  // The one check is the pin: the certificate names another host than the loopback
  // address the console calls, and may be signed by a CA the console does not hold.
  options.set_verify_server_certs(false);
  options.set_check_call_host(false);
  options.set_certificate_verifier(
      grpc::experimental::ExternalCertificateVerifier::Create<PinnedVerifier>(std::move(der)));
  return grpc::experimental::TlsCredentials(options);
}

class ConsoleServer::Impl final : public CivetHandler {
 public:
  explicit Impl(const ConsoleOptions& options) : options_(options) {
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(static_cast<int>(options.max_message_bytes));
    args.SetMaxSendMessageSize(static_cast<int>(options.max_message_bytes));
    channel_ = grpc::CreateCustomChannel(options.grpc_target,
                                         options.grpc_credentials != nullptr
                                             ? options.grpc_credentials
                                             : grpc::experimental::LocalCredentials(LOCAL_TCP),
                                         args);
    check_host_ = options.tls_cert_file.empty();
  }

  bool handleGet(CivetServer*, mg_connection* conn) override {
    if (auto refused = CheckHost(conn)) {
      Send(conn, *refused);
      return true;
    }
    const std::string_view path = mg_get_request_info(conn)->local_uri;
    const Asset* asset = FindAsset(path);
    if (asset == nullptr) {
      Send(conn, Reply{404, "text/plain; charset=utf-8", absl::StrCat("no page ", Sv(path), "\n")});
      return true;
    }
    // Nothing the pages load may come from elsewhere: no CDN, no font, no beacon.
    Send(conn, Reply{200, std::string(asset->content_type), std::string(asset->content)},
         "Content-Security-Policy: default-src 'self'; img-src 'self' data:; "
         "style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; frame-ancestors "
         "'none'\r\n");
    return true;
  }

  bool handlePost(CivetServer*, mg_connection* conn) override {
    if (auto refused = CheckHost(conn)) {
      Send(conn, *refused);
      return true;
    }
    const std::string_view path = mg_get_request_info(conn)->local_uri;
    if (absl::StartsWith(Sv(path), Sv(kStreamPrefix))) {
      Send(conn, Stream(path.substr(kStreamPrefix.size()), conn));
    } else {
      Send(conn, Unary(path.substr(1), conn));
    }
    return true;
  }

 private:
  // The listener is loopback only, so a browser reaches it only as 127.0.0.1, [::1] or
  // localhost. Any other Host is a page of another site that pointed its own name at
  // 127.0.0.1 (DNS rebinding) to read the ledger through the user's browser: refused.
  std::optional<Reply> CheckHost(mg_connection* conn) const {
    if (!check_host_) {
      // Behind the HTTPS front the listener is still a plain loopback port: it answers
      // only the connections the front relays, whatever Host they name.
      const TlsFront* front = front_.load();
      if (front != nullptr && front->Relays(mg_get_request_info(conn)->remote_port)) {
        return std::nullopt;
      }
      return ErrorReply(grpc::StatusCode::PERMISSION_DENIED,
                        "this is the console's internal port; open the console over https");
    }
    const std::string host = Header(conn, "Host");
    const size_t end = host.starts_with("[") ? host.find(']') + 1 : host.rfind(':');
    const std::string name = host.substr(0, end == std::string::npos ? host.size() : end);
    if (host.empty() || auth::IsLoopbackHost(name)) return std::nullopt;
    return ErrorReply(grpc::StatusCode::PERMISSION_DENIED,
                      absl::StrCat("Host: \"", host,
                                   "\" is not a loopback name; the console answers only to "
                                   "127.0.0.1, [::1] and localhost"));
  }

  Reply Unary(std::string_view procedure, mg_connection* conn) {
    auto prepared = PrepareCall(procedure, conn, options_.max_message_bytes, false);
    if (auto* reply = std::get_if<Reply>(&prepared)) return std::move(*reply);
    Call& call = std::get<Call>(prepared);
    grpc::ClientContext context;
    Forward(conn, &context);
    std::unique_ptr<pb::Message> response(call.response_prototype->New());
    const grpc::internal::RpcMethod method(call.path.c_str(),
                                           grpc::internal::RpcMethod::NORMAL_RPC);
    const grpc::Status status = grpc::internal::BlockingUnaryCall<pb::Message, pb::Message>(
        channel_.get(), method, &context, *call.request, response.get());
    if (!status.ok()) return ErrorReply(status.error_code(), status.error_message());
    return Encode(*response, call.binary);
  }

  // A server-streaming call, every message collected: {"messages": [...]}.
  Reply Stream(std::string_view procedure, mg_connection* conn) {
    auto prepared = PrepareCall(procedure, conn, options_.max_message_bytes, true);
    if (auto* reply = std::get_if<Reply>(&prepared)) return std::move(*reply);
    Call& call = std::get<Call>(prepared);
    if (call.binary) {
      return ErrorReply(grpc::StatusCode::INVALID_ARGUMENT,
                        "Content-Type: collected streams are JSON only", 415);
    }
    grpc::ClientContext context;
    Forward(conn, &context);
    const grpc::internal::RpcMethod method(call.path.c_str(),
                                           grpc::internal::RpcMethod::SERVER_STREAMING);
    std::unique_ptr<grpc::ClientReader<pb::Message>> reader(
        grpc::internal::ClientReaderFactory<pb::Message>::Create(channel_.get(), method, &context,
                                                                 *call.request));
    Reply reply;
    reply.body = "{\"messages\":[";
    size_t count = 0;
    std::unique_ptr<pb::Message> response(call.response_prototype->New());
    pb::util::JsonPrintOptions options;
    options.always_print_primitive_fields = true;
    while (reader->Read(response.get())) {
      if (count == options_.max_stream_messages || reply.body.size() > options_.max_message_bytes) {
        context.TryCancel();
        reader->Finish().IgnoreError();
        return ErrorReply(
            grpc::StatusCode::RESOURCE_EXHAUSTED,
            absl::StrCat(call.method->full_name(), ": more than ", options_.max_stream_messages,
                         " messages or ", options_.max_message_bytes,
                         " bytes; ask for less (a limit, a narrower range)"));
      }
      std::string json;
      (void)pb::util::MessageToJsonString(*response, &json, options);
      absl::StrAppend(&reply.body, count == 0 ? "" : ",", json);
      ++count;
      response->Clear();
    }
    const grpc::Status status = reader->Finish();
    if (!status.ok()) return ErrorReply(status.error_code(), status.error_message());
    reply.body += "]}";
    return reply;
  }

  const ConsoleOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  bool check_host_ = true;  // plain HTTP on loopback: only loopback names

 public:
  // With TLS: the front whose relayed connections alone are answered.
  std::atomic<const TlsFront*> front_{nullptr};

 private:
 public:
  std::unique_ptr<CivetServer> server;
};

absl::StatusOr<std::unique_ptr<ConsoleServer>> ConsoleServer::Start(const ConsoleOptions& options) {
  const size_t colon = options.listen.rfind(':');
  if (colon == std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("console.listen: expected HOST:PORT, got \"", options.listen, "\""));
  }
  const std::string host = options.listen.substr(0, colon);
  const bool tls = !options.tls_cert_file.empty() || !options.tls_key_file.empty();
  if (!tls && !auth::IsLoopbackHost(host)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "console.listen: ", host,
        " is not a loopback address; without [tls] the console serves plain HTTP, so tokens and "
        "data "
        "would cross the network in clear (listen on 127.0.0.1, or \"\" to turn it off)"));
  }
  std::unique_ptr<ConsoleServer> self(new ConsoleServer());
  self->impl_ = std::make_unique<Impl>(options);
  // civetweb wants "127.0.0.1:8451"; "localhost" is not an address to it.
  // With TLS the HTTP listener takes a loopback port of its own, behind the HTTPS front.
  const std::string bind = tls ? std::string("127.0.0.1:0")
                           : host == "localhost"
                               ? absl::StrCat("127.0.0.1", options.listen.substr(colon))
                               : options.listen;
  const std::vector<std::string> civet_options = {
      "listening_ports",          bind, "num_threads", std::to_string(options.threads),
      "enable_directory_listing", "no"};
  try {
    self->impl_->server = std::make_unique<CivetServer>(civet_options);
  } catch (const CivetException& e) {
    return absl::UnavailableError(
        absl::StrCat("console.listen: cannot listen on ", options.listen, ": ", e.what()));
  }
  if (self->impl_->server->getContext() == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("console.listen: cannot listen on ", options.listen));
  }
  self->impl_->server->addHandler("/", *self->impl_);
  const std::vector<int> ports = self->impl_->server->getListeningPorts();
  if (ports.empty() || ports[0] == 0) {
    return absl::UnavailableError(
        absl::StrCat("console.listen: ", options.listen, " gave no listening port"));
  }
  self->http_port_ = ports[0];
  self->port_ = ports[0];
  if (tls) {
    TlsFrontOptions front;
    front.listen = options.listen;
    front.cert_file = options.tls_cert_file;
    front.key_file = options.tls_key_file;
    front.backend_port = self->http_port_;
    front.max_connections = options.max_tls_connections;
    auto started = TlsFront::Start(front);
    if (!started.ok()) return started.status();
    self->front_ = std::move(*started);
    self->impl_->front_.store(self->front_.get());
    self->port_ = self->front_->port();
  }
  return self;
}

ConsoleServer::~ConsoleServer() {
  front_.reset();  // no more connections relayed to the listener
  if (impl_ == nullptr || impl_->server == nullptr) return;
  // civetweb's listening thread sees the stop only when its poll returns, up to 2 s
  // later (SOCKET_TIMEOUT_QUANTUM), which would hold ledgerd's stop up: connections to
  // the port wake it until close() has returned.
  std::atomic<bool> closed{false};
  std::thread waker([this, &closed] {
    while (!closed.load()) {
      const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
      if (fd >= 0) {
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(static_cast<uint16_t>(http_port_));
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        (void)::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address));
        ::close(fd);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  impl_->server->close();
  closed.store(true);
  waker.join();
}

}  // namespace sixhearts::services::console
