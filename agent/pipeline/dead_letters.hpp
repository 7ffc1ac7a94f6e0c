#pragma once

#include <spdlog/logger.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "agent/core/queued_event.hpp"

namespace qsanfwd::pipeline {

/// The dead-letter file of a sink holds the events its destination refused, one JSON line each:
/// {"sink":"…","reason":"…","time":"2026-11-29T01:21:44Z","event":{the event as queued}}.

/// The lines for events `which` of `events` (indexes into it), as the file gets them. `unix_time`
/// is when they were refused. Pure.
std::string dead_letter_lines(std::string_view sink, std::string_view reason,
                              std::int64_t unix_time, std::span<const queued_event> events,
                              std::span<const std::size_t> which);

/// Writes all of `data` to `fd`, again after EINTR or a short write; 0, or the errno.
int write_whole(int fd, std::string_view data);

/// Opens the file at `path` with `flags` (O_CLOEXEC added; created 0600 with O_CREAT) and takes
/// its exclusive lock, making sure the file locked is still the one at `path`: one renamed aside
/// or replaced meanwhile (dead_letter_file.hpp) is left for the new one. Returns the descriptor,
/// or -1 with errno set.
int open_locked(const std::filesystem::path& path, int flags);

/// Appends `lines` to the file at `path` under its lock, creating it (mode 0600) and its
/// directory, and syncs it. On failure the file is cut back to where it ended, so that the retry that follows does
/// not leave half a line before its own. Returns nullopt, or the error fit for a log line.
/// Never throws. `log` hears of what cannot be undone.
std::optional<std::string> append_dead_letters(const std::filesystem::path& path,
                                               std::string_view lines, spdlog::logger& log);

}  // namespace qsanfwd::pipeline
