#include "agent/core/logging.hpp"

#include <spdlog/sinks/dist_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include <unistd.h>

#include <cstdlib>
#include <mutex>

#include "agent/core/log_sinks.hpp"

namespace qsanfwd {
namespace {

std::mutex registry_mutex;

// Where stderr's records go: text, journald or JSON, as init_logging() chose.
spdlog::sink_ptr& stderr_destination() {
  static spdlog::sink_ptr destination = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  return destination;
}

// Every logger writes here; it forwards to stderr's destination and to whatever else was added.
std::shared_ptr<spdlog::sinks::dist_sink_mt> shared_sink() {
  static const auto sink = [] {
    auto dist = std::make_shared<spdlog::sinks::dist_sink_mt>();
    dist->add_sink(stderr_destination());
    return dist;
  }();
  return sink;
}

spdlog::sink_ptr make_destination(log_format format) {
  if (format == log_format::json) {
    return std::make_shared<json_log_sink>();
  }
  if (is_journal_stream(STDERR_FILENO, std::getenv("JOURNAL_STREAM"))) {
    return std::make_shared<journal_sink>();
  }
  auto text = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  text->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ %n: %v");
  return text;
}

}  // namespace

std::optional<spdlog::level::level_enum> parse_log_level(std::string_view name) {
  if (name == "warning") {
    return spdlog::level::warn;
  }
  const auto level = spdlog::level::from_str(std::string(name));
  // from_str answers "off" for anything it does not know.
  if (level == spdlog::level::off && name != "off") {
    return std::nullopt;
  }
  return level;
}

std::optional<log_format> parse_log_format(std::string_view name) {
  if (name == "text") {
    return log_format::text;
  }
  if (name == "json") {
    return log_format::json;
  }
  return std::nullopt;
}

void init_logging(spdlog::level::level_enum level, log_format format) {
  std::lock_guard lock(registry_mutex);
  auto next = make_destination(format);
  shared_sink()->remove_sink(stderr_destination());
  shared_sink()->add_sink(next);
  stderr_destination() = std::move(next);
  set_all_levels(level);
}

std::shared_ptr<spdlog::logger> get_logger(const std::string& name) {
  std::lock_guard lock(registry_mutex);
  if (auto existing = spdlog::get(name)) {
    return existing;
  }
  auto logger = std::make_shared<spdlog::logger>(name, shared_sink());
  logger->set_level(spdlog::get_level());
  spdlog::register_logger(logger);
  return logger;
}

void add_log_sink(const spdlog::sink_ptr& sink) {
  shared_sink()->add_sink(sink);
}

void remove_log_sink(const spdlog::sink_ptr& sink) {
  shared_sink()->remove_sink(sink);
}

void set_all_levels(spdlog::level::level_enum level) {
  spdlog::set_level(level);
  spdlog::apply_all([level](const std::shared_ptr<spdlog::logger>& l) { l->set_level(level); });
}

}  // namespace qsanfwd
