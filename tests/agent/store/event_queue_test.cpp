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

}  // namespace
}  // namespace qsanfwd
