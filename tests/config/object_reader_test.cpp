#include "config/object_reader.hpp"

#include <gtest/gtest.h>

#include "tests/config/helpers.hpp"
#include "tests/support/temp_dir.hpp"

namespace qsanfwd::config {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using test::error_of;
using test::fake_env;

object_reader reader(std::string_view text, env_lookup env = fake_env(),
                     std::filesystem::path base_dir = {}) {
  return object_reader::open(json::parse(text), std::move(env), std::move(base_dir));
}

TEST(object_reader, expands_variables_with_defaults_and_dollar_escape) {
  auto r = reader(R"({"a": "${HOST}:${PORT:-514}", "b": "${EMPTY:-fallback}", "c": "cost $$5",
                      "d": "a $ alone", "e": "${EMPTY}"})",
                  fake_env({{"HOST", "siem"}, {"EMPTY", ""}}));
  EXPECT_EQ(r.string("a"), "siem:514");
  EXPECT_EQ(r.string("b"), "fallback");
  EXPECT_EQ(r.string("c"), "cost $5");
  EXPECT_EQ(r.string("d"), "a $ alone");
  EXPECT_EQ(r.string("e"), "");
  EXPECT_EQ(r.effective_document()["a"], "siem:514");
}

TEST(object_reader, unset_variable_names_path_and_variable) {
  auto r = reader(R"({"tls": {"ca_file": "${CA_DIR}/ca.pem"}})");
  auto tls = r.object("tls");
  EXPECT_EQ(error_of([&] { tls.string("ca_file"); }),
            "config error at /tls/ca_file: environment variable CA_DIR is not set");
}

TEST(object_reader, bad_references_are_errors_that_quote_nothing) {
  auto r = reader(R"({"a": "x${UNCLOSED", "b": "${not a name}", "c": "${}"})");
  EXPECT_EQ(error_of([&] { r.string("a"); }),
            "config error at /a: unterminated \"${\" (write $$ for a literal $)");
  EXPECT_EQ(error_of([&] { r.string("b"); }),
            "config error at /b: invalid variable name in \"${...}\" (write $$ for a literal $)");
  EXPECT_EQ(error_of([&] { r.string("c"); }),
            "config error at /c: invalid variable name in \"${...}\" (write $$ for a literal $)");
}

TEST(object_reader, expands_in_lists_maps_durations_and_secrets) {
  auto r = reader(R"({"l": ["${A}"], "m": {"X-Tenant": "${A}"}, "d": "${D}", "s": "${S}"})",
                  fake_env({{"A", "alpha"}, {"D", "30s"}, {"S", "hunter2"}}));
  EXPECT_EQ(r.string_list("l"), std::vector<std::string>{"alpha"});
  EXPECT_EQ(r.string_map("m").at("X-Tenant"), "alpha");
  EXPECT_EQ(r.duration_value("d", 1s), 30s);
  EXPECT_EQ(r.secret_value("s").reveal(), "hunter2");
}

TEST(object_reader, wrong_types_say_what_was_expected_and_what_came) {
  auto r = reader(R"({"verify": "yes", "port": "514", "name": 5, "list": "a", "obj": [],
                      "weight": "heavy"})");
  EXPECT_EQ(error_of([&] { r.boolean("verify", true); }),
            "config error at /verify: expected a boolean, got \"yes\"");
  EXPECT_EQ(error_of([&] { r.integer("port", 1, 65535, 514); }),
            "config error at /port: expected an integer, got \"514\"");
  EXPECT_EQ(error_of([&] { r.string("name"); }), "config error at /name: expected a string, got 5");
  EXPECT_EQ(error_of([&] { r.string_list("list"); }),
            "config error at /list: expected an array of strings, got \"a\"");
  EXPECT_EQ(error_of([&] { r.object("obj"); }), "config error at /obj: expected an object, got []");
  EXPECT_EQ(error_of([&] { r.number("weight", 0, 1, 0); }),
            "config error at /weight: expected a number, got \"heavy\"");
}

TEST(object_reader, null_is_a_wrong_type_not_an_absent_key) {
  auto r = reader(R"({"path": null})");
  EXPECT_EQ(error_of([&] { r.string("path", "x"); }),
            "config error at /path: expected a string, got null");
}

TEST(object_reader, ranges_are_checked_and_reported) {
  auto r = reader(R"({"port": 70000, "neg": -1, "huge": 18446744073709551615, "pct": 150.5,
                      "float": 5.5})");
  EXPECT_EQ(error_of([&] { r.integer("port", 1, 65535); }),
            "config error at /port: expected 1..65535, got 70000");
  EXPECT_EQ(error_of([&] { r.integer("neg", 0, 10, 0); }),
            "config error at /neg: expected 0..10, got -1");
  EXPECT_EQ(error_of([&] { r.integer("huge", 0, 10, 0); }),
            "config error at /huge: expected 0..10, got 18446744073709551615");
  EXPECT_EQ(error_of([&] { r.number("pct", 0, 100, 0); }),
            "config error at /pct: expected 0..100, got 150.5");
  EXPECT_EQ(error_of([&] { r.integer("float", 0, 10, 0); }),
            "config error at /float: expected an integer, got 5.5");
}

TEST(object_reader, required_keys_must_be_present) {
  auto r = reader(R"({})");
  EXPECT_EQ(error_of([&] { r.string("url"); }), "config error at /url: required key is missing");
  EXPECT_EQ(error_of([&] { r.integer("port", 1, 2); }),
            "config error at /port: required key is missing");
  EXPECT_EQ(error_of([&] { r.secret_value("token"); }),
            "config error at /token: required key is missing");
}

TEST(object_reader, durations_in_every_form) {
  auto r = reader(R"({"a": "500ms", "b": "10s", "c": "5m", "d": "1h", "e": 30, "f": 1.5})");
  EXPECT_EQ(r.duration_value("a", 0s), 500ms);
  EXPECT_EQ(r.duration_value("b", 0s), 10s);
  EXPECT_EQ(r.duration_value("c", 0s), 5min);
  EXPECT_EQ(r.duration_value("d", 0s), 1h);
  EXPECT_EQ(r.duration_value("e", 0s), 30s);
  EXPECT_EQ(r.duration_value("f", 0s), 1500ms);
  EXPECT_EQ(r.duration_value("absent", 7s), 7s);
  const auto& effective = r.effective_document();
  EXPECT_EQ(effective["c"], "5m");
  EXPECT_EQ(effective["e"], "30s");
  EXPECT_EQ(effective["f"], "1500ms");
  EXPECT_EQ(effective["absent"], "7s");
}

TEST(object_reader, bad_durations_name_the_path) {
  auto r = reader(
      R"({"a": "10x", "b": "-5s", "c": -1, "d": true, "e": "500ms", "f": "107000d", "g": 1e300})");
  const std::string expected =
      ": expected a duration such as \"500ms\", \"10s\", \"5m\", \"1h30m\" or a number of seconds, "
      "at most 365d, got ";
  EXPECT_EQ(error_of([&] { r.duration_value("a", 1s); }),
            "config error at /a" + expected + "\"10x\"");
  EXPECT_EQ(error_of([&] { r.duration_value("b", 1s); }),
            "config error at /b" + expected + "\"-5s\"");
  EXPECT_EQ(error_of([&] { r.duration_value("c", 1s); }), "config error at /c" + expected + "-1");
  EXPECT_EQ(error_of([&] { r.duration_value("d", 1s); }), "config error at /d" + expected + "true");
  // Far beyond what a timer can add to now() without overflowing into a busy loop.
  EXPECT_EQ(error_of([&] { r.duration_value("f", 1s); }),
            "config error at /f" + expected + "\"107000d\"");
  EXPECT_EQ(error_of([&] { r.duration_value("g", 1s); }),
            "config error at /g" + expected + "1e+300");
  EXPECT_EQ(error_of([&] { r.duration_value("e", 10s, 1s); }),
            "config error at /e: expected at least 1s, got \"500ms\"");
}

TEST(object_reader, one_of_lists_the_choices) {
  auto r = reader(R"({"auth_scheme": "basic"})");
  EXPECT_EQ(error_of([&] {
              r.one_of("auth_scheme", {"raw", "bearer"}, "raw");
            }),
            "config error at /auth_scheme: expected one of raw, bearer, got \"basic\"");
  EXPECT_EQ(r.one_of("absent", {"raw", "bearer"}, "bearer"), "bearer");
}

TEST(object_reader, finish_rejects_unknown_keys_listing_the_known_ones) {
  auto r = reader(R"({"path": "/x", "pathh": "/y"})");
  r.string("path");
  r.string("format", "ndjson");
  r.has("port");
  EXPECT_EQ(error_of([&] { r.finish(); }),
            "config error at /pathh: unknown key (known: path, format, port)");
}

TEST(object_reader, finish_in_a_nested_object_and_an_object_without_keys) {
  auto r = reader(R"({"tls": {"verfy": false}, "empty": {"x": 1}})");
  auto tls = r.object("tls");
  tls.boolean("verify", true);
  EXPECT_EQ(error_of([&] { tls.finish(); }),
            "config error at /tls/verfy: unknown key (known: verify)");
  auto empty = r.object("empty");
  EXPECT_EQ(error_of([&] { empty.finish(); }),
            "config error at /empty/x: unknown key (this object takes no keys)");
}

TEST(object_reader, comment_keys_are_ignored_everywhere_but_in_string_maps) {
  auto r = reader(R"({"_comment": "top", "tls": {"_comment": ["nested", "lines"]},
                      "headers": {"_comment": "a header"}})");
  auto tls = r.object("tls");
  EXPECT_NO_THROW(tls.finish());
  EXPECT_EQ(r.string_map("headers").at("_comment"), "a header");
  EXPECT_NO_THROW(r.finish());
  EXPECT_FALSE(r.effective_document().contains("_comment"));
}

TEST(object_reader, absent_object_applies_defaults_and_shows_them) {
  auto r = reader(R"({})");
  auto batch = r.object("batch");
  EXPECT_EQ(batch.integer("max_events", 1, 1000, 500), 500);
  EXPECT_EQ(r.effective_document().dump(), R"({"batch":{"max_events":500}})");
}

TEST(object_reader, arrays_of_objects_have_element_paths) {
  auto r = reader(R"({"sinks": [{"name": "a"}, {"name": 3}], "bad": [1]})");
  auto sinks = r.array_of_objects("sinks");
  ASSERT_EQ(sinks.size(), 2u);
  EXPECT_EQ(sinks[0].string("name"), "a");
  EXPECT_EQ(error_of([&] { sinks[1].string("name"); }),
            "config error at /sinks/1/name: expected a string, got 3");
  EXPECT_EQ(error_of([&] { r.array_of_objects("bad"); }),
            "config error at /bad/0: expected an object, got 1");
  EXPECT_EQ(error_of([&] { r.array_of_objects("sinks")[0].integer("port", 1, 2); }),
            "config error at /sinks/0/port: required key is missing");
}

TEST(object_reader, list_and_map_elements_have_paths) {
  auto r = reader(R"({"types": ["info", 7], "headers": {"a/b": 1}})");
  EXPECT_EQ(error_of([&] { r.string_list("types"); }),
            "config error at /types/1: expected a string, got 7");
  EXPECT_EQ(error_of([&] { r.string_map("headers"); }),
            "config error at /headers/a~1b: expected a string, got 1");
}

TEST(object_reader, secrets_are_masked_and_never_quoted) {
  auto r = reader(R"({"token": "${TOKEN}", "password": 123456, "other": "visible"})",
                  fake_env({{"TOKEN", "s3cr3t-token"}}));
  EXPECT_EQ(r.secret_value("token").reveal(), "s3cr3t-token");
  const std::string message = error_of([&] { r.secret_value("password"); });
  EXPECT_EQ(message, "config error at /password: expected a string");
  EXPECT_EQ(message.find("123456"), std::string::npos);
  r.string("other");
  EXPECT_EQ(r.effective_document().dump(), R"({"token":"***","other":"visible"})");
}

TEST(object_reader, secret_from_file_is_trimmed_and_relative_to_base_dir) {
  qsanfwd::test::temp_dir dir;
  qsanfwd::test::write_file(dir / "pw.txt", "correct horse\n\n");
  auto r = reader(R"({"password_file": "pw.txt"})", fake_env(), dir.path());
  EXPECT_EQ(r.secret_value_or_file("password").reveal(), "correct horse");
  EXPECT_EQ(r.effective_document()["password_file"], "pw.txt");
  EXPECT_NO_THROW(r.finish());
}

TEST(object_reader, secret_file_errors_name_file_and_path) {
  qsanfwd::test::temp_dir dir;
  qsanfwd::test::write_file(dir / "empty", "\n");
  auto missing = reader(R"({"password_file": "nope.txt"})", fake_env(), dir.path());
  EXPECT_EQ(error_of([&] { missing.secret_value_or_file("password"); }),
            "config error at /password_file: cannot read " + (dir / "nope.txt").string() +
                ": No such file or directory");
  auto empty = reader(R"({"password_file": "empty"})", fake_env(), dir.path());
  EXPECT_EQ(error_of([&] { empty.secret_value_or_file("password"); }),
            "config error at /password_file: " + (dir / "empty").string() + " is empty");
  auto is_dir = reader(R"({"token_file": "."})", fake_env(), dir.path());
  EXPECT_EQ(
      error_of([&] { is_dir.secret_value_or_file("token"); }),
      "config error at /token_file: cannot read " + (dir / ".").string() + ": is a directory");
}

TEST(object_reader, secret_inline_or_file_but_not_both_or_neither) {
  auto both = reader(R"({"password": "x", "password_file": "/y"})");
  EXPECT_EQ(error_of([&] { both.secret_value_or_file("password"); }),
            "config error at /password_file: give either password or password_file, not both");
  auto neither = reader(R"({})");
  EXPECT_EQ(error_of([&] { neither.secret_value_or_file("password"); }),
            "config error at /password: required key is missing (give password or "
            "password_file)");
  EXPECT_FALSE(neither.optional_secret_or_file("token").has_value());
}

TEST(object_reader, raw_value_and_record_shape_the_effective_config) {
  auto r = reader(R"({"start_at": 1700000000, "mode": "${M}"})", fake_env({{"M", "fast"}}));
  EXPECT_EQ(r.raw_value("start_at"), json(1700000000));
  EXPECT_EQ(r.raw_value("mode"), json("fast"));
  EXPECT_FALSE(r.raw_value("absent").has_value());
  r.record("mode", "FAST");
  EXPECT_EQ(r.effective_document().dump(), R"({"start_at":1700000000,"mode":"FAST"})");
}

TEST(object_reader, document_must_be_an_object) {
  EXPECT_EQ(error_of([] { object_reader::open(json::array(), fake_env()); }),
            "config error at /: expected an object, got []");
}

}  // namespace
}  // namespace qsanfwd::config
