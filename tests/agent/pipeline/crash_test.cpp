// SIGKILL in the middle of delivery, then a restart: nothing is lost, and the batch in flight
// at the kill, sent again, is not written twice.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "agent/pipeline/dispatcher.hpp"
#include "sinks/file/file_sink.hpp"
#include "sinks/file/hash_chain.hpp"
#include "tests/agent/pipeline/helpers.hpp"

namespace qsanfwd::pipeline {
namespace {

constexpr int total_events = 300;
constexpr std::size_t batch_size = 10;

/// The file sink, slowed down after each write, so that a kill most likely lands between a
/// batch written and its delivery recorded.
class slow_file_sink : public sinks::sink {
 public:
  slow_file_sink(boost::asio::any_io_executor ex, sinks::file_options o)
      : ex_(std::move(ex)), inner_("archive", std::move(o)) {}

  boost::asio::awaitable<sinks::delivery> deliver(std::span<const queued_event> batch) override {
    auto d = co_await inner_.deliver(batch);
    boost::asio::steady_timer t(ex_, std::chrono::milliseconds(3));
    co_await t.async_wait(boost::asio::use_awaitable);
    co_return d;
  }
  std::string_view name() const override { return inner_.name(); }

 private:
  boost::asio::any_io_executor ex_;
  sinks::file_sink inner_;
};

config::sink_config archive_config(const test::temp_dir& dir) {
  auto c = test::fast_sink_config("archive", dir);
  c.batch.max_events = batch_size;
  return c;
}

sinks::file_options archive_options(const test::temp_dir& dir) {
  sinks::file_options o;
  o.path = dir / "out" / "archive.jsonl";
  o.hash_chain = true;
  return o;
}

std::vector<std::string> archived_messages(const std::filesystem::path& file) {
  std::vector<std::string> out;
  if (!std::filesystem::exists(file)) {
    return out;
  }
  sinks::for_each_line(file, [&out](std::string_view line) {
    // A line being written by the child as this reads may be incomplete: skipped.
    try {
      out.push_back(event_from_json(sinks::unchained(line)).message);
    } catch (const std::exception&) {
    }
    return true;
  });
  return out;
}

// The child: delivers the queue slowly until it is killed.
[[noreturn]] void deliver_until_killed(const test::temp_dir& dir) {
  try {
    auto store = state_store::open(dir.path());
    boost::asio::io_context io;
    std::vector<route> routes;
    routes.push_back(route{archive_config(dir), std::make_unique<slow_file_sink>(
                                                    io.get_executor(), archive_options(dir))});
    dispatcher d(io.get_executor(), *store, std::move(routes));
    d.start();
    io.run();
  } catch (...) {
    _exit(3);
  }
  _exit(0);
}

TEST(pipeline_crash, sigkill_mid_batch_then_restart_writes_each_event_once_in_order) {
  test::temp_dir dir;
  {
    auto store = state_store::open(dir.path());
    event_queue queue(*store);
    for (int i = 0; i < total_events; ++i) {
      queue.append(test::numbered_event(i));
    }
  }
  const auto archive = archive_options(dir).path;
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    deliver_until_killed(dir);
  }
  const bool midway =
      test::wait_until([&] { return archived_messages(archive).size() >= total_events / 3; });
  ::kill(child, SIGKILL);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(midway);
  ASSERT_TRUE(WIFSIGNALED(status));
  const auto before_restart = archived_messages(archive).size();
  ASSERT_LT(before_restart, static_cast<std::size_t>(total_events));

  // Restart in this process, with the plain file sink, until the queue is empty.
  auto store = state_store::open(dir.path());
  event_queue queue(*store);
  boost::asio::io_context io;
  std::vector<route> routes;
  routes.push_back(route{archive_config(dir),
                         std::make_unique<sinks::file_sink>("archive", archive_options(dir))});
  dispatcher d(io.get_executor(), *store, std::move(routes));
  d.start();
  ASSERT_TRUE(test::run_until(io, [&] { return queue.totals().events == 0; }));
  bool stopped = false;
  boost::asio::co_spawn(io, d.stop(duration{1000}), [&](std::exception_ptr) { stopped = true; });
  ASSERT_TRUE(test::run_until(io, [&] { return stopped; }));

  const auto got = archived_messages(archive);
  ASSERT_EQ(got.size(), static_cast<std::size_t>(total_events));
  for (int i = 0; i < total_events; ++i) {
    EXPECT_EQ(got[static_cast<std::size_t>(i)], "event " + std::to_string(i));
  }
  // The chain survives the crash and the restart.
  EXPECT_TRUE(sinks::verify_archive({archive}).intact);
}

}  // namespace
}  // namespace qsanfwd::pipeline
