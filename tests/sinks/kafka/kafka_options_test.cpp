#include "sinks/kafka/kafka_options.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "config/config_error.hpp"

namespace qsanfwd::sinks {
namespace {

config::env_lookup env() {
  return [](const std::string& name) {
    if (name == "KAFKA_BROKER") {
      return std::optional<std::string>("k9:9092");
    }
    return name == "KAFKA_PASSWORD" ? std::optional<std::string>("hunter2")
                                    : std::optional<std::string>();
  };
}

struct parsed {
  kafka_options options;
  nlohmann::ordered_json effective;
};

parsed parse(const std::string& text) {
  auto r = config::object_reader::open(nlohmann::json::parse(text), env());
  auto o = parse_kafka_options(r);
  r.finish();
  return {std::move(o), r.effective_document()};
}

// The "config error at ..." message of parsing `text`, or "" when it parses.
std::string error_of(const std::string& text) {
  try {
    parse(text);
  } catch (const config::config_error& e) {
    return e.what();
  }
  return "";
}

TEST(kafka_options, defaults) {
  const auto [o, effective] = parse(R"({"brokers": ["k1:9092"], "topic": "qsan"})");
  EXPECT_EQ(o.brokers, std::vector<std::string>{"k1:9092"});
  EXPECT_EQ(o.topic.text(), "qsan");
  EXPECT_EQ(o.key, kafka_key::device);
  EXPECT_TRUE(o.canonical);
  EXPECT_TRUE(o.headers);
  EXPECT_EQ(o.acks, kafka_acks::all);
  EXPECT_TRUE(o.idempotent);
  EXPECT_EQ(o.compression, "none");
  EXPECT_EQ(o.linger, duration{5});
  EXPECT_EQ(o.timeout, duration{30000});
  EXPECT_EQ(o.message_max_bytes, 1'000'000u);
  EXPECT_FALSE(o.tls_enabled);
  EXPECT_TRUE(o.sasl.mechanism.empty());
  EXPECT_EQ(o.statistics_interval, duration{15000});
  // check-config shows every default.
  for (const auto* key : {"key", "format", "headers", "acks", "idempotent", "compression", "linger",
                          "timeout", "message_max_bytes", "statistics_interval"}) {
    EXPECT_TRUE(effective.contains(key)) << key;
  }
}

TEST(kafka_options, every_option) {
  const auto [o, effective] = parse(R"({"brokers": "k1:9092, k2:9093,[::1]:9094",
    "topic": "qsan.{device}.{kind}", "key": "id", "format": "otlp", "headers": false,
    "acks": "leader", "idempotent": false, "compression": "zstd", "linger": "20ms",
    "timeout": "10s", "message_max_bytes": 2000000, "statistics_interval": "1m",
    "tls": {"ca_file": "/ca.pem", "cert_file": "/c.pem", "key_file": "/k.pem", "verify": false},
    "sasl": {"mechanism": "SCRAM-SHA-512", "username": "qsan", "password": "${KAFKA_PASSWORD}"}})");
  EXPECT_EQ(o.brokers, (std::vector<std::string>{"k1:9092", "k2:9093", "[::1]:9094"}));
  EXPECT_EQ(o.key, kafka_key::id);
  EXPECT_FALSE(o.canonical);
  EXPECT_EQ(o.encoding.format, http_format::otlp);
  EXPECT_FALSE(o.headers);
  EXPECT_EQ(o.acks, kafka_acks::leader);
  EXPECT_EQ(o.compression, "zstd");
  EXPECT_EQ(o.linger, duration{20});
  EXPECT_EQ(o.timeout, duration{10000});
  EXPECT_TRUE(o.tls_enabled);
  EXPECT_FALSE(o.tls.verify);
  EXPECT_EQ(o.tls.key_file, "/k.pem");
  EXPECT_EQ(o.sasl.mechanism, "SCRAM-SHA-512");
  EXPECT_EQ(o.sasl.password.reveal(), "hunter2");
  EXPECT_EQ(effective["brokers"], nlohmann::ordered_json({"k1:9092", "k2:9093", "[::1]:9094"}));
  EXPECT_EQ(effective["sasl"]["password"], "***");
  EXPECT_EQ(effective.dump().find("hunter2"), std::string::npos);
}

TEST(kafka_options, brokers_in_a_list_expand_variables) {
  const auto [o, effective] = parse(R"({"brokers": ["${KAFKA_BROKER}", "k2:9092"], "topic": "t"})");
  EXPECT_EQ(o.brokers, (std::vector<std::string>{"k9:9092", "k2:9092"}));
  EXPECT_EQ(effective["brokers"], nlohmann::ordered_json({"k9:9092", "k2:9092"}));
}

TEST(kafka_options, errors_name_the_path_and_never_the_secret) {
  EXPECT_NE(error_of(R"({"topic": "t"})").find("/brokers"), std::string::npos);
  EXPECT_NE(error_of(R"({"brokers": ["k1"], "topic": "t"})").find("/brokers"), std::string::npos);
  EXPECT_NE(error_of(R"({"brokers": [1], "topic": "t"})").find("/brokers/0"), std::string::npos);
  EXPECT_NE(error_of(R"({"brokers": "k:1", "topic": "a b"})").find("/topic"), std::string::npos);
  EXPECT_NE(error_of(R"({"brokers": "k:1", "topic": "{nope}"})").find("/topic"), std::string::npos);
  EXPECT_NE(error_of(R"({"brokers": "k:1", "topic": "t", "key": "serial"})").find("/key"),
            std::string::npos);
  EXPECT_NE(
      error_of(R"({"brokers": "k:1", "topic": "t", "format": "elasticsearch"})").find("/format"),
      std::string::npos);
  EXPECT_NE(error_of(R"({"brokers": "k:1", "topic": "t", "acks": "leader"})").find("/acks"),
            std::string::npos);
  EXPECT_NE(
      error_of(R"({"brokers": "k:1", "topic": "t", "compression": "brotli"})").find("/compression"),
      std::string::npos);
  EXPECT_NE(error_of(R"({"brokers": "k:1", "topic": "t", "tls": {"pin_sha256": ")" +
                     std::string(64, 'a') + R"("}})")
                .find("/tls/pin_sha256"),
            std::string::npos);
  const auto sasl = error_of(R"({"brokers": "k:1", "topic": "t",
    "sasl": {"mechanism": "GSSAPI", "username": "u", "password": "hunter2"}})");
  EXPECT_NE(sasl.find("/sasl/mechanism"), std::string::npos) << sasl;
  EXPECT_EQ(sasl.find("hunter2"), std::string::npos);
  const auto both = error_of(R"({"brokers": "k:1", "topic": "t",
    "sasl": {"username": "u", "password": "hunter2", "password_file": "/p"}})");
  EXPECT_NE(both.find("/sasl/password"), std::string::npos) << both;
  EXPECT_EQ(both.find("hunter2"), std::string::npos);
  EXPECT_NE(error_of(R"({"brokers": "k:1", "topic": "t", "sasl": {"username": "u"}})")
                .find("/sasl/password"),
            std::string::npos);
}

TEST(kafka_options, topic_names_from_events_are_mended) {
  std::string name = "a b/c..d";
  sanitize_topic_name(name);
  EXPECT_EQ(name, "a_b_c..d");
  name = std::string(300, 'x');
  sanitize_topic_name(name);
  EXPECT_EQ(name.size(), max_topic_length);
  name = "..";
  sanitize_topic_name(name);
  EXPECT_EQ(name, "__");
  EXPECT_FALSE(is_valid_topic_name(""));
  EXPECT_TRUE(is_valid_topic_name("qsan.array-1_x"));
}

}  // namespace
}  // namespace qsanfwd::sinks
