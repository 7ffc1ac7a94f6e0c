#include "agent/pipeline/delivery_thread.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include "tests/agent/pipeline/helpers.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/wait.hpp"

namespace qsanfwd::pipeline {
namespace {

using test::fast_sink_config;
using test::numbered_event;
using test::run_until;

/// A sink the delivery thread calls while the test's thread flips `dead`: answers retry while
/// dead, otherwise records the seqs it delivered and the threads it was called on. Read the
/// records only after the delivery thread has been joined. While held, a delivery blocks the
/// delivery thread itself, as a write to a stalled disk would.
class threaded_sink : public sinks::sink {
 public:
  boost::asio::awaitable<sinks::delivery> deliver(std::span<const queued_event> batch) override {
    {
      std::unique_lock lock(hold_mutex_);
      blocked = held_;
      released_.wait(lock, [this] { return !held_; });
      blocked = false;
    }
    threads.insert(std::this_thread::get_id());
    ++calls;
    if (dead) {
      co_return sinks::delivery::retry("dead on purpose");
    }
    for (const auto& e : batch) {
      seqs.push_back(e.seq);
    }
    co_return sinks::delivery::delivered();
  }
  std::string_view name() const override { return "threaded"; }

  void hold() {
    const std::lock_guard lock(hold_mutex_);
    held_ = true;
  }
  void release() {
    {
      const std::lock_guard lock(hold_mutex_);
      held_ = false;
    }
    released_.notify_all();
  }

  std::atomic<bool> blocked{false};  ///< a delivery is waiting for release()
  std::atomic<bool> dead{false};
  std::atomic<int> calls{0};
  std::vector<std::int64_t> seqs;
  std::set<std::thread::id> threads;

 private:
  std::mutex hold_mutex_;
  std::condition_variable released_;
  bool held_ = false;
};

class delivery_thread_test : public ::testing::Test {
 protected:
  delivery_thread_test() : store_(state_store::open(dir_.path())), queue_(*store_) {}

  /// A delivery thread with one threaded_sink of `cfg`.
  std::unique_ptr<delivery_thread> make(config::sink_config cfg) {
    return std::make_unique<delivery_thread>(
        io_.get_executor(), *store_, [&](const boost::asio::any_io_executor&) {
          std::vector<route> routes;
          auto s = std::make_unique<threaded_sink>();
          sink_ = s.get();
          routes.push_back(route{std::move(cfg), std::move(s)});
          return routes;
        });
  }

  void append_page(int from, int to) {
    auto tx = store_->begin();
    for (int i = from; i < to; ++i) {
      queue_.append(numbered_event(i));
    }
    tx.commit();
  }

  std::int64_t delivered(delivery_thread& d) {
    const auto s = d.status();
    return s.empty() ? -1 : s.front().delivered;
  }

  void stop(delivery_thread& d) {
    bool stopped = false;
    boost::asio::co_spawn(io_, d.stop(duration{100}), [&](std::exception_ptr) { stopped = true; });
    ASSERT_TRUE(run_until(io_, [&] { return stopped; }));
  }

  test::temp_dir dir_;
  std::unique_ptr<state_store> store_;
  event_queue queue_;
  boost::asio::io_context io_;
  threaded_sink* sink_ = nullptr;
};

TEST_F(delivery_thread_test, delivers_on_its_own_thread_what_the_agent_thread_appends) {
  auto cfg = fast_sink_config("threaded", dir_);
  cfg.batch.max_events = 50;
  auto d = make(cfg);
  d->start();
  // Pages appended while the delivery thread reads and deletes: the two connections meet.
  for (int page = 0; page < 20; ++page) {
    append_page(page * 100, page * 100 + 100);
    d->notify_appended();
  }
  ASSERT_TRUE(run_until(io_, [&] { return delivered(*d) == 2000; }));
  stop(*d);
  std::vector<std::int64_t> expected;
  for (std::int64_t seq = 1; seq <= 2000; ++seq) {
    expected.push_back(seq);
  }
  EXPECT_EQ(sink_->seqs, expected);
  ASSERT_EQ(sink_->threads.size(), 1U);
  EXPECT_NE(*sink_->threads.begin(), std::this_thread::get_id());
  // What the delivery thread committed is what the agent's connection sees.
  EXPECT_EQ(queue_.totals().events, 0);
  ASSERT_EQ(queue_.cursors().size(), 1U);
  EXPECT_EQ(queue_.cursors()[0].seq, 2000);
  EXPECT_EQ(queue_.cursors()[0].delivered, 2000);
}

TEST_F(delivery_thread_test, collection_waits_for_room_while_a_blocking_sink_is_full) {
  auto cfg = fast_sink_config("threaded", dir_);
  cfg.queue.max_bytes = 4 * to_json(numbered_event(0)).size();
  auto d = make(cfg);
  sink_->dead = true;
  d->start();
  append_page(0, 4);
  d->notify_appended();
  // The notification, run on the delivery thread, counts the full queue.
  EXPECT_TRUE(test::wait_until([&] {
    return d->status().front().pending_bytes == static_cast<std::int64_t>(cfg.queue.max_bytes);
  }));
  bool resumed = false;
  boost::asio::co_spawn(io_, d->wait_for_room(), [&](std::exception_ptr) { resumed = true; });
  EXPECT_TRUE(run_until(io_, [&] { return sink_->calls > 2; }));
  EXPECT_FALSE(resumed);
  sink_->dead = false;
  ASSERT_TRUE(run_until(io_, [&] { return resumed; }));
  EXPECT_TRUE(run_until(io_, [&] { return delivered(*d) == 4; }));
  stop(*d);
}

TEST_F(delivery_thread_test, status_answers_while_a_sink_blocks_the_delivery_thread) {
  auto d = make(fast_sink_config("threaded", dir_));
  d->start();
  append_page(0, 5);
  d->notify_appended();
  ASSERT_TRUE(run_until(io_, [&] { return delivered(*d) == 5; }));
  sink_->hold();
  append_page(5, 10);
  d->notify_appended();
  ASSERT_TRUE(test::wait_until([&] { return sink_->blocked.load(); }));
  // Waiting for the delivery thread would never end here: the test releases it only after.
  const auto asked = std::chrono::steady_clock::now();
  EXPECT_EQ(delivered(*d), 5) << "the status the delivery thread took last";
  EXPECT_LT(std::chrono::steady_clock::now() - asked, std::chrono::seconds(5));
  sink_->release();
  ASSERT_TRUE(run_until(io_, [&] { return delivered(*d) == 10; }));
  stop(*d);
}

TEST_F(delivery_thread_test, what_was_not_delivered_by_stop_stays_queued_for_the_next_run) {
  auto cfg = fast_sink_config("threaded", dir_);
  {
    auto d = make(cfg);
    sink_->dead = true;
    d->start();
    append_page(0, 10);
    d->notify_appended();
    ASSERT_TRUE(run_until(io_, [&] { return sink_->calls > 1; }));
    stop(*d);
  }
  EXPECT_EQ(queue_.totals().events, 10);
  auto d = make(cfg);
  d->start();
  ASSERT_TRUE(run_until(io_, [&] { return delivered(*d) == 10; }));
  stop(*d);
  EXPECT_EQ(sink_->seqs.size(), 10U);
  EXPECT_EQ(queue_.totals().events, 0);
}

TEST(state_store_connections, write_transactions_of_two_threads_take_turns_without_busy) {
  test::temp_dir dir;
  auto store = state_store::open(dir.path());
  auto other = store->another_connection();
  EXPECT_FALSE(other->read_only());
  // No busy waiting at all: without the shared gate, BEGIN IMMEDIATE would fail with BUSY.
  store->database().set_busy_timeout(std::chrono::milliseconds(0));
  other->database().set_busy_timeout(std::chrono::milliseconds(0));
  const auto writer = [](state_store& s, int base, std::string& failure) {
    event_queue q(s);
    try {
      for (int i = 0; i < 200; ++i) {
        auto tx = s.begin();
        q.append(numbered_event(base + i));
        q.append(numbered_event(base + i + 1000));
        tx.commit();
      }
    } catch (const std::exception& e) {
      failure = e.what();
    }
  };
  std::string failed_here;
  std::string failed_there;
  std::thread there([&] { writer(*other, 5000, failed_there); });
  writer(*store, 0, failed_here);
  there.join();
  EXPECT_EQ(failed_here, "");
  EXPECT_EQ(failed_there, "");
  event_queue q(*store);
  EXPECT_EQ(q.totals().events, 800);
}

}  // namespace
}  // namespace qsanfwd::pipeline
