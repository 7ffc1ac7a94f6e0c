// The health monitor against qsan-sim with a real state store: every component kind fails and
// recovers, a disk is pulled and re-inserted, thresholds hold with hysteresis, restarts report
// nothing twice, a change during downtime is reported once, a missing endpoint is skipped.
#include "agent/health/health_monitor.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <sstream>

#include "sim/simulator.hpp"
#include "tests/support/capture_log.hpp"
#include "tests/support/memory_vault.hpp"
#include "tests/support/run_coroutine.hpp"
#include "tests/support/temp_dir.hpp"

namespace qsanfwd::health {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

/// A simulated array, a state store and a health monitor over them; reopen() is a restart.
struct rig {
  explicit rig(sim::options o = {}) : sim(std::move(o)) { open(); }

  void open() {
    monitor.reset();
    client.reset();
    queue.reset();
    store.reset();
    store = state_store::open(dir.path());
    queue = std::make_unique<event_queue>(*store);
    device::client_settings s;
    s.name = "array-01";
    s.peer = net::endpoint{"127.0.0.1", sim.port(), false, "", {}};
    s.username = "admin";
    s.password = secret("password");
    s.retry_initial = 5ms;
    s.retry_max = 20ms;
    client = std::make_unique<device::device_client>(io.get_executor(), s, vault, nullptr);
    monitor_hooks hooks;
    hooks.appended = [this] { ++appended; };
    monitor = std::make_unique<health_monitor>(*client, *store, *queue, options, hooks);
  }

  /// One poll; the events it queued.
  std::vector<event> poll() {
    auto r = test::run(io, monitor->poll_once());
    EXPECT_TRUE(r) << r.error().message;
    std::vector<event> out;
    for (const auto& q : queue->read_after(seen, 100'000)) {
      out.push_back(q.fields());
      seen = q.seq;
    }
    EXPECT_EQ(out.size(), r ? *r : 0U);
    return out;
  }

  test::temp_dir dir;
  sim::running_simulator sim;
  config::health_options options;
  asio::io_context io;
  test::memory_vault vault;  // kept across reopen(), as the store would keep it
  std::unique_ptr<state_store> store;
  std::unique_ptr<event_queue> queue;
  std::unique_ptr<device::device_client> client;
  std::unique_ptr<health_monitor> monitor;
  std::int64_t seen = 0;
  int appended = 0;
};

std::vector<event> about(const std::vector<event>& events, std::string_view component) {
  std::vector<event> out;
  for (const auto& e : events) {
    if (e.component == component) {
      out.push_back(e);
    }
  }
  return out;
}

std::string summary(const std::vector<event>& events) {
  std::ostringstream out;
  for (const auto& e : events) {
    out << to_string(e.severity) << " " << e.message << "\n";
  }
  return out.str();
}

TEST(health_monitor, first_run_of_a_fine_array_reports_the_inventory_only) {
  rig r;
  const auto events = r.poll();
  ASSERT_EQ(events.size(), 1U) << summary(events);
  EXPECT_EQ(events[0].kind, event_kind::health);
  EXPECT_EQ(events[0].severity, severity::info);
  EXPECT_EQ(events[0].current,
            "2 enclosures, 12 disks, 2 pools, 3 raidsets, 4 volumes, 2 iSCSI sessions, 1 "
            "replication tasks");
  EXPECT_EQ(events[0].model, "XS5226");
  EXPECT_EQ(events[0].serial, "QS5226A0001");
  EXPECT_EQ(r.appended, 1);
  EXPECT_TRUE(r.poll().empty());
  EXPECT_EQ(r.appended, 1);
}

TEST(health_monitor, first_run_reports_each_component_already_not_fine) {
  rig r;
  r.sim->fail_disk("e0d3");
  r.sim->set_volume_health("vol-db", "Degraded", "Online");
  const auto events = r.poll();
  ASSERT_EQ(events.size(), 3U) << summary(events);
  EXPECT_EQ(events[0].component, "inventory");
  EXPECT_EQ(events[1].component_id, "e0d3");
  EXPECT_EQ(events[1].severity, severity::critical);
  EXPECT_EQ(events[1].previous, "");
  EXPECT_EQ(events[1].current, "Failed");
  EXPECT_EQ(events[2].component_id, "vol-db");
  EXPECT_EQ(events[2].severity, severity::warning);
}

/// A component kind on the simulator: how to break and mend it, and the event expected.
struct sim_case {
  const char* name;
  std::function<void(sim::simulator&)> fail;
  std::function<void(sim::simulator&)> mend;
  const char* component;
  const char* component_id;
  const char* attribute;
  const char* previous;
  const char* current;
  severity level;
  bool sensor;  ///< the head enclosure's sysHealth turns abnormal with it
};

// The simulator's iSCSI host, replication task and snapshot task (sim/README.md).
constexpr const char* db_host = "iqn.1994-05.com.redhat:db-host";
constexpr const char* db_host_session =
    "ctrl0/iqn.1994-05.com.redhat:db-host/iqn.2004-08.com.qsan:xs5226-000d82734:dev0.ctr1";
constexpr const char* replication_task = "2977911540";
constexpr const char* snapshot_task = "2977911538";

class health_monitor_kind : public ::testing::TestWithParam<sim_case> {};

TEST_P(health_monitor_kind, failure_raises_exactly_one_event_and_recovery_clears_it) {
  const auto& c = GetParam();
  rig r;
  r.poll();
  c.fail(r.sim.sim());
  const auto failed = r.poll();
  const auto mine = about(failed, c.component);
  ASSERT_EQ(mine.size(), 1U) << summary(failed);
  const auto& e = mine[0];
  EXPECT_EQ(e.kind, event_kind::health);
  EXPECT_EQ(e.device, "array-01");
  EXPECT_EQ(e.host, "127.0.0.1");
  EXPECT_EQ(e.component_id, c.component_id);
  EXPECT_EQ(e.attribute, c.attribute);
  EXPECT_EQ(e.previous, c.previous);
  EXPECT_EQ(e.current, c.current);
  EXPECT_EQ(e.severity, c.level);
  EXPECT_FALSE(e.message.empty());
  EXPECT_FALSE(e.model.empty());
  EXPECT_EQ(failed.size(), c.sensor ? 2U : 1U) << summary(failed);
  if (c.sensor) {
    EXPECT_EQ(about(failed, "enclosure").at(0).current, "abnormal");
  }
  EXPECT_TRUE(r.poll().empty()) << "reported once";

  c.mend(r.sim.sim());
  const auto mended = r.poll();
  const auto back = about(mended, c.component);
  ASSERT_EQ(back.size(), 1U) << summary(mended);
  EXPECT_EQ(back[0].component_id, c.component_id);
  EXPECT_EQ(back[0].attribute, c.attribute);
  EXPECT_EQ(back[0].previous, c.current);
  EXPECT_EQ(back[0].current, c.previous);
  EXPECT_EQ(back[0].severity, severity::notice);
  EXPECT_EQ(mended.size(), c.sensor ? 2U : 1U) << summary(mended);
  EXPECT_TRUE(r.poll().empty());
}

INSTANTIATE_TEST_SUITE_P(
    every_kind, health_monitor_kind,
    ::testing::Values(
        sim_case{"disk", [](sim::simulator& s) { s.fail_disk("e0d3"); },
                 [](sim::simulator& s) { s.restore_disk("e0d3"); }, "disk", "e0d3", "health",
                 "Good", "Failed", severity::critical, false},
        sim_case{"psu", [](sim::simulator& s) { s.set_psu_status(0, "2", "Failed"); },
                 [](sim::simulator& s) { s.set_psu_status(0, "2", "Good"); }, "psu", "enc0/PSU 2",
                 "status", "Good", "Failed", severity::critical, true},
        sim_case{
            "cache_to_flash",
            [](sim::simulator& s) { s.set_cache_to_flash(0, "Flash Module Status", "Failed"); },
            [](sim::simulator& s) { s.set_cache_to_flash(0, "Flash Module Status", "Good"); },
            "cache_to_flash", "enc0/Flash Module Status", "status", "Good", "Failed",
            severity::critical, true},
        sim_case{"fan", [](sim::simulator& s) { s.set_fan(0, "FAN2", 600, "Warning"); },
                 [](sim::simulator& s) { s.set_fan(0, "FAN2", 1250, "Good"); }, "fan", "enc0/FAN2",
                 "status", "Good", "Warning", severity::warning, true},
        sim_case{"voltage", [](sim::simulator& s) { s.set_voltage(0, "+5V", 4.1, "Failed"); },
                 [](sim::simulator& s) { s.set_voltage(0, "+5V", 5.0, "Good"); }, "voltage",
                 "enc0/+5V", "status", "Good", "Failed", severity::critical, true},
        sim_case{"temperature", [](sim::simulator& s) { s.set_temperature(0, "Backplane", 58); },
                 [](sim::simulator& s) { s.set_temperature(0, "Backplane", 38); }, "temperature",
                 "enc0/Backplane", "status", "Good", "Warning", severity::warning, true},
        sim_case{"pool",
                 [](sim::simulator& s) { s.set_pool_health("Pool1", "Degraded", "Rebuilding"); },
                 [](sim::simulator& s) { s.set_pool_health("Pool1", "Good", "Online"); }, "pool",
                 "Pool1", "health", "Good", "Degraded", severity::warning, false},
        sim_case{"raidset",
                 [](sim::simulator& s) { s.set_raidset_health("Pool1", 1, "Good", "Rebuilding"); },
                 [](sim::simulator& s) { s.set_raidset_health("Pool1", 1, "Good", "Online"); },
                 "raidset", "Pool1/raidset 1", "status", "Online", "Rebuilding", severity::warning,
                 false},
        sim_case{"volume",
                 [](sim::simulator& s) { s.set_volume_health("vol-vm", "Failed", "Offline"); },
                 [](sim::simulator& s) { s.set_volume_health("vol-vm", "Optimal", "Online"); },
                 "volume", "vol-vm", "health", "Optimal", "Failed", severity::critical, false},
        sim_case{"iscsi_session", [](sim::simulator& s) { s.drop_iscsi_session(db_host); },
                 [](sim::simulator& s) { s.restore_iscsi_session(db_host); }, "iscsi_session",
                 db_host_session, "presence", "present", "absent", severity::warning, false},
        sim_case{"replication",
                 [](sim::simulator& s) { s.set_replication_status(replication_task, "Offline"); },
                 [](sim::simulator& s) { s.set_replication_status(replication_task, "Online"); },
                 "replication", replication_task, "status", "Online", "Offline", severity::critical,
                 false},
        sim_case{"replication_destination",
                 [](sim::simulator& s) {
                   s.set_replication_destination_status(replication_task, 0, "Disconnected");
                 },
                 [](sim::simulator& s) {
                   s.set_replication_destination_status(replication_task, 0, "Online");
                 },
                 "replication_destination", "2977911540/0", "status", "Online", "Disconnected",
                 severity::critical, false},
        sim_case{"snapshot_space",
                 [](sim::simulator& s) { s.set_snapshot_used(snapshot_task, 85); },
                 [](sim::simulator& s) { s.set_snapshot_used(snapshot_task, 5); }, "snapshot_space",
                 snapshot_task, "used_pct", "5", "85", severity::warning, false}),
    [](const auto& p) { return std::string(p.param.name); });

TEST(health_monitor, disk_message_names_enclosure_slot_and_serial) {
  rig r;
  r.poll();
  r.sim->fail_disk("e0d3");
  const auto e = r.poll();
  ASSERT_EQ(e.size(), 1U);
  EXPECT_EQ(e[0].message,
            "Disk e0d3 (enclosure 0, slot 3, serial WD-100004) health changed from Good to "
            "Failed; status changed from Online to Offline");
  EXPECT_EQ(e[0].serial, "WD-100004");
}

TEST(health_monitor, volume_optimal_degraded_failed_optimal) {
  rig r;
  r.poll();
  std::vector<severity> seen;
  for (const auto* word : {"Degraded", "Failed", "Optimal"}) {
    r.sim->set_volume_health("vol-data", word, "Online");
    const auto e = r.poll();
    ASSERT_EQ(e.size(), 1U) << word;
    seen.push_back(e[0].severity);
  }
  EXPECT_EQ(seen, (std::vector{severity::warning, severity::critical, severity::notice}));
}

TEST(health_monitor, disk_pulled_and_reinserted) {
  rig r;
  r.poll();
  r.sim->pull_disk("e1d2");
  auto e = r.poll();
  ASSERT_EQ(e.size(), 1U) << summary(e);
  EXPECT_EQ(e[0].component_id, "e1d2");
  EXPECT_EQ(e[0].attribute, "presence");
  EXPECT_EQ(e[0].current, "absent");
  EXPECT_EQ(e[0].severity, severity::warning);
  EXPECT_TRUE(r.poll().empty());
  r.sim->insert_disk("e1d2");
  e = r.poll();
  ASSERT_EQ(e.size(), 1U) << summary(e);
  EXPECT_EQ(e[0].current, "present");
  EXPECT_EQ(e[0].severity, severity::notice);
  EXPECT_TRUE(r.poll().empty());
}

TEST(health_monitor, expansion_enclosure_unplugged_and_back) {
  rig r;
  r.poll();
  r.sim->detach_enclosure(1);
  auto e = r.poll();
  EXPECT_EQ(about(e, "enclosure").size(), 1U) << summary(e);
  EXPECT_EQ(about(e, "disk").size(), 4U) << summary(e);
  EXPECT_EQ(e.size(), 5U) << summary(e);
  r.sim->attach_enclosure(1);
  e = r.poll();
  EXPECT_EQ(e.size(), 5U) << summary(e);
  for (const auto& x : e) {
    EXPECT_EQ(x.severity, severity::notice) << x.message;
  }
  EXPECT_TRUE(r.poll().empty());
}

TEST(health_monitor, thresholds_hold_with_hysteresis) {
  rig r;
  r.options.limits.temperature_c = 70;
  r.options.limits.disk_temperature_c = 50;
  r.options.limits.ssd_life_remain_pct = 10;
  r.options.limits.pool_used_pct = 80;
  r.open();
  r.poll();
  const auto step = [&](const std::function<void()>& change) {
    change();
    const auto e = r.poll();
    if (e.size() > 1) {
      return std::string("?");
    }
    return e.empty() ? std::string("-") : std::string(to_string(e[0].severity));
  };
  auto& s = r.sim.sim();
  // The explicit Good keeps the sensor's own status word out of the picture.
  EXPECT_EQ(step([&] { s.set_temperature(0, "CPU", 70, "Good"); }), "warning");
  EXPECT_EQ(step([&] { s.set_temperature(0, "CPU", 69, "Good"); }), "-");
  EXPECT_EQ(step([&] { s.set_temperature(0, "CPU", 68, "Good"); }), "-");
  EXPECT_EQ(step([&] { s.set_temperature(0, "CPU", 67, "Good"); }), "notice");
  EXPECT_EQ(step([&] { s.set_disk_temperature("e0d1", 50); }), "warning");
  EXPECT_EQ(step([&] { s.set_disk_temperature("e0d1", 49); }), "-");
  EXPECT_EQ(step([&] { s.set_disk_temperature("e0d1", 47); }), "notice");
  EXPECT_EQ(step([&] { s.set_ssd_life("e0d5", 10); }), "warning");
  EXPECT_EQ(step([&] { s.set_ssd_life("e0d5", 12); }), "-");
  EXPECT_EQ(step([&] { s.set_ssd_life("e0d5", 13); }), "notice");
  EXPECT_EQ(step([&] { s.set_pool_used("SSD-Pool", 85); }), "warning");
  EXPECT_EQ(step([&] { s.set_pool_used("SSD-Pool", 79); }), "-");
  EXPECT_EQ(step([&] { s.set_pool_used("SSD-Pool", 50); }), "notice");
  EXPECT_EQ(step([&] { s.set_fan(1, "FAN2", 0, "Good"); }), "warning");
  EXPECT_EQ(step([&] { s.set_fan(1, "FAN2", 900, "Good"); }), "notice");
}

TEST(health_monitor, a_raised_alarm_survives_a_restart) {
  rig r;
  r.poll();
  r.sim->set_temperature(0, "CPU", 71, "Good");
  EXPECT_EQ(r.poll().size(), 1U);
  r.open();
  r.sim->set_temperature(0, "CPU", 69, "Good");  // inside the hysteresis band: still raised
  EXPECT_TRUE(r.poll().empty());
  r.sim->set_temperature(0, "CPU", 60, "Good");
  const auto e = r.poll();
  ASSERT_EQ(e.size(), 1U);
  EXPECT_EQ(e[0].severity, severity::notice);
}

TEST(health_monitor, a_restart_reports_nothing_again) {
  rig r;
  r.sim->fail_disk("e0d0");
  EXPECT_EQ(r.poll().size(), 2U);  // inventory and the failed disk
  r.sim->set_psu_status(1, "1", "Failed");
  EXPECT_EQ(r.poll().size(), 2U);  // the PSU and sysHealth
  r.open();
  EXPECT_TRUE(r.poll().empty());
  EXPECT_TRUE(r.poll().empty());
}

TEST(health_monitor, a_change_during_downtime_is_reported_once) {
  rig r;
  r.poll();
  r.monitor.reset();
  r.client.reset();
  r.sim->fail_disk("e1d3");
  r.open();
  auto e = r.poll();
  ASSERT_EQ(e.size(), 1U) << summary(e);
  EXPECT_EQ(e[0].component_id, "e1d3");
  EXPECT_EQ(e[0].previous, "Good");
  EXPECT_TRUE(r.poll().empty());
  r.open();
  EXPECT_TRUE(r.poll().empty());
}

TEST(health_monitor, missing_endpoint_is_skipped_after_one_warning) {
  sim::options o;
  o.missing_endpoints = {"/rest/v1/storage/volume/list"};
  test::capture_log log;
  rig r(o);
  auto e = r.poll();
  ASSERT_EQ(e.size(), 1U);
  EXPECT_EQ(e[0].current,
            "2 enclosures, 12 disks, 2 pools, 3 raidsets, 0 volumes, 2 iSCSI sessions, 1 "
            "replication tasks");
  r.sim->fail_disk("e0d2");
  e = r.poll();
  ASSERT_EQ(e.size(), 1U);
  EXPECT_EQ(e[0].component_id, "e0d2");
  EXPECT_TRUE(r.poll().empty());
  EXPECT_EQ(r.sim->stats().requests["/rest/v1/storage/volume/list"], 1U) << "asked once";
  std::istringstream lines(log.text());
  int warnings = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.find("volume/list") != std::string::npos && line.find("warn") != std::string::npos) {
      ++warnings;
    }
  }
  EXPECT_EQ(warnings, 1) << log.text();
}

TEST(health_monitor, an_unreachable_array_commits_nothing) {
  rig r;
  r.poll();
  r.sim->fail_disk("e0d0");
  r.sim->fail_next(sim::fault::status_503, 4);  // every attempt of the first request
  auto failed = test::run(r.io, r.monitor->poll_once());
  EXPECT_FALSE(failed);
  EXPECT_TRUE(r.queue->read_after(r.seen, 10).empty());
  const auto e = r.poll();
  ASSERT_EQ(e.size(), 1U);
  EXPECT_EQ(e[0].component_id, "e0d0");
}

/// Breaks (or mends) a session, a replication task, a destination line and snapshot space.
void hosts_and_tasks(sim::simulator& s, bool broken) {
  if (broken) {
    s.drop_iscsi_session(db_host);
  } else {
    s.restore_iscsi_session(db_host);
  }
  s.set_replication_status(replication_task, broken ? "Offline" : "Online");
  s.set_replication_destination_status(replication_task, 0, broken ? "Disconnected" : "Online");
  s.set_snapshot_used(snapshot_task, broken ? 90 : 10);
}

TEST(health_monitor, hosts_and_tasks_raise_and_clear_once_across_restarts) {
  rig r;
  r.poll();
  hosts_and_tasks(r.sim.sim(), true);
  auto e = r.poll();
  ASSERT_EQ(e.size(), 4U) << summary(e);
  for (const auto* c :
       {"iscsi_session", "replication", "replication_destination", "snapshot_space"}) {
    EXPECT_EQ(about(e, c).size(), 1U) << c << "\n" << summary(e);
  }
  r.open();
  EXPECT_TRUE(r.poll().empty()) << "a restart raises nothing again";
  hosts_and_tasks(r.sim.sim(), false);
  e = r.poll();
  ASSERT_EQ(e.size(), 4U) << summary(e);
  for (const auto& x : e) {
    EXPECT_EQ(x.severity, severity::notice) << x.message;
  }
  r.open();
  EXPECT_TRUE(r.poll().empty()) << "nor clears anything again";
}

TEST(health_monitor, a_session_dropped_during_downtime_is_reported_once) {
  rig r;
  r.poll();
  r.monitor.reset();
  r.client.reset();
  r.sim->drop_iscsi_session(db_host);
  r.open();
  auto e = r.poll();
  ASSERT_EQ(e.size(), 1U) << summary(e);
  EXPECT_EQ(e[0].component_id, db_host_session);
  EXPECT_EQ(e[0].current, "absent");
  r.open();
  EXPECT_TRUE(r.poll().empty());
  r.sim->restore_iscsi_session(db_host);  // a new login: new session id and TSIH
  e = r.poll();
  ASSERT_EQ(e.size(), 1U) << summary(e);
  EXPECT_EQ(e[0].component_id, db_host_session);
  EXPECT_EQ(e[0].current, "present");
}

TEST(health_monitor, firmware_without_sessions_or_replication_skips_them_after_one_warning) {
  sim::options o;
  o.missing_endpoints = {"/rest/v1/iscsi/session/list", "/rest/v1/backup/replication/list"};
  test::capture_log log;
  rig r(o);
  auto e = r.poll();
  ASSERT_EQ(e.size(), 1U) << summary(e);
  EXPECT_EQ(e[0].current,
            "2 enclosures, 12 disks, 2 pools, 3 raidsets, 4 volumes, 0 iSCSI sessions, 0 "
            "replication tasks");
  r.sim->set_snapshot_used(snapshot_task, 95);
  e = r.poll();
  ASSERT_EQ(e.size(), 1U) << summary(e);
  EXPECT_EQ(e[0].component, "snapshot_space");
  EXPECT_TRUE(r.poll().empty());
  auto stats = r.sim->stats();
  EXPECT_EQ(stats.requests["/rest/v1/iscsi/session/list"], 1U) << "asked once";
  EXPECT_EQ(stats.requests["/rest/v1/backup/replication/list"], 1U) << "asked once";
  std::istringstream lines(log.text());
  int warnings = 0;
  for (std::string line; std::getline(lines, line);) {
    if ((line.find("session/list") != std::string::npos ||
         line.find("replication/list") != std::string::npos) &&
        line.find("warn") != std::string::npos) {
      ++warnings;
    }
  }
  EXPECT_EQ(warnings, 2) << log.text();
}

}  // namespace
}  // namespace qsanfwd::health
