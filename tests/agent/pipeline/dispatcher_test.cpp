#include "agent/pipeline/dispatcher.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "agent/store/sqlite.hpp"
#include "sinks/file/file_sink.hpp"
#include "tests/agent/pipeline/helpers.hpp"
#include "tests/support/recording_sink.hpp"
#include "tests/support/temp_dir.hpp"

namespace qsanfwd::pipeline {
namespace {

using test::fast_sink_config;
using test::numbered_event;
using test::recording_sink;
using test::run_until;

class dispatcher_test : public ::testing::Test {
 protected:
  dispatcher_test() : store_(state_store::open(dir_.path())), queue_(*store_) {}

  void append(int from, int to) {
    for (int i = from; i < to; ++i) {
      queue_.append(numbered_event(i));
    }
  }

  /// A sink of `cfg` recording what it receives; the pointer stays valid in the dispatcher.
  recording_sink* add(config::sink_config cfg) {
    auto sink = std::make_unique<recording_sink>(cfg.name, io_.get_executor());
    auto* raw = sink.get();
    routes_.push_back(route{std::move(cfg), std::move(sink)});
    return raw;
  }

  dispatcher& start() {
    dispatcher_ = std::make_unique<dispatcher>(io_.get_executor(), *store_, std::move(routes_));
    dispatcher_->start();
    return *dispatcher_;
  }

  sink_status status_of(const std::string& name) {
    for (auto& s : dispatcher_->status()) {
      if (s.name == name) {
        return s;
      }
    }
    return {};
  }

  /// dispatcher::remove(), run to its end.
  std::vector<sink_status> remove(std::vector<std::string> names) {
    std::vector<sink_status> ended;
    bool done = false;
    boost::asio::co_spawn(io_, dispatcher_->remove(std::move(names), duration{100}),
                          [&](const std::exception_ptr&, std::vector<sink_status> s) {
                            ended = std::move(s);
                            done = true;
                          });
    EXPECT_TRUE(run_until(io_, [&] { return done; }));
    return ended;
  }

  /// A recording sink of `cfg` added to the running dispatcher.
  recording_sink* add_running(config::sink_config cfg) {
    auto sink = std::make_unique<recording_sink>(cfg.name, io_.get_executor());
    auto* raw = sink.get();
    dispatcher_->add(route{std::move(cfg), std::move(sink)});
    return raw;
  }

  void stop() {
    bool stopped = false;
    boost::asio::co_spawn(io_, dispatcher_->stop(duration{100}),
                          [&](std::exception_ptr) { stopped = true; });
    ASSERT_TRUE(run_until(io_, [&] { return stopped; }));
  }

  void TearDown() override {
    if (dispatcher_) {
      stop();
    }
  }

  static std::vector<std::string> messages(int from, int to) {
    std::vector<std::string> out;
    for (int i = from; i < to; ++i) {
      out.push_back("event " + std::to_string(i));
    }
    return out;
  }

  test::temp_dir dir_;
  std::unique_ptr<state_store> store_;
  event_queue queue_;
  boost::asio::io_context io_;
  std::vector<route> routes_;
  std::unique_ptr<dispatcher> dispatcher_;
};

TEST_F(dispatcher_test, a_sink_failing_n_times_receives_every_event_once_in_order) {
  append(0, 23);
  auto* sink = add(fast_sink_config("flaky", dir_));
  sink->fail_times(4);
  auto& d = start();
  ASSERT_TRUE(run_until(io_, [&] { return sink->messages.size() >= 23; }));
  append(23, 30);
  d.notify_appended();
  ASSERT_TRUE(run_until(io_, [&] { return sink->messages.size() >= 30; }));
  EXPECT_EQ(sink->messages, messages(0, 30));
  for (auto size : sink->batch_sizes) {
    EXPECT_LE(size, 5U);
  }
  const auto s = status_of("flaky");
  EXPECT_EQ(s.delivered, 30);
  EXPECT_EQ(s.retried, 4);
  EXPECT_FALSE(s.retrying);
  // Delivered by every sink: deleted promptly.
  ASSERT_TRUE(run_until(io_, [&] { return queue_.totals().events == 0; }));
  const auto cursors = queue_.cursors();
  ASSERT_EQ(cursors.size(), 1U);
  EXPECT_EQ(cursors[0].delivered, 30);
  EXPECT_EQ(cursors[0].retried, 4);
  EXPECT_EQ(cursors[0].seq, queue_.last_seq());
  // Recovered: `status` keeps why it failed, but no longer calls it failing.
  EXPECT_EQ(cursors[0].last_error, "failing on purpose");
  EXPECT_TRUE(cursors[0].last_error_at.has_value());
  EXPECT_FALSE(cursors[0].failing_since.has_value());
}

TEST_F(dispatcher_test, no_sink_is_offered_an_event_before_a_wal_sync_covers_it) {
  auto* sink = add(fast_sink_config("synced", dir_));
  std::vector<std::int64_t> syncs_at_offer;
  sink->on_offer = [&](std::span<const queued_event>) {
    syncs_at_offer.push_back(store_->database().wal_syncs());
  };
  auto& d = start();
  const auto syncs_at_append = store_->database().wal_syncs();
  append(0, 3);  // commits deferred: nothing synced yet
  ASSERT_EQ(store_->database().wal_syncs(), syncs_at_append);
  d.notify_appended();
  ASSERT_TRUE(run_until(io_, [&] { return sink->messages.size() == 3; }));
  ASSERT_FALSE(syncs_at_offer.empty());
  EXPECT_GT(syncs_at_offer.front(), syncs_at_append);
}

TEST_F(dispatcher_test, a_dead_sink_does_not_hold_back_a_healthy_one) {
  append(0, 10);
  auto* dead = add(fast_sink_config("dead", dir_));
  dead->dead = true;
  auto* healthy = add(fast_sink_config("healthy", dir_));
  auto& d = start();
  ASSERT_TRUE(run_until(io_, [&] { return healthy->messages.size() == 10; }));
  append(10, 17);
  d.notify_appended();
  ASSERT_TRUE(run_until(io_, [&] { return healthy->messages.size() == 17; }));
  EXPECT_EQ(healthy->messages, messages(0, 17));
  EXPECT_TRUE(dead->messages.empty());
  EXPECT_TRUE(run_until(io_, [&] { return dead->calls > 3; }));
  EXPECT_TRUE(status_of("dead").retrying);
  EXPECT_EQ(status_of("dead").last_error, "dead on purpose");
  // The dead sink still needs everything: nothing is deleted.
  EXPECT_EQ(queue_.totals().events, 17);
  // And once it comes back it gets all of it, in order.
  dead->dead = false;
  ASSERT_TRUE(run_until(io_, [&] { return dead->messages.size() == 17; }));
  EXPECT_EQ(dead->messages, messages(0, 17));
  EXPECT_TRUE(run_until(io_, [&] { return queue_.totals().events == 0; }));
}

TEST_F(dispatcher_test, rewind_offers_a_sink_again_what_another_still_holds_queued) {
  append(0, 12);
  auto* dead = add(fast_sink_config("dead", dir_));
  dead->dead = true;
  auto* archive = add(fast_sink_config("archive", dir_));
  auto& d = start();
  ASSERT_TRUE(run_until(io_, [&] { return archive->messages.size() == 12; }));
  EXPECT_FALSE(d.rewind("nosuch"));
  ASSERT_TRUE(d.rewind("archive"));  // while idle, waiting for events
  ASSERT_TRUE(run_until(io_, [&] { return archive->messages.size() == 24; }));
  auto twice = messages(0, 12);
  const auto again = messages(0, 12);
  twice.insert(twice.end(), again.begin(), again.end());
  EXPECT_EQ(archive->messages, twice);
  // The rewound cursor is persisted, and it moves on with the new deliveries.
  ASSERT_TRUE(run_until(io_, [&] {
    for (const auto& c : queue_.cursors()) {
      if (c.sink == "archive") {
        return c.seq == queue_.last_seq() && c.delivered == 24;
      }
    }
    return false;
  }));
  EXPECT_TRUE(dead->messages.empty());
}

TEST_F(dispatcher_test, a_rejected_batch_goes_to_the_dead_letter_file_and_the_cursor_moves_on) {
  append(0, 8);
  auto cfg = fast_sink_config("picky", dir_);
  const auto dead_letter = cfg.dead_letter_path;
  auto* sink = add(cfg);
  sink->script.push_back(sinks::delivery::rejected("400 Bad Request: mapping conflict"));
  start();
  ASSERT_TRUE(run_until(io_, [&] { return sink->messages.size() == 3; }));
  EXPECT_EQ(sink->messages, messages(5, 8));
  const auto text = test::read_file(dead_letter);
  std::istringstream lines(text);
  std::string line;
  int n = 0;
  while (std::getline(lines, line)) {
    const auto j = nlohmann::ordered_json::parse(line);
    EXPECT_EQ(j.at("sink"), "picky");
    EXPECT_EQ(j.at("reason"), "400 Bad Request: mapping conflict");
    EXPECT_TRUE(j.at("time").get<std::string>().ends_with("Z"));
    EXPECT_EQ(j.at("event").dump(), to_json(numbered_event(n)));
    ++n;
  }
  EXPECT_EQ(n, 5);
  const auto s = status_of("picky");
  EXPECT_EQ(s.rejected, 5);
  EXPECT_EQ(s.delivered, 3);
  EXPECT_EQ(queue_.cursors()[0].rejected, 5);
  EXPECT_EQ(queue_.cursors()[0].last_error, "5 event(s) rejected: 400 Bad Request: mapping conflict");
  EXPECT_FALSE(queue_.cursors()[0].failing_since.has_value());
}

TEST_F(dispatcher_test, per_event_answers_settle_up_to_the_first_retry) {
  append(0, 5);
  auto* sink = add(fast_sink_config("bulk", dir_));
  using sinks::outcome;
  sinks::delivery partial = sinks::delivery::delivered();
  partial.per_event = {outcome::delivered, outcome::rejected, outcome::retry, outcome::delivered,
                       outcome::delivered};
  sink->script.push_back(partial);
  start();
  ASSERT_TRUE(run_until(io_, [&] { return sink->batch_sizes.size() == 2; }));
  // Events after the first retry are sent again, whatever the sink said of them.
  EXPECT_EQ(sink->messages, (std::vector<std::string>{"event 0", "event 3", "event 4", "event 2",
                                                      "event 3", "event 4"}));
  EXPECT_EQ(sink->batch_sizes, (std::vector<std::size_t>{5, 3}));
  EXPECT_EQ(status_of("bulk").rejected, 1);
  EXPECT_EQ(status_of("bulk").retried, 1);
}

TEST_F(dispatcher_test, a_partial_batch_waits_for_max_delay_unless_it_fills) {
  auto cfg = fast_sink_config("patient", dir_);
  cfg.batch.max_delay = std::chrono::hours(1);
  auto* sink = add(cfg);
  auto& d = start();
  append(0, 3);
  d.notify_appended();
  io_.restart();
  io_.run_for(std::chrono::milliseconds(30));
  EXPECT_EQ(sink->calls, 0);
  append(3, 5);
  d.notify_appended();
  ASSERT_TRUE(run_until(io_, [&] { return sink->messages.size() == 5; }));
  EXPECT_EQ(sink->batch_sizes, std::vector<std::size_t>{5});
}

TEST_F(dispatcher_test, batches_respect_max_bytes_but_a_big_event_goes_alone) {
  auto big = numbered_event(0);
  big.message = std::string(3000, 'x');
  queue_.append(big);
  append(1, 5);
  auto cfg = fast_sink_config("small", dir_);
  cfg.batch.max_bytes = 2 * to_json(numbered_event(1)).size() + 10;
  auto* sink = add(cfg);
  start();
  ASSERT_TRUE(run_until(io_, [&] { return sink->messages.size() == 5; }));
  EXPECT_EQ(sink->batch_sizes, (std::vector<std::size_t>{1, 2, 2}));
}

TEST_F(dispatcher_test, when_full_block_pauses_collection_until_the_sink_catches_up) {
  auto cfg = fast_sink_config("slow", dir_);
  cfg.queue.max_bytes = 4 * to_json(numbered_event(0)).size();
  auto* sink = add(cfg);
  sink->dead = true;
  auto& d = start();
  EXPECT_TRUE(d.has_room());
  append(0, 4);
  d.notify_appended();
  EXPECT_FALSE(d.has_room());
  bool resumed = false;
  boost::asio::co_spawn(io_, d.wait_for_room(), [&](std::exception_ptr) { resumed = true; });
  EXPECT_TRUE(run_until(io_, [&] { return sink->calls > 2; }));
  EXPECT_FALSE(resumed);
  sink->dead = false;
  ASSERT_TRUE(run_until(io_, [&] { return resumed; }));
  EXPECT_TRUE(d.has_room());
  EXPECT_EQ(sink->messages, messages(0, 4));
  EXPECT_EQ(status_of("slow").dropped, 0);
}

TEST_F(dispatcher_test, when_full_drop_oldest_skips_the_oldest_counts_them_and_says_so) {
  auto cfg = fast_sink_config("lossy", dir_);
  const auto one = static_cast<std::int64_t>(to_json(numbered_event(10)).size());
  cfg.queue.max_bytes = static_cast<std::uint64_t>(5 * one);
  cfg.queue.on_full = config::when_full::drop_oldest;
  auto* sink = add(cfg);
  sink->dead = true;
  auto& d = start();
  append(10, 30);
  d.notify_appended();
  EXPECT_TRUE(d.has_room());  // drop_oldest never blocks collection
  const auto s = status_of("lossy");
  EXPECT_EQ(s.dropped, 15);
  EXPECT_LE(s.pending_bytes, 5 * one + 400);
  sink->dead = false;
  ASSERT_TRUE(run_until(io_, [&] { return queue_.totals().events == 0; }));
  // The newest five, then the agent event that reports the drop.
  ASSERT_EQ(sink->messages.size(), 6U);
  EXPECT_EQ(std::vector<std::string>(sink->messages.begin(), sink->messages.begin() + 5),
            messages(25, 30));
  EXPECT_NE(sink->messages[5].find("dropped its 15 oldest"), std::string::npos);
  EXPECT_EQ(queue_.cursors()[0].dropped, 15);
}

TEST_F(dispatcher_test, new_sinks_start_at_the_end_or_the_oldest_and_removed_cursors_go) {
  append(0, 5);
  queue_.ensure_cursor("removed", 0);
  auto end_cfg = fast_sink_config("at_end", dir_);
  end_cfg.start_at = config::sink_start::end;
  auto* at_end = add(end_cfg);
  auto* oldest = add(fast_sink_config("oldest", dir_));
  auto& d = start();
  std::vector<std::string> names;
  for (const auto& c : queue_.cursors()) {
    names.push_back(c.sink);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"at_end", "oldest"}));
  ASSERT_TRUE(run_until(io_, [&] { return oldest->messages.size() == 5; }));
  append(5, 7);
  d.notify_appended();
  ASSERT_TRUE(run_until(io_, [&] { return at_end->messages.size() == 2; }));
  EXPECT_EQ(at_end->messages, messages(5, 7));
  ASSERT_TRUE(run_until(io_, [&] { return oldest->messages.size() == 7; }));
}

TEST_F(dispatcher_test, a_reload_removes_one_lane_and_adds_another_while_a_third_runs_on) {
  append(0, 10);
  auto* kept = add(fast_sink_config("kept", dir_));
  auto* removed = add(fast_sink_config("removed", dir_));
  removed->dead = true;
  auto& d = start();
  ASSERT_TRUE(run_until(io_, [&] { return kept->messages.size() == 10; }));
  EXPECT_EQ(queue_.totals().events, 10);  // the dead sink holds them

  const auto ended = remove({"removed"});
  ASSERT_EQ(ended.size(), 1U);
  EXPECT_EQ(ended[0].name, "removed");
  d.forget("removed");
  EXPECT_EQ(queue_.totals().events, 0) << "what only the removed sink needed is gone";
  auto cfg = fast_sink_config("added", dir_);
  cfg.start_at = config::sink_start::end;
  auto* added = add_running(cfg);
  append(10, 15);
  d.notify_appended();
  ASSERT_TRUE(
      run_until(io_, [&] { return added->messages.size() == 5 && kept->messages.size() == 15; }));
  EXPECT_EQ(added->messages, messages(10, 15)) << "an added sink starts with new events";
  EXPECT_EQ(kept->messages, messages(0, 15)) << "the untouched lane ran on, nothing twice";
  EXPECT_EQ(status_of("kept").delivered, 15);
  std::vector<std::string> names;
  for (const auto& c : queue_.cursors()) {
    names.push_back(c.sink);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"added", "kept"}));
}

TEST_F(dispatcher_test, a_changed_sink_resumes_from_its_cursor_nothing_lost_or_doubled) {
  append(0, 5);
  auto* before = add(fast_sink_config("edited", dir_));
  auto& d = start();
  ASSERT_TRUE(run_until(io_, [&] { return before->messages.size() == 5; }));
  before->delay = std::chrono::hours(1);  // the next batch hangs: remove() cancels it
  append(5, 8);
  d.notify_appended();
  ASSERT_TRUE(run_until(io_, [&] { return before->calls == 2; }));
  const auto ended = remove({"edited"});
  ASSERT_EQ(ended.size(), 1U);
  EXPECT_EQ(ended[0].delivered, 5);
  EXPECT_EQ(queue_.totals().events, 3) << "the cancelled batch stays queued";
  append(8, 10);
  d.notify_appended();
  auto* after = add_running(fast_sink_config("edited", dir_));
  ASSERT_TRUE(run_until(io_, [&] { return after->messages.size() == 5; }));
  EXPECT_EQ(after->messages, messages(5, 10));
  EXPECT_EQ(status_of("edited").delivered, 10) << "the counters are the cursor's";
}

TEST_F(dispatcher_test, a_reload_hands_the_running_lanes_the_devices_new_fields) {
  auto* sink = add(fast_sink_config("kept", dir_));
  std::vector<field_list> seen;
  sink->on_offer = [&](std::span<const queued_event> batch) {
    for (const auto& e : batch) {
      seen.push_back(e.fields().fields);
    }
  };
  auto& d = start();
  d.set_device_fields({{"array-01", {{"site", "north"}}}});
  append(0, 1);
  d.notify_appended();
  ASSERT_TRUE(run_until(io_, [&] { return sink->messages.size() == 1; }));
  ASSERT_EQ(seen.size(), 1U);
  EXPECT_EQ(seen[0], (field_list{{"site", "north"}}));
}

TEST_F(dispatcher_test, stop_cancels_a_hanging_delivery_and_leaves_it_queued) {
  append(0, 3);
  auto* sink = add(fast_sink_config("hangs", dir_));
  sink->delay = std::chrono::hours(1);
  start();
  ASSERT_TRUE(run_until(io_, [&] { return sink->calls == 1; }));
  const auto began = std::chrono::steady_clock::now();
  stop();
  EXPECT_LT(std::chrono::steady_clock::now() - began, std::chrono::seconds(5));
  dispatcher_.reset();
  EXPECT_EQ(queue_.totals().events, 3);
  EXPECT_EQ(queue_.cursors()[0].seq, 0);
}

TEST_F(dispatcher_test, stop_lets_a_delivery_in_flight_finish) {
  append(0, 3);
  auto* sink = add(fast_sink_config("slowish", dir_));
  sink->delay = std::chrono::milliseconds(20);
  start();
  ASSERT_TRUE(run_until(io_, [&] { return sink->calls == 1; }));
  bool stopped = false;
  boost::asio::co_spawn(io_, dispatcher_->stop(std::chrono::seconds(5)),
                        [&](std::exception_ptr) { stopped = true; });
  ASSERT_TRUE(run_until(io_, [&] { return stopped; }));
  EXPECT_EQ(sink->messages, messages(0, 3));
  dispatcher_.reset();
  EXPECT_EQ(queue_.totals().events, 0);
}

TEST_F(dispatcher_test, a_failed_cursor_write_is_retried_within_seconds_not_the_sinks_backoff) {
  append(0, 1);
  auto cfg = fast_sink_config("archive", dir_);
  // The sink's own backoff would wait an hour: only the store's retry can pass this test.
  cfg.retry.initial = std::chrono::hours(1);
  cfg.retry.max = std::chrono::hours(1);
  auto* sink = add(cfg);
  // Another process holding the write lock makes recording the delivery fail at once (as a
  // full disk would), until it lets go.
  store_->database().set_busy_timeout(std::chrono::milliseconds(0));
  start();
  sqlite::database other(store_->file(), sqlite::database::access::read_write);
  other.exec("BEGIN IMMEDIATE");
  ASSERT_TRUE(run_until(
      io_, [&] { return status_of("archive").last_error.starts_with("recording delivery:"); }));
  EXPECT_TRUE(status_of("archive").retrying);
  EXPECT_EQ(status_of("archive").delivered, 0);
  other.exec("ROLLBACK");
  ASSERT_TRUE(run_until(
      io_, [&] { return status_of("archive").delivered == 1; }, std::chrono::seconds(8)));
  // Delivered once: only the cursor write was retried.
  EXPECT_EQ(sink->messages, messages(0, 1));
  EXPECT_FALSE(status_of("archive").retrying);
  EXPECT_EQ(queue_.cursors().at(0).seq, queue_.last_seq());
}

TEST_F(dispatcher_test, reopen_reaches_every_sink) {
  auto* a = add(fast_sink_config("a", dir_));
  auto* b = add(fast_sink_config("b", dir_));
  start().reopen();
  EXPECT_EQ(a->reopens, 1);
  EXPECT_EQ(b->reopens, 1);
}

TEST_F(dispatcher_test, a_file_sinks_seals_are_queued_and_reach_the_sink_that_matches_them) {
  sinks::file_options o;
  o.path = dir_ / "archive" / "audit.jsonl";
  o.hash_chain = true;
  o.seal_every_events = 5;
  o.seal_every = duration{0};
  event_rule seals;
  seals.types = {"archive_seal"};
  auto archive = fast_sink_config("archive", dir_);
  archive.filter.exclude = {seals};
  routes_.push_back(route{archive, std::make_unique<sinks::file_sink>("archive", o)});
  auto central = fast_sink_config("central", dir_);
  central.filter.match = {seals};
  auto* copy = add(central);
  append(0, 10);
  start();
  ASSERT_TRUE(run_until(io_, [&] { return copy->messages.size() == 2; }));
  EXPECT_TRUE(copy->messages[0].starts_with("Archive seal: chain_seq=5 chain="))
      << copy->messages[0];
  EXPECT_TRUE(copy->messages[1].starts_with("Archive seal: chain_seq=10 ")) << copy->messages[1];
  EXPECT_NE(copy->messages[1].find(" file=" + o.path.string()), std::string::npos);
  // Queued like any event: the archive passed over them, the copy delivered them.
  ASSERT_TRUE(run_until(io_, [&] { return status_of("archive").filtered == 2; }));
  EXPECT_EQ(status_of("archive").delivered, 10);
  EXPECT_EQ(status_of("central").delivered, 2);
}

}  // namespace
}  // namespace qsanfwd::pipeline
