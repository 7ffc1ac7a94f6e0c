#include "agent/store/event_queue.hpp"

#include <gtest/gtest.h>

#include "tests/support/temp_dir.hpp"

namespace qsanfwd {
namespace {

event make_event(const std::string& message) {
  event e;
  e.id = "id-" + message;
  e.device = "array-01";
  e.timestamp = 1795915304;
  e.type = "info";
  e.message = message;
  return e;
}

TEST(event_queue, appends_in_order_and_reads_after_a_cursor) {
  test::temp_dir dir;
  auto store = state_store::open(dir.path());
  event_queue q(*store);
  const auto a = q.append(make_event("a"));
  const auto b = q.append(make_event("b"));
  const auto c = q.append(make_event("c"));
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
  const auto after_a = q.read_after(a, 10);
  ASSERT_EQ(after_a.size(), 2U);
  EXPECT_EQ(event_from_json(after_a[0].body).message, "b");
  EXPECT_EQ(after_a[1].seq, c);
  EXPECT_EQ(q.read_after(0, 1).size(), 1U);
  const auto totals = q.totals();
  EXPECT_EQ(totals.events, 3);
  EXPECT_EQ(totals.bytes, static_cast<std::int64_t>(to_json(make_event("a")).size() * 3));
}

TEST(event_queue, append_joins_the_callers_transaction) {
  test::temp_dir dir;
  auto store = state_store::open(dir.path());
  event_queue q(*store);
  {
    auto tx = store->begin();
    q.append(make_event("rolled back"));
  }
  EXPECT_EQ(q.totals().events, 0);
  {
    auto tx = store->begin();
    q.append(make_event("kept"));
    tx.commit();
  }
  EXPECT_EQ(q.totals().events, 1);
}

TEST(event_queue, seq_is_never_reused_and_survives_reopen) {
  test::temp_dir dir;
  std::int64_t last = 0;
  {
    auto store = state_store::open(dir.path());
    event_queue q(*store);
    q.append(make_event("a"));
    last = q.append(make_event("b"));
    store->database().exec("DELETE FROM events");
  }
  auto store = state_store::open(dir.path());
  event_queue q(*store);
  EXPECT_EQ(q.last_seq(), last);
  EXPECT_GT(q.append(make_event("c")), last);
}

TEST(event_queue, read_batch_stops_at_max_bytes_but_always_takes_the_first_event) {
  test::temp_dir dir;
  auto store = state_store::open(dir.path());
  event_queue q(*store);
  for (const auto* m : {"a", "b", "c"}) {
    q.append(make_event(m));
  }
  const auto one = to_json(make_event("a")).size();
  EXPECT_EQ(q.read_batch(0, 10, 2 * one).size(), 2U);
  EXPECT_EQ(q.read_batch(0, 10, 1).size(), 1U);
  EXPECT_EQ(q.read_batch(0, 2, 100 * one).size(), 2U);
  const auto batch = q.read_batch(1, 10, 100 * one);
  ASSERT_EQ(batch.size(), 2U);
  EXPECT_EQ(batch[0].fields().message, "b");
  const auto span = q.span_after(1);
  EXPECT_EQ(span.events, 2);
  EXPECT_EQ(span.bytes, static_cast<std::int64_t>(2 * one));
  EXPECT_EQ(span.last_seq, 3);
  EXPECT_EQ(q.span_after(3).last_seq, 3);
  EXPECT_EQ(
      q.sizes_after(2, 10),
      (std::vector<std::pair<std::int64_t, std::int64_t>>{{3, static_cast<std::int64_t>(one)}}));
  EXPECT_EQ(q.delete_through(2), 2);
  EXPECT_EQ(q.totals().events, 1);
}

TEST(event_queue, sink_cursors_are_created_once_move_forward_only_and_count) {
  test::temp_dir dir;
  {
    auto store = state_store::open(dir.path());
    event_queue q(*store);
    EXPECT_EQ(q.ensure_cursor("archive", 5).seq, 5);
    EXPECT_EQ(q.ensure_cursor("archive", 0).seq, 5);  // exists already: unchanged
    q.ensure_cursor("siem", 0);
    q.advance_cursor("archive", 9, cursor_move{3, 2, 1, 0});
    q.advance_cursor("archive", 7, cursor_move{0, 0, 0, 4});
    q.drop_cursor("siem");
  }
  auto store = state_store::open(dir.path());
  event_queue q(*store);
  const auto cursors = q.cursors();
  ASSERT_EQ(cursors.size(), 1U);
  EXPECT_EQ(cursors[0].sink, "archive");
  EXPECT_EQ(cursors[0].seq, 9);
  EXPECT_EQ(cursors[0].delivered, 3);
  EXPECT_EQ(cursors[0].retried, 2);
  EXPECT_EQ(cursors[0].rejected, 1);
  EXPECT_EQ(cursors[0].dropped, 4);
}

}  // namespace
}  // namespace qsanfwd
