#include "agent/ops/http_api.hpp"

#include <gtest/gtest.h>
#include <poll.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <thread>

#include "tests/support/wait.hpp"

namespace qsanfwd::ops {
namespace {
namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

/// The API on its own io thread, as in the agent.
struct running_api {
  explicit running_api(routes r) : api(io.get_executor(), {"127.0.0.1", 0}, std::move(r)) {
    api.start();
    thread = std::thread([this] { io.run(); });
  }
  ~running_api() {
    asio::post(io, [this] { api.stop(); });
    guard.reset();
    thread.join();
  }
  asio::io_context io;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard{
      io.get_executor()};
  http_api api;
  std::thread thread;
};

http::response<http::string_body> fetch(tcp::socket& s, http::verb method, std::string target) {
  http::request<http::empty_body> req{method, target, 11};
  req.set(http::field::host, "127.0.0.1");
  http::write(s, req);
  boost::beast::flat_buffer buf;
  http::response_parser<http::string_body> parser;
  parser.skip(method == http::verb::head);
  http::read(s, buf, parser);
  return parser.release();
}

TEST(http_api, serves_routes_on_one_keep_alive_connection) {
  int healthy = 1;
  running_api api({{"/metrics",
                    [] {
                      return reply{200, "text/plain; version=0.0.4", "m 1\n"};
                    }},
                   {"/healthz", [&] {
                      return healthy ? reply{200, "application/json", "{\"ok\":true}"}
                                     : reply{503, "application/json", "{\"ok\":false}"};
                    }}});
  asio::io_context client;
  tcp::socket s(client);
  s.connect({asio::ip::make_address("127.0.0.1"), api.api.port()});
  auto metrics = fetch(s, http::verb::get, "/metrics?x=1");
  EXPECT_EQ(metrics.result_int(), 200);
  EXPECT_EQ(metrics.body(), "m 1\n");
  EXPECT_EQ(metrics[http::field::content_type], "text/plain; version=0.0.4");
  EXPECT_EQ(fetch(s, http::verb::get, "/healthz").result_int(), 200);
  healthy = 0;  // read on the io thread only after the request below is sent
  EXPECT_EQ(fetch(s, http::verb::get, "/healthz").body(), "{\"ok\":false}");
  EXPECT_EQ(fetch(s, http::verb::get, "/nope").result_int(), 404);
  auto post = fetch(s, http::verb::post, "/metrics");
  EXPECT_EQ(post.result_int(), 405);
  EXPECT_EQ(post[http::field::allow], "GET, HEAD");
  auto head = fetch(s, http::verb::head, "/metrics");
  EXPECT_EQ(head.result_int(), 200);
  EXPECT_TRUE(head.body().empty());
}

TEST(http_api, sends_a_routes_own_header_fields) {
  running_api api({{"/", [] {
                      reply r{200, "text/html; charset=utf-8", "<p>hi</p>"};
                      r.headers = {{"Content-Security-Policy", "default-src 'none'"}};
                      return r;
                    }}});
  asio::io_context client;
  tcp::socket s(client);
  s.connect({asio::ip::make_address("127.0.0.1"), api.api.port()});
  auto page = fetch(s, http::verb::get, "/");
  EXPECT_EQ(page[http::field::content_type], "text/html; charset=utf-8");
  EXPECT_EQ(page["Content-Security-Policy"], "default-src 'none'");
  EXPECT_EQ(page[http::field::cache_control], "no-store");
}

/// Whether the peer has closed `s` (it reads end-of-file), without blocking.
bool closed_by_peer(tcp::socket& s) {
  pollfd p{s.native_handle(), POLLIN, 0};
  if (::poll(&p, 1, 0) != 1) {
    return false;
  }
  char c = 0;
  return ::recv(s.native_handle(), &c, 1, MSG_DONTWAIT) == 0;
}

TEST(http_api, many_idle_clients_neither_exceed_the_limit_nor_lock_out_a_health_check) {
  running_api api({{"/healthz", [] { return reply{200, "application/json", "{}"}; }}});
  asio::io_context client;
  std::vector<tcp::socket> idle;
  for (int i = 0; i < 200; ++i) {
    idle.emplace_back(client).connect({asio::ip::make_address("127.0.0.1"), api.api.port()});
  }
  tcp::socket s(client);
  s.connect({asio::ip::make_address("127.0.0.1"), api.api.port()});
  // Queued behind all 200: it is answered only once the server has made room for it.
  EXPECT_EQ(fetch(s, http::verb::get, "/healthz").result_int(), 200);
  const auto closed = [&] {
    return std::count_if(idle.begin(), idle.end(), [](auto& c) { return closed_by_peer(c); });
  };
  const auto kept = static_cast<std::ptrdiff_t>(http_api::max_connections) - 1;  // + the check
  EXPECT_TRUE(test::wait_until([&] { return closed() >= 200 - kept; }, std::chrono::seconds(10)))
      << closed() << " of 200 idle connections closed";
  // The longest idle go first: the newest stay.
  EXPECT_FALSE(closed_by_peer(idle.back()));
}

TEST(http_api, names_the_address_it_cannot_bind) {
  asio::io_context io;
  http_api first(io.get_executor(), {"127.0.0.1", 0}, {});
  try {
    http_api second(io.get_executor(), {"127.0.0.1", first.port()}, {});
    FAIL() << "bound the same port twice";
  } catch (const std::system_error& e) {
    EXPECT_NE(std::string(e.what()).find("127.0.0.1:" + std::to_string(first.port())),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(http_api(io.get_executor(), {"localhost", 0}, {}), std::system_error);
}

}  // namespace
}  // namespace qsanfwd::ops
