#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace qsanfwd::config {

/// An http:// or https:// URL split into its parts.
struct url_parts {
  std::string scheme;      ///< "http" or "https", lowercase
  std::string host;        ///< a name, an IPv4 address, or an IPv6 address without brackets
  std::uint16_t port = 0;  ///< explicit, else 80 or 443
  std::string base_path;   ///< "" or "/a/b" (no trailing slash)
  std::string query;       ///< what follows "?", without it; "" when there is none

  bool tls() const { return scheme == "https"; }
  friend bool operator==(const url_parts&, const url_parts&) = default;
};

/// Parses "scheme://host[:port][/base/path][?query]" with scheme http or https. Rejects user
/// info (credentials belong in their own keys), fragments, ports outside 1..65535, and a path or
/// query with anything but visible ASCII (they go into the request line as written).
std::optional<url_parts> parse_url(std::string_view text);

/// `url` as errors and logs may quote it: everything from the first "?" or "#" on, where a
/// receiver's API key may sit, is replaced by "?...". For text that may not parse as a URL.
std::string url_without_query(std::string_view url);

/// A "host:port" pair; IPv6 hosts are written "[::1]:9464" and kept without brackets.
struct host_port {
  std::string host;
  std::uint16_t port = 0;
  friend bool operator==(const host_port&, const host_port&) = default;
};

/// Whether port 0 ("any free port", for listeners in tests) is accepted.
enum class port_zero { rejected, allowed };

/// Parses "host:port" with a non-empty host and a port in 1..65535 (or 0 when allowed).
std::optional<host_port> parse_host_port(std::string_view text,
                                         port_zero zero = port_zero::rejected);

}  // namespace qsanfwd::config
