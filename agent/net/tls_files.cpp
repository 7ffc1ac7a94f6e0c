#include "agent/net/tls_files.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <grp.h>
#include <sys/stat.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>

namespace qsanfwd::net {
namespace {

struct bio_free {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct x509_free {
  void operator()(X509* x) const { X509_free(x); }
};
struct pkey_free {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using bio_ptr = std::unique_ptr<BIO, bio_free>;
using x509_ptr = std::unique_ptr<X509, x509_free>;
using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_free>;

/// Collects the problems of one `tls` block.
class tls_file_checker {
 public:
  explicit tls_file_checker(std::vector<tls_file_problem>& out) : out_(out) {}

  void ca_file(const std::string& file) {
    auto text = read("ca_file", file);
    if (!text) {
      return;
    }
    int certificates = 0;
    int expired = 0;
    for (auto bio = memory_bio(*text); x509_ptr cert{PEM_read_bio_X509(bio.get(), nullptr,
                                                                       nullptr, nullptr)};) {
      ++certificates;
      expired += has_expired(*cert) ? 1 : 0;
    }
    ERR_clear_error();  // the read past the last certificate fails, as it should
    if (certificates == 0) {
      error("ca_file", file, "holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
    } else if (expired == certificates) {
      // A bundle may hold an expired root beside live ones; only a CA file of nothing but
      // expired certificates can verify nothing.
      warning("ca_file", file, "holds only certificates that have expired");
    }
  }

  /// The certificate of cert_file, for the key to match; nullptr when there is none.
  x509_ptr cert_file(const std::string& file) {
    auto text = read("cert_file", file);
    if (!text) {
      return nullptr;
    }
    x509_ptr cert{PEM_read_bio_X509(memory_bio(*text).get(), nullptr, nullptr, nullptr)};
    ERR_clear_error();
    if (!cert) {
      error("cert_file", file, "holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
      return nullptr;
    }
    if (has_expired(*cert)) {
      warning("cert_file", file, "holds a certificate that has expired (" + subject(*cert) + ")");
    }
    return cert;
  }

  void key_file(const std::string& file, X509* cert, const std::string& cert_file) {
    auto text = read("key_file", file);
    if (!text) {
      return;
    }
    bool asked_for_passphrase = false;
    pkey_ptr key{PEM_read_bio_PrivateKey(memory_bio(*text).get(), nullptr, no_passphrase,
                                         &asked_for_passphrase)};
    ERR_clear_error();
    if (asked_for_passphrase) {
      error("key_file", file,
            "is encrypted, and the agent cannot ask for a passphrase: store the key without one "
            "(openssl pkey -in KEY -out KEY.plain), readable by the agent's user only");
      return;
    }
    if (!key) {
      error("key_file", file, "holds no PEM private key (-----BEGIN PRIVATE KEY-----)");
      return;
    }
    warn_if_readable_by_others(file);
    if (cert != nullptr && X509_check_private_key(cert, key.get()) != 1) {
      ERR_clear_error();
      error("key_file", file, "is not the key of the certificate in " + cert_file);
    }
  }

 private:
  static int no_passphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* asked) {
    *static_cast<bool*>(asked) = true;
    return 0;
  }

  static bio_ptr memory_bio(const std::string& text) {
    return bio_ptr{BIO_new_mem_buf(text.data(), static_cast<int>(text.size()))};
  }

  std::optional<std::string> read(const std::string& key, const std::string& file) {
    std::ifstream in(file, std::ios::binary);
    struct stat st {};
    if (!in || ::stat(file.c_str(), &st) != 0) {
      error(key, file, std::string("cannot be read: ") + std::strerror(errno));
      return std::nullopt;
    }
    if (!S_ISREG(st.st_mode)) {
      error(key, file, "is not a regular file");
      return std::nullopt;
    }
    std::ostringstream text;
    text << in.rdbuf();
    return std::move(text).str();
  }

  static bool has_expired(const X509& cert) {
    return X509_cmp_current_time(X509_get0_notAfter(&cert)) < 0;
  }

  void warn_if_readable_by_others(const std::string& file) {
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0 || (st.st_mode & (S_IRGRP | S_IROTH)) == 0) {
      return;
    }
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", st.st_mode & 07777U);
    if ((st.st_mode & S_IROTH) != 0) {
      warning("key_file", file,
              std::string("is readable by every user (mode ") + mode +
                  "): make it 0600, owned by the user the agent runs as");
      return;
    }
    // 0640 with the service's own group is a common layout: say whose group it is.
    warning("key_file", file,
            std::string("is readable by group ") + group_name(st.st_gid) + " (mode " + mode +
                "): fine if only the agent's user is in it; else make it 0600, owned by the "
                "user the agent runs as");
  }

  static std::string group_name(gid_t gid) {
    group entry{};
    group* found = nullptr;
    std::array<char, 4096> buffer{};
    if (::getgrgid_r(gid, &entry, buffer.data(), buffer.size(), &found) == 0 && found != nullptr) {
      return found->gr_name;
    }
    return std::to_string(gid);
  }

  static std::string subject(const X509& cert) {
    char name[256];
    X509_NAME_oneline(X509_get_subject_name(&cert), name, sizeof name);
    return name;
  }

  void error(const std::string& key, const std::string& file, std::string reason) {
    out_.push_back({.warning = false, .key = key, .file = file, .reason = std::move(reason)});
  }
  void warning(const std::string& key, const std::string& file, std::string reason) {
    out_.push_back({.warning = true, .key = key, .file = file, .reason = std::move(reason)});
  }

  std::vector<tls_file_problem>& out_;
};

}  // namespace

std::vector<tls_file_problem> check_tls_files(const tls_options& tls) {
  std::vector<tls_file_problem> problems;
  tls_file_checker check(problems);
  if (!tls.ca_file.empty()) {
    check.ca_file(tls.ca_file);
  }
  x509_ptr cert;
  if (!tls.cert_file.empty()) {
    cert = check.cert_file(tls.cert_file);
  }
  if (!tls.key_file.empty()) {
    check.key_file(tls.key_file, cert.get(), tls.cert_file);
  }
  return problems;
}

}  // namespace qsanfwd::net
