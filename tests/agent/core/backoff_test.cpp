#include "agent/core/backoff.hpp"

#include <gtest/gtest.h>

#include <array>
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

TEST(backoff, shares_of_an_interval_spread_a_fleet_evenly_and_stay_put) {
  const duration interval{60'000};
  std::array<int, 10> buckets{};
  for (int i = 1; i <= 1000; ++i) {
    const auto key = "array-" + std::to_string(i) + "/health";
    const auto share = share_of(interval, key);
    ASSERT_GE(share.count(), 0);
    ASSERT_LT(share.count(), interval.count());
    EXPECT_EQ(share, share_of(interval, key));
    ++buckets[static_cast<std::size_t>(share.count() / 6'000)];
  }
  // 100 a bucket on average; all in a few buckets is what polling together looks like.
  for (const int n : buckets) {
    EXPECT_GT(n, 50);
    EXPECT_LT(n, 150);
  }
  EXPECT_NE(share_of(interval, "array-1/logs"), share_of(interval, "array-1/health"));
  EXPECT_EQ(share_of(duration{0}, "array-1/logs").count(), 0);
}

}  // namespace
}  // namespace qsanfwd
