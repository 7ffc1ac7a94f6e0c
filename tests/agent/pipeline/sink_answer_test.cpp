#include "agent/pipeline/sink_answer.hpp"

#include <gtest/gtest.h>

namespace qsanfwd::pipeline {
namespace {

using sinks::delivery;
using sinks::outcome;
using indexes = std::vector<std::size_t>;

TEST(settle, a_delivered_batch_is_settled_whole_with_nothing_rejected) {
  const auto s = settle(delivery::delivered(), 4);
  EXPECT_EQ(s.settled, 4U);
  EXPECT_EQ(s.rejected, indexes{});
}

TEST(settle, a_rejected_batch_is_settled_whole_and_every_event_is_rejected) {
  const auto s = settle(delivery::rejected("400"), 3);
  EXPECT_EQ(s.settled, 3U);
  EXPECT_EQ(s.rejected, (indexes{0, 1, 2}));
}

TEST(settle, a_batch_to_retry_settles_nothing) {
  const auto s = settle(delivery::retry("503"), 3);
  EXPECT_EQ(s.settled, 0U);
  EXPECT_EQ(s.rejected, indexes{});
}

TEST(settle, per_event_answers_settle_up_to_the_first_retry_whatever_follows) {
  delivery d;
  d.result = outcome::retry;  // ignored when there is one outcome per event
  d.per_event = {outcome::delivered, outcome::rejected, outcome::delivered,
                 outcome::retry,     outcome::rejected, outcome::delivered};
  const auto s = settle(d, 6);
  EXPECT_EQ(s.settled, 3U);
  EXPECT_EQ(s.rejected, indexes{1});
}

TEST(settle, per_event_answers_that_retry_the_first_event_settle_nothing) {
  delivery d;
  d.per_event = {outcome::retry, outcome::delivered};
  const auto s = settle(d, 2);
  EXPECT_EQ(s.settled, 0U);
  EXPECT_EQ(s.rejected, indexes{});
}

TEST(settle, per_event_answers_of_the_wrong_count_fall_back_to_the_batch_result) {
  delivery d = delivery::rejected("bad");
  d.per_event = {outcome::delivered, outcome::delivered};
  const auto s = settle(d, 3);
  EXPECT_EQ(s.settled, 3U);
  EXPECT_EQ(s.rejected, (indexes{0, 1, 2}));
}

TEST(obey_retry_after, without_retry_after_the_backoff_decides) {
  EXPECT_FALSE(obey_retry_after(std::nullopt, duration{5000}));
  EXPECT_FALSE(obey_retry_after(duration{-1}, duration{5000}));
}

TEST(obey_retry_after, a_wait_up_to_retry_max_is_taken_as_asked) {
  const auto zero = obey_retry_after(duration{0}, duration{5000});
  ASSERT_TRUE(zero);
  EXPECT_EQ(zero->wait, duration{0});
  EXPECT_FALSE(zero->capped);
  const auto at_max = obey_retry_after(duration{5000}, duration{5000});
  ASSERT_TRUE(at_max);
  EXPECT_EQ(at_max->wait, duration{5000});
  EXPECT_FALSE(at_max->capped);
}

TEST(obey_retry_after, a_longer_wait_is_cut_to_retry_max_and_says_so) {
  const auto year = obey_retry_after(std::chrono::hours(24 * 365), duration{60000});
  ASSERT_TRUE(year);
  EXPECT_EQ(year->wait, duration{60000});
  EXPECT_TRUE(year->capped);
}

}  // namespace
}  // namespace qsanfwd::pipeline
