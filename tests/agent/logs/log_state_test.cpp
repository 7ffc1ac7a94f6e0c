#include "agent/logs/log_state.hpp"

#include <gtest/gtest.h>

#include "tests/support/temp_dir.hpp"

namespace qsanfwd::logs {
namespace {

TEST(log_state, identical_lines_in_one_cycle_are_each_fresh_once) {
  test::temp_dir dir;
  auto store = state_store::open(dir.path());
  log_state s(*store, "a");
  auto first = s.observe(100, "access", "User admin login", 1);
  auto twin = s.observe(100, "access", "User admin login", 1);
  EXPECT_TRUE(first.fresh);
  EXPECT_EQ(first.occurrence, 1);
  EXPECT_TRUE(twin.fresh);
  EXPECT_EQ(twin.occurrence, 2);
  // The next cycle sees both again: nothing new. A third twin then is new, with occurrence 3.
  EXPECT_FALSE(s.observe(100, "access", "User admin login", 2).fresh);
  EXPECT_FALSE(s.observe(100, "access", "User admin login", 2).fresh);
  auto third = s.observe(100, "access", "User admin login", 2);
  EXPECT_TRUE(third.fresh);
  EXPECT_EQ(third.occurrence, 3);
}

TEST(log_state, lines_differ_by_second_type_and_text) {
  test::temp_dir dir;
  auto store = state_store::open(dir.path());
  log_state s(*store, "a");
  EXPECT_TRUE(s.observe(100, "info", "m", 1).fresh);
  EXPECT_TRUE(s.observe(101, "info", "m", 1).fresh);
  EXPECT_TRUE(s.observe(100, "error", "m", 1).fresh);
  EXPECT_TRUE(s.observe(100, "info", "n", 1).fresh);
  log_state other(*store, "b");
  EXPECT_TRUE(other.observe(100, "info", "m", 1).fresh);
  EXPECT_EQ(s.mark_count(), 4);
}

TEST(log_state, checkpoint_round_trip_and_pruning) {
  test::temp_dir dir;
  {
    auto store = state_store::open(dir.path());
    log_state s(*store, "a");
    EXPECT_FALSE(s.load());
    s.save({.start_time = 200, .floor = 5, .newest_first = true, .cycle = 9});
    s.observe(198, "info", "old", 1);
    s.observe(199, "info", "edge", 1);
    s.observe(200, "info", "new", 1);
    s.prune_before(199);
    EXPECT_EQ(s.mark_count(), 2);
  }
  auto store = state_store::open(dir.path());
  log_state s(*store, "a");
  const auto cp = s.load();
  ASSERT_TRUE(cp);
  EXPECT_EQ(cp->start_time, 200);
  EXPECT_EQ(cp->floor, 5);
  EXPECT_EQ(cp->newest_first, true);
  EXPECT_EQ(cp->cycle, 9);
  s.save({.start_time = 201, .floor = 0, .newest_first = std::nullopt, .cycle = 10});
  EXPECT_EQ(s.load()->newest_first, std::nullopt);
}

TEST(log_state, line_hash_is_stable) {
  // Stored in databases: changing it would re-deliver every line in the re-read window.
  EXPECT_EQ(line_hash("info", "x"), 0xcb1d9ee596c84ae5ULL);
  EXPECT_NE(line_hash("info", "x"), line_hash("infox", ""));
}

}  // namespace
}  // namespace qsanfwd::logs
