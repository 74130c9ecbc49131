// Authentication and authorization of every call, in one place: an AuthMetadataProcessor
// that gRPC runs before any handler. It finds the caller's principal (bearer token, or a
// verified client certificate), looks the method up in the role table (roles.h) and
// refuses with UNAUTHENTICATED or PERMISSION_DENIED; handlers only ever see calls that
// passed. gRPC's auth context belongs to the connection, not to the call (its properties
// outlive the call, and one connection carries calls of several principals), so the
// principal of a call is found again from that call's own credentials (PrincipalOf); the
// token stays in the call's metadata for that, is read by nothing else, and no message or
// log line contains it.
#ifndef SIXHEARTS_SERVICES_AUTH_AUTHENTICATOR_H_
#define SIXHEARTS_SERVICES_AUTH_AUTHENTICATOR_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "grpcpp/security/auth_metadata_processor.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_context.h"
#include "services/auth/auth_config.h"

namespace sixhearts::services::auth {

// Decides whether the server has room for one more call of `method`: OK or
// RESOURCE_EXHAUSTED naming the limit (services/in_flight.h).
using AdmitFn = std::function<grpc::Status(std::string_view method)>;

// The gate every call passes before its handler: authentication and the role table when
// `principals` is given (an auth configuration), then admission. Thread-safe; holds a
// copy of the principals.
class CallGate final : public grpc::AuthMetadataProcessor {
 public:
  CallGate(std::optional<std::vector<Principal>> principals, AdmitFn admit);

  // Only hashes and table look-ups: cheap enough for gRPC's own threads.
  bool IsBlocking() const override { return false; }

  grpc::Status Process(const InputMetadata& auth_metadata, grpc::AuthContext* context,
                       OutputMetadata* consumed_auth_metadata,
                       OutputMetadata* response_metadata) override;

  // The principal whose credentials `context`'s call carried (its bearer token, else the
  // connection's verified client certificate), or "" when the server runs without
  // authentication. Process refuses a call with more than one authorization value
  // (UNAUTHENTICATED), so the token read here is the one Process checked. REQUIRES: the
  // call passed Process.
  std::string PrincipalOf(const grpc::ServerContextBase& context) const;

 private:
  const Principal* FindByToken(std::string_view token) const;
  const Principal* FindByCertificate(const grpc::AuthContext& context) const;

  const std::optional<std::vector<Principal>> principals_;
  const AdmitFn admit_;
};

// True for 127.0.0.0/8, ::1 and "localhost": addresses other hosts cannot reach.
bool IsLoopbackHost(std::string_view host);

// The credentials of the listening port for `config` (absent: no authentication) and the
// host it binds, with `gate` as their auth processor (a CallGate over `config`'s
// principals, or over none without `config`). No configuration, or one without TLS,
// binds loopback only (gRPC local credentials): without TLS tokens would cross the
// network in clear. Errors: FAILED_PRECONDITION for a
// non-loopback host that would need TLS; INVALID_ARGUMENT or NOT_FOUND naming a TLS file
// that cannot be read or does not hold a matching PEM certificate and key.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const std::optional<AuthConfig>& config, std::string_view host, std::shared_ptr<CallGate> gate);

// One line saying how the port is protected, for the start-up log.
std::string DescribeSecurity(const std::optional<AuthConfig>& config);

}  // namespace sixhearts::services::auth

#endif  // SIXHEARTS_SERVICES_AUTH_AUTHENTICATOR_H_
