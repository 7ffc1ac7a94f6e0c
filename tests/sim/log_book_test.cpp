#include "sim/log_book.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace qsanfwd::sim {
namespace {

nlohmann::json page(const log_book& book, const log_query& q, const log_order& order) {
  std::string out;
  book.render_page(out, q, order);
  return nlohmann::json::parse(out);
}

TEST(log_book, late_line_is_placed_in_time_but_ledger_keeps_insertion_order) {
  log_book book(1, 0);
  book.add(100, log_type::info, "first");
  book.add(102, log_type::info, "third");
  book.add(101, log_type::error, "late");
  const auto ledger = book.ledger();
  ASSERT_EQ(ledger.size(), 3U);
  EXPECT_EQ(ledger[2], (log_line{101, "error", "late"}));
  const auto p = page(book, {}, {false, true, false});
  EXPECT_EQ(p["logs"][1]["message"], "late");
  EXPECT_EQ(p["total"], 3);
}

TEST(log_book, generated_lines_span_the_range_in_order) {
  log_book book(7, 0);
  book.generate(1000, 1000, 1199);
  const auto ledger = book.ledger();
  ASSERT_EQ(ledger.size(), 1000U);
  EXPECT_EQ(ledger.front().timestamp, 1000);
  EXPECT_EQ(ledger.back().timestamp, 1199);
  for (std::size_t i = 1; i < ledger.size(); ++i) {
    ASSERT_LE(ledger[i - 1].timestamp, ledger[i].timestamp);
  }
}

TEST(log_book, type_filter_pages_over_matching_lines_only) {
  log_book book(1, 0);
  for (int i = 0; i < 10; ++i) {
    book.add(100 + i, i % 2 == 0 ? log_type::error : log_type::access, "line " + std::to_string(i));
  }
  log_query q;
  q.type_mask = 1U << static_cast<unsigned>(log_type::error);
  q.page_size = 2;
  q.page_number = 2;
  const auto p = page(book, q, {true, true, false});
  EXPECT_EQ(p["total"], 5);
  ASSERT_EQ(p["logs"].size(), 2U);
  EXPECT_EQ(p["logs"][0]["message"], "line 4");
  EXPECT_EQ(p["logs"][1]["message"], "line 2");
  EXPECT_TRUE(p["haveNextPage"]);
}

}  // namespace
}  // namespace qsanfwd::sim
