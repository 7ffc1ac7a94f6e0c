#include "agent/net/http_server.hpp"

#include <gtest/gtest.h>

#include <array>
#include <boost/asio/buffer.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <future>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

namespace qsanfwd::net {
namespace {
namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

asio::awaitable<handler_result> echo(http_request& req) {
  http_response res{http::status::ok, req.version()};
  res.body() = std::string(req.target()) + " " + req.body();
  co_return res;
}

/// A server on 127.0.0.1 on an io thread of its own, as its users run it.
struct running_server {
  running_server(http_server_options o, http_handler h)
      : server(io.get_executor(), std::move(o), std::move(h)) {
    server.start();
    thread = std::thread([this] { io.run(); });
  }
  // Stopped on its thread, then run until every session has ended: a stopped server leaves
  // nothing behind.
  ~running_server() {
    asio::post(io, [this] { server.stop(); });
    guard.reset();
    thread.join();
  }
  asio::io_context io;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard{
      io.get_executor()};
  http_server server;
  std::thread thread;
};

struct client {
  explicit client(std::uint16_t port) : socket(io) {
    socket.connect({asio::ip::make_address("127.0.0.1"), port});
  }
  void send(const std::string& target, const std::string& body, bool close = false) {
    http::request<http::string_body> req{http::verb::post, target, 11};
    req.set(http::field::host, "127.0.0.1");
    req.keep_alive(!close);
    req.body() = body;
    req.prepare_payload();
    http::write(socket, req);
  }
  /// The answer, or nullopt when the server closed instead.
  std::optional<http::response<http::string_body>> receive() {
    http::response<http::string_body> res;
    boost::system::error_code ec;
    http::read(socket, buffer, res, ec);
    if (ec) {
      return std::nullopt;
    }
    return res;
  }
  /// Everything up to the server's close.
  std::string rest() {
    std::string out(static_cast<const char*>(buffer.data().data()), buffer.size());
    boost::system::error_code ec;
    std::array<char, 4096> chunk{};
    while (const auto n = socket.read_some(asio::buffer(chunk), ec)) {
      out.append(chunk.data(), n);
    }
    return out;
  }
  asio::io_context io;
  tcp::socket socket;
  boost::beast::flat_buffer buffer;
};

http_handler echo_handler() {
  return [](http_request& req, server_stream&) { return echo(req); };
}

TEST(http_server, answers_many_requests_on_one_keep_alive_connection_until_close) {
  running_server s({}, echo_handler());
  client c(s.server.port());
  for (int i = 0; i < 3; ++i) {
    c.send("/a", std::to_string(i));
    const auto res = c.receive();
    ASSERT_TRUE(res);
    EXPECT_EQ(res->body(), "/a " + std::to_string(i));
    EXPECT_EQ((*res)[http::field::content_length], std::to_string(res->body().size()));
    EXPECT_TRUE(res->keep_alive());
  }
  c.send("/b", "last", true);
  const auto last = c.receive();
  ASSERT_TRUE(last);
  EXPECT_FALSE(last->keep_alive());
  EXPECT_EQ(c.rest(), "");  // and then the server closes
}

TEST(http_server, a_response_saying_close_ends_the_connection) {
  running_server s({}, [](http_request& req, server_stream&) -> asio::awaitable<handler_result> {
    http_response res{http::status::ok, req.version()};
    res.keep_alive(false);
    co_return res;
  });
  client c(s.server.port());
  c.send("/", "");
  ASSERT_TRUE(c.receive());
  EXPECT_EQ(c.rest(), "");
}

TEST(http_server, a_body_over_the_limit_closes_the_connection_unanswered) {
  http_server_options o;
  o.body_limit = 10;
  running_server s(o, echo_handler());
  client c(s.server.port());
  c.send("/", std::string(11, 'x'));
  EXPECT_FALSE(c.receive());
}

TEST(http_server, a_handler_may_take_the_stream_over) {
  running_server s({}, [](http_request&, server_stream& stream) -> asio::awaitable<handler_result> {
    const std::string raw = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nhalf";
    co_await stream.write(asio::buffer(raw));
    co_return std::nullopt;
  });
  client c(s.server.port());
  c.send("/", "");
  EXPECT_EQ(c.rest(), "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nhalf");
}

TEST(http_server, a_handler_that_throws_closes_only_its_connection) {
  running_server s({}, [](http_request& req, server_stream&) -> asio::awaitable<handler_result> {
    if (req.target() == "/throw") {
      throw std::runtime_error("handler failed");
    }
    co_return co_await echo(req);
  });
  client bad(s.server.port());
  bad.send("/throw", "");
  EXPECT_FALSE(bad.receive());
  client good(s.server.port());
  good.send("/fine", "");
  ASSERT_TRUE(good.receive());
}

TEST(http_server, an_idle_connection_is_closed_at_the_read_deadline) {
  http_server_options o;
  o.read_timeout = std::chrono::milliseconds(200);
  running_server s(o, echo_handler());
  client c(s.server.port());
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(c.rest(), "");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(http_server, stop_ends_a_handler_that_waits) {
  std::promise<void> entered;
  std::promise<bool> waited;
  auto s = std::make_unique<running_server>(
      http_server_options{},
      [&](http_request&, server_stream& stream) -> asio::awaitable<handler_result> {
        entered.set_value();
        waited.set_value(co_await stream.wait(std::chrono::hours(1)));
        co_return std::nullopt;
      });
  client c(s->server.port());
  c.send("/", "");
  ASSERT_EQ(entered.get_future().wait_for(std::chrono::seconds(5)), std::future_status::ready);
  auto result = waited.get_future();
  s.reset();
  ASSERT_EQ(result.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_FALSE(result.get());
  EXPECT_EQ(c.rest(), "");
}

TEST(http_server, names_the_address_it_cannot_bind) {
  asio::io_context io;
  http_server first(io.get_executor(), {}, echo_handler());
  http_server_options o;
  o.name = "test.listen";
  o.port = first.port();
  try {
    http_server second(io.get_executor(), o, echo_handler());
    FAIL() << "bound the same port twice";
  } catch (const std::system_error& e) {
    EXPECT_NE(std::string(e.what()).find("test.listen 127.0.0.1:" + std::to_string(first.port())),
              std::string::npos)
        << e.what();
  }
  o.host = "localhost";
  o.port = 0;
  EXPECT_THROW(http_server(io.get_executor(), o, echo_handler()), std::system_error);
}

}  // namespace
}  // namespace qsanfwd::net
