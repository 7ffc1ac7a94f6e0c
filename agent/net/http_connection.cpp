#include "agent/net/http_connection.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <stdexcept>

#include "agent/core/time.hpp"
#include "agent/net/read_with_room.hpp"
#include "agent/net/retry_after.hpp"
#include "agent/net/tls.hpp"
#include "agent/net/tls_stream.hpp"

namespace qsanfwd::net {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// A peer that closed an idle keep-alive connection shows up as one of these on the next use.
bool is_stale_connection(const boost::system::error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::connection_reset ||
         ec == asio::error::broken_pipe || ec == asio::error::eof ||
         ec == asio::ssl::error::stream_truncated;
}

/// The largest answer header a proxy may send to CONNECT.
constexpr std::uint32_t proxy_header_limit = 8 * 1024;

std::string proxy_basic_credentials(const proxy_options& proxy) {
  if (proxy.user.empty()) {
    return {};
  }
  const std::string plain = proxy.user + ":" + proxy.password.reveal();
  std::string out(4 * ((plain.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(plain.data()),
                                static_cast<int>(plain.size()));
  out.resize(static_cast<std::size_t>(n));
  return "Basic " + out;
}

/// A proxy's reason phrase as a message may quote it: printable ASCII, cut short.
std::string printable_reason(std::string_view reason) {
  constexpr std::size_t limit = 64;
  std::string out;
  for (char c : reason.substr(0, limit)) {
    const auto u = static_cast<unsigned char>(c);
    out += u >= 0x20 && u < 0x7f ? c : '?';
  }
  return out;
}

}  // namespace

std::string authority(const std::string& host, std::uint16_t port) {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

struct http_connection::impl {
  asio::any_io_executor ex;
  std::shared_ptr<ssl::context> tls;
  duration timeout;
  std::size_t body_limit = default_body_limit;
  std::string proxy_authorization;  ///< "Basic ..." for the proxy, or empty
  std::string host_field;           ///< the Host header of every request
  std::string target_prefix;        ///< before every target: the base path, in absolute form
  bool absolute_form = false;       ///< plain HTTP through a proxy
  std::optional<beast::tcp_stream> plain;
  std::optional<tls_stream> secure;
  beast::flat_buffer buffer;

  bool open() const { return plain.has_value() || secure.has_value(); }

  beast::tcp_stream& lowest() { return secure ? beast::get_lowest_layer(*secure) : *plain; }

  void close() {
    if (open()) {
      boost::system::error_code ignored;
      lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
      lowest().socket().close(ignored);
    }
    secure.reset();
    plain.reset();
    buffer.clear();
  }

  std::string describe(const endpoint& ep, const char* step,
                       const boost::system::error_code& ec) const {
    const auto via = ep.proxy.enabled() ? " via proxy " + authority(ep.proxy.host, ep.proxy.port)
                                        : std::string();
    return describe(ep.host + ":" + std::to_string(ep.port) + via, step, ec);
  }

  std::string describe(const std::string& peer, const std::string& step,
                       const boost::system::error_code& ec) const {
    std::string cause =
        ec == beast::error::timeout ? "timed out after " + format_duration(timeout)
        : ec == http::error::body_limit
            ? "the answer is larger than the limit of " + std::to_string(body_limit) + " bytes"
            : ec.message();
    return step + " " + peer + ": " + cause;
  }

  /// The host the socket connects to: the proxy, else the peer itself.
  static std::string first_hop(const endpoint& ep) {
    return ep.proxy.enabled() ? "proxy " + authority(ep.proxy.host, ep.proxy.port) + " (for " +
                                    authority(ep.host, ep.port) + ")"
                              : ep.host + ":" + std::to_string(ep.port);
  }

  asio::awaitable<result<bool>> connect(const endpoint& ep) {
    const bool proxied = ep.proxy.enabled();
    const std::string& host = proxied ? ep.proxy.host : ep.host;
    const auto port = proxied ? ep.proxy.port : ep.port;
    tcp::resolver resolver(ex);
    auto [rec, results] = co_await resolver.async_resolve(host, std::to_string(port), use_tuple);
    if (rec) {
      co_return failure{describe(first_hop(ep), "resolving", rec)};
    }
    plain.emplace(ex);
    plain->expires_after(timeout);
    auto [cec, connected] = co_await plain->async_connect(results, use_tuple);
    if (cec) {
      close();
      co_return failure{describe(first_hop(ep), "connecting to", cec)};
    }
    if (!tls) {
      co_return true;
    }
    if (proxied) {
      auto tunnel = co_await open_tunnel(ep);
      if (!tunnel) {
        close();
        co_return tunnel.error();
      }
    }
    // TLS runs over the socket as it stands: straight to the peer, or inside the tunnel, with
    // the peer's name for SNI and for the certificate check.
    secure.emplace(std::move(*plain), *tls);
    plain.reset();
    name_the_peer(secure->native_handle(), ep.host);
    lowest().expires_after(timeout);
    auto [hec] = co_await secure->async_handshake(use_tuple);
    if (hec) {
      auto message = describe(ep, "TLS handshake with", hec);
      if (const auto note = unverified_certificate_note(secure->native_handle()); !note.empty()) {
        message += ": " + note;
      }
      close();
      co_return failure{std::move(message)};
    }
    co_return true;
  }

  /// Asks the proxy, on the connected plain socket, for a tunnel to the peer.
  asio::awaitable<result<bool>> open_tunnel(const endpoint& ep) {
    const auto proxy_name = "proxy " + authority(ep.proxy.host, ep.proxy.port);
    const auto target = authority(ep.host, ep.port);
    http::request<http::empty_body> req{http::verb::connect, target, 11};
    req.set(http::field::host, target);
    req.set(http::field::user_agent, "qsanfwd");
    if (!proxy_authorization.empty()) {
      req.set(http::field::proxy_authorization, proxy_authorization);
    }
    plain->expires_after(timeout);
    auto [wec, written] = co_await http::async_write(*plain, req, use_tuple);
    if (wec) {
      co_return failure{describe(proxy_name, "sending CONNECT " + target + " to", wec)};
    }
    // The answer's body, if a refusal has one, is never read: the socket is closed.
    http::response_parser<http::empty_body> parser;
    parser.skip(true);
    parser.header_limit(proxy_header_limit);
    beast::flat_buffer answer(2 * proxy_header_limit);
    auto [rec, read] = co_await http::async_read_header(*plain, answer, parser, use_tuple);
    if (rec) {
      co_return failure{
          describe(proxy_name, "reading the answer to CONNECT " + target + " from", rec)};
    }
    const auto& res = parser.get();
    if (res.result_int() / 100 != 2) {
      co_return failure{proxy_name + " refused CONNECT to " + target + ": " +
                        std::to_string(res.result_int()) + " " + printable_reason(res.reason())};
    }
    if (answer.size() != 0) {
      // TLS starts with the client's hello: a proxy talking first is not a tunnel.
      co_return failure{proxy_name + " sent " + std::to_string(answer.size()) +
                        " bytes after accepting CONNECT to " + target + ", before the peer spoke"};
    }
    co_return true;
  }

  template <typename Stream>
  asio::awaitable<boost::system::error_code> exchange(
      Stream& stream, http::request<http::string_body>& req,
      http::response_parser<http::string_body>& parser) {
    lowest().expires_after(timeout);
    auto [wec, written] = co_await http::async_write(stream, req, use_tuple);
    if (wec) {
      co_return wec;
    }
    co_return co_await read_with_room(stream, buffer, parser);
  }
};

http_connection::http_connection(asio::any_io_executor ex, endpoint ep,
                                 std::shared_ptr<ssl::context> tls, duration timeout,
                                 std::size_t body_limit)
    : ep_(std::move(ep)), impl_(std::make_unique<impl>()) {
  impl_->ex = std::move(ex);
  impl_->tls = ep_.tls ? std::move(tls) : nullptr;
  impl_->timeout = timeout;
  impl_->body_limit = body_limit;
  const bool default_port = ep_.port == (ep_.tls ? 443 : 80);
  impl_->host_field = authority(ep_.host, ep_.port);
  if (default_port) {
    impl_->host_field.resize(impl_->host_field.rfind(':'));
  }
  impl_->absolute_form = ep_.proxy.enabled() && !ep_.tls;
  impl_->target_prefix =
      impl_->absolute_form ? "http://" + impl_->host_field + ep_.base_path : ep_.base_path;
  impl_->proxy_authorization = proxy_basic_credentials(ep_.proxy);
}

http_connection::~http_connection() {
  impl_->close();
}

void http_connection::close() {
  impl_->close();
}

asio::awaitable<result<http_reply>> http_connection::request(http::verb method, std::string target,
                                                             std::string body,
                                                             const std::string& authorization) {
  request_headers headers;
  headers.authorization = authorization;
  co_return co_await request(method, std::move(target), std::move(body), headers);
}

asio::awaitable<result<http_reply>> http_connection::request(http::verb method, std::string target,
                                                             std::string body,
                                                             const request_headers& headers) {
  http::request<http::string_body> req{method, impl_->target_prefix + target, 11};
  req.set(http::field::host, impl_->host_field);
  req.set(http::field::user_agent, "qsanfwd");
  req.set(http::field::accept, "application/json");
  req.keep_alive(true);
  if (!headers.authorization.empty()) {
    req.set(http::field::authorization, headers.authorization);
  }
  if (!body.empty()) {
    req.set(http::field::content_type, headers.content_type);
    req.body() = std::move(body);
  }
  if (!headers.content_encoding.empty()) {
    req.set(http::field::content_encoding, headers.content_encoding);
  }
  for (const auto& [field, value] : headers.extra) {
    req.set(field, value);
  }
  if (impl_->absolute_form && !impl_->proxy_authorization.empty()) {
    req.set(http::field::proxy_authorization, impl_->proxy_authorization);
  }
  req.prepare_payload();

  // A reused connection may have been closed by the peer while idle: one fresh try then.
  for (int attempt = 0;; ++attempt) {
    const bool reused = impl_->open();
    if (!reused) {
      auto c = co_await impl_->connect(ep_);
      if (!c) {
        co_return c.error();
      }
    }
    http::response_parser<http::string_body> parser;
    parser.body_limit(impl_->body_limit);
    const auto ec = impl_->secure ? co_await impl_->exchange(*impl_->secure, req, parser)
                                  : co_await impl_->exchange(*impl_->plain, req, parser);
    if (ec) {
      impl_->close();
      if (reused && attempt == 0 && is_stale_connection(ec)) {
        continue;
      }
      co_return failure{impl_->describe(ep_, "request to", ec)};
    }
    auto res = parser.release();
    if (impl_->absolute_form && res.result() == http::status::proxy_authentication_required) {
      // Only a proxy answers so: the request never reached the peer.
      impl_->close();
      co_return failure{"proxy " + authority(ep_.proxy.host, ep_.proxy.port) + " refused " +
                        std::string(http::to_string(method)) + " to " + impl_->host_field +
                        ": 407 " + printable_reason(res.reason())};
    }
    http_reply reply;
    reply.status = static_cast<int>(res.result_int());
    reply.date = std::string(res[http::field::date]);
    reply.retry_after = parse_retry_after(res[http::field::retry_after], unix_now());
    reply.body = std::move(res.body());
    if (!res.keep_alive()) {
      impl_->close();
    }
    co_return reply;
  }
}

}  // namespace qsanfwd::net
