// Rendezvous hashing of devices onto agents: one shard each, balanced, and few moves when an
// agent is added.
#include "config/shard.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace qsanfwd::config {
namespace {

std::vector<std::string> fleet_names(std::size_t count) {
  std::vector<std::string> names;
  for (std::size_t i = 0; i < count; ++i) {
    names.push_back("array-" + std::to_string(i));
  }
  return names;
}

TEST(config_shard, each_device_lands_in_one_shard_and_shards_are_balanced) {
  const auto names = fleet_names(1000);
  for (std::size_t n : {1u, 2u, 3u, 7u}) {
    std::vector<std::size_t> sizes(n);
    for (const auto& name : names) {
      const auto shard = shard_of(name, n);
      ASSERT_LT(shard, n);
      ++sizes[shard];
    }
    for (std::size_t i = 0; i < n; ++i) {
      // 1000/n devices each, give or take a quarter (the binomial spread is far below that).
      EXPECT_GT(sizes[i], 750 / n) << "shard " << i << " of " << n;
      EXPECT_LT(sizes[i], 1250 / n) << "shard " << i << " of " << n;
    }
  }
}

TEST(config_shard, adding_an_agent_moves_about_one_in_n_plus_one_devices_to_it) {
  const auto names = fleet_names(1000);
  for (std::size_t n = 1; n <= 8; ++n) {
    std::size_t moved = 0;
    for (const auto& name : names) {
      const auto before = shard_of(name, n);
      const auto after = shard_of(name, n + 1);
      if (before != after) {
        ++moved;
        EXPECT_EQ(after, n) << name << ": a device moves only to the new shard";
      }
    }
    const double fraction = static_cast<double>(moved) / static_cast<double>(names.size());
    const double expected = 1.0 / static_cast<double>(n + 1);
    EXPECT_GT(fraction, 0.5 * expected) << n << " -> " << n + 1;
    EXPECT_LT(fraction, 1.5 * expected) << n << " -> " << n + 1;
  }
}

// The split is a function of the names alone: the same on every agent, machine and release (a
// change here would move devices between running agents on upgrade).
TEST(config_shard, assignments_are_fixed) {
  std::string shards;
  for (const auto& name : fleet_names(16)) {
    shards += std::to_string(shard_of(name, 4));
  }
  EXPECT_EQ(shards, "2112220311131031");
  EXPECT_EQ(shard_of("array-0", 1), 0u);
}

}  // namespace
}  // namespace qsanfwd::config
