#include "agent/core/event.hpp"

#include <gtest/gtest.h>

#include <limits>

#include <nlohmann/json.hpp>

#include "agent/core/time.hpp"

namespace qsanfwd {
namespace {

event sample() {
  event e;
  e.id = "6f1c2a9e0b7d4c13";
  e.kind = event_kind::log;
  e.device = "array-01";
  e.host = "192.0.2.10";
  e.timestamp = 1795915304;
  e.type = "error";
  e.severity = severity::error;
  e.message = "Disk e0d3 failed.";
  return e;
}

TEST(event, json_matches_the_contract_exactly) {
  EXPECT_EQ(to_json(sample()),
            R"({"id":"6f1c2a9e0b7d4c13","kind":"log","device":"array-01","host":"192.0.2.10",)"
            R"("timestamp":1795915304,"time":"2026-11-29T01:21:44Z","type":"error",)"
            R"("severity":"error","message":"Disk e0d3 failed."})");
}

TEST(event, health_fields_are_written_and_read_back) {
  event e = sample();
  e.kind = event_kind::health;
  e.type.clear();
  e.severity = severity::critical;
  e.component = "disk";
  e.component_id = "e0d3";
  e.attribute = "health";
  e.previous = "Good";
  e.current = "Failed";
  e.model = "XS5224";
  e.serial = "QS123";
  const auto text = to_json(e);
  EXPECT_NE(text.find(R"("component_id":"e0d3","attribute":"health","previous":"Good")"),
            std::string::npos);
  EXPECT_EQ(event_from_json(text), e);
}

TEST(event, escapes_quotes_controls_and_keeps_utf8) {
  event e = sample();
  e.message = "a \"b\" \\ [c]\nd\te\x01 caf\xC3\xA9 \xE2\x82\xAC";
  const auto text = to_json(e);
  const auto parsed = nlohmann::json::parse(text);
  EXPECT_EQ(parsed["message"].get<std::string>(), e.message);
  EXPECT_EQ(event_from_json(text), e);
}

TEST(event, invalid_utf8_becomes_replacement_character) {
  event e = sample();
  e.message = "bad \xC3 and \xFF and overlong \xC0\xAF end";
  const auto parsed = nlohmann::json::parse(to_json(e));
  EXPECT_EQ(parsed["message"].get<std::string>(),
            "bad \xEF\xBF\xBD and \xEF\xBF\xBD and overlong \xEF\xBF\xBD\xEF\xBF\xBD end");
}

TEST(event, parse_errors_name_the_field) {
  try {
    event_from_json(R"({"id":"x","kind":"log","device":"d","severity":"info","message":"m"})");
    FAIL() << "no exception";
  } catch (const std::invalid_argument& ex) {
    EXPECT_NE(std::string(ex.what()).find("timestamp"), std::string::npos);
  }
  EXPECT_THROW(event_from_json("not json"), std::invalid_argument);
  EXPECT_THROW(event_from_json(R"({"id":"x","kind":"weird","device":"d","timestamp":1,)"
                               R"("severity":"info","message":"m"})"),
               std::invalid_argument);
}

TEST(event, rfc3339_is_utc) {
  EXPECT_EQ(rfc3339_utc(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(rfc3339_utc(951782400), "2000-02-29T00:00:00Z");
  EXPECT_EQ(rfc3339_utc(1795915304), "2026-11-29T01:21:44Z");
  // An array's timestamp is whatever it sends: held to RFC 3339's four-digit years.
  EXPECT_EQ(rfc3339_utc(std::numeric_limits<std::int64_t>::max()), "9999-12-31T23:59:59Z");
  EXPECT_EQ(rfc3339_utc(std::numeric_limits<std::int64_t>::min()), "0000-01-01T00:00:00Z");
}

TEST(severity, log_types_map_as_documented) {
  EXPECT_EQ(severity_of_log_type("error"), severity::error);
  EXPECT_EQ(severity_of_log_type("warning"), severity::warning);
  EXPECT_EQ(severity_of_log_type("info"), severity::info);
  EXPECT_EQ(severity_of_log_type("access"), severity::notice);
  EXPECT_EQ(parse_severity("critical"), severity::critical);
  EXPECT_EQ(parse_severity("crit"), std::nullopt);
  EXPECT_EQ(to_string(severity::emergency), "emergency");
}

}  // namespace
}  // namespace qsanfwd
