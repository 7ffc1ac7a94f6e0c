#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/http/verb.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/core/duration.hpp"
#include "agent/core/result.hpp"
#include "agent/net/proxy_options.hpp"

namespace qsanfwd::net {

/// Where a peer listens. `tls` selects HTTPS.
struct endpoint {
  std::string host;
  std::uint16_t port = 443;
  bool tls = true;
  std::string base_path;  ///< prefix of every request target, without a trailing slash
  proxy_options proxy;    ///< the HTTP proxy to go through; none when its host is empty
};

/// "host:port", with an IPv6 host in brackets, as a Host header or a CONNECT target gives it.
std::string authority(const std::string& host, std::uint16_t port);

struct http_reply {
  int status = 0;
  std::string body;
  std::string date;                     ///< the Date header, if any
  std::optional<duration> retry_after;  ///< from Retry-After: seconds, or an HTTP-date from now
};

/// Header fields of one request beyond those every request gets (Host, User-Agent, Accept,
/// Content-Length).
struct request_headers {
  std::string authorization;                      ///< the Authorization header, when not empty
  std::string content_type = "application/json";  ///< sent with a body
  std::string content_encoding;                   ///< e.g. "gzip", when not empty
  /// Any other fields, set last, so they replace the ones above; Content-Length is always
  /// the body's.
  std::vector<std::pair<std::string, std::string>> extra;
};

/// The largest answer an http_connection reads unless its owner says otherwise.
inline constexpr std::size_t default_body_limit = 64 * 1024 * 1024;

/// One keep-alive HTTP/1.1 connection to one peer, opened on first use and reopened after the
/// peer closes it. Not for concurrent use: one request at a time. An answer whose body exceeds
/// `body_limit` bytes (by its Content-Length, or as its chunks arrive) is a failure naming the
/// peer and the limit; nothing more of it is read.
///
/// With `ep.proxy`, the connection goes through that proxy (see proxy_options). What the proxy
/// says is as hostile as any peer: its answer to CONNECT is read within the timeout and 8 KB of
/// header. A proxy that cannot be reached, refuses the tunnel (407, 403, 502...) or answers a
/// plain request with 407 is a transient failure naming the proxy, the target and its status.
class http_connection {
 public:
  http_connection(boost::asio::any_io_executor ex, endpoint ep,
                  std::shared_ptr<boost::asio::ssl::context> tls, duration timeout,
                  std::size_t body_limit = default_body_limit);
  ~http_connection();
  http_connection(const http_connection&) = delete;
  http_connection& operator=(const http_connection&) = delete;

  /// Sends one request and reads the answer, all within the timeout. `authorization`, when not
  /// empty, goes into the Authorization header. Transport problems come back as transient
  /// failures naming the peer and the cause.
  boost::asio::awaitable<result<http_reply>> request(boost::beast::http::verb method,
                                                     std::string target, std::string body,
                                                     const std::string& authorization);
  /// As above, with the header fields of `headers`.
  boost::asio::awaitable<result<http_reply>> request(boost::beast::http::verb method,
                                                     std::string target, std::string body,
                                                     const request_headers& headers);

  void close();
  const endpoint& peer() const { return ep_; }

 private:
  struct impl;
  endpoint ep_;
  std::unique_ptr<impl> impl_;
};

}  // namespace qsanfwd::net
