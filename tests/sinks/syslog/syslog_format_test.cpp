#include "sinks/syslog/syslog_format.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <vector>

namespace qsanfwd::sinks::syslog {
namespace {

event log_event() {
  event e;
  e.id = "e1";
  e.device = "array-01";
  e.timestamp = 1795915304;  // 2026-11-29T01:21:44Z
  e.type = "warning";
  e.severity = severity::warning;
  e.message = "Fan 2 speed low";
  return e;
}

event health_event() {
  event e;
  e.id = "h1";
  e.kind = event_kind::health;
  e.device = "array-01";
  e.timestamp = 1795915304;
  e.severity = severity::error;
  e.message = "disk 3 status changed";
  e.model = "XS3224";
  e.serial = "SN1";
  e.component = "disk";
  e.component_id = "3";
  e.attribute = "status";
  e.previous = "Good";
  e.current = "Failed";
  return e;
}

TEST(syslog_format, rfc5424_log_event) {
  EXPECT_EQ(format_rfc5424(log_event(), {}),
            "<132>1 2026-11-29T01:21:44Z array-01 qsan - warning "
            "[qsan@32473 device=\"array-01\" event_id=\"e1\" kind=\"log\" type=\"warning\"] "
            "Fan 2 speed low");
}

TEST(syslog_format, rfc5424_health_event_carries_the_change) {
  EXPECT_EQ(format_rfc5424(health_event(), {}),
            "<131>1 2026-11-29T01:21:44Z array-01 qsan - disk "
            "[qsan@32473 device=\"array-01\" event_id=\"h1\" kind=\"health\" model=\"XS3224\" "
            "serial=\"SN1\" component=\"disk\" component_id=\"3\" attribute=\"status\" "
            "previous=\"Good\" current=\"Failed\"] disk 3 status changed");
}

TEST(syslog_format, rfc5424_flags_are_an_sd_param) {
  auto e = log_event();
  e.flags = "clock_ahead";
  EXPECT_EQ(format_rfc5424(e, {}),
            "<132>1 2026-11-29T01:21:44Z array-01 qsan - warning "
            "[qsan@32473 device=\"array-01\" event_id=\"e1\" kind=\"log\" type=\"warning\" "
            "flags=\"clock_ahead\"] Fan 2 speed low");
}

TEST(syslog_format, rfc5424_agent_event_has_msgid_agent) {
  auto e = log_event();
  e.kind = event_kind::agent;
  e.type = "device_unreachable";
  const auto text = format_rfc5424(e, {});
  EXPECT_TRUE(text.starts_with("<132>1 2026-11-29T01:21:44Z array-01 qsan - agent [")) << text;
}

TEST(syslog_format, pri_is_facility_times_eight_plus_severity) {
  auto e = log_event();
  format_settings s;
  s.facility = *parse_facility("kern");
  e.severity = severity::emergency;
  EXPECT_TRUE(format_rfc5424(e, s).starts_with("<0>1 "));
  s.facility = *parse_facility("local7");
  e.severity = severity::debug;
  EXPECT_TRUE(format_rfc5424(e, s).starts_with("<191>1 "));
  s.facility = *parse_facility("local3");
  e.severity = severity::info;
  EXPECT_TRUE(format_rfc5424(e, s).starts_with("<158>1 "));
}

TEST(syslog_format, facility_names) {
  EXPECT_EQ(parse_facility("kern"), 0);
  EXPECT_EQ(parse_facility("user"), 1);
  EXPECT_EQ(parse_facility("daemon"), 3);
  EXPECT_EQ(parse_facility("auth"), 4);
  EXPECT_EQ(parse_facility("authpriv"), 10);
  EXPECT_EQ(parse_facility("local0"), 16);
  EXPECT_EQ(parse_facility("local7"), 23);
  EXPECT_EQ(parse_facility("local8"), std::nullopt);
  EXPECT_EQ(parse_facility("LOCAL0"), std::nullopt);
  EXPECT_EQ(parse_facility(""), std::nullopt);
}

TEST(syslog_format, sd_param_values_escape_quote_backslash_and_bracket) {
  auto e = log_event();
  e.device = R"(a"b\c]d)";
  e.id = "[x]";
  format_settings s;
  s.hostname = "siem-host";
  EXPECT_EQ(format_rfc5424(e, s),
            "<132>1 2026-11-29T01:21:44Z siem-host qsan - warning "
            R"([qsan@32473 device="a\"b\\c\]d" event_id="[x\]" kind="log" type="warning"] )"
            "Fan 2 speed low");
}

TEST(syslog_format, message_keeps_quotes_brackets_backslashes_and_newlines) {
  auto e = log_event();
  e.message = "a \"q\" [b] \\c\nsecond line";
  EXPECT_TRUE(format_rfc5424(e, {}).ends_with("] a \"q\" [b] \\c\nsecond line"));
}

TEST(syslog_format, header_fields_are_printable_ascii_limited_and_dash_when_empty) {
  auto e = log_event();
  e.device = "array 01\xC3\xA9";
  e.type = std::string(40, 'm');
  format_settings s;
  s.app_name = std::string(60, 'a');
  const auto text = format_rfc5424(e, s);
  EXPECT_EQ(text.substr(0, text.find(" [")), "<132>1 2026-11-29T01:21:44Z array_01__ " +
                                                 std::string(48, 'a') + " - " +
                                                 std::string(32, 'm'));

  e.device = std::string(300, 'h');
  EXPECT_NE(format_rfc5424(e, {}).find(" " + std::string(255, 'h') + " qsan "), std::string::npos);

  e.device = "";
  e.type = "";
  s.app_name = "";
  EXPECT_EQ(format_rfc5424(e, s),
            "<132>1 2026-11-29T01:21:44Z - - - - [qsan@32473 event_id=\"e1\" kind=\"log\"] "
            "Fan 2 speed low");
}

TEST(syslog_format, empty_message_leaves_msg_out) {
  auto e = log_event();
  e.message = "";
  EXPECT_TRUE(format_rfc5424(e, {}).ends_with("type=\"warning\"]"));
}

TEST(syslog_format, non_ascii_message_is_utf8_and_bom_is_optional) {
  auto e = log_event();
  e.message = "Lüfter 2 — 温度 ✓";
  EXPECT_TRUE(format_rfc5424(e, {}).ends_with("] Lüfter 2 — 温度 ✓"));
  format_settings s;
  s.bom = true;
  EXPECT_TRUE(format_rfc5424(e, s).ends_with("] \xEF\xBB\xBFLüfter 2 — 温度 ✓"));
}

TEST(syslog_format, invalid_utf8_becomes_replacement_characters) {
  auto e = log_event();
  e.message = "bad \xFF\xC3 end";
  e.device = "dev";
  e.id = "id\xE2\x82";
  const auto text = format_rfc5424(e, {});
  EXPECT_TRUE(text.ends_with("] bad \xEF\xBF\xBD\xEF\xBF\xBD end")) << text;
  EXPECT_NE(text.find("event_id=\"id\xEF\xBF\xBD\xEF\xBF\xBD\""), std::string::npos) << text;
  EXPECT_EQ(valid_utf8("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  EXPECT_EQ(valid_utf8("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");                  // overlong
  EXPECT_EQ(valid_utf8("ok é 𝄞"), "ok é 𝄞");
}

// SD values and MSG are checked eight bytes at a time, then byte by byte: a byte to escape or
// to repair in a first whole word, in a later one and in the last few bytes is written alike.
TEST(syslog_format, sd_values_and_msg_escape_wherever_the_byte_falls) {
  auto e = log_event();
  e.id = "0123456]";
  e.model = "0123456789abcdef\"x";
  e.serial = "SN-0001-\xC3\xA9\\";
  e.flags = "0123456789a\xFF";
  e.message = "0123456789abcdef\xFFtail \xC3\xA9";
  EXPECT_EQ(format_rfc5424(e, {}),
            "<132>1 2026-11-29T01:21:44Z array-01 qsan - warning "
            "[qsan@32473 device=\"array-01\" event_id=\"0123456\\]\" kind=\"log\" "
            "type=\"warning\" model=\"0123456789abcdef\\\"x\" serial=\"SN-0001-\xC3\xA9\\\\\" "
            "flags=\"0123456789a\xEF\xBF\xBD\"] 0123456789abcdef\xEF\xBF\xBDtail \xC3\xA9");
}

TEST(syslog_format, sd_name_charset_and_length) {
  EXPECT_TRUE(is_valid_sd_name("qsan@32473"));
  EXPECT_TRUE(is_valid_sd_name(std::string(32, 'x')));
  EXPECT_FALSE(is_valid_sd_name(std::string(33, 'x')));
  EXPECT_FALSE(is_valid_sd_name(""));
  EXPECT_FALSE(is_valid_sd_name("a b"));
  EXPECT_FALSE(is_valid_sd_name("a=b"));
  EXPECT_FALSE(is_valid_sd_name("a]b"));
  EXPECT_FALSE(is_valid_sd_name("a\"b"));
  EXPECT_FALSE(is_valid_sd_name("a\x7F"));
  EXPECT_FALSE(is_valid_sd_name("caf\xC3\xA9"));
}

TEST(syslog_format, custom_sd_id_and_app_name) {
  format_settings s;
  s.sd_id = "acme@12345";
  s.app_name = "storage";
  const auto text = format_rfc5424(log_event(), s);
  EXPECT_NE(text.find(" storage - warning [acme@12345 device="), std::string::npos) << text;
}

TEST(syslog_format, rfc3164) {
  format_settings s;
  s.format = message_format::rfc3164;
  EXPECT_EQ(format_message(log_event(), s), "<132>Nov 29 01:21:44 array-01 qsan: Fan 2 speed low");
  auto e = log_event();
  e.timestamp = 1793755304;  // 2026-11-04T01:21:44Z: the day is padded with a space
  s.app_name = "qsan-fwd.x";
  EXPECT_EQ(format_rfc3164(e, s), "<132>Nov  4 01:21:44 array-01 qsan_fwd_x: Fan 2 speed low");
}

TEST(syslog_format, cef_log_event) {
  format_settings s;
  s.format = message_format::cef;
  EXPECT_EQ(format_message(log_event(), s),
            "<132>1 2026-11-29T01:21:44Z array-01 qsan - warning - "
            "CEF:0|QSAN|storage array|1|log:warning|Fan 2 speed low|5|"
            "rt=1795915304000 dvchost=array-01 externalId=e1 cat=log msg=Fan 2 speed low");
}

TEST(syslog_format, cef_flags_are_the_sixth_custom_string) {
  format_settings s;
  s.format = message_format::cef;
  auto e = log_event();
  e.flags = "clock_ahead";
  EXPECT_EQ(format_message(e, s),
            "<132>1 2026-11-29T01:21:44Z array-01 qsan - warning - "
            "CEF:0|QSAN|storage array|1|log:warning|Fan 2 speed low|5|"
            "rt=1795915304000 dvchost=array-01 externalId=e1 cat=log msg=Fan 2 speed low "
            "cs6Label=flags cs6=clock_ahead");
}

TEST(syslog_format, cef_health_event_and_bom) {
  format_settings s;
  s.bom = true;
  EXPECT_EQ(format_cef(health_event(), s),
            "<131>1 2026-11-29T01:21:44Z array-01 qsan - disk - \xEF\xBB\xBF"
            "CEF:0|QSAN|XS3224|1|health:disk:status|disk 3 status changed|7|"
            "rt=1795915304000 dvchost=array-01 deviceExternalId=SN1 externalId=h1 cat=health "
            "msg=disk 3 status changed cs1Label=component cs1=disk cs2Label=componentId cs2=3 "
            "cs3Label=attribute cs3=status cs4Label=previous cs4=Good cs5Label=current "
            "cs5=Failed");
}

TEST(syslog_format, cef_escaping) {
  auto e = log_event();
  e.model = R"(X|S\1)";
  e.message = "a|b\\c=d\r\nline two";
  const auto text = format_cef(e, {});
  EXPECT_NE(text.find(R"(CEF:0|QSAN|X\|S\\1|1|log:warning|a\|b\\c=d |5|)"), std::string::npos)
      << text;
  EXPECT_TRUE(text.ends_with(R"( msg=a|b\\c\=d\r\nline two)")) << text;
}

TEST(syslog_format, cef_name_is_cut_to_512_bytes_at_a_utf8_boundary) {
  auto e = log_event();
  e.message.clear();
  for (int i = 0; i < 300; ++i) {
    e.message += "é";  // two bytes each
  }
  e.message = "x" + e.message;  // 601 bytes: byte 512 falls inside a character
  const auto text = format_cef(e, {});
  std::string name = "x";
  for (int i = 0; i < 255; ++i) {
    name += "é";
  }
  EXPECT_NE(text.find("|log:warning|" + name + "|5|"), std::string::npos);
}

// A log event with static fields: one valid as it is, one whose name is not an SD PARAM-NAME,
// one named like a param of the element, one empty, and values that need escaping.
event event_with_fields() {
  auto e = log_event();
  e.fields = {{"site", "ams-1"},
              {"rack row=1", "r4 \"north\""},
              {"kind", "x"},
              {"owner", ""},
              {"note", "a]b\\c"}};
  return e;
}

TEST(syslog_format, rfc5424_static_fields_are_sd_params) {
  EXPECT_EQ(format_message(event_with_fields(), {}),
            "<132>1 2026-11-29T01:21:44Z array-01 qsan - warning "
            "[qsan@32473 device=\"array-01\" event_id=\"e1\" kind=\"log\" type=\"warning\" "
            "site=\"ams-1\" rack_row_1=\"r4 \\\"north\\\"\" owner=\"\" note=\"a\\]b\\\\c\"] "
            "Fan 2 speed low");
}

TEST(syslog_format, static_field_names_become_sd_param_names) {
  EXPECT_EQ(sd_param_name("site"), "site");
  EXPECT_EQ(sd_param_name("a b=c]d\"e"), "a_b_c_d_e");
  EXPECT_EQ(sd_param_name("caf\xC3\xA9"), "caf__");
  EXPECT_EQ(sd_param_name(std::string(40, 'x')), std::string(32, 'x'));
  EXPECT_EQ(sd_param_name(""), "_");
  EXPECT_TRUE(is_valid_sd_name(sd_param_name("\x01\x7f")));
}

TEST(syslog_format, cef_static_fields_are_custom_extensions) {
  format_settings s;
  s.format = message_format::cef;
  EXPECT_EQ(format_message(event_with_fields(), s),
            "<132>1 2026-11-29T01:21:44Z array-01 qsan - warning - "
            "CEF:0|QSAN|storage array|1|log:warning|Fan 2 speed low|5|"
            "rt=1795915304000 dvchost=array-01 externalId=e1 cat=log msg=Fan 2 speed low "
            "qsanSite=ams-1 qsanRackRow1=r4 \"north\" qsanKind=x qsanNote=a]b\\\\c");
}

TEST(syslog_format, static_field_names_become_cef_keys) {
  EXPECT_EQ(cef_extension_key("site"), "qsanSite");
  EXPECT_EQ(cef_extension_key("rack_id"), "qsanRackId");
  EXPECT_EQ(cef_extension_key("dc.zone-2"), "qsanDcZone2");
  EXPECT_EQ(cef_extension_key("caf\xC3\xA9s"), "qsanCafS");
  EXPECT_EQ(cef_extension_key("_-."), "");
}

TEST(syslog_format, rfc3164_has_no_place_for_static_fields) {
  format_settings s;
  s.format = message_format::rfc3164;
  EXPECT_EQ(format_message(event_with_fields(), s),
            "<132>Nov 29 01:21:44 array-01 qsan: Fan 2 speed low");
}

TEST(syslog_format, message_batch_carries_static_fields_from_the_queued_json) {
  message_batch batch{format_settings{}};
  batch.add(to_json(event_with_fields()));
  EXPECT_EQ(batch[0], format_message(event_with_fields(), {}));
}

TEST(syslog_format, message_batch_formats_a_shaped_copy_from_its_fields_not_its_body) {
  // A sink's `rename` changes the body's keys; the syslog schema keeps its own.
  const auto e = event_with_fields();
  const queued_event shaped(7, R"({"id":"e1","msg":"renamed away"})", e);
  message_batch batch{format_settings{}};
  batch.add(shaped);
  batch.add(queued_event(8, to_json(e)));
  EXPECT_EQ(batch[0], format_message(e, {}));
  EXPECT_EQ(batch[1], format_message(e, {}));
}

TEST(syslog_format, cef_severity_scale) {
  EXPECT_EQ(cef_severity(severity::emergency), 10);
  EXPECT_EQ(cef_severity(severity::alert), 9);
  EXPECT_EQ(cef_severity(severity::critical), 8);
  EXPECT_EQ(cef_severity(severity::error), 7);
  EXPECT_EQ(cef_severity(severity::warning), 5);
  EXPECT_EQ(cef_severity(severity::notice), 3);
  EXPECT_EQ(cef_severity(severity::info), 2);
  EXPECT_EQ(cef_severity(severity::debug), 0);
}

// Found by tests/fuzz: an array timestamp far from now overflowed the calendar arithmetic (UB).
TEST(syslog_format, timestamps_are_held_to_four_digit_years) {
  auto e = log_event();
  e.timestamp = std::numeric_limits<std::int64_t>::min();
  EXPECT_NE(format_rfc5424(e, {}).find(" 0000-01-01T00:00:00Z "), std::string::npos);
  EXPECT_NE(format_rfc3164(e, {}).find(">Jan  1 00:00:00 "), std::string::npos);
  e.timestamp = std::numeric_limits<std::int64_t>::max();
  EXPECT_NE(format_rfc5424(e, {}).find(" 9999-12-31T23:59:59Z "), std::string::npos);
  EXPECT_NE(format_rfc3164(e, {}).find(">Dec 31 23:59:59 "), std::string::npos);
  EXPECT_NE(format_cef(e, {}).find("|rt=253402300799000 "), std::string::npos);
}

TEST(syslog_format, truncation_keeps_whole_utf8_sequences) {
  EXPECT_EQ(truncate_utf8("abcdef", 10), "abcdef");
  EXPECT_EQ(truncate_utf8("abcdef", 3), "abc");
  EXPECT_EQ(truncate_utf8("ab\xC3\xA9", 3), "ab");          // é cut in the middle
  EXPECT_EQ(truncate_utf8("ab\xC3\xA9", 4), "ab\xC3\xA9");  // exactly fits
  EXPECT_EQ(truncate_utf8("a\xF0\x9D\x84\x9E", 4), "a");    // 𝄞 is four bytes
  EXPECT_EQ(truncate_utf8("a\xF0\x9D\x84\x9E", 2), "a");
  EXPECT_EQ(truncate_utf8("\xE6\xB8\xA9\xE5\xBA\xA6", 5), "\xE6\xB8\xA9");
  EXPECT_EQ(truncate_utf8("abc", 0), "");
}

TEST(syslog_format, octet_counting_frames_count_bytes_and_keep_newlines) {
  EXPECT_EQ(frame_octet_counting("<14>1 - - - - - a\nb"), "19 <14>1 - - - - - a\nb");
  EXPECT_EQ(frame_octet_counting("é"), "2 é");
}

TEST(syslog_format, lf_frames_escape_newlines) {
  EXPECT_EQ(frame_lf("a\nb\nc"), "a\\nb\\nc\n");
  EXPECT_EQ(frame_lf("plain"), "plain\n");
}

TEST(syslog_format, lf_frames_escape_cr_and_nul_too_and_backslashes_in_msg) {
  EXPECT_EQ(frame_lf(std::string("a\r\nb\0c\\d", 8)), "a\\r\\nb\\0c\\d\n");
  // From MSG's start on, a backslash is doubled: "\\n" there is the text's own.
  EXPECT_EQ(frame_lf("[x a=\"\\\\\"] C:\\new\n", 12), "[x a=\"\\\\\"] C:\\\\new\\n\n");
}

// A receiver that undoes "\\", "\n", "\r" and "\0" in MSG gets the message back exactly,
// and SD-PARAM-VALUEs keep the escaping RFC 5424 gives them (rsyslog parses them as sent).
TEST(syslog_format, lf_framing_of_each_format_keeps_msg_recoverable) {
  auto e = log_event();
  e.type = "a\\b\"";
  e.message = std::string("C:\\new\r\nline\0two", 16);
  const std::vector<std::pair<message_format, std::string>> cases = {
      {message_format::rfc5424,
       "<132>1 2026-11-29T01:21:44Z array-01 qsan - a\\b\" [qsan@32473 device=\"array-01\" "
       "event_id=\"e1\" kind=\"log\" type=\"a\\\\b\\\"\"] C:\\\\new\\r\\nline\\0two\n"},
      {message_format::rfc3164, "<132>Nov 29 01:21:44 array-01 qsan: C:\\\\new\\r\\nline\\0two\n"},
      {message_format::cef,
       "<132>1 2026-11-29T01:21:44Z array-01 qsan - a\\b\" - CEF:0|QSAN|storage array|1|"
       "log:a\\\\b\"|C:\\\\new |5|rt=1795915304000 dvchost=array-01 externalId=e1 cat=log "
       "msg=C:\\\\new\\r\\nline\\0two\n"},
  };
  for (const auto& [format, expected] : cases) {
    format_settings s;
    s.format = format;
    message_batch batch(s);
    batch.add(to_json(e));
    std::string framed;
    batch.frame_into(framed, true);
    EXPECT_EQ(framed, expected) << static_cast<int>(format);
  }
}

TEST(syslog_format, framing_appends_to_what_is_there) {
  std::string out = "x";
  append_octet_counted(out, "ab");
  append_lf_framed(out, "c\nd");
  append_lf_framed(out, "");
  EXPECT_EQ(out, "x2 abc\\nd\n\n");
}

// A batch holds each event's message as format_message gives it, frames them as the frame_*
// functions do, and keeps nothing of the batch before it: a health event's fields do not leak
// into the log event read after it into the same buffers.
TEST(syslog_format, message_batch_formats_each_event_as_format_message_does) {
  format_settings s;
  s.hostname = "fwd";
  message_batch batch(s);
  auto unicode = log_event();
  unicode.message = "caf\xC3\xA9\nline two \xFF";
  const std::vector<event> first{health_event(), log_event(), unicode};
  const std::vector<event> second{log_event(), health_event()};
  for (const auto* events : {&first, &second, &first}) {
    batch.clear();
    for (const auto& e : *events) {
      batch.add(to_json(e));
    }
    ASSERT_EQ(batch.size(), events->size());
    std::string counted;
    std::string lines;
    for (std::size_t i = 0; i < events->size(); ++i) {
      const auto expected = format_message((*events)[i], s);
      EXPECT_EQ(batch[i], expected);
      counted += frame_octet_counting(expected);
      lines += frame_lf(expected);
    }
    std::string framed = "kept ";
    batch.frame_into(framed, false);
    EXPECT_EQ(framed, "kept " + counted);
    framed.clear();
    batch.frame_into(framed, true);
    EXPECT_EQ(framed, lines);
  }
}

TEST(syslog_format, message_batch_rejects_what_is_not_an_event) {
  message_batch batch{format_settings{}};
  batch.add(to_json(log_event()));
  EXPECT_THROW(batch.add(R"({"id":"x"})"), std::invalid_argument);
  batch.clear();
  EXPECT_EQ(batch.size(), 0U);
}

TEST(syslog_format, large_buffers_are_released_small_ones_kept) {
  std::string small(1000, 'x');
  small.clear();
  const auto kept = small.capacity();
  release_if_large(small);
  EXPECT_EQ(small.capacity(), kept);
  std::string large(5 << 20, 'x');
  release_if_large(large);
  EXPECT_TRUE(large.empty());
  EXPECT_LT(large.capacity(), std::size_t{1} << 20);
}

}  // namespace
}  // namespace qsanfwd::sinks::syslog
