#include "agent/store/write_thread.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/run_coroutine.hpp"
#include "tests/support/temp_dir.hpp"

namespace qsanfwd {
namespace {

namespace asio = boost::asio;

event numbered(int n) {
  return make_agent_event("array-01", "127.0.0.1", "test", severity::info, std::to_string(n));
}

std::vector<std::string> messages(event_queue& queue) {
  std::vector<std::string> out;
  for (const auto& e : queue.read_after(0, 100)) {
    out.push_back(e.fields().message);
  }
  return out;
}

TEST(write_thread, work_runs_on_its_thread_and_connection_and_the_caller_resumes_on_its_loop) {
  test::temp_dir dir;
  auto store = state_store::open(dir.path());
  write_thread writer(*store);
  asio::io_context io;
  const auto caller = std::this_thread::get_id();
  std::thread::id worker;
  const state_store* used = nullptr;
  const auto resumed_on = test::run(io, [&]() -> asio::awaitable<std::thread::id> {
    co_await writer.run([&](state_store& s, event_queue& q) {
      worker = std::this_thread::get_id();
      used = &s;
      return q.append(numbered(1));
    });
    co_return std::this_thread::get_id();
  }());
  EXPECT_NE(worker, caller);
  EXPECT_EQ(resumed_on, caller);
  EXPECT_NE(used, store.get());
  event_queue queue(*store);
  EXPECT_EQ(messages(queue), std::vector<std::string>{"1"});
}

TEST(write_thread, what_the_work_throws_reaches_the_caller) {
  test::temp_dir dir;
  auto store = state_store::open(dir.path());
  write_thread writer(*store);
  asio::io_context io;
  EXPECT_THROW(test::run(io, [&]() -> asio::awaitable<int> {
                 co_return co_await writer.run([](state_store&, event_queue&) -> int {
                   throw std::runtime_error("no room");
                 });
               }()),
               std::runtime_error);
}

TEST(write_thread, work_runs_in_the_order_handed_over) {
  test::temp_dir dir;
  auto store = state_store::open(dir.path());
  write_thread writer(*store);
  asio::io_context io;
  int done = 0;
  for (int i = 0; i < 5; ++i) {
    asio::co_spawn(
        io,
        [&, i]() -> asio::awaitable<void> {
          co_await writer.run([i](state_store&, event_queue& q) { q.append(numbered(i)); });
          ++done;
        },
        asio::detached);
  }
  io.run();
  EXPECT_EQ(done, 5);
  event_queue queue(*store);
  EXPECT_EQ(messages(queue), (std::vector<std::string>{"0", "1", "2", "3", "4"}));
}

TEST(write_thread, work_handed_over_is_done_before_the_thread_ends) {
  test::temp_dir dir;
  auto store = state_store::open(dir.path());
  asio::io_context io;
  {
    write_thread writer(*store);
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          co_await writer.run([](state_store&, event_queue& q) { q.append(numbered(7)); });
        },
        asio::detached);
    io.poll();  // hands the work over; its completion is never run
  }
  event_queue queue(*store);
  EXPECT_EQ(messages(queue), std::vector<std::string>{"7"});
}

}  // namespace
}  // namespace qsanfwd
