#include "config/changes.hpp"

#include <gtest/gtest.h>

#include "tests/config/helpers.hpp"

namespace qsanfwd::config {
namespace {

using names = std::vector<std::string>;

/// A configuration with devices a0..a2 (a1's password `a1_password`) and the sinks `sinks`.
agent_config fleet(const std::string& a1_password, const std::string& sinks) {
  std::string devices;
  for (const char* name : {"a0", "a1", "a2"}) {
    const std::string pw = std::string(name) == "a1" ? a1_password : "pw";
    devices += std::string(devices.empty() ? "" : ",") + R"({"name": ")" + name +
               R"(", "url": "http://192.0.2.1", "username": "admin", "password": ")" + pw + R"("})";
  }
  return parse_config(
      R"({"state_dir": "/tmp/x", "devices": [)" + devices + R"(], "sinks": [)" + sinks + "]}",
      test::test_sink_types(), test::fake_env());
}

std::string http_sink(const std::string& name, const std::string& token) {
  return R"({"name": ")" + name +
         R"(", "type": "http", "url": "https://siem.example/in", "format": "splunk_hec", "token": ")" +
         token + R"("})";
}

std::string file_sink(const std::string& name, const std::string& path) {
  return R"({"name": ")" + name + R"(", "type": "file", "path": ")" + path + R"("})";
}

TEST(changes, a_new_secret_alone_is_a_change_though_both_show_as_masked) {
  const auto before = fleet("old", http_sink("siem", "t1") + "," + file_sink("archive", "/a"));
  const auto after = fleet("new", http_sink("siem", "t2") + "," + file_sink("archive", "/a"));
  ASSERT_EQ(before.effective, after.effective);
  EXPECT_EQ(device_changes(before, after).changed, names{"a1"});
  EXPECT_EQ(sink_changes(before, after).changed, names{"siem"});
  EXPECT_TRUE(only_devices_and_sinks_differ(before, after));
  EXPECT_TRUE(sink_changes(before, before).empty());
  EXPECT_TRUE(device_changes(before, before).empty());
}

TEST(changes, sinks_are_matched_by_name_not_place) {
  const auto before = fleet("pw", file_sink("kept", "/k") + "," + file_sink("edited", "/e1") + "," +
                                      file_sink("removed", "/r"));
  const auto after = fleet("pw", file_sink("added", "/n") + "," + file_sink("edited", "/e2") + "," +
                                     file_sink("kept", "/k"));
  const auto c = sink_changes(before, after);
  EXPECT_EQ(c.added, names{"added"});
  EXPECT_EQ(c.removed, names{"removed"});
  EXPECT_EQ(c.changed, names{"edited"});
  EXPECT_TRUE(device_changes(before, after).empty());
  EXPECT_TRUE(only_devices_and_sinks_differ(before, after));
}

TEST(changes, a_setting_beyond_devices_and_sinks_is_not_applied_one_by_one) {
  const auto before = fleet("pw", file_sink("kept", "/k"));
  auto after = parse_config(
      R"({"state_dir": "/tmp/x", "shutdown_timeout": "3s", "devices": [{"name": "a0",
          "url": "http://192.0.2.1", "username": "admin", "password": "pw"}], "sinks": [)" +
          file_sink("kept", "/k") + "]}",
      test::test_sink_types(), test::fake_env());
  EXPECT_FALSE(only_devices_and_sinks_differ(before, after));
}

}  // namespace
}  // namespace qsanfwd::config
