// The auth configuration: parsing, the errors that name the key at fault, token hashes.
#include "services/auth/auth_config.h"

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace sixhearts::services::auth {
namespace {

// SHA-256 of the 16 bytes 00..0f followed by "correct horse battery staple"; check with
// python3 -c "import hashlib; print(hashlib.sha256(bytes(range(16)) +
//   b'correct horse battery staple').hexdigest())"
constexpr char kKnownHash[] =
    "sha256:000102030405060708090a0b0c0d0e0f:"
    "3d3ecd0750760383a5cd6a31d4d8294add1829ac0d7be0647083f73847dd325e";

TEST(AuthConfigTest, ParsesTlsAndPrincipals) {
  auto config = ParseAuthConfig(absl::StrCat(R"([tls]
cert_file = "/etc/ledger/server.crt"
key_file = "/etc/ledger/server.key"
client_ca_file = "/etc/ledger/clients.crt"
client_certificate = "request"

[[principals]]
name = "erp-import"
roles = ["writer", "reader"]
token_hash = ")",
                                             kKnownHash, R"("

[[principals]]
name = "audit.firm@example"
roles = ["auditor"]
certificate_common_name = "audit-firm"
)"),
                                "auth.toml");
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_TRUE(config->tls.has_value());
  EXPECT_EQ(config->tls->cert_file, "/etc/ledger/server.crt");
  EXPECT_EQ(config->tls->key_file, "/etc/ledger/server.key");
  EXPECT_EQ(config->tls->client_ca_file, "/etc/ledger/clients.crt");
  EXPECT_EQ(config->tls->client_certificate, ClientCertificate::kRequest);
  ASSERT_EQ(config->principals.size(), 2u);
  EXPECT_EQ(config->principals[0].name, "erp-import");
  EXPECT_EQ(config->principals[0].roles, (std::vector<Role>{Role::kWriter, Role::kReader}));
  EXPECT_EQ(config->principals[0].token_hash, kKnownHash);
  EXPECT_EQ(config->principals[1].roles, (std::vector<Role>{Role::kAuditor}));
  EXPECT_EQ(config->principals[1].certificate_common_name, "audit-firm");
}

TEST(AuthConfigTest, TlsIsOptional) {
  auto config = ParseAuthConfig(
      absl::StrCat("[[principals]]\nname = \"a\"\nroles = []\ntoken_hash = \"", kKnownHash, "\"\n"),
      "auth.toml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_FALSE(config->tls.has_value());
  EXPECT_TRUE(config->principals[0].roles.empty());
}

std::string ErrorOf(const std::string& text) {
  auto config = ParseAuthConfig(text, "auth.toml");
  return config.ok() ? "ok" : std::string(config.status().message());
}

TEST(AuthConfigTest, ErrorsNameTheKeyAtFault) {
  const std::string good_principal = absl::StrCat(
      "[[principals]]\nname = \"a\"\nroles = [\"reader\"]\ntoken_hash = \"", kKnownHash, "\"\n");
  EXPECT_EQ(ErrorOf(absl::StrCat(
                "[[principals]]\nname = \"a\"\nroles = [\"reader\", \"root\"]\ntoken_hash = \"",
                kKnownHash, "\"\n")),
            "auth.toml: principals[0].roles[1]: unknown role \"root\" (writer, reader, auditor, "
            "admin)");
  EXPECT_EQ(ErrorOf("[[principals]]\nname = \"a\"\nroles = []\ntoken_hash = \"hunter2\"\n"),
            "auth.toml: principals[0].token_hash: not of the form sha256:<salt hex>:<64 hex "
            "digits> (make one with `ledgerctl token-hash`)");
  EXPECT_EQ(ErrorOf("[[principals]]\nname = \"a b\"\nroles = []\n"),
            "auth.toml: principals[0].name: \"a b\" is not 1..128 characters of A-Z a-z 0-9 . _ "
            "@ -");
  EXPECT_EQ(ErrorOf("[[principals]]\nname = \"a\"\nroles = []\n"),
            "auth.toml: principals[0].token_hash: a principal needs a token_hash or a "
            "certificate_common_name");
  EXPECT_EQ(ErrorOf(good_principal + good_principal),
            "auth.toml: principals[1].name: \"a\" is given twice");
  EXPECT_EQ(ErrorOf("[tls]\ncert_file = \"c\"\n" + good_principal),
            "auth.toml: tls.key_file: required");
  EXPECT_EQ(ErrorOf("[tls]\ncert_file = \"c\"\nkey_file = \"k\"\nclient_certificate = "
                    "\"require\"\n" +
                    good_principal),
            "auth.toml: tls.client_ca_file: required when client_certificate is request or "
            "require");
  EXPECT_EQ(ErrorOf("[tls]\ncert_file = \"c\"\nkey_file = \"k\"\nclient_certificat = \"none\"\n" +
                    good_principal),
            "auth.toml: tls.client_certificat: unknown key (README.md, \"Authentication and "
            "roles\", lists the keys)");
  EXPECT_EQ(ErrorOf(""),
            "auth.toml: principals: at least one [[principals]] entry is required (without "
            "principals no call could be authenticated)");
  EXPECT_EQ(ErrorOf("[tls\n"),
            "auth.toml:1:5: Error while parsing table header: expected ']', saw '\\n'");
}

TEST(AuthConfigTest, TokenHashes) {
  EXPECT_TRUE(TokenMatches("correct horse battery staple", kKnownHash));
  EXPECT_FALSE(TokenMatches("correct horse battery stapl", kKnownHash));
  EXPECT_FALSE(TokenMatches("", kKnownHash));
  EXPECT_FALSE(TokenMatches("correct horse battery staple", "sha256:00:abc"));

  const std::string token = NewToken();
  EXPECT_EQ(token.size(), 43u);  // 32 bytes in base64url without padding
  const std::string hash = MakeTokenHash(token);
  // "sha256:" + 32 hex digits of salt + ":" + 64 hex digits of digest.
  EXPECT_EQ(hash.size(), 7u + 32u + 1u + 64u);
  EXPECT_TRUE(TokenMatches(token, hash));
  EXPECT_FALSE(TokenMatches(NewToken(), hash));
  // A fresh salt each time: the same token never hashes the same twice.
  EXPECT_NE(MakeTokenHash(token), hash);
}

// The example in deploy/ stays loadable, and its hashes are of the tokens it names.
TEST(AuthConfigTest, TheExampleConfigurationLoads) {
  auto config = LoadAuthConfig(SIXHEARTS_SOURCE_DIR "/deploy/auth.example.toml");
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_EQ(config->principals.size(), 4u);
  EXPECT_EQ(config->tls->client_certificate, ClientCertificate::kRequest);
  EXPECT_TRUE(TokenMatches("example-writer-token", config->principals[0].token_hash));
  EXPECT_TRUE(TokenMatches("example-reader-token", config->principals[1].token_hash));
  EXPECT_EQ(config->principals[2].certificate_common_name, "external-auditor");
  EXPECT_TRUE(TokenMatches("example-admin-token", config->principals[3].token_hash));
  EXPECT_EQ(config->principals[3].roles, (std::vector<Role>{Role::kAdmin, Role::kAuditor}));
}

TEST(AuthConfigTest, LoadNamesAMissingFile) {
  auto config = LoadAuthConfig("/nonexistent/auth.toml");
  EXPECT_EQ(config.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(config.status().message(), "auth config: cannot read /nonexistent/auth.toml");
}

}  // namespace
}  // namespace sixhearts::services::auth
