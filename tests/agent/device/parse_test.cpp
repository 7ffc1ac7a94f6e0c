#include "agent/device/parse.hpp"

#include <gtest/gtest.h>

#include "agent/core/time.hpp"
#include "agent/device/device_client.hpp"

namespace qsanfwd::device {
namespace {

constexpr std::size_t page_size = 1000;

result<log_page> read_page(std::string_view body) {
  return parse_log_page(body, page_size);
}

TEST(parse_log_page, reads_the_documented_shape) {
  auto page = read_page(R"({"logs":[{"type":"info","timestamp":155284325,
      "message":"User 'admin' is login."},{"type":"error","timestamp":"155284326","message":"x"}],
      "total":"1000","haveNextPage":true})");
  ASSERT_TRUE(page) << page.error().message;
  ASSERT_EQ(page->logs.size(), 2U);
  EXPECT_EQ(page->logs[0], (log_entry{155284325, "info", "User 'admin' is login."}));
  EXPECT_EQ(page->logs[1].timestamp, 155284326);
  EXPECT_EQ(page->total, 1000);
  EXPECT_TRUE(page->have_next_page);
}

TEST(parse_log_page, integers_and_strings_both_work_and_optional_fields_default) {
  auto page = read_page(R"({"logs":[],"total":3})");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->total, 3);
  EXPECT_FALSE(page->have_next_page);
  auto no_total = read_page(R"({"logs":[{"type":"info","timestamp":1,"message":"m"}]})");
  ASSERT_TRUE(no_total);
  EXPECT_EQ(no_total->total, 1);
}

TEST(parse_log_page, errors_name_endpoint_and_field) {
  auto truncated = read_page(R"({"logs":[{"type":"info","timesta)");
  ASSERT_FALSE(truncated);
  EXPECT_NE(truncated.error().message.find("/rest/v1/log/list"), std::string::npos);
  EXPECT_NE(truncated.error().message.find("not valid JSON"), std::string::npos);

  auto bad_ts = read_page(R"({"logs":[{"type":"info","timestamp":1,"message":"a"},
      {"type":"info","timestamp":"soon","message":"b"}]})");
  ASSERT_FALSE(bad_ts);
  EXPECT_NE(bad_ts.error().message.find("logs[1].timestamp is not an integer"), std::string::npos)
      << bad_ts.error().message;

  auto no_logs = read_page(R"({"total":1})");
  ASSERT_FALSE(no_logs);
  EXPECT_NE(no_logs.error().message.find("field logs is missing"), std::string::npos);
  EXPECT_FALSE(read_page("[1,2]"));
}

// parse_log_page reads the usual pages without nlohmann's DOM; whatever it reads, the answer (or
// the error) must be the DOM reader's, byte for byte.
void expect_same_as_dom(std::string_view body) {
  const auto fast = read_page(body);
  const auto dom = detail::parse_log_page_dom(body, page_size);
  ASSERT_EQ(fast.ok(), dom.ok()) << body << "\n"
                                 << (fast.ok() ? dom.error().message : fast.error().message);
  if (!dom.ok()) {
    EXPECT_EQ(fast.error().message, dom.error().message) << body;
    return;
  }
  EXPECT_EQ(fast->logs, dom->logs) << body;
  EXPECT_EQ(fast->total, dom->total) << body;
  EXPECT_EQ(fast->have_next_page, dom->have_next_page) << body;
}

std::string page_with_line(std::string_view fields) {
  return std::string(R"({"logs":[{"type":"info","timestamp":1,"message":"a"},{)") +
         std::string(fields) + R"(}],"total":2,"haveNextPage":false})";
}

TEST(parse_log_page, strings_escapes_and_utf8_as_the_dom_reads_them) {
  for (const char* message : {R"("plain")",
                              R"("q\"b\\s\/n\nr\rt\tb\bf\f")",
                              R"("\u0041\u00e9\u20AC\u0000")",
                              R"("\ud83d\ude00 pair")",
                              R"("\ud83d lone")",
                              "\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\"",
                              "\"bad \xC3\x28\"",
                              "\"overlong \xC0\xAF\"",
                              "\"surrogate \xED\xA0\x80\"",
                              "\"above \xF4\x90\x80\x80\"",
                              "\"cut \xE2\x82\"",
                              "\"ctl \x01\"",
                              "\"del \x7F\"",
                              R"("bad \x escape")",
                              R"("\u12G4")",
                              R"("\u12")",
                              "7",
                              "-7",
                              "0",
                              "-0",
                              "1.5",
                              "1e3",
                              "18446744073709551615",
                              "18446744073709551616",
                              "true",
                              "null",
                              "[]",
                              "{}"}) {
    expect_same_as_dom(
        page_with_line(std::string(R"("type":"info","timestamp":2,"message":)") + message));
  }
}

TEST(parse_log_page, timestamps_totals_and_flags_as_the_dom_reads_them) {
  for (const char* ts : {"2",
                         "-2",
                         "\" 3 \"",
                         "\"+3\"",
                         "\"\"",
                         "\"x\"",
                         "2.9",
                         "-2.9",
                         "1e300",
                         "9223372036854775807",
                         "9223372036854775808",
                         "-9223372036854775808",
                         "-9223372036854775809",
                         "01",
                         "-",
                         "2a",
                         "true",
                         "null",
                         "[2]",
                         "{\"a\":2}"}) {
    expect_same_as_dom(
        page_with_line(std::string(R"("type":"info","message":"m","timestamp":)") + ts));
  }
  for (const char* v :
       {"3", "\"3\"", "\" 3 \"", "3.7", "-1", "1e300", "18446744073709551615", "true", "false",
        "null", "\"true\"", "\" true \"", "\"1\"", "[1]", "{\"a\":1}", "0", "0.2", "\"x\""}) {
    for (const char* key : {"total", "haveNextPage"}) {
      expect_same_as_dom(std::string(R"({"logs":[{"type":"info","timestamp":1,"message":"m"}],")") +
                         key + "\":" + v + "}");
    }
  }
}

TEST(parse_log_page, odd_shapes_as_the_dom_reads_them) {
  for (
      const char* body : {
          R"({"logs":[]})",
          R"({"logs":{}})",
          R"({"logs":null})",
          R"({"logs":[1]})",
          R"({"logs":[[]]})",
          R"({"logs":[{}]})",
          R"([])",
          R"("logs")",
          R"(7)",
          "",
          " ",
          "{",
          R"({"logs":[]}x)",
          R"({"logs":[],})",
          R"({"logs":[,]})",
          R"({"logs":[]} )",
          "\xEF\xBB\xBF{\"logs\":[]}",
          " \t\r\n{ \"logs\" : [ ] } \n",
          R"({" logs ":[{"type":"info","timestamp":1,"message":"m"}]})",
          R"({"logs":[],"logs ":[{"type":"info","timestamp":1,"message":"m"}]})",
          R"({"logs":[{"type":"info","timestamp":1,"message":"m"}],"logs":[]})",
          R"({"total":1,"total":2,"logs":[]})",
          R"({"logs":[{" type":"info","timestamp":1,"message":"m"}]})",
          R"({"logs":[{"type":"info","type":"error","timestamp":1,"message":"m"}]})",
          R"({"logs":[{"type":"info","timestamp":1}]})",
          R"({"logs":[{"type":"info","timestamp":1,"message":"m","extra":{"a":[1,{"b":null}],"c":1.5e9}}]})",
          R"({"meta":{"logs":5,"x":[[[]]]},"logs":[{"type":"info","timestamp":1,"message":"m"}]})",
          R"({"logs":[{"type":"info","timestamp":1,"message":"m"}],"total":{"logs":[]}})",
      }) {
    expect_same_as_dom(body);
  }
  std::string deep = R"({"logs":[],"x":)";
  deep += std::string(200, '[') + std::string(200, ']') + "}";
  expect_same_as_dom(deep);
}

TEST(parse_token_grant, refresh_token_only_when_offline) {
  auto g = parse_token_grant("/auth/get",
                             R"({"accessToken":"A","expireTime":1564651542,"refreshToken":"R"})");
  ASSERT_TRUE(g);
  EXPECT_EQ(g->access_token, "A");
  EXPECT_EQ(g->expire_time, 1564651542);
  EXPECT_EQ(g->refresh_token, "R");
  auto r = parse_token_grant("/auth/refresh", R"({"accessToken":"B","expireTime":"1564651542"})");
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->refresh_token);
  auto bad = parse_token_grant("/auth/get", R"({"expireTime":1})");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("/auth/get: field accessToken is missing"), std::string::npos);
}

TEST(parse_enclosures, local_and_expansion_with_stray_key_spaces) {
  auto e = parse_enclosures(R"([{"encId":0,"info":{"sysHealth":"Good","modelName":"XS5226",
      "serialNumber":"QS1","moreInfo":{"voltage":[{"name":"+3.3V","value":3}],
      " cacheToFlash ":[{"name":"Power Module Status ","status":"absent"}],
      "temperature":[{"name":"CPU","value":61,"status":"Good"}],
      "fanSpeed":[{"name":"FAN1","value":"1225"}],"psuStatus":[{"name":"1","status":"Good"}]}}},
      {"encId":"1","info":{"serialNumber":"QS2","modelName":"XD5324"}}])");
  ASSERT_TRUE(e) << e.error().message;
  ASSERT_EQ(e->size(), 2U);
  EXPECT_EQ((*e)[0].model_name, "XS5226");
  ASSERT_EQ((*e)[0].fan_speed.size(), 1U);
  EXPECT_EQ((*e)[0].fan_speed[0].value, 1225.0);
  ASSERT_EQ((*e)[0].cache_to_flash.size(), 1U);
  EXPECT_EQ((*e)[0].cache_to_flash[0].status, "absent");
  EXPECT_EQ((*e)[0].temperature[0].value, 61.0);
  EXPECT_EQ((*e)[1].enc_id, 1);
  EXPECT_TRUE((*e)[1].sys_health.empty());
  EXPECT_TRUE((*e)[1].psu_status.empty());
}

TEST(parse_disks, ids_as_strings_or_integers_and_no_data_zeroes) {
  auto d = parse_disks(R"({"disks":[{"id":"e0d0","encID":"0","slot":0,"health":"Good",
      "isSSD":true,"ssdLifeRemain":87,"temperature":0,"serial":"WD-100000"},
      {"id":7,"encID":1,"slot":"3","health":"Failed","isSSD":false,"ssdLifeRemain":"0",
       "temperature":"41"}]})");
  ASSERT_TRUE(d) << d.error().message;
  ASSERT_EQ(d->size(), 2U);
  EXPECT_EQ((*d)[0].ssd_life_remain, 87);
  EXPECT_EQ((*d)[0].temperature, std::nullopt);
  EXPECT_EQ((*d)[1].id, "7");
  EXPECT_EQ((*d)[1].enc_id, "1");
  EXPECT_EQ((*d)[1].slot, 3);
  EXPECT_EQ((*d)[1].ssd_life_remain, std::nullopt);
  EXPECT_EQ((*d)[1].temperature, 41);
}

TEST(parse_pools_and_volumes, raidsets_and_members) {
  auto p = parse_pools(R"({"pools":[{"name":"Pool1","id":"","totalSize":10240,"usedSize":"5120",
      "health":"Good","status":"","raidsets":[{"id":0,"raidLevel":"RAID 1","status":"Online",
      "health":"Good","disks":["330897208",1256553884]}]}]})");
  ASSERT_TRUE(p) << p.error().message;
  ASSERT_EQ(p->size(), 1U);
  EXPECT_EQ((*p)[0].used_mb, 5120);
  ASSERT_EQ((*p)[0].raidsets.size(), 1U);
  EXPECT_EQ((*p)[0].raidsets[0].id, "0");
  EXPECT_EQ((*p)[0].raidsets[0].disks, (std::vector<std::string>{"330897208", "1256553884"}));
  auto v = parse_volumes(R"({"volumes":[{"id":2982171380,"name":"backup","status":"Online",
      "health":"Optimal","poolID":2976963663}]})");
  ASSERT_TRUE(v);
  EXPECT_EQ((*v)[0].id, "2982171380");
  EXPECT_EQ((*v)[0].health, "Optimal");
  EXPECT_FALSE(parse_volumes(R"({"volumes":[{"id":1}]})"));
}

// Found by tests/fuzz: a float beyond int64 (1e300) was cast to an integer, which is undefined.
TEST(parse_log_page, numbers_beyond_int64_are_not_integers) {
  for (const char* ts : {"1e300", "-1e300", "9.3e18", "18446744073709551615"}) {
    auto page = read_page(std::string(R"({"logs":[{"type":"info","timestamp":)") + ts +
                               R"(,"message":"m"}]})");
    ASSERT_FALSE(page) << ts;
    EXPECT_NE(page.error().message.find("logs[0].timestamp is not an integer"), std::string::npos)
        << page.error().message;
  }
  auto edge = read_page(R"({"logs":[{"type":"info","timestamp":-9.2e18,"message":"m"}]})");
  ASSERT_TRUE(edge) << edge.error().message;
  EXPECT_EQ(edge->logs[0].timestamp, -9'200'000'000'000'000'000);
}

// An enclosure id or slot outside int would wrap (2^32 became enclosure 0): refused or absent.
TEST(parse_enclosures, ids_beyond_int_are_refused_not_wrapped) {
  auto numbers = parse_enclosure_numbers(R"({"enclosureNumbers":[0,4294967296]})");
  ASSERT_FALSE(numbers);
  EXPECT_NE(numbers.error().message.find("enclosureNumbers[1] is not an integer"),
            std::string::npos);
  auto e = parse_enclosures(R"([{"encId":4294967296,"info":{}}])");
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message.find("[0].encId is out of range"), std::string::npos);
  auto d = parse_disks(R"({"disks":[{"id":"e0d1","slot":4294967297,"temperature":1e12}]})");
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ((*d)[0].slot, 0);
  EXPECT_FALSE((*d)[0].temperature);
}

TEST(token_timing, lifetime_from_the_array_and_a_margin) {
  EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), 784111777);
  EXPECT_EQ(parse_http_date("yesterday"), std::nullopt);
  EXPECT_EQ(http_date(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(token_use_period(3600), duration{3'539'000});
  EXPECT_EQ(token_use_period(2), duration{500});
  EXPECT_EQ(token_use_period(1), duration{0});
  EXPECT_EQ(token_use_period(61), duration{30'000});
}

// Hostile answers (issue 23): each is refused with an error naming the endpoint and the field or
// the limit, never a crash, and never by building all of what the array sent.

/// `levels` arrays nested in one another: ~2 bytes a level.
std::string nested(std::size_t levels) {
  return std::string(levels, '[') + std::string(levels, ']');
}

void expect_failure(const auto& r, std::string_view endpoint, std::string_view words) {
  ASSERT_FALSE(r) << "expected: " << words;
  const auto& message = r.error().message;
  EXPECT_EQ(message.rfind(endpoint, 0), 0U) << message;
  EXPECT_NE(message.find(words), std::string::npos) << message;
  EXPECT_LT(message.size(), 300U) << "an error quotes a bounded prefix only";
}

TEST(hostile_answers, deep_nesting_in_a_timestamp_is_an_error_not_a_crash) {
  const auto body = R"({"logs":[{"type":"info","message":"m","timestamp":)" + nested(75'000) +
                    "}]}";
  expect_failure(read_page(body), "/rest/v1/log/list", "nests deeper than 64 levels");
  expect_failure(detail::parse_log_page_dom(body, page_size), "/rest/v1/log/list",
                 "nests deeper than 64 levels");
  // 64 levels in all is still read: the limit is the only change for an answer of sane depth.
  const auto at_limit = R"({"logs":[{"type":"info","message":"m","timestamp":1,"x":)" +
                        nested(61) + "}]}";
  EXPECT_TRUE(read_page(at_limit));
  const auto past_limit = R"({"logs":[{"type":"info","message":"m","timestamp":1,"x":)" +
                          nested(62) + "}]}";
  expect_failure(read_page(past_limit), "/rest/v1/log/list", "nests deeper than 64 levels");
}

TEST(hostile_answers, deep_nesting_anywhere_in_a_health_answer_is_an_error_not_a_crash) {
  const auto bomb = nested(75'000);
  expect_failure(parse_enclosures("[" + bomb + "]"), "/rest/v1/hardware/all/info", "nests deeper");
  expect_failure(parse_enclosures(R"({"encId":0,"info":{"sysHealth":)" + bomb + "}}"),
                 "/rest/v1/hardware/all/info", "nests deeper");
  expect_failure(parse_disks(R"({"ignored":)" + bomb + R"(,"disks":[]})"),
                 "/rest/v1/storage/disk/list", "nests deeper");
  expect_failure(parse_pools(R"({"pools":[{"name":"p","raidsets":[{"disks":[)" + bomb + "]}]}]}"),
                 "/rest/v1/storage/pool/list", "nests deeper");
  expect_failure(parse_volumes(R"({"volumes":)" + bomb + "}"), "/rest/v1/storage/volume/list",
                 "nests deeper");
  expect_failure(parse_token_grant("/auth/get", R"({"accessToken":)" + bomb + "}"), "/auth/get",
                 "nests deeper");
}

TEST(hostile_answers, errors_quote_a_short_escaped_prefix_of_a_value) {
  const auto long_text = R"(\"\n)" + std::string(10'000, 'x');
  const auto page = read_page(R"({"logs":[{"type":"info","message":"m","timestamp":")" +
                              long_text + R"("}]})");
  expect_failure(page, "/rest/v1/log/list", R"(logs[0].timestamp is not an integer: "\"\x0axxx)");
  EXPECT_NE(page.error().message.find(R"(xxx"...)"), std::string::npos) << page.error().message;
  const auto array = read_page(R"({"logs":[{"type":"info","message":"m","timestamp":[1,2]}]})");
  expect_failure(array, "/rest/v1/log/list", "logs[0].timestamp is not an integer: an array");
}

TEST(hostile_answers, a_page_with_more_lines_than_asked_for_is_refused) {
  std::string body = R"({"total":9,"logs":[)";
  for (int i = 0; i < 6; ++i) {
    body += std::string(i == 0 ? "" : ",") + R"({"type":"info","timestamp":1,"message":"m"})";
  }
  const auto exact = parse_log_page(body + "]}", 6);
  ASSERT_TRUE(exact) << exact.error().message;
  EXPECT_EQ(exact->logs.size(), 6U);
  const auto words = "field logs holds more than 5 lines, the pageSize asked for";
  expect_failure(parse_log_page(body + "]}", 5), "/rest/v1/log/list", words);
  expect_failure(detail::parse_log_page_dom(body + "]}", 5), "/rest/v1/log/list", words);
  // Reading stops at the first line too many: what follows it is never looked at.
  expect_failure(parse_log_page(body + R"(,{"type": garbage)", 5), "/rest/v1/log/list", words);
  // Also when the page is read through the DOM (a key with stray spaces sends it there).
  const auto odd = R"({" total ":9,)" + body.substr(1);
  expect_failure(parse_log_page(odd + R"(,{"type": garbage)", 5), "/rest/v1/log/list", words);
}

/// `{"<list>":[item,item,...]}` with `count` items.
std::string list_of(std::string_view list, std::string_view item, std::size_t count) {
  std::string body = "{\"" + std::string(list) + "\":[";
  for (std::size_t i = 0; i < count; ++i) {
    body += (i == 0 ? "" : ",") + std::string(item);
  }
  return body + "]}";
}

TEST(hostile_answers, fields_no_reader_asks_for_cost_nothing) {
  // 400,000 values in a field nobody reads: dropped while parsed, so under the value cap.
  const auto junk = list_of("junk", R"([1,"b",{"a":2}])", 100'000);
  const auto body = R"({"disks":[{"id":"d1","health":"Good","ignored":)" + junk + "}]}";
  const auto disks = parse_disks(body);
  ASSERT_TRUE(disks) << disks.error().message;
  ASSERT_EQ(disks->size(), 1U);
  EXPECT_EQ((*disks)[0].health, "Good");
  // Values in a field that is read count, and so do the elements of each array or object.
  const auto nine_thousand = list_of("x", "1", 9'000).substr(5);
  std::string kept = R"({"disks":[{"id":"d1","health":[)";
  for (int i = 0; i < 12; ++i) {
    kept += (i == 0 ? "" : ",") + nine_thousand.substr(0, nine_thousand.size() - 1);
  }
  expect_failure(parse_disks(kept + "]}]}"), "/rest/v1/storage/disk/list",
                 "the answer holds more than 100000 values");
  const auto long_array = R"({"disks":[{"id":"d1","health":)" + junk.substr(8, junk.size() - 9) +
                          "}]}";
  expect_failure(parse_disks(long_array), "/rest/v1/storage/disk/list",
                 "an array or object in the answer holds more than 10000 elements");
}

TEST(hostile_answers, a_total_too_large_to_keep_fails_the_same_way_on_every_path) {
  const auto body = R"({"logs":[],"total":)" + list_of("x", "1", 10'001).substr(5);
  expect_failure(read_page(body), "/rest/v1/log/list",
                 "an array or object in the answer holds more than 10000 elements");
  expect_same_as_dom(body);
}

TEST(hostile_answers, lists_longer_than_any_array_holds_are_refused) {
  expect_failure(parse_disks(list_of("disks", R"({"id":1})", 10'001)),
                 "/rest/v1/storage/disk/list", "field disks holds more than 10000 items");
  EXPECT_TRUE(parse_disks(list_of("disks", R"({"id":1})", 10'000)));
  expect_failure(parse_enclosure_numbers(list_of("enclosureNumbers", "1", 10'001)),
                 "/rest/v1/hardware/info", "field enclosureNumbers holds more than 10000 items");
  const auto many = list_of("x", R"({"encId":1,"info":{}})", 10'001);
  expect_failure(parse_enclosures(many.substr(5, many.size() - 6)), "/rest/v1/hardware/all/info",
                 "field [] holds more than 10000 items");
}

TEST(hostile_answers, tokens_that_cannot_go_into_a_header_are_refused_unshown) {
  // As the JSON text has them: escaped control bytes, a space, raw and escaped non-ASCII.
  for (const std::string bad : {R"(abc\r\nX-Injected: 1)", R"(abc\u0000def)", "abc def",
                                R"(abc\tdef)", "abc\xC3\xA9", R"(abc\u00e9)", R"(abc\u007f)"}) {
    const auto access = parse_token_grant("/auth/get", R"({"accessToken":")" + bad + R"("})");
    expect_failure(access, "/auth/get", "field accessToken holds a control, space or non-ASCII");
    EXPECT_EQ(access.error().message.find("abc"), std::string::npos) << "the token is shown";
    const auto refresh = parse_token_grant(
        "/auth/refresh", R"({"accessToken":"A.b-c_d~e+f/g=","refreshToken":")" + bad + R"("})");
    expect_failure(refresh, "/auth/refresh", "field refreshToken holds a control");
  }
  EXPECT_TRUE(parse_token_grant("/auth/get", R"({"accessToken":"eyJhbGciOi.J9-x_y~z+/="})"));
}

TEST(parse_pools_and_volumes, member_disks_given_as_objects_read_as_their_ids) {
  const auto p = parse_pools(R"({"pools":[{"name":"P","raidsets":[{"disks":[{"id":7},"8",[9]]}]}]})");
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ((*p)[0].raidsets[0].disks, (std::vector<std::string>{"7", "8", ""}));
}

TEST(parse_iscsi_sessions, san_and_nas_sessions_per_controller) {
  const auto sessions = parse_iscsi_sessions(R"({"iscsi":[
      {"ctrlID":0,"status":[{"x":1}],"sessions":[{"id":"7","TSIH":"7","initiatorName":"iqn.a",
        "targetID":"0","targetName":"iqn.t","maxDataBurstLen":262144}]},
      {"ctrlID":"1","sessions":[{"initiatorName":"iqn.b","targetName":"iqn.t",
        "clientIP":"192.0.2.7","clientPort":51000,"clientName":"host-b","loginTime":1}]},
      {"sessions":[]}]})");
  ASSERT_TRUE(sessions) << sessions.error().message;
  ASSERT_EQ(sessions->size(), 2U);
  EXPECT_EQ((*sessions)[0].ctrl_id, 0);
  EXPECT_EQ((*sessions)[0].tsih, "7");
  EXPECT_EQ((*sessions)[0].initiator_name, "iqn.a");
  EXPECT_EQ((*sessions)[0].target_id, "0");
  EXPECT_EQ((*sessions)[1].ctrl_id, 1);
  EXPECT_EQ((*sessions)[1].target_id, "");
  EXPECT_EQ((*sessions)[1].client_ip, "192.0.2.7");
  // The table calls `iscsi` an object: one controller is read too.
  const auto one = parse_iscsi_sessions(R"({"iscsi":{"ctrlID":1,"sessions":[
      {"initiatorName":"iqn.c","targetID":3}]}})");
  ASSERT_TRUE(one) << one.error().message;
  ASSERT_EQ(one->size(), 1U);
  EXPECT_EQ((*one)[0].ctrl_id, 1);
  EXPECT_EQ((*one)[0].target_id, "3");
}

TEST(parse_iscsi_sessions, errors_name_the_field) {
  expect_failure(parse_iscsi_sessions(R"({"sessions":[]})"), "/rest/v1/iscsi/session/list",
                 "field iscsi is missing");
  expect_failure(parse_iscsi_sessions(R"({"iscsi":[{"ctrlID":0}]})"), "/rest/v1/iscsi/session/list",
                 "field iscsi[0].sessions is missing");
  expect_failure(parse_iscsi_sessions(R"({"iscsi":[{"ctrlID":0,"sessions":[{"TSIH":"1"}]}]})"),
                 "/rest/v1/iscsi/session/list", "field iscsi[0].sessions[0].initiatorName");
  expect_failure(parse_iscsi_sessions(R"({"iscsi":[7]})"), "/rest/v1/iscsi/session/list",
                 "field iscsi[0] is not an object");
  expect_failure(parse_iscsi_sessions(R"({"iscsi":[{"ctrlID":4294967296,"sessions":[]}]})"),
                 "/rest/v1/iscsi/session/list", "field iscsi[0].ctrlID is out of range");
  expect_failure(parse_iscsi_sessions(R"({"iscsi":[{"sessions":)" + nested(75'000) + "}]}"),
                 "/rest/v1/iscsi/session/list", "nests deeper");
  const auto many = list_of("sessions", R"({"initiatorName":"i"})", 10'001);
  expect_failure(parse_iscsi_sessions(R"({"iscsi":[)" + many + "]}"), "/rest/v1/iscsi/session/list",
                 "holds more than 10000 elements");
}

TEST(parse_replication_tasks, san_lines_nas_destination_and_ids_as_numbers) {
  const auto tasks = parse_replication_tasks(R"({"tasks":[
      {"id":2977911540,"source":"vol-data","status":"Online","rate":100,
       "destination":[{"no":0,"sourcePort":"eth2","IP":"10.0.0.2","targetName":"iqn.dr",
                       "Lun":"0","status":"Online"},
                      {"IP":"10.0.0.3","targetName":"iqn.dr","status":"Disconnected"}],
       "schedule":{"minute":[]}},
      {"id":"9","status":"Replicating","destination":{"no":1,"name":"backup-vol","IP":"10.1.1.1"}},
      {"id":"10","destination":""}]})");
  ASSERT_TRUE(tasks) << tasks.error().message;
  ASSERT_EQ(tasks->size(), 3U);
  const auto& t = (*tasks)[0];
  EXPECT_EQ(t.id, "2977911540");
  EXPECT_EQ(t.source, "vol-data");
  EXPECT_EQ(t.status, "Online");
  ASSERT_EQ(t.destinations.size(), 2U);
  EXPECT_EQ(t.destinations[0].no, "0");
  EXPECT_EQ(t.destinations[0].ip, "10.0.0.2");
  EXPECT_EQ(t.destinations[0].target_name, "iqn.dr");
  EXPECT_EQ(t.destinations[0].lun, "0");
  EXPECT_EQ(t.destinations[1].no, "1") << "no line number: its position";
  EXPECT_EQ(t.destinations[1].status, "Disconnected");
  ASSERT_EQ((*tasks)[1].destinations.size(), 1U);
  EXPECT_EQ((*tasks)[1].destinations[0].target_name, "backup-vol") << "NAS names a volume";
  EXPECT_EQ((*tasks)[1].destinations[0].status, "");
  EXPECT_TRUE((*tasks)[2].destinations.empty());
}

TEST(parse_replication_tasks, errors_name_the_field) {
  const auto endpoint = "/rest/v1/backup/replication/list";
  expect_failure(parse_replication_tasks(R"({"task":[]})"), endpoint, "field tasks is missing");
  expect_failure(parse_replication_tasks(R"({"tasks":[{"status":"Online"}]})"), endpoint,
                 "field tasks[0].id is missing");
  expect_failure(parse_replication_tasks(R"({"tasks":[{"id":""}]})"), endpoint,
                 "field tasks[0].id is empty");
  expect_failure(parse_replication_tasks(R"({"tasks":[{"id":1,"destination":[3]}]})"), endpoint,
                 "field tasks[0].destination[0] is not an object");
  expect_failure(parse_replication_tasks(list_of("tasks", R"({"id":1})", 10'001)), endpoint,
                 "field tasks holds more than 10000 items");
}

TEST(parse_snapshot_tasks, sizes_as_numbers_or_strings) {
  const auto tasks = parse_snapshot_tasks(R"({"tasks":[
      {"id":2977911538,"usedSize":1024,"totalSize":"20480","schedule":[]},{"id":"5"}]})");
  ASSERT_TRUE(tasks) << tasks.error().message;
  ASSERT_EQ(tasks->size(), 2U);
  EXPECT_EQ((*tasks)[0].id, "2977911538");
  EXPECT_EQ((*tasks)[0].used_mb, 1024);
  EXPECT_EQ((*tasks)[0].total_mb, 20480);
  EXPECT_EQ((*tasks)[1].total_mb, 0);
  expect_failure(parse_snapshot_tasks(R"({"tasks":[{"usedSize":1}]})"),
                 "/rest/v1/backup/snapshot/list", "field tasks[0].id is missing");
  expect_failure(parse_snapshot_tasks("[]"), "/rest/v1/backup/snapshot/list",
                 "field tasks is missing");
}

}  // namespace
}  // namespace qsanfwd::device
