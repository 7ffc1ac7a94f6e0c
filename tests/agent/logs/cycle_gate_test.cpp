#include "agent/logs/cycle_gate.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <vector>

namespace qsanfwd::logs {
namespace {
namespace asio = boost::asio;

struct gate_record {
  int inside = 0;
  int most_inside = 0;
  std::vector<int> entered;  ///< who entered, in order
};

// Holds a slot over a few turns of the loop, as a cycle holds one over its pages.
asio::awaitable<void> cycle_through(cycle_gate& gate, gate_record& r, int who, int turns = 3) {
  const auto ex = co_await asio::this_coro::executor;
  const auto slot = co_await gate.enter();
  r.entered.push_back(who);
  r.most_inside = std::max(r.most_inside, ++r.inside);
  for (int turn = 0; turn < turns; ++turn) {
    co_await asio::post(ex, asio::use_awaitable);
  }
  --r.inside;
}

// Runs `io`'s handlers one by one until `done` says so (a bounded number of them).
template <typename Done>
void run_until(asio::io_context& io, Done done) {
  for (int i = 0; i < 100 && !done(); ++i) {
    io.run_one();
  }
  ASSERT_TRUE(done());
}

TEST(cycle_gate, lets_at_most_its_slots_in_at_once_first_come_first_served) {
  asio::io_context io;
  cycle_gate gate(2);
  gate_record r;
  for (int who = 0; who < 6; ++who) {
    asio::co_spawn(io, cycle_through(gate, r, who), asio::detached);
  }
  io.run();
  EXPECT_EQ(r.most_inside, 2);
  EXPECT_EQ(r.entered, (std::vector<int>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(gate.held(), 0U);
  EXPECT_EQ(gate.waiting(), 0U);
}

TEST(cycle_gate, a_cycle_alone_never_waits_and_a_slot_goes_back_when_its_pass_goes) {
  asio::io_context io;
  cycle_gate gate(1);
  gate_record r;
  asio::co_spawn(io, cycle_through(gate, r, 0, 20), asio::detached);
  run_until(io, [&] { return r.entered.size() == 1; });
  EXPECT_EQ(gate.held(), 1U);
  asio::co_spawn(io, cycle_through(gate, r, 1), asio::detached);
  run_until(io, [&] { return gate.waiting() == 1; });
  io.run();
  EXPECT_EQ(r.entered, (std::vector<int>{0, 1}));
  EXPECT_EQ(gate.held(), 0U);
}

TEST(cycle_gate, a_wait_destroyed_in_line_leaves_it) {
  cycle_gate gate(1);
  gate_record r;
  asio::io_context holding;
  asio::co_spawn(holding, cycle_through(gate, r, 0, 20), asio::detached);
  run_until(holding, [&] { return gate.held() == 1; });
  {
    asio::io_context stopped;
    asio::co_spawn(stopped, cycle_through(gate, r, 1), asio::detached);
    run_until(stopped, [&] { return gate.waiting() == 1; });
  }  // its frame destroyed with its loop, as at a stop
  EXPECT_EQ(gate.waiting(), 0U);
  holding.run();
  EXPECT_EQ(gate.held(), 0U);
  EXPECT_EQ(r.entered, std::vector<int>{0});
}

}  // namespace
}  // namespace qsanfwd::logs
