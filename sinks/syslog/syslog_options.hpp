#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "agent/core/duration.hpp"
#include "agent/net/tls_options.hpp"
#include "config/config.hpp"
#include "config/object_reader.hpp"
#include "sinks/syslog/syslog_format.hpp"

namespace qsanfwd::sinks {

enum class syslog_transport { udp, tcp, tls };

/// How messages are delimited on a TCP or TLS stream (RFC 6587).
enum class syslog_framing {
  octet_counting,  ///< `LEN SP MSG`: a message may hold newlines
  lf,              ///< one line per message, newlines inside escaped as `\n`
};

/// The syslog sink's options (`type: "syslog"`).
struct syslog_options {
  syslog_transport transport = syslog_transport::udp;
  std::string host;
  std::uint16_t port = 514;
  syslog::format_settings format;
  syslog_framing framing = syslog_framing::octet_counting;
  std::size_t max_message_size = 2048;  ///< UDP only: longer messages are truncated
  duration timeout{10000};              ///< for connecting, the TLS handshake and each write
  net::tls_options tls;             ///< tls:// only
  std::string server_name;  ///< tls:// only: the name checked in the certificate and sent as SNI
};

/// Reads `address` (`udp://host[:514]`, `tcp://host[:514]`, `tls://host[:6514]`), `format`
/// (rfc5424, rfc3164, cef), `facility` (local0), `hostname` (the device's name), `app_name`
/// (qsan), `sd_id` (qsan@32473), `bom` (false), `framing` (octet-counting or lf; TCP and TLS),
/// `max_message_size` (2048; UDP), `timeout` (10s) and, for tls:// only, `tls: {ca_file,
/// cert_file, key_file, verify (true), server_name (the host)}`. Throws config_error naming the
/// key for values out of range and for options that do not apply to the address's transport.
syslog_options parse_syslog_options(config::object_reader& r);

/// The pace of a UDP syslog sink without `rate_limit`. UDP has no flow control: a receiver that
/// falls behind drops datagrams from its socket buffer and nobody knows. Measured with a real
/// rsyslogd (imudp to omfile) on 127.0.0.1 on a busy 2-core VM, 10,000 lines of ~350 bytes:
/// unpaced, 38-61 % arrived; at 5,000/s 85 %, 3,000/s 95 %, 2,000/s 92-99 %; at 1,500/s and
/// below all of them, every time. 500/s leaves three times that margin for a receiver busier
/// than the test's, and still drains a day of a busy array's lines (~100,000) in minutes.
inline constexpr double udp_default_events_per_second = 500;

/// The pace of a syslog sink without `rate_limit`: udp_default_events_per_second for UDP
/// (with default_burst), unpaced for TCP and TLS, whose receivers push back.
config::rate_limit default_pace(const syslog_options& options);

}  // namespace qsanfwd::sinks
