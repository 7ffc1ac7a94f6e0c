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
  line_dedup first;
  first.start_page(second_span{100, 100}, {});
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
  line_dedup second;
  second.start_page(second_span{100, 100}, kept.marks);
  EXPECT_FALSE(second.observe(100, login).fresh);
  EXPECT_FALSE(second.observe(100, login).fresh);
  const auto three = second.observe(100, login);
  EXPECT_TRUE(three.fresh);
  EXPECT_EQ(three.occurrence, 3);
  EXPECT_EQ(second.finish_page().marks, (std::vector<line_mark>{{100, login, 3}}));
}

TEST(line_dedup, seconds_between_the_edges_become_one_span_without_marks) {
  line_dedup d;
  d.start_page(second_span{100, 103}, {});
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
  line_dedup d;
  d.start_page(second_span{104, 105}, {});
  EXPECT_TRUE(d.observe(105, other_line).fresh);
  EXPECT_TRUE(d.observe(104, login).fresh);
  EXPECT_TRUE(d.observe(104, login).fresh);
  const auto page1 = d.finish_page();
  EXPECT_EQ(sorted(page1.marks), (std::vector<line_mark>{{104, login, 2}, {105, other_line, 1}}));
  d.start_page(second_span{103, 104}, page1.marks);
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
  d.start_page(second_span{100, 103}, {});
  EXPECT_TRUE(d.observe(103, login).fresh);
  EXPECT_FALSE(d.observe(102, login).fresh);
  EXPECT_FALSE(d.observe(101, other_line).fresh);
  EXPECT_TRUE(d.observe(100, login).fresh);
}

TEST(line_dedup, memory_stays_at_one_page_whatever_the_backlog) {
  line_dedup d;
  std::int64_t newest = 1'000'000;
  for (int page = 0; page < 200; ++page) {
    d.start_page(second_span{newest - 199, newest}, {});
    for (std::int64_t ts = newest; ts > newest - 200; --ts) {
      ASSERT_TRUE(d.observe(ts, login).fresh);
    }
    const auto kept = d.finish_page();
    EXPECT_LE(kept.marks.size(), 2U);
    EXPECT_LE(d.tracked(), 2U);
    newest -= 200;
  }
}

TEST(line_dedup, lines_between_the_edges_of_earlier_pages_are_not_new_again) {
  // A page that overlaps the cycle's earlier pages beyond what the page window accounts for
  // (a lying total, an array that ignores pageNumber): the seconds strictly between what was
  // read are known whole. The edge seconds count sightings, so a twin there is a new line:
  // a page served whole again is refused before it gets here (repeated_pages).
  line_dedup d;
  const auto serve = [&d] {
    int fresh = 0;
    for (const auto ts : {105, 104, 103, 103, 102, 101}) {
      fresh += d.observe(ts, login).fresh ? 1 : 0;
    }
    return fresh;
  };
  d.start_page(second_span{101, 105}, {});
  EXPECT_EQ(serve(), 6);
  const auto page1 = d.finish_page();
  d.start_page(second_span{101, 105}, page1.marks);
  EXPECT_EQ(serve(), 2) << "only the edges, 105 and 101, count again";
  d.finish_page();
}

TEST(line_dedup, seconds_after_the_horizon_are_never_read_whole) {
  // A line stamped in 2100 by an array whose clock says 1000: it comes back every cycle, and
  // the seconds up to it must stay open for the lines the array writes meanwhile.
  constexpr std::int64_t future = 4'102'444'800;
  line_dedup first;
  first.start_page(second_span{990, 995}, {}, 1000);
  EXPECT_TRUE(first.observe(future, login).fresh);
  EXPECT_TRUE(first.observe(995, login).fresh);
  EXPECT_TRUE(first.observe(990, login).fresh);
  const auto kept = first.finish_page();
  EXPECT_EQ(kept.interior, (second_span{991, 994})) << "no span reaches into the future";
  EXPECT_EQ(sorted(kept.marks),
            (std::vector<line_mark>{{990, login, 1}, {995, login, 1}, {future, login, 1}}));

  line_dedup next({*kept.interior});
  next.start_page(second_span{995, 1003}, kept.marks, 1010);
  EXPECT_FALSE(next.observe(future, login).fresh) << "its mark outlives the cycle";
  EXPECT_TRUE(next.observe(1003, login).fresh);
  EXPECT_TRUE(next.observe(999, other_line).fresh);
  EXPECT_FALSE(next.observe(995, login).fresh);
  EXPECT_EQ(next.finish_page().interior, (second_span{996, 1002}));
}

TEST(line_dedup, counts_hold_while_the_table_grows_and_shrinks) {
  // 3,000 lines over seconds 1000..1002, each message twice in its second, plus one message in
  // every second: the table grows from 16 slots through several doublings within the page, and
  // keeps the edge seconds' marks when it shrinks for the next page.
  line_dedup d;
  d.start_page(second_span{1000, 1002}, {});
  for (std::uint64_t line = 0; line < 1'000; ++line) {
    for (const std::int64_t ts : {1002, 1001, 1000}) {
      ASSERT_EQ(d.observe(ts, line).occurrence, 1) << ts << " " << line;
      ASSERT_EQ(d.observe(ts, line).occurrence, 2) << ts << " " << line;
    }
  }
  EXPECT_EQ(d.tracked(), 3'000U);
  const auto page1 = d.finish_page();
  EXPECT_EQ(page1.marks.size(), 2'000U) << "the edge seconds 1000 and 1002";
  EXPECT_EQ(page1.interior, (second_span{1001, 1001}));
  EXPECT_EQ(d.tracked(), 2'000U);

  // The next cycle starts from the store's 2,000 marks: every line read again is known.
  line_dedup next;
  next.start_page(second_span{1000, 1002}, page1.marks);
  for (std::uint64_t line = 0; line < 1'000; ++line) {
    for (const std::int64_t ts : {1002, 1000}) {
      ASSERT_FALSE(next.observe(ts, line).fresh) << ts << " " << line;
      ASSERT_FALSE(next.observe(ts, line).fresh) << ts << " " << line;
    }
  }
  const auto third = next.observe(1002, 7);
  EXPECT_TRUE(third.fresh);
  EXPECT_EQ(third.occurrence, 3);
  EXPECT_EQ(next.finish_page().marks, (std::vector<line_mark>{{1002, 7, 3}}));
}

}  // namespace
}  // namespace qsanfwd::logs
