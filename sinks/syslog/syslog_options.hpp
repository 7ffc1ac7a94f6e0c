#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "agent/core/duration.hpp"
#include "agent/net/tls_options.hpp"
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

}  // namespace qsanfwd::sinks
