// The HTTP sink through an HTTP proxy: plain requests in absolute form, https:// through a
// CONNECT tunnel, refusals as retries naming the proxy, NO_PROXY, and the proxy's password
// nowhere but on the wire.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <nlohmann/json.hpp>
#include <thread>

#include "agent/pipeline/dispatcher.hpp"
#include "sinks/http/http_sink.hpp"
#include "tests/agent/pipeline/helpers.hpp"
#include "tests/sinks/http/helpers.hpp"
#include "tests/sinks/http/recording_server.hpp"
#include "tests/support/capture_log.hpp"
#include "tests/support/http_proxy.hpp"
#include "tests/support/run_coroutine.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/tls_cert.hpp"

namespace qsanfwd::sinks {
namespace {

namespace asio = boost::asio;
using test::http_proxy;
using test::recording_server;

constexpr const char* proxy_user = "fwd";
constexpr const char* proxy_password = "pr0xy-Pa55word";

config::env_lookup environment(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    const auto it = vars.find(name);
    return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
}

std::vector<queued_event> some_events(int n) {
  std::vector<queued_event> out;
  for (int i = 0; i < n; ++i) {
    out.emplace_back(i + 1, to_json(test::numbered_event(i)));
  }
  return out;
}

std::string credentials() {
  return std::string(proxy_user) + ":" + proxy_password;
}

class http_proxy_test : public ::testing::Test {
 protected:
  /// A sink with `options`; the effective configuration read is kept in effective_.
  std::unique_ptr<http_sink> make(const nlohmann::json& options,
                                  const config::env_lookup& env = environment({})) {
    auto r = config::object_reader::open(options, env);
    auto o = parse_http_options(r);
    r.finish();
    effective_ = r.effective_document().dump();
    return std::make_unique<http_sink>("web", std::move(o), 1 << 20, io_.get_executor());
  }

  delivery deliver(http_sink& sink, int events = 3) {
    return test::run(io_, sink.deliver(some_events(events)));
  }

  asio::io_context io_;
  std::string effective_;
};

TEST_F(http_proxy_test, plain_http_goes_through_the_proxy_in_absolute_form_with_its_credentials) {
  test::capture_log log;
  recording_server server;
  http_proxy proxy(
      test::proxy_behaviour::asking_for(test::basic_credentials(proxy_user, proxy_password)));
  auto sink = make({{"url", server.url("/in")}, {"proxy", proxy.url(credentials())}});
  ASSERT_EQ(deliver(*sink).result, outcome::delivered);
  ASSERT_EQ(deliver(*sink).result, outcome::delivered);
  const auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 2U);
  EXPECT_EQ(reqs[0].target, "/in");
  EXPECT_EQ(reqs[0].header("proxy-authorization"), "");  // for the proxy only
  EXPECT_EQ(test::events_in(http_format::ndjson, reqs[0].body).size(), 3U);
  const auto through = proxy.requests();
  ASSERT_EQ(through.size(), 2U);
  EXPECT_EQ(through[0], "POST " + server.url("/in"));
  EXPECT_EQ(proxy.connections(), 1);  // kept alive between the two
  EXPECT_EQ(effective_.find(proxy_password), std::string::npos) << effective_;
  EXPECT_NE(effective_.find("\"http://fwd:***@127.0.0.1:"), std::string::npos) << effective_;
  EXPECT_EQ(log.text().find(proxy_password), std::string::npos);
}

TEST_F(http_proxy_test, https_runs_tls_end_to_end_inside_a_connect_tunnel) {
  test::temp_dir dir;
  const auto cert = test::make_tls_cert(dir.path());
  recording_server server(cert);
  http_proxy proxy(
      test::proxy_behaviour::asking_for(test::basic_credentials(proxy_user, proxy_password)));
  // The certificate names localhost and 127.0.0.1; the peer is called localhost here, checked
  // against the CA file (verification on), while the proxy is reached as 127.0.0.1.
  const auto url = "https://localhost:" + std::to_string(server.port()) + "/in";
  auto sink = make(
      {{"url", url},
       {"tls", {{"ca_file", cert.cert_file.string()}}},
       {"proxy", {{"url", proxy.url()}, {"user", proxy_user}, {"password", "${PROXY_PASSWORD}"}}}},
      environment({{"PROXY_PASSWORD", proxy_password}}));
  ASSERT_EQ(deliver(*sink).result, outcome::delivered);
  ASSERT_EQ(server.requests().size(), 1U);
  EXPECT_EQ(server.requests()[0].header("host"), "localhost:" + std::to_string(server.port()));
  EXPECT_EQ(proxy.requests(),
            std::vector<std::string>{"CONNECT localhost:" + std::to_string(server.port())});
  EXPECT_EQ(effective_.find(proxy_password), std::string::npos) << effective_;
}

TEST_F(http_proxy_test, a_refused_connect_is_a_retry_naming_the_proxy_and_its_status) {
  test::temp_dir dir;
  const auto cert = test::make_tls_cert(dir.path());
  recording_server server(cert);
  http_proxy wrong_password(
      test::proxy_behaviour::asking_for(test::basic_credentials(proxy_user, "another")));
  http_proxy forbidding(test::proxy_behaviour::refusing(403));
  const auto target = "127.0.0.1:" + std::to_string(server.port());
  for (auto* proxy : {&wrong_password, &forbidding}) {
    auto sink = make({{"url", server.url("/in")},
                      {"tls", {{"ca_file", cert.cert_file.string()}}},
                      {"proxy", proxy->url(credentials())}});
    const auto d = deliver(*sink);
    EXPECT_EQ(d.result, outcome::retry);
    const auto expected =
        "proxy 127.0.0.1:" + std::to_string(proxy->port()) + " refused CONNECT to " + target +
        ": " + (proxy == &forbidding ? "403 Forbidden" : "407 Proxy Authentication Required");
    EXPECT_EQ(d.reason, expected);
    EXPECT_EQ(d.reason.find(proxy_password), std::string::npos);
  }
  EXPECT_TRUE(server.requests().empty());
}

TEST_F(http_proxy_test, a_407_to_a_plain_request_is_a_retry_not_a_rejection) {
  recording_server server;
  http_proxy proxy(test::proxy_behaviour::refusing(407));
  auto sink = make({{"url", server.url("/in")}, {"proxy", proxy.url()}});
  const auto d = deliver(*sink);
  EXPECT_EQ(d.result, outcome::retry);
  EXPECT_EQ(d.reason, "proxy 127.0.0.1:" + std::to_string(proxy.port()) + " refused POST to " +
                          "127.0.0.1:" + std::to_string(server.port()) +
                          ": 407 Proxy Authentication Required");
}

TEST_F(http_proxy_test, a_proxy_that_is_down_is_a_retry_naming_it) {
  recording_server server;
  std::uint16_t closed_port = 0;
  {
    http_proxy gone;
    closed_port = gone.port();
  }
  auto sink = make(
      {{"url", server.url("/in")}, {"proxy", "http://127.0.0.1:" + std::to_string(closed_port)}});
  const auto d = deliver(*sink);
  EXPECT_EQ(d.result, outcome::retry);
  EXPECT_EQ(d.reason.find("connecting to proxy 127.0.0.1:" + std::to_string(closed_port) +
                          " (for 127.0.0.1:" + std::to_string(server.port()) + "): "),
            0U)
      << d.reason;
}

/// A "proxy" that answers CONNECT with an endless header.
class flooding_proxy {
 public:
  flooding_proxy() : acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}) {
    thread_ = std::thread([this] {
      boost::system::error_code ec;
      auto socket = acceptor_.accept(ec);
      asio::streambuf request;
      asio::read_until(socket, request, "\r\n\r\n", ec);
      std::string flood = "HTTP/1.1 200 OK\r\n";
      while (flood.size() < 64 * 1024) {
        flood += "X-Filler: 0123456789012345678901234567890123456789\r\n";
      }
      asio::write(socket, asio::buffer(flood), ec);
      // Held open until the client gives up, so only the header limit can end the read.
      char byte = 0;
      socket.read_some(asio::buffer(&byte, 1), ec);
    });
  }
  ~flooding_proxy() { thread_.join(); }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

 private:
  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_;
  std::thread thread_;
};

TEST_F(http_proxy_test, an_endless_answer_to_connect_ends_at_the_header_limit) {
  flooding_proxy proxy;
  auto sink = make({{"url", "https://127.0.0.1:9/in"},
                    {"proxy", "http://127.0.0.1:" + std::to_string(proxy.port())}});
  const auto d = deliver(*sink);
  EXPECT_EQ(d.result, outcome::retry);
  EXPECT_EQ(d.reason, "reading the answer to CONNECT 127.0.0.1:9 from proxy 127.0.0.1:" +
                          std::to_string(proxy.port()) + ": header limit exceeded");
  sink.reset();  // closes the socket, which ends the flooding proxy's thread
}

TEST_F(http_proxy_test, no_proxy_sends_matching_peers_direct) {
  recording_server server;
  http_proxy proxy;
  const auto env = [&](const std::string& no_proxy) {
    return environment({{"HTTP_PROXY", proxy.url()}, {"NO_PROXY", no_proxy}});
  };
  auto direct = make({{"url", server.url("/in")}}, env("example.com, 127.0.0.0/8"));
  EXPECT_NE(effective_.find("\"proxy\":\"none\""), std::string::npos) << effective_;
  ASSERT_EQ(deliver(*direct).result, outcome::delivered);
  EXPECT_EQ(proxy.connections(), 0);
  auto proxied = make({{"url", server.url("/in")}}, env("example.com"));
  ASSERT_EQ(deliver(*proxied).result, outcome::delivered);
  EXPECT_EQ(proxy.requests().size(), 1U);
  EXPECT_EQ(server.requests().size(), 2U);
}

TEST(http_proxy_dispatch, a_refused_tunnel_shows_in_the_sinks_status_while_events_wait) {
  test::temp_dir dir;
  auto store = state_store::open(dir.path());
  event_queue queue(*store);
  for (int i = 0; i < 3; ++i) {
    queue.append(test::numbered_event(i));
  }
  test::capture_log log;
  asio::io_context io;
  http_proxy proxy(test::proxy_behaviour::refusing(407));
  auto r = config::object_reader::open(
      {{"url", "https://127.0.0.1:9/in"}, {"proxy", proxy.url(credentials())}}, environment({}));
  auto cfg = test::fast_sink_config("web", dir);
  cfg.type = "http";
  std::vector<pipeline::route> routes;
  routes.push_back({cfg, std::make_unique<http_sink>("web", parse_http_options(r),
                                                     cfg.batch.max_bytes, io.get_executor())});
  pipeline::dispatcher dispatcher(io.get_executor(), *store, std::move(routes));
  dispatcher.start();
  ASSERT_TRUE(test::run_until(io, [&] { return proxy.requests().size() >= 2; }));
  const auto status = dispatcher.status().at(0);
  EXPECT_TRUE(status.retrying);
  EXPECT_GE(status.retried, 1);
  EXPECT_EQ(status.rejected, 0);
  EXPECT_EQ(status.last_error, "proxy 127.0.0.1:" + std::to_string(proxy.port()) +
                                   " refused CONNECT to 127.0.0.1:9: 407 Proxy Authentication "
                                   "Required");
  EXPECT_EQ(queue.totals().events, 3);
  // `qsanfwd status` reads the same from the store, beside the running agent.
  const auto cursor = queue.cursors().at(0);
  EXPECT_EQ(cursor.last_error, status.last_error);
  EXPECT_TRUE(cursor.failing_since.has_value());
  bool stopped = false;
  asio::co_spawn(io, dispatcher.stop(duration{100}), [&](std::exception_ptr) { stopped = true; });
  ASSERT_TRUE(test::run_until(io, [&] { return stopped; }));
  EXPECT_EQ(log.text().find(proxy_password), std::string::npos);
  EXPECT_NE(log.text().find("refused CONNECT"), std::string::npos);
}

}  // namespace
}  // namespace qsanfwd::sinks
