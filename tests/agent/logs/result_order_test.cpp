#include "agent/logs/result_order.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace qsanfwd::logs {
namespace {

using device::log_entry;

TEST(result_order, a_page_shows_its_order_by_its_first_and_last_line) {
  EXPECT_EQ(order_shown_by(std::vector<log_entry>{{105, "info", "a"}, {100, "info", "b"}}), true);
  EXPECT_EQ(order_shown_by(std::vector<log_entry>{{100, "info", "a"}, {105, "info", "b"}}), false);
  // Lines between the two say nothing: a page is sorted, or read otherwise.
  EXPECT_EQ(order_shown_by(
                std::vector<log_entry>{{100, "info", "a"}, {105, "info", "b"}, {100, "info", "c"}}),
            std::nullopt);
  EXPECT_EQ(order_shown_by(std::vector<log_entry>{{100, "info", "a"}, {100, "info", "b"}}),
            std::nullopt);
  EXPECT_EQ(order_shown_by(std::vector<log_entry>{{100, "info", "a"}}), std::nullopt);
  EXPECT_EQ(order_shown_by({}), std::nullopt);
}

TEST(result_order, the_bottom_page_tells_the_order_against_page_ones_second) {
  EXPECT_EQ(order_against(100, std::vector<log_entry>{{100, "info", "a"}, {99, "info", "b"}}),
            true);
  EXPECT_EQ(order_against(100, std::vector<log_entry>{{100, "info", "a"}, {101, "info", "b"}}),
            false);
  EXPECT_EQ(order_against(100, std::vector<log_entry>{{100, "info", "a"}, {100, "info", "b"}}),
            std::nullopt);
  EXPECT_EQ(order_against(100, {}), std::nullopt);
}

}  // namespace
}  // namespace qsanfwd::logs
