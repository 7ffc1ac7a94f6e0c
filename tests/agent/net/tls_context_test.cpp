#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <filesystem>

#include "agent/net/tls.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/tls_cert.hpp"

namespace qsanfwd::net {
namespace {

X509_STORE* trust_store(const std::shared_ptr<boost::asio::ssl::context>& ctx) {
  return SSL_CTX_get_cert_store(ctx->native_handle());
}

TEST(tls_context, arrays_share_one_trust_store_until_their_ca_file_changes) {
  test::temp_dir dir;
  std::filesystem::create_directories(dir.path() / "first");
  std::filesystem::create_directories(dir.path() / "renewed");
  const auto first = test::make_tls_cert(dir.path() / "first");
  tls_options tls;
  tls.ca_file = (dir.path() / "ca.pem").string();
  std::filesystem::copy_file(first.cert_file, tls.ca_file);

  const auto a = make_client_tls_context(tls, "array-a.example");
  const auto b = make_client_tls_context(tls, "array-b.example");
  EXPECT_EQ(trust_store(a), trust_store(b));
  tls_options other = tls;
  other.ca_file.clear();
  EXPECT_NE(trust_store(make_client_tls_context(other, "array-c.example")), trust_store(a));

  // A renewed CA written over the file: the next context (a reload) reads it again; the
  // contexts made before keep theirs (ASan: no store freed under them).
  const auto renewed = test::make_tls_cert(dir.path() / "renewed");
  std::filesystem::copy_file(renewed.cert_file, tls.ca_file,
                             std::filesystem::copy_options::overwrite_existing);
  std::filesystem::last_write_time(
      tls.ca_file, std::filesystem::last_write_time(tls.ca_file) + std::chrono::seconds{2});
  const auto c = make_client_tls_context(tls, "array-a.example");
  EXPECT_NE(trust_store(c), trust_store(a));
}

TEST(tls_context, an_unreadable_ca_file_is_named) {
  tls_options tls;
  tls.ca_file = "/nonexistent/ca.pem";
  try {
    make_client_tls_context(tls, "array.example");
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot load CA file /nonexistent/ca.pem"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace qsanfwd::net
