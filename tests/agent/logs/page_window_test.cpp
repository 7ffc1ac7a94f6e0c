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

}  // namespace
}  // namespace qsanfwd::logs
