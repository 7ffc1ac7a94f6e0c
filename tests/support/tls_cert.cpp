#include "tests/support/tls_cert.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <memory>
#include <stdexcept>

namespace qsanfwd::test {
namespace {

template <auto fn>
struct deleter {
  template <class T>
  void operator()(T* p) const {
    fn(p);
  }
};
using key_ptr = std::unique_ptr<EVP_PKEY, deleter<EVP_PKEY_free>>;
using cert_ptr = std::unique_ptr<X509, deleter<X509_free>>;
using ext_ptr = std::unique_ptr<X509_EXTENSION, deleter<X509_EXTENSION_free>>;
struct file_closer {
  void operator()(FILE* f) const { std::fclose(f); }
};
using file_ptr = std::unique_ptr<FILE, file_closer>;

void check(bool ok, const char* what) {
  if (!ok) {
    throw std::runtime_error(std::string("make_tls_cert: ") + what);
  }
}

void add_extension(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  ext_ptr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  check(ext != nullptr && X509_add_ext(cert, ext.get(), -1) == 1, "extension");
}

file_ptr open_file(const std::filesystem::path& path) {
  file_ptr f(std::fopen(path.c_str(), "wb"));
  check(f != nullptr, "cannot write PEM file");
  return f;
}

}  // namespace

tls_cert make_tls_cert(const std::filesystem::path& dir, const std::string& common_name) {
  key_ptr key(EVP_EC_gen("P-256"));
  check(key != nullptr, "key generation");
  cert_ptr cert(X509_new());
  check(cert != nullptr, "X509_new");
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400);
  X509_set_pubkey(cert.get(), key.get());
  auto* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  X509_set_issuer_name(cert.get(), name);
  add_extension(cert.get(), NID_basic_constraints, "critical,CA:TRUE");
  add_extension(cert.get(), NID_subject_key_identifier, "hash");
  add_extension(cert.get(), NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost");
  check(X509_sign(cert.get(), key.get(), EVP_sha256()) > 0, "signing");

  tls_cert out{dir / "cert.pem", dir / "key.pem", {}};
  {
    const auto f = open_file(out.cert_file);
    check(PEM_write_X509(f.get(), cert.get()) == 1, "writing certificate");
  }
  {
    const auto f = open_file(out.key_file);
    check(PEM_write_PrivateKey(f.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1,
          "writing key");
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  check(X509_digest(cert.get(), EVP_sha256(), md, &len) == 1, "digest");
  static constexpr char hex[] = "0123456789abcdef";
  for (unsigned int i = 0; i < len; ++i) {
    out.sha256_fingerprint += hex[md[i] >> 4];
    out.sha256_fingerprint += hex[md[i] & 0xF];
  }
  return out;
}

}  // namespace qsanfwd::test
