// The device client against qsan-sim over loopback: the whole session lifecycle.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "agent/device/device_client.hpp"
#include "sim/simulator.hpp"
#include "tests/support/capture_log.hpp"
#include "tests/support/http_proxy.hpp"
#include "tests/support/memory_vault.hpp"
#include "tests/support/run_coroutine.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/tls_cert.hpp"

namespace qsanfwd::device {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

constexpr const char* password = "s3cret-Pa55word";

using test::memory_vault;

sim::options sim_options() {
  sim::options o;
  o.password = password;
  o.backlog = 50;
  o.live_rate = 0;
  return o;
}

client_settings settings_for(const sim::running_simulator& s) {
  client_settings c;
  c.name = "array-01";
  c.peer = net::endpoint{"127.0.0.1", s.port(), false, "", {}};
  c.username = "admin";
  c.password = secret(password);
  c.timeout = 2s;
  c.retry_initial = 10ms;
  c.retry_max = 50ms;
  return c;
}

log_query first_page() {
  return {.start_time = 0, .types = {}, .page_number = 1, .page_size = 20};
}

struct fixture {
  explicit fixture(sim::options o = sim_options()) : sim(std::move(o)) {}
  sim::running_simulator sim;
  asio::io_context io;
  memory_vault vault;
  std::vector<event> agent_events;
  device_client make(client_settings s) {
    return device_client(io.get_executor(), std::move(s), vault,
                         [this](event e) { agent_events.push_back(std::move(e)); });
  }
  device_client make() { return make(settings_for(sim)); }
};

asio::awaitable<void> sleep_for(duration d) {
  asio::steady_timer t(co_await asio::this_coro::executor, d);
  co_await t.async_wait(asio::use_awaitable);
}

TEST(device_client, short_token_lifetime_never_fails_a_request) {
  auto o = sim_options();
  o.access_token_lifetime_s = 2;
  fixture f(o);
  auto client = f.make();
  const auto failures = test::run(f.io, [&]() -> asio::awaitable<int> {
    int failed = 0;
    // Five lifetimes of the token: each refresh is due before the token expires.
    const auto end = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < end) {
      auto page = co_await client.log_list(first_page());
      failed += page ? 0 : 1;
      co_await sleep_for(150ms);
    }
    co_return failed;
  }());
  EXPECT_EQ(failures, 0);
  const auto stats = f.sim->stats();
  EXPECT_EQ(stats.unauthorized, 0U) << "the token should be refreshed before it expires";
  EXPECT_EQ(stats.offline_logins, 1U);
  EXPECT_GE(stats.refreshes, 4U);
  EXPECT_EQ(client.counters().logins, 1U);
}

TEST(device_client, recovers_when_the_array_forgets_every_token) {
  fixture f;
  auto client = f.make();
  ASSERT_TRUE(test::run(f.io, client.log_list(first_page())));
  f.sim->forget_tokens();
  auto page = test::run(f.io, client.log_list(first_page()));
  ASSERT_TRUE(page) << page.error().message;
  const auto stats = f.sim->stats();
  EXPECT_GE(stats.unauthorized, 2U);  // the request, then the refresh
  EXPECT_EQ(stats.offline_logins, 2U);
  EXPECT_EQ(f.vault.token.has_value(), true);
  EXPECT_TRUE(f.agent_events.empty());
}

TEST(device_client, wrong_password_is_reported_once_and_not_retried) {
  fixture f;
  auto s = settings_for(f.sim);
  s.password = secret("wrong-password-123");
  auto client = f.make(s);
  auto page = test::run(f.io, client.log_list(first_page()));
  ASSERT_FALSE(page);
  EXPECT_EQ(page.error().kind, failure_kind::permanent);
  EXPECT_NE(page.error().message.find("login as admin refused"), std::string::npos);
  EXPECT_EQ(f.sim->stats().failed_logins, 1U);
  ASSERT_EQ(f.agent_events.size(), 1U);
  EXPECT_EQ(f.agent_events[0].type, "device_login_failed");
  EXPECT_EQ(client.state(), device_state::login_failed);
}

TEST(device_client, unusable_token_grant_is_a_failed_login_not_retried) {
  // The array hands out an access token ending in CR LF and a header of its own. Each login
  // with offlineAccess may evict one of the user's ten refresh tokens: one login a poll, not
  // max_attempts of them, and one event for the lot.
  auto o = sim_options();
  o.hostile.token_crlf = true;
  fixture f(o);
  auto s = settings_for(f.sim);
  ASSERT_EQ(s.max_attempts, 4);
  auto client = f.make(s);
  constexpr int polls = 3;
  for (int poll = 1; poll <= polls; ++poll) {
    auto page = test::run(f.io, client.log_list(first_page()));
    ASSERT_FALSE(page);
    EXPECT_EQ(page.error().kind, failure_kind::permanent);
    EXPECT_NE(page.error().message.find("login as admin failed"), std::string::npos)
        << page.error().message;
    EXPECT_NE(page.error().message.find("accessToken"), std::string::npos) << page.error().message;
    EXPECT_EQ(f.sim->stats().logins, static_cast<std::uint64_t>(poll));
  }
  EXPECT_EQ(f.sim->stats().requests["/rest/v1/log/list"], 0U);
  EXPECT_EQ(f.sim->stats().injected_headers, 0U);
  EXPECT_EQ(client.state(), device_state::login_failed);
  ASSERT_EQ(f.agent_events.size(), 1U);
  EXPECT_EQ(f.agent_events[0].type, "device_login_failed");
  EXPECT_FALSE(f.vault.token) << "no refresh token from a grant that was refused";
}

TEST(device_client, each_fault_kind_is_retried_to_success) {
  for (auto kind : {sim::fault::status_500, sim::fault::status_503, sim::fault::delay,
                    sim::fault::truncate, sim::fault::reset}) {
    auto o = sim_options();
    o.faults.delay_for = 1500ms;
    fixture f(o);
    auto s = settings_for(f.sim);
    s.timeout = 300ms;
    auto client = f.make(s);
    ASSERT_TRUE(test::run(f.io, client.log_list(first_page())));
    f.sim->fail_next(kind, 2);
    auto page = test::run(f.io, client.log_list(first_page()));
    ASSERT_TRUE(page) << sim::to_string(kind) << ": " << page.error().message;
    EXPECT_EQ(page->logs.size(), 20U);
    EXPECT_EQ(f.sim->stats().faults_injected, 2U) << sim::to_string(kind);
    // A reset on a kept-alive connection is first taken for a stale one and retried at once.
    EXPECT_GE(client.counters().retries, kind == sim::fault::reset ? 1U : 2U)
        << sim::to_string(kind);
    EXPECT_TRUE(f.agent_events.empty()) << sim::to_string(kind);
  }
}

TEST(device_client, unreachable_then_back_is_one_event_each) {
  fixture f;
  auto s = settings_for(f.sim);
  s.max_attempts = 2;
  auto client = f.make(s);
  ASSERT_TRUE(test::run(f.io, client.log_list(first_page())));
  f.sim->fail_next(sim::fault::status_503, 6);
  EXPECT_FALSE(test::run(f.io, client.log_list(first_page())));
  EXPECT_FALSE(test::run(f.io, client.log_list(first_page())));
  EXPECT_EQ(client.state(), device_state::unreachable);
  EXPECT_FALSE(test::run(f.io, client.log_list(first_page())));
  ASSERT_TRUE(test::run(f.io, client.log_list(first_page())));
  ASSERT_EQ(f.agent_events.size(), 2U);
  EXPECT_EQ(f.agent_events[0].type, "device_unreachable");
  EXPECT_EQ(f.agent_events[0].kind, event_kind::agent);
  EXPECT_EQ(f.agent_events[0].severity, severity::error);
  EXPECT_NE(f.agent_events[0].message.find("HTTP 503"), std::string::npos);
  EXPECT_EQ(f.agent_events[1].type, "device_reachable");
}

TEST(device_client, connection_refused_is_a_transient_failure) {
  asio::io_context io;
  memory_vault vault;
  client_settings s;
  s.name = "gone";
  {
    // A port that was free a moment ago: nothing listens there now.
    sim::running_simulator gone(sim_options());
    s = settings_for(gone);
  }
  s.max_attempts = 2;
  device_client client(io.get_executor(), s, vault, nullptr);
  auto page = test::run(io, client.log_list(first_page()));
  ASSERT_FALSE(page);
  EXPECT_EQ(page.error().kind, failure_kind::transient);
  EXPECT_NE(page.error().message.find("127.0.0.1"), std::string::npos);
}

TEST(device_client, ids_and_totals_as_strings_or_integers) {
  for (bool as_strings : {false, true}) {
    auto o = sim_options();
    o.ids_as_strings = as_strings;
    fixture f(o);
    auto client = f.make();
    auto page = test::run(f.io, client.log_list(first_page()));
    ASSERT_TRUE(page) << page.error().message;
    EXPECT_EQ(page->total, 50);
    auto disks = test::run(f.io, client.disks());
    ASSERT_TRUE(disks) << disks.error().message;
    EXPECT_GE(disks->size(), 12U);
    auto pools = test::run(f.io, client.pools());
    ASSERT_TRUE(pools) << pools.error().message;
    ASSERT_FALSE(pools->empty());
    EXPECT_FALSE(pools->front().raidsets.empty());
    auto volumes = test::run(f.io, client.volumes());
    ASSERT_TRUE(volumes) << volumes.error().message;
    auto encs = test::run(f.io, client.enclosures());
    ASSERT_TRUE(encs) << encs.error().message;
    ASSERT_EQ(encs->size(), 2U);
    EXPECT_EQ((*encs)[0].model_name, "XS5226");
    EXPECT_FALSE((*encs)[0].psu_status.empty());
    auto numbers = test::run(f.io, client.enclosure_numbers());
    ASSERT_TRUE(numbers);
    EXPECT_EQ(*numbers, (std::vector<int>{0, 1}));
  }
}

TEST(device_client, logout_revokes_and_forgets) {
  fixture f;
  auto client = f.make();
  ASSERT_TRUE(test::run(f.io, client.log_list(first_page())));
  ASSERT_TRUE(f.vault.token);
  auto out = test::run(f.io, client.logout());
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_TRUE(*out);
  EXPECT_FALSE(f.vault.token);
  EXPECT_EQ(f.sim->stats().revokes, 1U);
  EXPECT_EQ(f.sim->stats().active_refresh_tokens, 0U);
  auto again = test::run(f.io, client.logout());
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again);
}

TEST(device_client, bearer_scheme_when_the_firmware_wants_it) {
  auto o = sim_options();
  o.accept_bearer = true;
  fixture f(o);
  auto s = settings_for(f.sim);
  s.scheme = auth_scheme::bearer;
  auto client = f.make(s);
  ASSERT_TRUE(test::run(f.io, client.log_list(first_page())));
}

struct tls_fixture {
  test::temp_dir dir;
  test::tls_cert cert = test::make_tls_cert(dir.path());
  sim::options with_tls() {
    auto o = sim_options();
    o.cert_file = cert.cert_file.string();
    o.key_file = cert.key_file.string();
    return o;
  }
};

TEST(device_client, tls_refuses_a_self_signed_array_by_default) {
  tls_fixture t;
  fixture f(t.with_tls());
  auto s = settings_for(f.sim);
  s.peer.tls = true;
  s.max_attempts = 1;
  auto client = f.make(s);
  auto page = test::run(f.io, client.log_list(first_page()));
  ASSERT_FALSE(page);
  EXPECT_NE(page.error().message.find("TLS handshake"), std::string::npos) << page.error().message;
  // The array's certificate, ready for pin_sha256 once the user checked it.
  EXPECT_NE(page.error().message.find(": self-signed certificate; the certificate's SHA-256, for "
                                      "tls.pin_sha256 once checked: \"" +
                                      t.cert.sha256_fingerprint + "\""),
            std::string::npos)
      << page.error().message;
  EXPECT_EQ(f.sim->stats().logins, 0U);
}

TEST(device_client, tls_accepts_with_ca_file_or_pin) {
  tls_fixture t;
  fixture f(t.with_tls());
  auto s = settings_for(f.sim);
  s.peer.tls = true;
  s.tls.ca_file = t.cert.cert_file.string();
  auto with_ca = f.make(s);
  auto page = test::run(f.io, with_ca.log_list(first_page()));
  ASSERT_TRUE(page) << page.error().message;

  s.tls.ca_file.clear();
  s.tls.pin_sha256 = t.cert.sha256_fingerprint;
  auto pinned = f.make(s);
  page = test::run(f.io, pinned.log_list(first_page()));
  ASSERT_TRUE(page) << page.error().message;

  s.tls.pin_sha256 = std::string(64, 'a');
  s.max_attempts = 1;
  auto wrong_pin = f.make(s);
  page = test::run(f.io, wrong_pin.log_list(first_page()));
  ASSERT_FALSE(page);
  EXPECT_NE(page.error().message.find("certificate rejected; the certificate's SHA-256, for "
                                      "tls.pin_sha256 once checked: \"" +
                                      t.cert.sha256_fingerprint + "\""),
            std::string::npos)
      << page.error().message;
}

TEST(device_client, tls_refuses_a_certificate_for_another_host_and_says_so) {
  tls_fixture t;  // a certificate for 127.0.0.1 and localhost
  auto o = t.with_tls();
  o.listen_address = "127.0.0.2";
  fixture f(o);
  auto s = settings_for(f.sim);
  s.peer.host = "127.0.0.2";
  s.peer.tls = true;
  s.tls.ca_file = t.cert.cert_file.string();
  s.max_attempts = 1;
  auto client = f.make(s);
  auto page = test::run(f.io, client.log_list(first_page()));
  ASSERT_FALSE(page);
  // An IP address is checked against the certificate's IP names.
  EXPECT_NE(page.error().message.find(": IP address mismatch; the certificate's SHA-256, for "
                                      "tls.pin_sha256 once checked: \"" +
                                      t.cert.sha256_fingerprint + "\""),
            std::string::npos)
      << page.error().message;
}

// The array behind an HTTP proxy: login and a page through a CONNECT tunnel, TLS checked
// against the array's certificate; a proxy that refuses is a transient failure naming it.
TEST(device_client, logs_in_and_reads_a_page_through_a_proxy_tunnel) {
  test::capture_log captured;
  const std::string proxy_password = "pr0xy-Pa55word";
  test::http_proxy proxy(
      test::proxy_behaviour::asking_for(test::basic_credentials("fwd", proxy_password)));
  tls_fixture t;
  fixture f(t.with_tls());
  auto s = settings_for(f.sim);
  s.peer.tls = true;
  s.peer.proxy = {"127.0.0.1", proxy.port(), "fwd", secret(proxy_password)};
  s.tls.ca_file = t.cert.cert_file.string();
  auto client = f.make(s);
  auto page = test::run(f.io, client.log_list(first_page()));
  ASSERT_TRUE(page) << page.error().message;
  EXPECT_FALSE(page->logs.empty());
  EXPECT_EQ(f.sim->stats().logins, 1U);
  const auto target = "127.0.0.1:" + std::to_string(f.sim.port());
  EXPECT_EQ(proxy.requests(), std::vector<std::string>{"CONNECT " + target});

  s.peer.proxy.password = secret("not-" + proxy_password);
  s.max_attempts = 1;
  auto refused = f.make(s);
  page = test::run(f.io, refused.log_list(first_page()));
  ASSERT_FALSE(page);
  EXPECT_EQ(page.error().kind, failure_kind::transient);
  EXPECT_EQ(page.error().message, "proxy 127.0.0.1:" + std::to_string(proxy.port()) +
                                      " refused CONNECT to " + target +
                                      ": 407 Proxy Authentication Required");
  EXPECT_EQ(refused.state(), device_state::unreachable);
  EXPECT_EQ(captured.text().find(proxy_password), std::string::npos);
}

TEST(device_client, no_secret_in_any_log_line_or_event) {
  test::capture_log captured;
  fixture f;
  auto client = f.make();
  ASSERT_TRUE(test::run(f.io, client.log_list(first_page())));
  const auto refresh_token = f.vault.token.value();
  f.sim->forget_tokens();
  ASSERT_TRUE(test::run(f.io, client.log_list(first_page())));
  f.sim->fail_next(sim::fault::status_500, 10);
  EXPECT_FALSE(test::run(f.io, client.log_list(first_page())));
  auto bad = settings_for(f.sim);
  bad.password = secret("another-secret-value");
  auto refused = f.make(bad);
  EXPECT_FALSE(test::run(f.io, refused.log_list(first_page())));
  ASSERT_TRUE(test::run(f.io, client.logout()));

  std::string everything = captured.text();
  for (const auto& e : f.agent_events) {
    everything += to_json(e);
  }
  EXPECT_FALSE(everything.empty());
  for (const std::string& s : {std::string(password), std::string("another-secret-value"),
                               refresh_token, f.vault.token.value_or(refresh_token)}) {
    EXPECT_EQ(everything.find(s), std::string::npos) << "a secret leaked into the logs";
  }
}

}  // namespace
}  // namespace qsanfwd::device

namespace qsanfwd::device {
namespace {

TEST(device_client, missing_endpoint_is_asked_once_until_restart) {
  auto o = sim_options();
  o.missing_endpoints = {"/rest/v1/storage/volume/list"};
  fixture f(o);
  auto client = f.make();
  for (int i = 0; i < 3; ++i) {
    auto volumes = test::run(f.io, client.volumes());
    ASSERT_FALSE(volumes);
    EXPECT_EQ(volumes.error().kind, failure_kind::unsupported);
  }
  EXPECT_EQ(f.sim->stats().requests["/rest/v1/storage/volume/list"], 1U);
  EXPECT_TRUE(test::run(f.io, client.disks()));
  EXPECT_TRUE(f.agent_events.empty());
}

TEST(device_client, bad_request_is_not_retried_in_a_loop) {
  fixture f;
  auto client = f.make();
  // A page number the array refuses: 400 comes back once, as a permanent failure.
  const log_query bad{.start_time = 0, .types = {}, .page_number = 0, .page_size = 10};
  auto page = test::run(f.io, client.log_list(bad));
  ASSERT_FALSE(page);
  EXPECT_EQ(page.error().kind, failure_kind::permanent);
  EXPECT_NE(page.error().message.find("HTTP 400"), std::string::npos) << page.error().message;
  EXPECT_EQ(f.sim->stats().requests["/rest/v1/log/list"], 1U);
}

}  // namespace
}  // namespace qsanfwd::device
