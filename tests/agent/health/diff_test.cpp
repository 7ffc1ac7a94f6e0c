// The snapshot diff, pure: every component kind, thresholds with hysteresis, unknown words,
// appearing and disappearing components, endpoints not read, first run.
#include "agent/health/diff.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <set>

#include "agent/health/snapshot.hpp"

namespace qsanfwd::health {
namespace {

device::sensor sensor(std::string name, std::optional<double> value, std::string status) {
  return device::sensor{std::move(name), value, std::move(status)};
}

device::disk disk(std::string id, int enc, int slot, bool ssd) {
  device::disk d;
  d.id = std::move(id);
  d.enc_id = std::to_string(enc);
  d.slot = slot;
  d.health = "Good";
  d.status = "Online";
  d.serial = "WD-10000" + std::to_string(slot);
  d.model = "WDC WD80EFZZ-68";
  d.is_ssd = ssd;
  d.type = ssd ? "SSD" : "HDD";
  d.temperature = 38;
  if (ssd) {
    d.ssd_life_remain = 90;
  }
  return d;
}

/// A small array: a head enclosure with one of each sensor, an expansion, three disks, a pool
/// with a raidset, a volume.
poll_data array() {
  poll_data p;
  p.enclosure_numbers = std::vector<int>{0, 1};
  device::enclosure head;
  head.enc_id = 0;
  head.sys_health = "Good";
  head.model_name = "XS5226";
  head.serial_number = "QS5226A0001";
  head.voltage = {sensor("+12V", 12.1, "Good")};
  head.temperature = {sensor("CPU", 40, "Good")};
  head.fan_speed = {sensor("FAN1", 1200, "Good")};
  head.psu_status = {sensor("1", std::nullopt, "Good"), sensor("2", std::nullopt, "Good")};
  head.cache_to_flash = {sensor("Power Module Status", std::nullopt, "Good")};
  device::enclosure expansion;
  expansion.enc_id = 1;
  expansion.model_name = "XD5324";
  expansion.serial_number = "QS5226A0001-X1";
  expansion.fan_speed = {sensor("FAN1", 1100, "")};
  p.enclosures = std::vector<device::enclosure>{head, expansion};
  p.disks = std::vector<device::disk>{disk("e0d3", 0, 3, false), disk("e0d4", 0, 4, true),
                                      disk("e1d0", 1, 0, false)};
  device::pool pool{"2976963663", "Pool1", "Good", "Online", 1000, 100, {}};
  pool.raidsets = {device::raidset{"0", "RAID 5", "Good", "Online", {"e0d3", "e1d0"}}};
  p.pools = std::vector<device::pool>{pool};
  p.volumes = std::vector<device::volume>{{"2982171380", "vol-data", "Optimal", "Online", "1"}};
  return p;
}

device::enclosure& head(poll_data& p) {
  return (*p.enclosures)[0];
}
device::disk& disk_of(poll_data& p, std::string_view id) {
  return *std::find_if(p.disks->begin(), p.disks->end(),
                       [&](const device::disk& d) { return d.id == id; });
}

/// Polls in sequence, as the monitor does, keeping the snapshot in memory.
struct history {
  std::optional<snapshot> last;
  config::thresholds limits;
  std::int64_t now = 1'700'000'000;
  std::int64_t step = 1;  ///< seconds from one poll to the next
  std::int64_t saves = 0;  ///< snapshots the store would have saved (as the monitor counts)

  std::vector<event> poll(const poll_data& data) {
    const auto observed = flatten(data, last ? *last : snapshot{});
    auto r = diff(last, observed, limits,
                  poll_context{.device = "array-01",
                               .host = "10.0.0.5",
                               .timestamp = now,
                               .saves = saves,
                               .model = "XS5226",
                               .serial = "QS5226A0001"});
    now += step;
    // The monitor saves a snapshot unless the poll changed nothing.
    saves += r.events.empty() && last && r.next == *last ? 0 : 1;
    last = std::move(r.next);
    return r.events;
  }

  /// A first poll of `data` (whose events are checked elsewhere).
  history& start(const poll_data& data) {
    poll(data);
    return *this;
  }
};

TEST(health_diff, first_run_of_a_fine_array_gives_only_the_inventory) {
  history h;
  const auto events = h.poll(array());
  ASSERT_EQ(events.size(), 1U);
  const auto& e = events[0];
  EXPECT_EQ(e.kind, event_kind::health);
  EXPECT_EQ(e.severity, severity::info);
  EXPECT_EQ(e.component, "inventory");
  EXPECT_EQ(e.current,
            "2 enclosures, 3 disks, 1 pools, 1 raidsets, 1 volumes, 0 iSCSI sessions, 0 "
            "replication tasks");
  EXPECT_EQ(e.message,
            "Health monitoring of array-01 started: 2 enclosures, 3 disks, 1 pools, 1 raidsets, "
            "1 volumes, 0 iSCSI sessions, 0 replication tasks; all fine");
  EXPECT_EQ(e.model, "XS5226");
  EXPECT_EQ(e.serial, "QS5226A0001");
  EXPECT_EQ(e.device, "array-01");
  EXPECT_EQ(e.host, "10.0.0.5");
  EXPECT_EQ(e.id.size(), 16U);
}

TEST(health_diff, first_run_reports_each_component_not_fine_once) {
  auto a = array();
  disk_of(a, "e0d3").health = "Failed";
  disk_of(a, "e0d3").status = "Offline";
  head(a).psu_status[1].status = "Failed";
  head(a).sys_health = "abnormal";
  history h;
  const auto events = h.poll(a);
  ASSERT_EQ(events.size(), 4U);
  EXPECT_EQ(events[0].component, "inventory");
  EXPECT_EQ(events[0].message,
            "Health monitoring of array-01 started: 2 enclosures, 3 disks, 1 pools, 1 raidsets, "
            "1 volumes, 0 iSCSI sessions, 0 replication tasks; 3 not fine (reported separately)");
  const auto& d = events[1];
  EXPECT_EQ(d.component, "disk");
  EXPECT_EQ(d.component_id, "e0d3");
  EXPECT_EQ(d.attribute, "health");
  EXPECT_EQ(d.previous, "");
  EXPECT_EQ(d.current, "Failed");
  EXPECT_EQ(d.severity, severity::critical);
  EXPECT_EQ(
      d.message,
      "Disk e0d3 (enclosure 0, slot 3, serial WD-100003) health is Failed; status is Offline");
  EXPECT_EQ(d.model, "WDC WD80EFZZ-68");
  EXPECT_EQ(d.serial, "WD-100003");
  EXPECT_EQ(events[2].component, "enclosure");
  EXPECT_EQ(events[2].severity, severity::warning);
  EXPECT_EQ(events[2].message,
            "Enclosure 0 (XS5226, serial QS5226A0001) system health is abnormal");
  EXPECT_EQ(events[3].component, "psu");
  EXPECT_EQ(events[3].component_id, "enc0/PSU 2");
  EXPECT_EQ(events[3].attribute, "status");
  EXPECT_EQ(events[3].message, "PSU 2 of enclosure 0 status is Failed");
  EXPECT_EQ(events[3].model, "XS5226");  // the array's, having none of its own
}

TEST(health_diff, nothing_changes_nothing_is_reported) {
  history h;
  h.start(array());
  EXPECT_TRUE(h.poll(array()).empty());
  EXPECT_TRUE(h.poll(array()).empty());
}

TEST(health_diff, disk_failure_raises_one_critical_event_and_recovery_notice_on_the_same_key) {
  history h;
  h.start(array());
  auto a = array();
  disk_of(a, "e0d3").health = "Failed";
  disk_of(a, "e0d3").status = "Offline";
  auto events = h.poll(a);
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].severity, severity::critical);
  EXPECT_EQ(events[0].attribute, "health");
  EXPECT_EQ(events[0].previous, "Good");
  EXPECT_EQ(events[0].current, "Failed");
  EXPECT_EQ(events[0].message,
            "Disk e0d3 (enclosure 0, slot 3, serial WD-100003) health changed from Good to "
            "Failed; status changed from Online to Offline");
  EXPECT_TRUE(h.poll(a).empty()) << "a failure is reported once";
  const auto recovered = h.poll(array());
  ASSERT_EQ(recovered.size(), 1U);
  EXPECT_EQ(recovered[0].severity, severity::notice);
  EXPECT_EQ(std::tie(recovered[0].component, recovered[0].component_id, recovered[0].attribute),
            std::tie(events[0].component, events[0].component_id, events[0].attribute));
  EXPECT_EQ(recovered[0].previous, "Failed");
  EXPECT_EQ(recovered[0].current, "Good");
  EXPECT_NE(recovered[0].id, events[0].id);
}

/// One component kind: how to break it and what the event must say.
struct kind_case {
  const char* name;
  std::function<void(poll_data&)> fail;
  const char* component;
  const char* component_id;
  const char* attribute;
  const char* previous;
  const char* current;
  severity level;
  const char* message;
};

class health_diff_kind : public ::testing::TestWithParam<kind_case> {};

TEST_P(health_diff_kind, failure_raises_exactly_one_event_and_recovery_clears_it) {
  const auto& c = GetParam();
  history h;
  h.start(array());
  auto broken = array();
  c.fail(broken);
  auto events = h.poll(broken);
  ASSERT_EQ(events.size(), 1U);
  const auto& e = events[0];
  EXPECT_EQ(e.component, c.component);
  EXPECT_EQ(e.component_id, c.component_id);
  EXPECT_EQ(e.attribute, c.attribute);
  EXPECT_EQ(e.previous, c.previous);
  EXPECT_EQ(e.current, c.current);
  EXPECT_EQ(e.severity, c.level);
  EXPECT_EQ(e.message, c.message);
  EXPECT_TRUE(h.poll(broken).empty());
  const auto back = h.poll(array());
  ASSERT_EQ(back.size(), 1U);
  EXPECT_EQ(back[0].component_id, c.component_id);
  EXPECT_EQ(back[0].attribute, c.attribute);
  EXPECT_EQ(back[0].previous, c.current);
  EXPECT_EQ(back[0].current, c.previous);
  EXPECT_EQ(back[0].severity, severity::notice);
}

INSTANTIATE_TEST_SUITE_P(
    every_kind, health_diff_kind,
    ::testing::Values(
        kind_case{"enclosure", [](poll_data& p) { head(p).sys_health = "abnormal"; }, "enclosure",
                  "enc0", "health", "Good", "abnormal", severity::warning,
                  "Enclosure 0 (XS5226, serial QS5226A0001) system health changed from Good to "
                  "abnormal"},
        kind_case{"psu", [](poll_data& p) { head(p).psu_status[1].status = "Failed"; }, "psu",
                  "enc0/PSU 2", "status", "Good", "Failed", severity::critical,
                  "PSU 2 of enclosure 0 status changed from Good to Failed"},
        kind_case{"cache_to_flash",
                  [](poll_data& p) { head(p).cache_to_flash[0].status = "Failed"; },
                  "cache_to_flash", "enc0/Power Module Status", "status", "Good", "Failed",
                  severity::critical,
                  "Cache-to-flash Power Module Status of enclosure 0 status changed from Good to "
                  "Failed"},
        kind_case{"fan", [](poll_data& p) { head(p).fan_speed[0].status = "Warning"; }, "fan",
                  "enc0/FAN1", "status", "Good", "Warning", severity::warning,
                  "Fan FAN1 of enclosure 0 status changed from Good to Warning"},
        kind_case{"voltage", [](poll_data& p) { head(p).voltage[0].status = "Failed"; }, "voltage",
                  "enc0/+12V", "status", "Good", "Failed", severity::critical,
                  "Voltage sensor +12V of enclosure 0 status changed from Good to Failed"},
        kind_case{"temperature", [](poll_data& p) { head(p).temperature[0].status = "Warning"; },
                  "temperature", "enc0/CPU", "status", "Good", "Warning", severity::warning,
                  "Temperature sensor CPU of enclosure 0 status changed from Good to Warning"},
        kind_case{"disk_status_only",
                  [](poll_data& p) { disk_of(p, "e1d0").status = "Rebuilding"; }, "disk", "e1d0",
                  "status", "Online", "Rebuilding", severity::warning,
                  "Disk e1d0 (enclosure 1, slot 0, serial WD-100000) status changed from Online "
                  "to Rebuilding"},
        kind_case{"pool",
                  [](poll_data& p) {
                    (*p.pools)[0].health = "Degraded";
                    (*p.pools)[0].status = "Rebuilding";
                  },
                  "pool", "Pool1", "health", "Good", "Degraded", severity::warning,
                  "Pool Pool1 health changed from Good to Degraded; status changed from Online "
                  "to Rebuilding"},
        kind_case{"raidset", [](poll_data& p) { (*p.pools)[0].raidsets[0].status = "Rebuilding"; },
                  "raidset", "Pool1/raidset 0", "status", "Online", "Rebuilding", severity::warning,
                  "Raidset 0 of pool Pool1 status changed from Online to Rebuilding"},
        kind_case{"volume", [](poll_data& p) { (*p.volumes)[0].health = "Failed"; }, "volume",
                  "vol-data", "health", "Optimal", "Failed", severity::critical,
                  "Volume vol-data health changed from Optimal to Failed"}),
    [](const auto& p) { return std::string(p.param.name); });

TEST(health_diff, volume_optimal_degraded_failed_optimal) {
  history h;
  h.start(array());
  auto a = array();
  const auto step = [&](const char* word) {
    (*a.volumes)[0].health = word;
    const auto e = h.poll(a);
    EXPECT_EQ(e.size(), 1U) << word;
    return e.empty() ? severity::debug : e[0].severity;
  };
  EXPECT_EQ(step("Degraded"), severity::warning);
  EXPECT_EQ(step("Failed"), severity::critical);
  EXPECT_EQ(step("Optimal"), severity::notice);
}

TEST(health_diff, the_most_severe_word_leads_when_health_and_status_change_together) {
  history h;
  h.start(array());
  auto a = array();
  disk_of(a, "e0d3").health = "Degraded";
  disk_of(a, "e0d3").status = "Offline";
  const auto e = h.poll(a);
  ASSERT_EQ(e.size(), 1U);
  EXPECT_EQ(e[0].attribute, "status");
  EXPECT_EQ(e[0].severity, severity::critical);
}

TEST(health_diff, unknown_word_is_a_warning_that_names_it_and_its_end_is_a_recovery) {
  history h;
  h.start(array());
  auto a = array();
  (*a.pools)[0].health = "Wobbly";
  auto e = h.poll(a);
  ASSERT_EQ(e.size(), 1U);
  EXPECT_EQ(e[0].severity, severity::warning);
  EXPECT_EQ(e[0].current, "Wobbly");
  EXPECT_EQ(e[0].message,
            "Pool Pool1 health changed from Good to Wobbly (\"Wobbly\" is not a health word "
            "qsanfwd knows: treated as not fine)");
  e = h.poll(array());
  ASSERT_EQ(e.size(), 1U);
  EXPECT_EQ(e[0].severity, severity::notice);
}

TEST(health_diff, unknown_word_on_first_run_is_reported) {
  auto a = array();
  (*a.volumes)[0].status = "Splendid";
  history h;
  const auto e = h.poll(a);
  ASSERT_EQ(e.size(), 2U);
  EXPECT_EQ(e[1].component, "volume");
  EXPECT_EQ(e[1].severity, severity::warning);
}

TEST(health_diff, one_fine_word_replaced_by_another_is_info) {
  history h;
  h.start(array());
  auto a = array();
  (*a.volumes)[0].health = "Good";
  const auto e = h.poll(a);
  ASSERT_EQ(e.size(), 1U);
  EXPECT_EQ(e[0].severity, severity::info);
}

/// Feeds a value through a threshold and returns the severities of the events, "-" for none.
std::string run_threshold(history& h, const std::function<void(poll_data&, double)>& set,
                          std::initializer_list<double> values) {
  std::string out;
  for (const double v : values) {
    auto a = array();
    set(a, v);
    const auto e = h.poll(a);
    out += e.empty() ? "-" : e.size() > 1 ? "?" : std::string(to_string(e[0].severity));
    out += " ";
  }
  return out;
}

TEST(health_diff, enclosure_temperature_threshold_with_hysteresis) {
  history h;
  h.limits.temperature_c = 70;
  h.start(array());
  const auto set = [](poll_data& p, double v) { head(p).temperature[0].value = v; };
  // Raised at the limit; a sensor hovering at the line does not flap; cleared 2 °C under it.
  EXPECT_EQ(run_threshold(h, set, {69, 70, 71, 69, 68, 70, 67.9, 69, 70}),
            "- warning - - - - notice - warning ");
}

TEST(health_diff, threshold_events_carry_the_values_and_a_plain_message) {
  history h;
  h.start(array());
  auto a = array();
  head(a).temperature[0].value = 72;
  auto e = h.poll(a);
  ASSERT_EQ(e.size(), 1U);
  EXPECT_EQ(e[0].component, "temperature");
  EXPECT_EQ(e[0].component_id, "enc0/CPU");
  EXPECT_EQ(e[0].attribute, "temperature");
  EXPECT_EQ(e[0].previous, "40");
  EXPECT_EQ(e[0].current, "72");
  EXPECT_EQ(e[0].message,
            "Temperature sensor CPU of enclosure 0 temperature is 72 °C, at or above the 70 °C "
            "threshold");
  head(a).temperature[0].value = 60;
  e = h.poll(a);
  ASSERT_EQ(e.size(), 1U);
  EXPECT_EQ(e[0].message,
            "Temperature sensor CPU of enclosure 0 temperature is 60 °C, back under the 70 °C "
            "threshold");
}

TEST(health_diff, disk_temperature_threshold) {
  history h;
  h.limits.disk_temperature_c = 55;
  h.start(array());
  const auto set = [](poll_data& p, double v) {
    disk_of(p, "e0d3").temperature = static_cast<int>(v);
  };
  EXPECT_EQ(run_threshold(h, set, {54, 55, 54, 53, 52, 55}), "- warning - - notice warning ");
}

TEST(health_diff, ssd_life_threshold_is_a_floor_with_hysteresis) {
  history h;
  h.limits.ssd_life_remain_pct = 10;
  h.start(array());
  const auto set = [](poll_data& p, double v) {
    disk_of(p, "e0d4").ssd_life_remain = static_cast<int>(v);
  };
  EXPECT_EQ(run_threshold(h, set, {11, 10, 11, 12, 13, 9}), "- warning - - notice warning ");
  auto a = array();
  disk_of(a, "e0d4").ssd_life_remain = 30;
  const auto e = h.poll(a);
  ASSERT_EQ(e.size(), 1U);
  EXPECT_EQ(e[0].message,
            "Disk e0d4 (enclosure 0, slot 4, serial WD-100004) SSD life remaining is 30%, back "
            "above the 10% threshold");
}

TEST(health_diff, pool_used_space_threshold) {
  history h;
  h.limits.pool_used_pct = 90;
  h.start(array());
  const auto set = [](poll_data& p, double v) {
    (*p.pools)[0].used_mb = static_cast<std::int64_t>(v * 10);  // of 1000 MB
  };
  EXPECT_EQ(run_threshold(h, set, {89.9, 90, 95, 88.5, 87.9}), "- warning - - notice ");
  auto a = array();
  (*a.pools)[0].used_mb = 950;
  const auto e = h.poll(a);
  ASSERT_EQ(e.size(), 1U);
  EXPECT_EQ(e[0].message, "Pool Pool1 is 95% used, at or above the 90% threshold");
  EXPECT_EQ(e[0].attribute, "used_pct");
}

TEST(health_diff, fan_at_zero_rpm) {
  history h;
  h.start(array());
  const auto set = [](poll_data& p, double v) { head(p).fan_speed[0].value = v; };
  EXPECT_EQ(run_threshold(h, set, {0, 0, 1200, 1100}), "warning - notice - ");
  auto a = array();
  (*a.enclosures)[1].fan_speed[0].value = 0;  // an expansion fan without a status word
  const auto e = h.poll(a);
  ASSERT_EQ(e.size(), 1U);
  EXPECT_EQ(e[0].message, "Fan FAN1 of enclosure 1 has stopped (0 rpm)");
}

TEST(health_diff, a_threshold_already_crossed_on_first_run_is_reported) {
  auto a = array();
  head(a).temperature[0].value = 80;
  history h;
  const auto e = h.poll(a);
  ASSERT_EQ(e.size(), 2U);
  EXPECT_EQ(e[1].attribute, "temperature");
  EXPECT_EQ(e[1].previous, "");
  EXPECT_EQ(e[1].current, "80");
}

TEST(health_diff, disk_pulled_then_reinserted) {
  history h;
  h.start(array());
  auto pulled = array();
  pulled.disks->erase(pulled.disks->begin());  // e0d3
  auto e = h.poll(pulled);
  ASSERT_EQ(e.size(), 1U);
  EXPECT_EQ(e[0].component_id, "e0d3");
  EXPECT_EQ(e[0].attribute, "presence");
  EXPECT_EQ(e[0].previous, "present");
  EXPECT_EQ(e[0].current, "absent");
  EXPECT_EQ(e[0].severity, severity::warning);
  EXPECT_EQ(e[0].message,
            "Disk e0d3 (enclosure 0, slot 3, serial WD-100003) was removed: the array no longer "
            "lists it");
  EXPECT_TRUE(h.poll(pulled).empty());
  EXPECT_TRUE(h.last->contains(key{"disk", "e0d3", "presence"}));
  e = h.poll(array());
  ASSERT_EQ(e.size(), 1U);
  EXPECT_EQ(e[0].attribute, "presence");
  EXPECT_EQ(e[0].previous, "absent");
  EXPECT_EQ(e[0].current, "present");
  EXPECT_EQ(e[0].severity, severity::notice);
  EXPECT_EQ(e[0].message, "Disk e0d3 (enclosure 0, slot 3, serial WD-100003) is present again");
  EXPECT_TRUE(h.poll(array()).empty());
}

TEST(health_diff, a_disk_that_returns_failed_reports_its_words_again) {
  history h;
  h.start(array());
  auto pulled = array();
  pulled.disks->erase(pulled.disks->begin());
  h.poll(pulled);
  auto back = array();
  disk_of(back, "e0d3").health = "Failed";
  const auto e = h.poll(back);
  ASSERT_EQ(e.size(), 2U);
  EXPECT_EQ(e[0].attribute, "presence");
  EXPECT_EQ(e[1].attribute, "health");
  EXPECT_EQ(e[1].previous, "");
  EXPECT_EQ(e[1].severity, severity::critical);
}

TEST(health_diff, a_new_disk_after_the_first_run_is_inventory) {
  history h;
  h.start(array());
  auto a = array();
  a.disks->push_back(disk("e0d7", 0, 7, true));
  const auto e = h.poll(a);
  ASSERT_EQ(e.size(), 1U);
  EXPECT_EQ(e[0].severity, severity::info);
  EXPECT_EQ(e[0].message, "Disk e0d7 (enclosure 0, slot 7, serial WD-100007) was added");
  EXPECT_EQ(e[0].previous, "");
  EXPECT_EQ(e[0].current, "present");
}

TEST(health_diff, an_enclosure_disappearing_reports_it_and_its_disks_not_its_sensors) {
  history h;
  h.start(array());
  auto a = array();
  a.enclosure_numbers = std::vector<int>{0};
  a.enclosures->pop_back();
  a.disks->pop_back();  // e1d0 went with it
  auto e = h.poll(a);
  ASSERT_EQ(e.size(), 2U);
  EXPECT_EQ(e[0].component, "disk");
  EXPECT_EQ(e[0].current, "absent");
  EXPECT_EQ(e[1].component, "enclosure");
  EXPECT_EQ(e[1].component_id, "enc1");
  EXPECT_EQ(e[1].message,
            "Enclosure 1 (XD5324, serial QS5226A0001-X1) was removed: the array no longer lists "
            "it");
  EXPECT_EQ(e[1].model, "XD5324");
  e = h.poll(array());
  ASSERT_EQ(e.size(), 2U);
  EXPECT_EQ(e[0].severity, severity::notice);
  EXPECT_EQ(e[1].severity, severity::notice);
  EXPECT_EQ(e[1].message, "Enclosure 1 (XD5324, serial QS5226A0001-X1) is present again");
}

TEST(health_diff, an_endpoint_not_read_keeps_its_part_of_the_snapshot) {
  history h;
  h.start(array());
  const auto before = *h.last;
  auto a = array();
  a.disks.reset();
  a.volumes.reset();
  EXPECT_TRUE(h.poll(a).empty()) << "no disk or volume reported removed";
  EXPECT_EQ(*h.last, before);
  auto b = array();
  disk_of(b, "e0d3").health = "Failed";
  EXPECT_EQ(h.poll(b).size(), 1U);
}

TEST(health_diff, a_section_first_read_late_reports_only_what_is_not_fine) {
  auto a = array();
  a.disks.reset();
  history h;
  EXPECT_EQ(h.poll(a).size(), 1U);  // the inventory
  auto b = array();
  disk_of(b, "e0d3").health = "Failed";
  const auto e = h.poll(b);
  ASSERT_EQ(e.size(), 1U) << "the other disks are not 'added': they were never read before";
  EXPECT_EQ(e[0].attribute, "health");
  EXPECT_EQ(e[0].previous, "");
}

TEST(health_diff, a_sensor_without_status_word_is_not_reported) {
  history h;
  h.start(array());
  auto a = array();
  head(a).voltage[0].status = "";
  EXPECT_TRUE(h.poll(a).empty());
}

TEST(health_diff, ids_are_stable_for_the_same_inputs_and_differ_per_poll) {
  auto broken = array();
  disk_of(broken, "e0d3").health = "Failed";
  history h1;
  history h2;
  h1.start(array());
  h2.start(array());
  const auto a = h1.poll(broken);
  const auto b = h2.poll(broken);
  ASSERT_EQ(a.size(), 1U);
  ASSERT_EQ(b.size(), 1U);
  EXPECT_EQ(a[0].id, b[0].id);
  history h3;
  h3.now += 60;
  h3.start(array());
  EXPECT_NE(h3.poll(broken)[0].id, a[0].id);
}

// Polls one second apart (restarts: each polls at once) and a disk flapping between them:
// OK -> Failed twice are two changes, and a SIEM that drops a repeated id must keep both.
TEST(health_diff, a_word_flapping_within_one_second_gives_each_change_its_own_id) {
  auto broken = array();
  disk_of(broken, "e0d3").health = "Failed";
  const auto fine = array();
  history h;
  h.step = 0;
  h.start(fine);
  std::vector<event> changes;
  for (const poll_data* data : std::array<const poll_data*, 4>{&broken, &fine, &broken, &fine}) {
    const auto events = h.poll(*data);
    ASSERT_EQ(events.size(), 1U);
    changes.push_back(events[0]);
  }
  std::set<std::string> ids;
  for (const auto& e : changes) {
    EXPECT_EQ(e.timestamp, changes[0].timestamp);
    ids.insert(e.id);
  }
  EXPECT_EQ(ids.size(), changes.size());
}

TEST(health_diff, a_reading_survives_its_json) {
  const reading r{"Fail\"ed", true, "Disk e0d3 (slot 3)", "WDC", "WD-1"};
  EXPECT_EQ(reading_from_json(to_json(r)), r);
  EXPECT_THROW(reading_from_json("{}"), std::invalid_argument);
}

device::iscsi_session session(int ctrl, std::string initiator, std::string tsih) {
  device::iscsi_session s;
  s.ctrl_id = ctrl;
  s.id = tsih;
  s.tsih = std::move(tsih);
  s.initiator_name = std::move(initiator);
  s.target_id = "0";
  s.target_name = "iqn.t";
  return s;
}

/// array() with two hosts' sessions (one over two paths), a replication task with two lines
/// and a snapshot task 50% used.
poll_data with_hosts() {
  auto p = array();
  p.iscsi_sessions = std::vector<device::iscsi_session>{
      session(0, "iqn.a", "1"), session(0, "iqn.b", "2"), session(0, "iqn.b", "3")};
  device::replication_task t{"42", "vol-data", "Online", {}};
  t.destinations = {{"0", "10.0.0.2", "iqn.dr", "0", "Online"},
                    {"1", "10.0.0.3", "iqn.dr", "0", "Online"}};
  p.replication_tasks = std::vector<device::replication_task>{t};
  p.snapshot_tasks = std::vector<device::snapshot_task>{{"77", 500, 1000}};
  return p;
}

TEST(health_diff_hosts, the_inventory_counts_sessions_and_replication_tasks) {
  history h;
  const auto e = h.poll(with_hosts());
  ASSERT_EQ(e.size(), 1U);
  EXPECT_EQ(e[0].current,
            "2 enclosures, 3 disks, 1 pools, 1 raidsets, 1 volumes, 3 iSCSI sessions, 1 "
            "replication tasks");
}

TEST(health_diff_hosts, a_session_gone_and_back_is_one_event_each_on_the_same_key) {
  history h;
  h.start(with_hosts());
  auto gone = with_hosts();
  gone.iscsi_sessions->erase(gone.iscsi_sessions->begin());
  auto e = h.poll(gone);
  ASSERT_EQ(e.size(), 1U);
  EXPECT_EQ(e[0].component, "iscsi_session");
  EXPECT_EQ(e[0].component_id, "ctrl0/iqn.a/iqn.t");
  EXPECT_EQ(e[0].attribute, "presence");
  EXPECT_EQ(e[0].previous, "present");
  EXPECT_EQ(e[0].current, "absent");
  EXPECT_EQ(e[0].severity, severity::warning);
  EXPECT_EQ(e[0].message,
            "iSCSI session of iqn.a to iqn.t on controller 0 is gone: the array no longer lists "
            "it");
  EXPECT_TRUE(h.poll(gone).empty());
  // Back with a new session id and TSIH, as a new login gets: the same session to us.
  auto back = with_hosts();
  (*back.iscsi_sessions)[0].id = "9";
  (*back.iscsi_sessions)[0].tsih = "9";
  e = h.poll(back);
  ASSERT_EQ(e.size(), 1U);
  EXPECT_EQ(e[0].component_id, "ctrl0/iqn.a/iqn.t");
  EXPECT_EQ(e[0].previous, "absent");
  EXPECT_EQ(e[0].current, "present");
  EXPECT_EQ(e[0].severity, severity::notice);
  EXPECT_EQ(e[0].message, "iSCSI session of iqn.a to iqn.t on controller 0 is back");
  EXPECT_TRUE(h.poll(back).empty());
}

TEST(health_diff_hosts, one_path_of_a_multipath_host_lost_and_back) {
  history h;
  h.start(with_hosts());
  auto one_path = with_hosts();
  one_path.iscsi_sessions->pop_back();
  auto e = h.poll(one_path);
  ASSERT_EQ(e.size(), 1U);
  EXPECT_EQ(e[0].component_id, "ctrl0/iqn.b/iqn.t");
  EXPECT_EQ(e[0].attribute, "sessions");
  EXPECT_EQ(e[0].previous, "2");
  EXPECT_EQ(e[0].current, "1");
  EXPECT_EQ(e[0].severity, severity::warning);
  EXPECT_EQ(e[0].message,
            "iSCSI session of iqn.b to iqn.t on controller 0 now has 1 sessions "
            "(had 2)");
  EXPECT_TRUE(h.poll(one_path).empty());
  e = h.poll(with_hosts());
  ASSERT_EQ(e.size(), 1U);
  EXPECT_EQ(e[0].attribute, "sessions");
  EXPECT_EQ(e[0].current, "2");
  EXPECT_EQ(e[0].severity, severity::notice);
}

TEST(health_diff_hosts, a_session_on_another_controller_is_another_session) {
  history h;
  h.start(with_hosts());
  auto moved = with_hosts();
  (*moved.iscsi_sessions)[0].ctrl_id = 1;
  const auto e = h.poll(moved);
  ASSERT_EQ(e.size(), 2U);
  EXPECT_EQ(e[0].component_id, "ctrl0/iqn.a/iqn.t");
  EXPECT_EQ(e[0].current, "absent");
  EXPECT_EQ(e[1].component_id, "ctrl1/iqn.a/iqn.t");
  EXPECT_EQ(e[1].current, "present");
  EXPECT_EQ(e[1].severity, severity::info) << "a new session after the first run";
}

TEST(health_diff_hosts, replication_task_status_leaves_and_returns) {
  history h;
  h.start(with_hosts());
  std::vector<std::string> seen;
  for (const auto* word : {"Replicating", "Offline", "Online"}) {
    auto a = with_hosts();
    (*a.replication_tasks)[0].status = word;
    const auto e = h.poll(a);
    seen.push_back(e.empty() ? "-"
                             : e[0].component + " " + e[0].previous + ">" + e[0].current + " " +
                                   std::string(to_string(e[0].severity)));
  }
  // A run of the schedule (Online to Replicating) is no news; leaving the good words is.
  EXPECT_EQ(seen, (std::vector<std::string>{"-", "replication Replicating>Offline critical",
                                            "replication Offline>Online notice"}));
  auto a = with_hosts();
  (*a.replication_tasks)[0].status = "Split";
  const auto e = h.poll(a);
  ASSERT_EQ(e.size(), 1U);
  EXPECT_EQ(e[0].severity, severity::warning);
  EXPECT_EQ(e[0].message,
            "Replication task 42 (source vol-data) status changed from Online to Split (\"Split\" "
            "is not a health word qsanfwd knows: treated as not fine)");
}

TEST(health_diff_hosts, a_destination_line_down_and_up_on_its_own_key) {
  history h;
  h.start(with_hosts());
  auto down = with_hosts();
  (*down.replication_tasks)[0].destinations[1].status = "Disconnected";
  auto e = h.poll(down);
  ASSERT_EQ(e.size(), 1U);
  EXPECT_EQ(e[0].component, "replication_destination");
  EXPECT_EQ(e[0].component_id, "42/1");
  EXPECT_EQ(e[0].attribute, "status");
  EXPECT_EQ(e[0].severity, severity::critical);
  EXPECT_EQ(e[0].message,
            "Destination 1 (10.0.0.3, iqn.dr) of replication task 42 status changed from Online "
            "to Disconnected");
  EXPECT_TRUE(h.poll(down).empty());
  e = h.poll(with_hosts());
  ASSERT_EQ(e.size(), 1U);
  EXPECT_EQ(e[0].component_id, "42/1");
  EXPECT_EQ(e[0].current, "Online");
  EXPECT_EQ(e[0].severity, severity::notice);
}

TEST(health_diff_hosts, snapshot_space_threshold_with_hysteresis) {
  history h;
  h.limits.snapshot_used_pct = 80;
  h.limits.pool_used_pct = 99;  // the pool's own limit does not apply to snapshot space
  h.start(with_hosts());
  std::string out;
  for (const double pct : {79.9, 80.0, 85.0, 78.5, 77.9, 80.0}) {
    auto a = with_hosts();
    (*a.snapshot_tasks)[0].used_mb = static_cast<std::int64_t>(pct * 10);
    const auto e = h.poll(a);
    out += e.empty() ? "-" : e.size() > 1 ? "?" : std::string(to_string(e[0].severity));
    out += " ";
    if (pct == 85.0) {
      EXPECT_TRUE(e.empty());
    }
    if (pct == 80.0 && e.size() == 1) {
      EXPECT_EQ(e[0].component, "snapshot_space");
      EXPECT_EQ(e[0].component_id, "77");
      EXPECT_EQ(e[0].attribute, "used_pct");
      EXPECT_EQ(e[0].message,
                "Snapshot space of task 77 is 80% used, at or above the 80% "
                "threshold");
    }
  }
  EXPECT_EQ(out, "- warning - - notice warning ");
}

TEST(health_diff_hosts, sections_not_read_keep_their_part_and_report_nothing) {
  history h;
  h.start(with_hosts());
  const auto before = *h.last;
  auto a = with_hosts();
  a.iscsi_sessions.reset();
  a.replication_tasks.reset();
  a.snapshot_tasks.reset();
  EXPECT_TRUE(h.poll(a).empty()) << "no session reported gone";
  EXPECT_EQ(*h.last, before);
}

TEST(health_diff_hosts, a_firmware_without_the_lists_reads_them_late_without_news) {
  history h;
  h.start(array());
  EXPECT_TRUE(h.poll(with_hosts()).empty()) << "sessions first read are not 'added'";
  auto gone = with_hosts();
  gone.iscsi_sessions->clear();
  EXPECT_EQ(h.poll(gone).size(), 2U);
}

}  // namespace
}  // namespace qsanfwd::health
