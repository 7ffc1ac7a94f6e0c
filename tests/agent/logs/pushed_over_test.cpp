#include "agent/logs/pushed_over.hpp"

#include <gtest/gtest.h>

namespace qsanfwd::logs {
namespace {

TEST(pushed_over, overlap_is_the_longest_tail_the_page_begins_with) {
  const std::vector<device::log_entry> before{{5, "info", "x"}, {4, "info", "y"}, {4, "info", "y"}};
  EXPECT_EQ(
      overlap(before,
              std::vector<device::log_entry>{{4, "info", "y"}, {4, "info", "y"}, {3, "info", "z"}}),
      2U);
  EXPECT_EQ(overlap(before, std::vector<device::log_entry>{{3, "info", "z"}}), 0U);
  EXPECT_EQ(overlap({}, before), 0U);
}

TEST(pushed_over, lines_arriving_below_lines_ahead_are_told_from_those_pushed_over) {
  // Newest first, 300 is ahead of the array's clock (200): lines written at 200 land below it.
  // Page 1 held 300, A and B; C (new, at 200) spilled onto page 2 before A and B, pushed over.
  const std::vector<device::log_entry> page1{
      {300, "info", "x"}, {200, "info", "A"}, {199, "info", "B"}};
  const std::vector<device::log_entry> page2{
      {200, "info", "C"}, {200, "info", "A"}, {199, "info", "B"}};
  const auto run = pushed_past_lines_ahead(page1, page2, true, 200);
  EXPECT_EQ(run.from, 1U);
  EXPECT_EQ(run.count, 2U);
  // An older line first is no spill: nothing repeats.
  const std::vector<device::log_entry> honest{{198, "info", "A"}, {197, "info", "B"}};
  EXPECT_EQ(pushed_past_lines_ahead(page1, honest, true, 200).count, 0U);

  // Oldest first the lines ahead come last; two read already move on by two places.
  const std::vector<device::log_entry> before{
      {199, "info", "B"}, {300, "info", "x"}, {301, "info", "y"}};
  const std::vector<device::log_entry> after{
      {300, "info", "x"}, {301, "info", "y"}, {302, "info", "z"}};
  const auto shifted = pushed_past_lines_ahead(before, after, false, 200);
  EXPECT_EQ(shifted.from, 0U);
  EXPECT_EQ(shifted.count, 2U);
}

}  // namespace
}  // namespace qsanfwd::logs
