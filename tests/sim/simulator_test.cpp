#include "sim/simulator.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/beast/core/error.hpp>
#include <chrono>
#include <iostream>
#include <list>
#include <thread>

#include "agent/core/time.hpp"
#include "tests/sim/sim_client.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/tls_cert.hpp"
#include "tests/support/wait.hpp"

namespace qsanfwd::sim {
namespace {

using nlohmann::json;
using qsanfwd::test::wait_until;
using test::client;
using test::quiet;

std::vector<std::int64_t> timestamps(const json& page) {
  std::vector<std::int64_t> out;
  for (const auto& l : page["logs"]) {
    out.push_back(l["timestamp"]);
  }
  return out;
}

TEST(simulator, login_then_list_newest_first_by_default) {
  running_simulator s(quiet(50));
  client c(s.port());
  const auto auth = c.login();
  EXPECT_FALSE(auth.contains("refreshToken"));
  const auto r = c.get("/rest/v1/log/list");
  ASSERT_EQ(r.status, 200U);
  const auto j = r.json();
  EXPECT_EQ(j["total"], 50);
  EXPECT_FALSE(j["haveNextPage"]);
  const auto ts = timestamps(j);
  ASSERT_EQ(ts.size(), 50U);
  EXPECT_TRUE(std::is_sorted(ts.rbegin(), ts.rend()));
  EXPECT_LT(ts.back(), ts.front());
  EXPECT_EQ(s->stats().requests["/rest/v1/log/list"], 1U);
}

TEST(simulator, oldest_first_when_asked) {
  auto o = quiet(30);
  o.newest_first = false;
  running_simulator s(o);
  client c(s.port());
  c.login();
  const auto ts = timestamps(c.get("/rest/v1/log/list").json());
  ASSERT_EQ(ts.size(), 30U);
  EXPECT_TRUE(std::is_sorted(ts.begin(), ts.end()));
  EXPECT_LT(ts.front(), ts.back());
}

TEST(simulator, backlog_is_dense_ends_now_and_escapes_hard_messages) {
  running_simulator s(quiet(3000));
  const auto ledger = s->ledger();
  ASSERT_EQ(ledger.size(), 3000U);
  EXPECT_GE(ledger.back().timestamp, unix_now() - 2);
  EXPECT_LE(ledger.back().timestamp - ledger.front().timestamp, 3000 / 4);
  const auto has = [&](std::string_view needle) {
    return std::any_of(ledger.begin(), ledger.end(), [&](const log_line& l) {
      return l.message.find(needle) != std::string::npos;
    });
  };
  EXPECT_TRUE(has("\""));
  EXPECT_TRUE(has("'"));
  EXPECT_TRUE(has("["));
  EXPECT_TRUE(has("\\"));
  EXPECT_TRUE(has("\n"));
  EXPECT_TRUE(has("°C"));
  for (const auto* type : {"access", "info", "warning", "error"}) {
    EXPECT_TRUE(std::any_of(ledger.begin(), ledger.end(),
                            [&](const log_line& l) { return l.type == type; }));
  }
  // The wire form parses back to exactly the ledger's text.
  client c(s.port());
  c.login();
  const auto j = c.get("/rest/v1/log/list?pageSize=3000").json();
  ASSERT_EQ(j["logs"].size(), 3000U);
  EXPECT_EQ(j["logs"][0]["message"], ledger.back().message);
  EXPECT_EQ(j["logs"][2999]["message"], ledger.front().message);
}

TEST(simulator, start_time_inclusive_or_exclusive) {
  for (const bool inclusive : {true, false}) {
    auto o = quiet();
    o.start_time_inclusive = inclusive;
    running_simulator s(o);
    for (const std::int64_t ts : {999, 1000, 1000, 1001}) {
      ASSERT_TRUE(s->add_log({ts, "info", "at " + std::to_string(ts)}));
    }
    client c(s.port());
    c.login();
    const auto j = c.get("/rest/v1/log/list?startTime=1000").json();
    EXPECT_EQ(j["total"], inclusive ? 3 : 1) << "inclusive=" << inclusive;
  }
}

TEST(simulator, pages_and_type_filter) {
  running_simulator s(quiet(25));
  client c(s.port());
  c.login();
  std::vector<std::int64_t> all;
  for (int p = 1; p <= 3; ++p) {
    const auto j = c.get("/rest/v1/log/list?pageSize=10&pageNumber=" + std::to_string(p)).json();
    EXPECT_EQ(j["total"], 25);
    EXPECT_EQ(j["haveNextPage"], p < 3);
    const auto ts = timestamps(j);
    EXPECT_EQ(ts.size(), p < 3 ? 10U : 5U);
    all.insert(all.end(), ts.begin(), ts.end());
  }
  const auto ledger = s->ledger();
  ASSERT_EQ(all.size(), ledger.size());
  EXPECT_EQ(all.front(), ledger.back().timestamp);
  ASSERT_TRUE(s->add_log({unix_now(), "error", "Disk e0d1 failed."}));
  ASSERT_TRUE(s->add_log({unix_now(), "warning", "Fan slow."}));
  const auto j = c.get("/rest/v1/log/list?type%5B%5D=error&type[]=warning").json();
  EXPECT_GE(j["total"].get<int>(), 2);
  for (const auto& l : j["logs"]) {
    EXPECT_TRUE(l["type"] == "error" || l["type"] == "warning");
  }
}

TEST(simulator, newest_first_pages_shift_when_lines_arrive) {
  running_simulator s(quiet(20));
  client c(s.port());
  c.login();
  const auto first = c.get("/rest/v1/log/list?pageSize=10&pageNumber=1").json();
  s->add_logs(3);
  const auto second = c.get("/rest/v1/log/list?pageSize=10&pageNumber=2").json();
  EXPECT_EQ(first["total"], 20);
  EXPECT_EQ(second["total"], 23);
  // The head of page 2 repeats the tail of page 1.
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(second["logs"][i], first["logs"][7 + i]);
  }
}

TEST(simulator, bad_parameters_unknown_paths_and_missing_auth) {
  running_simulator s(quiet(5));
  client c(s.port());
  EXPECT_EQ(c.get("/rest/v1/log/list").status, 401U);
  c.token = "not-a-token";
  EXPECT_EQ(c.get("/rest/v1/storage/disk/list").status, 401U);
  c.login();
  EXPECT_EQ(c.get("/rest/v1/log/list?startTime=yesterday").status, 400U);
  EXPECT_EQ(c.get("/rest/v1/log/list?startTime=12.5").status, 400U);
  EXPECT_EQ(c.get("/rest/v1/log/list?pageNumber=0").status, 400U);
  EXPECT_EQ(c.get("/rest/v1/log/list?pageSize=x").status, 400U);
  EXPECT_EQ(c.get("/rest/v1/nothing/here").status, 404U);
  EXPECT_EQ(c.get("/rest/v1/hardware/x/info").status, 404U);
  EXPECT_EQ(c.get("/rest/v1/log/list?startTime=0").status, 200U);
  EXPECT_EQ(s->stats().unauthorized, 2U);
}

TEST(simulator, bearer_prefix_only_when_enabled) {
  for (const bool accept : {false, true}) {
    auto o = quiet();
    o.accept_bearer = accept;
    running_simulator s(o);
    client c(s.port());
    c.login();
    c.authorization_prefix = "Bearer ";
    EXPECT_EQ(c.get("/rest/v1/hardware/info").status, accept ? 200U : 401U);
  }
}

TEST(simulator, live_rate_adds_many_lines_per_second) {
  auto o = quiet();
  o.live_rate = 200;
  running_simulator s(o);
  ASSERT_TRUE(wait_until([&] { return s->log_count() >= 40; }));
  const auto ledger = s->ledger();
  // Lines of one tick share a second.
  EXPECT_TRUE(std::adjacent_find(ledger.begin(), ledger.end(), [](const auto& a, const auto& b) {
                return a.timestamp == b.timestamp;
              }) != ledger.end());
  s->pause_live(true);
  const auto paused_at = s->log_count();
  s->add_logs(1);  // control still works while the live rate is paused
  EXPECT_GE(s->log_count(), paused_at + 1);
}

TEST(simulator, duplicates_follow_the_ratio) {
  auto o = quiet(2000);
  o.duplicate_ratio = 0.3;
  running_simulator s(o);
  const auto ledger = s->ledger();
  const auto count_repeats = [](const std::vector<log_line>& lines) {
    std::size_t n = 0;
    for (std::size_t i = 1; i < lines.size(); ++i) {
      n += lines[i] == lines[i - 1] ? 1U : 0U;
    }
    return n;
  };
  const auto dups = count_repeats(ledger);
  EXPECT_GT(dups, 200U);
  EXPECT_LT(dups, 800U);
  // Without forced repeats, only a template without placeholders can repeat by chance.
  running_simulator none(quiet(2000));
  EXPECT_LT(count_repeats(none->ledger()), 30U);
}

TEST(simulator, access_token_expires_in_the_arrays_clock) {
  auto o = quiet();
  o.access_token_lifetime_s = 1;
  o.clock_offset_s = -7200;
  running_simulator s(o);
  client c(s.port());
  const auto auth = c.login();
  const auto expire = auth["expireTime"].get<std::int64_t>();
  EXPECT_NEAR(static_cast<double>(expire), static_cast<double>(unix_now() - 7200 + 1), 2.0);
  EXPECT_TRUE(wait_until([&] { return c.get("/rest/v1/hardware/info").status == 401; },
                         std::chrono::seconds(5)));
}

TEST(simulator, refresh_and_revoke) {
  running_simulator s(quiet());
  client c(s.port());
  const auto auth = c.login(true);
  const std::string refresh = auth["refreshToken"];
  // The manual spells the key with a trailing space; both spellings work.
  const auto r1 = c.post("/auth/refresh", {{"refreshToken ", refresh}});
  ASSERT_EQ(r1.status, 200U);
  EXPECT_FALSE(r1.json().contains("refreshToken"));
  c.token = r1.json()["accessToken"];
  EXPECT_EQ(c.get("/rest/v1/hardware/info").status, 200U);
  EXPECT_EQ(c.post("/auth/refresh", {{"refreshToken", refresh}}).status, 200U);
  const auto revoked = c.post("/auth/revoke", {{"refreshToken", refresh}});
  EXPECT_EQ(revoked.status, 200U);
  EXPECT_EQ(revoked.body, "{}");
  EXPECT_EQ(c.post("/auth/refresh", {{"refreshToken", refresh}}).status, 401U);
  const auto st = s->stats();
  EXPECT_EQ(st.refreshes, 2U);
  EXPECT_EQ(st.revokes, 1U);
  EXPECT_EQ(st.active_refresh_tokens, 0U);
}

TEST(simulator, eleventh_offline_login_evicts_the_oldest_refresh_token) {
  running_simulator s(quiet());
  client c(s.port());
  std::vector<std::string> tokens;
  for (int i = 0; i < 11; ++i) {
    tokens.push_back(c.login(true)["refreshToken"]);
  }
  EXPECT_EQ(c.post("/auth/refresh", {{"refreshToken", tokens[0]}}).status, 401U);
  EXPECT_EQ(c.post("/auth/refresh", {{"refreshToken", tokens[1]}}).status, 200U);
  EXPECT_EQ(c.post("/auth/refresh", {{"refreshToken", tokens[10]}}).status, 200U);
  const auto st = s->stats();
  EXPECT_EQ(st.active_refresh_tokens, 10U);
  EXPECT_EQ(st.offline_logins, 11U);
  EXPECT_EQ(st.refresh_tokens_evicted, 1U);
}

TEST(simulator, wrong_password_is_401_without_echoing_it) {
  running_simulator s(quiet());
  client c(s.port());
  const auto r = c.post("/auth/get", {{"user", "admin"}, {"password", "hunter2-secret"}});
  EXPECT_EQ(r.status, 401U);
  EXPECT_EQ(r.body.find("hunter2"), std::string::npos);
  EXPECT_EQ(c.post("/auth/get", {{"user", "admin"}}).status, 400U);
  EXPECT_EQ(s->stats().failed_logins, 1U);
}

TEST(simulator, forgotten_tokens_are_unknown) {
  running_simulator s(quiet());
  client c(s.port());
  const std::string refresh = c.login(true)["refreshToken"];
  s->forget_tokens();
  EXPECT_EQ(c.get("/rest/v1/hardware/info").status, 401U);
  EXPECT_EQ(c.post("/auth/refresh", {{"refreshToken", refresh}}).status, 401U);
}

TEST(simulator, forced_faults_of_each_kind) {
  running_simulator s(quiet(10));
  client c(s.port());
  c.login();
  s->fail_next(fault::status_500, 1);
  s->fail_next(fault::status_503, 1);
  EXPECT_EQ(c.get("/rest/v1/log/list").status, 500U);
  EXPECT_EQ(c.get("/rest/v1/log/list").status, 503U);
  EXPECT_EQ(c.get("/rest/v1/log/list").status, 200U);

  s->fail_next(fault::truncate, 1);
  const auto cut = c.get("/rest/v1/log/list");
  EXPECT_EQ(cut.status, 200U);
  const auto full = c.get("/rest/v1/log/list");
  EXPECT_EQ(cut.body, full.body.substr(0, full.body.size() / 2));
  EXPECT_TRUE(json::parse(cut.body, nullptr, false).is_discarded());

  s->fail_next(fault::reset, 1);
  const auto reset = c.get("/rest/v1/log/list");
  EXPECT_TRUE(reset.error) << reset.status;
  EXPECT_EQ(c.get("/rest/v1/log/list").status, 200U);

  s->set_faults({0, 0, 0, 0, std::chrono::seconds(3), false});
  s->fail_next(fault::delay, 1);
  const auto started = std::chrono::steady_clock::now();
  const auto slow = c.get("/rest/v1/log/list", std::chrono::milliseconds(300));
  EXPECT_EQ(slow.error, boost::beast::error::timeout);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(2));
  EXPECT_EQ(c.get("/rest/v1/log/list").status, 200U);
  EXPECT_EQ(s->stats().faults_injected, 5U);
}

TEST(simulator, faults_spare_auth_unless_asked) {
  running_simulator s(quiet());
  client c(s.port());
  s->fail_next(fault::status_503, 1);
  EXPECT_EQ(c.login().value("status", 200U), 200U);
  EXPECT_EQ(c.get("/rest/v1/hardware/info").status, 503U);
  s->set_faults({0, 0, 0, 0, std::chrono::seconds(1), true});
  s->fail_next(fault::status_500, 1);
  EXPECT_EQ(c.login()["status"], 500U);
}

TEST(simulator, random_faults_are_seeded) {
  const auto run = [] {
    auto o = quiet();
    o.faults.status_5xx = 0.5;
    running_simulator s(o);
    client c(s.port());
    c.login();
    std::string seen;
    for (int i = 0; i < 20; ++i) {
      seen += std::to_string(c.get("/rest/v1/hardware/info").status) + " ";
    }
    return seen;
  };
  const auto a = run();
  EXPECT_EQ(a, run());
  EXPECT_NE(a.find("200"), std::string::npos);
  EXPECT_NE(a.find("50"), std::string::npos);
}

TEST(simulator, ids_and_totals_as_strings) {
  auto o = quiet(3);
  o.ids_as_strings = true;
  running_simulator s(o);
  client c(s.port());
  c.login();
  EXPECT_EQ(c.get("/rest/v1/log/list").json()["total"], "3");
  const auto disks = c.get("/rest/v1/storage/disk/list").json()["disks"];
  EXPECT_EQ(disks[3]["slot"], "3");
  const auto pools = c.get("/rest/v1/storage/pool/list").json()["pools"];
  EXPECT_TRUE(pools[0]["id"].is_string());
  EXPECT_EQ(pools[0]["raidsets"][1]["id"], "1");
  EXPECT_TRUE(c.get("/rest/v1/storage/volume/list").json()["volumes"][0]["id"].is_string());
}

TEST(simulator, https_with_a_generated_certificate) {
  qsanfwd::test::temp_dir dir;
  const auto cert = qsanfwd::test::make_tls_cert(dir.path());
  EXPECT_EQ(cert.sha256_fingerprint.size(), 64U);
  EXPECT_EQ(cert.sha256_fingerprint.find_first_not_of("0123456789abcdef"), std::string::npos);
  auto o = quiet(5);
  o.cert_file = cert.cert_file.string();
  o.key_file = cert.key_file.string();
  running_simulator s(o);
  EXPECT_EQ(s.base_url().rfind("https://127.0.0.1:", 0), 0U);
  client c(s.port(), cert.cert_file.string());
  c.login();
  EXPECT_EQ(c.get("/rest/v1/log/list").json()["total"], 5);
  client plain(s.port());
  EXPECT_EQ(plain.get("/rest/v1/log/list", std::chrono::seconds(2)).status, 0U);
}

TEST(simulator, many_instances_share_one_io_context) {
  boost::asio::io_context io;
  std::list<simulator> sims;
  for (int i = 0; i < 50; ++i) {
    auto o = quiet(10);
    o.live_rate = 5;
    sims.emplace_back(io, o).start();
  }
  std::thread runner([&io] { io.run(); });
  for (auto& s : sims) {
    client c(s.port());
    c.login();
    EXPECT_EQ(c.get("/rest/v1/log/list?pageSize=1").status, 200U);
  }
  for (auto& s : sims) {
    s.stop();
  }
  runner.join();  // stopping every simulator leaves the io_context without work
}

TEST(simulator, micro_timing_of_a_thousand_line_page) {
  running_simulator s(quiet(200000));
  client c(s.port());
  c.login();
  const auto start = std::chrono::steady_clock::now();
  constexpr int rounds = 20;
  for (int i = 0; i < rounds; ++i) {
    ASSERT_EQ(c.get("/rest/v1/log/list?startTime=0&pageNumber=" + std::to_string(i + 1)).status,
              200U);
  }
  const auto each = (std::chrono::steady_clock::now() - start) / rounds;
  std::cout << "1000-line page, request round trip incl. connect: "
            << std::chrono::duration_cast<std::chrono::microseconds>(each).count() << " us\n";
}

}  // namespace
}  // namespace qsanfwd::sim
