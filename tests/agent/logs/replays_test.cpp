#include "agent/logs/replays.hpp"

#include <gtest/gtest.h>

#include "agent/logs/log_state.hpp"
#include "tests/support/temp_dir.hpp"

namespace qsanfwd::logs {
namespace {

TEST(replay_book, keeps_progress_with_the_pages_and_forgets_the_position_when_done) {
  test::temp_dir dir;
  auto store = state_store::open(dir.path());
  replay_book book(*store);
  const auto r = book.add("array-01", "archive", 1000, 2000, 5000);
  const auto other = book.add("array-02", "siem", 10, 20, 5001);
  EXPECT_NE(r.id, other.id);
  EXPECT_EQ(r.state_key(), "array-01/replay-" + std::to_string(r.id));
  log_state position(*store, r.state_key());
  position.save(checkpoint{1500, 1000, true, 3, std::nullopt});
  position.record(3, page_record{{{1500, 7, 1}}, second_span{1000, 1499}});
  {
    auto tx = store->begin();
    replay_book::count_page(*store, r.id, 400, 1500);
    tx.commit();
  }
  {
    auto tx = store->begin();  // rolled back: a kill before the page's commit counts nothing
    replay_book::count_page(*store, r.id, 999, 1900);
  }
  book.note_error(r.id, "HTTP 503");
  auto running = book.running();
  ASSERT_EQ(running.size(), 2u);
  EXPECT_EQ(running[0].queued, 400);
  EXPECT_EQ(running[0].reached, 1500);
  EXPECT_EQ(running[0].last_error, "HTTP 503");
  EXPECT_EQ(running[0].from, 1000);
  EXPECT_EQ(running[0].to, 2000);

  book.finish(running[0], 6000);
  book.finish(running[1], 6001, "sink \"siem\" is no longer in the configuration");
  EXPECT_TRUE(book.running().empty());
  const auto all = book.all();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].state, "done");
  EXPECT_EQ(all[0].last_error, "") << "a replay that ended well has no error";
  EXPECT_EQ(all[0].finished_at, 6000);
  EXPECT_EQ(all[1].state, "failed");
  EXPECT_FALSE(position.load().has_value()) << "its reading position is forgotten";
  EXPECT_EQ(position.mark_count(), 0);
  EXPECT_TRUE(position.spans().empty());
}

}  // namespace
}  // namespace qsanfwd::logs
