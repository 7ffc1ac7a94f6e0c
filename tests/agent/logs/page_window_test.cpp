#include "agent/logs/page_window.hpp"

#include <gtest/gtest.h>

namespace qsanfwd::logs {
namespace {

TEST(page_window, newest_first_skips_lines_pushed_over_from_the_previous_page) {
  page_window w(true, 10);
  EXPECT_EQ(w.accept(1, 35, 10), 0U);
  // Three lines arrived: page 2 starts with the last three lines of page 1.
  EXPECT_EQ(w.accept(2, 38, 10), 3U);
  EXPECT_EQ(w.accept(3, 38, 10), 0U);
  // One more arrived: one repeat.
  EXPECT_EQ(w.accept(4, 39, 9), 1U);
}

TEST(page_window, newest_first_whole_page_of_repeats) {
  page_window w(true, 5);
  EXPECT_EQ(w.accept(1, 10, 5), 0U);
  EXPECT_EQ(w.accept(2, 22, 5), 5U);  // twelve new lines: all of page 2 was page 1's
  EXPECT_EQ(w.accept(3, 22, 5), 5U);  // listing positions 10..14 were page 1's -2..2
  EXPECT_EQ(w.accept(4, 22, 5), 2U);  // 15..19 were 3..7, of which 3 and 4 were read
}

TEST(page_window, oldest_first_never_skips) {
  page_window w(false, 10);
  EXPECT_EQ(w.accept(1, 35, 10), 0U);
  EXPECT_EQ(w.accept(2, 40, 10), 0U);
  EXPECT_EQ(w.accept(3, 47, 10), 0U);
}

TEST(page_window, shrinking_total_restarts_the_cycle) {
  page_window newest(true, 10);
  EXPECT_EQ(newest.accept(1, 35, 10), 0U);
  EXPECT_EQ(newest.accept(2, 30, 10), std::nullopt);
  page_window oldest(false, 10);
  EXPECT_EQ(oldest.accept(1, 35, 10), 0U);
  EXPECT_EQ(oldest.accept(2, 34, 10), std::nullopt);
}

TEST(page_window, complete_once_every_line_of_the_total_was_read) {
  page_window newest(true, 10);
  newest.accept(1, 25, 10);
  EXPECT_FALSE(newest.complete());
  newest.accept(2, 27, 10);  // two new lines pushed two repeats onto page 2
  EXPECT_FALSE(newest.complete());
  newest.accept(3, 27, 7);
  EXPECT_TRUE(newest.complete()) << "page 1's listing is read; the two new lines wait";

  page_window oldest(false, 10);
  oldest.accept(1, 15, 10);
  EXPECT_FALSE(oldest.complete());
  oldest.accept(2, 18, 8);  // three lines arrived at the end of the listing meanwhile
  EXPECT_TRUE(oldest.complete());
  oldest.accept(3, 19, 0);
  EXPECT_FALSE(oldest.complete()) << "one more arrived after the last page";
}

device::log_page page_of(std::vector<device::log_entry> lines, std::optional<std::int64_t> total) {
  device::log_page p;
  p.logs = std::move(lines);
  p.total = total.value_or(static_cast<std::int64_t>(p.logs.size()));
  p.total_given = total.has_value();
  return p;
}

TEST(page_window, without_a_total_repeats_pushed_over_are_found_by_content) {
  // Newest first, pages of 3; two lines arrived between the pages; the array sends no total.
  page_window w(true, 3);
  const auto one = page_of({{109, "info", "i"}, {108, "info", "h"}, {107, "info", "g"}}, {});
  const auto two = page_of({{108, "info", "h"}, {107, "info", "g"}, {106, "info", "f"}}, {});
  EXPECT_EQ(w.accept(1, one, {}), 0U);
  EXPECT_EQ(w.accept(2, two, one.logs), 2U);
  EXPECT_FALSE(w.complete()) << "no total: only a short page tells the end";
  EXPECT_EQ(w.accept(3, page_of({}, {}), two.logs), 0U) << "an empty page past the end";
}

TEST(page_window, a_total_that_shrinks_without_loss_falls_back_to_content) {
  page_window newest(true, 3);
  const auto one = page_of({{109, "info", "i"}, {108, "info", "h"}, {107, "info", "g"}}, 20);
  const auto two = page_of({{107, "info", "g"}, {106, "info", "f"}, {105, "info", "e"}}, 19);
  EXPECT_EQ(newest.accept(1, one, {}), 0U);
  EXPECT_EQ(newest.accept(2, two, one.logs), 1U);
  // Oldest first, a shrinking total means lines vanished ahead of the page: start over.
  page_window oldest(false, 3);
  EXPECT_EQ(oldest.accept(1, one, {}), 0U);
  EXPECT_EQ(oldest.accept(2, two, one.logs), std::nullopt);
}

TEST(page_window, overlap_is_the_longest_tail_the_page_begins_with) {
  const std::vector<device::log_entry> before{{5, "info", "x"}, {4, "info", "y"}, {4, "info", "y"}};
  EXPECT_EQ(overlap(before, std::vector<device::log_entry>{{4, "info", "y"}, {4, "info", "y"},
                                                           {3, "info", "z"}}),
            2U);
  EXPECT_EQ(overlap(before, std::vector<device::log_entry>{{3, "info", "z"}}), 0U);
  EXPECT_EQ(overlap({}, before), 0U);
}

TEST(page_window, lines_arriving_below_lines_ahead_are_told_from_those_pushed_over) {
  // Newest first, 300 is ahead of the array's clock (200): lines written at 200 land below it.
  // Page 1 held 300, A and B; C (new, at 200) spilled onto page 2 before A and B, pushed over.
  const std::vector<device::log_entry> page1{{300, "info", "x"}, {200, "info", "A"},
                                             {199, "info", "B"}};
  const std::vector<device::log_entry> page2{{200, "info", "C"}, {200, "info", "A"},
                                             {199, "info", "B"}};
  const auto run = pushed_past_lines_ahead(page1, page2, true, 200);
  EXPECT_EQ(run.from, 1U);
  EXPECT_EQ(run.count, 2U);
  // An older line first is no spill: nothing repeats.
  const std::vector<device::log_entry> honest{{198, "info", "A"}, {197, "info", "B"}};
  EXPECT_EQ(pushed_past_lines_ahead(page1, honest, true, 200).count, 0U);

  // Oldest first the lines ahead come last; two read already move on by two places.
  const std::vector<device::log_entry> before{{199, "info", "B"}, {300, "info", "x"},
                                              {301, "info", "y"}};
  const std::vector<device::log_entry> after{{300, "info", "x"}, {301, "info", "y"},
                                             {302, "info", "z"}};
  const auto shifted = pushed_past_lines_ahead(before, after, false, 200);
  EXPECT_EQ(shifted.from, 0U);
  EXPECT_EQ(shifted.count, 2U);
}

}  // namespace
}  // namespace qsanfwd::logs
