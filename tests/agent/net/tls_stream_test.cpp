#include "agent/net/tls_stream.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http.hpp>
#include <functional>
#include <optional>
#include <string>
#include <thread>

#include "agent/net/http_connection.hpp"
#include "agent/net/http_server.hpp"
#include "agent/net/read_with_room.hpp"
#include "agent/net/tls.hpp"
#include "tests/support/run_coroutine.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/tls_cert.hpp"

namespace qsanfwd::net {
namespace {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

constexpr auto as_tuple = asio::as_tuple(asio::use_awaitable);

/// The test's certificate (127.0.0.1, localhost) and a client context that trusts it.
struct tls_setup {
  test::temp_dir dir;
  test::tls_cert cert = test::make_tls_cert(dir.path());
  std::shared_ptr<asio::ssl::context> client = [this] {
    tls_options o;
    o.ca_file = cert.cert_file.string();
    return client_tls_context(o);
  }();
};

/// The HTTPS server of the simulator and the receivers, on an io thread of its own.
struct https_server {
  https_server(const tls_setup& tls, http_handler h) : server(io.get_executor(), options(tls), h) {
    server.start();
    thread = std::thread([this] { io.run(); });
  }
  ~https_server() {
    asio::post(io, [this] { server.stop(); });
    guard.reset();
    thread.join();
  }
  static http_server_options options(const tls_setup& tls) {
    http_server_options o;
    o.cert_file = tls.cert.cert_file.string();
    o.key_file = tls.cert.key_file.string();
    o.body_limit = 16U << 20U;
    return o;
  }
  asio::io_context io;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard{
      io.get_executor()};
  http_server server;
  std::thread thread;
};

/// A peer on 127.0.0.1 that does what its script says with the accepted socket, on a thread
/// of its own, blocking.
struct scripted_peer {
  explicit scripted_peer(std::function<void(tcp::socket&)> script)
      : acceptor(io, {asio::ip::make_address("127.0.0.1"), 0}) {
    thread = std::thread([this, script = std::move(script)] {
      tcp::socket socket(io);
      acceptor.accept(socket);
      script(socket);
    });
  }
  ~scripted_peer() { thread.join(); }
  std::uint16_t port() const { return acceptor.local_endpoint().port(); }
  asio::io_context io;
  tcp::acceptor acceptor;
  std::thread thread;
};

/// Reads until the client goes, so a script's peer outlives the client's test.
void drain(tcp::socket& socket) {
  std::array<char, 4096> chunk{};
  error_code ec;
  while (!ec) {
    socket.read_some(asio::buffer(chunk), ec);
  }
}

/// A TLS server's handshake on `socket`, blocking.
struct server_tls {
  server_tls(tcp::socket& socket, const tls_setup& tls) : ctx(context(tls)), stream(socket, ctx) {
    stream.handshake(asio::ssl::stream_base::server);
  }
  static asio::ssl::context context(const tls_setup& tls) {
    asio::ssl::context ctx(asio::ssl::context::tls_server);
    ctx.use_certificate_chain_file(tls.cert.cert_file.string());
    ctx.use_private_key_file(tls.cert.key_file.string(), asio::ssl::context::pem);
    return ctx;
  }
  asio::ssl::context ctx;
  asio::ssl::stream<tcp::socket&> stream;
};

struct client {
  asio::io_context io;
  std::optional<tls_stream> stream;

  /// Connects to 127.0.0.1:port and prepares TLS, checking the certificate's IP address.
  client(std::uint16_t port, asio::ssl::context& ctx) {
    beast::tcp_stream connected(io);
    connected.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    stream.emplace(std::move(connected), ctx);
    name_the_peer(stream->native_handle(), "127.0.0.1");
    stream->next_layer().expires_after(std::chrono::seconds(10));
  }

  error_code handshake() { return test::run(io, handshake_coroutine()); }
  asio::awaitable<error_code> handshake_coroutine() {
    auto [ec] = co_await stream->async_handshake(as_tuple);
    co_return ec;
  }

  /// Reads `n` bytes, or fails.
  std::pair<error_code, std::string> read(std::size_t n) {
    return test::run(io, read_coroutine(n));
  }
  asio::awaitable<std::pair<error_code, std::string>> read_coroutine(std::size_t n) {
    std::string got(n, '\0');
    auto [ec, size] = co_await asio::async_read(*stream, asio::buffer(got), as_tuple);
    got.resize(size);
    co_return std::pair{ec, got};
  }

  error_code write(std::string text) { return test::run(io, write_coroutine(std::move(text))); }
  asio::awaitable<error_code> write_coroutine(std::string text) {
    auto [ec, size] = co_await asio::async_write(*stream, asio::buffer(text), as_tuple);
    co_return ec;
  }

  /// One HTTP exchange on the connection.
  http::response<http::string_body> exchange(http::request<http::string_body> req) {
    return test::run(io, exchange_coroutine(std::move(req)));
  }
  asio::awaitable<http::response<http::string_body>> exchange_coroutine(
      http::request<http::string_body> req) {
    auto [wec, written] = co_await http::async_write(*stream, req, as_tuple);
    EXPECT_FALSE(wec) << wec.message();
    http::response_parser<http::string_body> parser;
    parser.body_limit(16U << 20U);
    const auto rec = co_await read_with_room(*stream, buffer, parser);
    EXPECT_FALSE(rec) << rec.message();
    co_return parser.release();
  }
  beast::flat_buffer buffer;
};

http::request<http::string_body> post(std::string body) {
  http::request<http::string_body> req{http::verb::post, "/echo", 11};
  req.set(http::field::host, "127.0.0.1");
  req.body() = std::move(body);
  req.prepare_payload();
  return req;
}

TEST(tls_stream, keep_alive_exchanges_hold_no_buffer_between_them) {
  tls_setup tls;
  std::atomic<std::uint64_t> last_connection{0};
  https_server server(tls,
                      [&](http_request& req, server_stream& s) -> asio::awaitable<handler_result> {
                        last_connection = s.id();
                        http_response res{http::status::ok, 11};
                        res.body() = "echo " + req.body();
                        co_return res;
                      });
  client c(server.server.port(), *tls.client);
  ASSERT_FALSE(c.handshake());
  EXPECT_LE(c.stream->held_bytes(), 1024U);  // at most the session tickets sent ahead
  for (int i = 0; i < 200; ++i) {
    const auto res = c.exchange(post("request " + std::to_string(i)));
    ASSERT_EQ(res.body(), "echo request " + std::to_string(i));
    ASSERT_EQ(c.stream->held_bytes(), 0U) << "after exchange " << i;
  }
  EXPECT_EQ(last_connection, 1U);  // one connection all along
}

TEST(tls_stream, megabytes_go_both_ways) {
  tls_setup tls;
  https_server server(tls,
                      [](http_request& req, server_stream&) -> asio::awaitable<handler_result> {
                        http_response res{http::status::ok, 11};
                        res.body() = std::string(req.body().rbegin(), req.body().rend());
                        co_return res;
                      });
  client c(server.server.port(), *tls.client);
  ASSERT_FALSE(c.handshake());
  std::string body(5U << 20U, '\0');
  for (std::size_t i = 0; i < body.size(); ++i) {
    body[i] = static_cast<char>('a' + (i * 7 + i / 4096) % 26);
  }
  for (int i = 0; i < 2; ++i) {
    const auto res = c.exchange(post(body));
    ASSERT_EQ(res.body().size(), body.size());
    EXPECT_TRUE(std::equal(body.rbegin(), body.rend(), res.body().begin()));
  }
  EXPECT_EQ(c.stream->held_bytes(), 0U);
}

TEST(tls_stream, a_key_update_from_the_peer_is_answered_while_reading) {
  tls_setup tls;
  scripted_peer peer([&](tcp::socket& socket) {
    server_tls s(socket, tls);
    ASSERT_EQ(SSL_key_update(s.stream.native_handle(), SSL_KEY_UPDATE_REQUESTED), 1);
    asio::write(s.stream, asio::buffer(std::string("hello")));
    std::string ping(4, '\0');
    asio::read(s.stream, asio::buffer(ping));  // takes the client's own key update first
    EXPECT_EQ(ping, "ping");
    asio::write(s.stream, asio::buffer(std::string("pong")));
    drain(socket);
  });
  client c(peer.port(), *tls.client);
  ASSERT_FALSE(c.handshake());
  EXPECT_EQ(c.read(5).second, "hello");
  ASSERT_FALSE(c.write("ping"));
  EXPECT_EQ(c.read(4).second, "pong");
  c.stream.reset();
}

TEST(tls_stream, a_peer_that_closes_mid_record_truncates_the_stream) {
  tls_setup tls;
  scripted_peer peer([&](tcp::socket& socket) {
    server_tls s(socket, tls);
    // An application data record that says 16,000 bytes follow, and 1,000 of them.
    std::string record = "\x17\x03\x03\x3e\x80" + std::string(1000, 'x');
    asio::write(socket, asio::buffer(record));
    socket.close();
  });
  client c(peer.port(), *tls.client);
  ASSERT_FALSE(c.handshake());
  const auto [ec, got] = c.read(10);
  EXPECT_EQ(ec, asio::ssl::error::stream_truncated) << ec.message();
  EXPECT_TRUE(got.empty());
}

TEST(tls_stream, garbage_instead_of_tls_fails_the_handshake_after_one_read) {
  tls_setup tls;
  scripted_peer peer([](tcp::socket& socket) {
    std::string garbage;
    while (garbage.size() < (1U << 20U)) {
      garbage += "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
    }
    error_code ec;
    asio::write(socket, asio::buffer(garbage), ec);  // till the client closes
    drain(socket);
  });
  client c(peer.port(), *tls.client);
  const auto ec = c.handshake();
  EXPECT_EQ(ec.category(), asio::error::get_ssl_category()) << ec.message();
  EXPECT_LE(c.stream->held_bytes(), 17U * 1024U);
  c.stream.reset();
}

TEST(tls_stream, a_stalled_peer_meets_the_deadline) {
  tls_setup tls;
  scripted_peer peer(drain);  // takes the hello, says nothing
  client c(peer.port(), *tls.client);
  c.stream->next_layer().expires_after(std::chrono::milliseconds(200));
  EXPECT_EQ(c.handshake(), beast::error::timeout);
  c.stream.reset();
}

// Through the array client's connection, as the arrays and the HTTP sinks use it: what each
// failure says.
struct connection_fixture {
  tls_setup tls;
  asio::io_context io;
  result<http_reply> get(std::uint16_t port, duration timeout) {
    http_connection conn(io.get_executor(), {"127.0.0.1", port, true, "", {}}, tls.client, timeout);
    return test::run(io, conn.request(http::verb::get, "/x", "", std::string()));
  }
};

TEST(tls_stream, the_connection_names_the_peer_of_a_failed_handshake) {
  connection_fixture f;
  scripted_peer peer([](tcp::socket& socket) {
    asio::write(socket, asio::buffer(std::string("SSH-2.0-OpenSSH_9.2\r\n")));
    drain(socket);
  });
  const auto r = f.get(peer.port(), std::chrono::seconds(10));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message.rfind(
                "TLS handshake with 127.0.0.1:" + std::to_string(peer.port()) + ": ", 0),
            0U)
      << r.error().message;
}

TEST(tls_stream, the_connection_times_out_on_a_peer_that_does_not_answer) {
  connection_fixture f;
  https_server server(f.tls,
                      [](http_request&, server_stream& s) -> asio::awaitable<handler_result> {
                        co_await s.wait(std::chrono::seconds(30));  // ended by the server's stop
                        co_return std::nullopt;
                      });
  const auto r = f.get(server.server.port(), std::chrono::milliseconds(300));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("request to 127.0.0.1:" + std::to_string(server.server.port()) +
                                   ": timed out after"),
            std::string::npos)
      << r.error().message;
}

}  // namespace
}  // namespace qsanfwd::net
