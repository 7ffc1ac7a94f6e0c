#include "agent/ops/http_api.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <set>
#include <system_error>

#include "agent/core/logging.hpp"

namespace qsanfwd::ops {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {
constexpr auto io_deadline = std::chrono::seconds(30);
}

struct http_api::impl : std::enable_shared_from_this<impl> {
  impl(asio::any_io_executor ex, routes r) : acceptor(ex), table(std::move(r)) {}

  tcp::acceptor acceptor;
  routes table;
  std::set<beast::tcp_stream*> open;
  bool stopped = false;

  http::response<http::string_body> answer(const http::request<http::string_body>& req) {
    reply out;
    const std::string_view target = req.target();
    const auto path = target.substr(0, target.find('?'));
    const auto route = table.find(path);
    if (route == table.end()) {
      out = {404, "text/plain; charset=utf-8", "not found; try /metrics or /healthz\n"};
    } else if (req.method() != http::verb::get && req.method() != http::verb::head) {
      out = {405, "text/plain; charset=utf-8", "only GET\n"};
    } else {
      out = route->second();
    }
    http::response<http::string_body> res{static_cast<http::status>(out.status), req.version()};
    res.set(http::field::content_type, out.content_type);
    res.set(http::field::cache_control, "no-store");
    if (out.status == 405) {
      res.set(http::field::allow, "GET, HEAD");
    }
    res.keep_alive(req.keep_alive());
    res.body() = req.method() == http::verb::head ? std::string() : std::move(out.body);
    res.prepare_payload();
    return res;
  }

  asio::awaitable<void> serve(tcp::socket socket) {
    auto self = shared_from_this();
    beast::tcp_stream stream(std::move(socket));
    open.insert(&stream);
    beast::flat_buffer buffer;
    try {
      for (;;) {
        http::request<http::string_body> req;
        stream.expires_after(io_deadline);
        co_await http::async_read(stream, buffer, req, asio::use_awaitable);
        auto res = answer(req);
        const bool keep = res.keep_alive();
        stream.expires_after(io_deadline);
        co_await http::async_write(stream, res, asio::use_awaitable);
        if (!keep) {
          break;
        }
      }
    } catch (const std::exception&) {
      // A client that went away, timed out or sent garbage: nothing to report.
    }
    open.erase(&stream);
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  }

  asio::awaitable<void> accept_loop() {
    auto self = shared_from_this();
    while (!stopped) {
      auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
      if (ec) {
        if (stopped || ec == asio::error::operation_aborted) {
          break;
        }
        continue;  // e.g. EMFILE: keep serving the connections we have
      }
      asio::co_spawn(acceptor.get_executor(), serve(std::move(socket)), asio::detached);
    }
  }
};

http_api::http_api(asio::any_io_executor ex, const config::host_port& where, routes r)
    : impl_(std::make_shared<impl>(std::move(ex), std::move(r))) {
  beast::error_code ec;
  const auto address = asio::ip::make_address(where.host, ec);
  if (ec) {
    throw std::system_error(ec, "http_api.listen " + where.host + ": not an IP address");
  }
  const tcp::endpoint ep(address, where.port);
  auto& a = impl_->acceptor;
  a.open(ep.protocol());
  a.set_option(tcp::acceptor::reuse_address(true));
  a.bind(ep, ec);
  if (ec) {
    throw std::system_error(
        ec, "http_api.listen " + where.host + ":" + std::to_string(where.port) + ": cannot bind");
  }
  a.listen();
}

http_api::~http_api() {
  stop();
}

void http_api::start() {
  asio::co_spawn(impl_->acceptor.get_executor(), impl_->accept_loop(), asio::detached);
}

void http_api::stop() {
  impl_->stopped = true;
  beast::error_code ignored;
  impl_->acceptor.close(ignored);
  for (auto* s : impl_->open) {
    s->cancel();
  }
}

std::uint16_t http_api::port() const {
  return impl_->acceptor.local_endpoint().port();
}

}  // namespace qsanfwd::ops
