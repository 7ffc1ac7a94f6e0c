// GET /api/status: the JSON built from a snapshot (fields, escaping, rates) and the endpoint
// over a real queue.
#include "agent/app/status_view.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "agent/store/event_queue.hpp"
#include "tests/support/temp_dir.hpp"

namespace qsanfwd::app {
namespace {

constexpr std::int64_t now = 1'796'000'000;

open_alarm disk_alarm(std::string message) {
  open_alarm a;
  a.key = {"array-01", "disk", "e0d3", "health"};
  a.severity = severity::critical;
  a.since = now - 100;
  a.updated_at = now - 100;
  a.event_id = "0f3c";
  a.message = std::move(message);
  return a;
}

agent_snapshot sample_snapshot() {
  agent_snapshot s;
  s.now = now;
  device_metrics up;
  up.name = "array-01";
  up.state = device::device_state::reachable;
  up.checkpoint = now - 10;
  up.logs.lines_queued = 120;
  up.logs.last_success_unix = now - 5;
  up.health.last_success_unix = now - 2;
  device_metrics down;
  down.name = "array-02";
  down.state = device::device_state::unreachable;
  down.logs_enabled = false;
  down.checkpoint = now - 3000;  // of an earlier run: logs are off now
  down.health_error = "connect: refused";
  s.devices = {up, down};
  pipeline::sink_status siem;
  siem.name = "siem";
  siem.delivered = 5000;
  siem.retried = 3;
  siem.retrying = true;
  siem.last_error = "503 from collector";
  s.sinks = {siem};
  s.sink_backlog = {queue_span{10, 4096, 42}};
  s.alarms = {disk_alarm("Disk e0d3 changed from Good to Failed")};
  return s;
}

nlohmann::json build(const agent_snapshot& s, const status_context& c) {
  return nlohmann::json::parse(status_json(s, c));
}

TEST(status_view, fields_follow_the_contract) {
  const auto s = sample_snapshot();
  const auto j = build(s, {now - 3600, {{"http", now - 3}}, 0, nullptr});
  EXPECT_EQ(j["now"], now);
  EXPECT_EQ(j["started_at"], now - 3600);
  EXPECT_TRUE(j["version"].is_string());
  EXPECT_EQ(j["summary"], nlohmann::json::parse(R"({"alarms":1,"critical":1,"devices":2,
      "devices_down":1,"sinks":1,"sinks_failing":1})"));
  EXPECT_EQ(j["alarms"][0], nlohmann::json::parse(R"({"device":"array-01","component":"disk",
      "component_id":"e0d3","attribute":"health","severity":"critical","since":1795999900,
      "since_time":"2026-11-30T00:51:40Z","event_id":"0f3c",
      "message":"Disk e0d3 changed from Good to Failed"})"));
  EXPECT_EQ(j["devices"][0], nlohmann::json::parse(R"({"name":"array-01","state":"reachable",
      "alarms":1,"checkpoint":1795999990,"checkpoint_lag_seconds":10,"lines":120,
      "lines_per_second":0,"last_poll":1795999998,"last_error":""})"));
  EXPECT_EQ(j["devices"][1], nlohmann::json::parse(R"({"name":"array-02","state":"unreachable",
      "alarms":0,"checkpoint":null,"checkpoint_lag_seconds":null,"lines":0,
      "lines_per_second":0,"last_poll":null,"last_error":"connect: refused"})"));
  EXPECT_EQ(j["sinks"][0], nlohmann::json::parse(R"({"name":"siem","type":"http",
      "state":"retrying","queue_events":10,"queue_bytes":4096,"oldest_age_seconds":3,
      "delivered":5000,"delivered_per_second":0,"retries":3,"last_error":"503 from collector"})"));
}

TEST(status_view, an_empty_agent_is_valid_json) {
  agent_snapshot s;
  s.now = now;
  const auto j = build(s, {});
  EXPECT_TRUE(j["alarms"].empty());
  EXPECT_TRUE(j["devices"].empty());
  EXPECT_TRUE(j["sinks"].empty());
}

TEST(status_view, both_poll_errors_are_named) {
  auto s = sample_snapshot();
  s.devices[0].logs_error = "timeout";
  s.devices[0].health_error = "401";
  EXPECT_EQ(build(s, {})["devices"][0]["last_error"], "logs: timeout; health: 401");
}

TEST(status_view, an_empty_queue_has_no_age) {
  auto s = sample_snapshot();
  s.sink_backlog = {queue_span{0, 0, 42}};
  EXPECT_TRUE(
      build(s, {0, {{"file", now - 3}}, 0, nullptr})["sinks"][0]["oldest_age_seconds"].is_null());
}

TEST(status_view, hostile_strings_stay_strings) {
  const std::string hostile =
      "</script><img src=x onerror=alert(1)> \"quoted\" back\\slash\nnew\tline \x01\x1f "
      "\xff\xfe bad utf-8";
  auto s = sample_snapshot();
  s.alarms = {disk_alarm(hostile)};
  s.alarms[0].key.component_id = hostile;
  s.devices[0].name = hostile;
  s.devices[0].logs_error = hostile;
  s.sinks[0].last_error = hostile;
  const auto text = status_json(s, {});
  // No raw control character reaches the text: the JSON parses and reads back the same.
  EXPECT_EQ(std::count_if(text.begin(), text.end(),
                          [](char ch) { return static_cast<unsigned char>(ch) < 0x20; }),
            0);
  const auto j = nlohmann::json::parse(text);
  const std::string read_as =
      "</script><img src=x onerror=alert(1)> \"quoted\" back\\slash\nnew\tline \x01\x1f "
      "\xef\xbf\xbd\xef\xbf\xbd bad utf-8";
  EXPECT_EQ(j["alarms"][0]["message"], read_as);
  EXPECT_EQ(j["alarms"][0]["component_id"], read_as);
  EXPECT_EQ(j["devices"][0]["name"], read_as);
  EXPECT_EQ(j["devices"][0]["last_error"], read_as);
  EXPECT_EQ(j["sinks"][0]["last_error"], read_as);
}

TEST(status_view, rates_come_from_the_sample_before) {
  auto s = sample_snapshot();
  status_totals before = totals_of(s, 100);
  before.lines["array-01"] = 100;   // 20 lines since
  before.delivered["siem"] = 4950;  // 50 delivered since
  before.lines.erase("array-02");   // a device added since: no rate yet
  const auto j = build(s, {0, {}, 104, &before});
  EXPECT_EQ(j["devices"][0]["lines_per_second"], 5.0);
  EXPECT_EQ(j["devices"][1]["lines_per_second"], 0);
  EXPECT_EQ(j["sinks"][0]["delivered_per_second"], 12.5);
  // A total that went back (a counter reset) reads as no rate, not a negative one.
  before.lines["array-01"] = 500;
  EXPECT_EQ(build(s, {0, {}, 104, &before})["devices"][0]["lines_per_second"], 0);
  // Two decimals.
  before.lines["array-01"] = 119;
  EXPECT_EQ(build(s, {0, {}, 103, &before})["devices"][0]["lines_per_second"], 0.33);
}

TEST(status_view, the_window_keeps_about_five_seconds) {
  rate_window w;
  EXPECT_EQ(w.base(), nullptr);
  const auto at = [](double t) {
    status_totals x;
    x.at = t;
    return x;
  };
  w.add(at(0));
  w.add(at(0.5));  // under a second after the last: not kept
  ASSERT_NE(w.base(), nullptr);
  EXPECT_EQ(w.base()->at, 0);
  for (double t = 1; t <= 9; ++t) {
    w.add(at(t));
  }
  // The newest sample at least five seconds before the last one (9).
  EXPECT_EQ(w.base()->at, 4);
}

TEST(status_view, the_endpoint_reads_the_oldest_queued_event) {
  test::temp_dir dir;
  auto store = state_store::open(dir.path());
  event_queue queue(*store);
  event old;
  old.id = "a";
  old.device = "array-01";
  old.timestamp = now - 30;
  old.message = "first";
  queue.append(old);
  queue.ensure_cursor("siem", 0);

  auto s = sample_snapshot();
  s.sinks[0].cursor = 0;
  s.sink_backlog = {queue.span_after(0)};
  config::sink_config siem;
  siem.name = "siem";
  siem.type = "syslog";
  status_endpoint endpoint(now - 60);
  const auto r = endpoint.reply(s, {siem}, queue);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/json");
  const auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["started_at"], now - 60);
  EXPECT_EQ(j["sinks"][0]["type"], "syslog");
  EXPECT_EQ(j["sinks"][0]["queue_events"], 1);
  EXPECT_EQ(j["sinks"][0]["oldest_age_seconds"], 30);
}

}  // namespace
}  // namespace qsanfwd::app
