#pragma once

#include <cstdint>
#include <string>

namespace qsanfwd {

/// RFC 3339 in UTC with a `Z`, whole seconds: "2026-11-29T01:21:44Z".
std::string rfc3339_utc(std::int64_t unix_seconds);

/// Seconds since the epoch, from the system clock.
std::int64_t unix_now();

}  // namespace qsanfwd
