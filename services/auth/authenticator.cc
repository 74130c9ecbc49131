// The auth processor and the port's credentials.
#include "services/auth/authenticator.h"

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <map>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "grpc/grpc_security_constants.h"
#include "grpcpp/security/auth_context.h"
#include "services/auth/roles.h"
#include "spdlog/spdlog.h"

namespace sixhearts::services::auth {
namespace {

constexpr std::string_view kBearerPrefix = "Bearer ";

std::string_view View(const grpc::string_ref& s) { return std::string_view(s.data(), s.size()); }

// Debian's Abseil has its own string_view; StrCat and StartsWith take only that one.
absl::string_view Sv(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// The values of the call's "authorization" metadata, in the order sent: gRPC passes on
// every one a client sends. Process and PrincipalOf both read them here, so the principal
// the gate checks is the one the call is stamped with.
std::vector<std::string_view> AuthorizationValues(
    const std::multimap<grpc::string_ref, grpc::string_ref>& metadata) {
  std::vector<std::string_view> values;
  const auto [begin, end] = metadata.equal_range(grpc::string_ref("authorization"));
  for (auto it = begin; it != end; ++it) values.push_back(View(it->second));
  return values;
}

std::string RoleList(const std::vector<Role>& roles) {
  if (roles.empty()) return "none";
  return absl::StrJoin(roles, ", ", [](std::string* out, Role role) {
    absl::StrAppend(out, std::string(RoleName(role)));
  });
}

// Refusals are logged, at most one line a second so that a flood of bad calls cannot
// flood the log; the line says how many were not logged. Lines name the method, the
// principal and the reason, never a credential.
void LogRefusal(const std::string& line) {
  static std::atomic<int64_t> next_log_ms{0};
  static std::atomic<uint64_t> suppressed{0};
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::steady_clock::now().time_since_epoch())
                             .count();
  int64_t next = next_log_ms.load();
  if (now_ms < next || !next_log_ms.compare_exchange_strong(next, now_ms + 1000)) {
    suppressed.fetch_add(1);
    return;
  }
  const uint64_t skipped = suppressed.exchange(0);
  if (skipped > 0) {
    spdlog::warn("refused: {} ({} more refusals not logged)", line, skipped);
  } else {
    spdlog::warn("refused: {}", line);
  }
}

grpc::Status Refuse(grpc::StatusCode code, const std::string& message) {
  LogRefusal(message);
  return grpc::Status(code, message);
}

// Checks that the files hold a PEM certificate and the key that belongs to it, so that a
// wrong file is named at start-up instead of failing every handshake later.
absl::Status CheckKeyPair(const std::string& cert_pem, const std::string& key_pem,
                          const TlsConfig& tls) {
  BIO* cert_bio = BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size()));
  X509* cert = PEM_read_bio_X509(cert_bio, nullptr, nullptr, nullptr);
  BIO_free(cert_bio);
  if (cert == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("tls.cert_file: ", tls.cert_file, " holds no PEM certificate"));
  }
  BIO* key_bio = BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(key_bio, nullptr, nullptr, nullptr);
  BIO_free(key_bio);
  absl::Status status = absl::OkStatus();
  if (key == nullptr) {
    status = absl::InvalidArgumentError(
        absl::StrCat("tls.key_file: ", tls.key_file, " holds no unencrypted PEM private key"));
  } else if (X509_check_private_key(cert, key) != 1) {
    status = absl::InvalidArgumentError(absl::StrCat(
        "tls.key_file: ", tls.key_file, " does not match the certificate in ", tls.cert_file));
  }
  EVP_PKEY_free(key);
  X509_free(cert);
  return status;
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> TlsCredentials(const TlsConfig& tls) {
  auto cert = ReadFileText(tls.cert_file, "tls.cert_file");
  if (!cert.ok()) return cert.status();
  auto key = ReadFileText(tls.key_file, "tls.key_file");
  if (!key.ok()) return key.status();
  if (absl::Status s = CheckKeyPair(*cert, *key, tls); !s.ok()) return s;
  grpc_ssl_client_certificate_request_type request = GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE;
  switch (tls.client_certificate) {
    case ClientCertificate::kNone:
      break;
    case ClientCertificate::kRequest:
      request = GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY;
      break;
    case ClientCertificate::kRequire:
      request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
      break;
  }
  grpc::SslServerCredentialsOptions options(request);
  if (!tls.client_ca_file.empty()) {
    auto ca = ReadFileText(tls.client_ca_file, "tls.client_ca_file");
    if (!ca.ok()) return ca.status();
    options.pem_root_certs = *ca;
  }
  options.pem_key_cert_pairs.push_back({*key, *cert});
  return grpc::SslServerCredentials(options);
}

}  // namespace

CallGate::CallGate(std::optional<std::vector<Principal>> principals, AdmitFn admit)
    : principals_(std::move(principals)), admit_(std::move(admit)) {}

const Principal* CallGate::FindByToken(std::string_view token) const {
  // Every principal's hash is computed, match or not, so the time taken does not tell
  // which principal (or how many) a guess came near.
  const Principal* found = nullptr;
  for (const Principal& principal : *principals_) {
    if (!principal.token_hash.empty() && TokenMatches(token, principal.token_hash) &&
        found == nullptr) {
      found = &principal;
    }
  }
  return found;
}

const Principal* CallGate::FindByCertificate(const grpc::AuthContext& context) const {
  // gRPC sets the common name only for a certificate that verified against client_ca_file.
  for (const grpc::string_ref& cn : context.FindPropertyValues(GRPC_X509_CN_PROPERTY_NAME)) {
    for (const Principal& principal : *principals_) {
      if (!principal.certificate_common_name.empty() &&
          principal.certificate_common_name == View(cn)) {
        return &principal;
      }
    }
  }
  return nullptr;
}

grpc::Status CallGate::Process(const InputMetadata& auth_metadata, grpc::AuthContext* context,
                               OutputMetadata* consumed_auth_metadata,
                               OutputMetadata* response_metadata) {
  (void)response_metadata;
  std::string method;
  if (auto it = auth_metadata.find(":path"); it != auth_metadata.end()) {
    method = std::string(View(it->second));
  }
  if (!principals_.has_value()) return admit_(method);  // no authentication configured
  const MethodAccess* access = FindMethodAccess(method);
  if (access == nullptr) {
    return Refuse(grpc::StatusCode::PERMISSION_DENIED,
                  absl::StrCat(method,
                               " is not in the role table (services/auth/roles.cc): "
                               "nobody may call it"));
  }
  if (access->access == Access::kPublic) return admit_(method);

  (void)consumed_auth_metadata;  // the token stays: PrincipalOf reads it again
  const Principal* principal = nullptr;
  const std::vector<std::string_view> authorization = AuthorizationValues(auth_metadata);
  if (authorization.size() > 1) {
    // Two credentials do not say whose call it is; taking either would let the gate check
    // one principal while the call is stamped with another.
    return Refuse(grpc::StatusCode::UNAUTHENTICATED,
                  absl::StrCat(method, ": the call carries ", authorization.size(),
                               " authorization values; send one, \"Bearer <token>\""));
  }
  if (authorization.size() == 1) {
    if (!absl::StartsWith(Sv(authorization[0]), Sv(kBearerPrefix))) {
      return Refuse(grpc::StatusCode::UNAUTHENTICATED,
                    absl::StrCat(method, ": the authorization metadata is not \"Bearer <token>\""));
    }
    principal = FindByToken(authorization[0].substr(kBearerPrefix.size()));
    if (principal == nullptr) {
      return Refuse(grpc::StatusCode::UNAUTHENTICATED,
                    absl::StrCat(method, ": the bearer token matches no principal"));
    }
  } else {
    principal = FindByCertificate(*context);
    if (principal == nullptr) {
      return Refuse(grpc::StatusCode::UNAUTHENTICATED,
                    absl::StrCat(method,
                                 ": no credentials; send \"authorization: Bearer <token>\" "
                                 "(ledgerctl --token or LEDGER_TOKEN) or a client certificate "
                                 "of a configured principal"));
    }
  }
  if (!Allows(*access, principal->roles)) {
    return Refuse(
        grpc::StatusCode::PERMISSION_DENIED,
        absl::StrCat("principal \"", principal->name, "\" (roles: ", RoleList(principal->roles),
                     ") may not call ", method, "; it needs one of: ", RoleList(access->roles)));
  }
  // Admission after the checks: a caller that would be refused anyway is not told to
  // retry.
  // Nothing is added to `context`: it is the connection's, shared by its calls.
  return admit_(method);
}

std::string CallGate::PrincipalOf(const grpc::ServerContextBase& context) const {
  if (!principals_.has_value()) return std::string();
  const Principal* principal = nullptr;
  const std::vector<std::string_view> authorization =
      AuthorizationValues(context.client_metadata());
  if (authorization.size() == 1) {
    if (absl::StartsWith(Sv(authorization[0]), Sv(kBearerPrefix))) {
      principal = FindByToken(authorization[0].substr(kBearerPrefix.size()));
    }
  } else if (authorization.empty()) {
    if (std::shared_ptr<const grpc::AuthContext> auth = context.auth_context()) {
      principal = FindByCertificate(*auth);
    }
  }
  // Process refused every call without a principal, so none reaches here.
  if (principal == nullptr) {
    spdlog::critical("a call passed the call gate without a principal");
    std::abort();
  }
  return principal->name;
}

bool IsLoopbackHost(std::string_view host) {
  if (host == "localhost" || host == "[::1]" || host == "::1") return true;
  // 127.0.0.0/8, written as four decimal parts of 1..3 digits.
  std::vector<absl::string_view> parts = absl::StrSplit(Sv(host), '.');
  if (parts.size() != 4 || parts[0] != "127") return false;
  for (absl::string_view part : parts) {
    if (part.empty() || part.size() > 3) return false;
    for (char c : part) {
      if (c < '0' || c > '9') return false;
    }
  }
  return true;
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const std::optional<AuthConfig>& config, std::string_view host,
    std::shared_ptr<CallGate> gate) {
  const bool loopback = IsLoopbackHost(host);
  if (!config.has_value()) {
    if (!loopback) {
      return absl::FailedPreconditionError(absl::StrCat(
          "listen: ", Sv(host),
          " is not a loopback address, and without --auth-config anyone who reaches it "
          "could append and read; give an auth configuration with [tls] or listen on "
          "127.0.0.1"));
    }
    // Local rather than insecure credentials: the same plaintext for clients, but gRPC
    // runs the gate (admission) only for credentials other than insecure ones.
    std::shared_ptr<grpc::ServerCredentials> local =
        grpc::experimental::LocalServerCredentials(LOCAL_TCP);
    local->SetAuthMetadataProcessor(std::move(gate));
    return local;
  }
  std::shared_ptr<grpc::ServerCredentials> credentials;
  if (config->tls.has_value()) {
    auto tls = TlsCredentials(*config->tls);
    if (!tls.ok()) return tls.status();
    credentials = *tls;
  } else {
    if (!loopback) {
      return absl::FailedPreconditionError(absl::StrCat(
          "listen: ", Sv(host),
          " is not a loopback address, and the auth configuration has no [tls]: bearer "
          "tokens would cross the network in clear"));
    }
    // Local credentials accept loopback connections only and, unlike insecure ones, run
    // the auth processor.
    credentials = grpc::experimental::LocalServerCredentials(LOCAL_TCP);
  }
  credentials->SetAuthMetadataProcessor(std::move(gate));
  return credentials;
}

std::string DescribeSecurity(const std::optional<AuthConfig>& config) {
  if (!config.has_value()) {
    return "authentication is OFF (no --auth-config): every caller may do everything, so the "
           "server listens on loopback only";
  }
  const std::string principals = absl::StrCat(config->principals.size(), " principals");
  if (!config->tls.has_value()) {
    return absl::StrCat("bearer tokens without TLS (loopback only), ", principals);
  }
  const char* client = config->tls->client_certificate == ClientCertificate::kRequire ? "required"
                       : config->tls->client_certificate == ClientCertificate::kRequest
                           ? "requested"
                           : "not requested";
  return absl::StrCat("TLS with bearer tokens, client certificates ", client, ", ", principals);
}

}  // namespace sixhearts::services::auth
