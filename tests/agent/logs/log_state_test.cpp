#include "agent/logs/log_state.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "agent/core/time.hpp"
#include "agent/store/sql.hpp"
#include "agent/store/sqlite.hpp"
#include "tests/support/temp_dir.hpp"

namespace qsanfwd::logs {
namespace {

TEST(log_state, a_page_record_round_trips_and_its_span_drops_the_marks_inside) {
  test::temp_dir dir;
  auto store = state_store::open(dir.path());
  log_state s(*store, "a");
  s.record(1, page_record{{{100, 7, 1}, {101, 7, 2}, {105, 8, 1}}, std::nullopt});
  EXPECT_EQ(s.mark_count(), 3);
  // The same cycle reads further: 101 now lies inside its span; marks never count down.
  s.record(1, page_record{{{100, 7, 3}, {105, 8, 0}}, second_span{101, 104}});
  EXPECT_EQ(s.marks_between(0, 1000), (std::vector<line_mark>{{100, 7, 3}, {105, 8, 1}}));
  EXPECT_EQ(s.spans(), (std::vector<second_span>{{101, 104}}));
  // A span per cycle; the same cycle widens its own.
  s.record(1, page_record{{}, second_span{99, 104}});
  s.record(2, page_record{{}, second_span{200, 300}});
  EXPECT_EQ(s.spans(), (std::vector<second_span>{{99, 104}, {200, 300}}));
  log_state other(*store, "b");
  EXPECT_TRUE(other.spans().empty());
  EXPECT_TRUE(other.marks_between(0, 1000).empty());
}

TEST(log_state, a_crashed_cycle_leaves_enough_for_the_next_one_to_queue_nothing_twice) {
  test::temp_dir dir;
  auto store = state_store::open(dir.path());
  log_state s(*store, "a");
  // Cycle 1 reads one page of seconds 100..110 newest first, then the agent dies.
  {
    line_dedup d(s.spans());
    d.start_page(second_span{100, 110}, s.marks_between(100, 110));
    for (std::int64_t ts = 110; ts >= 100; --ts) {
      ASSERT_TRUE(d.observe(ts, 1).fresh);
    }
    s.record(1, d.finish_page());
  }
  // Cycle 2 reads the same lines plus one new line in second 110 and one in 111.
  line_dedup d(s.spans());
  d.start_page(second_span{100, 111}, s.marks_between(100, 111));
  EXPECT_TRUE(d.observe(111, 1).fresh);
  EXPECT_TRUE(d.observe(110, 2).fresh);
  for (std::int64_t ts = 110; ts >= 100; --ts) {
    EXPECT_FALSE(d.observe(ts, 1).fresh) << ts;
  }
}

TEST(log_state, checkpoint_round_trip_and_pruning) {
  test::temp_dir dir;
  {
    auto store = state_store::open(dir.path());
    log_state s(*store, "a");
    EXPECT_FALSE(s.load());
    s.save(
        {.start_time = 200, .floor = 5, .newest_first = true, .cycle = 9, .recorded_since = 150});
    s.record(8, page_record{{}, second_span{150, 197}});
    s.record(9, page_record{{{198, 1, 1}, {199, 1, 1}, {200, 1, 1}}, second_span{201, 205}});
    s.prune_before(199);
    EXPECT_EQ(s.mark_count(), 2);
    EXPECT_EQ(s.spans(), (std::vector<second_span>{{201, 205}}));
  }
  auto store = state_store::open(dir.path());
  log_state s(*store, "a");
  const auto cp = s.load();
  ASSERT_TRUE(cp);
  EXPECT_EQ(cp->start_time, 200);
  EXPECT_EQ(cp->floor, 5);
  EXPECT_EQ(cp->newest_first, true);
  EXPECT_EQ(cp->cycle, 9);
  EXPECT_EQ(cp->recorded_since, 150);
  s.save({.start_time = 201,
          .floor = 0,
          .newest_first = std::nullopt,
          .cycle = 10,
          .recorded_since = std::nullopt});
  EXPECT_EQ(s.load()->newest_first, std::nullopt);
  EXPECT_EQ(s.load()->recorded_since, std::nullopt);
}

TEST(log_state, marks_of_a_version_5_database_survive_the_migration) {
  test::temp_dir dir;
  std::filesystem::create_directories(dir.path());
  {
    sqlite::database db(dir / "state.db", sqlite::database::access::read_write);
    for (const auto& m : sql::migrations) {
      if (m.version <= 5) {
        db.exec(m.sql);
      }
    }
    db.exec("PRAGMA user_version = 5");
    db.exec(
        "INSERT INTO log_marks (device, timestamp, line_hash, queued, seen, cycle, fresh) "
        "VALUES ('a', 100, 7, 2, 2, 1, 0)");
  }
  auto store = state_store::open(dir.path());
  log_state s(*store, "a");
  EXPECT_EQ(s.marks_between(100, 100), (std::vector<line_mark>{{100, 7, 2}}));
}

TEST(log_state, line_hash_is_stable) {
  // Stored in databases: changing it would re-deliver every line in the re-read window.
  EXPECT_EQ(line_hash("info", "x"), 0xcb1d9ee596c84ae5ULL);
  EXPECT_NE(line_hash("info", "x"), line_hash("infox", ""));
}

TEST(log_state, reopening_seconds_read_whole_turns_the_recent_record_into_marks) {
  // Seconds 100..120 were read whole; the array's clock then went back to 110. From 110 on the
  // spans no longer hold, and the lines queued there are known again one by one.
  test::temp_dir dir;
  auto store = state_store::open(dir.path());
  log_state s(*store, "a");
  s.record(1, page_record{{{100, 7, 1}, {120, 7, 1}}, second_span{101, 119}});
  const std::vector<queued_line> page1{{100, 7}, {105, 8}, {110, 9}, {110, 9}};
  const std::vector<queued_line> page2{{115, 9}, {120, 7}};
  s.remember(page1);
  s.remember(page2);
  s.reopen(110, 120);
  EXPECT_EQ(s.spans(), (std::vector<second_span>{{101, 109}}));
  auto marks = s.marks_between(100, 130);
  std::sort(marks.begin(), marks.end(), [](const line_mark& a, const line_mark& b) {
    return std::tie(a.timestamp, a.hash) < std::tie(b.timestamp, b.hash);
  });
  EXPECT_EQ(marks, (std::vector<line_mark>{{100, 7, 1}, {110, 9, 2}, {115, 9, 1}, {120, 7, 1}}));
  EXPECT_EQ(s.marks_between(105, 105), (std::vector<line_mark>{})) << "105 was not reopened";

  // Rows written within the window stay, whatever their stamps (a jump of the array's clock
  // forward must not drop the lines read just before it).
  log_state k(*store, "k");
  k.remember(page1);
  k.forget_recent_before(116, unix_now() - 60);
  k.reopen(100, 130);
  EXPECT_EQ(k.marks_between(110, 110), (std::vector<line_mark>{{110, 9, 2}}));

  // The record of seconds before 116 forgotten: those seconds open again unmarked.
  log_state b(*store, "b");
  b.remember(page1);
  b.remember(page2);
  b.forget_recent_before(116, unix_now() + 1);
  b.reopen(100, 130);
  EXPECT_EQ(b.marks_between(100, 114), std::vector<line_mark>{});
  EXPECT_EQ(b.marks_between(115, 115), (std::vector<line_mark>{{115, 9, 1}}));
}

}  // namespace
}  // namespace qsanfwd::logs
