#include "agent/pipeline/durability_sync.hpp"

#include <gtest/gtest.h>

#include "agent/store/state_store.hpp"
#include "tests/agent/pipeline/helpers.hpp"
#include "tests/support/temp_dir.hpp"

namespace qsanfwd::pipeline {
namespace {

class durability_sync_test : public ::testing::Test {
 protected:
  durability_sync_test() : store_(state_store::open(dir_.path())), queue_(*store_) {}

  std::int64_t append_deferred(int n) {
    auto tx = store_->begin();
    queue_.append(test::numbered_event(n));
    tx.commit(sqlite::durability::deferred);
    return queue_.last_seq();
  }

  std::int64_t syncs() const { return store_->database().wal_syncs(); }

  test::temp_dir dir_;
  std::unique_ptr<state_store> store_;
  event_queue queue_;
};

TEST_F(durability_sync_test, one_sync_covers_every_event_counted_since_the_last) {
  durability_sync durable(store_->database());
  append_deferred(1);
  const auto last = append_deferred(2);
  const auto before = syncs();
  EXPECT_EQ(durable.sync_through(last), last);
  EXPECT_EQ(syncs(), before + 1);
}

TEST_F(durability_sync_test, nothing_new_counted_no_sync) {
  durability_sync durable(store_->database());
  const auto last = append_deferred(1);
  durable.sync_through(last);
  const auto before = syncs();
  EXPECT_EQ(durable.sync_through(last), last);
  EXPECT_EQ(durable.sync_through(last - 1), last);  // never moves back
  EXPECT_EQ(syncs(), before);
}

TEST_F(durability_sync_test, what_is_known_synced_is_not_synced_again) {
  durability_sync durable(store_->database());
  const auto last = append_deferred(1);
  durable.synced_through(last);
  const auto before = syncs();
  EXPECT_EQ(durable.sync_through(last), last);
  EXPECT_EQ(syncs(), before);
  const auto next = append_deferred(2);
  EXPECT_EQ(durable.sync_through(next), next);
  EXPECT_EQ(syncs(), before + 1);
}

}  // namespace
}  // namespace qsanfwd::pipeline
