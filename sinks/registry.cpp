#include "sinks/registry.hpp"

#include <stdexcept>

#include "sinks/file/file_options.hpp"
#include "sinks/file/file_sink.hpp"
#include "sinks/http/http_options.hpp"
#include "sinks/http/http_sink.hpp"
#include "sinks/kafka/kafka_options.hpp"
#include "sinks/kafka/kafka_sink.hpp"
#include "sinks/stdout/stdout_options.hpp"
#include "sinks/stdout/stdout_sink.hpp"
#include "sinks/syslog/syslog_options.hpp"
#include "sinks/syslog/syslog_sink.hpp"

namespace qsanfwd::sinks {
namespace {

/// How to read one type's options and how to build its sink from them.
struct sink_type {
  config::sink_options_parser parse;
  std::function<std::unique_ptr<sink>(const config::sink_config&, boost::asio::any_io_executor)>
      make;
  std::function<config::rate_limit(const std::any&)> default_pace = {};
};

const std::map<std::string, sink_type, std::less<>>& registered() {
  static const std::map<std::string, sink_type, std::less<>> types{
      {"file",
       {[](config::object_reader& r) { return std::any(parse_file_options(r)); },
        [](const config::sink_config& c, const boost::asio::any_io_executor& ex) {
          return std::make_unique<file_sink>(c.name, std::any_cast<file_options>(c.options), ex);
        }}},
      {"syslog",
       {[](config::object_reader& r) { return std::any(parse_syslog_options(r)); },
        [](const config::sink_config& c, const boost::asio::any_io_executor& ex) {
          return std::make_unique<syslog_sink>(c.name, std::any_cast<syslog_options>(c.options),
                                               ex);
        },
        [](const std::any& o) { return default_pace(std::any_cast<syslog_options>(o)); }}},
      {"stdout",
       {[](config::object_reader& r) { return std::any(parse_stdout_options(r)); },
        [](const config::sink_config& c, const boost::asio::any_io_executor&) {
          return std::make_unique<stdout_sink>(c.name, std::any_cast<stdout_options>(c.options));
        }}},
      {"http",
       {[](config::object_reader& r) { return std::any(parse_http_options(r)); },
        [](const config::sink_config& c, const boost::asio::any_io_executor& ex) {
          return std::make_unique<http_sink>(c.name, std::any_cast<http_options>(c.options),
                                             c.batch.max_bytes, ex);
        }}},
      {"kafka",
       {[](config::object_reader& r) { return std::any(parse_kafka_options(r)); },
        [](const config::sink_config& c, const boost::asio::any_io_executor& ex) {
          return std::make_unique<kafka_sink>(c.name, std::any_cast<kafka_options>(c.options),
                                              c.batch, ex);
        }}},
  };
  return types;
}

}  // namespace

const config::sink_type_table& sink_types() {
  static const config::sink_type_table table = [] {
    config::sink_type_table t;
    for (const auto& [name, type] : registered()) {
      t.emplace(name, config::sink_type_rules{type.parse, type.default_pace});
    }
    return t;
  }();
  return table;
}

std::unique_ptr<sink> make_sink(const config::sink_config& cfg, boost::asio::any_io_executor ex) {
  const auto& types = registered();
  const auto it = types.find(cfg.type);
  if (it == types.end()) {
    std::string known;
    for (const auto& [name, type] : types) {
      known += (known.empty() ? "" : ", ") + name;
    }
    throw std::invalid_argument("unknown sink type \"" + cfg.type + "\" (known: " + known + ")");
  }
  return it->second.make(cfg, std::move(ex));
}

}  // namespace qsanfwd::sinks
