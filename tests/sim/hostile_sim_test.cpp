// The knobs of a misbehaving array (issue 23): the simulator answers as configured.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "agent/core/time.hpp"
#include "sim/hostile.hpp"
#include "sim/simulator.hpp"
#include "tests/sim/sim_client.hpp"
#include "tests/support/wait.hpp"

namespace qsanfwd::sim {
namespace {

using nlohmann::json;
using qsanfwd::test::wait_until;
using test::client;
using test::quiet;

std::vector<std::string> messages(const json& page) {
  std::vector<std::string> out;
  for (const auto& l : page["logs"]) {
    out.push_back(l["message"]);
  }
  return out;
}

std::vector<std::string> messages(const std::vector<log_line>& lines) {
  std::vector<std::string> out;
  for (const auto& l : lines) {
    out.push_back(l.message);
  }
  return out;
}

options with(hostile_settings h, std::size_t backlog = 0) {
  auto o = quiet(backlog);
  o.hostile = h;
  return o;
}

TEST(sim_hostile, ignore_page_number_serves_page_one) {
  hostile_settings h;
  h.ignore_page_number = true;
  running_simulator s(with(h, 30));
  client c(s.port());
  c.login();
  const auto one = c.get("/rest/v1/log/list?pageSize=10&pageNumber=1").json();
  const auto three = c.get("/rest/v1/log/list?pageSize=10&pageNumber=3").json();
  EXPECT_EQ(messages(three), messages(one));
  EXPECT_EQ(three["total"], 30);
  EXPECT_TRUE(three["haveNextPage"]);
}

TEST(sim_hostile, always_next_page_even_past_the_end) {
  hostile_settings h;
  h.always_next_page = true;
  running_simulator s(with(h, 5));
  client c(s.port());
  c.login();
  const auto last = c.get("/rest/v1/log/list?pageSize=10").json();
  EXPECT_EQ(last["logs"].size(), 5U);
  EXPECT_TRUE(last["haveNextPage"]);
  const auto beyond = c.get("/rest/v1/log/list?pageSize=10&pageNumber=7").json();
  EXPECT_TRUE(beyond["logs"].empty());
  EXPECT_TRUE(beyond["haveNextPage"]);
}

TEST(sim_hostile, ignore_start_time_returns_the_whole_log) {
  hostile_settings h;
  h.ignore_start_time = true;
  running_simulator s(with(h, 20));
  client c(s.port());
  c.login();
  const auto future = std::to_string(unix_now() + 100000);
  EXPECT_EQ(c.get("/rest/v1/log/list?startTime=" + future).json()["total"], 20);
}

TEST(sim_hostile, total_missing_constant_or_shrinking) {
  hostile_settings h;
  h.total = total_mode::missing;
  running_simulator s(with(h, 20));
  client c(s.port());
  c.login();
  const auto page = [&] { return c.get("/rest/v1/log/list?pageSize=5").json(); };
  const auto missing = page();
  EXPECT_FALSE(missing.contains("total"));
  EXPECT_EQ(missing["logs"].size(), 5U);
  h.total = total_mode::constant;
  s->set_hostile(h);
  EXPECT_EQ(page()["total"], 1);
  h.total = total_mode::shrinking;
  s->set_hostile(h);
  const auto a = page()["total"].get<int>();
  const auto b = page()["total"].get<int>();
  EXPECT_LT(a, 20);
  EXPECT_EQ(b, a - 1);
  EXPECT_EQ(page()["logs"].size(), 5U);  // only the count lies
}

TEST(sim_hostile, oversize_pages_hold_more_than_page_size) {
  hostile_settings h;
  h.oversize_pages = 3;
  running_simulator s(with(h, 100));
  client c(s.port());
  c.login();
  const auto j = c.get("/rest/v1/log/list?pageSize=10&pageNumber=2").json();
  ASSERT_EQ(j["logs"].size(), 30U);
  // The page starts where page 2 starts: the 11th newest line.
  const auto ledger = s->ledger();
  EXPECT_EQ(j["logs"][0]["message"], ledger[ledger.size() - 11].message);
}

TEST(sim_hostile, ring_drops_the_oldest_and_the_ledger_keeps_them) {
  hostile_settings h;
  h.max_log_lines = 10;
  running_simulator s(with(h, 25));
  EXPECT_EQ(s->log_count(), 10U);
  const auto ledger = s->ledger();
  ASSERT_EQ(ledger.size(), 25U);
  const auto dropped = s->dropped();
  EXPECT_EQ(messages(dropped), messages(std::vector<log_line>(ledger.begin(), ledger.begin() + 15)));
  client c(s.port());
  c.login();
  const auto j = c.get("/rest/v1/log/list?startTime=0").json();
  EXPECT_EQ(j["total"], 10);
  EXPECT_EQ(j["logs"].back()["message"], ledger[15].message);  // the oldest still held

  s->add_logs(4);
  EXPECT_EQ(s->log_count(), 10U);
  EXPECT_EQ(s->dropped().size(), 19U);
  EXPECT_EQ(s->ledger().size(), 29U);
  EXPECT_EQ(s->stats().dropped_lines, 19U);
}

TEST(sim_hostile, a_ring_set_at_run_time_drops_at_once) {
  running_simulator s(quiet(50));
  hostile_settings h;
  h.max_log_lines = 20;
  s->set_hostile(h);
  EXPECT_EQ(s->log_count(), 20U);
  EXPECT_EQ(s->dropped().size(), 30U);
}

TEST(sim_hostile, clear_log_empties_the_array_not_the_ledger) {
  running_simulator s(quiet(12));
  client c(s.port());
  c.login();
  s->clear_log();
  EXPECT_EQ(c.get("/rest/v1/log/list").json()["total"], 0);
  EXPECT_EQ(s->dropped().size(), 12U);
  ASSERT_TRUE(s->add_log({unix_now(), "info", "after the clearing"}));
  EXPECT_EQ(c.get("/rest/v1/log/list").json()["total"], 1);
  EXPECT_EQ(s->ledger().size(), 13U);
  // The same over the control interface.
  EXPECT_EQ(c.post("/_sim/log/clear", json::object()).status, 200U);
  EXPECT_EQ(s->log_count(), 0U);
  const auto dropped = c.get("/_sim/dropped").json()["logs"];
  ASSERT_EQ(dropped.size(), 13U);
  EXPECT_EQ(dropped[12]["message"], "after the clearing");
}

TEST(sim_hostile, nested_timestamp_leads_the_next_page) {
  running_simulator s(quiet(3));
  client c(s.port());
  c.login();
  s->send_next(hostile_body::nested_timestamp, 1);
  const auto body = c.get("/rest/v1/log/list").body;
  const std::string head = R"({"logs":[{"type":"error","timestamp":[[[)";
  ASSERT_EQ(body.substr(0, head.size()), head);
  const auto depth = body.find_first_not_of('[', head.size() - 3) - (head.size() - 3);
  EXPECT_EQ(depth, 75'000U);
  EXPECT_GT(body.size(), 150'000U);
  // The real lines follow, and the next answer is plain again.
  const std::string end_of_line = R"(firmware."},)";
  const auto rest = R"({"logs":[)" + body.substr(body.find(end_of_line) + end_of_line.size());
  EXPECT_EQ(json::parse(rest)["logs"].size(), 3U);
  EXPECT_EQ(c.get("/rest/v1/log/list").json()["logs"].size(), 3U);
  EXPECT_EQ(s->stats().hostile_bodies["nested_timestamp"], 1U);
}

TEST(sim_hostile, nested_and_junk_health_in_an_ignored_field) {
  hostile_settings h;
  h.nesting_depth = 500;  // small enough to parse here
  h.health_junk_mb = 1;
  running_simulator s(with(h));
  client c(s.port());
  c.login();
  s->send_next(hostile_body::nested_health, 2);
  const auto enc = c.get("/rest/v1/hardware/all/info?moreInfo=true").json();
  EXPECT_TRUE(enc[0]["info"].contains("sysHealth"));
  EXPECT_TRUE(enc[0]["info"]["oemData"].is_array());
  const auto disks = c.get("/rest/v1/storage/disk/list").json();
  EXPECT_EQ(disks["disks"].size(), 12U);
  EXPECT_EQ(disks["disks"][0]["id"], "e0d0");
  EXPECT_TRUE(disks["disks"][0]["oemData"][0][0].is_array());
  s->send_next(hostile_body::health_junk, 1);
  const auto junk = c.get("/rest/v1/storage/disk/list");
  EXPECT_GT(junk.body.size(), 1U << 20);
  EXPECT_LT(junk.body.size(), (1U << 20) + 16384);  // the junk and a normal disk list
  EXPECT_GT(junk.json()["disks"][0]["oemData"].size(), 100'000U);
  EXPECT_EQ(junk.json()["disks"].size(), 12U);
  // Log pages and the enclosure list are not health answers of this kind.
  s->send_next(hostile_body::health_junk, 1);
  EXPECT_LT(c.get("/rest/v1/log/list").body.size(), 1000U);
  EXPECT_LT(c.get("/rest/v1/hardware/info").body.size(), 1000U);
}

TEST(sim_hostile, the_bodies_at_full_size) {
  EXPECT_EQ(nested_array(75'000).size(), 150'001U);
  const auto huge = huge_log_page(1'000'000, 1'700'000'000);
  EXPECT_GT(huge.size(), 55'000'000U);
  EXPECT_LT(huge.size(), 64'000'000U);
  std::string empty_page = R"({"logs":[],"total":0,"haveNextPage":false})";
  prepend_nested_line(empty_page, 3);
  EXPECT_EQ(json::parse(empty_page)["logs"][0]["timestamp"], json::parse("[[[1]]]"));
}

TEST(sim_hostile, huge_page_whatever_the_page_size) {
  hostile_settings h;
  h.huge_page_lines = 20'000;
  h.body_chance[static_cast<std::size_t>(hostile_body::huge_page)] = 1;
  running_simulator s(with(h, 5));
  client c(s.port());
  c.login();
  const auto j = c.get("/rest/v1/log/list?pageSize=10").json();
  EXPECT_EQ(j["logs"].size(), 20'000U);
  EXPECT_EQ(c.get("/rest/v1/storage/disk/list").json()["disks"].size(), 12U);
}

TEST(sim_hostile, endless_chunked_keeps_sending_until_the_client_goes) {
  running_simulator s(quiet(5));
  client c(s.port());
  c.login();
  s->send_next(hostile_body::endless_chunked, 1);
  constexpr std::size_t limit = 48U << 20;
  const auto r = c.get_raw("/rest/v1/log/list", limit, std::chrono::seconds(20));
  EXPECT_FALSE(r.error) << r.error.message();
  EXPECT_GE(r.bytes, limit);
  EXPECT_NE(r.head.find("Transfer-Encoding: chunked"), std::string::npos);
  EXPECT_NE(r.head.find(R"({"logs":[)"), std::string::npos);
  // The simulator is not held up by it.
  EXPECT_EQ(c.get("/rest/v1/log/list").json()["total"], 5);
}

TEST(sim_hostile, latin1_bytes_are_sent_raw_and_stable) {
  hostile_settings h;
  h.latin1_ratio = 0.3;
  running_simulator s(with(h, 200));
  const std::string latin1 = "J\xf6"
                             "rg";
  const auto ledger = s->ledger();
  const auto n = std::count_if(ledger.begin(), ledger.end(), [&](const log_line& l) {
    return l.message.find(latin1) != std::string::npos;
  });
  EXPECT_GT(n, 20);
  EXPECT_LT(n, 120);
  client c(s.port());
  c.login();
  const auto first = c.get("/rest/v1/log/list?pageSize=200").body;
  EXPECT_NE(first.find(latin1), std::string::npos);
  EXPECT_EQ(c.get("/rest/v1/log/list?pageSize=200").body, first);
  // A line added verbatim goes out byte for byte too.
  ASSERT_TRUE(s->add_log({unix_now(), "access", "User 'Ren\xe9' is logout."}));
  EXPECT_NE(c.get("/rest/v1/log/list?pageSize=1").body.find("Ren\xe9"), std::string::npos);
}

TEST(sim_hostile, token_with_crlf_smuggles_a_header) {
  hostile_settings h;
  h.token_crlf = true;
  running_simulator s(with(h, 1));
  client c(s.port());
  const auto auth = c.login();
  const std::string token = auth["accessToken"];
  EXPECT_NE(token.find("\r\nX-Injected: "), std::string::npos);
  // A client that copies it blindly still gets in, and the header it did not mean is counted.
  EXPECT_EQ(c.get_raw("/rest/v1/log/list", 1U << 20).head.substr(0, 12), "HTTP/1.1 200");
  EXPECT_EQ(s->stats().injected_headers, 1U);
}

TEST(sim_hostile, a_line_from_the_year_2100_and_a_clock_that_jumps) {
  running_simulator s(quiet(3));
  client c(s.port());
  c.login();
  constexpr std::int64_t year_2100 = 4'102'444'800;
  ASSERT_TRUE(s->add_log({year_2100, "info", "from the future"}));
  EXPECT_EQ(c.get("/rest/v1/log/list").json()["logs"][0]["timestamp"], year_2100);

  const auto date_of = [&] { return parse_http_date(c.get("/rest/v1/log/list").date); };
  s->set_clock_offset(3 * 86400);
  EXPECT_NEAR(static_cast<double>(*date_of()), static_cast<double>(unix_now() + 3 * 86400), 2.0);
  s->add_logs(1);
  EXPECT_NEAR(static_cast<double>(s->ledger().back().timestamp),
              static_cast<double>(unix_now() + 3 * 86400), 2.0);
  ASSERT_EQ(c.post("/_sim/clock", {{"offset", -7200}}).status, 200U);
  EXPECT_NEAR(static_cast<double>(*date_of()), static_cast<double>(unix_now() - 7200), 2.0);
  s->add_logs(1);
  EXPECT_NEAR(static_cast<double>(s->ledger().back().timestamp),
              static_cast<double>(unix_now() - 7200), 2.0);
}

TEST(sim_hostile, control_interface_sets_the_knobs) {
  running_simulator s(quiet(30));
  client c(s.port());
  c.login();
  ASSERT_EQ(c.post("/_sim/hostile", {{"ignorePageNumber", true},
                                     {"total", "missing"},
                                     {"maxLogLines", 25},
                                     {"hugePage", 0.5}})
                .status,
            200U);
  const auto h = s->hostile();
  EXPECT_TRUE(h.ignore_page_number);
  EXPECT_FALSE(h.always_next_page);
  EXPECT_EQ(h.total, total_mode::missing);
  EXPECT_EQ(h.body_chance[static_cast<std::size_t>(hostile_body::huge_page)], 0.5);
  EXPECT_EQ(s->log_count(), 25U);
  EXPECT_EQ(c.post("/_sim/hostile", {{"total", "sometimes"}}).status, 400U);
  EXPECT_EQ(c.post("/_sim/hostile", {{"endlessChunked", 2}}).status, 400U);
  EXPECT_EQ(c.post("/_sim/hostile", {{"tokenCrlf", "yes"}}).status, 400U);
  EXPECT_EQ(s->hostile().total, total_mode::missing);  // a refused update changes nothing
  ASSERT_EQ(c.post("/_sim/hostile", {{"hugePage", 0}}).status, 200U);
  ASSERT_EQ(c.post("/_sim/hostile/next", {{"kind", "nested_timestamp"}, {"count", 2}}).status,
            200U);
  EXPECT_EQ(c.post("/_sim/hostile/next", {{"kind", "gremlins"}}).status, 400U);
  for (int i = 0; i < 3; ++i) {
    c.get("/rest/v1/log/list");
  }
  EXPECT_EQ(c.get("/_sim/stats").json()["hostileBodies"]["nested_timestamp"], 2);
  EXPECT_THROW(
      {
        hostile_settings bad;
        bad.latin1_ratio = 1.5;
        s->set_hostile(bad);
      },
      std::invalid_argument);
}

}  // namespace
}  // namespace qsanfwd::sim
