// Stop signals that arrive while no signal set listens (during start-up, between two
// generations across a reload) wait for the next one instead of ending the process.
#include <signal.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <chrono>
#include <gtest/gtest.h>
#include <semaphore>
#include <thread>

#include "agent/app/command_support.hpp"

namespace qsanfwd::app {
namespace {

using namespace std::chrono_literals;

/// The signal the next signal set on a fresh io_context takes once let in; 0 when none came.
int take_one_signal() {
  boost::asio::io_context io;
  boost::asio::signal_set signals(io, SIGINT, SIGTERM, SIGHUP);
  int taken = 0;
  signals.async_wait([&](const boost::system::error_code& ec, int signo) {
    if (!ec) {
      taken = signo;
    }
  });
  const stop_signals let_in(stop_signals::let_in);
  io.run_for(10s);
  return taken;
}

TEST(stop_signals, one_sent_to_the_process_before_any_set_listens_waits_for_the_first) {
  const stop_signals held(stop_signals::held);
  // Started while held, as the agent's store and delivery threads are: the kernel must not pick
  // it to take the signal (its default action would end the test program).
  std::binary_semaphore sent(0);
  std::jthread worker([&] { sent.acquire(); });
  const auto kill_result = ::kill(::getpid(), SIGTERM);
  sent.release();
  worker.join();
  ASSERT_EQ(kill_result, 0);
  EXPECT_EQ(take_one_signal(), SIGTERM);
}

TEST(stop_signals, one_sent_between_two_sets_waits_for_the_second) {
  const stop_signals held(stop_signals::held);
  ASSERT_EQ(::raise(SIGHUP), 0);
  EXPECT_EQ(take_one_signal(), SIGHUP);
  // The gap of a reload: the first set is gone, the next not made yet.
  ASSERT_EQ(::raise(SIGTERM), 0);
  EXPECT_EQ(take_one_signal(), SIGTERM);
}

}  // namespace
}  // namespace qsanfwd::app
