#pragma once

#include <spdlog/spdlog.h>

#include <optional>
#include <string_view>

namespace qsanfwd {

/// Parses a level name (trace, debug, info, warn, warning, error, critical, off).
std::optional<spdlog::level::level_enum> parse_log_level(std::string_view name);

/// Sends the agent's own log to stderr: plain lines when systemd's journal reads it
/// (JOURNAL_STREAM set, the journal stamps time itself), with timestamps otherwise.
void init_logging(spdlog::level::level_enum level);

/// A named logger sharing the process-wide sink, created on first use.
std::shared_ptr<spdlog::logger> get_logger(const std::string& name);

/// Adds or removes a destination beside stderr (the demo's live view, tests' captures).
void add_log_sink(const spdlog::sink_ptr& sink);
void remove_log_sink(const spdlog::sink_ptr& sink);

/// Sets the level of every logger, present and future.
void set_all_levels(spdlog::level::level_enum level);

}  // namespace qsanfwd
