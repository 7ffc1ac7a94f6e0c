#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/process.hpp"
#include "tests/support/tls_cert.hpp"

namespace qsanfwd::test {

/// A real rsyslogd in the foreground on 127.0.0.1, listening on UDP, TCP (octet counting or LF,
/// told apart by imtcp) and TLS (gtls driver, anonymous clients, the certificate it makes), and
/// writing every message it parsed as one JSON object per line: input, pri, timestamp,
/// hostname, app-name, procid, msgid, structured-data, msg.
///
/// The ports are picked free once and kept across restarts. Throws std::runtime_error when
/// rsyslogd is missing or does not start listening, so the test fails rather than skips.
class rsyslog {
 public:
  explicit rsyslog(const std::filesystem::path& dir);
  ~rsyslog();
  rsyslog(const rsyslog&) = delete;
  rsyslog& operator=(const rsyslog&) = delete;

  /// Starts rsyslogd and waits until all three listeners are bound.
  void start();
  /// SIGKILL, and waits until the process is gone (its sockets are closed then).
  void kill();

  /// Every record written so far, in order; a line still being written is left out.
  std::vector<nlohmann::json> records() const;
  /// The records of one input ("udp", "tcp" or "tls").
  std::vector<nlohmann::json> records_of(const std::string& input) const;

  std::uint16_t udp_port = 0;
  std::uint16_t tcp_port = 0;
  std::uint16_t tls_port = 0;
  tls_cert cert;  ///< the server's self-signed certificate: a client's ca_file

 private:
  void write_config() const;
  bool listening() const;

  std::filesystem::path dir_;
  int starts_ = 0;
  std::unique_ptr<child_process> process_;
};

}  // namespace qsanfwd::test
