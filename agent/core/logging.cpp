#include "agent/core/logging.hpp"

#include <spdlog/sinks/dist_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include <cstdlib>
#include <mutex>

namespace qsanfwd {
namespace {

std::mutex registry_mutex;

std::shared_ptr<spdlog::sinks::stderr_color_sink_mt> stderr_sink() {
  static const auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  return sink;
}

// Every logger writes here; it forwards to stderr and to whatever else was added.
std::shared_ptr<spdlog::sinks::dist_sink_mt> shared_sink() {
  static const auto sink = [] {
    auto dist = std::make_shared<spdlog::sinks::dist_sink_mt>();
    dist->add_sink(stderr_sink());
    return dist;
  }();
  return sink;
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

void init_logging(spdlog::level::level_enum level) {
  std::lock_guard lock(registry_mutex);
  const bool journal = std::getenv("JOURNAL_STREAM") != nullptr;
  stderr_sink()->set_pattern(journal ? "%n: %v" : "%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ %n: %v");
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
