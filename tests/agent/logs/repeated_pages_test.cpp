#include "agent/logs/repeated_pages.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace qsanfwd::logs {
namespace {

using device::log_entry;

TEST(repeated_pages, a_page_served_again_is_a_repeat) {
  repeated_pages r;
  const std::vector<log_entry> page1{{105, "info", "a"}, {104, "info", "b"}, {101, "info", "c"}};
  const std::vector<log_entry> page2{{101, "info", "d"}, {99, "info", "e"}};
  EXPECT_FALSE(r.seen_before(page1));
  EXPECT_FALSE(r.seen_before(page2));
  EXPECT_TRUE(r.seen_before(page1));
  EXPECT_TRUE(r.seen_before(page2));
}

TEST(repeated_pages, pages_of_one_second_are_told_apart_by_their_lines) {
  repeated_pages r;
  const std::vector<log_entry> a{{100, "info", "login alice"}, {100, "info", "login bob"}};
  const std::vector<log_entry> b{{100, "info", "login carol"}, {100, "info", "login dave"}};
  EXPECT_FALSE(r.seen_before(a));
  EXPECT_FALSE(r.seen_before(b)) << "same timestamps, other lines: not a repeat";
  EXPECT_TRUE(r.seen_before(a));
}

TEST(repeated_pages, pages_of_one_identical_line_look_like_a_repeat) {
  // Without a total, 2,000 genuine identical lines in one second (two pages of 1,000) cannot be
  // told from an array serving one page twice: taken for a repeat, never queued twice.
  repeated_pages r;
  const std::vector<log_entry> burst(1000, log_entry{100, "access", "login admin"});
  EXPECT_FALSE(r.seen_before(burst));
  EXPECT_TRUE(r.seen_before(burst));
  EXPECT_FALSE(r.seen_before({}));
}

}  // namespace
}  // namespace qsanfwd::logs
