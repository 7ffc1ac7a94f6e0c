#include "config/yaml_text.hpp"

#include <gtest/gtest.h>

#include "config/config.hpp"
#include "tests/config/helpers.hpp"
#include "tests/support/temp_dir.hpp"

namespace qsanfwd::config {
namespace {

using nlohmann::json;
using test::error_of;

json yaml(std::string_view text) {
  return parse_yaml(text, "c.yaml").value;
}

std::string yaml_error(std::string_view text) {
  return error_of([&] { parse_yaml(text, "c.yaml"); });
}

TEST(yaml_text, scalars_map_to_json_types_as_documented) {
  const auto doc = yaml(R"(
int: 10
negative: -3
float: 1.5
exponent: 2e3
yes_is_text: yes
off_is_text: off
true_word: true
False_word: False
quoted_true: "true"
quoted_number: '10'
tagged: !!str 10
null_word: null
tilde: ~
empty:
octal_looking: 010
hex_looking: 0x1f
infinity: .inf
duration: 1h30m
version: 1.2.3
block: |
  two
  lines
folded: >
  one
  line
)");
  EXPECT_EQ(doc, json::parse(R"({
    "int": 10, "negative": -3, "float": 1.5, "exponent": 2000.0,
    "yes_is_text": "yes", "off_is_text": "off", "true_word": true, "False_word": false,
    "quoted_true": "true", "quoted_number": "10", "tagged": "10",
    "null_word": null, "tilde": null, "empty": null,
    "octal_looking": "010", "hex_looking": "0x1f", "infinity": ".inf", "duration": "1h30m",
    "version": "1.2.3", "block": "two\nlines\n", "folded": "one line\n"})"));
  EXPECT_TRUE(doc["int"].is_number_unsigned());
  EXPECT_TRUE(doc["negative"].is_number_integer());
}

TEST(yaml_text, comments_sequences_and_flow_style) {
  EXPECT_EQ(yaml("# a comment\nlist:   # after a key\n  - a\n  - {b: 1, c: [2, 3]}  # flow\n"),
            json::parse(R"({"list": ["a", {"b": 1, "c": [2, 3]}]})"));
}

TEST(yaml_text, keys_are_strings_as_written) {
  EXPECT_EQ(yaml("1: a\ntrue: b\n\"x/y\": c\n"),
            json::parse(R"({"1": "a", "true": "b", "x/y": "c"})"));
  EXPECT_EQ(yaml_error("? [a, b]\n: 1\n"),
            "config error in c.yaml at / (line 1): a key that is not a string; keys are strings");
}

TEST(yaml_text, records_the_line_of_every_value) {
  const auto doc = parse_yaml(R"(# line 1
devices:
  - name: a      # line 3
    tls:
      ca_file: x # line 5
  -
    name: b      # line 7
)",
                              "c.yaml");
  EXPECT_EQ(doc.line_of("/devices"), 2U);
  EXPECT_EQ(doc.line_of("/devices/0"), 3U);
  EXPECT_EQ(doc.line_of("/devices/0/tls/ca_file"), 5U);
  EXPECT_EQ(doc.line_of("/devices/1/name"), 7U);
  // A key that is not there: the line of the object that lacks it.
  EXPECT_EQ(doc.line_of("/devices/0/tls/cert_file"), 4U);
  EXPECT_EQ(doc.line_of("/sinks"), doc.line_of(""));
}

TEST(yaml_text, syntax_errors_name_the_file_line_and_column) {
  EXPECT_EQ(yaml_error("a: 1\nb: [1, 2\nc: 3\n"),
            "config error in c.yaml at line 3, column 2: end of sequence flow not found");
  EXPECT_EQ(yaml_error("a: b: c\n"),
            "config error in c.yaml at line 1, column 5: illegal map value");
  EXPECT_EQ(yaml_error("a:\n\t- b\n"),
            "config error in c.yaml at line 2, column 2: illegal block entry");
}

TEST(yaml_text, refuses_a_repeated_key_and_a_second_document) {
  EXPECT_EQ(yaml_error("sinks:\n  - name: a\n    name: b\n"),
            "config error in c.yaml at /sinks/0/name (line 3): duplicate key");
  EXPECT_EQ(yaml_error("a: 1\n---\nb: 2\n"),
            "config error in c.yaml at / (line 2): a second YAML document (after \"---\"); give "
            "one per file");
}

TEST(yaml_text, refuses_tags_it_does_not_map) {
  EXPECT_EQ(yaml_error("port: !!int \"514\"\n"),
            "config error in c.yaml at /port (line 1): unsupported tag !!int; write the value "
            "plain, or quote a string");
  EXPECT_EQ(yaml_error("a: !custom {b: 1}\n"),
            "config error in c.yaml at /a (line 1): unsupported tag !custom");
}

TEST(yaml_text, a_number_beyond_a_double_is_an_error) {
  EXPECT_EQ(yaml_error("n: 1e999\n"),
            "config error in c.yaml at /n (line 1): the number 1e999 is out of range");
}

TEST(yaml_text, bounds_the_depth_with_an_error_instead_of_a_crash) {
  const std::size_t deep = 10'000;
  EXPECT_EQ(yaml_error(std::string(deep, '[') + std::string(deep, ']')),
            "config error in c.yaml at /0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/"
            "0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0 (line 1): nested "
            "deeper than 64 levels");
  // 64 mappings nested in block style (the document's and 63 "k:") are fine; a 65th is not.
  std::string block;
  std::size_t indent = 0;
  for (; indent < 2 * (max_yaml_depth - 1); indent += 2) {
    block += std::string(indent, ' ') + "k:\n";
  }
  EXPECT_NO_THROW(yaml(block + std::string(indent, ' ') + "leaf: 1\n"));
  block += std::string(indent, ' ') + "k:\n";
  EXPECT_NE(yaml_error(block + std::string(indent + 2, ' ') + "leaf: 1\n")
                .find("nested deeper than 64 levels"),
            std::string::npos);
}

TEST(yaml_text, aliases_copy_the_anchored_value) {
  EXPECT_EQ(yaml("tls: &corp {ca_file: /etc/ca.pem}\nother: *corp\nlist: [&x 1, *x]\n"),
            json::parse(R"({"tls": {"ca_file": "/etc/ca.pem"}, "other": {"ca_file": "/etc/ca.pem"},
                            "list": [1, 1]})"));
  EXPECT_EQ(yaml("&k name: a\nkey: *k\n"), json::parse(R"({"name": "a", "key": "name"})"));
}

TEST(yaml_text, merge_keys_add_what_the_mapping_does_not_set) {
  const auto doc = parse_yaml(R"(base: &base {username: monitor, timeout: 15s}
site: &site {timeout: 30s, fields: {site: ams}}
device:
  <<: [*site, *base]
  name: a
  username: admin
quoted:
  "<<": text
)",
                              "c.yaml");
  EXPECT_EQ(doc.value["device"], json::parse(R"({"name": "a", "username": "admin",
                                                  "timeout": "30s", "fields": {"site": "ams"}})"));
  EXPECT_EQ(doc.value["quoted"], json::parse(R"({"<<": "text"})"));
  EXPECT_EQ(doc.line_of("/device/timeout"), 4U) << "a merged value has the merge key's line";
  EXPECT_EQ(yaml_error("a:\n  <<: 1\n"),
            "config error in c.yaml at /a/<< (line 2): a merge key (<<) takes a mapping or a list "
            "of mappings");
}

TEST(yaml_text, bounds_what_aliases_expand_to) {
  // Each level doubles the one before: 2^26 values from a few hundred bytes.
  std::string text = "l0: &l0 [x, x]\n";
  for (int i = 1; i <= 25; ++i) {
    text += "l" + std::to_string(i) + ": &l" + std::to_string(i) + " [*l" + std::to_string(i - 1) +
            ", *l" + std::to_string(i - 1) + "]\n";
  }
  EXPECT_NE(yaml_error(text).find("expands to more than 1000000 values"), std::string::npos);
}

TEST(yaml_text, an_empty_file_is_no_configuration) {
  EXPECT_TRUE(yaml("# nothing\n").is_null());
  const env_lookup env = test::fake_env();
  qsanfwd::test::temp_dir dir;
  const auto file = dir / "empty.yml";
  qsanfwd::test::write_file(file, "# nothing yet\n");
  EXPECT_NE(error_of([&] { load_config_file(file, test::test_sink_types(), env); })
                .find("expected an object"),
            std::string::npos);
}

// The loader: the same schema and JSON pointers as JSON, with the line.
TEST(yaml_text, a_yaml_configuration_loads_like_its_json_twin) {
  qsanfwd::test::temp_dir dir;
  const auto json_file = dir / "c.json";
  const auto yaml_file = dir / "c.yaml";
  qsanfwd::test::write_file(json_file, R"({
    "devices": [{"name": "a1", "url": "https://192.0.2.10", "username": "admin",
                 "password": "${PW}", "logs": {"interval": "1m30s"}}],
    "sinks": [{"name": "s1", "type": "syslog", "address": "tls://siem:6514",
               "tls": {"ca_file": "/etc/ca.pem"}}]})");
  qsanfwd::test::write_file(yaml_file, R"(# the same, in YAML
devices:
  - name: a1
    url: https://192.0.2.10
    username: admin
    password: ${PW}
    logs: {interval: 1m30s}
sinks:
  - name: s1
    type: syslog
    address: tls://siem:6514
    tls:
      ca_file: /etc/ca.pem
)");
  const auto env = test::fake_env({{"PW", "secret"}});
  const auto from_json = load_config_file(json_file, test::test_sink_types(), env);
  const auto from_yaml = load_config_file(yaml_file, test::test_sink_types(), env);
  EXPECT_EQ(from_yaml.effective, from_json.effective);
  EXPECT_EQ(from_yaml.devices.at(0).logs.interval, std::chrono::seconds(90));
  EXPECT_EQ(from_yaml.devices.at(0).password.reveal(), "secret");
}

TEST(yaml_text, schema_errors_give_the_json_pointer_and_the_line) {
  qsanfwd::test::temp_dir dir;
  const auto file = dir / "c.yml";
  const auto load_error = [&](const std::string& text) {
    qsanfwd::test::write_file(file, text);
    return error_of([&] { load_config_file(file, test::test_sink_types(), test::fake_env()); });
  };
  const std::string devices = R"(devices:
  - name: a1
    url: https://192.0.2.10
    username: admin
    password: pw
)";
  EXPECT_EQ(load_error(devices + "    logs:\n      interval: 1h90x\nsinks: []\n"),
            "config error in " + file.string() +
                " at /devices/0/logs/interval (line 7): expected a duration such as \"500ms\", "
                "\"10s\", \"5m\", \"1h30m\" or a number of seconds, at most 365d, got \"1h90x\"");
  EXPECT_EQ(load_error(devices + "    tls: {verify: yes}\nsinks: []\n"),
            "config error in " + file.string() +
                " at /devices/0/tls/verify (line 6): expected a boolean, got \"yes\"");
  EXPECT_EQ(load_error(devices + "sinks:\n  - name: s1\n    type: file\n"),
            "config error in " + file.string() +
                " at /sinks/0/path (line 7): required key is missing");
  EXPECT_EQ(load_error("device_defaults:\n  timeout: 0s\n" + devices + "sinks: []\n"),
            "config error in " + file.string() +
                " at /device_defaults/timeout (line 2): expected at least 1ms, got \"0s\"");
}

}  // namespace
}  // namespace qsanfwd::config
