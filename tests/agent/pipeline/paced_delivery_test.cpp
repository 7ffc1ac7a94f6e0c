// A sink's rate_limit through the real dispatcher and state store: the rate holds, batches stay
// within the burst, and stop() and SIGHUP treat a wait for tokens as they treat any other wait.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "agent/pipeline/dispatcher.hpp"
#include "tests/agent/pipeline/helpers.hpp"
#include "tests/support/recording_sink.hpp"
#include "tests/support/temp_dir.hpp"

namespace qsanfwd::pipeline {
namespace {

using namespace std::chrono_literals;
using test::run_until;
using clock = std::chrono::steady_clock;

class paced_delivery : public ::testing::Test {
 protected:
  paced_delivery() : store_(state_store::open(dir_.path())), queue_(*store_) {}

  void append(int from, int to) {
    for (int i = from; i < to; ++i) {
      queue_.append(test::numbered_event(i));
    }
  }

  /// Starts a dispatcher with one recording sink paced at `pace`.
  test::recording_sink& start(const config::rate_limit& pace, event_filter filter = {}) {
    auto cfg = test::fast_sink_config("paced", dir_);
    cfg.batch.max_events = 1000;
    cfg.pace = pace;
    cfg.filter = std::move(filter);
    auto sink = std::make_unique<test::recording_sink>(cfg.name, io_.get_executor());
    auto& recorded = *sink;
    std::vector<route> routes;
    routes.push_back(route{std::move(cfg), std::move(sink)});
    dispatcher_ = std::make_unique<dispatcher>(io_.get_executor(), *store_, std::move(routes));
    dispatcher_->start();
    return recorded;
  }

  void stop() {
    bool stopped = false;
    boost::asio::co_spawn(io_, dispatcher_->stop(duration{10000}),
                          [&](std::exception_ptr) { stopped = true; });
    ASSERT_TRUE(run_until(
        io_, [&] { return stopped; }, 5s));
    dispatcher_.reset();
  }

  void TearDown() override {
    if (dispatcher_) {
      stop();
    }
  }

  test::temp_dir dir_;
  std::unique_ptr<state_store> store_;
  event_queue queue_;
  boost::asio::io_context io_;
  std::unique_ptr<dispatcher> dispatcher_;
};

TEST_F(paced_delivery, a_backlog_goes_out_no_faster_than_the_rate_in_batches_within_the_burst) {
  append(0, 300);
  const auto started = clock::now();
  auto& sink = start({500, 25});
  ASSERT_TRUE(run_until(io_, [&] { return sink.messages.size() >= 300; }));
  const auto took = clock::now() - started;
  // The bucket starts with 25 tokens; the other 275 events need 550 ms at 500/s on any machine.
  // The other bound is loose: a loaded machine may be slow, but not ten times slower.
  EXPECT_GE(took, 550ms);
  EXPECT_LT(took, 5500ms);
  ASSERT_EQ(sink.seqs.size(), 300u);
  EXPECT_EQ(sink.seqs.back(), queue_.last_seq());
  for (const auto size : sink.batch_sizes) {
    EXPECT_LE(size, 25u);
  }
  EXPECT_GE(sink.calls, 12);  // 300 / 25: not one batch of 1,000
}

TEST_F(paced_delivery, events_the_sink_passes_over_spend_no_tokens) {
  append(0, 300);
  event_filter tenth;  // "event 0", "event 10", ... "event 290"
  tenth.match.push_back(event_rule{});
  tenth.match.back().message = std::make_shared<const text_pattern>("^event [0-9]*0$");
  const auto started = clock::now();
  auto& sink = start({50, 10}, std::move(tenth));
  ASSERT_TRUE(run_until(io_, [&] { return sink.messages.size() >= 30; }));
  // 30 events at 50/s with 10 in the bucket: 0.4 s. Had the 270 passed over paid, 5.8 s.
  EXPECT_LT(clock::now() - started, 4s);
  EXPECT_EQ(sink.messages.size(), 30u);
  ASSERT_TRUE(run_until(io_, [&] { return queue_.cursors().at(0).filtered == 270; }));
}

TEST_F(paced_delivery, stop_ends_a_wait_for_tokens_at_once_and_leaves_the_rest_queued) {
  append(0, 10);
  auto& sink = start({0.01, 1});  // one event now, the next in 100 s
  ASSERT_TRUE(run_until(io_, [&] { return sink.messages.size() == 1; }));
  // SIGHUP reopens the sink but does not cut the pace short as it cuts a backoff.
  dispatcher_->reopen();
  run_until(
      io_, [] { return false; }, 200ms);
  EXPECT_EQ(sink.reopens, 1);
  EXPECT_EQ(sink.messages.size(), 1u);
  const auto stopping = clock::now();
  stop();
  EXPECT_LT(clock::now() - stopping, 5s);  // not the 100 s the bucket asked for
  EXPECT_EQ(queue_.span_after(queue_.cursors().at(0).seq).events, 9);
}

}  // namespace
}  // namespace qsanfwd::pipeline
