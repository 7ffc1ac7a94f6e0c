#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "agent/core/duration.hpp"

namespace qsanfwd::net {

/// The wait a Retry-After value asks for: delay-seconds, or an HTTP-date (IMF-fixdate) taken
/// relative to `now_unix` (a date in the past is no wait), at most max_duration however large
/// the value. Nullopt for anything else.
std::optional<duration> parse_retry_after(std::string_view value, std::int64_t now_unix);

}  // namespace qsanfwd::net
