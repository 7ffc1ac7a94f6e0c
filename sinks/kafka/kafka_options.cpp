#include "sinks/kafka/kafka_options.hpp"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <memory>
#include <stdexcept>

namespace qsanfwd::sinks {
namespace {

bool is_topic_byte(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' || c == '-';
}

/// The comma-separated features this librdkafka was built with ("gzip,snappy,ssl,...").
const std::string& builtin_features() {
  static const std::string features = [] {
    const std::unique_ptr<rd_kafka_conf_t, decltype(&rd_kafka_conf_destroy)> conf(
        rd_kafka_conf_new(), &rd_kafka_conf_destroy);
    std::array<char, 512> buf{};
    auto size = buf.size();
    if (rd_kafka_conf_get(conf.get(), "builtin.features", buf.data(), &size) != RD_KAFKA_CONF_OK) {
      return std::string();
    }
    return std::string(buf.data());
  }();
  return features;
}

bool has_feature(std::string_view name) {
  std::string_view rest = builtin_features();
  while (!rest.empty()) {
    const auto comma = std::min(rest.find(','), rest.size());
    if (rest.substr(0, comma) == name) {
      return true;
    }
    rest.remove_prefix(std::min(comma + 1, rest.size()));
  }
  return false;
}

/// One broker address: host:port, the host a name or an IPv4 or [IPv6] address.
bool is_broker_address(std::string_view s) {
  const auto colon = s.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == s.size()) {
    return false;
  }
  const auto port = s.substr(colon + 1);
  if (port.size() > 5 || !std::all_of(port.begin(), port.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c)) != 0;
      })) {
    return false;
  }
  const auto n = std::stoi(std::string(port));
  const auto host = s.substr(0, colon);
  return n > 0 && n < 65536 && std::all_of(host.begin(), host.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
                  std::string_view(".-_[]:").find(c) != std::string_view::npos;
         });
}

std::vector<std::string> split_commas(std::string_view text) {
  std::vector<std::string> out;
  while (true) {
    const auto comma = std::min(text.find(','), text.size());
    auto item = text.substr(0, comma);
    while (!item.empty() && item.front() == ' ') {
      item.remove_prefix(1);
    }
    while (!item.empty() && item.back() == ' ') {
      item.remove_suffix(1);
    }
    out.emplace_back(item);
    if (comma == text.size()) {
      return out;
    }
    text.remove_prefix(comma + 1);
  }
}

std::vector<std::string> read_brokers(config::object_reader& r) {
  const auto value = r.raw_value("brokers");
  std::vector<std::string> brokers;
  if (!value) {
    throw r.error("brokers", "required: the bootstrap brokers, as [\"host:port\", ...]");
  }
  if (value->is_string()) {
    brokers = split_commas(value->get<std::string>());
  } else if (value->is_array()) {
    // Read again as a list: each item's variables expanded, an error at the item's path.
    brokers = r.string_list("brokers");
  } else {
    throw r.error("brokers", "expected a list of \"host:port\" or one comma-separated string");
  }
  if (brokers.empty()) {
    throw r.error("brokers", "needs at least one \"host:port\"");
  }
  for (const auto& b : brokers) {
    if (!is_broker_address(b)) {
      throw r.error("brokers", "expected \"host:port\", got \"" + b + "\"");
    }
  }
  r.record("brokers", brokers);
  return brokers;
}

event_template read_topic(config::object_reader& r) {
  const auto text = r.string("topic");
  event_template topic;
  try {
    topic = event_template::parse(text);
  } catch (const std::invalid_argument& e) {
    throw r.error("topic", std::string("in the template \"") + text + "\": " + e.what());
  }
  // A field's value is mended per event (sanitize_topic_name); the template's own text must be
  // valid, which a probe whose fields are all valid names shows.
  event probe;
  probe.device = probe.host = probe.type = probe.component = probe.model = probe.serial = "x";
  if (!is_valid_topic_name(topic.render(probe))) {
    throw r.error("topic", "expected a topic name of letters, digits, '.', '_' and '-' (at most " +
                               std::to_string(max_topic_length) + "), got \"" + text + "\"");
  }
  return topic;
}

void read_format(config::object_reader& r, kafka_options& o) {
  const auto format = r.one_of("format", {"json", "splunk_hec", "loki", "otlp"}, "json");
  o.canonical = format == "json";
  if (format == "splunk_hec") {
    o.encoding.format = http_format::splunk_hec;
  } else if (format == "loki") {
    o.encoding.format = http_format::loki;
  } else if (format == "otlp") {
    o.encoding.format = http_format::otlp;
  }
}

void read_delivery(config::object_reader& r, kafka_options& o) {
  const auto acks = r.one_of("acks", {"all", "leader", "none"}, "all");
  o.acks = acks == "all"      ? kafka_acks::all
           : acks == "leader" ? kafka_acks::leader
                              : kafka_acks::none;
  o.idempotent = r.boolean("idempotent", true);
  if (o.idempotent && o.acks != kafka_acks::all) {
    throw r.error("acks", "the idempotent producer needs acks \"all\" (or idempotent: false)");
  }
  o.compression = r.one_of("compression", {"none", "gzip", "snappy", "lz4", "zstd"}, "none");
  if (o.compression != "none" && !has_feature(o.compression)) {
    throw r.error("compression", "this librdkafka has no " + o.compression +
                                     " (it has: " + builtin_features() + ")");
  }
  o.linger = r.duration_value("linger", duration{5});
  o.timeout = r.duration_value("timeout", duration{30000}, duration{100});
  if (o.linger >= o.timeout) {
    throw r.error("linger", "must be shorter than timeout");
  }
  o.message_max_bytes =
      static_cast<std::size_t>(r.integer("message_max_bytes", 1000, 1'000'000'000, 1'000'000));
}

config::tls_options read_tls(config::object_reader& r) {
  auto tls = r.object("tls");
  auto o = config::read_tls_options(tls);
  tls.finish();
  if (!o.pin_sha256.empty()) {
    throw tls.error("pin_sha256", "librdkafka cannot pin a certificate; use ca_file");
  }
  return o;
}

kafka_sasl read_sasl(config::object_reader r) {
  kafka_sasl sasl;
  if (!r.has("mechanism") && !r.has("username")) {
    r.finish();
    return sasl;
  }
  sasl.mechanism = r.one_of("mechanism", {"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"}, "PLAIN");
  const auto feature = sasl.mechanism == "PLAIN" ? "sasl_plain" : "sasl_scram";
  if (!has_feature(feature)) {
    throw r.error("mechanism", "this librdkafka has no " + sasl.mechanism);
  }
  sasl.username = r.string("username");
  sasl.password = r.secret_value_or_file("password");
  r.finish();
  return sasl;
}

}  // namespace

bool is_valid_topic_name(std::string_view name) {
  return !name.empty() && name.size() <= max_topic_length && name != "." && name != ".." &&
         std::all_of(name.begin(), name.end(), is_topic_byte);
}

void sanitize_topic_name(std::string& name) {
  if (name.size() > max_topic_length) {
    name.resize(max_topic_length);
  }
  std::replace_if(
      name.begin(), name.end(), [](char c) { return !is_topic_byte(c); }, '_');
  if (name == "." || name == "..") {
    name.assign(name.size(), '_');
  }
}

kafka_options parse_kafka_options(config::object_reader& r) {
  kafka_options o;
  o.brokers = read_brokers(r);
  o.topic = read_topic(r);
  const auto key = r.one_of("key", {"device", "id", "none"}, "device");
  o.key = key == "device" ? kafka_key::device : key == "id" ? kafka_key::id : kafka_key::none;
  read_format(r, o);
  o.headers = r.boolean("headers", true);
  read_delivery(r, o);
  o.tls_enabled = r.has("tls");
  o.tls = read_tls(r);
  if (o.tls_enabled && !has_feature("ssl")) {
    throw r.error("tls", "this librdkafka was built without TLS");
  }
  o.sasl = read_sasl(r.object("sasl"));
  o.statistics_interval = r.duration_value("statistics_interval", duration{15000}, duration{100});
  return o;
}

}  // namespace qsanfwd::sinks
