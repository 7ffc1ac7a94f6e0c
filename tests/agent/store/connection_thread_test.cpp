#include "agent/store/connection_thread.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/post.hpp>
#include <future>
#include <stdexcept>
#include <string>
#include <thread>

#include "tests/support/temp_dir.hpp"
#include "tests/support/wait.hpp"

namespace qsanfwd {
namespace {

namespace asio = boost::asio;

TEST(connection_thread, runs_what_is_posted_on_its_own_thread_and_connection_only_after_start) {
  test::temp_dir dir;
  auto store = state_store::open(dir.path());
  connection_thread thread(*store, state_store::checkpoints::early);
  EXPECT_NE(&thread.store(), store.get());
  std::promise<std::thread::id> ran_on;
  asio::post(thread.io(), [&] { ran_on.set_value(std::this_thread::get_id()); });
  auto result = ran_on.get_future();
  EXPECT_EQ(result.wait_for(std::chrono::seconds(0)), std::future_status::timeout);
  EXPECT_FALSE(thread.running());
  thread.start();
  EXPECT_NE(result.get(), std::this_thread::get_id());
  EXPECT_TRUE(thread.running());
}

TEST(connection_thread, finish_lets_the_work_handed_over_end_and_abandon_drops_it) {
  test::temp_dir dir;
  auto store = state_store::open(dir.path());
  int finished = 0;
  {
    connection_thread thread(*store, state_store::checkpoints::early);
    for (int i = 0; i < 100; ++i) {
      asio::post(thread.io(), [&] { ++finished; });
    }
    thread.start();
    thread.finish();
    EXPECT_FALSE(thread.running());
  }
  EXPECT_EQ(finished, 100);

  std::atomic<int> abandoned_ran = 0;
  connection_thread thread(*store, state_store::checkpoints::early);
  std::promise<void> started;
  std::promise<void> gate;
  asio::post(thread.io(), [&] {
    started.set_value();
    gate.get_future().wait();
  });
  asio::post(thread.io(), [&] { ++abandoned_ran; });
  thread.start();
  started.get_future().wait();
  std::thread abandoning([&] { thread.abandon(); });
  EXPECT_TRUE(test::wait_until([&] { return thread.io().stopped(); }));
  gate.set_value();
  abandoning.join();
  EXPECT_EQ(abandoned_ran, 0);
}

TEST(connection_thread, an_exception_escaping_the_loop_goes_to_the_handler_and_the_thread_ends) {
  test::temp_dir dir;
  auto store = state_store::open(dir.path());
  connection_thread thread(*store, state_store::checkpoints::early);
  std::promise<std::string> escaped;
  asio::post(thread.io(), [] { throw std::runtime_error("sink exploded"); });
  thread.start([&](std::exception_ptr e) {
    try {
      std::rethrow_exception(e);
    } catch (const std::runtime_error& error) {
      escaped.set_value(error.what());
    }
  });
  EXPECT_EQ(escaped.get_future().get(), "sink exploded");
  thread.finish();
  EXPECT_FALSE(thread.running());
}

}  // namespace
}  // namespace qsanfwd
