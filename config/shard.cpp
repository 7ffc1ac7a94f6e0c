#include "config/shard.hpp"

#include <charconv>
#include <cstdint>

#include "agent/core/ids.hpp"

namespace qsanfwd::config {

namespace {

std::optional<std::size_t> parse_count(std::string_view text) {
  std::size_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) {
    return std::nullopt;
  }
  return value;
}

/// The weight of shard `index` for the device `name`: the first 64 bits of a SHA-256 of both.
std::uint64_t weight(std::string_view name, std::size_t index) {
  const std::string id = stable_id({"shard", name, std::to_string(index)});
  std::uint64_t value = 0;
  std::from_chars(id.data(), id.data() + id.size(), value, 16);
  return value;
}

}  // namespace

std::optional<shard_spec> parse_shard(std::string_view text, std::string& why) {
  const auto slash = text.find('/');
  const auto index = parse_count(text.substr(0, slash));
  const auto count =
      slash == std::string_view::npos ? std::nullopt : parse_count(text.substr(slash + 1));
  if (!index || !count || *count == 0 || *count > max_shard_count || *index >= *count) {
    why = "expected i/n with 0 <= i < n <= " + std::to_string(max_shard_count) +
          " (shard i of n agents, counted from 0), got \"" + std::string(text) + "\"";
    return std::nullopt;
  }
  return shard_spec{*index, *count};
}

std::string describe(const shard_spec& shard) {
  return std::to_string(shard.index) + "/" + std::to_string(shard.count);
}

std::size_t shard_of(std::string_view name, std::size_t count) {
  std::size_t best = 0;
  std::uint64_t best_weight = 0;
  for (std::size_t i = 0; i < count; ++i) {
    // Ties (one in 2^64) go to the lower index, so the answer stays a function of the name.
    const auto w = weight(name, i);
    if (i == 0 || w > best_weight) {
      best = i;
      best_weight = w;
    }
  }
  return best;
}

}  // namespace qsanfwd::config
