#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <tuple>

#include "sim/simulator_impl.hpp"

// Connections: accept, a session per connection (TLS when configured), reading requests and
// writing what the routes answer, or failing as the answer's fault asks.

namespace qsanfwd::sim {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t max_request_body = 64U * 1024U * 1024U;

void reset_connection(tcp::socket& socket) {
  // SO_LINGER with a zero timeout makes close() send RST instead of FIN.
  boost::system::error_code ec;
  socket.set_option(tcp::socket::linger(true, 0), ec);
  socket.close(ec);
}

}  // namespace

std::optional<std::uint64_t> simulator::impl::track(beast::tcp_stream& stream,
                                                    asio::steady_timer& delay) {
  std::lock_guard lock(mu);
  if (stopped) {
    return std::nullopt;
  }
  connections.emplace(next_connection, connection{&stream, &delay});
  return next_connection++;
}

void simulator::impl::untrack(std::uint64_t id) {
  std::lock_guard lock(mu);
  connections.erase(id);
}

void simulator::impl::close_all() {
  std::vector<connection> open;
  {
    std::lock_guard lock(mu);
    for (const auto& [id, c] : connections) {
      open.push_back(c);
    }
  }
  boost::system::error_code ec;
  acceptor.close(ec);
  live_timer.cancel();
  for (const auto& c : open) {
    c.delay->cancel();
    c.tcp->close();
  }
}

namespace {

using impl_ptr = std::shared_ptr<simulator::impl>;

/// Sends the endless chunked answer until a write fails: the client went, or stop() closed the
/// socket. The same chunk goes out again and again, so this costs the simulator little.
template <class Stream>
asio::awaitable<void> send_endless(impl_ptr self, Stream& stream) {
  const auto head = endless_head(http_date(self->now()));
  const auto chunk = endless_chunk(self->now(), 64U * 1024U);
  auto& tcp = beast::get_lowest_layer(stream);
  tcp.expires_after(std::chrono::seconds(30));
  auto [ec, n] = co_await asio::async_write(stream, asio::buffer(head), use_tuple);
  while (!ec) {
    tcp.expires_after(std::chrono::seconds(30));
    std::tie(ec, n) = co_await asio::async_write(stream, asio::buffer(chunk), use_tuple);
  }
}

template <class Stream>
asio::awaitable<bool> serve_requests(impl_ptr self, Stream& stream, asio::steady_timer& delay) {
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(max_request_body);
    beast::get_lowest_layer(stream).expires_after(std::chrono::minutes(5));
    const auto [rec, rn] = co_await http::async_read(stream, buffer, parser, use_tuple);
    if (rec) {
      co_return false;
    }
    const auto req = parser.release();
    auto r = self->handle(req);
    if (r.injected == fault::reset) {
      reset_connection(beast::get_lowest_layer(stream).socket());
      co_return false;
    }
    if (r.injected == fault::delay) {
      delay.expires_after(r.delay);
      const auto [dec] = co_await delay.async_wait(use_tuple);
      if (dec) {
        co_return false;
      }
    }
    if (r.endless) {
      co_await send_endless(self, stream);
      co_return false;
    }
    http::response<http::string_body> res{r.status, req.version()};
    res.set(http::field::server, "qsan-sim");
    res.set(http::field::date, http_date(self->now()));
    res.set(http::field::content_type, "application/json");
    res.keep_alive(req.keep_alive());
    res.body() = std::move(r.body);
    res.prepare_payload();
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(30));
    const auto [wec, wn] = co_await http::async_write(stream, res, use_tuple);
    if (wec) {
      co_return false;
    }
    if (!res.keep_alive()) {
      co_return true;
    }
  }
}

struct tracked {
  impl_ptr self;
  std::uint64_t id;
  ~tracked() { self->untrack(id); }
};

asio::awaitable<void> session(impl_ptr self, tcp::socket socket) {
  boost::system::error_code ec;
  socket.set_option(tcp::no_delay(true), ec);
  asio::steady_timer delay(socket.get_executor());
  if (self->ssl) {
    beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), *self->ssl);
    const auto id = self->track(stream.next_layer(), delay);
    if (!id) {
      co_return;
    }
    const tracked guard{self, *id};
    stream.next_layer().expires_after(std::chrono::seconds(30));
    const auto [hec] = co_await stream.async_handshake(asio::ssl::stream_base::server, use_tuple);
    if (hec) {
      co_return;
    }
    if (co_await serve_requests(self, stream, delay)) {
      stream.next_layer().expires_after(std::chrono::seconds(5));
      co_await stream.async_shutdown(use_tuple);
    }
  } else {
    beast::tcp_stream stream(std::move(socket));
    const auto id = self->track(stream, delay);
    if (!id) {
      co_return;
    }
    const tracked guard{self, *id};
    if (co_await serve_requests(self, stream, delay)) {
      stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    }
  }
}

asio::awaitable<void> accept_loop(impl_ptr self) {
  for (;;) {
    auto [ec, socket] = co_await self->acceptor.async_accept(use_tuple);
    if (ec) {
      if (!self->acceptor.is_open()) {
        co_return;
      }
      // Out of descriptors or similar: wait a little rather than spin.
      asio::steady_timer pause(self->acceptor.get_executor(), std::chrono::milliseconds(50));
      co_await pause.async_wait(use_tuple);
      continue;
    }
    asio::co_spawn(self->acceptor.get_executor(), session(self, std::move(socket)), asio::detached);
  }
}

}  // namespace

void start_server(const std::shared_ptr<simulator::impl>& self) {
  auto& s = *self;
  if (!s.opts.cert_file.empty()) {
    s.ssl.emplace(asio::ssl::context::tls_server);
    s.ssl->use_certificate_chain_file(s.opts.cert_file);
    s.ssl->use_private_key_file(s.opts.key_file, asio::ssl::context::pem);
  }
  const tcp::endpoint ep(asio::ip::make_address(s.opts.listen_address), s.opts.port);
  s.acceptor.open(ep.protocol());
  s.acceptor.set_option(tcp::acceptor::reuse_address(true));
  s.acceptor.bind(ep);
  s.acceptor.listen(asio::socket_base::max_listen_connections);
  {
    std::lock_guard lock(s.mu);
    s.port = s.acceptor.local_endpoint().port();
  }
  asio::co_spawn(s.io_, accept_loop(self), asio::detached);
}

}  // namespace qsanfwd::sim
