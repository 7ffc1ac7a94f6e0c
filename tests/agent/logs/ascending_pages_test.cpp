#include "agent/logs/ascending_pages.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace qsanfwd::logs {
namespace {

constexpr auto no_horizon = std::numeric_limits<std::int64_t>::max();

device::log_entry line(std::int64_t t, const std::string& m = "m") {
  return {t, "info", m};
}

/// A listing of `stamps` (oldest first) as an honest array pages it.
device::log_page page_of(const std::vector<device::log_entry>& listing, bool newest_first, int page,
                         int size) {
  auto lines = listing;
  if (newest_first) {
    std::reverse(lines.begin(), lines.end());
  }
  device::log_page p;
  p.total = static_cast<std::int64_t>(lines.size());
  p.total_given = true;
  const auto from =
      std::min<std::size_t>(static_cast<std::size_t>((page - 1) * size), lines.size());
  const auto to = std::min<std::size_t>(from + static_cast<std::size_t>(size), lines.size());
  p.logs.assign(lines.begin() + static_cast<std::ptrdiff_t>(from),
                lines.begin() + static_cast<std::ptrdiff_t>(to));
  p.have_next_page = to < lines.size();
  return p;
}

std::vector<std::int64_t> stamps(std::span<const device::log_entry> lines) {
  std::vector<std::int64_t> out;
  for (const auto& l : lines) {
    out.push_back(l.timestamp);
  }
  return out;
}

std::vector<device::log_entry> listing_of(std::int64_t from, std::int64_t n) {
  std::vector<device::log_entry> out;
  for (std::int64_t t = from; t < from + n; ++t) {
    out.push_back(line(t));
  }
  return out;
}

TEST(ascending_pages, newest_first_reads_from_the_bottom_page_up_with_lines_arriving) {
  auto listing = listing_of(100, 7);
  ascending_pages r(true, 3);
  EXPECT_EQ(r.next_page(), 1);
  EXPECT_EQ(r.accept(1, page_of(listing, true, 1, 3), no_horizon).what,
            ascending_pages::verdict::ask_again);
  ASSERT_EQ(r.next_page(), 3);  // 7 lines: the oldest is alone on page 3
  auto got = r.accept(3, page_of(listing, true, 3, 3), no_horizon);
  ASSERT_EQ(got.what, ascending_pages::verdict::taken);
  EXPECT_EQ(stamps(got.fresh), (std::vector<std::int64_t>{100}));
  // Two lines arrive on top: position 2 (stamp 101) is now on page 3, not page 2.
  listing.push_back(line(107));
  listing.push_back(line(108));
  ASSERT_EQ(r.next_page(), 2);  // under the total it knows
  EXPECT_EQ(r.accept(2, page_of(listing, true, 2, 3), no_horizon).what,
            ascending_pages::verdict::ask_again);
  ASSERT_EQ(r.next_page(), 3);
  got = r.accept(3, page_of(listing, true, 3, 3), no_horizon);
  ASSERT_EQ(got.what, ascending_pages::verdict::taken);
  EXPECT_EQ(stamps(got.fresh), (std::vector<std::int64_t>{101, 102}));
  EXPECT_EQ(r.read(), 3);
}

TEST(ascending_pages, the_page_after_the_end_follows_the_last_page_whatever_the_total) {
  for (const std::int64_t total : {6, 7, 8, 9}) {
    const auto listing = listing_of(100, total);
    ascending_pages r(false, 3);
    std::int64_t read = 0;
    while (const auto page = r.next_page()) {
      const auto got = r.accept(*page, page_of(listing, false, *page, 3), no_horizon);
      ASSERT_EQ(got.what, ascending_pages::verdict::taken);
      read += static_cast<std::int64_t>(got.fresh.size());
    }
    EXPECT_EQ(read, total);
    EXPECT_EQ(r.page_after_end(), (total + 2) / 3 + 1) << total;
    EXPECT_FALSE(r.end_unconfirmed());
  }
}

TEST(ascending_pages, have_next_page_beyond_the_total_asks_for_the_page_after) {
  const auto listing = listing_of(100, 4);
  ascending_pages r(false, 3);
  auto p1 = page_of(listing, false, 1, 3);
  ASSERT_EQ(r.accept(1, p1, no_horizon).what, ascending_pages::verdict::taken);
  auto p2 = page_of(listing, false, 2, 3);
  p2.have_next_page = true;  // "more" of a page the total says is the last
  ASSERT_EQ(r.accept(2, p2, no_horizon).what, ascending_pages::verdict::taken);
  EXPECT_FALSE(r.next_page());
  EXPECT_TRUE(r.end_unconfirmed());
  EXPECT_EQ(r.page_after_end(), 3);
}

TEST(ascending_pages, a_page_holding_more_lines_than_the_total_leaves_is_untrustworthy) {
  const auto listing = listing_of(100, 5);
  ascending_pages r(false, 3);
  auto p1 = page_of(listing, false, 1, 3);
  p1.total = 2;  // a total lower than the lines it serves
  const auto got = r.accept(1, p1, no_horizon);
  EXPECT_EQ(got.what, ascending_pages::verdict::untrustworthy);
  EXPECT_NE(got.why.find("leaves 2"), std::string::npos) << got.why;
}

TEST(ascending_pages, a_total_that_falls_while_read_is_a_changed_log) {
  auto listing = listing_of(100, 8);
  ascending_pages r(false, 3);
  ASSERT_EQ(r.accept(1, page_of(listing, false, 1, 3), no_horizon).what,
            ascending_pages::verdict::taken);
  listing.erase(listing.begin());
  EXPECT_EQ(r.accept(2, page_of(listing, false, 2, 3), no_horizon).what,
            ascending_pages::verdict::log_changed);
}

TEST(ascending_pages, page_one_served_for_every_page_in_one_second_is_ambiguous) {
  std::vector<device::log_entry> listing(6, line(100));
  ascending_pages r(true, 2);
  ASSERT_EQ(r.accept(1, page_of(listing, true, 1, 2), no_horizon).what,
            ascending_pages::verdict::ask_again);
  // pageNumber ignored: the bottom page asked for is page 1 again.
  EXPECT_EQ(r.accept(3, page_of(listing, true, 1, 2), no_horizon).what,
            ascending_pages::verdict::ambiguous);
}

TEST(ascending_pages, page_one_moved_down_by_a_new_line_in_one_second_is_ambiguous) {
  std::vector<device::log_entry> listing{line(100, "a"), line(100, "b"), line(100, "c"),
                                         line(100, "d"), line(100, "e")};
  ascending_pages r(true, 2);
  ASSERT_EQ(r.accept(1, page_of(listing, true, 1, 2), no_horizon).what,
            ascending_pages::verdict::ask_again);
  listing.push_back(line(100, "f"));
  // pageNumber ignored while "f" arrived: page 3 is page 1 ("e d") moved down ("f e").
  auto p3 = page_of(listing, true, 1, 2);
  EXPECT_EQ(r.accept(3, p3, no_horizon).what, ascending_pages::verdict::ambiguous);
}

// CI's crash torture (live lines at 200 a second, pages of 200): page 1 all of one second, read
// again at the end of a backlog after lines arrived, was taken for page 1 served in place of
// another page; the cycle went by content, page by page, where twins at a boundary are one.
TEST(ascending_pages, page_one_read_again_in_one_second_after_lines_arrived_is_taken) {
  std::vector<device::log_entry> listing{line(98, "a"), line(99, "b"), line(100, "c"),
                                         line(100, "d")};
  ascending_pages r(true, 2);
  ASSERT_EQ(r.accept(1, page_of(listing, true, 1, 2), no_horizon).what,
            ascending_pages::verdict::ask_again);
  ASSERT_EQ(r.next_page(), 2);
  auto got = r.accept(2, page_of(listing, true, 2, 2), no_horizon);
  ASSERT_EQ(got.what, ascending_pages::verdict::taken) << got.why;
  listing.push_back(line(100, "e"));
  ASSERT_EQ(r.next_page(), 1);
  // Page 1 now holds "e d": the old page 1 ("d c") moved down by a line, as an honest array
  // pages it.
  got = r.accept(1, page_of(listing, true, 1, 2), no_horizon);
  ASSERT_EQ(got.what, ascending_pages::verdict::ask_again) << got.why;
  std::vector<std::int64_t> read;
  while (const auto page = r.next_page()) {
    got = r.accept(*page, page_of(listing, true, *page, 2), no_horizon);
    ASSERT_EQ(got.what, ascending_pages::verdict::taken) << got.why;
    for (const auto& l : got.fresh) {
      read.push_back(l.timestamp);
    }
  }
  EXPECT_EQ(read, (std::vector<std::int64_t>{100, 100, 100}));
}

TEST(ascending_pages, a_bottom_page_newer_than_page_one_is_untrustworthy) {
  auto listing = listing_of(100, 5);
  ascending_pages r(true, 2);
  ASSERT_EQ(r.accept(1, page_of(listing, true, 1, 2), no_horizon).what,
            ascending_pages::verdict::ask_again);
  listing.push_back(line(105));
  // pageNumber ignored: the page asked for as the bottom holds the newest lines.
  const auto got = r.accept(3, page_of(listing, true, 1, 2), no_horizon);
  EXPECT_EQ(got.what, ascending_pages::verdict::untrustworthy) << got.why;
}

TEST(ascending_pages, identical_genuine_lines_across_seconds_are_all_taken) {
  const std::vector<device::log_entry> listing{line(100), line(100), line(101),
                                               line(101), line(101), line(102)};
  ascending_pages r(true, 2);
  std::int64_t read = 0;
  while (const auto page = r.next_page()) {
    const auto got = r.accept(*page, page_of(listing, true, *page, 2), no_horizon);
    ASSERT_NE(got.what, ascending_pages::verdict::untrustworthy) << got.why;
    ASSERT_NE(got.what, ascending_pages::verdict::ambiguous) << got.why;
    read += static_cast<std::int64_t>(got.fresh.size());
  }
  EXPECT_EQ(read, 6);
}

TEST(ascending_pages, reading_fails_when_the_log_changed_or_no_headway_is_made) {
  ascending_pages::outcome changed{ascending_pages::verdict::log_changed, {}, "lines moved"};
  const auto why = why_reading_fails(changed, 0, 1, 10, 3, 2);
  ASSERT_TRUE(why);
  EXPECT_EQ(*why, "the array's log changed while being read (lines moved); reading again");

  const ascending_pages::outcome taken{};
  const ascending_pages::outcome moved{ascending_pages::verdict::ask_again, {}, {}};
  EXPECT_EQ(why_reading_fails(moved, 2, 3, 10, 3, 2), std::nullopt);
  EXPECT_TRUE(why_reading_fails(moved, 3, 3, 10, 3, 2));
  // 10 lines fill 4 pages of 3: twice that, and twice the patience of 2, is 12 requests.
  EXPECT_EQ(why_reading_fails(taken, 0, 12, 10, 3, 2), std::nullopt);
  const auto runaway = why_reading_fails(taken, 0, 13, 10, 3, 2);
  ASSERT_TRUE(runaway);
  EXPECT_NE(runaway->find("never cover its total of 10 lines"), std::string::npos);
}

}  // namespace
}  // namespace qsanfwd::logs
