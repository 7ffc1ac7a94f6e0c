#include "sinks/syslog/syslog_options.hpp"

#include <algorithm>
#include <array>

#include "config/address.hpp"
#include "config/config.hpp"

namespace qsanfwd::sinks {
namespace {

struct scheme {
  std::string_view prefix;
  syslog_transport transport;
  std::uint16_t default_port;
};

constexpr std::array<scheme, 3> schemes{{
    {"udp://", syslog_transport::udp, 514},
    {"tcp://", syslog_transport::tcp, 514},
    {"tls://", syslog_transport::tls, 6514},
}};

void read_address(config::object_reader& r, syslog_options& o) {
  const auto address = r.string("address");
  const auto bad = [&](const std::string& why) {
    return r.error("address", why + ", got \"" + address + "\"");
  };
  for (const auto& s : schemes) {
    if (!address.starts_with(s.prefix)) {
      continue;
    }
    std::string rest = address.substr(s.prefix.size());
    // A port is optional: "host" or "[::1]" alone take the transport's well-known port.
    const bool has_port = rest.starts_with('[') ? rest.find("]:") != std::string::npos
                                                : rest.find(':') != std::string::npos;
    if (!has_port) {
      rest += ":" + std::to_string(s.default_port);
    }
    const auto hp = config::parse_host_port(rest);
    if (!hp) {
      throw bad("expected " + std::string(s.prefix) + "host:port with a port in 1..65535");
    }
    o.transport = s.transport;
    o.host = hp->host;
    o.port = hp->port;
    return;
  }
  throw bad("expected udp://host:port, tcp://host:port or tls://host:port");
}

// Printable US-ASCII of 1..max characters, as RFC 5424 wants for HOSTNAME and APP-NAME.
std::string header_value(config::object_reader& r, std::string_view key, std::size_t max,
                         std::string_view fallback) {
  auto value = r.string(key, fallback);
  const bool printable = std::all_of(value.begin(), value.end(), [](char c) {
    return static_cast<unsigned char>(c) >= 33 && static_cast<unsigned char>(c) <= 126;
  });
  if (value.size() > max || !printable || (value.empty() && !fallback.empty())) {
    throw r.error(key, "expected 1.." + std::to_string(max) +
                           " printable US-ASCII characters without spaces, got \"" + value + "\"");
  }
  return value;
}

void read_format(config::object_reader& r, syslog::format_settings& f) {
  const auto format = r.one_of("format", {"rfc5424", "rfc3164", "cef"}, "rfc5424");
  f.format = format == "rfc3164" ? syslog::message_format::rfc3164
             : format == "cef"   ? syslog::message_format::cef
                                 : syslog::message_format::rfc5424;
  const auto facility = r.string("facility", "local0");
  const auto code = syslog::parse_facility(facility);
  if (!code) {
    throw r.error("facility",
                  "expected kern, user, mail, daemon, auth, syslog, lpr, news, uucp, cron, "
                  "authpriv, ftp, ntp, security, console, solaris-cron or local0..local7, got \"" +
                      facility + "\"");
  }
  f.facility = *code;
  // Empty means the device's name, so the SIEM sees the array rather than the agent.
  f.hostname = header_value(r, "hostname", 255, "");
  f.app_name = header_value(r, "app_name", 48, "qsan");
  f.sd_id = r.string("sd_id", "qsan@32473");
  // SD-IDs without "@" are reserved for names registered with IANA.
  const auto at = f.sd_id.find('@');
  if (!syslog::is_valid_sd_name(f.sd_id) || at == 0 || at == std::string::npos ||
      at + 1 == f.sd_id.size() ||
      f.sd_id.find_first_not_of("0123456789.", at + 1) != std::string::npos) {
    throw r.error("sd_id",
                  "expected name@enterprise-number, at most 32 printable US-ASCII characters "
                  "without '=', ']', '\"' or spaces, got \"" +
                      f.sd_id + "\"");
  }
  if (f.format == syslog::message_format::rfc3164 && r.has("bom")) {
    throw r.error("bom", "applies to formats rfc5424 and cef only");
  }
  f.bom = r.boolean("bom", false);
}

void read_stream_options(config::object_reader& r, syslog_options& o) {
  if (r.has("max_message_size")) {
    throw r.error("max_message_size", "applies to udp:// only: nothing is truncated on TCP or TLS");
  }
  const auto framing = r.one_of("framing", {"octet-counting", "lf"}, "octet-counting");
  o.framing = framing == "lf" ? syslog_framing::lf : syslog_framing::octet_counting;
}

void read_tls(config::object_reader& r, syslog_options& o) {
  auto tls = r.object("tls");
  o.tls = config::read_tls_options(tls);
  o.server_name = tls.string("server_name", o.host);
  tls.finish();
}

}  // namespace

syslog_options parse_syslog_options(config::object_reader& r) {
  syslog_options o;
  read_address(r, o);
  read_format(r, o.format);
  if (o.transport == syslog_transport::udp) {
    if (r.has("framing")) {
      throw r.error("framing",
                    "applies to tcp:// and tls:// only: UDP sends one datagram per event");
    }
    // 480 is what every receiver must accept (RFC 5426); 65507 the largest IPv4 datagram.
    o.max_message_size = static_cast<std::size_t>(r.integer("max_message_size", 480, 65507, 2048));
  } else {
    read_stream_options(r, o);
  }
  if (o.transport == syslog_transport::tls) {
    read_tls(r, o);
  } else if (r.has("tls")) {
    throw r.error("tls", "applies to tls:// addresses only");
  }
  o.timeout = r.duration_value("timeout", duration{10000}, duration{1});
  return o;
}

config::rate_limit default_pace(const syslog_options& options) {
  if (options.transport != syslog_transport::udp) {
    return {};
  }
  return {udp_default_events_per_second, config::default_burst(udp_default_events_per_second)};
}

}  // namespace qsanfwd::sinks
