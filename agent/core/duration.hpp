#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace qsanfwd {

using duration = std::chrono::milliseconds;

/// Parses "500ms", "10s", "5m", "1h", "2d" or a plain number of seconds ("1.5" is 1500ms).
/// Returns nullopt for anything else, including negative values and overflow.
std::optional<duration> parse_duration(std::string_view text);

/// The shortest exact spelling of `d` in the syntax parse_duration accepts ("10s", "1500ms").
std::string format_duration(duration d);

}  // namespace qsanfwd
