#include "agent/net/http_connection.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <stdexcept>

#include "agent/core/time.hpp"
#include "agent/net/read_with_room.hpp"
#include "agent/net/retry_after.hpp"

namespace qsanfwd::net {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

bool is_ip_literal(const std::string& host) {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

// A peer that closed an idle keep-alive connection shows up as one of these on the next use.
bool is_stale_connection(const boost::system::error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::connection_reset ||
         ec == asio::error::broken_pipe || ec == asio::error::eof ||
         ec == asio::ssl::error::stream_truncated;
}

}  // namespace

struct http_connection::impl {
  asio::any_io_executor ex;
  std::shared_ptr<ssl::context> tls;
  duration timeout;
  std::size_t body_limit = default_body_limit;
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
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
    std::string cause = ec == beast::error::timeout ? "timed out after " + format_duration(timeout)
                        : ec == http::error::body_limit
                            ? "the answer is larger than the limit of " +
                                  std::to_string(body_limit) + " bytes"
                            : ec.message();
    return std::string(step) + " " + ep.host + ":" + std::to_string(ep.port) + ": " + cause;
  }

  asio::awaitable<result<bool>> connect(const endpoint& ep) {
    tcp::resolver resolver(ex);
    auto [rec, results] =
        co_await resolver.async_resolve(ep.host, std::to_string(ep.port), use_tuple);
    if (rec) {
      co_return failure{describe(ep, "resolving", rec)};
    }
    if (tls) {
      secure.emplace(ex, *tls);
      if (!is_ip_literal(ep.host)) {
        // SSL_set_tlsext_host_name is a macro with a C cast; this is what it expands to.
        SSL_ctrl(secure->native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                 const_cast<char*>(ep.host.c_str()));
      }
    } else {
      plain.emplace(ex);
    }
    lowest().expires_after(timeout);
    auto [cec, connected] = co_await lowest().async_connect(results, use_tuple);
    if (cec) {
      close();
      co_return failure{describe(ep, "connecting to", cec)};
    }
    if (secure) {
      lowest().expires_after(timeout);
      auto [hec] = co_await secure->async_handshake(ssl::stream_base::client, use_tuple);
      if (hec) {
        close();
        co_return failure{describe(ep, "TLS handshake with", hec)};
      }
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
  http::request<http::string_body> req{method, ep_.base_path + target, 11};
  const bool default_port = ep_.port == (ep_.tls ? 443 : 80);
  req.set(http::field::host, default_port ? ep_.host : ep_.host + ":" + std::to_string(ep_.port));
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
