#include "sinks/http/formats.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace qsanfwd::sinks {
namespace {

// The canonical JSON of the sample events, as the queue stores it.
const std::string c1 =
    R"({"id":"a1","kind":"log","device":"array-01","host":"192.0.2.10","timestamp":1795915304,)"
    R"("time":"2026-11-29T01:21:44Z","type":"warning","severity":"warning",)"
    R"("message":"Disk \"slot 3\" removed\n","model":"XS5226","serial":"QS1"})";
const std::string c2 =
    R"({"id":"b2","kind":"health","device":"array-02","timestamp":1795915305,)"
    R"("time":"2026-11-29T01:21:45Z","severity":"error","message":"PSU 2 failed",)"
    R"("component":"psu","component_id":"2","attribute":"status","previous":"good",)"
    R"("current":"failed"})";
const std::string c3 =
    R"({"id":"c3","kind":"log","device":"array-01","host":"192.0.2.10","timestamp":1795915306,)"
    R"("time":"2026-11-29T01:21:46Z","type":"warning","severity":"warning","message":"plain",)"
    R"("model":"XS5226","serial":"QS1"})";

// A log line with a quote and a newline, a health change of another array, and a second line
// of the first array.
std::vector<queued_event> sample() {
  event e1;
  e1.id = "a1";
  e1.device = "array-01";
  e1.host = "192.0.2.10";
  e1.timestamp = 1795915304;
  e1.type = "warning";
  e1.severity = severity::warning;
  e1.message = "Disk \"slot 3\" removed\n";
  e1.model = "XS5226";
  e1.serial = "QS1";
  event e2;
  e2.id = "b2";
  e2.kind = event_kind::health;
  e2.device = "array-02";
  e2.timestamp = 1795915305;
  e2.severity = severity::error;
  e2.message = "PSU 2 failed";
  e2.component = "psu";
  e2.component_id = "2";
  e2.attribute = "status";
  e2.previous = "good";
  e2.current = "failed";
  event e3 = e1;
  e3.id = "c3";
  e3.timestamp = 1795915306;
  e3.message = "plain";
  return {{1, to_json(e1)}, {2, to_json(e2)}, {3, to_json(e3)}};
}

std::string encode(http_format f, std::string index = "") {
  format_settings s;
  s.format = f;
  s.index = event_template::parse(index);
  return encode_batch(sample(), s);
}

TEST(http_formats, the_sample_is_the_canonical_json) {
  const auto events = sample();
  EXPECT_EQ(events[0].body, c1);
  EXPECT_EQ(events[1].body, c2);
  EXPECT_EQ(events[2].body, c3);
}

TEST(http_formats, ndjson_is_the_stored_json_one_event_per_line) {
  EXPECT_EQ(encode(http_format::ndjson), c1 + "\n" + c2 + "\n" + c3 + "\n");
}

TEST(http_formats, json_array_is_one_array) {
  EXPECT_EQ(encode(http_format::json_array), "[" + c1 + "," + c2 + "," + c3 + "]");
}

TEST(http_formats, splunk_hec_concatenates_event_objects_with_flat_fields) {
  const std::string head =
      R"(,"source":"qsanfwd","sourcetype":"qsan:event","index":"main","event":)";
  const std::string expected =
      R"({"time":1795915304,"host":"192.0.2.10")" + head + c1 +
      R"(,"fields":{"device":"array-01","kind":"log","severity":"warning","type":"warning",)"
      R"("model":"XS5226","serial":"QS1"}})"
      R"({"time":1795915305,"host":"array-02")" +
      head + c2 +
      R"(,"fields":{"device":"array-02","kind":"health","severity":"error"}})"
      R"({"time":1795915306,"host":"192.0.2.10")" +
      head + c3 +
      R"(,"fields":{"device":"array-01","kind":"log","severity":"warning","type":"warning",)"
      R"("model":"XS5226","serial":"QS1"}})";
  EXPECT_EQ(encode(http_format::splunk_hec, "main"), expected);
}

TEST(http_formats, splunk_hec_leaves_out_an_empty_index) {
  EXPECT_EQ(encode(http_format::splunk_hec).find("\"index\""), std::string::npos);
}

TEST(http_formats, elasticsearch_is_bulk_create_with_the_event_id_and_ecs_fields) {
  const std::string expected =
      R"({"create":{"_index":"logs-qsan-default","_id":"a1"}})"
      "\n"
      R"({"@timestamp":"2026-11-29T01:21:44Z","message":"Disk \"slot 3\" removed\n",)"
      R"("event":{"id":"a1","kind":"event","severity":4},"log":{"level":"warning"},)"
      R"("host":{"name":"192.0.2.10"},"observer":{"vendor":"QSAN","name":"array-01",)"
      R"("product":"XS5226","serial_number":"QS1"},"qsan":)" +
      c1 +
      "}\n"
      R"({"create":{"_index":"logs-qsan-default","_id":"b2"}})"
      "\n"
      R"({"@timestamp":"2026-11-29T01:21:45Z","message":"PSU 2 failed",)"
      R"("event":{"id":"b2","kind":"alert","severity":3},"log":{"level":"error"},)"
      R"("host":{"name":"array-02"},"observer":{"vendor":"QSAN","name":"array-02"},"qsan":)" +
      c2 +
      "}\n"
      R"({"create":{"_index":"logs-qsan-default","_id":"c3"}})"
      "\n"
      R"({"@timestamp":"2026-11-29T01:21:46Z","message":"plain",)"
      R"("event":{"id":"c3","kind":"event","severity":4},"log":{"level":"warning"},)"
      R"("host":{"name":"192.0.2.10"},"observer":{"vendor":"QSAN","name":"array-01",)"
      R"("product":"XS5226","serial_number":"QS1"},"qsan":)" +
      c3 + "}\n";
  EXPECT_EQ(encode(http_format::elasticsearch, "logs-qsan-default"), expected);
}

// The canonical JSON as a JSON string literal.
std::string quoted(const std::string& s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

TEST(http_formats, loki_groups_streams_by_device_kind_and_level_in_queue_order) {
  const std::string expected =
      R"({"streams":[{"stream":{"device":"array-01","kind":"log","level":"warning"},)"
      R"("values":[["1795915304000000000",)" +
      quoted(c1) + R"(],["1795915306000000000",)" + quoted(c3) +
      R"(]]},{"stream":{"device":"array-02","kind":"health","level":"error"},)"
      R"("values":[["1795915305000000000",)" +
      quoted(c2) + "]]}]}";
  EXPECT_EQ(encode(http_format::loki), expected);
}

TEST(http_formats, otlp_has_one_resource_per_device_and_64_bit_integers_as_strings) {
  const std::string expected =
      R"({"resourceLogs":[{"resource":{"attributes":[)"
      R"({"key":"service.name","value":{"stringValue":"qsan"}},)"
      R"({"key":"qsan.device","value":{"stringValue":"array-01"}},)"
      R"({"key":"host.name","value":{"stringValue":"192.0.2.10"}},)"
      R"({"key":"device.manufacturer","value":{"stringValue":"QSAN"}},)"
      R"({"key":"device.model.identifier","value":{"stringValue":"XS5226"}},)"
      R"({"key":"device.id","value":{"stringValue":"QS1"}}]},)"
      R"("scopeLogs":[{"scope":{"name":"qsanfwd"},"logRecords":[)"
      R"({"timeUnixNano":"1795915304000000000","severityNumber":13,"severityText":"warning",)"
      R"("body":{"stringValue":"Disk \"slot 3\" removed\n"},"attributes":[)"
      R"({"key":"log.record.uid","value":{"stringValue":"a1"}},)"
      R"({"key":"qsan.kind","value":{"stringValue":"log"}},)"
      R"({"key":"qsan.timestamp","value":{"intValue":"1795915304"}},)"
      R"({"key":"qsan.type","value":{"stringValue":"warning"}}]},)"
      R"({"timeUnixNano":"1795915306000000000","severityNumber":13,"severityText":"warning",)"
      R"("body":{"stringValue":"plain"},"attributes":[)"
      R"({"key":"log.record.uid","value":{"stringValue":"c3"}},)"
      R"({"key":"qsan.kind","value":{"stringValue":"log"}},)"
      R"({"key":"qsan.timestamp","value":{"intValue":"1795915306"}},)"
      R"({"key":"qsan.type","value":{"stringValue":"warning"}}]}]}]},)"
      R"({"resource":{"attributes":[)"
      R"({"key":"service.name","value":{"stringValue":"qsan"}},)"
      R"({"key":"qsan.device","value":{"stringValue":"array-02"}},)"
      R"({"key":"host.name","value":{"stringValue":"array-02"}},)"
      R"({"key":"device.manufacturer","value":{"stringValue":"QSAN"}}]},)"
      R"("scopeLogs":[{"scope":{"name":"qsanfwd"},"logRecords":[)"
      R"({"timeUnixNano":"1795915305000000000","severityNumber":17,"severityText":"error",)"
      R"("body":{"stringValue":"PSU 2 failed"},"attributes":[)"
      R"({"key":"log.record.uid","value":{"stringValue":"b2"}},)"
      R"({"key":"qsan.kind","value":{"stringValue":"health"}},)"
      R"({"key":"qsan.timestamp","value":{"intValue":"1795915305"}},)"
      R"({"key":"qsan.component","value":{"stringValue":"psu"}},)"
      R"({"key":"qsan.component_id","value":{"stringValue":"2"}},)"
      R"({"key":"qsan.attribute","value":{"stringValue":"status"}},)"
      R"({"key":"qsan.previous","value":{"stringValue":"good"}},)"
      R"({"key":"qsan.current","value":{"stringValue":"failed"}}]}]}]}]})";
  EXPECT_EQ(encode(http_format::otlp), expected);
}

// A line stamped ahead of the array's clock: its flags reach every format.
std::vector<queued_event> flagged() {
  event e;
  e.id = "f4";
  e.device = "array-01";
  e.timestamp = 4102444800;
  e.type = "info";
  e.message = "from 2100";
  e.flags = "clock_ahead";
  return {{4, to_json(e)}};
}

const std::string c4 =
    R"({"id":"f4","kind":"log","device":"array-01","timestamp":4102444800,)"
    R"("time":"2100-01-01T00:00:00Z","type":"info","severity":"info","message":"from 2100",)"
    R"("flags":"clock_ahead"})";

std::string encode_flagged(http_format f, std::string index = "") {
  format_settings s;
  s.format = f;
  s.index = event_template::parse(index);
  return encode_batch(flagged(), s);
}

TEST(http_formats, flags_reach_every_format) {
  ASSERT_EQ(flagged()[0].body, c4);
  EXPECT_EQ(encode_flagged(http_format::ndjson), c4 + "\n");
  EXPECT_EQ(encode_flagged(http_format::json_array), "[" + c4 + "]");
  EXPECT_EQ(encode_flagged(http_format::splunk_hec),
            R"({"time":4102444800,"host":"array-01","source":"qsanfwd",)"
            R"("sourcetype":"qsan:event","event":)" +
                c4 +
                R"(,"fields":{"device":"array-01","kind":"log","severity":"info","type":"info",)"
                R"("flags":"clock_ahead"}})");
  EXPECT_EQ(encode_flagged(http_format::elasticsearch, "logs-qsan-default"),
            R"({"create":{"_index":"logs-qsan-default","_id":"f4"}})"
            "\n"
            R"({"@timestamp":"2100-01-01T00:00:00Z","message":"from 2100",)"
            R"("event":{"id":"f4","kind":"event","severity":6},"log":{"level":"info"},)"
            R"("host":{"name":"array-01"},"observer":{"vendor":"QSAN","name":"array-01"},)"
            R"("tags":["clock_ahead"],"qsan":)" +
                c4 + "}\n");
  EXPECT_EQ(encode_flagged(http_format::loki),
            R"({"streams":[{"stream":{"device":"array-01","kind":"log","level":"info"},)"
            R"("values":[["4102444800000000000",)" +
                quoted(c4) + "]]}]}");
  EXPECT_NE(encode_flagged(http_format::otlp)
                .find(R"({"key":"qsan.type","value":{"stringValue":"info"}},)"
                      R"({"key":"qsan.flags","value":{"stringValue":"clock_ahead"}}]})"),
            std::string::npos)
      << encode_flagged(http_format::otlp);
}

// Two events carrying static fields: a log line of array-01 at site ams-1, and an agent event
// of array-02 whose site is not a valid index name as it is and which has a field named like
// one of splunk_hec's own.
std::vector<queued_event> with_fields() {
  event e5;
  e5.id = "s5";
  e5.device = "array-01";
  e5.host = "192.0.2.10";
  e5.timestamp = 1795915304;
  e5.type = "error";
  e5.severity = severity::error;
  e5.message = "Pool degraded";
  e5.model = "XS5226";
  e5.fields = {{"site", "ams-1"}, {"rack.row", "r4"}};
  event e6;
  e6.id = "s6";
  e6.kind = event_kind::agent;
  e6.device = "array-02";
  e6.timestamp = 1795915305;
  e6.type = "device_unreachable";
  e6.message = "unreachable";
  e6.fields = {{"site", "FRA 2"}, {"device", "x"}};
  return {{5, to_json(e5)}, {6, to_json(e6)}};
}

const std::string c5 =
    R"({"id":"s5","kind":"log","device":"array-01","host":"192.0.2.10","timestamp":1795915304,)"
    R"("time":"2026-11-29T01:21:44Z","type":"error","severity":"error",)"
    R"("message":"Pool degraded","model":"XS5226","fields":{"site":"ams-1","rack.row":"r4"}})";
const std::string c6 =
    R"({"id":"s6","kind":"agent","device":"array-02","timestamp":1795915305,)"
    R"("time":"2026-11-29T01:21:45Z","type":"device_unreachable","severity":"info",)"
    R"("message":"unreachable","fields":{"site":"FRA 2","device":"x"}})";

std::string encode_with_fields(format_settings s) {
  return encode_batch(with_fields(), s);
}

format_settings settings_of(http_format f) {
  format_settings s;
  s.format = f;
  return s;
}

TEST(http_formats, static_fields_travel_in_the_canonical_json_of_ndjson_and_json_array) {
  const auto events = with_fields();
  ASSERT_EQ(events[0].body, c5);
  ASSERT_EQ(events[1].body, c6);
  EXPECT_EQ(encode_with_fields(settings_of(http_format::ndjson)), c5 + "\n" + c6 + "\n");
  EXPECT_EQ(encode_with_fields(settings_of(http_format::json_array)), "[" + c5 + "," + c6 + "]");
}

TEST(http_formats, splunk_hec_renders_index_source_and_sourcetype_and_adds_static_fields) {
  auto s = settings_of(http_format::splunk_hec);
  s.index = event_template::parse("{fields.site}");
  s.source = event_template::parse("{device}");
  s.sourcetype = event_template::parse("qsan:{kind}");
  EXPECT_EQ(
      encode_with_fields(s),
      R"({"time":1795915304,"host":"192.0.2.10","source":"array-01","sourcetype":"qsan:log",)"
      R"("index":"ams-1","event":)" +
          c5 +
          R"(,"fields":{"device":"array-01","kind":"log","severity":"error","type":"error",)"
          R"("model":"XS5226","site":"ams-1","rack.row":"r4"}})"
          R"({"time":1795915305,"host":"array-02","source":"array-02","sourcetype":"qsan:agent",)"
          R"("index":"fra_2","event":)" +
          c6 +
          R"(,"fields":{"device":"array-02","kind":"agent","severity":"info",)"
          R"("type":"device_unreachable","site":"FRA 2"}})");
}

TEST(http_formats, splunk_hec_leaves_out_what_renders_empty) {
  auto s = settings_of(http_format::splunk_hec);
  s.index = event_template::parse("{fields.zone}");
  s.sourcetype = event_template::parse("{model}");
  const auto body = encode_with_fields(s);
  EXPECT_EQ(body.find("\"index\""), std::string::npos);
  EXPECT_NE(body.find(R"("sourcetype":"XS5226")"), std::string::npos);
  EXPECT_NE(body.find(R"("source":"qsanfwd","event":)" + c6), std::string::npos);
}

TEST(http_formats, elasticsearch_index_per_event_and_static_fields_as_ecs_labels) {
  auto s = settings_of(http_format::elasticsearch);
  s.index = event_template::parse("qsan-{fields.site}-%Y.%m.%d");
  EXPECT_EQ(encode_with_fields(s),
            R"({"create":{"_index":"qsan-ams-1-2026.11.29","_id":"s5"}})"
            "\n"
            R"({"@timestamp":"2026-11-29T01:21:44Z","message":"Pool degraded",)"
            R"("event":{"id":"s5","kind":"event","severity":3},"log":{"level":"error"},)"
            R"("host":{"name":"192.0.2.10"},"observer":{"vendor":"QSAN","name":"array-01",)"
            R"("product":"XS5226"},"labels":{"site":"ams-1","rack_row":"r4"},"qsan":)" +
                c5 +
                "}\n"
                R"({"create":{"_index":"qsan-fra_2-2026.11.29","_id":"s6"}})"
                "\n"
                R"({"@timestamp":"2026-11-29T01:21:45Z","message":"unreachable",)"
                R"("event":{"id":"s6","kind":"event","severity":6},"log":{"level":"info"},)"
                R"("host":{"name":"array-02"},"observer":{"vendor":"QSAN","name":"array-02"},)"
                R"("labels":{"site":"FRA 2","device":"x"},"qsan":)" +
                c6 + "}\n");
}

TEST(http_formats, elasticsearch_index_names_rendered_from_events_are_made_valid) {
  auto events = with_fields();
  auto e = events[1].fields();
  auto s = settings_of(http_format::elasticsearch);
  s.index = event_template::parse("{fields.site}");
  const auto index_of = [&](std::string site) {
    e.fields = {{"site", std::move(site)}};
    const std::vector<queued_event> one{{1, to_json(e)}};
    const auto body = encode_batch(one, s);
    const auto start = body.find(R"("_index":")") + 10;
    return body.substr(start, body.find('"', start) - start);
  };
  EXPECT_EQ(index_of("Site/A*B?C<D>E|F G,H#I:J\\\"K"), R"(site_a_b_c_d_e_f_g_h_i_j__k)");
  EXPECT_EQ(index_of("-_+lead"), "lead");
  EXPECT_EQ(index_of(""), "qsan");
  EXPECT_EQ(index_of(".."), "qsan");
  EXPECT_EQ(index_of("-"), "qsan");
  EXPECT_EQ(index_of(std::string(300, 'a')), std::string(255, 'a'));
  EXPECT_EQ(index_of("tab\there"), "tab_here");
}

TEST(http_formats, elasticsearch_labels_have_no_dotted_or_repeated_names) {
  auto events = with_fields();
  auto e = events[0].fields();
  e.fields = {{"a.b", "1"}, {"a_b", "2"}, {"c", "3"}};
  const std::vector<queued_event> one{{1, to_json(e)}};
  auto s = settings_of(http_format::elasticsearch);
  s.index = event_template::parse("i");
  EXPECT_NE(encode_batch(one, s).find(R"("labels":{"a_b":"1","c":"3"},"qsan":)"),
            std::string::npos);
}

TEST(http_formats, loki_streams_are_grouped_by_the_rendered_labels) {
  auto s = settings_of(http_format::loki);
  s.labels = {{"device", event_template::parse("{device}")},
              {"site", event_template::parse("{fields.site}")},
              {"zone", event_template::parse("{fields.zone}")}};
  auto events = with_fields();
  events.push_back(events[0]);  // a second line of the first stream
  events.back().seq = 7;
  EXPECT_EQ(encode_batch(events, s),
            R"({"streams":[{"stream":{"device":"array-01","site":"ams-1"},)"
            R"("values":[["1795915304000000000",)" +
                quoted(c5) + R"(],["1795915304000000000",)" + quoted(c5) +
                R"(]]},{"stream":{"device":"array-02","site":"FRA 2"},)"
                R"("values":[["1795915305000000000",)" +
                quoted(c6) + "]]}]}");
}

TEST(http_formats, loki_label_values_are_cut_to_2048_bytes_between_characters) {
  auto events = with_fields();
  auto e = events[0].fields();
  e.type = "x";
  for (int i = 0; i < 1500; ++i) {
    e.type += "\xC3\xA9";  // two bytes each: byte 2048 is inside one
  }
  const std::vector<queued_event> one{{1, to_json(e)}};
  auto s = settings_of(http_format::loki);
  s.labels = {{"type", event_template::parse("{type}")}};
  const auto doc = nlohmann::json::parse(encode_batch(one, s));
  const std::string value = doc.at("streams").at(0).at("stream").at("type");
  EXPECT_EQ(value, e.type.substr(0, 2047));
}

TEST(http_formats, loki_default_labels_leave_static_fields_in_the_line) {
  EXPECT_EQ(encode_with_fields(settings_of(http_format::loki)),
            R"({"streams":[{"stream":{"device":"array-01","kind":"log","level":"error"},)"
            R"("values":[["1795915304000000000",)" +
                quoted(c5) +
                R"(]]},{"stream":{"device":"array-02","kind":"agent","level":"info"},)"
                R"("values":[["1795915305000000000",)" +
                quoted(c6) + "]]}]}");
}

TEST(http_formats, otlp_static_fields_are_resource_attributes) {
  EXPECT_EQ(encode_with_fields(settings_of(http_format::otlp)),
            R"({"resourceLogs":[{"resource":{"attributes":[)"
            R"({"key":"service.name","value":{"stringValue":"qsan"}},)"
            R"({"key":"qsan.device","value":{"stringValue":"array-01"}},)"
            R"({"key":"host.name","value":{"stringValue":"192.0.2.10"}},)"
            R"({"key":"device.manufacturer","value":{"stringValue":"QSAN"}},)"
            R"({"key":"device.model.identifier","value":{"stringValue":"XS5226"}},)"
            R"({"key":"site","value":{"stringValue":"ams-1"}},)"
            R"({"key":"rack.row","value":{"stringValue":"r4"}}]},)"
            R"("scopeLogs":[{"scope":{"name":"qsanfwd"},"logRecords":[)"
            R"({"timeUnixNano":"1795915304000000000","severityNumber":17,"severityText":"error",)"
            R"("body":{"stringValue":"Pool degraded"},"attributes":[)"
            R"({"key":"log.record.uid","value":{"stringValue":"s5"}},)"
            R"({"key":"qsan.kind","value":{"stringValue":"log"}},)"
            R"({"key":"qsan.timestamp","value":{"intValue":"1795915304"}},)"
            R"({"key":"qsan.type","value":{"stringValue":"error"}}]}]}]},)"
            R"({"resource":{"attributes":[)"
            R"({"key":"service.name","value":{"stringValue":"qsan"}},)"
            R"({"key":"qsan.device","value":{"stringValue":"array-02"}},)"
            R"({"key":"host.name","value":{"stringValue":"array-02"}},)"
            R"({"key":"device.manufacturer","value":{"stringValue":"QSAN"}},)"
            R"({"key":"site","value":{"stringValue":"FRA 2"}},)"
            R"({"key":"device","value":{"stringValue":"x"}}]},)"
            R"("scopeLogs":[{"scope":{"name":"qsanfwd"},"logRecords":[)"
            R"({"timeUnixNano":"1795915305000000000","severityNumber":9,"severityText":"info",)"
            R"("body":{"stringValue":"unreachable"},"attributes":[)"
            R"({"key":"log.record.uid","value":{"stringValue":"s6"}},)"
            R"({"key":"qsan.kind","value":{"stringValue":"agent"}},)"
            R"({"key":"qsan.timestamp","value":{"intValue":"1795915305"}},)"
            R"({"key":"qsan.type","value":{"stringValue":"device_unreachable"}}]}]}]}]})");
}

TEST(http_formats, otlp_events_of_one_device_with_other_fields_are_other_resources) {
  auto events = with_fields();
  auto e = events[0].fields();
  e.fields = {{"site", "ams-2"}, {"host.name", "shadow"}};
  events.push_back({7, to_json(e)});
  const auto body = encode_batch(events, settings_of(http_format::otlp));
  EXPECT_EQ(nlohmann::json::parse(body).at("resourceLogs").size(), 3U);
  EXPECT_NE(body.find(R"({"key":"site","value":{"stringValue":"ams-2"}}]})"), std::string::npos);
  EXPECT_EQ(body.find("shadow"), std::string::npos);
}

TEST(http_formats, elasticsearch_tags_are_the_words_of_the_flags) {
  auto events = flagged();
  auto e = events[0].fields();
  e.flags = "clock_ahead  other";
  events[0] = {4, to_json(e)};
  format_settings s;
  s.format = http_format::elasticsearch;
  s.index = event_template::parse("i");
  EXPECT_NE(encode_batch(events, s).find(R"("tags":["clock_ahead","other"],"qsan":)"),
            std::string::npos);
}

TEST(http_formats, otlp_severity_numbers_follow_the_opentelemetry_syslog_mapping) {
  EXPECT_EQ(otlp_severity_number(severity::debug), 5);
  EXPECT_EQ(otlp_severity_number(severity::info), 9);
  EXPECT_EQ(otlp_severity_number(severity::notice), 10);
  EXPECT_EQ(otlp_severity_number(severity::warning), 13);
  EXPECT_EQ(otlp_severity_number(severity::error), 17);
  EXPECT_EQ(otlp_severity_number(severity::critical), 18);
  EXPECT_EQ(otlp_severity_number(severity::alert), 19);
  EXPECT_EQ(otlp_severity_number(severity::emergency), 21);
}

std::vector<queued_event> numbered(int n) {
  std::vector<queued_event> out;
  for (int i = 0; i < n; ++i) {
    event e;
    e.id = "id-" + std::to_string(i);
    e.device = "array-01";
    e.timestamp = 1795915304 + i;
    e.message = "event " + std::to_string(i);
    out.emplace_back(i + 1, to_json(e));
  }
  return out;
}

TEST(http_formats, a_batch_too_big_for_max_bytes_splits_into_requests_that_fit) {
  const auto events = numbered(10);
  for (auto f : {http_format::ndjson, http_format::elasticsearch, http_format::otlp}) {
    format_settings s;
    s.format = f;
    s.index = event_template::parse("logs-qsan-default");
    const auto whole = encode_batch(events, s);
    const auto max = whole.size() / 3;
    const auto pieces = split_batch(events, s, max);
    ASSERT_GT(pieces.size(), 2U);
    std::size_t next = 0;
    for (const auto& p : pieces) {
      EXPECT_FALSE(p.too_large);
      EXPECT_LE(p.body.size(), max);
      EXPECT_EQ(p.body, encode_batch(p.events, s));
      EXPECT_EQ(p.events.data(), events.data() + next);  // in order, each event once
      next += p.events.size();
    }
    EXPECT_EQ(next, events.size());
  }
}

TEST(http_formats, a_batch_that_fits_is_one_request_and_a_lone_event_too_big_is_marked) {
  const auto events = numbered(3);
  const format_settings s;
  const auto whole = split_batch(events, s, 1 << 20);
  ASSERT_EQ(whole.size(), 1U);
  EXPECT_EQ(whole[0].events.size(), 3U);
  const auto tiny = split_batch(std::span(events).first(1), s, 10);
  ASSERT_EQ(tiny.size(), 1U);
  EXPECT_TRUE(tiny[0].too_large);
  EXPECT_TRUE(tiny[0].body.empty());
}

TEST(http_formats, bulk_answers_are_read_item_by_item) {
  const auto ok = read_bulk_response(R"({"took":3,"errors":false,"items":[]})", 4);
  ASSERT_TRUE(ok);
  ASSERT_EQ(ok->size(), 4U);
  const auto mixed = read_bulk_response(
      R"({"errors":true,"items":[{"create":{"status":201}},{"create":{"status":409,)"
      R"("error":{"type":"version_conflict_engine_exception","reason":"exists"}}},)"
      R"({"create":{"status":400,"error":{"type":"mapper_parsing_exception",)"
      R"("reason":"failed to parse field [qsan.timestamp]"}}},)"
      R"({"create":{"status":429,"error":{"type":"es_rejected_execution_exception"}}},)"
      R"({"create":{"status":503}}]})",
      5);
  ASSERT_TRUE(mixed);
  ASSERT_EQ(mixed->size(), 5U);
  EXPECT_EQ((*mixed)[0].result, outcome::delivered);
  EXPECT_EQ((*mixed)[1].result, outcome::delivered);
  EXPECT_EQ((*mixed)[2].result, outcome::rejected);
  EXPECT_EQ((*mixed)[2].reason,
            "HTTP 400 mapper_parsing_exception: failed to parse field [qsan.timestamp]");
  EXPECT_EQ((*mixed)[3].result, outcome::retry);
  EXPECT_EQ((*mixed)[3].reason, "HTTP 429 es_rejected_execution_exception");
  EXPECT_EQ((*mixed)[4].result, outcome::retry);
  EXPECT_FALSE(read_bulk_response("<html>bad gateway</html>", 1));
  EXPECT_FALSE(read_bulk_response(R"({"errors":true,"items":[]})", 1));
}

// Whatever the receiver (or a proxy) answers, each item settles, and reasons stay short.
TEST(http_formats, bulk_answers_of_any_shape_settle_every_item) {
  const std::string long_reason(5000, 'r');
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  const auto items = read_bulk_response(
      R"({"errors":true,"items":[)"
      R"({"create":{"status":400,"error":{"type":7,"reason":{"a":1}}}},)"
      R"({"create":{"status":429,"error":{"type":null,"reason":")" +
          long_reason +
          R"("}}},)"
          R"({"create":{"status":400,"error":{"type":"x","caused_by":)" +
          deep +
          R"(}}},)"
          R"({"create":{"status":"201"}},{"create":{"status":99999999999}},{"create":{}},)"
          R"({"create":[]},{},7,{"create":{"status":201},"index":{"status":201}},)"
          R"({"create":{"status":503,"error":"busy"}}]})",
      11);
  ASSERT_TRUE(items);
  const std::vector<std::pair<outcome, std::string>> expected = {
      {outcome::rejected, "HTTP 400 (type is a JSON number): (reason is a JSON object)"},
      {outcome::retry, "HTTP 429 (type is a JSON null): " + long_reason.substr(0, 200) + "..."},
      {outcome::rejected, "HTTP 400 x"},
      {outcome::rejected, "unreadable bulk answer item (no HTTP status)"},
      {outcome::rejected, "unreadable bulk answer item (no HTTP status)"},
      {outcome::rejected, "unreadable bulk answer item (no HTTP status)"},
      {outcome::rejected, "unreadable bulk answer item (not an object with one action)"},
      {outcome::rejected, "unreadable bulk answer item (not an object with one action)"},
      {outcome::rejected, "unreadable bulk answer item (not an object with one action)"},
      {outcome::rejected, "unreadable bulk answer item (not an object with one action)"},
      {outcome::retry, "HTTP 503"},
  };
  ASSERT_EQ(items->size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ((*items)[i].result, expected[i].first) << i;
    EXPECT_EQ((*items)[i].reason, expected[i].second) << i;
  }
  for (const char* whole : {"", "null", "[]", "7", R"({"errors":true})", R"({"items":{}})",
                            R"({"errors":"no","items":[]})", "{\"items\":[[[[[[[[[[[[[[["}) {
    EXPECT_FALSE(read_bulk_response(whole, 1)) << whole;
  }
  EXPECT_FALSE(read_bulk_response(deep, 1));
}

// A receiver (or a proxy) answering with far more items than the batch had is refused after a
// few values, not read whole: nlohmann's filtering parser took time quadratic in the items.
TEST(http_formats, bulk_answers_with_millions_of_items_are_refused_early) {
  std::string flood = R"({"errors":true,"items":[)";
  for (int i = 0; i < 2'000'000; ++i) {
    flood += "{},";
  }
  flood += "{}]}";
  const auto refused = read_bulk_response(flood, 2);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message, "the bulk answer holds more than 128 values for 2 events");
  // A whole Elasticsearch answer for 1,000 events, every item with its usual fields, is read.
  std::string answer = R"({"took":30,"errors":true,"items":[)";
  for (int i = 0; i < 1000; ++i) {
    answer += std::string(i == 0 ? "" : ",") +
              R"({"create":{"_index":"qsan","_id":"a)" + std::to_string(i) +
              R"(","_version":1,"result":"created","_shards":{"total":2,"successful":1,)"
              R"("failed":0},"_seq_no":7,"_primary_term":1,"status":201}})";
  }
  answer += "]}";
  const auto read = read_bulk_response(answer, 1000);
  ASSERT_TRUE(read) << read.error().message;
  ASSERT_EQ(read->size(), 1000U);
  EXPECT_TRUE(std::all_of(read->begin(), read->end(),
                          [](const auto& item) { return item.result == outcome::delivered; }));
}

TEST(http_formats, gzip_output_is_a_gzip_member) {
  const auto z = gzip(std::string(10000, 'x'));
  ASSERT_GT(z.size(), 10U);
  EXPECT_EQ(static_cast<unsigned char>(z[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(z[1]), 0x8b);
  EXPECT_LT(z.size(), 200U);
}

}  // namespace
}  // namespace qsanfwd::sinks
