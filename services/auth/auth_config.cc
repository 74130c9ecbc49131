// Parsing of the auth configuration (TOML, through toml++) and the token hashes (OpenSSL).
#include "services/auth/auth_config.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <array>
#include <fstream>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "toml++/toml.h"

namespace sixhearts::services::auth {
namespace {

constexpr std::string_view kHashScheme = "sha256";

// Debian's Abseil has its own string_view; StrCat and StrSplit take only that one.
absl::string_view Sv(std::string_view s) { return absl::string_view(s.data(), s.size()); }
constexpr size_t kSaltBytes = 16;
constexpr size_t kTokenBytes = 32;
constexpr size_t kMaxPrincipalNameBytes = 128;
// Longest token hashed; a longer one cannot match (NewToken makes 43 characters) and is
// refused without spending a hash on it.
constexpr size_t kMaxTokenBytes = 4096;

std::array<unsigned char, SHA256_DIGEST_LENGTH> Sha256(std::string_view salt,
                                                       std::string_view token) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  EVP_DigestUpdate(ctx, salt.data(), salt.size());
  EVP_DigestUpdate(ctx, token.data(), token.size());
  unsigned int length = 0;
  EVP_DigestFinal_ex(ctx, digest.data(), &length);
  EVP_MD_CTX_free(ctx);
  return digest;
}

std::string RandomBytes(size_t n) {
  std::string bytes(n, '\0');
  // RAND_bytes only fails when the generator cannot be seeded; a salt or token made of
  // zeros would be a silent weakness, so stop instead.
  if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(n)) != 1) {
    std::abort();
  }
  return bytes;
}

bool IsHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// Splits a well-formed token_hash into its raw salt and digest.
bool SplitTokenHash(std::string_view token_hash, std::string* salt, std::string* digest) {
  std::vector<absl::string_view> parts = absl::StrSplit(Sv(token_hash), ':');
  if (parts.size() != 3 || parts[0] != Sv(kHashScheme)) return false;
  if (parts[1].empty() || parts[1].size() % 2 != 0 ||
      !IsHex(std::string_view(parts[1].data(), parts[1].size())))
    return false;
  if (parts[2].size() != 2 * SHA256_DIGEST_LENGTH ||
      !IsHex(std::string_view(parts[2].data(), parts[2].size())))
    return false;
  *salt = absl::HexStringToBytes(parts[1]);
  *digest = absl::HexStringToBytes(parts[2]);
  return true;
}

bool IsValidPrincipalName(std::string_view name) {
  if (name.empty() || name.size() > kMaxPrincipalNameBytes) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '@' || c == '-';
    if (!ok) return false;
  }
  return true;
}

absl::Status Invalid(std::string_view source, std::string_view key, std::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(Sv(source), ": ", Sv(key), ": ", Sv(problem)));
}

// Rejects keys this loader does not know, so a misspelt `client_certificat` is an error
// instead of a silently weaker configuration.
absl::Status OnlyKnownKeys(const toml::table& table, std::string_view source,
                           std::string_view prefix, std::initializer_list<std::string_view> known) {
  for (const auto& [key, value] : table) {
    (void)value;
    bool found = false;
    for (std::string_view k : known) found = found || key.str() == k;
    if (!found) {
      return Invalid(source, absl::StrCat(Sv(prefix), Sv(key.str())),
                     "unknown key (README.md, \"Authentication and roles\", lists the keys)");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> OptionalString(const toml::table& table, std::string_view key,
                                           std::string_view source, std::string_view prefix) {
  const toml::node* node = table.get(key);
  if (node == nullptr) return std::string();
  if (!node->is_string())
    return Invalid(source, absl::StrCat(Sv(prefix), Sv(key)), "must be a string");
  return std::string(node->as_string()->get());
}

absl::StatusOr<TlsConfig> ParseTls(const toml::table& table, std::string_view source) {
  if (absl::Status s = OnlyKnownKeys(
          table, source, "tls.", {"cert_file", "key_file", "client_ca_file", "client_certificate"});
      !s.ok()) {
    return s;
  }
  TlsConfig tls;
  for (auto [key, field] : {std::pair<std::string_view, std::string*>{"cert_file", &tls.cert_file},
                            {"key_file", &tls.key_file},
                            {"client_ca_file", &tls.client_ca_file}}) {
    auto value = OptionalString(table, key, source, "tls.");
    if (!value.ok()) return value.status();
    *field = *value;
  }
  if (tls.cert_file.empty()) return Invalid(source, "tls.cert_file", "required");
  if (tls.key_file.empty()) return Invalid(source, "tls.key_file", "required");
  auto mode = OptionalString(table, "client_certificate", source, "tls.");
  if (!mode.ok()) return mode.status();
  if (mode->empty() || *mode == "none") {
    tls.client_certificate = ClientCertificate::kNone;
  } else if (*mode == "request") {
    tls.client_certificate = ClientCertificate::kRequest;
  } else if (*mode == "require") {
    tls.client_certificate = ClientCertificate::kRequire;
  } else {
    return Invalid(source, "tls.client_certificate",
                   absl::StrCat("\"", *mode, "\" is not none, request or require"));
  }
  if (tls.client_certificate != ClientCertificate::kNone && tls.client_ca_file.empty()) {
    return Invalid(source, "tls.client_ca_file",
                   "required when client_certificate is request or require");
  }
  return tls;
}

absl::StatusOr<Principal> ParsePrincipal(const toml::table& table, std::string_view source,
                                         const std::string& prefix) {
  if (absl::Status s = OnlyKnownKeys(table, source, prefix,
                                     {"name", "roles", "token_hash", "certificate_common_name"});
      !s.ok()) {
    return s;
  }
  Principal principal;
  auto name = OptionalString(table, "name", source, prefix);
  if (!name.ok()) return name.status();
  if (!IsValidPrincipalName(*name)) {
    return Invalid(source, prefix + "name",
                   absl::StrCat("\"", *name, "\" is not 1..", kMaxPrincipalNameBytes,
                                " characters of A-Z a-z 0-9 . _ @ -"));
  }
  principal.name = *name;
  const toml::array* roles = table["roles"].as_array();
  if (roles == nullptr) return Invalid(source, prefix + "roles", "required (an array of roles)");
  for (size_t i = 0; i < roles->size(); ++i) {
    const std::string key = absl::StrCat(prefix, "roles[", i, "]");
    const auto* role_name = (*roles)[i].as_string();
    if (role_name == nullptr) return Invalid(source, key, "must be a string");
    std::optional<Role> role = RoleFromName(role_name->get());
    if (!role.has_value()) {
      return Invalid(
          source, key,
          absl::StrCat("unknown role \"", role_name->get(), "\" (writer, reader, auditor, admin)"));
    }
    principal.roles.push_back(*role);
  }
  auto token_hash = OptionalString(table, "token_hash", source, prefix);
  if (!token_hash.ok()) return token_hash.status();
  std::string salt, digest;
  if (!token_hash->empty() && !SplitTokenHash(*token_hash, &salt, &digest)) {
    // The value is a hash, but an operator may have pasted the token itself here by
    // mistake; never echo it.
    return Invalid(source, prefix + "token_hash",
                   "not of the form sha256:<salt hex>:<64 hex digits> (make one with "
                   "`ledgerctl token-hash`)");
  }
  principal.token_hash = *token_hash;
  auto common_name = OptionalString(table, "certificate_common_name", source, prefix);
  if (!common_name.ok()) return common_name.status();
  principal.certificate_common_name = *common_name;
  if (principal.token_hash.empty() && principal.certificate_common_name.empty()) {
    return Invalid(source, prefix + "token_hash",
                   "a principal needs a token_hash or a certificate_common_name");
  }
  return principal;
}

}  // namespace

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kWriter:
      return "writer";
    case Role::kReader:
      return "reader";
    case Role::kAuditor:
      return "auditor";
    case Role::kAdmin:
      return "admin";
  }
  return "unknown";
}

std::optional<Role> RoleFromName(std::string_view name) {
  for (Role role : {Role::kWriter, Role::kReader, Role::kAuditor, Role::kAdmin}) {
    if (RoleName(role) == name) return role;
  }
  return std::nullopt;
}

absl::StatusOr<AuthConfig> ParseAuthConfig(std::string_view toml_text, std::string_view source) {
  toml::table root;
  // toml++ as Debian builds it reports syntax errors by exception; they stop here.
  try {
    root = toml::parse(toml_text, source);
  } catch (const toml::parse_error& error) {
    return absl::InvalidArgumentError(absl::StrCat(Sv(source), ":", error.source().begin.line, ":",
                                                   error.source().begin.column, ": ",
                                                   std::string(error.description())));
  }
  if (absl::Status s = OnlyKnownKeys(root, source, "", {"tls", "principals"}); !s.ok()) return s;
  AuthConfig config;
  if (const toml::node* tls = root.get("tls"); tls != nullptr) {
    if (!tls->is_table()) return Invalid(source, "tls", "must be a table ([tls])");
    auto parsed_tls = ParseTls(*tls->as_table(), source);
    if (!parsed_tls.ok()) return parsed_tls.status();
    config.tls = *parsed_tls;
  }
  const toml::array* principals = root["principals"].as_array();
  if (principals == nullptr || principals->empty()) {
    return Invalid(source, "principals",
                   "at least one [[principals]] entry is required (without principals no "
                   "call could be authenticated)");
  }
  for (size_t i = 0; i < principals->size(); ++i) {
    const std::string prefix = absl::StrCat("principals[", i, "].");
    const toml::table* table = (*principals)[i].as_table();
    if (table == nullptr)
      return Invalid(source, absl::StrCat("principals[", i, "]"), "not a table");
    auto principal = ParsePrincipal(*table, source, prefix);
    if (!principal.ok()) return principal.status();
    for (const Principal& other : config.principals) {
      if (other.name == principal->name) {
        return Invalid(source, prefix + "name",
                       absl::StrCat("\"", principal->name, "\" is given twice"));
      }
    }
    config.principals.push_back(std::move(*principal));
  }
  return config;
}

absl::StatusOr<std::string> ReadFileText(const std::string& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(Sv(what), ": cannot read ", path));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

absl::StatusOr<AuthConfig> LoadAuthConfig(const std::string& path) {
  auto text = ReadFileText(path, "auth config");
  if (!text.ok()) return text.status();
  return ParseAuthConfig(*text, path);
}

std::string MakeTokenHash(std::string_view token) {
  const std::string salt = RandomBytes(kSaltBytes);
  const auto digest = Sha256(salt, token);
  return absl::StrCat(Sv(kHashScheme), ":", absl::BytesToHexString(salt), ":",
                      absl::BytesToHexString(absl::string_view(
                          reinterpret_cast<const char*>(digest.data()), digest.size())));
}

bool TokenMatches(std::string_view token, std::string_view token_hash) {
  if (token.empty() || token.size() > kMaxTokenBytes) return false;
  std::string salt, expected;
  if (!SplitTokenHash(token_hash, &salt, &expected)) return false;
  const auto digest = Sha256(salt, token);
  return CRYPTO_memcmp(digest.data(), expected.data(), digest.size()) == 0;
}

std::string NewToken() {
  const std::string bytes = RandomBytes(kTokenBytes);
  return absl::WebSafeBase64Escape(absl::string_view(bytes.data(), bytes.size()));
}

}  // namespace sixhearts::services::auth
