#pragma once

#include <spdlog/spdlog.h>

#include <optional>
#include <string_view>

namespace qsanfwd {

/// Parses a level name (trace, debug, info, warn, warning, error, critical, off).
std::optional<spdlog::level::level_enum> parse_log_level(std::string_view name);

/// How the agent's own log reaches stderr (the configuration's `log_format`).
enum class log_format {
  text,  ///< timestamped lines; journald's native records when stderr is the journal
  json,  ///< one JSON object per line (json_log_line), for container log collectors
};
/// Parses "text" or "json".
std::optional<log_format> parse_log_format(std::string_view name);

/// Sends the agent's own log to stderr in `format`. As text, when stderr is systemd's journal
/// (JOURNAL_STREAM names fd 2) each record goes to journald with its priority and fields
/// (DEVICE, SINK), else as a `<N>`-prefixed line. Called again (a reload), it replaces the
/// destination and the level.
void init_logging(spdlog::level::level_enum level, log_format format = log_format::text);

/// A named logger sharing the process-wide sink, created on first use.
std::shared_ptr<spdlog::logger> get_logger(const std::string& name);

/// Adds or removes a destination beside stderr (the demo's live view, tests' captures).
void add_log_sink(const spdlog::sink_ptr& sink);
void remove_log_sink(const spdlog::sink_ptr& sink);

/// Sets the level of every logger, present and future.
void set_all_levels(spdlog::level::level_enum level);

}  // namespace qsanfwd
