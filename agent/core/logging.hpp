#pragma once

#include <optional>
#include <spdlog/spdlog.h>
#include <string_view>

namespace qsanfwd {

/// Parses a level name (trace, debug, info, warn, warning, error, critical, off).
std::optional<spdlog::level::level_enum> parse_log_level(std::string_view name);

/// Sends the agent's own log to stderr: plain lines when systemd's journal reads it
/// (JOURNAL_STREAM set, the journal stamps time itself), with timestamps otherwise.
void init_logging(spdlog::level::level_enum level);

/// A named logger sharing the process-wide sink, created on first use.
std::shared_ptr<spdlog::logger> get_logger(const std::string& name);

}  // namespace qsanfwd
