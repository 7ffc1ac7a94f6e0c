// `qsanfwd top`'s frame as text: order, width, hostile strings, what does not fit, an agent out
// of reach.
#include "agent/app/top_frame.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "agent/core/utf8.hpp"

namespace qsanfwd::app {
namespace {

using json = nlohmann::json;

json device(const std::string& name, const std::string& state, int alarms = 0,
            const std::string& error = "") {
  return {{"name", name},
          {"state", state},
          {"alarms", alarms},
          {"checkpoint", 1796000000 - 10},
          {"checkpoint_lag_seconds", 10},
          {"lines", 12345},
          {"lines_per_second", 1.5},
          {"last_poll", 1795999995},
          {"last_error", error}};
}

json sink(const std::string& name, const std::string& state, const std::string& error = "") {
  return {{"name", name},        {"type", "http"},
          {"state", state},      {"queue_events", 10},
          {"queue_bytes", 4096}, {"oldest_age_seconds", 3},
          {"delivered", 5000},   {"delivered_per_second", 12.5},
          {"retries", 0},        {"last_error", error}};
}

json alarm(const std::string& device_name, const std::string& severity,
           const std::string& message) {
  return {{"device", device_name},
          {"component", "disk"},
          {"component_id", "e0d3"},
          {"attribute", "health"},
          {"severity", severity},
          {"since", 1795999900},
          {"since_time", "2026-12-07T12:00:00Z"},
          {"event_id", "0f3c"},
          {"message", message}};
}

json status(json devices, json sinks, json alarms = json::array()) {
  return {{"version", "0.9.0"},
          {"now", 1796000000},
          {"started_at", 1795990000},
          {"summary",
           {{"alarms", alarms.size()},
            {"critical", 0},
            {"devices", devices.size()},
            {"devices_down", 0},
            {"sinks", sinks.size()},
            {"sinks_failing", 0}}},
          {"alarms", alarms},
          {"devices", devices},
          {"sinks", sinks}};
}

top_state state_of(json s) {
  top_state out;
  out.url = "http://127.0.0.1:9464";
  out.status = std::move(s);
  return out;
}

/// The names of the table's rows, in order (the second column of each line below the heading).
std::vector<std::string> row_names(const std::vector<top_line>& lines) {
  std::vector<std::string> names;
  bool in_table = false;
  for (const auto& l : lines) {
    if (l.style == line_style::heading) {
      in_table = true;
      continue;
    }
    if (in_table && l.text.rfind("\xE2\x80\xA6", 0) != 0) {
      const auto from = l.text.find_first_not_of(' ', l.text.find(' '));
      names.push_back(l.text.substr(from, l.text.find(' ', from) - from));
    }
  }
  return names;
}

/// Every line is safe: valid UTF-8, no control character (C0, DEL, C1) and at most `width`.
void expect_safe(const std::vector<top_line>& lines, std::size_t width, std::size_t height) {
  EXPECT_LE(lines.size(), height);
  for (const auto& l : lines) {
    EXPECT_LE(terminal_columns(l.text), width) << l.text;
    EXPECT_EQ(count_invalid_utf8(l.text), 0U) << l.text;
    for (std::size_t i = 0; i < l.text.size(); ++i) {
      const auto b = static_cast<unsigned char>(l.text[i]);
      EXPECT_FALSE(b < 0x20 || b == 0x7F) << "byte " << int(b) << " in " << l.text;
      if (b == 0xC2 && i + 1 < l.text.size()) {
        const auto next = static_cast<unsigned char>(l.text[i + 1]);
        EXPECT_FALSE(next >= 0x80 && next <= 0x9F) << "C1 control in " << l.text;
      }
    }
  }
}

TEST(top_frame, trouble_comes_first_then_the_rest_by_name) {
  auto s =
      status(json::array({device("a-ok", "reachable"), device("z-down", "unreachable"),
                          device("c-login", "login_failed"), device("m-critical", "reachable", 1),
                          device("e-warned", "reachable", 1)}),
             json::array({sink("siem", "delivering"), sink("b-retrying", "retrying")}),
             json::array({alarm("m-critical", "critical", "Disk e0d3 failed"),
                          alarm("e-warned", "warning", "Disk e0d3 hot")}));
  const auto lines = render_top(state_of(s), 80, 24);
  EXPECT_EQ(row_names(lines), (std::vector<std::string>{"m-critical", "c-login", "z-down",
                                                        "b-retrying", "e-warned", "a-ok", "siem"}));
  expect_safe(lines, 80, 24);
}

TEST(top_frame, header_alarms_and_rows_read_as_an_operator_expects) {
  auto s = status(json::array({device("array-01", "reachable", 1)}),
                  json::array({sink("siem", "retrying", "HTTP 503 from siem.example:8088")}),
                  json::array({alarm("array-01", "critical", "Disk e0d3 changed to Failed")}));
  s["summary"]["critical"] = 1;
  const auto lines = render_top(state_of(s), 80, 24);
  ASSERT_GE(lines.size(), 8U);
  EXPECT_EQ(lines[0].text,
            "alarms 1 (1 critical)  devices down 0/1  sinks failing 0/1  up 2h  v0.9.0");
  EXPECT_EQ(lines[0].style, line_style::title);
  EXPECT_EQ(lines[1].text, "http://127.0.0.1:9464 at 2026-11-30T00:53:20Z");
  EXPECT_EQ(lines[3].text,
            "CRIT array-01         disk e0d3 health     100s Disk e0d3 changed to Failed");
  EXPECT_EQ(lines[3].style, line_style::critical);
  EXPECT_EQ(lines[5].style, line_style::heading);
  EXPECT_EQ(lines[6].text, "dev  array-01         reachable        1.5 lag 10s       1 ");
  EXPECT_EQ(lines[7].text,
            "sink siem             retrying        12.5 10 3s           HTTP 503 from siem.e…");
  EXPECT_EQ(lines[7].style, line_style::trouble);
  expect_safe(lines, 80, 24);
}

TEST(top_frame, fits_80_columns_and_uses_a_wider_terminal) {
  const std::string long_name(60, 'n');
  const std::string long_error(300, 'e');
  auto s = status(json::array({device(long_name, "unreachable", 3, long_error)}),
                  json::array({sink(long_name, "retrying", long_error)}),
                  json::array({alarm(long_name, "critical", long_error)}));
  const auto narrow = render_top(state_of(s), 80, 24);
  expect_safe(narrow, 80, 24);
  const auto wide = render_top(state_of(s), 160, 50);
  expect_safe(wide, 160, 50);
  std::size_t widest = 0;
  for (const auto& l : wide) {
    widest = std::max(widest, terminal_columns(l.text));
  }
  EXPECT_EQ(widest, 160U);
  // Wider names too, up to a limit.
  EXPECT_NE(wide.back().text.find(std::string(31, 'n') + "\xE2\x80\xA6"), std::string::npos)
      << wide.back().text;
}

TEST(top_frame, hostile_strings_cannot_move_the_cursor_or_change_colours) {
  const std::string hostile =
      "a\x1b[2J\x1b[31mred\x1b[0m\x1b]0;owned title\x07"
      "b\x1b[10;10H\r\n\tc\x08\x7f\x1b(B\xc2\x9b"
      "31md\xc2\x9d"
      "8;;http://x\xc2\x9c"
      "e\xe2\x80\xae"
      "f\xff\xfe"
      "g\x1b";
  EXPECT_EQ(terminal_text(hostile, 200),
            "aredb   cde"
            "f\xEF\xBF\xBD\xEF\xBF\xBDg");
  auto s = status(json::array({device(hostile, hostile, 1, hostile)}),
                  json::array({sink(hostile, hostile, hostile)}),
                  json::array({alarm(hostile, hostile, hostile)}));
  s["version"] = hostile;
  const auto lines = render_top(state_of(s), 80, 24);
  expect_safe(lines, 80, 24);
  for (const auto& l : lines) {
    EXPECT_EQ(l.text.find('\x1b'), std::string::npos) << l.text;
  }
}

TEST(top_frame, long_utf8_is_cut_by_columns_never_inside_a_character) {
  std::string wide_text;
  std::string accented;
  for (int i = 0; i < 2000; ++i) {
    wide_text += "\xE6\x97\xA5\xE6\x9C\xAC";  // 日本: two columns each
    accented += "\xC3\xA9";                   // é: one column, two bytes
  }
  EXPECT_EQ(terminal_text("\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E", 5),
            "\xE6\x97\xA5\xE6\x9C\xAC\xE2\x80\xA6");
  EXPECT_EQ(terminal_text("\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E", 4), "\xE6\x97\xA5\xE2\x80\xA6");
  EXPECT_EQ(terminal_columns(terminal_text(accented, 80)), 80U);
  EXPECT_EQ(terminal_text(accented, 80).size(), 79U * 2 + 3);
  EXPECT_EQ(terminal_text("abcdef", 4), "abc\xE2\x80\xA6");
  EXPECT_EQ(terminal_text("abcd", 4), "abcd");
  EXPECT_EQ(terminal_text("abcd", 0), "");
  auto s = status(json::array({device(wide_text, "reachable", 0, wide_text)}),
                  json::array({sink(accented, "delivering", accented)}),
                  json::array({alarm(wide_text, "warning", accented)}));
  expect_safe(render_top(state_of(s), 80, 24), 80, 24);
  expect_safe(render_top(state_of(s), 81, 24), 81, 24);
}

TEST(top_frame, what_does_not_fit_is_counted_in_a_last_line) {
  json devices = json::array();
  json alarms = json::array();
  for (int i = 0; i < 40; ++i) {
    devices.push_back(device("array-" + std::to_string(100 + i), "reachable", 1));
    alarms.push_back(alarm("array-" + std::to_string(100 + i), "warning", "hot"));
  }
  const auto lines = render_top(state_of(status(devices, json::array(), alarms)), 80, 24);
  ASSERT_EQ(lines.size(), 24U);
  // Alarms: a third of the 19 lines beside the fixed ones, the last saying what is left.
  EXPECT_EQ(lines[8].text, "\xE2\x80\xA6 35 more alarms");
  const auto rows = row_names(lines);
  EXPECT_EQ(rows.size(), 12U);
  EXPECT_EQ(rows.front(), "array-100");
  EXPECT_EQ(lines.back().text, "\xE2\x80\xA6 28 more");
  // --once draws them all.
  const auto all = render_top(state_of(status(devices, json::array(), alarms)), 80, SIZE_MAX);
  EXPECT_EQ(row_names(all).size(), 40U);
  EXPECT_EQ(all.size(), 3U + 40 + 1 + 1 + 40);
  // A terminal too small for anything but the header still gets no more lines than it has.
  expect_safe(render_top(state_of(status(devices, json::array(), alarms)), 80, 3), 80, 3);
  expect_safe(render_top(state_of(status(devices, json::array(), alarms)), 10, 0), 10, 0);
}

TEST(top_frame, an_agent_out_of_reach_is_said_with_its_url_and_why) {
  top_state s;
  s.url = "http://127.0.0.1:9";
  s.error = "connecting to 127.0.0.1:9: Connection refused";
  const auto lines = render_top(s, 80, 24);
  ASSERT_GE(lines.size(), 4U);
  EXPECT_EQ(lines[2].text, "cannot reach the agent at http://127.0.0.1:9");
  EXPECT_EQ(lines[3].text, "connecting to 127.0.0.1:9: Connection refused");
  EXPECT_EQ(lines[2].style, line_style::critical);
  expect_safe(lines, 80, 24);

  // Once it answered, the last numbers stay, marked old.
  auto stale = state_of(status(json::array({device("array-01", "reachable")}), json::array()));
  stale.error = s.error;
  stale.stale_seconds = 12;
  const auto old = render_top(stale, 80, 24);
  EXPECT_EQ(old[1].text,
            "numbers from 12s ago; cannot reach http://127.0.0.1:9464: connecting to "
            "127.0.0\xE2\x80\xA6");
  EXPECT_EQ(old[1].style, line_style::critical);
  EXPECT_EQ(row_names(old), std::vector<std::string>{"array-01"});
}

TEST(top_frame, fields_of_the_wrong_type_are_read_as_missing) {
  for (const auto& s :
       {json::array(), json("text"), json::object(),
        json{{"devices", "x"}, {"sinks", 3}, {"alarms", json::object()}, {"summary", 1}},
        json{{"devices", json::array({1, "x", nullptr, json::object()})},
             {"sinks",
              json::array(
                  {json{{"name", 7}, {"queue_events", "many"}, {"delivered_per_second", -1e308}}})},
             {"alarms", json::array({json{{"since", "x"}, {"severity", 1}}})},
             {"now", 1e300},
             {"started_at", -1e300}}}) {
    expect_safe(render_top(state_of(s), 80, 24), 80, 24);
  }
}

}  // namespace
}  // namespace qsanfwd::app
