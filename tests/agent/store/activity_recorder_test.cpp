#include "agent/store/activity_recorder.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "agent/store/device_activity.hpp"
#include "tests/support/temp_dir.hpp"

namespace qsanfwd {
namespace {

/// One poll outcome, applied either through the recorder or written at once.
struct outcome {
  enum { success, failure, count } what;
  std::string device, activity;
  std::int64_t at = 0;
  std::string error;
  std::int64_t counted = 0;
};

outcome ok(std::string device, std::string activity, std::int64_t at) {
  return {outcome::success, std::move(device), std::move(activity), at, "", 0};
}
outcome failed(std::string device, std::string activity, std::int64_t at, std::string error) {
  return {outcome::failure, std::move(device), std::move(activity), at, std::move(error), 0};
}
outcome tally(std::string device, std::string activity, std::int64_t at, std::int64_t n) {
  return {outcome::count, std::move(device), std::move(activity), at, "bytes", n};
}

void write_at_once(state_store& store, const outcome& o) {
  switch (o.what) {
    case outcome::success:
      record_poll_success(store, o.device, o.activity, o.at);
      break;
    case outcome::failure:
      record_poll_failure(store, o.device, o.activity, o.at, o.error);
      break;
    case outcome::count:
      record_poll_count(store, o.device, o.activity, o.at, o.counted, o.error);
      break;
  }
}

void keep(activity_recorder& r, const outcome& o) {
  switch (o.what) {
    case outcome::success:
      r.success(o.device, o.activity, o.at);
      break;
    case outcome::failure:
      r.failure(o.device, o.activity, o.at, o.error);
      break;
    case outcome::count:
      r.count(o.device, o.activity, o.at, o.counted, o.error);
      break;
  }
}

void expect_same(const std::vector<device_activity>& a, const std::vector<device_activity>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    SCOPED_TRACE(a[i].device + "/" + a[i].activity);
    EXPECT_EQ(a[i].device, b[i].device);
    EXPECT_EQ(a[i].activity, b[i].activity);
    EXPECT_EQ(a[i].last_success_at, b[i].last_success_at);
    EXPECT_EQ(a[i].last_failure_at, b[i].last_failure_at);
    EXPECT_EQ(a[i].last_error, b[i].last_error);
    EXPECT_EQ(a[i].failures, b[i].failures);
  }
}

// The recorder keeps only what decides the stored rows: flushed in one transaction per
// flush, they must be what writing every outcome as it came would have left.
TEST(activity_recorder, a_flush_leaves_the_rows_that_writing_each_outcome_would) {
  const std::vector<std::vector<outcome>> seconds = {
      {failed("a", "logs", 10, "timeout"), failed("a", "logs", 11, "HTTP 503"), ok("a", "logs", 12),
       failed("a", "logs", 13, "refused"), ok("b", "health", 10), tally("a", "invalid_utf8", 12, 5),
       tally("a", "invalid_utf8", 13, 7)},
      {failed("a", "logs", 20, "refused"), failed("b", "health", 21, "HTTP 500"),
       failed("b", "health", 22, "HTTP 500"), tally("a", "invalid_utf8", 23, 1)},
      {ok("a", "logs", 30), ok("b", "health", 31)},
  };
  test::temp_dir batched_dir, direct_dir;
  auto batched = state_store::open(batched_dir.path());
  auto direct = state_store::open(direct_dir.path());
  activity_recorder recorder(*batched);
  for (const auto& second : seconds) {
    for (const auto& o : second) {
      keep(recorder, o);
      write_at_once(*direct, o);
    }
    recorder.flush();
    expect_same(load_device_activity(*batched), load_device_activity(*direct));
  }
  const auto rows = load_device_activity(*batched);
  ASSERT_EQ(rows.size(), 3U);
}

TEST(activity_recorder, nothing_pending_writes_nothing) {
  test::temp_dir dir;
  auto store = state_store::open(dir.path());
  activity_recorder recorder(*store);
  recorder.flush();
  EXPECT_TRUE(load_device_activity(*store).empty());
}

}  // namespace
}  // namespace qsanfwd
