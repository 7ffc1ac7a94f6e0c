#include "agent/core/duration.hpp"

#include <array>
#include <charconv>
#include <cmath>

namespace qsanfwd {
namespace {

struct unit {
  std::string_view suffix;
  std::int64_t millis;
};

// Longest suffix first so "ms" is not read as "m" followed by garbage.
constexpr std::array<unit, 5> units{
    {{"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000}}};

}  // namespace

std::optional<duration> parse_duration(std::string_view text) {
  if (text.empty()) {
    return std::nullopt;
  }
  std::int64_t scale = 1000;  // a bare number means seconds
  std::string_view number = text;
  for (const auto& u : units) {
    if (text.size() > u.suffix.size() && text.ends_with(u.suffix)) {
      number = text.substr(0, text.size() - u.suffix.size());
      scale = u.millis;
      break;
    }
  }
  double value = 0;
  const auto* end = number.data() + number.size();
  auto [ptr, ec] = std::from_chars(number.data(), end, value);
  if (ec != std::errc{} || ptr != end || !std::isfinite(value) || value < 0 || number[0] == '-' ||
      number[0] == '+') {
    return std::nullopt;
  }
  const double millis = value * static_cast<double>(scale);
  if (millis > static_cast<double>(max_duration.count())) {
    return std::nullopt;
  }
  return duration{static_cast<std::int64_t>(std::llround(millis))};
}

std::string format_duration(duration d) {
  const auto ms = d.count();
  for (auto it = units.rbegin(); it != units.rend(); ++it) {
    if (ms != 0 && ms % it->millis == 0) {
      return std::to_string(ms / it->millis) + std::string(it->suffix);
    }
  }
  return std::to_string(ms) + "ms";
}

}  // namespace qsanfwd
