// `qsanfwd status` from a state store with known content: devices, sinks, text and JSON.
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

#include "agent/app/status_command.hpp"
#include "agent/core/event.hpp"
#include "agent/logs/log_state.hpp"
#include "agent/store/device_activity.hpp"
#include "agent/store/event_queue.hpp"
#include "tests/support/temp_dir.hpp"

namespace qsanfwd::app {
namespace {

constexpr std::int64_t now = 1'800'000'000;

event log_event(std::int64_t t, std::string message) {
  event e;
  e.id = "id-" + std::to_string(t);
  e.device = "array-01";
  e.timestamp = t;
  e.type = "info";
  e.message = std::move(message);
  return e;
}

class status_test : public ::testing::Test {
 protected:
  void SetUp() override {
    cfg_.state_dir = dir_.path();
    config::device_config d1;
    d1.name = "array-01";
    d1.url = "https://192.0.2.10";
    config::device_config d2;
    d2.name = "array-02";
    d2.url = "https://192.0.2.11";
    cfg_.devices = {d1, d2};
    config::sink_config archive;
    archive.name = "archive";
    archive.type = "file";
    config::sink_config siem;
    siem.name = "siem";
    siem.type = "syslog";
    siem.pace = {1000, 100};
    config::sink_config fresh;
    fresh.name = "fresh";
    fresh.type = "file";
    cfg_.sinks = {archive, siem, fresh};

    auto store = state_store::open(dir_.path());
    event_queue queue(*store);
    for (int i = 0; i < 4; ++i) {
      queue.append(log_event(now - 600 + i * 60, "line " + std::to_string(i)));
    }
    queue.ensure_cursor("archive", 0);
    cursor_move archived;
    archived.delivered = 4;
    queue.advance_cursor("archive", 4, archived);
    queue.ensure_cursor("siem", 0);
    queue.advance_cursor("siem", 1, {.delivered = 1, .retried = 7, .rejected = 0, .dropped = 0});
    // The archive refused events once and delivers since; the SIEM fails since 2 minutes and
    // its reason changed meanwhile (the stretch keeps its start).
    queue.note_sink_error("archive", "2 event(s) rejected: not JSON", now - 7200, false);
    queue.note_sink_error("siem", "connection refused", now - 120, true);
    queue.note_sink_error("siem", "proxy 127.0.0.1:3128 refused CONNECT", now - 15, true);
    logs::checkpoint cp;
    cp.start_time = now - 90;
    logs::log_state(*store, "array-01").save(cp);
    store->database().exec("UPDATE log_checkpoints SET updated_at = " + std::to_string(now - 30));
    record_poll_success(*store, "array-01", "logs", now - 5);
    record_poll_success(*store, "array-01", "health", now - 50);
    record_poll_failure(*store, "array-01", "health", now - 20,
                        "HTTP 503 from /rest/v1/storage/disk/list");
    record_poll_failure(*store, "array-01", "health", now - 10,
                        "HTTP 503 from /rest/v1/storage/disk/list");
    // Bytes of invalid UTF-8, tallied over two flushes; a later success resets nothing.
    record_poll_count(*store, "array-01", "invalid_utf8", now - 100, 3, "not UTF-8");
    record_poll_count(*store, "array-01", "invalid_utf8", now - 40, 2, "not UTF-8");
  }

  test::temp_dir dir_;
  config::agent_config cfg_;
};

TEST_F(status_test, json_reports_devices_and_sinks_from_the_store) {
  auto reader = state_store::open_read_only(dir_.path());
  const auto s = collect_status(cfg_, *reader, now);
  EXPECT_EQ(s["queue"]["events"], 4);
  const auto& a1 = s["devices"][0];
  EXPECT_EQ(a1["name"], "array-01");
  EXPECT_EQ(a1["checkpoint"]["time"], "2027-01-15T07:58:30Z");
  EXPECT_EQ(a1["checkpoint"]["moved"]["age_seconds"], 30);
  EXPECT_EQ(a1["lag_seconds"], 90);
  EXPECT_EQ(a1["logs"]["last_success"]["age_seconds"], 5);
  EXPECT_EQ(a1["logs"]["consecutive_failures"], 0);
  EXPECT_TRUE(a1["logs"]["last_error"].is_null());
  EXPECT_EQ(a1["health"]["last_success"]["age_seconds"], 50);
  EXPECT_EQ(a1["health"]["last_failure"]["age_seconds"], 10);
  EXPECT_EQ(a1["health"]["consecutive_failures"], 2);
  EXPECT_EQ(a1["health"]["last_error"], "HTTP 503 from /rest/v1/storage/disk/list");
  const auto& a2 = s["devices"][1];
  EXPECT_TRUE(a2["checkpoint"].is_null());
  EXPECT_TRUE(a2["logs"].is_null());
  EXPECT_EQ(a1["invalid_utf8"]["bytes"], 5);
  EXPECT_EQ(a1["invalid_utf8"]["last"]["age_seconds"], 40);
  EXPECT_TRUE(a2["invalid_utf8"].is_null());

  const auto& archive = s["sinks"][0];
  EXPECT_EQ(archive["undelivered_events"], 0);
  EXPECT_EQ(archive["delivered"], 4);
  EXPECT_TRUE(archive["oldest_undelivered"].is_null());
  const auto& siem = s["sinks"][1];
  EXPECT_EQ(siem["undelivered_events"], 3);
  EXPECT_GT(siem["undelivered_bytes"].get<std::int64_t>(), 3 * 50);
  EXPECT_EQ(siem["oldest_undelivered"]["age_seconds"], 540);  // the second event
  EXPECT_EQ(siem["retried"], 7);
  EXPECT_EQ(siem["failing_since"]["age_seconds"], 120);
  EXPECT_EQ(siem["last_error"]["what"], "proxy 127.0.0.1:3128 refused CONNECT");
  EXPECT_EQ(siem["last_error"]["at"]["age_seconds"], 15);
  EXPECT_TRUE(archive["failing_since"].is_null());
  EXPECT_EQ(archive["last_error"]["what"], "2 event(s) rejected: not JSON");
  EXPECT_FALSE(s["sinks"][2].contains("last_error"));  // not started: nothing to tell
  EXPECT_EQ(siem["rate_limit"].dump(), R"({"events_per_second":1000,"burst":100})");
  EXPECT_EQ(archive["rate_limit"].dump(), R"({"events_per_second":0})");
  EXPECT_EQ(s["sinks"][2]["started"], false);
  EXPECT_EQ(s["sinks"][2]["rate_limit"]["events_per_second"], 0);
}

TEST_F(status_test, text_names_what_fails_and_what_waits) {
  auto reader = state_store::open_read_only(dir_.path());
  std::ostringstream out;
  print_status(collect_status(cfg_, *reader, now), out);
  const auto text = out.str();
  const auto has = [&](const std::string& line) {
    EXPECT_NE(text.find(line), std::string::npos) << "no \"" << line << "\" in\n" << text;
  };
  has("queue holds 4 events");
  has("  array-01  https://192.0.2.10\n"
      "    checkpoint 2027-01-15T07:58:30Z (lag 90s), moved 2027-01-15T07:59:30Z (30s ago)\n"
      "    logs    last ok 2027-01-15T07:59:55Z (5s ago)\n"
      "    health  last ok 2027-01-15T07:59:10Z (50s ago)\n"
      "            FAILING (2 in a row) since 2027-01-15T07:59:50Z (10s ago): HTTP 503 from "
      "/rest/v1/storage/disk/list\n"
      "    utf8    5 bytes of invalid UTF-8 read as U+FFFD, the last 2027-01-15T07:59:20Z (40s "
      "ago)\n");
  has("  array-02  https://192.0.2.11\n    logs    no checkpoint yet\n");
  has("  archive (file, unpaced)\n");
  has("  siem (syslog, 1000 events/s, burst 100)\n    undelivered 3 events");
  has("oldest 2027-01-15T07:51:00Z (9m ago)\n"
      "    delivered 1, retried 7, rejected 0, dropped 0, filtered 0\n"
      "    FAILING since 2027-01-15T07:58:00Z (2m ago): proxy 127.0.0.1:3128 refused CONNECT\n");
  has("    last error 2027-01-15T06:00:00Z (2h ago): 2 event(s) rejected: not JSON\n");
  has("  fresh (file, unpaced)\n    not started yet\n");
}

}  // namespace
}  // namespace qsanfwd::app

namespace qsanfwd::app {
namespace {

TEST(status_of_a_fleet, starts_with_a_summary_shows_only_failing_devices_and_one_on_request) {
  test::temp_dir dir;
  config::agent_config cfg;
  cfg.state_dir = dir.path();
  for (int i = 0; i < 1000; ++i) {
    config::device_config d;
    d.name = "array-" + std::to_string(1000 + i);
    d.url = "https://192.0.2.1";
    cfg.devices.push_back(d);
  }
  {
    auto store = state_store::open(dir.path());
    for (const auto& d : cfg.devices) {
      record_poll_success(*store, d.name, "logs", now - 5);
    }
    record_poll_failure(*store, "array-1007", "logs", now - 3, "HTTP 401 from /auth/get");
    record_poll_failure(*store, "array-1993", "health", now - 3, "connection refused");
  }
  auto reader = state_store::open_read_only(dir.path());
  const auto s = collect_status(cfg, *reader, now);
  EXPECT_EQ(s["summary"]["devices"], 1000);
  EXPECT_EQ(s["summary"]["failing"], (nlohmann::ordered_json{"array-1007", "array-1993"}));
  std::ostringstream text;
  print_status(s, text);
  const auto out = text.str();
  EXPECT_NE(out.find("devices: 1000, 2 failing\n"), std::string::npos) << out;
  EXPECT_NE(out.find("  array-1007  "), std::string::npos) << out;
  EXPECT_NE(out.find("HTTP 401 from /auth/get"), std::string::npos) << out;
  EXPECT_NE(out.find("  array-1993  "), std::string::npos) << out;
  EXPECT_EQ(out.find("  array-1500  "), std::string::npos) << "a device polling well is left out";
  EXPECT_NE(out.find("(998 more polling well: --device NAME shows one, --json all)"),
            std::string::npos)
      << out;
  EXPECT_LT(std::count(out.begin(), out.end(), '\n'), 40) << "readable";

  const auto one = collect_status(cfg, *reader, now, "array-1500");
  ASSERT_EQ(one["devices"].size(), 1u);
  EXPECT_EQ(one["devices"][0]["name"], "array-1500");
  std::ostringstream one_text;
  print_status(one, one_text);
  EXPECT_NE(one_text.str().find("  array-1500  "), std::string::npos) << one_text.str();
}

}  // namespace
}  // namespace qsanfwd::app
