#include "agent/net/http_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/rfc7230.hpp>
#include <boost/beast/http/write.hpp>
#include <list>
#include <system_error>
#include <utility>

#include "agent/core/logging.hpp"
#include "agent/net/read_with_room.hpp"

namespace qsanfwd::net {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using clock = std::chrono::steady_clock;

namespace {

constexpr auto as_result = asio::as_tuple(asio::use_awaitable);
constexpr auto first_accept_pause = std::chrono::milliseconds(100);
constexpr auto last_accept_pause = std::chrono::milliseconds(1000);

/// Whether accept failed for want of a resource (descriptors, kernel memory): the pending
/// connection stays queued, so accepting again at once fails again at once.
bool out_of_resources(const boost::system::error_code& ec) {
  return ec == asio::error::no_descriptors || ec.value() == ENFILE ||
         ec == asio::error::no_buffer_space || ec == asio::error::no_memory;
}

bool says_close(const http_response& res) {
  return http::token_list(res[http::field::connection]).exists("close");
}

}  // namespace

server_stream::server_stream(beast::tcp_stream& tcp_layer,
                             beast::ssl_stream<beast::tcp_stream>* tls,
                             clock::duration write_timeout, std::uint64_t id)
    : tcp_(tcp_layer),
      tls_(tls),
      timer_(tcp_layer.get_executor()),
      write_timeout_(write_timeout),
      id_(id) {}

asio::awaitable<boost::system::error_code> server_stream::write(asio::const_buffer data) {
  if (closed_) {
    co_return asio::error::operation_aborted;
  }
  tcp_.expires_after(write_timeout_);
  const auto [ec, n] = tls_ ? co_await asio::async_write(*tls_, data, as_result)
                            : co_await asio::async_write(tcp_, data, as_result);
  co_return ec;
}

asio::awaitable<bool> server_stream::wait(clock::duration d) {
  if (closed_) {
    co_return false;
  }
  timer_.expires_after(d);
  const auto [ec] = co_await timer_.async_wait(as_result);
  co_return !ec && !closed_;
}

void server_stream::reset() {
  // SO_LINGER with a zero timeout makes close() send RST instead of FIN.
  boost::system::error_code ec;
  tcp_.socket().set_option(tcp::socket::linger(true, 0), ec);
  close();
}

void server_stream::close() {
  closed_ = true;
  timer_.cancel();
  tcp_.close();
}

struct http_server::impl : std::enable_shared_from_this<impl> {
  /// One open connection; `idle` while it waits for (the rest of) a request.
  struct connection {
    server_stream* stream;
    bool idle = true;
    clock::time_point idle_since = clock::now();
  };

  impl(asio::any_io_executor ex, http_server_options o, http_handler h)
      : opts(std::move(o)),
        handler(std::move(h)),
        acceptor(ex),
        pause(ex),
        log(get_logger(opts.name)) {}

  const http_server_options opts;
  http_handler handler;
  std::optional<asio::ssl::context> ssl;
  /// A connection's place in `open`, however its session ends (a destroyed io_context too).
  struct tracked {
    tracked(std::list<connection>& l, server_stream* s)
        : list(l), it(l.insert(l.end(), connection{s})) {}
    ~tracked() { list.erase(it); }
    tracked(const tracked&) = delete;
    tracked& operator=(const tracked&) = delete;
    std::list<connection>& list;
    std::list<connection>::iterator it;
  };

  tcp::acceptor acceptor;
  asio::steady_timer pause;  ///< between accepts that failed for want of descriptors
  std::shared_ptr<spdlog::logger> log;
  std::list<connection> open;
  std::uint64_t accepted = 0;  ///< connections so far, for server_stream::id()
  bool stopped = false;
  bool starved = false;  ///< accept is failing for want of resources (said once)

  void bind() {
    const auto where = opts.name + " " + opts.host;
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(opts.host, ec);
    if (ec) {
      throw std::system_error(ec, where + ": not an IP address");
    }
    const tcp::endpoint ep(address, opts.port);
    acceptor.open(ep.protocol());
    acceptor.set_option(tcp::acceptor::reuse_address(true));
    acceptor.bind(ep, ec);
    if (!ec) {
      acceptor.listen(asio::socket_base::max_listen_connections, ec);
    }
    if (ec) {
      throw std::system_error(ec, where + ":" + std::to_string(opts.port) + ": cannot bind");
    }
  }

  void load_tls() {
    if (opts.cert_file.empty() && opts.key_file.empty()) {
      return;
    }
    ssl.emplace(asio::ssl::context::tls_server);
    ssl->use_certificate_chain_file(opts.cert_file);
    ssl->use_private_key_file(opts.key_file, asio::ssl::context::pem);
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
    oldest->stream->close();
    oldest->idle = false;  // on its way out: not to be chosen twice
    return true;
  }

  void close_all() {
    stopped = true;
    boost::system::error_code ignored;
    acceptor.close(ignored);
    pause.cancel();
    for (auto& c : open) {
      c.stream->close();
    }
  }

  /// The handler's answer, with the framing the server owns.
  asio::awaitable<handler_result> answer(http_request& req, server_stream& stream) {
    try {
      auto res = co_await handler(req, stream);
      if (res) {
        res->keep_alive(req.keep_alive() && !says_close(*res));
        res->prepare_payload();
      }
      co_return res;
    } catch (const std::exception& e) {
      log->warn("the answer to {} failed: {}", std::string(req.target()), e.what());
    }
    co_return std::nullopt;
  }

  /// Requests until one ends the connection; true when it ended cleanly (Connection: close),
  /// so that a goodbye is due.
  template <class Stream>
  asio::awaitable<bool> serve(Stream& s, server_stream& stream, connection& c) {
    beast::flat_buffer buffer;
    auto& tcp_layer = beast::get_lowest_layer(s);
    while (!stopped) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(opts.body_limit);
      c.idle = true;
      c.idle_since = clock::now();
      tcp_layer.expires_after(opts.read_timeout);
      const auto rec = co_await read_with_room(s, buffer, parser);
      c.idle = false;
      if (rec) {
        log->debug("connection closed: {}", rec.message());
        co_return false;
      }
      auto req = parser.release();
      auto res = co_await answer(req, stream);
      if (!res || stopped) {
        co_return false;
      }
      tcp_layer.expires_after(opts.write_timeout);
      const auto [wec, wn] = co_await http::async_write(s, *res, as_result);
      if (wec) {
        log->debug("connection closed: {}", wec.message());
        co_return false;
      }
      if (!res->keep_alive()) {
        co_return true;
      }
    }
    co_return false;
  }

  asio::awaitable<void> session_tls(tcp::socket socket, std::uint64_t id) {
    beast::ssl_stream<beast::tcp_stream> s(std::move(socket), *ssl);
    server_stream stream(s.next_layer(), &s, opts.write_timeout, id);
    const tracked c(open, &stream);
    s.next_layer().expires_after(opts.write_timeout);
    const auto [hec] = co_await s.async_handshake(asio::ssl::stream_base::server, as_result);
    if (!hec && !stopped && co_await serve(s, stream, *c.it)) {
      s.next_layer().expires_after(opts.write_timeout);
      co_await s.async_shutdown(as_result);
    }
  }

  asio::awaitable<void> session_tcp(tcp::socket socket, std::uint64_t id) {
    beast::tcp_stream s(std::move(socket));
    server_stream stream(s, nullptr, opts.write_timeout, id);
    const tracked c(open, &stream);
    if (co_await serve(s, stream, *c.it)) {
      boost::system::error_code ignored;
      s.socket().shutdown(tcp::socket::shutdown_send, ignored);
    }
  }

  /// The first parameter, copied into the frame, keeps the server alive as long as the session.
  asio::awaitable<void> session(std::shared_ptr<impl> /*unused*/, tcp::socket socket,
                                std::uint64_t id) {
    if (stopped) {
      co_return;  // accepted just before stop(), which could not see it to close it
    }
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    if (ssl) {
      co_await session_tls(std::move(socket), id);
    } else {
      co_await session_tcp(std::move(socket), id);
    }
  }

  /// Accept failed for want of descriptors: free one if an idle client holds it, and wait
  /// before trying again (accepting again at once took 94% of a CPU).
  asio::awaitable<void> back_off(const boost::system::error_code& ec, clock::duration& wait) {
    if (!std::exchange(starved, true)) {
      log->warn("cannot accept connections: {}; closing idle ones and retrying within {} ms",
                ec.message(), last_accept_pause.count());
    }
    close_longest_idle();
    pause.expires_after(wait);
    co_await pause.async_wait(as_result);
    wait = std::min<clock::duration>(wait * 2, last_accept_pause);
  }

  asio::awaitable<void> accept_loop(std::shared_ptr<impl> self) {
    clock::duration wait = first_accept_pause;
    while (!stopped) {
      auto [ec, socket] = co_await acceptor.async_accept(as_result);
      if (stopped || ec == asio::error::operation_aborted) {
        break;
      }
      if (ec && out_of_resources(ec)) {
        co_await back_off(ec, wait);
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
      if (opts.max_connections > 0 && open.size() >= opts.max_connections &&
          !close_longest_idle()) {
        boost::system::error_code ignored;
        socket.close(ignored);
        continue;
      }
      asio::co_spawn(acceptor.get_executor(), session(self, std::move(socket), ++accepted),
                     asio::detached);
    }
  }
};

http_server::http_server(asio::any_io_executor ex, http_server_options o, http_handler h)
    : impl_(std::make_shared<impl>(std::move(ex), std::move(o), std::move(h))) {
  impl_->bind();
  impl_->load_tls();
}

http_server::~http_server() {
  stop();
}

void http_server::start() {
  asio::co_spawn(impl_->acceptor.get_executor(), impl_->accept_loop(impl_), asio::detached);
}

void http_server::stop() {
  asio::dispatch(impl_->acceptor.get_executor(), [self = impl_] { self->close_all(); });
}

std::uint16_t http_server::port() const {
  return impl_->acceptor.local_endpoint().port();
}

bool http_server::tls() const {
  return impl_->ssl.has_value();
}

}  // namespace qsanfwd::net
