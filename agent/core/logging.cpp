#include "agent/core/logging.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>

#include <cstdlib>
#include <mutex>

namespace qsanfwd {
namespace {

std::mutex registry_mutex;

spdlog::sink_ptr shared_sink() {
  static const spdlog::sink_ptr sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
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
  shared_sink()->set_pattern(journal ? "%n: %v" : "%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ %n: %v");
  spdlog::set_level(level);
  spdlog::apply_all([level](const std::shared_ptr<spdlog::logger>& l) { l->set_level(level); });
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

}  // namespace qsanfwd
