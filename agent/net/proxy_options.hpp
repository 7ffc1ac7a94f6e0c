#pragma once

#include <cstdint>
#include <string>

#include "agent/core/secret.hpp"

namespace qsanfwd::net {

/// The HTTP proxy a client goes through, as the configuration decides it for one peer (a
/// device's or an HTTP sink's `proxy`, else the environment's HTTPS_PROXY, HTTP_PROXY and
/// NO_PROXY). A header of plain fields, like tls_options, so the config layer can fill it without
/// linking the transport. An empty host is no proxy: the peer is reached directly.
///
/// Through a proxy, an https:// peer is reached through a `CONNECT host:port` tunnel with TLS end
/// to end inside it (SNI and certificate checks name the peer, not the proxy); an http:// peer
/// gets its requests in absolute form ("POST http://host:port/path"), as proxies forward plain
/// HTTP, with no tunnel (proxies commonly refuse CONNECT to ports other than 443).
struct proxy_options {
  std::string host;  ///< a name, an IPv4 address or an IPv6 address without brackets
  std::uint16_t port = 0;
  std::string user;  ///< with `password`, sent as Proxy-Authorization: Basic; empty for none
  secret password;

  bool enabled() const { return !host.empty(); }
};

}  // namespace qsanfwd::net
