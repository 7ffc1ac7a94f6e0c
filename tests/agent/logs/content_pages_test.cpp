#include "agent/logs/content_pages.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

namespace qsanfwd::logs {
namespace {

using device::log_entry;

constexpr auto any_time = std::numeric_limits<std::int64_t>::max();
constexpr int patient = 8;

device::log_page answer_with(std::vector<log_entry> lines, bool more = true) {
  device::log_page p;
  p.logs = std::move(lines);
  p.total = static_cast<std::int64_t>(p.logs.size());
  p.have_next_page = more;
  return p;
}

std::vector<log_entry> lines_of(std::span<const log_entry> fresh) {
  return {fresh.begin(), fresh.end()};
}

bool refused_for(const content_pages::step& s, const std::string& words) {
  return s.refused && s.refused->find(words) != std::string::npos;
}

TEST(content_pages, newest_first_a_page_that_begins_with_lines_pushed_over_skips_them) {
  content_pages pages(3, patient);
  const auto first =
      pages.accept(1, answer_with({{105, "info", "e"}, {104, "info", "d"}, {103, "info", "c"}}),
                   true, false, any_time);
  ASSERT_FALSE(first.refused);
  EXPECT_EQ(first.fresh.size(), 3U);
  EXPECT_FALSE(first.last);
  // A line arrived on top: page 2 now begins with page 1's last line.
  const auto second =
      pages.accept(2, answer_with({{103, "info", "c"}, {102, "info", "b"}, {101, "info", "a"}}),
                   true, false, any_time);
  ASSERT_FALSE(second.refused);
  EXPECT_EQ(lines_of(second.fresh),
            (std::vector<log_entry>{{102, "info", "b"}, {101, "info", "a"}}));
  const auto third =
      pages.accept(3, answer_with({{100, "info", "z"}}, false), true, false, any_time);
  EXPECT_TRUE(third.last);
  EXPECT_EQ(third.fresh.size(), 1U);
}

TEST(content_pages, oldest_first_nothing_is_taken_for_pushed_over) {
  content_pages pages(3, patient);
  const std::vector<log_entry> first{{100, "info", "a"}, {101, "info", "b"}, {102, "info", "c"}};
  ASSERT_FALSE(pages.accept(1, answer_with(first), false, false, any_time).refused);
  // An identical genuine line at the boundary is a second event when the order is oldest first.
  const auto second =
      pages.accept(2, answer_with({{102, "info", "c"}, {103, "info", "d"}, {104, "info", "e"}}),
                   false, false, any_time);
  ASSERT_FALSE(second.refused);
  EXPECT_EQ(second.fresh.size(), 3U);
}

TEST(content_pages, a_page_served_again_stops_the_cycle_until_all_was_read) {
  const std::vector<log_entry> full{{105, "info", "e"}, {104, "info", "d"}, {103, "info", "c"}};
  {
    content_pages pages(3, patient);
    ASSERT_FALSE(pages.accept(1, answer_with(full), true, false, any_time).refused);
    EXPECT_TRUE(refused_for(pages.accept(2, answer_with(full), true, false, any_time),
                            "with the lines of an earlier page"));
  }
  {
    // A short page read all; the array says "more" and serves it again: the listing's end.
    content_pages pages(3, patient);
    ASSERT_FALSE(pages.accept(1, answer_with(full), true, false, any_time).refused);
    const std::vector<log_entry> tail{{102, "info", "b"}};
    ASSERT_FALSE(pages.accept(2, answer_with(tail), true, false, any_time).last);
    const auto again = pages.accept(3, answer_with(tail), true, false, any_time);
    EXPECT_FALSE(again.refused);
    EXPECT_TRUE(again.last);
    EXPECT_TRUE(again.fresh.empty());
  }
}

TEST(content_pages, page_one_again_moved_down_by_a_new_line_is_a_repeat) {
  content_pages pages(3, patient);
  ASSERT_FALSE(
      pages
          .accept(1, answer_with({{105, "info", "e"}, {104, "info", "d"}, {103, "info", "c"}}),
                  true, false, any_time)
          .refused);
  const auto moved =
      pages.accept(2, answer_with({{106, "info", "f"}, {105, "info", "e"}, {104, "info", "d"}}),
                   true, false, any_time);
  EXPECT_TRUE(refused_for(moved, "with the lines of an earlier page"));
}

TEST(content_pages, an_empty_page_ends_the_listing_whatever_have_next_page_says) {
  content_pages pages(3, patient);
  ASSERT_FALSE(
      pages
          .accept(1, answer_with({{105, "info", "e"}, {104, "info", "d"}, {103, "info", "c"}}),
                  true, false, any_time)
          .refused);
  const auto empty = pages.accept(2, answer_with({}, true), true, false, any_time);
  EXPECT_FALSE(empty.refused);
  EXPECT_TRUE(empty.last);
}

TEST(content_pages, a_page_out_of_time_order_stops_the_cycle) {
  {
    content_pages pages(3, patient);
    ASSERT_FALSE(
        pages
            .accept(1, answer_with({{105, "info", "e"}, {104, "info", "d"}, {103, "info", "c"}}),
                    true, false, any_time)
            .refused);
    EXPECT_TRUE(refused_for(pages.accept(2, answer_with({{110, "info", "x"}, {109, "info", "y"}}),
                                         true, false, any_time),
                            "lines out of time order with the page before"));
  }
  {
    content_pages pages(3, patient);
    ASSERT_FALSE(
        pages
            .accept(1, answer_with({{100, "info", "a"}, {101, "info", "b"}, {102, "info", "c"}}),
                    false, false, any_time)
            .refused);
    EXPECT_TRUE(
        refused_for(pages.accept(2, answer_with({{99, "info", "x"}}), false, false, any_time),
                    "lines out of time order with the page before"));
  }
}

TEST(content_pages, lines_pushed_past_lines_ahead_are_skipped_once_lines_ahead_were_seen) {
  // Newest first, 300 is ahead of the array's clock (200): C, written at 200, landed below it
  // and pushed A and B over onto page 2.
  const std::vector<log_entry> page1{{300, "info", "x"}, {200, "info", "A"}, {199, "info", "B"}};
  const std::vector<log_entry> page2{{200, "info", "C"}, {200, "info", "A"}, {199, "info", "B"}};
  {
    content_pages pages(3, patient);
    ASSERT_FALSE(pages.accept(1, answer_with(page1), true, true, 200).refused);
    const auto got = pages.accept(2, answer_with(page2), true, true, 200);
    ASSERT_FALSE(got.refused);
    EXPECT_EQ(lines_of(got.fresh), (std::vector<log_entry>{{200, "info", "C"}}));
  }
  {
    // Without lines ahead, page 2 beginning newer than page 1 ended is an array out of order.
    content_pages pages(3, patient);
    ASSERT_FALSE(pages.accept(1, answer_with(page1), true, false, 200).refused);
    EXPECT_TRUE(
        refused_for(pages.accept(2, answer_with(page2), true, false, 200), "out of time order"));
  }
}

TEST(content_pages, page_two_with_the_order_unknown_stops_the_cycle) {
  const std::vector<log_entry> one_second{
      {100, "info", "a"}, {100, "info", "b"}, {100, "info", "c"}};
  {
    content_pages pages(3, patient);
    ASSERT_FALSE(pages.accept(1, answer_with(one_second), std::nullopt, false, any_time).refused);
    EXPECT_TRUE(refused_for(
        pages.accept(2, answer_with({{100, "info", "d"}}), std::nullopt, false, any_time),
        "cannot tell the array's result order yet"));
  }
  {
    // An empty page 2 (an array that says "more" about nothing) needs no order.
    content_pages pages(3, patient);
    ASSERT_FALSE(pages.accept(1, answer_with(one_second), std::nullopt, false, any_time).refused);
    const auto empty = pages.accept(2, answer_with({}), std::nullopt, false, any_time);
    EXPECT_FALSE(empty.refused);
    EXPECT_TRUE(empty.last);
  }
}

TEST(content_pages, pages_with_nothing_new_are_counted_against_patience) {
  const std::vector<log_entry> page1{{100, "info", "a"}, {100, "info", "b"}, {100, "info", "c"}};
  // Page 2 is page 1's last two lines, pushed over: nothing new.
  const std::vector<log_entry> page2{{100, "info", "b"}, {100, "info", "c"}};
  {
    content_pages pages(3, 0);
    ASSERT_FALSE(pages.accept(1, answer_with(page1), true, false, any_time).refused);
    EXPECT_TRUE(refused_for(pages.accept(2, answer_with(page2), true, false, any_time),
                            "no line not read before"));
  }
  {
    content_pages pages(3, 1);
    ASSERT_FALSE(pages.accept(1, answer_with(page1), true, false, any_time).refused);
    const auto got = pages.accept(2, answer_with(page2), true, false, any_time);
    EXPECT_FALSE(got.refused);
    EXPECT_TRUE(got.fresh.empty());
    EXPECT_FALSE(got.last);
  }
}

}  // namespace
}  // namespace qsanfwd::logs
