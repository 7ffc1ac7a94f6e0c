#include "agent/ops/http_api.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <list>
#include <system_error>

#include "agent/core/logging.hpp"

namespace qsanfwd::ops {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

using clock = std::chrono::steady_clock;

constexpr auto io_deadline = std::chrono::seconds(30);
constexpr auto first_accept_pause = std::chrono::milliseconds(100);
constexpr auto last_accept_pause = std::chrono::milliseconds(1000);

/// Whether accept failed for want of a resource (descriptors, kernel memory): the pending
/// connection stays queued, so accepting again at once fails again at once.
bool out_of_resources(const boost::system::error_code& ec) {
  return ec == asio::error::no_descriptors || ec.value() == ENFILE ||
         ec == asio::error::no_buffer_space || ec == asio::error::no_memory;
}

}  // namespace

struct http_api::impl : std::enable_shared_from_this<impl> {
  impl(asio::any_io_executor ex, routes r)
      : acceptor(ex), pause(ex), table(std::move(r)), log(get_logger("http_api")) {}

  /// One open connection; `idle` while it waits for (the rest of) a request.
  struct connection {
    beast::tcp_stream* stream;
    bool idle = true;
    clock::time_point idle_since = clock::now();
  };

  tcp::acceptor acceptor;
  asio::steady_timer pause;  ///< between accepts that failed for want of descriptors
  routes table;
  std::shared_ptr<spdlog::logger> log;
  std::list<connection> open;
  bool stopped = false;
  bool starved = false;  ///< accept is failing for want of resources (said once)

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

  /// Closes the connection that has waited longest for a request, to make room for a new one;
  /// false when every connection is busy answering.
  bool close_longest_idle() {
    auto oldest = open.end();
    for (auto it = open.begin(); it != open.end(); ++it) {
      if (it->idle && (oldest == open.end() || it->idle_since < oldest->idle_since)) {
        oldest = it;
      }
    }
    if (oldest == open.end()) {
      return false;
    }
    oldest->stream->cancel();
    oldest->idle = false;  // on its way out: not to be chosen twice
    return true;
  }

  asio::awaitable<void> serve(tcp::socket socket) {
    auto self = shared_from_this();
    beast::tcp_stream stream(std::move(socket));
    const auto self_in_open = open.insert(open.end(), connection{&stream});
    beast::flat_buffer buffer;
    try {
      for (;;) {
        http::request<http::string_body> req;
        stream.expires_after(io_deadline);
        self_in_open->idle = true;
        self_in_open->idle_since = clock::now();
        co_await http::async_read(stream, buffer, req, asio::use_awaitable);
        self_in_open->idle = false;
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
    open.erase(self_in_open);
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  }

  asio::awaitable<void> accept_loop() {
    auto self = shared_from_this();
    auto wait = first_accept_pause;
    while (!stopped) {
      auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
      if (stopped || ec == asio::error::operation_aborted) {
        break;
      }
      if (ec && out_of_resources(ec)) {
        // Accepting again at once fails again at once: that loop took 94% of a CPU. Free a
        // descriptor if an idle client holds one, and wait before trying again.
        if (!std::exchange(starved, true)) {
          log->warn("cannot accept connections: {}; closing idle ones and retrying within {} ms",
                    ec.message(), last_accept_pause.count());
        }
        close_longest_idle();
        pause.expires_after(wait);
        co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
        wait = std::min(wait * 2, last_accept_pause);
        continue;
      }
      if (ec) {
        continue;  // the client gave up before we accepted it
      }
      wait = first_accept_pause;
      if (std::exchange(starved, false)) {
        log->info("accepting connections again");
      }
      // A scraper or a health check must get through however many idle clients there are.
      if (open.size() >= max_connections && !close_longest_idle()) {
        beast::error_code ignored;
        socket.close(ignored);
        continue;
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
  impl_->pause.cancel();
  for (auto& c : impl_->open) {
    c.stream->cancel();
  }
}

std::uint16_t http_api::port() const {
  return impl_->acceptor.local_endpoint().port();
}

}  // namespace qsanfwd::ops
