#include "agent/logs/line_dedup.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace qsanfwd::logs {
namespace {

constexpr std::uint64_t login = 11;
constexpr std::uint64_t other_line = 22;

std::vector<line_mark> sorted(std::vector<line_mark> marks) {
  std::sort(marks.begin(), marks.end(), [](const line_mark& a, const line_mark& b) {
    return std::tie(a.timestamp, a.hash) < std::tie(b.timestamp, b.hash);
  });
  return marks;
}

TEST(line_dedup, identical_lines_are_each_fresh_once_across_cycles) {
  line_dedup first({});
  first.start_page(100, 100, {});
  const auto one = first.observe(100, login);
  const auto two = first.observe(100, login);
  EXPECT_TRUE(one.fresh);
  EXPECT_EQ(one.occurrence, 1);
  EXPECT_TRUE(two.fresh);
  EXPECT_EQ(two.occurrence, 2);
  const auto kept = first.finish_page();
  ASSERT_EQ(kept.marks, (std::vector<line_mark>{{100, login, 2}}));
  EXPECT_FALSE(kept.interior);

  // The next cycle sees both again: nothing new. A third twin then is new, with occurrence 3.
  line_dedup second({});
  second.start_page(100, 100, kept.marks);
  EXPECT_FALSE(second.observe(100, login).fresh);
  EXPECT_FALSE(second.observe(100, login).fresh);
  const auto three = second.observe(100, login);
  EXPECT_TRUE(three.fresh);
  EXPECT_EQ(three.occurrence, 3);
  EXPECT_EQ(second.finish_page().marks, (std::vector<line_mark>{{100, login, 3}}));
}

TEST(line_dedup, seconds_between_the_edges_become_one_span_without_marks) {
  line_dedup d({});
  d.start_page(100, 103, {});
  for (const auto ts : {103, 102, 102, 101, 100}) {
    EXPECT_TRUE(d.observe(ts, login).fresh) << ts;
  }
  const auto kept = d.finish_page();
  EXPECT_EQ(kept.interior, (second_span{101, 102}));
  EXPECT_EQ(sorted(kept.marks), (std::vector<line_mark>{{100, login, 1}, {103, login, 1}}));
  EXPECT_EQ(d.tracked(), 2U) << "only the edge seconds are remembered";
}

TEST(line_dedup, a_second_split_across_pages_keeps_counting) {
  // Newest first: page 1 ends inside second 104, page 2 starts there.
  line_dedup d({});
  d.start_page(104, 105, {});
  EXPECT_TRUE(d.observe(105, other_line).fresh);
  EXPECT_TRUE(d.observe(104, login).fresh);
  EXPECT_TRUE(d.observe(104, login).fresh);
  const auto page1 = d.finish_page();
  EXPECT_EQ(sorted(page1.marks), (std::vector<line_mark>{{104, login, 2}, {105, other_line, 1}}));
  d.start_page(103, 104, page1.marks);
  const auto third = d.observe(104, login);
  EXPECT_TRUE(third.fresh);
  EXPECT_EQ(third.occurrence, 3);
  EXPECT_TRUE(d.observe(103, other_line).fresh);
  const auto page2 = d.finish_page();
  // 104 now lies between the cycle's edges (103 and 105): read whole.
  EXPECT_EQ(page2.interior, (second_span{104, 104}));
  EXPECT_EQ(page2.marks, (std::vector<line_mark>{{103, other_line, 1}}));
}

TEST(line_dedup, lines_in_an_earlier_cycles_span_are_not_new) {
  line_dedup d({{101, 102}});
  d.start_page(100, 103, {});
  EXPECT_TRUE(d.observe(103, login).fresh);
  EXPECT_FALSE(d.observe(102, login).fresh);
  EXPECT_FALSE(d.observe(101, other_line).fresh);
  EXPECT_TRUE(d.observe(100, login).fresh);
}

TEST(line_dedup, memory_stays_at_one_page_whatever_the_backlog) {
  line_dedup d({});
  std::int64_t newest = 1'000'000;
  for (int page = 0; page < 200; ++page) {
    d.start_page(newest - 199, newest, {});
    for (std::int64_t ts = newest; ts > newest - 200; --ts) {
      ASSERT_TRUE(d.observe(ts, login).fresh);
    }
    const auto kept = d.finish_page();
    EXPECT_LE(kept.marks.size(), 2U);
    EXPECT_LE(d.tracked(), 2U);
    newest -= 200;
  }
}

}  // namespace
}  // namespace qsanfwd::logs
