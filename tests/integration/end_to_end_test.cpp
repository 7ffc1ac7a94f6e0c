// qsan-sim with a backlog and live inflow, the real agent, a file sink: the file holds exactly
// the array's ledger, and survives a SIGKILL with each line once.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <tuple>

#include "agent/core/event.hpp"
#include "agent/sim/simulator.hpp"
#include "tests/support/archive.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/wait.hpp"

namespace qsanfwd {
namespace {

using namespace std::chrono_literals;
using line = test::log_line;
using test::read_archive;

TEST(end_to_end, file_sink_holds_exactly_the_ledger_across_a_sigkill) {
  test::temp_dir dir;
  sim::options o;
  o.backlog = 10'000;
  o.backlog_per_second = 40;
  o.live_rate = 200;
  o.duplicate_ratio = 0.1;
  sim::running_simulator array(o);
  const auto config = dir / "config.json";
  const auto out = dir / "archive" / "events.jsonl";
  test::write_file(config, R"({
    "state_dir": ")" + (dir / "state").string() +
                               R"(",
    "devices": [ { "name": "array-01", "url": "http://127.0.0.1:)" +
                               std::to_string(array.port()) + R"(",
                   "username": "admin", "password": "password",
                   "logs": { "interval": "1s", "page_size": 500 }, "health": { "enabled": false } } ],
    "sinks": [ { "name": "archive", "type": "file", "path": ")" +
                               out.string() + R"(",
                 "batch": { "max_events": 200, "max_delay": "100ms" } } ]
  })");
  const auto log = dir / "agent.log";
  {
    test::child_process agent(test::qsanfwd_binary(), {"run", "-c", config.string()}, log);
    ASSERT_TRUE(test::wait_until([&] { return read_archive(out).lines.size() > 2000; }, 60s))
        << test::read_file(log);
    agent.kill(SIGKILL);
    agent.wait();
  }
  test::child_process agent(test::qsanfwd_binary(), {"run", "-c", config.string()}, log);
  // Live inflow while the agent runs again: ~2 s of it.
  const auto inflow_from = array->log_count();
  ASSERT_TRUE(test::wait_until([&] { return array->log_count() >= inflow_from + 400; }, 30s));
  array->pause_live(true);
  const auto expected = test::sorted_lines(array->ledger());
  const bool complete =
      test::wait_until([&] { return read_archive(out).lines.size() >= expected.size(); }, 60s);
  agent.kill(SIGTERM);
  EXPECT_EQ(agent.wait(), 0);
  ASSERT_TRUE(complete) << test::read_file(log);
  const auto got = read_archive(out);
  EXPECT_TRUE(got.lines == expected)
      << got.lines.size() << " lines in the file, " << expected.size() << " in the ledger";
  EXPECT_EQ(got.repeats, 0U) << "the batch in flight at the kill was written twice";
  std::cout << expected.size() << " lines, " << got.repeats << " repeated after the SIGKILL\n";
}

}  // namespace
}  // namespace qsanfwd
