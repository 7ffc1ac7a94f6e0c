#include "agent/net/tls_files.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <filesystem>
#include <memory>

#include "tests/support/temp_dir.hpp"
#include "tests/support/tls_cert.hpp"

namespace qsanfwd::net {
namespace {

namespace fs = std::filesystem;

struct tls_files : ::testing::Test {
  test::temp_dir dir;
  test::tls_cert cert = test::make_tls_cert(dir.path());
  test::tls_cert other = cert_in(dir / "other");

  static test::tls_cert cert_in(const fs::path& where) {
    fs::create_directories(where);
    return test::make_tls_cert(where);
  }

  tls_options client(const fs::path& cert_file, const fs::path& key_file) const {
    tls_options tls;
    tls.ca_file = cert.cert_file.string();  // a self-signed certificate is its own CA
    tls.cert_file = cert_file.string();
    tls.key_file = key_file.string();
    return tls;
  }

  /// One line per problem: "error key_file: <reason>" (the file name left out).
  static std::vector<std::string> lines(const std::vector<tls_file_problem>& problems) {
    std::vector<std::string> out;
    for (const auto& p : problems) {
      out.push_back(std::string(p.warning ? "warning " : "error ") + p.key + ": " + p.reason);
    }
    return out;
  }
};

TEST_F(tls_files, a_matching_certificate_and_key_pass) {
  fs::permissions(cert.key_file, fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_TRUE(check_tls_files(client(cert.cert_file, cert.key_file)).empty());
  EXPECT_TRUE(check_tls_files(tls_options{}).empty()) << "no file named, nothing to check";
}

TEST_F(tls_files, a_missing_file_names_the_key_the_file_and_the_reason) {
  tls_options tls;
  tls.ca_file = (dir / "missing-ca.pem").string();
  const auto problems = check_tls_files(tls);
  ASSERT_EQ(problems.size(), 1U);
  EXPECT_EQ(problems[0].key, "ca_file");
  EXPECT_EQ(problems[0].file, tls.ca_file);
  EXPECT_EQ(problems[0].reason, "cannot be read: No such file or directory");
  EXPECT_FALSE(problems[0].warning);
  tls.ca_file = dir.path().string();
  EXPECT_EQ(lines(check_tls_files(tls)),
            std::vector<std::string>{"error ca_file: is not a regular file"});
}

TEST_F(tls_files, files_that_are_not_the_pem_they_should_be) {
  fs::permissions(cert.key_file, fs::perms::owner_read | fs::perms::owner_write);
  // The key where the certificate should be, and the certificate where the key should be.
  auto tls = client(cert.key_file, cert.cert_file);
  tls.ca_file = cert.key_file.string();
  EXPECT_EQ(lines(check_tls_files(tls)),
            (std::vector<std::string>{
                "error ca_file: holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
                "error cert_file: holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
                "error key_file: holds no PEM private key (-----BEGIN PRIVATE KEY-----)"}));
}

TEST_F(tls_files, a_key_of_another_certificate_is_an_error) {
  fs::permissions(other.key_file, fs::perms::owner_read | fs::perms::owner_write);
  const auto problems = check_tls_files(client(cert.cert_file, other.key_file));
  EXPECT_EQ(lines(problems), std::vector<std::string>{"error key_file: is not the key of the "
                                                      "certificate in " +
                                                      cert.cert_file.string()});
}

TEST_F(tls_files, an_encrypted_key_is_an_error_the_agent_cannot_prompt) {
  // The key again, encrypted with a passphrase.
  std::unique_ptr<BIO, decltype(&BIO_free)> in(BIO_new_file(cert.key_file.c_str(), "r"), BIO_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      PEM_read_bio_PrivateKey(in.get(), nullptr, nullptr, nullptr), EVP_PKEY_free);
  ASSERT_TRUE(key);
  const auto encrypted = dir / "encrypted.pem";
  std::unique_ptr<BIO, decltype(&BIO_free)> out(BIO_new_file(encrypted.c_str(), "w"), BIO_free);
  char passphrase[] = "passphrase";
  ASSERT_EQ(PEM_write_bio_PKCS8PrivateKey(out.get(), key.get(), EVP_aes_128_cbc(), passphrase,
                                          sizeof passphrase - 1, nullptr, nullptr),
            1);
  out.reset();
  fs::permissions(encrypted, fs::perms::owner_read | fs::perms::owner_write);
  const auto problems = check_tls_files(client(cert.cert_file, encrypted));
  ASSERT_EQ(problems.size(), 1U);
  EXPECT_EQ(problems[0].reason.substr(0, 54),
            "is encrypted, and the agent cannot ask for a passphras");
}

TEST_F(tls_files, a_key_others_may_read_is_a_warning) {
  fs::permissions(cert.key_file, fs::perms::owner_read | fs::perms::owner_write |
                                     fs::perms::group_read | fs::perms::others_read);
  EXPECT_EQ(lines(check_tls_files(client(cert.cert_file, cert.key_file))),
            std::vector<std::string>{"warning key_file: is readable by every user (mode 0644): "
                                     "make it 0600, owned by the user the agent runs as"});
  fs::permissions(cert.key_file, fs::perms::others_read, fs::perm_options::remove);
  const auto problems = check_tls_files(client(cert.cert_file, cert.key_file));
  ASSERT_EQ(problems.size(), 1U);
  EXPECT_TRUE(problems[0].warning);
  EXPECT_NE(problems[0].reason.find("(mode 0640): fine if only the agent's user is in it"),
            std::string::npos)
      << problems[0].reason;
}

}  // namespace
}  // namespace qsanfwd::net
