#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace qsanfwd {

using duration = std::chrono::milliseconds;

/// The longest duration parse_duration accepts: 365 days. Timers add durations to
/// steady_clock::now() in nanoseconds, which overflows past about 106,000 days and turns a
/// long wait into a busy loop; a year is far beyond any interval, timeout or backoff.
inline constexpr duration max_duration{365LL * 86'400'000};

/// Parses "500ms", "10s", "5m", "1h", "2d", a sum of these written largest unit first, each
/// unit once ("1h30m", "2m30s", "1d12h", "1m0.5s"), or a plain number of seconds ("1.5" is
/// 1500ms). Returns nullopt for anything else, including negative values, units out of order
/// ("30m1h") and values above max_duration.
std::optional<duration> parse_duration(std::string_view text);

/// The shortest exact spelling of `d` in the syntax parse_duration accepts ("10s", "1500ms").
std::string format_duration(duration d);

}  // namespace qsanfwd
