#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "agent/core/duration.hpp"
#include "agent/core/event_template.hpp"
#include "agent/core/secret.hpp"
#include "config/config.hpp"
#include "config/object_reader.hpp"
#include "sinks/http/http_options.hpp"

namespace qsanfwd::sinks {

/// What a message's key is (`key`): the partition follows it, so `device` keeps one array's
/// events in order in one partition.
enum class kafka_key { device, id, none };

/// `acks`: how many replicas acknowledge a message before it counts as delivered.
enum class kafka_acks { all, leader, none };

/// `sasl`: how the producer authenticates; `mechanism` empty when it does not.
struct kafka_sasl {
  std::string mechanism;  ///< PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512
  std::string username;
  secret password;
};

/// The Kafka sink's options (`type: "kafka"`).
struct kafka_options {
  std::vector<std::string> brokers;  ///< host:port each, at least one
  event_template topic;
  kafka_key key = kafka_key::device;
  /// The payload: the canonical event JSON when `json`, else one of the HTTP sink's formats
  /// that fits one event per message (splunk_hec, loki, otlp), encoded for that one event.
  bool canonical = true;
  format_settings encoding;
  bool headers = true;  ///< `id`, `device` and `kind` as Kafka headers
  kafka_acks acks = kafka_acks::all;
  bool idempotent = true;
  std::string compression = "none";  ///< librdkafka's compression.codec
  duration linger{5};
  duration timeout{30000};  ///< message.timeout.ms: a message not acknowledged by then retries
  std::size_t message_max_bytes = 1'000'000;
  bool tls_enabled = false;  ///< `tls` given
  config::tls_options tls;
  kafka_sasl sasl;
  duration statistics_interval{15000};  ///< how often librdkafka reports its statistics
  /// librdkafka properties set after all others: not a configuration key (the tests shorten
  /// the client's own timeouts and backoffs with it).
  std::vector<std::pair<std::string, std::string>> librdkafka;
};

/// The longest topic name Kafka accepts.
inline constexpr std::size_t max_topic_length = 249;

/// Whether `name` is a topic name Kafka accepts: 1..249 bytes of [a-zA-Z0-9._-], not . or ..
bool is_valid_topic_name(std::string_view name);

/// `name` made a valid topic name: other bytes become '_', cut to max_topic_length; "" stays "".
void sanitize_topic_name(std::string& name);

/// Reads `brokers`, `topic`, `key`, `format`, `headers`, `acks`, `idempotent`, `compression`,
/// `linger`, `timeout`, `message_max_bytes`, `tls` and `sasl`. Throws config_error naming the
/// key for a bad value or a combination that cannot work (idempotence without acks all, a codec
/// this librdkafka lacks, TLS pinning, which librdkafka does not offer).
kafka_options parse_kafka_options(config::object_reader& r);

}  // namespace qsanfwd::sinks
