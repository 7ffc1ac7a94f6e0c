#include "agent/core/backoff.hpp"

#include <gtest/gtest.h>

#include <array>
#include <optional>
#include <string>

namespace qsanfwd {
namespace {

TEST(backoff, ceiling_doubles_up_to_max) {
  backoff b(duration{1000}, duration{5000}, 42);
  std::vector<duration::rep> ceilings;
  for (int i = 0; i < 6; ++i) {
    ceilings.push_back(b.ceiling().count());
    const auto wait = b.next();
    EXPECT_GE(wait.count(), 0);
    EXPECT_LE(wait.count(), ceilings.back());
  }
  EXPECT_EQ(ceilings, (std::vector<duration::rep>{1000, 2000, 4000, 5000, 5000, 5000}));
  b.reset();
  EXPECT_EQ(b.ceiling().count(), 1000);
}

TEST(backoff, waits_are_spread_over_the_whole_range) {
  backoff b(duration{1000}, duration{1000}, 7);
  duration lo{1000};
  duration hi{0};
  for (int i = 0; i < 1000; ++i) {
    const auto w = b.next();
    lo = std::min(lo, w);
    hi = std::max(hi, w);
  }
  EXPECT_LT(lo.count(), 100);
  EXPECT_GT(hi.count(), 900);
}

TEST(until_phase, lands_on_the_same_phase_within_one_interval) {
  const duration interval{60'000};
  const auto start = std::chrono::steady_clock::time_point{} + std::chrono::hours{1000};
  for (const auto* key : {"array-1", "array-2", "qsm-east"}) {
    std::optional<std::chrono::steady_clock::time_point> first;
    for (const auto late : {0, 1, 17'000, 59'999}) {
      const auto now = start + std::chrono::milliseconds{late};
      const auto wait = until_phase(now, interval, key);
      EXPECT_GT(wait.count(), 0);
      EXPECT_LE(wait, interval);
      const auto at = now + wait;
      if (first && at != *first) {
        // Only a call past the phase moves to the next interval's.
        EXPECT_EQ(at - *first, interval) << key << " late " << late;
      }
      first = first.value_or(at);
    }
  }
}

TEST(until_phase, spreads_a_fleet_over_the_interval) {
  const duration interval{60'000};
  const auto now = std::chrono::steady_clock::time_point{} + std::chrono::hours{1000};
  std::array<int, 10> tenths{};
  for (int i = 0; i < 1000; ++i) {
    const auto wait = until_phase(now, interval, "array-" + std::to_string(i));
    ++tenths[static_cast<std::size_t>((wait.count() - 1) * 10 / interval.count())];
  }
  for (const auto n : tenths) {
    EXPECT_GT(n, 60);  // 100 expected in each tenth: none of them bunched or empty
    EXPECT_LT(n, 140);
  }
}

}  // namespace
}  // namespace qsanfwd
