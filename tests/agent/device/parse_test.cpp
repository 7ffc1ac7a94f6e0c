#include "agent/device/parse.hpp"

#include <gtest/gtest.h>

#include "agent/core/time.hpp"
#include "agent/device/device_client.hpp"

namespace qsanfwd::device {
namespace {

TEST(parse_log_page, reads_the_documented_shape) {
  auto page = parse_log_page(R"({"logs":[{"type":"info","timestamp":155284325,
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
  auto page = parse_log_page(R"({"logs":[],"total":3})");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->total, 3);
  EXPECT_FALSE(page->have_next_page);
  auto no_total = parse_log_page(R"({"logs":[{"type":"info","timestamp":1,"message":"m"}]})");
  ASSERT_TRUE(no_total);
  EXPECT_EQ(no_total->total, 1);
}

TEST(parse_log_page, errors_name_endpoint_and_field) {
  auto truncated = parse_log_page(R"({"logs":[{"type":"info","timesta)");
  ASSERT_FALSE(truncated);
  EXPECT_NE(truncated.error().message.find("/rest/v1/log/list"), std::string::npos);
  EXPECT_NE(truncated.error().message.find("not valid JSON"), std::string::npos);

  auto bad_ts = parse_log_page(R"({"logs":[{"type":"info","timestamp":1,"message":"a"},
      {"type":"info","timestamp":"soon","message":"b"}]})");
  ASSERT_FALSE(bad_ts);
  EXPECT_NE(bad_ts.error().message.find("logs[1].timestamp is not an integer"), std::string::npos)
      << bad_ts.error().message;

  auto no_logs = parse_log_page(R"({"total":1})");
  ASSERT_FALSE(no_logs);
  EXPECT_NE(no_logs.error().message.find("field logs is missing"), std::string::npos);
  EXPECT_FALSE(parse_log_page("[1,2]"));
}

// parse_log_page reads the usual pages without nlohmann's DOM; whatever it reads, the answer (or
// the error) must be the DOM reader's, byte for byte.
void expect_same_as_dom(std::string_view body) {
  const auto fast = parse_log_page(body);
  const auto dom = detail::parse_log_page_dom(body);
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
    auto page = parse_log_page(std::string(R"({"logs":[{"type":"info","timestamp":)") + ts +
                               R"(,"message":"m"}]})");
    ASSERT_FALSE(page) << ts;
    EXPECT_NE(page.error().message.find("logs[0].timestamp is not an integer"), std::string::npos)
        << page.error().message;
  }
  auto edge = parse_log_page(R"({"logs":[{"type":"info","timestamp":-9.2e18,"message":"m"}]})");
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

}  // namespace
}  // namespace qsanfwd::device
