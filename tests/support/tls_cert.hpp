#pragma once

#include <filesystem>
#include <string>

namespace qsanfwd::test {

/// A self-signed certificate and its key as PEM files.
struct tls_cert {
  std::filesystem::path cert_file;
  std::filesystem::path key_file;
  std::string sha256_fingerprint;  ///< of the DER certificate, 64 lowercase hex digits
};

/// Generates an EC P-256 key and a self-signed certificate valid for a day, with
/// subjectAltName IP:127.0.0.1 and DNS:localhost, written as `dir/cert.pem` and `dir/key.pem`.
/// Throws std::runtime_error when OpenSSL fails.
tls_cert make_tls_cert(const std::filesystem::path& dir,
                       const std::string& common_name = "localhost");

}  // namespace qsanfwd::test
