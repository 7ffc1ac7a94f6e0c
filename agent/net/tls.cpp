#include "agent/net/tls.hpp"

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <array>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <stdexcept>

namespace qsanfwd::net {
namespace asio = boost::asio;
namespace ssl = asio::ssl;

namespace {

std::string leaf_sha256(X509* cert) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  if (X509_digest(cert, EVP_sha256(), md.data(), &len) != 1) {
    return {};
  }
  static constexpr char digits[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < len; ++i) {
    hex += digits[md[i] >> 4];
    hex += digits[md[i] & 0xf];
  }
  return hex;
}

}  // namespace

std::shared_ptr<ssl::context> make_client_tls_context(const tls_options& tls,
                                                      const std::string& host) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  const auto load = [](const std::string& what, const std::string& file, auto&& fn) {
    try {
      fn();
    } catch (const boost::system::system_error& e) {
      throw std::runtime_error("cannot load " + what + " " + file + ": " + e.code().message());
    }
  };
  if (!tls.cert_file.empty()) {
    load("client certificate", tls.cert_file,
         [&] { ctx->use_certificate_chain_file(tls.cert_file); });
    load("client key", tls.key_file.empty() ? tls.cert_file : tls.key_file, [&] {
      ctx->use_private_key_file(tls.key_file.empty() ? tls.cert_file : tls.key_file,
                                ssl::context::pem);
    });
  }
  if (!tls.pin_sha256.empty()) {
    // A pinned leaf certificate replaces the chain: arrays ship self-signed certificates.
    ctx->set_verify_mode(ssl::verify_peer);
    ctx->set_verify_callback([pin = tls.pin_sha256](bool, ssl::verify_context& vc) {
      auto* store = vc.native_handle();
      if (X509_STORE_CTX_get_error_depth(store) > 0) {
        return true;
      }
      if (leaf_sha256(X509_STORE_CTX_get_current_cert(store)) == pin) {
        return true;
      }
      // Says why in the verify result: a chain that verified leaves X509_V_OK there.
      X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
      return false;
    });
    return ctx;
  }
  if (!tls.verify) {
    ctx->set_verify_mode(ssl::verify_none);
    return ctx;
  }
  ctx->set_default_verify_paths();
  if (!tls.ca_file.empty()) {
    load("CA file", tls.ca_file, [&] { ctx->load_verify_file(tls.ca_file); });
  }
  ctx->set_verify_mode(ssl::verify_peer);
  ctx->set_verify_callback(
      [check = ssl::host_name_verification(host)](bool preverified, ssl::verify_context& vc) {
        if (check(preverified, vc)) {
          return true;
        }
        // A chain that verified for another host leaves X509_V_OK: say why it failed.
        auto* store = vc.native_handle();
        if (X509_STORE_CTX_get_error(store) == X509_V_OK) {
          X509_STORE_CTX_set_error(store, X509_V_ERR_HOSTNAME_MISMATCH);
        }
        return false;
      });
  return ctx;
}

std::string unverified_certificate_note(SSL* ssl) {
  const long verdict = SSL_get_verify_result(ssl);
  // The peer's chain, leaf first, is kept even when verification failed: the peer alone is not.
  STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl);
  if (verdict == X509_V_OK || chain == nullptr || sk_X509_num(chain) == 0) {
    return {};
  }
  const auto sha256 = leaf_sha256(sk_X509_value(chain, 0));
  if (sha256.empty()) {
    return {};
  }
  std::string why = X509_verify_cert_error_string(verdict);
  return why + "; the certificate's SHA-256, for tls.pin_sha256 once checked: \"" + sha256 + "\"";
}

}  // namespace qsanfwd::net
