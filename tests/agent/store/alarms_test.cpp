#include "agent/store/alarms.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "agent/store/event_queue.hpp"
#include "tests/support/temp_dir.hpp"

namespace qsanfwd {
namespace {

event health(std::string device, std::string id, severity level, std::int64_t at,
             std::string attribute = "health") {
  event e;
  e.kind = event_kind::health;
  e.device = std::move(device);
  e.component = "disk";
  e.component_id = std::move(id);
  e.attribute = std::move(attribute);
  e.severity = level;
  e.timestamp = at;
  e.id = "ev-" + e.component_id + "-" + std::to_string(at);
  e.message = "disk " + e.component_id + " at " + std::to_string(at);
  return e;
}

event agent(std::string device, std::string type, std::int64_t at) {
  event e;
  e.kind = event_kind::agent;
  e.device = std::move(device);
  e.type = std::move(type);
  e.severity = severity::warning;
  e.timestamp = at;
  e.id = "ag-" + e.type + "-" + std::to_string(at);
  return e;
}

struct alarms_test : ::testing::Test {
  test::temp_dir dir;
  std::unique_ptr<state_store> store = state_store::open(dir.path());

  void apply(std::vector<event> events) { apply_alarms(*store, events); }
  std::vector<open_alarm> open(std::int64_t now = 1000) { return load_open_alarms(*store, now); }
};

TEST_F(alarms_test, a_failure_opens_an_alarm_and_its_recovery_on_the_same_key_closes_it) {
  apply({health("a1", "e0d1", severity::warning, 100)});
  apply({health("a1", "e0d1", severity::critical, 200)});
  auto now = open();
  ASSERT_EQ(now.size(), 1u);
  EXPECT_EQ(now[0].key, (alarm_key{"a1", "disk", "e0d1", "health"}));
  EXPECT_EQ(now[0].severity, severity::critical) << "the worse word replaced the first";
  EXPECT_EQ(now[0].since, 100) << "in trouble since it degraded";
  EXPECT_EQ(now[0].updated_at, 200);
  EXPECT_EQ(now[0].event_id, "ev-e0d1-200");
  // Another attribute of the same disk is another alarm; its recovery leaves the first open.
  apply({health("a1", "e0d1", severity::warning, 250, "temperature"),
         health("a1", "e0d1", severity::notice, 260, "temperature")});
  EXPECT_EQ(open().size(), 1u);
  apply({health("a1", "e0d1", severity::notice, 300)});
  EXPECT_TRUE(open().empty());
}

TEST_F(alarms_test, log_lines_inventory_and_unknown_agent_events_touch_nothing) {
  event line;
  line.kind = event_kind::log;
  line.device = "a1";
  line.severity = severity::error;
  auto inventory = health("a1", "", severity::warning, 10);
  inventory.component = "inventory";
  apply({line, inventory, agent("a1", "array_clock_jumped", 10), agent("a1", "archive_seal", 10)});
  EXPECT_TRUE(open().empty());
}

TEST_F(alarms_test, the_agents_conditions_open_and_close_by_event_type) {
  apply({agent("a1", "device_unreachable", 100), agent("a1", "logs_stuck", 110),
         agent("a2", "device_login_failed", 120), agent("a2", "array_clock_skew", 130)});
  ASSERT_EQ(open().size(), 4u);
  EXPECT_TRUE(alarm_open(*store, {"a1", "device", "", "reachable"}, 1000));
  EXPECT_TRUE(alarm_open(*store, {"a1", "logs", "", "collection"}, 1000));
  apply({agent("a1", "device_reachable", 200), agent("a1", "logs_resumed", 200),
         agent("a2", "device_reachable", 200), agent("a2", "array_clock_skew_cleared", 200)});
  EXPECT_TRUE(open().empty());
  EXPECT_FALSE(alarm_open(*store, {"a1", "device", "", "reachable"}, 1000));
}

TEST_F(alarms_test, a_gap_stays_open_for_a_day_since_nothing_can_clear_it) {
  apply({agent("a1", "logs_gap", 1000)});
  EXPECT_EQ(open(1000 + gap_alarm_seconds - 1).size(), 1u);
  EXPECT_TRUE(open(1000 + gap_alarm_seconds).empty());
  EXPECT_FALSE(alarm_open(*store, {"a1", "logs", "", "gap"}, 1000 + gap_alarm_seconds));
}

TEST_F(alarms_test, an_alarm_commits_with_its_event_or_not_at_all) {
  {
    auto tx = store->begin();
    apply({health("a1", "e0d1", severity::critical, 100)});
  }  // rolled back
  EXPECT_TRUE(open().empty());
  auto tx = store->begin();
  apply({health("a1", "e0d1", severity::critical, 100)});
  tx.commit(sqlite::durability::deferred);
  EXPECT_EQ(open().size(), 1u);
}

TEST_F(alarms_test, a_failing_sink_is_an_alarm_until_it_delivers) {
  event_queue queue(*store);
  queue.ensure_cursor("siem", 0);
  queue.note_sink_error("siem", "HTTP 503 from 127.0.0.1:9", 500, true);
  auto now = open();
  ASSERT_EQ(now.size(), 1u);
  EXPECT_EQ(now[0].key, (alarm_key{"", "sink", "siem", "delivery"}));
  EXPECT_EQ(now[0].since, 500);
  EXPECT_EQ(now[0].message, "HTTP 503 from 127.0.0.1:9");
  EXPECT_TRUE(load_open_alarms(*store, 1000, {}, std::vector<std::string>{"other"}).empty())
      << "a sink no longer configured";
  queue.note_sink_recovered("siem");
  EXPECT_TRUE(open().empty());
}

TEST_F(alarms_test, a_part_gone_from_the_snapshot_takes_its_alarm_along_but_not_the_agents) {
  apply({health("a1", "e0d1", severity::critical, 100),
         health("a1", "e0d2", severity::critical, 100),
         health("a2", "e0d1", severity::critical, 100), agent("a1", "device_unreachable", 100)});
  forget_vanished_parts(*store, "a1", [](const alarm_key& k) { return k.component_id == "e0d2"; });
  std::vector<std::string> left;
  for (const auto& a : open()) {
    left.push_back(a.key.device + "/" + a.key.component + "/" + a.key.component_id);
  }
  std::sort(left.begin(), left.end());
  EXPECT_EQ(left, (std::vector<std::string>{"a1/device/", "a1/disk/e0d2", "a2/disk/e0d1"}));
}

TEST_F(alarms_test, most_severe_first_then_oldest_and_only_of_the_devices_asked) {
  apply({health("a1", "e0d1", severity::warning, 100),
         health("a2", "e0d2", severity::critical, 300),
         health("a1", "e0d3", severity::critical, 200)});
  const auto all = open();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].key.component_id, "e0d3");
  EXPECT_EQ(all[1].key.component_id, "e0d2");
  EXPECT_EQ(all[2].key.component_id, "e0d1");
  const std::vector<std::string> a2{"a2"};
  ASSERT_EQ(load_open_alarms(*store, 1000, a2).size(), 1u);
  forget_alarms_except(*store, a2);
  ASSERT_EQ(open().size(), 1u);
  EXPECT_EQ(open()[0].key.device, "a2");
}

}  // namespace
}  // namespace qsanfwd
