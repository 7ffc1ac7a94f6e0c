#include "tests/support/http_proxy.hpp"

#include <openssl/evp.h>

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <mutex>
#include <optional>
#include <thread>

namespace qsanfwd::test {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

/// Copies what `from` sends to `to` until either side ends, then ends `to`'s sending half.
asio::awaitable<void> pump(std::shared_ptr<tcp::socket> from, std::shared_ptr<tcp::socket> to) {
  std::array<char, 16 * 1024> data{};
  for (;;) {
    auto [rec, n] = co_await from->async_read_some(asio::buffer(data), use_tuple);
    if (rec) {
      break;
    }
    auto [wec, written] = co_await asio::async_write(*to, asio::buffer(data.data(), n), use_tuple);
    if (wec) {
      break;
    }
  }
  boost::system::error_code ignored;
  to->shutdown(tcp::socket::shutdown_send, ignored);
}

/// "host:port" split; the port as text.
std::pair<std::string, std::string> split_host_port(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    return {std::string(text), "80"};
  }
  return {std::string(text.substr(0, colon)), std::string(text.substr(colon + 1))};
}

asio::awaitable<std::optional<tcp::socket>> dial(const std::string& host, const std::string& port) {
  auto ex = co_await asio::this_coro::executor;
  tcp::resolver resolver(ex);
  auto [rec, results] = co_await resolver.async_resolve(host, port, use_tuple);
  if (rec) {
    co_return std::nullopt;
  }
  tcp::socket upstream(ex);
  auto [cec, connected] = co_await asio::async_connect(upstream, results, use_tuple);
  if (cec) {
    co_return std::nullopt;
  }
  co_return std::move(upstream);
}

}  // namespace

struct http_proxy::impl {
  asio::io_context io;
  tcp::acceptor acceptor{io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};
  proxy_behaviour behaviour;
  mutable std::mutex mutex;
  std::vector<std::string> requests;
  std::vector<std::string> authorizations;
  int connections = 0;
  std::thread thread;

  asio::awaitable<void> accept() {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
      if (ec) {
        co_return;
      }
      {
        std::lock_guard lock(mutex);
        ++connections;
      }
      asio::co_spawn(io, serve(std::make_shared<tcp::socket>(std::move(socket))), asio::detached);
    }
  }

  /// The status to refuse `req` with, or 0 to serve it.
  int refusal(const http::request<http::string_body>& req) {
    std::lock_guard lock(mutex);
    const auto auth = std::string(req[http::field::proxy_authorization]);
    requests.push_back(std::string(req.method_string()) + " " + std::string(req.target()));
    authorizations.push_back(auth);
    if (behaviour.refuse_status != 0) {
      return behaviour.refuse_status;
    }
    return !behaviour.required_authorization.empty() && auth != behaviour.required_authorization
               ? 407
               : 0;
  }

  static asio::awaitable<void> answer(tcp::socket& client, int status) {
    http::response<http::string_body> res{static_cast<http::status>(status), 11};
    if (status == 407) {
      res.set(http::field::proxy_authenticate, "Basic realm=\"test\"");
    }
    res.body() = "refused by the test proxy";
    res.keep_alive(false);
    res.prepare_payload();
    co_await http::async_write(client, res, use_tuple);
  }

  asio::awaitable<void> serve(std::shared_ptr<tcp::socket> client) {
    beast::flat_buffer buffer;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(1U << 30U);
      auto [ec, n] = co_await http::async_read(*client, buffer, parser, use_tuple);
      if (ec) {
        co_return;
      }
      auto req = parser.release();
      if (const int status = refusal(req); status != 0) {
        co_await answer(*client, status);
        co_return;
      }
      if (req.method() == http::verb::connect) {
        co_await tunnel(client, std::string(req.target()), buffer);
        co_return;
      }
      if (!co_await forward(*client, std::move(req))) {
        co_return;
      }
    }
  }

  asio::awaitable<void> tunnel(std::shared_ptr<tcp::socket> client, const std::string& target,
                               beast::flat_buffer& early) {
    const auto [host, port] = split_host_port(target);
    auto upstream = co_await dial(host, port);
    if (!upstream) {
      co_await answer(*client, 502);
      co_return;
    }
    auto up = std::make_shared<tcp::socket>(std::move(*upstream));
    constexpr std::string_view established = "HTTP/1.1 200 Connection established\r\n\r\n";
    co_await asio::async_write(*client, asio::buffer(established), use_tuple);
    if (early.size() > 0) {
      co_await asio::async_write(*up, early.data(), use_tuple);
    }
    asio::co_spawn(io, pump(up, client), asio::detached);
    co_await pump(client, up);
  }

  /// Sends an absolute-form request on to its server in origin form and its answer back.
  asio::awaitable<bool> forward(tcp::socket& client, http::request<http::string_body> req) {
    const std::string target(req.target());
    constexpr std::string_view scheme = "http://";
    if (!target.starts_with(scheme)) {
      co_await answer(client, 400);
      co_return false;
    }
    const auto slash = target.find('/', scheme.size());
    const auto authority = target.substr(scheme.size(), slash - scheme.size());
    const auto [host, port] = split_host_port(authority);
    auto upstream = co_await dial(host, port);
    if (!upstream) {
      co_await answer(client, 502);
      co_return false;
    }
    req.target(slash == std::string::npos ? "/" : target.substr(slash));
    req.erase(http::field::proxy_authorization);
    req.keep_alive(false);
    auto [wec, written] = co_await http::async_write(*upstream, req, use_tuple);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(1U << 30U);
    auto [rec, read] = co_await http::async_read(*upstream, buffer, parser, use_tuple);
    if (wec || rec) {
      co_await answer(client, 502);
      co_return false;
    }
    auto res = parser.release();
    res.keep_alive(true);
    auto [cec, sent] = co_await http::async_write(client, res, use_tuple);
    co_return !cec;
  }
};

http_proxy::http_proxy(proxy_behaviour behaviour) : impl_(std::make_unique<impl>()) {
  impl_->behaviour = std::move(behaviour);
  asio::co_spawn(impl_->io, impl_->accept(), asio::detached);
  impl_->thread = std::thread([this] { impl_->io.run(); });
}

http_proxy::~http_proxy() {
  impl_->io.stop();
  impl_->thread.join();
}

std::uint16_t http_proxy::port() const {
  return impl_->acceptor.local_endpoint().port();
}

std::string http_proxy::url(const std::string& userinfo) const {
  return "http://" + (userinfo.empty() ? "" : userinfo + "@") +
         "127.0.0.1:" + std::to_string(port());
}

std::vector<std::string> http_proxy::requests() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->requests;
}

std::vector<std::string> http_proxy::authorizations() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->authorizations;
}

int http_proxy::connections() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->connections;
}

std::string basic_credentials(const std::string& user, const std::string& password) {
  const std::string plain = user + ":" + password;
  std::string out(4 * ((plain.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(plain.data()),
                                static_cast<int>(plain.size()));
  out.resize(static_cast<std::size_t>(n));
  return "Basic " + out;
}

}  // namespace qsanfwd::test
