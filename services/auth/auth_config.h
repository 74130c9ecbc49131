// The authentication configuration of ledgerd: TLS files, and the principals with their
// roles and hashed bearer tokens. Read from a TOML file (README.md, "Authentication and
// roles", gives the format); kept apart from the server's general configuration so that
// either can load it. No gRPC here: services/auth/authenticator.h turns it into server
// credentials.
#ifndef SIXHEARTS_SERVICES_AUTH_AUTH_CONFIG_H_
#define SIXHEARTS_SERVICES_AUTH_AUTH_CONFIG_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace sixhearts::services::auth {

// What a principal may do. A method names the roles allowed to call it (roles.h); a
// principal holds any number of roles, none implies another.
enum class Role {
  kWriter,   // append
  kReader,   // read, subscribe, projections and reports
  kAuditor,  // reports, verify, read for audit export
  kAdmin,    // rebuild projections (and backup, erasure as they arrive)
};

// "writer", "reader", "auditor", "admin".
std::string_view RoleName(Role role);
std::optional<Role> RoleFromName(std::string_view name);

// Whether and how the server asks for client certificates.
enum class ClientCertificate {
  kNone,     // never asked for
  kRequest,  // asked for and verified when sent; a call may still use a token instead
  kRequire,  // the TLS handshake fails without a certificate signed by client_ca_file
};

struct TlsConfig {
  // PEM files. The key is read at start-up and never logged.
  std::string cert_file;
  std::string key_file;
  // CA bundle that signs client certificates. Required unless client_certificate = none.
  std::string client_ca_file;
  ClientCertificate client_certificate = ClientCertificate::kNone;
};

struct Principal {
  // Recorded as the actor of every event it appends. 1..128 bytes of [A-Za-z0-9._@-].
  std::string name;
  std::vector<Role> roles;
  // "sha256:<salt hex>:<SHA-256(salt || token) hex>" (MakeTokenHash); empty: no token.
  std::string token_hash;
  // A verified client certificate with this subject common name authenticates as this
  // principal when the call carries no token. Empty: certificates do not.
  std::string certificate_common_name;
};

struct AuthConfig {
  // Absent: tokens are accepted on loopback only (over local credentials).
  std::optional<TlsConfig> tls;
  std::vector<Principal> principals;
};

// Parses the TOML text of an auth configuration. `source` names it in errors. Errors:
// INVALID_ARGUMENT naming the key at fault (e.g. `principals[1].roles[0]: unknown role
// "root"`).
absl::StatusOr<AuthConfig> ParseAuthConfig(std::string_view toml_text, std::string_view source);

// Reads and parses `path`. NOT_FOUND when it cannot be read.
absl::StatusOr<AuthConfig> LoadAuthConfig(const std::string& path);

// Reads a whole file (TLS certificates and keys). NOT_FOUND naming `what` and the path.
absl::StatusOr<std::string> ReadFileText(const std::string& path, std::string_view what);

// A token_hash for `token` with a fresh random 16-byte salt.
std::string MakeTokenHash(std::string_view token);

// True when `token` hashes to `token_hash`. The digests are compared in constant time.
// A malformed token_hash never matches (ParseAuthConfig rejects those).
bool TokenMatches(std::string_view token, std::string_view token_hash);

// A new random token: 32 bytes from the OpenSSL generator, base64url without padding.
std::string NewToken();

}  // namespace sixhearts::services::auth

#endif  // SIXHEARTS_SERVICES_AUTH_AUTH_CONFIG_H_
