// Test-only certificates, made at test time with OpenSSL's C API (no private key is
// committed): a CA, and leaf certificates it signs for the server (localhost, 127.0.0.1)
// and for clients (a common name). P-256 keys; valid for one day.
#ifndef SIXHEARTS_TESTS_TESTING_TEST_CERTS_H_
#define SIXHEARTS_TESTS_TESTING_TEST_CERTS_H_

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdlib>
#include <fstream>
#include <string>

namespace sixhearts::testing {

struct KeyAndCert {
  std::string key_pem;
  std::string cert_pem;
  EVP_PKEY* key = nullptr;  // owned; kept to sign others when this is a CA
  X509* cert = nullptr;     // owned
  KeyAndCert() = default;
  KeyAndCert(const KeyAndCert&) = delete;
  KeyAndCert& operator=(const KeyAndCert&) = delete;
  ~KeyAndCert() {
    EVP_PKEY_free(key);
    X509_free(cert);
  }
};

namespace internal {

inline void Check(bool ok) {
  if (!ok) std::abort();  // a test helper: a failing OpenSSL call is a broken test setup
}

inline void AddExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  Check(ext != nullptr);
  Check(X509_add_ext(cert, ext, -1) == 1);
  X509_EXTENSION_free(ext);
}

template <typename Write>
std::string ToPem(Write write) {
  BIO* bio = BIO_new(BIO_s_mem());
  Check(write(bio) == 1);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(size));
  BIO_free(bio);
  return pem;
}

}  // namespace internal

// A certificate for `common_name`, signed by `issuer` (nullptr: self-signed, a CA).
// `subject_alt_names` is an X.509v3 SAN value ("DNS:localhost,IP:127.0.0.1") or empty.
inline void MakeCertificate(const std::string& common_name, const KeyAndCert* issuer,
                            const std::string& subject_alt_names, KeyAndCert* out) {
  using internal::Check;
  out->key = EVP_EC_gen("P-256");
  Check(out->key != nullptr);
  X509* cert = X509_new();
  out->cert = cert;
  Check(X509_set_version(cert, 2) == 1);
  static long serial = 1;
  ASN1_INTEGER_set(X509_get_serialNumber(cert), serial++);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 24 * 3600);
  X509_set_pubkey(cert, out->key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  X509* issuer_cert = issuer == nullptr ? cert : issuer->cert;
  EVP_PKEY* issuer_key = issuer == nullptr ? out->key : issuer->key;
  Check(X509_set_issuer_name(cert, X509_get_subject_name(issuer_cert)) == 1);
  if (issuer == nullptr) {
    internal::AddExtension(cert, issuer_cert, NID_basic_constraints, "critical,CA:TRUE");
    internal::AddExtension(cert, issuer_cert, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    internal::AddExtension(cert, issuer_cert, NID_basic_constraints, "critical,CA:FALSE");
    internal::AddExtension(cert, issuer_cert, NID_ext_key_usage, "serverAuth,clientAuth");
  }
  internal::AddExtension(cert, issuer_cert, NID_subject_key_identifier, "hash");
  if (!subject_alt_names.empty()) {
    internal::AddExtension(cert, issuer_cert, NID_subject_alt_name, subject_alt_names.c_str());
  }
  Check(X509_sign(cert, issuer_key, EVP_sha256()) > 0);
  out->cert_pem = internal::ToPem([&](BIO* bio) { return PEM_write_bio_X509(bio, cert); });
  out->key_pem = internal::ToPem([&](BIO* bio) {
    return PEM_write_bio_PrivateKey(bio, out->key, nullptr, nullptr, 0, nullptr, nullptr);
  });
}

inline void WriteText(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

}  // namespace sixhearts::testing

#endif  // SIXHEARTS_TESTS_TESTING_TEST_CERTS_H_
