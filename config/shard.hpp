#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace qsanfwd::config {

/// This agent's part of an inventory shared by `count` agents: the devices that shard_of() gives
/// to `index`. The default, {0, 1}, is the whole inventory.
struct shard_spec {
  std::size_t index = 0;
  std::size_t count = 1;

  bool operator==(const shard_spec&) const = default;
};

/// More agents than this on one inventory is a typing mistake, not a fleet.
inline constexpr std::size_t max_shard_count = 1000;

/// "i/n" as `--shard` takes it: 0 <= i < n <= max_shard_count. nullopt, with `why` set, when
/// `text` is not that.
std::optional<shard_spec> parse_shard(std::string_view text, std::string& why);

/// "i/n".
std::string describe(const shard_spec& shard);

/// Which of `count` shards owns the device `name`, by rendezvous (highest random weight)
/// hashing: each shard's weight for the name is a SHA-256 of both, and the heaviest wins. The
/// answer depends on nothing but the name and `count` (every agent computes the same split
/// alone), and going from n to n+1 shards moves only the devices the new shard wins, about
/// 1/(n+1) of them; none moves between the shards that stay.
std::size_t shard_of(std::string_view name, std::size_t count);

}  // namespace qsanfwd::config
