#include "agent/net/retry_after.hpp"

#include <algorithm>
#include <charconv>

#include "agent/core/time.hpp"

namespace qsanfwd::net {

std::optional<duration> parse_retry_after(std::string_view value, std::int64_t now_unix) {
  // Clamped to max_duration before the seconds become milliseconds: a huge value asks for a
  // very long wait, not for a product that overflows into a negative or tiny one.
  static constexpr std::int64_t max_seconds = max_duration.count() / 1000;
  const auto wait = [](std::int64_t seconds) {
    return duration{std::min(seconds, max_seconds) * 1000};
  };
  std::int64_t seconds = 0;
  auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (p == value.data() + value.size() && !value.empty() && value.front() != '-') {
    if (ec == std::errc{}) {
      return wait(seconds);
    }
    if (ec == std::errc::result_out_of_range) {
      return wait(max_seconds);  // digits beyond int64
    }
  }
  const auto at = parse_http_date(value);
  if (!at) {
    return std::nullopt;
  }
  return wait(std::max<std::int64_t>(0, *at - now_unix));
}

}  // namespace qsanfwd::net
