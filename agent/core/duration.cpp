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

// Smallest first: format_duration tries them from the largest down.
constexpr std::array<unit, 5> units{
    {{"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000}}};

const unit* unit_named(std::string_view suffix) {
  for (const auto& u : units) {
    if (u.suffix == suffix) {
      return &u;
    }
  }
  return nullptr;
}

/// The non-negative number at the start of `text`, which it then drops; nullopt when there is
/// none. A sign is refused: from_chars would take "-1" and "+1" is no number to it anyway.
std::optional<double> take_number(std::string_view& text) {
  if (text.empty() || text[0] == '-' || text[0] == '+') {
    return std::nullopt;
  }
  double value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || !std::isfinite(value)) {
    return std::nullopt;
  }
  text.remove_prefix(static_cast<std::size_t>(ptr - text.data()));
  return value;
}

/// The unit's letters at the start of `text`, which it then drops.
std::string_view take_suffix(std::string_view& text) {
  std::size_t n = 0;
  while (n < text.size() && text[n] >= 'a' && text[n] <= 'z') {
    ++n;
  }
  const auto suffix = text.substr(0, n);
  text.remove_prefix(n);
  return suffix;
}

}  // namespace

std::optional<duration> parse_duration(std::string_view text) {
  const auto first = take_number(text);
  if (!first) {
    return std::nullopt;
  }
  double millis = *first * 1000;  // a bare number means seconds
  if (!text.empty()) {
    // Parts such as "1h30m": each a number and a unit, the units from the largest down, each
    // at most once, so "30m1h" and "1m1m" are typos rather than sums.
    millis = 0;
    std::int64_t smaller_than = max_duration.count() + 1;
    for (auto value = first; value; value = take_number(text)) {
      const unit* u = unit_named(take_suffix(text));
      if (u == nullptr || u->millis >= smaller_than) {
        return std::nullopt;
      }
      smaller_than = u->millis;
      millis += *value * static_cast<double>(u->millis);
      if (text.empty()) {
        break;
      }
    }
    if (!text.empty()) {
      return std::nullopt;
    }
  }
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
