#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "agent/net/proxy_options.hpp"
#include "config/address.hpp"
#include "config/object_reader.hpp"

namespace qsanfwd::config {

/// Parses a proxy URL, "[http://][user[:password]@]host[:port][/]", as `proxy` and the
/// *_PROXY variables give it. The user and password are percent-decoded; the port defaults to
/// 1080, as curl's does. On failure, nullopt and `why` says what is wrong without quoting the
/// text when it may hold a password: an https:// proxy (TLS to the proxy) and SOCKS are not
/// supported.
std::optional<net::proxy_options> parse_proxy_url(std::string_view text, std::string& why);

/// Whether `host` (and `port`) is in `no_proxy`, with curl's rules: entries separated by commas
/// or spaces; "*" matches every host; a name matches itself and its subdomains (a leading dot
/// is ignored: ".example.com" and "example.com" both match "a.example.com"); an IP address
/// matches that address, or a range in CIDR form ("10.0.0.0/8", "fd00::/8"); ":port" (after
/// "[v6]" for IPv6) restricts an entry to that port. Case-insensitive.
bool no_proxy_matches(std::string_view no_proxy, std::string_view host, std::uint16_t port);

/// The proxy as logs and the effective configuration show it: "http://host:port", or with a
/// user "http://user:***@host:port".
std::string proxy_for_display(const net::proxy_options& proxy);

/// Reads `proxy` of a device or an HTTP sink, whose peer is `peer`: a proxy URL (credentials
/// in it may come from ${VAR}), an object {url, user, password or password_file}, "none" or
/// false for none. Absent, the environment decides: https_proxy / HTTPS_PROXY for an https://
/// peer, http_proxy / HTTP_PROXY for http:// (lower case first), unless no_proxy / NO_PROXY
/// matches the peer. Records the decision with the password masked; throws config_error at
/// `proxy` naming the variable when a variable's value is bad.
net::proxy_options read_proxy(object_reader& r, const url_parts& peer);

}  // namespace qsanfwd::config
