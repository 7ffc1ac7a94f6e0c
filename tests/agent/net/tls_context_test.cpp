#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <filesystem>
#include <set>
#include <vector>

#include "agent/net/tls.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/tls_cert.hpp"

namespace qsanfwd::net {
namespace {

X509_STORE* trust_store(const std::shared_ptr<boost::asio::ssl::context>& ctx) {
  return SSL_CTX_get_cert_store(ctx->native_handle());
}

TEST(tls_context, peers_with_the_same_settings_share_one_context) {
  test::temp_dir dir;
  const auto cert = test::make_tls_cert(dir.path());
  tls_options tls;
  tls.ca_file = cert.cert_file.string();
  const auto a = client_tls_context(tls);
  EXPECT_EQ(client_tls_context(tls), a);

  // Each setting that goes into a context makes one of its own.
  std::vector<tls_options> others(5, tls);
  others[0].ca_file.clear();
  others[1].verify = false;
  others[2].pin_sha256 = cert.sha256_fingerprint;
  others[3].cert_file = cert.cert_file.string();
  others[3].key_file = cert.key_file.string();
  others[4].cert_file = others[3].cert_file;
  others[4].key_file = others[3].key_file;
  others[4].pin_sha256 = cert.sha256_fingerprint;
  std::set<const boost::asio::ssl::context*> seen{a.get()};
  std::vector<std::shared_ptr<boost::asio::ssl::context>> kept;
  for (const auto& o : others) {
    kept.push_back(client_tls_context(o));
    EXPECT_TRUE(seen.insert(kept.back().get()).second);
  }
  // Contexts of other settings still share the trust store of their CA file.
  EXPECT_EQ(trust_store(kept[3]), trust_store(a));
}

TEST(tls_context, arrays_share_one_trust_store_until_their_ca_file_changes) {
  test::temp_dir dir;
  std::filesystem::create_directories(dir.path() / "first");
  std::filesystem::create_directories(dir.path() / "renewed");
  const auto first = test::make_tls_cert(dir.path() / "first");
  tls_options tls;
  tls.ca_file = (dir.path() / "ca.pem").string();
  std::filesystem::copy_file(first.cert_file, tls.ca_file);

  const auto a = client_tls_context(tls);
  tls_options other = tls;
  other.ca_file.clear();
  EXPECT_NE(trust_store(client_tls_context(other)), trust_store(a));

  // A renewed CA written over the file: the next context (a reload) reads it again; the
  // contexts made before keep theirs (ASan: no store freed under them).
  const auto renewed = test::make_tls_cert(dir.path() / "renewed");
  std::filesystem::copy_file(renewed.cert_file, tls.ca_file,
                             std::filesystem::copy_options::overwrite_existing);
  std::filesystem::last_write_time(
      tls.ca_file, std::filesystem::last_write_time(tls.ca_file) + std::chrono::seconds{2});
  const auto c = client_tls_context(tls);
  EXPECT_NE(c, a);
  EXPECT_NE(trust_store(c), trust_store(a));
  EXPECT_EQ(client_tls_context(tls), c);
}

TEST(tls_context, an_unreadable_ca_file_is_named) {
  tls_options tls;
  tls.ca_file = "/nonexistent/ca.pem";
  try {
    client_tls_context(tls);
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot load CA file /nonexistent/ca.pem"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace qsanfwd::net
