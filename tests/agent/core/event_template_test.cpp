#include "agent/core/event_template.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace qsanfwd {
namespace {

event site_event() {
  event e;
  e.id = "x";
  e.kind = event_kind::health;
  e.device = "array-01";
  e.host = "192.0.2.10";
  e.timestamp = 1795915304;  // 2026-11-29T01:21:44Z
  e.severity = severity::critical;
  e.message = "m";
  e.component = "disk";
  e.fields = {{"site", "ams-1"}, {"rack", "7"}};
  return e;
}

TEST(event_template, fills_fields_and_the_date_of_the_event) {
  const auto t = event_template::parse("qsan-{device}-{kind}-%Y.%m.%d-%H/{fields.site}");
  EXPECT_FALSE(t.constant());
  EXPECT_EQ(t.render(site_event()), "qsan-array-01-health-2026.11.29-01/ams-1");
  EXPECT_EQ(event_template::parse("{severity}:{component}:{host}").render(site_event()),
            "critical:disk:192.0.2.10");
}

TEST(event_template, missing_fields_are_empty_and_escapes_stand_for_themselves) {
  EXPECT_EQ(event_template::parse("a{type}b{fields.none}c").render(site_event()), "abc");
  const auto t = event_template::parse("{{x}} 100%% {{{device}}}");
  EXPECT_EQ(t.render(site_event()), "{x} 100% {array-01}");
  const auto plain = event_template::parse("main");
  EXPECT_TRUE(plain.constant());
  EXPECT_EQ(plain.render(site_event()), "main");
  EXPECT_EQ(plain.text(), "main");
}

TEST(event_template, mistakes_are_named_at_parse_time) {
  const auto message = [](std::string_view text) {
    try {
      (void)event_template::parse(text);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_EQ(message("{devise}"),
            "unknown field \"devise\" (known: device, host, kind, type, severity, component, "
            "model, serial, fields.NAME)");
  EXPECT_EQ(message("{fields.}").substr(0, 22), "unknown field \"fields.");
  EXPECT_EQ(message("a{device"), "a \"{\" at offset 1 is not closed (write \"{{\" for a brace)");
  EXPECT_EQ(message("a}"), "a \"}\" at offset 1 closes nothing (write \"}}\" for a brace)");
  EXPECT_EQ(message("%Y.%q"),
            "unknown date conversion \"%q\" (known: %Y, %m, %d, %H; \"%%\" for a percent sign)");
  EXPECT_EQ(message("50%").substr(0, 26), "unknown date conversion \"%");
}

TEST(event_template, dates_stay_within_four_digit_years) {
  event e = site_event();
  e.timestamp = -62167219300;  // before year 0
  EXPECT_EQ(event_template::parse("%Y-%m-%d").render(e).size(), 10u);
}

}  // namespace
}  // namespace qsanfwd
