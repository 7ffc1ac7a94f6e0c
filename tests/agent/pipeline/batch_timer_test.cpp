#include "agent/pipeline/batch_timer.hpp"

#include <gtest/gtest.h>

namespace qsanfwd::pipeline {
namespace {

using time_point = std::chrono::steady_clock::time_point;
using std::chrono::milliseconds;

constexpr time_point t0{std::chrono::hours(1)};

config::batch_options batch_limits() {
  config::batch_options b;
  b.max_events = 3;
  b.max_bytes = 1000;
  b.max_delay = milliseconds(500);
  return b;
}

/// Events `from`..`to` (inclusive), each body `size` bytes.
std::vector<queued_event> batch_of(std::int64_t from, std::int64_t to, std::size_t size = 10) {
  std::vector<queued_event> out;
  for (auto seq = from; seq <= to; ++seq) {
    out.emplace_back(seq, std::string(size, 'x'));
  }
  return out;
}

TEST(batch_timer, an_empty_batch_waits_for_the_first_event_without_a_deadline) {
  batch_timer timer;
  const auto wait = timer.wait_for({}, 0, batch_limits(), t0);
  ASSERT_TRUE(wait);
  EXPECT_EQ(wait->until, time_point::max());
  EXPECT_EQ(wait->fill.wake_at_events, 1);
  EXPECT_EQ(wait->fill.events, 0);
  EXPECT_EQ(wait->fill.bytes, 0);
}

TEST(batch_timer, a_batch_of_max_events_is_sent_at_once) {
  batch_timer timer;
  EXPECT_FALSE(timer.wait_for(batch_of(1, 3), 10, batch_limits(), t0));
}

TEST(batch_timer, a_batch_that_stops_short_of_the_queue_end_is_full_by_bytes) {
  batch_timer timer;
  EXPECT_FALSE(timer.wait_for(batch_of(1, 2), 5, batch_limits(), t0));
}

TEST(batch_timer, a_partial_batch_waits_max_delay_from_when_it_was_first_read) {
  batch_timer timer;
  const auto first = timer.wait_for(batch_of(1, 2, 40), 2, batch_limits(), t0);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->until, t0 + milliseconds(500));
  EXPECT_EQ(first->fill.wake_at_events, 3);
  EXPECT_EQ(first->fill.events, 2);
  EXPECT_EQ(first->fill.bytes, 80);
  // Read again (woken early, still partial): the deadline does not move.
  const auto again = timer.wait_for(batch_of(1, 2), 2, batch_limits(), t0 + milliseconds(300));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->until, t0 + milliseconds(500));
  EXPECT_FALSE(timer.wait_for(batch_of(1, 2), 2, batch_limits(), t0 + milliseconds(500)));
}

TEST(batch_timer, after_a_send_the_next_partial_batch_waits_its_own_delay) {
  batch_timer timer;
  ASSERT_TRUE(timer.wait_for(batch_of(1, 1), 1, batch_limits(), t0));
  ASSERT_FALSE(timer.wait_for(batch_of(1, 3), 3, batch_limits(), t0 + milliseconds(100)));
  const auto next = timer.wait_for(batch_of(4, 4), 4, batch_limits(), t0 + milliseconds(200));
  ASSERT_TRUE(next);
  EXPECT_EQ(next->until, t0 + milliseconds(700));
}

TEST(batch_timer, an_empty_read_forgets_when_the_partial_batch_began) {
  batch_timer timer;
  ASSERT_TRUE(timer.wait_for(batch_of(1, 1), 1, batch_limits(), t0));
  ASSERT_TRUE(timer.wait_for({}, 1, batch_limits(), t0 + milliseconds(100)));
  const auto next = timer.wait_for(batch_of(2, 2), 2, batch_limits(), t0 + milliseconds(400));
  ASSERT_TRUE(next);
  EXPECT_EQ(next->until, t0 + milliseconds(900));
}

TEST(batch_timer, without_max_delay_a_partial_batch_is_sent_at_once) {
  auto limits = batch_limits();
  limits.max_delay = milliseconds(0);
  batch_timer timer;
  EXPECT_FALSE(timer.wait_for(batch_of(1, 1), 1, limits, t0));
}

TEST(batch_fill, is_enough_at_the_wake_count_or_at_max_bytes) {
  batch_fill fill{2, 100, 3};
  EXPECT_FALSE(fill.enough(1000));
  EXPECT_TRUE(fill.enough(100));
  fill.events = 3;
  EXPECT_TRUE(fill.enough(1000));
}

}  // namespace
}  // namespace qsanfwd::pipeline
