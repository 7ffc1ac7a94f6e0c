#include "agent/pipeline/pace.hpp"

#include <gtest/gtest.h>

namespace qsanfwd::pipeline {
namespace {

using time_point = pace::clock::time_point;
using std::chrono::milliseconds;

constexpr time_point pace_t0{std::chrono::hours(1)};

config::rate_limit limit(double events_per_second, std::size_t burst) {
  return {events_per_second, burst};
}

TEST(pace, unpaced_never_waits_and_keeps_the_batch_size) {
  pace p(config::rate_limit{});
  config::batch_options b;
  b.max_events = 5000;
  EXPECT_EQ(p.batch_limits(b).max_events, 5000u);
  for (int i = 0; i < 100; ++i) {
    EXPECT_FALSE(p.wait_for(1'000'000, pace_t0));
    p.spend(1'000'000, pace_t0);
  }
}

TEST(pace, a_paced_lane_reads_batches_of_half_the_burst) {
  pace p(limit(100, 10));
  config::batch_options b;
  b.max_events = 1000;
  b.max_bytes = 4096;
  const auto cut = p.batch_limits(b);
  EXPECT_EQ(cut.max_events, 5u);
  EXPECT_EQ(cut.max_bytes, 4096u);
  b.max_events = 3;
  EXPECT_EQ(p.batch_limits(b).max_events, 3u);  // already smaller: kept
  EXPECT_EQ(pace(limit(100, 1)).batch_limits(b).max_events, 1u);
}

// The reason for half: a lane that wakes late still sends at the rate, as the bucket fills on
// while it is late and the next batch goes at once.
TEST(pace, a_lane_late_to_wake_loses_nothing_of_the_rate) {
  pace p(limit(100, 10));
  config::batch_options b;
  const auto batch = p.batch_limits(b).max_events;
  time_point now = pace_t0;
  std::size_t sent = 0;
  const auto end = pace_t0 + std::chrono::seconds(10);
  while (now < end) {
    if (const auto ready = p.wait_for(batch, now)) {
      now = *ready + milliseconds(20);  // every wake 20 ms late
      continue;
    }
    p.spend(batch, now);
    sent += batch;
    now += milliseconds(10);  // the delivery and the cursor write
  }
  EXPECT_GE(sent, 1000u - 10);
}

TEST(pace, the_bucket_starts_full) {
  pace p(limit(100, 10));
  EXPECT_FALSE(p.wait_for(10, pace_t0));
  p.spend(10, pace_t0);
  const auto ready = p.wait_for(1, pace_t0);
  ASSERT_TRUE(ready);
  EXPECT_EQ(*ready, pace_t0 + milliseconds(10));  // one token at 100/s
}

TEST(pace, a_batch_waits_until_the_bucket_holds_all_of_it) {
  pace p(limit(100, 10));
  p.spend(10, pace_t0);
  // 4 tokens back after 40 ms; a batch of 10 needs 60 ms more.
  const auto ready = p.wait_for(10, pace_t0 + milliseconds(40));
  ASSERT_TRUE(ready);
  EXPECT_EQ(*ready, pace_t0 + milliseconds(100));
  EXPECT_FALSE(p.wait_for(4, pace_t0 + milliseconds(40)));
  EXPECT_FALSE(p.wait_for(10, *ready));
}

TEST(pace, a_batch_larger_than_the_burst_waits_for_a_full_bucket_only) {
  pace p(limit(100, 10));
  p.spend(10, pace_t0);
  const auto ready = p.wait_for(50, pace_t0);
  ASSERT_TRUE(ready);
  EXPECT_EQ(*ready, pace_t0 + milliseconds(100));
}

TEST(pace, tokens_pile_up_to_the_burst_and_no_further) {
  pace p(limit(100, 10));
  p.spend(10, pace_t0);
  // An hour idle refills 10 tokens, not 360,000.
  const auto later = pace_t0 + std::chrono::hours(1);
  EXPECT_FALSE(p.wait_for(10, later));
  p.spend(10, later);
  EXPECT_TRUE(p.wait_for(1, later));
}

TEST(pace, spending_more_than_held_is_owed_by_the_next_batch) {
  pace p(limit(100, 10));
  p.spend(30, pace_t0);  // 20 owed
  const auto ready = p.wait_for(10, pace_t0);
  ASSERT_TRUE(ready);
  EXPECT_EQ(*ready, pace_t0 + milliseconds(300));
}

TEST(pace, time_going_nowhere_adds_nothing) {
  pace p(limit(100, 10));
  p.spend(10, pace_t0 + milliseconds(50));
  // An earlier reading of the clock (another lane's, taken before) must not refill or break it.
  EXPECT_TRUE(p.wait_for(1, pace_t0));
  EXPECT_TRUE(p.wait_for(1, pace_t0 + milliseconds(50)));
}

TEST(pace, fractional_rates_wait_whole_seconds_for_one_event) {
  pace p(limit(0.5, 1));
  EXPECT_FALSE(p.wait_for(1, pace_t0));
  p.spend(1, pace_t0);
  const auto ready = p.wait_for(1, pace_t0);
  ASSERT_TRUE(ready);
  EXPECT_EQ(*ready, pace_t0 + std::chrono::seconds(2));
}

// Driven as the dispatcher drives it (wait, then send what the bucket allows) for a simulated
// minute: the rate holds to within one burst, whatever the batch sizes.
TEST(pace, over_a_minute_the_rate_is_the_configured_one) {
  for (const std::size_t offered : {1u, 7u, 50u, 1000u}) {
    SCOPED_TRACE(offered);
    pace p(limit(250, 25));
    time_point now = pace_t0;
    std::size_t sent = 0;
    int wakes = 0;
    const auto end = pace_t0 + std::chrono::seconds(60);
    while (now < end) {
      const auto batch = std::min<std::size_t>(offered, 25);
      if (const auto ready = p.wait_for(batch, now)) {
        ASSERT_GT(*ready, now);  // a wait always moves time on: no busy loop
        now = *ready;
        ++wakes;
        continue;
      }
      p.spend(batch, now);
      sent += batch;
    }
    EXPECT_LE(sent, 250u * 60 + 25);
    EXPECT_GE(sent, 250u * 60 - offered);
    // A batch of the burst waits once per batch, never for a fraction of a token.
    EXPECT_LE(wakes, static_cast<int>(sent / std::min<std::size_t>(offered, 25)) + 1);
  }
}

TEST(pace, default_burst_is_a_tenth_of_a_second) {
  EXPECT_EQ(config::default_burst(1000), 100u);
  EXPECT_EQ(config::default_burst(25), 3u);  // rounded up
  EXPECT_EQ(config::default_burst(5), 1u);
  EXPECT_EQ(config::default_burst(0.5), 1u);
}

}  // namespace
}  // namespace qsanfwd::pipeline
