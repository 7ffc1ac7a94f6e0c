#include "sinks/http/http_sink.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>
#include <set>

#include "agent/pipeline/dispatcher.hpp"
#include "config/config_error.hpp"
#include "tests/agent/pipeline/helpers.hpp"
#include "tests/sinks/http/helpers.hpp"
#include "tests/sinks/http/recording_server.hpp"
#include "tests/support/run_coroutine.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/tls_cert.hpp"

namespace qsanfwd::sinks {
namespace {

using test::recording_server;
using test::scripted_response;

config::env_lookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    const auto it = vars.find(name);
    return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
}

/// The options `json` describes, read as the loader would.
http_options parse(const nlohmann::json& json, const config::env_lookup& env = env_of({})) {
  auto r = config::object_reader::open(json, env);
  auto o = parse_http_options(r);
  r.finish();
  return o;
}

std::string parse_error(const nlohmann::json& json) {
  try {
    parse(json);
  } catch (const config::config_error& e) {
    return e.what();
  }
  return "no error";
}

std::vector<queued_event> events(int from, int to) {
  std::vector<queued_event> out;
  for (int i = from; i < to; ++i) {
    out.emplace_back(i + 1, to_json(test::numbered_event(i)));
  }
  return out;
}

std::vector<std::string> ids(const std::vector<event>& es) {
  std::vector<std::string> out;
  for (const auto& e : es) {
    out.push_back(e.id);
  }
  return out;
}

std::vector<std::string> ids(const std::vector<queued_event>& es) {
  std::vector<std::string> out;
  for (const auto& e : es) {
    out.push_back(e.fields().id);
  }
  return out;
}

class http_sink_test : public ::testing::Test {
 protected:
  std::unique_ptr<http_sink> make(const nlohmann::json& json, std::size_t max_bytes = 1 << 20,
                                  const config::env_lookup& env = env_of({})) {
    return std::make_unique<http_sink>("web", parse(json, env), max_bytes, io_.get_executor());
  }

  delivery deliver(http_sink& sink, const std::vector<queued_event>& batch) {
    return test::run(io_, sink.deliver(batch));
  }

  boost::asio::io_context io_;
};

TEST_F(http_sink_test, ndjson_posts_the_batch_with_its_content_type) {
  recording_server server;
  auto sink = make({{"url", server.url("/ingest")}});
  const auto batch = events(0, 3);
  const auto d = deliver(*sink, batch);
  EXPECT_EQ(d.result, outcome::delivered);
  const auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 1U);
  EXPECT_EQ(reqs[0].method, "POST");
  EXPECT_EQ(reqs[0].target, "/ingest");
  EXPECT_EQ(reqs[0].header("content-type"), "application/x-ndjson");
  EXPECT_EQ(reqs[0].header("authorization"), "");
  EXPECT_EQ(reqs[0].body, encode_batch(batch, {}));
}

TEST_F(http_sink_test, each_format_goes_to_its_default_path_when_the_url_has_none) {
  recording_server server;
  const std::vector<std::pair<std::string, std::string>> cases = {{"ndjson", "/"},
                                                                  {"elasticsearch", "/_bulk"},
                                                                  {"loki", "/loki/api/v1/push"},
                                                                  {"otlp", "/v1/logs"}};
  for (const auto& [format, path] : cases) {
    auto sink = make({{"url", server.url()}, {"format", format}, {"method", "PUT"}});
    EXPECT_EQ(deliver(*sink, events(0, 1)).result, outcome::delivered);
    EXPECT_EQ(server.requests().back().target, path);
    EXPECT_EQ(server.requests().back().method, "PUT");
  }
}

TEST_F(http_sink_test, gzip_compresses_the_body_and_says_so) {
  recording_server server;
  auto sink = make({{"url", server.url("/in")}, {"format", "json_array"}, {"compression", "gzip"}});
  const auto batch = events(0, 50);
  EXPECT_EQ(deliver(*sink, batch).result, outcome::delivered);
  const auto req = server.requests().at(0);
  EXPECT_EQ(req.header("content-encoding"), "gzip");
  EXPECT_EQ(req.header("content-type"), "application/json");
  format_settings s;
  s.format = http_format::json_array;
  EXPECT_EQ(test::gunzip(req.body), encode_batch(batch, s));
  EXPECT_LT(req.body.size(), encode_batch(batch, s).size() / 3);
}

TEST_F(http_sink_test, a_503_is_retried_and_the_next_200_delivers) {
  recording_server server;
  server.script({503, "busy"});
  auto sink = make({{"url", server.url("/in")}});
  const auto batch = events(0, 4);
  const auto first = deliver(*sink, batch);
  EXPECT_EQ(first.result, outcome::retry);
  EXPECT_EQ(first.reason, "HTTP 503: busy");
  EXPECT_TRUE(first.per_event.empty());
  EXPECT_EQ(deliver(*sink, batch).result, outcome::delivered);
  EXPECT_EQ(server.requests().size(), 2U);
  EXPECT_EQ(sink->counters().retried, 1U);
}

TEST_F(http_sink_test, retry_after_in_seconds_and_as_a_date_comes_back_with_the_retry) {
  recording_server server;
  server.script({429, "slow down", {{"Retry-After", "7"}}});
  server.script({503, "", {{"Retry-After", "Fri, 31 Dec 1999 23:59:59 GMT"}}});
  server.script({408, ""});
  auto sink = make({{"url", server.url("/in")}});
  const auto batch = events(0, 1);
  const auto d = deliver(*sink, batch);
  EXPECT_EQ(d.result, outcome::retry);
  EXPECT_EQ(d.retry_after, duration{7000});
  EXPECT_EQ(deliver(*sink, batch).retry_after, duration{0});  // a date in the past
  const auto plain = deliver(*sink, batch);
  EXPECT_EQ(plain.result, outcome::retry);
  EXPECT_FALSE(plain.retry_after);
  EXPECT_EQ(plain.reason, "HTTP 408: (empty body)");
}

TEST_F(http_sink_test, a_400_rejects_with_the_status_and_the_start_of_the_body) {
  recording_server server;
  server.script({400, R"({"text":"Invalid data format","code":6})"});
  server.script({400, std::string(5000, 'x')});
  auto sink = make({{"url", server.url("/in")}});
  const auto batch = events(0, 2);
  const auto d = deliver(*sink, batch);
  EXPECT_EQ(d.result, outcome::rejected);
  EXPECT_EQ(d.reason, R"(HTTP 400: {"text":"Invalid data format","code":6})");
  const auto long_body = deliver(*sink, batch);
  EXPECT_EQ(long_body.result, outcome::rejected);
  EXPECT_EQ(long_body.reason, "HTTP 400: " + std::string(512, 'x') + "...");
  // Control bytes of the answer reach neither the log's lines nor a terminal's escapes.
  server.script({400, std::string("bad\x1b[2J\r\nX: y\0z", 15)});
  EXPECT_EQ(deliver(*sink, batch).reason, "HTTP 400: bad [2J  X: y z");
  EXPECT_EQ(sink->counters().rejected, 6U);
}

TEST_F(http_sink_test, a_401_403_or_404_is_retried_and_says_what_to_check) {
  recording_server server;
  server.script({401, "no"});
  server.script({403, "Invalid token"});
  server.script({404, "nope"});
  server.script({501, "not implemented"});
  auto sink = make({{"url", server.url("/in")}});
  const auto batch = events(0, 1);
  // The receiver refuses the sender, not the events: they wait in the queue for the fix.
  const auto unauthorized = deliver(*sink, batch);
  EXPECT_EQ(unauthorized.result, outcome::retry);
  EXPECT_EQ(unauthorized.reason, "HTTP 401 (unauthorized: check the sink's credentials): no");
  const auto forbidden = deliver(*sink, batch);
  EXPECT_EQ(forbidden.result, outcome::retry);
  EXPECT_EQ(forbidden.reason,
            "HTTP 403 (forbidden: check the sink's credentials and their permissions): "
            "Invalid token");
  const auto not_found = deliver(*sink, batch);
  EXPECT_EQ(not_found.result, outcome::retry);
  EXPECT_EQ(not_found.reason, "HTTP 404 (not found: check the sink's url path): nope");
  EXPECT_EQ(deliver(*sink, batch).result, outcome::rejected);
  EXPECT_EQ(sink->counters().retried, 3U);
  EXPECT_EQ(sink->counters().rejected, 1U);
}

TEST_F(http_sink_test, elasticsearch_partial_failures_answer_per_event) {
  recording_server server;
  server.script(
      {200,
       R"({"errors":true,"items":[{"create":{"status":201}},{"create":{"status":409}},)"
       R"({"create":{"status":400,"error":{"type":"mapper_parsing_exception","reason":"bad"}}},)"
       R"({"create":{"status":429}},{"create":{"status":201}}]})"});
  auto sink = make({{"url", server.url()}, {"format", "elasticsearch"}, {"index", "qsan-events"}});
  const auto batch = events(0, 5);
  const auto d = deliver(*sink, batch);
  EXPECT_EQ(d.per_event,
            (std::vector<outcome>{outcome::delivered, outcome::delivered, outcome::rejected,
                                  outcome::retry, outcome::delivered}));
  EXPECT_EQ(d.reason, "HTTP 400 mapper_parsing_exception: bad; HTTP 429");
  const auto req = server.requests().at(0);
  EXPECT_EQ(req.target, "/_bulk");
  EXPECT_EQ(req.header("content-type"), "application/x-ndjson");
  EXPECT_NE(req.body.find(R"({"create":{"_index":"qsan-events","_id":"id-0"}})"),
            std::string::npos);
  // A 2xx that is not a bulk answer would be answered so again: rejected, with its start.
  server.script({200, "<html>proxy</html>"});
  const auto page = deliver(*sink, batch);
  EXPECT_EQ(page.result, outcome::rejected);
  EXPECT_EQ(page.reason, "the bulk answer is not a JSON object: <html>proxy</html>");
  // errors:false needs no items.
  server.script({200, R"({"errors":false})"});
  EXPECT_EQ(deliver(*sink, batch).result, outcome::delivered);
}

TEST_F(http_sink_test, a_query_string_goes_with_every_request) {
  recording_server server;
  auto own_path = make({{"url", server.url("/in?dest=archive&x=1")}});
  auto format_path = make({{"url", server.url() + "?pipeline=qsan"}, {"format", "elasticsearch"}});
  const auto batch = events(0, 1);
  EXPECT_EQ(deliver(*own_path, batch).result, outcome::delivered);
  server.script({200, R"({"errors":false})"});
  EXPECT_EQ(deliver(*format_path, batch).result, outcome::delivered);
  const auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 2U);
  EXPECT_EQ(reqs[0].target, "/in?dest=archive&x=1");
  EXPECT_EQ(reqs[1].target, "/_bulk?pipeline=qsan");
}

TEST_F(http_sink_test, basic_bearer_and_splunk_auth_and_custom_headers) {
  recording_server server;
  const auto env = env_of({{"ES_PASSWORD", "s3cret"}, {"TENANT", "team-a"}});
  auto basic = make({{"url", server.url("/a")},
                     {"auth", {{"basic", {{"user", "elastic"}, {"password", "${ES_PASSWORD}"}}}}},
                     {"headers", {{"X-Scope-OrgID", "${TENANT}"}}}},
                    1 << 20, env);
  auto bearer = make({{"url", server.url("/b")}, {"auth", {{"bearer", "tok-1"}}}});
  auto splunk = make({{"url", server.url()},
                      {"format", "splunk_hec"},
                      {"token", "hec-2"},
                      {"channel", "0aeeac95-ac74-4aa9-b30d-6c4c0ac581ba"}});
  const auto batch = events(0, 1);
  for (auto* s : {basic.get(), bearer.get(), splunk.get()}) {
    EXPECT_EQ(deliver(*s, batch).result, outcome::delivered);
  }
  const auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 3U);
  EXPECT_EQ(reqs[0].header("authorization"), "Basic ZWxhc3RpYzpzM2NyZXQ=");
  EXPECT_EQ(reqs[0].header("x-scope-orgid"), "team-a");
  EXPECT_EQ(reqs[1].header("authorization"), "Bearer tok-1");
  EXPECT_EQ(reqs[2].header("authorization"), "Splunk hec-2");
  EXPECT_EQ(reqs[2].header("x-splunk-request-channel"), "0aeeac95-ac74-4aa9-b30d-6c4c0ac581ba");
  EXPECT_EQ(reqs[2].target, "/services/collector/event");
}

TEST(http_options_test, secrets_are_masked_in_the_effective_config) {
  auto r = config::object_reader::open(
      {{"url", "https://es.example.com:9200"},
       {"format", "elasticsearch"},
       {"auth", {{"basic", {{"user", "elastic"}, {"password", "${ES_PASSWORD}"}}}}}},
      env_of({{"ES_PASSWORD", "s3cret"}}));
  const auto o = parse_http_options(r);
  r.finish();
  EXPECT_EQ(o.auth.credential.reveal(), "s3cret");
  EXPECT_EQ(o.encoding.index.text(), "logs-qsan-default");
  EXPECT_EQ(o.endpoint.base_path, "/_bulk");
  const auto effective = r.effective_document().dump();
  EXPECT_EQ(effective.find("s3cret"), std::string::npos);
  EXPECT_NE(effective.find("***"), std::string::npos);
}

TEST(http_options_test, query_values_and_header_values_are_masked_too) {
  // Some receivers take their API key as a query parameter or a header of their own.
  auto r = config::object_reader::open(
      {{"url", "https://logs.example.com/in?api_key=${KEY}&flag&region=eu"},
       {"headers", {{"X-Api-Key", "${KEY}"}, {"X-Scope-OrgID", "team-a"}}}},
      env_of({{"KEY", "k3y-s3cret"}}));
  const auto o = parse_http_options(r);
  r.finish();
  EXPECT_EQ(o.endpoint.base_path, "/in");
  EXPECT_EQ(o.endpoint.query, "api_key=k3y-s3cret&flag&region=eu");
  EXPECT_EQ(o.headers.at("X-Api-Key"), "k3y-s3cret");
  const auto& effective = r.effective_document();
  EXPECT_EQ(effective.dump().find("k3y-s3cret"), std::string::npos) << effective.dump();
  EXPECT_EQ(effective["url"], "https://logs.example.com/in?api_key=***&flag&region=***");
  EXPECT_EQ(effective["headers"]["X-Scope-OrgID"], "***");
}

TEST(http_options_test, a_bad_url_is_quoted_without_its_query) {
  const auto error = parse_error({{"url", "https://h:99999/in?api_key=topsecret"}});
  EXPECT_EQ(error,
            "config error at /url: expected an http:// or https:// URL with a host and an optional "
            "port, path and query, got \"https://h:99999/in?...\"");
  EXPECT_EQ(error.find("topsecret"), std::string::npos);
}

TEST(http_options_test, combinations_that_cannot_work_are_errors_naming_the_key) {
  EXPECT_NE(parse_error({{"url", "http://h"}, {"format", "splunk_hec"}}).find("/token"),
            std::string::npos);
  EXPECT_NE(parse_error({{"url", "http://h"}, {"token", "t"}}).find("auth.bearer"),
            std::string::npos);
  EXPECT_NE(parse_error({{"url", "http://h"}, {"tls", {{"ca_file", "/ca.pem"}}}}).find("https"),
            std::string::npos);
  EXPECT_NE(parse_error({{"url", "http://h"}, {"headers", {{"Host", "x"}}}}).find("/headers"),
            std::string::npos);
  EXPECT_NE(parse_error({{"url", "http://h"}, {"auth", {{"bearer", "a"}, {"basic", {}}}}})
                .find("not both"),
            std::string::npos);
  EXPECT_NE(parse_error({{"url", "http://h"}, {"format", "elasticsearch"}, {"index", "Bad"}})
                .find("/index"),
            std::string::npos);
  const auto with_password = parse_error({{"url", "http://u:hunter2@h"}});
  EXPECT_EQ(with_password.find("hunter2"), std::string::npos);
  EXPECT_NE(with_password.find("/url"), std::string::npos);
}

TEST(http_options_test, templates_are_read_at_configuration_time_and_named_by_path) {
  const auto es = parse(
      {{"url", "http://h"}, {"format", "elasticsearch"}, {"index", "qsan-{fields.site}-%Y.%m.%d"}});
  EXPECT_EQ(es.encoding.index.text(), "qsan-{fields.site}-%Y.%m.%d");
  EXPECT_FALSE(es.encoding.index.constant());
  const auto splunk = parse({{"url", "http://h"},
                             {"format", "splunk_hec"},
                             {"token", "t"},
                             {"index", "{fields.site}"},
                             {"source", "{device}"},
                             {"sourcetype", "qsan:{kind}"}});
  EXPECT_EQ(splunk.encoding.sourcetype.text(), "qsan:{kind}");
  EXPECT_EQ(parse_error({{"url", "http://h"}, {"format", "elasticsearch"}, {"index", "q-{nope}"}}),
            "config error at /index: in the template \"q-{nope}\": unknown field \"nope\" (known: "
            "device, host, kind, type, severity, component, model, serial, fields.NAME)");
  EXPECT_NE(parse_error({{"url", "http://h"},
                         {"format", "splunk_hec"},
                         {"token", "t"},
                         {"sourcetype", "qsan:%q"}})
                .find("config error at /sourcetype: in the template"),
            std::string::npos);
  // What the template itself says must make a valid index name; a constant one all of it.
  for (const char* index : {"Qsan-{device}", "qsan {device}", "qsan-%Y|{device}"}) {
    EXPECT_NE(parse_error({{"url", "http://h"}, {"format", "elasticsearch"}, {"index", index}})
                  .find("config error at /index: the text of the template"),
              std::string::npos)
        << index;
  }
  for (const char* index : {"", "-qsan", "_qsan", "+qsan", ".."}) {
    EXPECT_NE(parse_error({{"url", "http://h"}, {"format", "elasticsearch"}, {"index", index}})
                  .find("config error at /index: expected a lowercase index"),
              std::string::npos)
        << index;
  }
}

TEST(http_options_test, loki_labels_default_to_device_kind_and_level_and_are_checked) {
  auto r = config::object_reader::open({{"url", "http://h"}, {"format", "loki"}}, env_of({}));
  const auto o = parse_http_options(r);
  r.finish();
  ASSERT_EQ(o.encoding.labels.size(), 3U);
  EXPECT_EQ(r.effective_document()["labels"],
            nlohmann::ordered_json(
                {{"device", "{device}"}, {"kind", "{kind}"}, {"level", "{severity}"}}));
  const auto custom = parse({{"url", "http://h"},
                             {"format", "loki"},
                             {"labels", {{"site", "{fields.site}"}, {"device", "{device}"}}}});
  ASSERT_EQ(custom.encoding.labels.size(), 2U);
  EXPECT_EQ(custom.encoding.labels[0].first, "device");  // by name
  EXPECT_EQ(custom.encoding.labels[1].second.text(), "{fields.site}");
  for (const char* name : {"__site", "1site", "si-te", "si.te", ""}) {
    EXPECT_NE(parse_error({{"url", "http://h"}, {"format", "loki"}, {"labels", {{name, "x"}}}})
                  .find("config error at /labels/" + std::string(name) + ": \"" + name +
                        "\" is not a Loki label name"),
              std::string::npos)
        << name;
  }
  EXPECT_NE(parse_error({{"url", "http://h"}, {"format", "loki"}, {"labels", {{"site", "{x"}}}})
                .find("config error at /labels/site: in the template \"{x\""),
            std::string::npos);
  EXPECT_NE(
      parse_error({{"url", "http://h"}, {"format", "loki"}, {"labels", nlohmann::json::object()}})
          .find("config error at /labels: a Loki stream needs 1..15 labels, got 0"),
      std::string::npos);
  EXPECT_NE(parse_error({{"url", "http://h"}, {"labels", {{"site", "x"}}}}).find("labels"),
            std::string::npos);
}

TEST_F(http_sink_test, tls_with_the_test_ca_and_refusal_without_it) {
  test::temp_dir dir;
  const auto cert = test::make_tls_cert(dir.path());
  recording_server server(cert);
  auto trusted =
      make({{"url", server.url("/in")}, {"tls", {{"ca_file", cert.cert_file.string()}}}});
  EXPECT_EQ(deliver(*trusted, events(0, 1)).result, outcome::delivered);
  auto pinned =
      make({{"url", server.url("/in")}, {"tls", {{"pin_sha256", cert.sha256_fingerprint}}}});
  EXPECT_EQ(deliver(*pinned, events(0, 1)).result, outcome::delivered);
  auto untrusted = make({{"url", server.url("/in")}});
  const auto d = deliver(*untrusted, events(0, 1));
  EXPECT_EQ(d.result, outcome::retry);
  EXPECT_NE(d.reason.find("TLS handshake"), std::string::npos) << d.reason;
  EXPECT_EQ(server.requests().size(), 2U);
}

TEST_F(http_sink_test, one_keep_alive_connection_serves_many_batches_and_is_reopened) {
  recording_server server;
  auto sink = make({{"url", server.url("/in")}});
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(deliver(*sink, events(i, i + 1)).result, outcome::delivered);
  }
  EXPECT_EQ(server.connections(), 1);
  server.script({200, "{}", {}, true});  // the server closes after this answer
  EXPECT_EQ(deliver(*sink, events(5, 6)).result, outcome::delivered);
  EXPECT_EQ(deliver(*sink, events(6, 7)).result, outcome::delivered);
  EXPECT_EQ(server.connections(), 2);
  sink->reopen();
  EXPECT_EQ(deliver(*sink, events(7, 8)).result, outcome::delivered);
  EXPECT_EQ(server.connections(), 3);
  EXPECT_EQ(server.requests().size(), 8U);
}

TEST_F(http_sink_test, max_bytes_splits_a_batch_and_no_request_exceeds_it) {
  recording_server server;
  const auto batch = events(0, 10);
  const auto max = encode_batch(batch, {}).size() / 3;
  auto sink = make({{"url", server.url("/in")}}, max);
  EXPECT_EQ(deliver(*sink, batch).result, outcome::delivered);
  const auto reqs = server.requests();
  EXPECT_GT(reqs.size(), 2U);
  std::vector<std::string> got;
  for (const auto& r : reqs) {
    EXPECT_LE(r.body.size(), max);
    for (const auto& id : ids(test::events_in(http_format::ndjson, r.body))) {
      got.push_back(id);
    }
  }
  EXPECT_EQ(got, ids(batch));
}

TEST_F(http_sink_test, when_a_later_request_of_a_split_batch_fails_the_answer_is_per_event) {
  recording_server server;
  const auto batch = events(0, 10);
  const auto max = encode_batch(batch, {}).size() / 3;
  auto sink = make({{"url", server.url("/in")}}, max);
  server.script({200});
  server.script({503, "later", {{"Retry-After", "2"}}});
  const auto d = deliver(*sink, batch);
  ASSERT_EQ(d.per_event.size(), 10U);
  const auto first = test::events_in(http_format::ndjson, server.requests().at(0).body).size();
  for (std::size_t i = 0; i < 10; ++i) {
    EXPECT_EQ(d.per_event[i], i < first ? outcome::delivered : outcome::retry) << i;
  }
  EXPECT_EQ(d.retry_after, duration{2000});
  EXPECT_EQ(server.requests().size(), 2U);  // nothing after the failed request was sent
}

TEST_F(http_sink_test, an_event_too_big_for_max_bytes_is_rejected_and_the_rest_delivered) {
  recording_server server;
  auto batch = events(0, 3);
  auto big = test::numbered_event(1);
  big.message = std::string(4000, 'm');
  batch[1] = queued_event(2, to_json(big));
  auto sink = make({{"url", server.url("/in")}}, 1000);
  const auto d = deliver(*sink, batch);
  EXPECT_EQ(d.per_event,
            (std::vector<outcome>{outcome::delivered, outcome::rejected, outcome::delivered}));
  EXPECT_NE(d.reason.find("exceeds batch.max_bytes (1000)"), std::string::npos) << d.reason;
  EXPECT_EQ(server.requests().size(), 2U);
}

TEST_F(http_sink_test, a_refused_connection_is_a_retry) {
  std::uint16_t port = 0;
  {
    recording_server gone;
    port = gone.port();
  }
  auto sink = make({{"url", "http://127.0.0.1:" + std::to_string(port) + "/in"}});
  const auto d = deliver(*sink, events(0, 1));
  EXPECT_EQ(d.result, outcome::retry);
  EXPECT_NE(d.reason.find("127.0.0.1"), std::string::npos) << d.reason;
}

// The dispatcher drives the sink: waits, dead letters, delivery counted once.
class http_dispatch_test : public ::testing::Test {
 protected:
  http_dispatch_test() : store_(state_store::open(dir_.path())), queue_(*store_) {}

  void start(const nlohmann::json& options, std::size_t max_events = 5,
             duration retry_max = duration{4}) {
    auto cfg = test::fast_sink_config("web", dir_);
    cfg.type = "http";
    cfg.batch.max_events = max_events;
    cfg.retry.max = retry_max;
    std::vector<pipeline::route> routes;
    routes.push_back(
        pipeline::route{cfg, std::make_unique<http_sink>("web", parse(options), cfg.batch.max_bytes,
                                                         io_.get_executor())});
    dispatcher_ =
        std::make_unique<pipeline::dispatcher>(io_.get_executor(), *store_, std::move(routes));
    dispatcher_->start();
  }

  void append(int from, int to) {
    for (int i = from; i < to; ++i) {
      queue_.append(test::numbered_event(i));
    }
  }

  /// Ids of the events in requests the server answered 2xx, in order.
  std::vector<std::string> delivered_ids() {
    std::vector<std::string> out;
    for (const auto& r : server_.requests()) {
      if (r.status / 100 == 2) {
        for (const auto& e : test::events_in(http_format::ndjson, r.body)) {
          out.push_back(e.id);
        }
      }
    }
    return out;
  }

  void TearDown() override {
    if (dispatcher_) {
      bool stopped = false;
      boost::asio::co_spawn(io_, dispatcher_->stop(duration{100}),
                            [&](std::exception_ptr) { stopped = true; });
      ASSERT_TRUE(test::run_until(io_, [&] { return stopped; }));
    }
  }

  test::temp_dir dir_;
  std::unique_ptr<state_store> store_;
  event_queue queue_;
  boost::asio::io_context io_;
  recording_server server_;
  std::unique_ptr<pipeline::dispatcher> dispatcher_;
};

TEST_F(http_dispatch_test, a_503_then_200_delivers_every_event_once_in_order) {
  append(0, 12);
  server_.script({503, "busy"});
  start({{"url", server_.url("/in")}});
  ASSERT_TRUE(test::run_until(io_, [&] { return delivered_ids().size() >= 12; }));
  std::vector<std::string> expected;
  for (int i = 0; i < 12; ++i) {
    expected.push_back("id-" + std::to_string(i));
  }
  EXPECT_EQ(delivered_ids(), expected);
  ASSERT_TRUE(test::run_until(io_, [&] { return queue_.totals().events == 0; }));
}

TEST_F(http_dispatch_test, the_dispatcher_waits_as_long_as_retry_after_asks) {
  append(0, 3);
  server_.script({429, "", {{"Retry-After", "1"}}});
  start({{"url", server_.url("/in")}}, 5, std::chrono::seconds(10));
  // The retry backoff is 1ms..10s here but starts at 1ms: only Retry-After explains a wait of a
  // second.
  ASSERT_TRUE(test::run_until(io_, [&] { return delivered_ids().size() == 3; }));
  const auto reqs = server_.requests();
  ASSERT_EQ(reqs.size(), 2U);
  EXPECT_GE(reqs[1].at - reqs[0].at, std::chrono::milliseconds(950));
}

TEST_F(http_dispatch_test, retry_after_is_capped_by_retry_max) {
  append(0, 3);
  server_.script({503, "", {{"Retry-After", "31536000"}}});
  start({{"url", server_.url("/in")}}, 5, duration{200});
  // Obeyed, a year; capped, retry.max (200ms): the deadline sits between the two.
  ASSERT_TRUE(test::run_until(io_, [&] { return delivered_ids().size() == 3; }));
  const auto reqs = server_.requests();
  ASSERT_EQ(reqs.size(), 2U);
  EXPECT_GE(reqs[1].at - reqs[0].at, std::chrono::milliseconds(190));
}

TEST_F(http_dispatch_test, reopen_wakes_a_sink_waiting_to_retry) {
  append(0, 3);
  server_.script({503, "", {{"Retry-After", "3600"}}});
  start({{"url", server_.url("/in")}}, 5, std::chrono::hours(1));
  ASSERT_TRUE(test::run_until(io_, [&] { return server_.requests().size() == 1; }));
  // Waiting out the hour now; without the wake-up the deadline below passes.
  EXPECT_FALSE(test::run_until(
      io_, [&] { return server_.requests().size() > 1; }, std::chrono::milliseconds(200)));
  dispatcher_->reopen();  // what SIGHUP calls, on the delivery thread
  ASSERT_TRUE(test::run_until(io_, [&] { return delivered_ids().size() == 3; }));
  EXPECT_EQ(server_.requests().size(), 2U);
}

TEST_F(http_dispatch_test, a_bulk_answer_of_any_shape_never_holds_the_sink) {
  append(0, 3);
  // Once a numeric error type was an exception, and every retry met it again.
  server_.script({200, R"({"errors":true,"items":[{"create":{"status":400,"error":{"type":7}}},)"
                       R"({"create":{"status":"201"}},{"index":[]}]})"});
  server_.script({200, "[]"});
  start({{"url", server_.url()}, {"format", "elasticsearch"}}, 3);
  ASSERT_TRUE(test::run_until(io_, [&] { return queue_.totals().events == 0; }));
  EXPECT_EQ(server_.requests().size(), 1U);
  append(3, 6);
  dispatcher_->notify_appended();
  ASSERT_TRUE(test::run_until(io_, [&] { return queue_.totals().events == 0; }));
  EXPECT_EQ(server_.requests().size(), 2U);
  const auto dead = test::read_file(dir_ / "dead-letter" / "web.jsonl");
  EXPECT_NE(dead.find("HTTP 400 (type is a JSON number)"), std::string::npos) << dead;
  EXPECT_NE(dead.find("the bulk answer is not a JSON object: []"), std::string::npos) << dead;
}

TEST_F(http_dispatch_test, a_400_sends_the_batch_to_the_dead_letter_file_with_the_body) {
  append(0, 3);
  server_.script({400, R"({"error":"bad event"})"});
  start({{"url", server_.url("/in")}});
  const auto dead = dir_ / "dead-letter" / "web.jsonl";
  ASSERT_TRUE(test::run_until(io_, [&] { return std::filesystem::exists(dead); }));
  ASSERT_TRUE(test::run_until(io_, [&] { return queue_.totals().events == 0; }));
  std::istringstream in(test::read_file(dead));
  std::string line;
  std::vector<std::string> dead_ids;
  while (std::getline(in, line)) {
    const auto j = nlohmann::json::parse(line);
    EXPECT_EQ(j.at("reason"), R"(HTTP 400: {"error":"bad event"})");
    dead_ids.push_back(j.at("event").at("id"));
  }
  EXPECT_EQ(dead_ids, (std::vector<std::string>{"id-0", "id-1", "id-2"}));
}

TEST_F(http_dispatch_test, elasticsearch_retries_only_what_the_bulk_answer_asks_to) {
  append(0, 3);
  server_.script({200, R"({"errors":true,"items":[{"create":{"status":201}},)"
                       R"({"create":{"status":503}},{"create":{"status":201}}]})"});
  start({{"url", server_.url()}, {"format", "elasticsearch"}});
  ASSERT_TRUE(test::run_until(io_, [&] { return queue_.totals().events == 0; }));
  const auto reqs = server_.requests();
  ASSERT_EQ(reqs.size(), 2U);
  // The retry starts at the first event the answer asked to retry; id-2 again is harmless.
  EXPECT_EQ(ids(test::events_in(http_format::elasticsearch, reqs[1].body)),
            (std::vector<std::string>{"id-1", "id-2"}));
}

}  // namespace
}  // namespace qsanfwd::sinks
