#include "agent/pipeline/queue_limits.hpp"

#include <gtest/gtest.h>

namespace qsanfwd::pipeline {
namespace {

using sizes = std::vector<std::pair<std::int64_t, std::int64_t>>;

config::queue_options limits(config::when_full on_full, std::uint64_t max_bytes) {
  config::queue_options q;
  q.on_full = on_full;
  q.max_bytes = max_bytes;
  return q;
}

TEST(queue_limits, block_holds_collection_back_from_max_bytes_on) {
  const auto block = limits(config::when_full::block, 1000);
  EXPECT_FALSE(blocks_collection(block, 0));
  EXPECT_FALSE(blocks_collection(block, 999));
  EXPECT_TRUE(blocks_collection(block, 1000));
  EXPECT_TRUE(blocks_collection(block, 5000));
  EXPECT_FALSE(must_drop_oldest(block, 5000));
}

TEST(queue_limits, drop_oldest_drops_only_beyond_max_bytes_and_never_blocks) {
  const auto drop = limits(config::when_full::drop_oldest, 1000);
  EXPECT_FALSE(must_drop_oldest(drop, 1000));
  EXPECT_TRUE(must_drop_oldest(drop, 1001));
  EXPECT_FALSE(blocks_collection(drop, 1000));
  EXPECT_FALSE(blocks_collection(drop, 1'000'000));
}

TEST(drop_plan, takes_whole_events_from_the_cursor_until_the_excess_is_covered) {
  drop_plan plan(250, 10);
  plan.take(sizes{{11, 100}, {12, 100}, {13, 100}, {14, 100}});
  EXPECT_TRUE(plan.enough());
  EXPECT_EQ(plan.through, 13);
  EXPECT_EQ(plan.events, 3);
  EXPECT_EQ(plan.bytes, 300);
}

TEST(drop_plan, goes_on_over_further_pages_of_sizes) {
  drop_plan plan(250, 10);
  plan.take(sizes{{11, 100}});
  EXPECT_FALSE(plan.enough());
  EXPECT_EQ(plan.through, 11);
  plan.take(sizes{{12, 100}, {15, 100}, {16, 100}});
  EXPECT_EQ(plan.through, 15);
  EXPECT_EQ(plan.events, 3);
  EXPECT_EQ(plan.bytes, 300);
}

TEST(drop_plan, stops_where_the_queue_ends_short_of_the_excess) {
  drop_plan plan(1000, 10);
  plan.take(sizes{{11, 100}, {12, 100}});
  EXPECT_FALSE(plan.enough());
  EXPECT_EQ(plan.through, 12);
  EXPECT_EQ(plan.events, 2);
}

TEST(drop_plan, one_big_event_covers_the_excess_alone) {
  drop_plan plan(10, 10);
  plan.take(sizes{{11, 5000}, {12, 1}});
  EXPECT_EQ(plan.through, 11);
  EXPECT_EQ(plan.events, 1);
  EXPECT_EQ(plan.bytes, 5000);
}

TEST(dropped_event, reports_the_sink_the_count_the_bytes_and_the_limit) {
  drop_plan plan(250, 10);
  plan.take(sizes{{11, 100}, {12, 100}, {13, 100}});
  const auto e = dropped_event("lossy", plan, limits(config::when_full::drop_oldest, 500), 77);
  EXPECT_EQ(e.kind, event_kind::agent);
  EXPECT_EQ(e.type, "events_dropped");
  EXPECT_EQ(e.severity, severity::warning);
  EXPECT_EQ(e.timestamp, 77);
  EXPECT_EQ(e.message,
            "Sink lossy dropped its 3 oldest undelivered event(s) (300 bytes): its queue reached "
            "queue.max_bytes (500)");
}

TEST(dropped_event, its_id_depends_on_the_sink_and_where_the_cursor_moved_not_the_time) {
  const auto q = limits(config::when_full::drop_oldest, 500);
  drop_plan to_12(150, 10);
  to_12.take(sizes{{11, 100}, {12, 100}});
  drop_plan to_13(150, 11);
  to_13.take(sizes{{12, 100}, {13, 100}});
  EXPECT_EQ(dropped_event("a", to_12, q, 1).id, dropped_event("a", to_12, q, 2).id);
  EXPECT_NE(dropped_event("a", to_12, q, 1).id, dropped_event("a", to_13, q, 1).id);
  EXPECT_NE(dropped_event("a", to_12, q, 1).id, dropped_event("b", to_12, q, 1).id);
}

}  // namespace
}  // namespace qsanfwd::pipeline
