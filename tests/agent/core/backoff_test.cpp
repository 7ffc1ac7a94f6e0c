#include "agent/core/backoff.hpp"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace qsanfwd
