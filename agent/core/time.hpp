#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace qsanfwd {

/// RFC 3339 in UTC with a `Z`, whole seconds: "2026-11-29T01:21:44Z".
/// `unix_seconds` held within the years 0000..9999, which every timestamp format we write has
/// room for: a log line's timestamp is whatever the array says, and far enough out the calendar
/// arithmetic (and a conversion to milliseconds) overflows.
std::int64_t four_digit_year_seconds(std::int64_t unix_seconds);
/// "YYYY-MM-DDThh:mm:ssZ", the time held to four-digit years.
std::string rfc3339_utc(std::int64_t unix_seconds);
/// The length of what rfc3339_utc() writes.
inline constexpr std::size_t rfc3339_size = 20;
/// Appends rfc3339_utc(unix_seconds) to `out`, without a string of its own.
void append_rfc3339_utc(std::string& out, std::int64_t unix_seconds);
/// Writes rfc3339_utc(unix_seconds) at `out` (rfc3339_size bytes); returns the end of it.
char* write_rfc3339_utc(char* out, std::int64_t unix_seconds);

/// Seconds since the epoch from an HTTP-date in IMF-fixdate form ("Sun, 06 Nov 1994 08:49:37
/// GMT", what servers send in Date and Retry-After); nullopt for anything else.
std::optional<std::int64_t> parse_http_date(std::string_view value);
/// `unix_seconds` as an IMF-fixdate.
std::string http_date(std::int64_t unix_seconds);

/// Seconds since the epoch from what a person types for a moment: unix seconds ("1796000000")
/// or RFC 3339 ("2026-12-01T08:00:00Z", "2026-12-01T09:00:00+01:00", fractions dropped);
/// nullopt for anything else.
std::optional<std::int64_t> parse_time_argument(std::string_view text);

/// Seconds since the epoch, from the system clock.
std::int64_t unix_now();

}  // namespace qsanfwd
