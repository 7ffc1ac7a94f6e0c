#include <gtest/gtest.h>

#include "config/config.hpp"
#include "tests/config/helpers.hpp"

namespace qsanfwd::config {
namespace {

using test::error_of;
using test::fake_env;

agent_config with_sink_keys(std::string_view keys, std::string_view device_keys = "") {
  const auto text = std::string(R"({"devices": [{"name": "ams-1", "url": "https://192.0.2.10",
      "username": "admin", "password": "pw")") +
                    std::string(device_keys) +
                    R"(}], "sinks": [{"name": "s1", "type": "file", "path": "/tmp/e")" +
                    std::string(keys) + "}]}";
  return parse_config(text, test::test_sink_types(), fake_env(), "/etc/qsanfwd/config.json");
}

/// The error without its "config error at " prefix.
std::string error_with(std::string_view keys, std::string_view device_keys = "") {
  const auto text = error_of([&] { with_sink_keys(keys, device_keys); });
  constexpr std::string_view prefix = "config error at ";
  return text.starts_with(prefix) ? text.substr(prefix.size()) : text;
}

event disk_event(severity level, std::string device = "ams-1") {
  event e;
  e.kind = event_kind::health;
  e.severity = level;
  e.device = std::move(device);
  e.component = "disk";
  e.message = "Disk e0d3 failed";
  return e;
}

TEST(config_routing, a_sink_without_rules_takes_everything_unchanged) {
  const auto cfg = with_sink_keys("");
  EXPECT_TRUE(cfg.sinks[0].filter.takes_all());
  EXPECT_TRUE(cfg.sinks[0].shape.empty());
}

TEST(config_routing, match_and_exclude_read_every_condition) {
  const auto cfg = with_sink_keys(R"j(, "match": [
      {"kind": "health", "severity": {"at_least": "critical"}, "device": ["ams-*", "rtm-?"],
       "component": "disk", "message": "fail(ed|ure)"},
      {"kind": ["log"], "type": ["error", "warning"]}],
    "exclude": [{"device": "ams-9"}, {"severity": {"at_most": "debug"}}])j");
  const auto& f = cfg.sinks[0].filter;
  EXPECT_TRUE(f.takes(disk_event(severity::critical)));
  EXPECT_TRUE(f.takes(disk_event(severity::alert, "rtm-2")));
  EXPECT_FALSE(f.takes(disk_event(severity::error)));
  EXPECT_FALSE(f.takes(disk_event(severity::critical, "ams-9")));
  EXPECT_FALSE(f.takes(disk_event(severity::critical, "fra-1")));
  auto chatter = disk_event(severity::debug);
  chatter.kind = event_kind::log;
  chatter.type = "warning";
  EXPECT_FALSE(f.takes(chatter));
  auto line = disk_event(severity::warning);
  line.kind = event_kind::log;
  line.type = "warning";
  EXPECT_TRUE(f.takes(line));
  line.type = "access";
  EXPECT_FALSE(f.takes(line));
  EXPECT_EQ(cfg.effective["sinks"][0]["match"][0]["device"], (nlohmann::json{"ams-*", "rtm-?"}));
}

TEST(config_routing, fields_rename_and_drop_shape_the_event) {
  const auto cfg = with_sink_keys(
      R"(, "fields": {"team": "storage", "site": "default"},
           "rename": {"fields.team": "owner", "message": "msg"}, "drop": ["serial"])",
      R"(, "fields": {"site": "ams-1"})");
  const auto& shape = cfg.sinks[0].shape;
  auto e = disk_event(severity::critical);
  e.serial = "QS1";
  shape.apply(e);
  EXPECT_EQ(e.fields, (field_list{{"site", "ams-1"}, {"owner", "storage"}}));
  EXPECT_EQ(e.serial, "");
  EXPECT_NE(shape.json(e).find(R"("msg":"Disk e0d3 failed")"), std::string::npos);
  EXPECT_EQ(cfg.devices[0].fields, (field_list{{"site", "ams-1"}}));
}

TEST(config_routing, mistakes_name_their_path) {
  EXPECT_EQ(error_with(R"(, "match": {"kind": "logs"})"),
            "/sinks/0/match/kind: unknown kind \"logs\" (known: log, health, agent)");
  EXPECT_EQ(error_with(R"(, "match": [{"severity": {"at_least": "warn"}}])"),
            "/sinks/0/match/0/severity/at_least: unknown severity \"warn\" (known: emergency, "
            "alert, critical, error, warning, notice, info, debug)");
  EXPECT_EQ(error_with(R"(, "exclude": {"severity": {"at_least": "info", "at_most": "error"}})"),
            "/sinks/0/exclude/severity: at_least is less severe than at_most: no event can match");
  EXPECT_EQ(error_with(R"(, "match": {"message": "a(b"})").substr(0, 63),
            "/sinks/0/match/message: not a POSIX extended regular expression");
  EXPECT_EQ(error_with(R"(, "match": {"message": "(a)\\1"})"),
            "/sinks/0/match/message: back-references (\\1) are not supported");
  EXPECT_EQ(error_with(R"(, "match": {"type": []})"),
            "/sinks/0/match/type: expected a string or a non-empty array of strings");
  EXPECT_EQ(error_with(R"(, "match": {"colour": "red"})").substr(0, 40),
            "/sinks/0/match/colour: unknown key (know");
  EXPECT_EQ(error_with(R"(, "match": "health")").substr(0, 40),
            "/sinks/0/match: expected an array of obj");
  EXPECT_EQ(error_with("", R"(, "fields": {"data-centre": "x"})"),
            "/devices/0/fields/data-centre: a field name is letters, digits and _, not first a "
            "digit, at most 64 (every format can carry it)");
  EXPECT_EQ(error_with(R"(, "drop": ["id"])"),
            "/sinks/0/drop: \"id\" stays as it is: consumers and the file sink recognise a "
            "repeat by it");
  EXPECT_EQ(error_with(R"(, "rename": {"mesage": "msg"})").substr(0, 47),
            "/sinks/0/rename: \"mesage\" is neither a key of t");
  EXPECT_EQ(error_with(R"(, "rename": {"fields.site": "data centre"})"),
            "/sinks/0/rename/fields.site: a field's new name is letters, digits and _, not first "
            "a digit, at most 64 (every format can carry it)");
}

}  // namespace
}  // namespace qsanfwd::config
