#include "agent/app/alarm_view.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "agent/core/utf8.hpp"

namespace qsanfwd::app {
namespace {

open_alarm disk(std::string id, severity level, std::int64_t since) {
  open_alarm a;
  a.key = {"array-01", "disk", std::move(id), "health"};
  a.severity = level;
  a.since = since;
  a.event_id = "ev-" + a.key.component_id;
  a.message = "Disk " + a.key.component_id + " failed";
  return a;
}

TEST(alarm_view, a_summary_names_each_alarm_and_is_as_severe_as_the_worst) {
  const std::vector<open_alarm> open{disk("e0d3", severity::critical, 1796000000),
                                     disk("e0d4", severity::warning, 1796000060)};
  const auto e = alarm_summary("array-01", "192.0.2.10", open);
  EXPECT_EQ(e.kind, event_kind::agent);
  EXPECT_EQ(e.type, "alarms_open");
  EXPECT_EQ(e.device, "array-01");
  EXPECT_EQ(e.severity, severity::critical);
  EXPECT_EQ(e.message,
            "2 alarm(s) open on array-01: critical disk e0d3 health since 2026-11-30T00:53:20Z "
            "(event ev-e0d3); warning disk e0d4 health since 2026-11-30T00:54:20Z (event ev-e0d4)");
}

TEST(alarm_view, a_device_without_alarms_is_said_to_have_none_and_a_long_list_is_cut) {
  EXPECT_EQ(alarm_summary("array-01", "", {}).severity, severity::notice);
  EXPECT_EQ(alarm_summary("", "", {}).message, "No alarm open on the agent");
  std::vector<open_alarm> many;
  for (int i = 0; i < 25; ++i) {
    many.push_back(disk("e0d" + std::to_string(i), severity::warning, 1796000000));
  }
  const auto e = alarm_summary("array-01", "", many);
  EXPECT_EQ(e.severity, severity::warning);
  EXPECT_NE(e.message.find("e0d19 health"), std::string::npos);
  EXPECT_EQ(e.message.find("e0d20 health"), std::string::npos);
  EXPECT_TRUE(e.message.ends_with("; and 5 more")) << e.message;
}

TEST(alarm_view, a_line_says_where_since_when_and_cuts_the_message_between_characters) {
  auto a = disk("e0d3", severity::critical, 1796000000);
  a.message = "Disk \xC3\xA9t\xC3\xA9";  // "Disk été"
  const auto line = alarm_line(alarm_json(a, 1796000090), 6);
  EXPECT_EQ(line, "critical  array-01 disk e0d3 health  since 2026-11-30T00:53:20Z (90s)  Disk ");
  a.key = {"", "sink", "siem", "delivery"};
  EXPECT_NE(alarm_line(alarm_json(a, 1796000000)).find("  agent sink siem delivery  since"),
            std::string::npos);
}

TEST(utf8_prefix, never_ends_inside_a_character) {
  EXPECT_EQ(utf8_prefix("abc", 5), "abc");
  EXPECT_EQ(utf8_prefix("ab\xC3\xA9", 3), "ab");
  EXPECT_EQ(utf8_prefix("ab\xC3\xA9", 4), "ab\xC3\xA9");
  EXPECT_EQ(utf8_prefix("\xE2\x82\xAC\xE2\x82\xAC", 5), "\xE2\x82\xAC");
  EXPECT_EQ(utf8_prefix("abc", 0), "");
}

}  // namespace
}  // namespace qsanfwd::app
