#include "agent/net/tls.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <array>
#include <boost/asio/ip/address.hpp>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <utility>

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

// What identifies a CA file's content well enough to reuse what was read from it: its size and
// when it was written ("" for no file).
std::string file_stamp(const std::string& file) {
  if (file.empty()) {
    return {};
  }
  std::error_code ec;
  const auto written = std::filesystem::last_write_time(file, ec);
  const auto size = std::filesystem::file_size(file, ec);
  return ec ? std::string("unreadable")
            : std::to_string(written.time_since_epoch().count()) + "/" + std::to_string(size);
}

const std::string& key_file_of(const tls_options& tls) {
  return tls.key_file.empty() ? tls.cert_file : tls.key_file;
}

X509_STORE* load_trust_store(const std::string& ca_file) {
  X509_STORE* store = X509_STORE_new();
  if (store != nullptr && X509_STORE_set_default_paths(store) == 1 &&
      (ca_file.empty() || X509_STORE_load_file(store, ca_file.c_str()) == 1)) {
    return store;
  }
  const auto* why = ERR_reason_error_string(ERR_peek_last_error());
  ERR_clear_error();
  X509_STORE_free(store);
  throw std::runtime_error("cannot load CA file " + ca_file + ": " +
                           (why != nullptr ? why : "not a PEM certificate"));
}

// Gives `ctx` the trust store of the system's CAs plus `ca_file`, shared with every context
// made for the same file: the system bundle alone is ~140 certificates and about 0.9 MiB a copy,
// and 1,000 HTTPS arrays held 961 MiB of copies. OpenSSL counts the store's references, so a
// context keeps its store when a changed CA file (seen by its stamp, at a reload) gets a new one.
void use_shared_trust_store(SSL_CTX* ctx, const std::string& ca_file) {
  struct store_free {
    void operator()(X509_STORE* store) const { X509_STORE_free(store); }
  };
  // Freed at exit (before OpenSSL's own clean-up, registered earlier by SSL_CTX_new).
  static std::mutex mutex;
  static std::map<std::string, std::pair<std::string, std::unique_ptr<X509_STORE, store_free>>>
      stores;  // by CA file: its stamp and its store
  const auto stamp = file_stamp(ca_file);
  const std::lock_guard lock(mutex);
  auto& [seen, store] = stores[ca_file];
  if (!store || seen != stamp) {
    store.reset(load_trust_store(ca_file));
    seen = stamp;
  }
  SSL_CTX_set1_cert_store(ctx, store.get());
}

// A new context for `tls`; client_tls_context() shares it.
std::shared_ptr<ssl::context> new_client_tls_context(const tls_options& tls) {
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
    load("client key", key_file_of(tls),
         [&] { ctx->use_private_key_file(key_file_of(tls), ssl::context::pem); });
  }
  if (!tls.pin_sha256.empty()) {
    // A pinned leaf certificate replaces the chain: arrays ship self-signed certificates.
    // It decides alone, over the chain's errors and the peer's name (name_the_peer).
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
  use_shared_trust_store(ctx->native_handle(), tls.ca_file);
  ctx->set_verify_mode(ssl::verify_peer);
  return ctx;
}

// Every setting that goes into a context, and the stamps of the files it reads.
std::string context_key(const tls_options& tls) {
  const std::string fields[] = {tls.verify ? "verify" : "no-verify",
                                tls.ca_file,
                                file_stamp(tls.ca_file),
                                tls.cert_file,
                                file_stamp(tls.cert_file),
                                key_file_of(tls),
                                file_stamp(key_file_of(tls)),
                                tls.pin_sha256};
  std::string key;
  for (const auto& f : fields) {
    key += f;
    key += '\0';
  }
  return key;
}

}  // namespace

std::shared_ptr<ssl::context> client_tls_context(const tls_options& tls) {
  // Freed at exit, as the trust stores are; an entry whose context every user dropped goes at
  // the next call.
  static std::mutex mutex;
  static std::map<std::string, std::weak_ptr<ssl::context>> contexts;
  const auto key = context_key(tls);
  const std::lock_guard lock(mutex);
  std::erase_if(contexts, [](const auto& entry) { return entry.second.expired(); });
  auto& slot = contexts[key];
  if (auto shared = slot.lock()) {
    return shared;
  }
  try {
    auto made = new_client_tls_context(tls);
    slot = made;
    return made;
  } catch (...) {
    contexts.erase(key);
    throw;
  }
}

void name_the_peer(SSL* ssl, const std::string& host) {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  if (ec) {
    // SSL_set_tlsext_host_name is a macro with a C cast; this is what it expands to.
    SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
             const_cast<char*>(host.c_str()));
  }
  // Checked by OpenSSL with the chain (an IP address against the certificate's IP names): a
  // mismatch fails the handshake with X509_V_ERR_HOSTNAME_MISMATCH (or _IP_ADDRESS_MISMATCH).
  SSL_set1_host(ssl, host.c_str());
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
