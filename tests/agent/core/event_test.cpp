#include "agent/core/event.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

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

TEST(event, flags_are_written_last_and_left_out_when_empty) {
  event e = sample();
  e.flags = "clock_ahead";
  EXPECT_EQ(to_json(e),
            R"({"id":"6f1c2a9e0b7d4c13","kind":"log","device":"array-01","host":"192.0.2.10",)"
            R"("timestamp":1795915304,"time":"2026-11-29T01:21:44Z","type":"error",)"
            R"("severity":"error","message":"Disk e0d3 failed.","flags":"clock_ahead"})");
  EXPECT_EQ(event_from_json(to_json(e)), e);
  EXPECT_EQ(detail::event_from_json_dom(to_json(e)), e);
  EXPECT_EQ(to_json(sample()).find("flags"), std::string::npos);
}

TEST(event, static_fields_come_after_flags_in_order_and_read_back) {
  event e = sample();
  e.flags = "clock_ahead";
  e.fields = {{"site", "ams-1"}, {"rack", "R\"7"}, {"a", ""}};
  EXPECT_EQ(to_json(e),
            R"({"id":"6f1c2a9e0b7d4c13","kind":"log","device":"array-01","host":"192.0.2.10",)"
            R"("timestamp":1795915304,"time":"2026-11-29T01:21:44Z","type":"error",)"
            R"("severity":"error","message":"Disk e0d3 failed.","flags":"clock_ahead",)"
            R"("fields":{"site":"ams-1","rack":"R\"7","a":""}})");
  EXPECT_EQ(event_from_json(to_json(e)), e);
  EXPECT_EQ(detail::event_from_json_dom(to_json(e)), e);
  EXPECT_EQ(to_json(sample()).find("fields"), std::string::npos);
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

TEST(event, empty_health_fields_are_left_out) {
  // The inventory event has no previous count on a first start.
  event e = sample();
  e.kind = event_kind::health;
  e.component = "inventory";
  e.component_id = "array-01";
  e.attribute = "count";
  e.current = "2 enclosures";
  const auto text = to_json(e);
  EXPECT_EQ(text.find("previous"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("attribute":"count","current":"2 enclosures")"), std::string::npos)
      << text;
  EXPECT_EQ(event_from_json(text), e);
  EXPECT_EQ(detail::event_from_json_dom(text), e);
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

// What a reader made of a text: the event, or the exception's message.
struct outcome {
  std::optional<event> read;
  std::string error;
  friend bool operator==(const outcome&, const outcome&) = default;
};

template <typename Reader>
outcome outcome_of(Reader reader, std::string_view json) {
  try {
    return {reader(json), {}};
  } catch (const std::invalid_argument& ex) {
    return {std::nullopt, ex.what()};
  }
}

// event_from_json must answer exactly as the DOM reader, its reference, does.
void expect_same_as_dom(std::string_view json) {
  const auto fast = outcome_of([](std::string_view t) { return event_from_json(t); }, json);
  const auto dom =
      outcome_of([](std::string_view t) { return detail::event_from_json_dom(t); }, json);
  EXPECT_EQ(fast.read, dom.read) << json;
  EXPECT_EQ(fast.error, dom.error) << json;
}

std::vector<event> varied_events() {
  std::vector<event> out;
  out.push_back(sample());
  event e = sample();
  e.host.clear();
  e.type.clear();
  e.message.clear();
  out.push_back(e);
  e = sample();
  e.message = "quote \" backslash \\ slash / nl \n cr \r tab \t ctl \x01\x1f del \x7f end";
  e.device = "caf\xC3\xA9-\xE2\x82\xAC-\xF0\x9F\x98\x80";
  e.severity = severity::emergency;
  out.push_back(e);
  e = sample();
  e.kind = event_kind::health;
  e.component = "disk";
  e.component_id = "e0d3";
  e.attribute = "health";
  e.previous = "";
  e.current = "Failed \"hard\"";
  e.model = "XS5224";
  e.serial = "QS123";
  out.push_back(e);
  e = sample();
  e.flags = "clock_ahead";
  out.push_back(e);
  e.kind = event_kind::health;
  e.previous = "a";
  e.current = "b";
  e.flags = "x \"y\" \\ \n";
  out.push_back(e);
  e = sample();
  e.kind = event_kind::agent;
  e.timestamp = std::numeric_limits<std::int64_t>::min();
  e.message = std::string(5000, 'x') + "\\";
  out.push_back(e);
  e.timestamp = std::numeric_limits<std::int64_t>::max();
  out.push_back(e);
  return out;
}

TEST(event, fast_reader_round_trips_varied_events) {
  for (const auto& e : varied_events()) {
    const auto text = to_json(e);
    EXPECT_EQ(event_from_json(text), e) << text;
    EXPECT_EQ(detail::event_from_json_dom(text), e) << text;
    expect_same_as_dom(text);
  }
  // Every byte in a message, as to_json writes it (invalid UTF-8 read back as U+FFFD).
  for (int b = 0; b < 256; ++b) {
    event e = sample();
    e.message = "a" + std::string(1, static_cast<char>(b)) + "z";
    expect_same_as_dom(to_json(e));
  }
}

// Reading into an event that held another one leaves nothing of the earlier one behind, over
// both the fast reader and the DOM fallback (a repeated key sends a text there).
TEST(event, reading_into_a_used_event_gives_what_a_fresh_read_gives) {
  const auto events = varied_events();
  std::vector<std::string> texts;
  for (const auto& e : events) {
    texts.push_back(to_json(e));
  }
  texts.push_back(R"({"id":"x","id":"y","kind":"log","device":"d","timestamp":5,)"
                  R"("severity":"info","message":"m"})");
  event into;
  for (std::size_t round = 0; round < 2; ++round) {
    for (const auto& text : texts) {
      event_from_json(text, into);
      EXPECT_EQ(into, event_from_json(text)) << text;
    }
    std::reverse(texts.begin(), texts.end());
  }
  EXPECT_THROW(event_from_json("not json", into), std::invalid_argument);
  event_from_json(texts.front(), into);
  EXPECT_EQ(into, event_from_json(texts.front()));
}

TEST(event, fast_reader_takes_odd_but_valid_input_as_the_dom_does) {
  const std::string fields = R"("kind":"log","device":"d","timestamp":5,"severity":"info")";
  for (const auto& json : std::vector<std::string>{
           // Other key order, spaces, unknown keys of every type, nested unknown values.
           R"( { "message" : "m" , "id" : "x" , )" + fields + " }\n",
           R"({"id":"x","extra":{"id":"y","a":[1,{"b":null}],"c":true},)" + fields +
               R"(,"message":"m","list":[],"n":-3,"f":1.5e3,"z":false,"time":"whatever"})",
           // Escapes to_json never writes: \/ \b \f \u with letters of both cases, a surrogate
           // pair.
           R"({"id":"\/\b\f\u00E9\u00e9\u20AC\ud83d\ude00","message":"\u0041",)" + fields + "}",
           // Repeated keys (the last one counts in the DOM), a BOM, an unsigned timestamp.
           R"({"id":"x","id":"y","message":"m",)" + fields + "}",
           "\xEF\xBB\xBF"
           R"({"id":"x","message":"m",)" +
               fields + "}",
           R"({"id":"x","message":"m","kind":"log","device":"d","timestamp":18446744073709551615,)"
           R"("severity":"info"})",
           R"({"id":"x","message":"m","kind":"log","device":"d","timestamp":-0,"severity":"info"})",
           R"({"id":"x","message":"m","kind":"log","device":"d","timestamp":0,"severity":"info",)"
           R"("host":"h","model":"m","serial":"s","component":"c","component_id":"i",)"
           R"("attribute":"a","previous":"p","current":"c"})",
           R"({"flags":"clock_ahead","id":"x","message":"m",)" + fields + "}",
           R"({"id":"x","message":"m","flags":"",)" + fields + "}",
           R"({"id":"x","message":"m","flags":"a","flags":"b",)" + fields + "}",
           // Static fields anywhere, empty, in any order, a name repeated (the last counts).
           R"({"fields":{"z":"1","a":"2"},"id":"x","message":"m",)" + fields + "}",
           R"({"id":"x","message":"m","fields":{},)" + fields + "}",
           R"({"id":"x","message":"m","fields": { "k" : "v" , "k" : "w" } ,)" + fields + "}",
       }) {
    expect_same_as_dom(json);
  }
}

TEST(event, fast_reader_fails_as_the_dom_does) {
  const std::string good =
      R"({"id":"x","kind":"log","device":"d","timestamp":5,"severity":"info","message":"m"})";
  for (
      const auto& json : std::vector<std::string>{
          std::string(),
          std::string("not json"),
          std::string("[]"),
          std::string("\"x\""),
          std::string("null"),
          std::string("5"),
          good + " x",
          good + good,
          good.substr(0, 40),
          R"({"id":5,"kind":"log","device":"d","timestamp":5,"severity":"info","message":"m"})",
          R"({"id":null,"kind":"log","device":"d","timestamp":5,"severity":"info","message":"m"})",
          R"({"id":"x","kind":"log","device":"d","timestamp":"5","severity":"info","message":"m"})",
          R"({"id":"x","kind":"log","device":"d","timestamp":5.0,"severity":"info","message":"m"})",
          R"({"id":"x","kind":"log","device":"d","timestamp":[],"severity":"info","message":"m"})",
          R"({"id":"x","kind":"nope","device":"d","timestamp":5,"severity":"info","message":"m"})",
          R"({"id":"x","kind":"log","device":"d","timestamp":5,"severity":"crit","message":"m"})",
          R"({"id":"x","kind":"log","device":"d","timestamp":5,"severity":"info","message":{}})",
          R"({"id":"x","kind":"log","device":"d","timestamp":5,"severity":"info"})",
          R"({"kind":"log","device":"d","timestamp":5,"severity":"info","message":"m"})",
          R"({"id":"x","kind":"log","device":"d","timestamp":5,"severity":"info","message":"m",)"
          R"("host":7})",
          R"({"id":"x","kind":"log","device":"d","timestamp":5,"severity":"info","message":"\x"})",
          R"({"id":"x","kind":"log","device":"d","timestamp":5,"severity":"info","message":"a)"
          "\x01\"}",
          R"({"id":"x","kind":"log","device":"d","timestamp":5,"severity":"info","message":"a)"
          "\xC3\"}",
          R"({"id":"x","kind":"log","device":"d","timestamp":5,"severity":"info","message":"m",})",
          R"({"id":"x","kind":"log","device":"d","timestamp":05,"severity":"info","message":"m"})",
          good.substr(0, good.size() - 1) + R"(,"flags":5})",
          good.substr(0, good.size() - 1) + R"(,"flags":["clock_ahead"]})",
          good.substr(0, good.size() - 1) + R"(,"fields":"site"})",
          good.substr(0, good.size() - 1) + R"(,"fields":["site"]})",
          good.substr(0, good.size() - 1) + R"(,"fields":{"site":5}})",
          good.substr(0, good.size() - 1) + R"(,"fields":{"site":null}})",
          good.substr(0, good.size() - 1) + R"(,"fields":{"site":{"a":"b"}}})",
          good.substr(0, good.size() - 1) + R"(,"fields":{"site":["a"]}})",
      }) {
    expect_same_as_dom(json);
    EXPECT_THROW(event_from_json(json), std::invalid_argument) << json;
  }
  // A message cut at every length of a canonical text.
  const auto text = to_json(varied_events()[2]);
  for (std::size_t n = 0; n <= text.size(); ++n) {
    expect_same_as_dom(text.substr(0, n));
  }
}

// Texts in the layout to_json writes (keys in its order, no spaces), which the canonical reader
// takes first, with what it must leave to the general readers: both answer as the DOM does.
TEST(event, canonical_layout_with_odd_values_reads_as_the_dom_does) {
  const std::string head = R"({"id":"x","kind":"log","device":"d")";
  const std::string tail = R"(,"severity":"info","message":"m"})";
  for (const auto& json : std::vector<std::string>{
           head + R"(,"timestamp":-0,"time":"t")" + tail,
           head + R"(,"timestamp":05,"time":"t")" + tail,
           head + R"(,"timestamp":5.0,"time":"t")" + tail,
           head + R"(,"timestamp":5e1,"time":"t")" + tail,
           head + R"(,"timestamp":-,"time":"t")" + tail,
           head + R"(,"timestamp":9223372036854775807,"time":"t")" + tail,
           head + R"(,"timestamp":9223372036854775808,"time":"t")" + tail,
           head + R"(,"timestamp":-9223372036854775808,"time":"t")" + tail,
           head + R"(,"timestamp":-9223372036854775809,"time":"t")" + tail,
           head + R"(,"timestamp":5,"time":5)" + tail,
           head + R"(,"timestamp":5,"time":"\u0074")" + tail,
           head + R"(,"timestamp":5)" + tail,
           head + R"(,"timestamp":5})",
           head + R"(,"host":"","timestamp":5,"time":"t")" + tail,
           head + R"(,"host":"a","host":"b","timestamp":5)" + tail,
           R"({"id":"x","kind":"\u006cog","device":"d","timestamp":5)" + tail,
           R"({"id":"x","kind":"log","device":"d","timestamp":5,"severity":"\u0069nfo","message":"m"})",
           R"({"id":"a\"b\\c\u00e9\ud83d\ude00","kind":"log","device":"d","timestamp":5)" + tail,
           head + R"(,"timestamp":5,"type":"t","type":"u")" + tail,
           head + R"(,"timestamp":5)" + tail.substr(0, tail.size() - 1) +
               R"(,"model":"a","model":"b"})",
           head + R"(,"timestamp":5)" + tail.substr(0, tail.size() - 1) +
               R"(,"flags":"f","serial":"s"})",
           head + R"(,"timestamp":5)" + tail.substr(0, tail.size() - 1) +
               R"(,"flags":"f","fields":{"k":"v"}})",
           head + R"(,"timestamp":5)" + tail + " ",
           head + R"(,"timestamp":5)" + tail + "}",
       }) {
    expect_same_as_dom(json);
  }
}

TEST(event, rfc3339_is_utc) {
  EXPECT_EQ(rfc3339_utc(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(rfc3339_utc(951782400), "2000-02-29T00:00:00Z");
  EXPECT_EQ(rfc3339_utc(1795915304), "2026-11-29T01:21:44Z");
  // An array's timestamp is whatever it sends: held to RFC 3339's four-digit years.
  EXPECT_EQ(rfc3339_utc(std::numeric_limits<std::int64_t>::max()), "9999-12-31T23:59:59Z");
  EXPECT_EQ(rfc3339_utc(std::numeric_limits<std::int64_t>::min()), "0000-01-01T00:00:00Z");
}

// rfc3339_utc writes its digits by hand; snprintf over std::chrono (what it used to be) is the
// reference, over a day a week of the years 0000..9999 at changing times of day and at the ends.
std::string rfc3339_reference(std::int64_t unix_seconds) {
  using namespace std::chrono;
  const sys_seconds tp{seconds{four_digit_year_seconds(unix_seconds)}};
  const auto day = floor<days>(tp);
  const year_month_day ymd{day};
  const hh_mm_ss hms{tp - day};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf;
}

TEST(event, rfc3339_matches_the_reference_everywhere) {
  constexpr std::int64_t first = -62167219200 - 86400;  // a day before 0000-01-01
  constexpr std::int64_t last = 253402300799 + 86400;   // a day after 9999-12-31
  std::int64_t checked = 0;
  for (std::int64_t s = first; s <= last; s += 7 * 86400 + 3607) {
    ASSERT_EQ(rfc3339_utc(s), rfc3339_reference(s)) << s;
    ++checked;
  }
  for (std::int64_t s :
       {std::int64_t{-1}, std::int64_t{0}, std::int64_t{59}, std::int64_t{3599},
        std::int64_t{86399}, std::int64_t{86400}, std::int64_t{1795915304},
        std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max()}) {
    EXPECT_EQ(rfc3339_utc(s), rfc3339_reference(s)) << s;
  }
  EXPECT_GT(checked, 500'000);
  std::string appended = "x";
  append_rfc3339_utc(appended, 951782400);
  EXPECT_EQ(appended, "x2000-02-29T00:00:00Z");
  EXPECT_EQ(rfc3339_utc(0).size(), rfc3339_size);
}

// The last second written is kept per thread: runs of one second, seconds alternating, and the
// ends (the smallest first, as a fresh thread's first call) write what a fresh call writes.
TEST(event, rfc3339_of_repeated_and_alternating_seconds) {
  std::vector<std::int64_t> seconds{std::numeric_limits<std::int64_t>::min(),
                                    std::numeric_limits<std::int64_t>::min(), 0, 0, 1, 0, 1};
  for (std::int64_t s = 1795915304; s < 1795915304 + 5; ++s) {
    seconds.insert(seconds.end(), {s, s, s + 86400, s});
  }
  seconds.push_back(std::numeric_limits<std::int64_t>::max());
  std::thread([&seconds] {
    for (const auto s : seconds) {
      EXPECT_EQ(rfc3339_utc(s), rfc3339_reference(s)) << s;
    }
  }).join();
  for (const auto s : seconds) {
    EXPECT_EQ(rfc3339_utc(s), rfc3339_reference(s)) << s;
    char buf[rfc3339_size + 1] = {};
    EXPECT_EQ(write_rfc3339_utc(buf, s), buf + rfc3339_size);
    EXPECT_EQ(std::string(buf), rfc3339_reference(s)) << s;
  }
}

TEST(event, json_timestamps_at_the_ends) {
  event e = sample();
  e.timestamp = std::numeric_limits<std::int64_t>::min();
  EXPECT_NE(to_json(e).find(R"("timestamp":-9223372036854775808,"time":"0000-01-01T00:00:00Z")"),
            std::string::npos);
  e.timestamp = -1;
  EXPECT_NE(to_json(e).find(R"("timestamp":-1,"time":"1969-12-31T23:59:59Z")"), std::string::npos);
  EXPECT_EQ(event_from_json(to_json(e)), e);
}

TEST(event, every_byte_escapes_as_before) {
  // Each byte inside text, at each offset, against the escaping rules spelled out here.
  for (int b = 0; b < 256; ++b) {
    const auto c = static_cast<unsigned char>(b);
    const std::string one(1, static_cast<char>(c));
    std::string expected;
    if (c == '"') {
      expected = "\\\"";
    } else if (c == '\\') {
      expected = "\\\\";
    } else if (c == '\n') {
      expected = "\\n";
    } else if (c == '\r') {
      expected = "\\r";
    } else if (c == '\t') {
      expected = "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
      expected = buf;
    } else if (c >= 0x80) {
      expected = "\xEF\xBF\xBD";
    } else {
      expected = one;
    }
    // At every place of a word of eight, and of the tail after the last whole word.
    for (std::size_t at = 0; at < 21; ++at) {
      const std::string before(at, 'a');
      const std::string after(20 - at, 'z');
      std::string out;
      append_json_string(out, before + one + after);
      ASSERT_EQ(out, "\"" + before + expected + after + "\"") << b << " at " << at;
    }
  }
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
