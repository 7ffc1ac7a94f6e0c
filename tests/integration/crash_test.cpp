// SIGKILL the real agent at random moments while it drains a backlog with live inflow; after the
// last restart the file sink holds every line of the array's ledger, each once: a batch in
// flight at a kill is sent again, and the file sink writes only what the file lacks.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <iostream>
#include <random>
#include <tuple>

#include "agent/sim/simulator.hpp"
#include "tests/support/archive.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/wait.hpp"

namespace qsanfwd {
namespace {

using namespace std::chrono_literals;
using line = test::log_line;

void write_config(const std::filesystem::path& file, const test::temp_dir& dir,
                  std::uint16_t port) {
  test::write_file(file, R"({
    "state_dir": ")" + (dir / "state").string() +
                             R"(",
    "devices": [ { "name": "array-01", "url": "http://127.0.0.1:)" +
                             std::to_string(port) + R"(",
                   "username": "admin", "password": "password", "timeout": "2s",
                   "logs": { "interval": "1s", "page_size": 200 },
                   "health": { "enabled": false } } ],
    "sinks": [ { "name": "archive", "type": "file", "path": ")" +
                             (dir / "out.jsonl").string() + R"(" } ]
  })");
}

class crash : public ::testing::TestWithParam<bool> {};

TEST_P(crash, sigkill_at_random_moments_loses_and_doubles_nothing) {
  test::temp_dir dir;
  sim::options o;
  o.newest_first = GetParam();
  o.backlog = 20'000;
  o.backlog_per_second = 50;
  o.live_rate = 300;
  o.duplicate_ratio = 0.1;
  sim::running_simulator array(o);
  const auto config = dir / "config.json";
  write_config(config, dir, array.port());
  const auto log = dir / "agent.log";

  const auto seed = std::random_device{}();
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> pause_ms(20, 400);
  constexpr int kills = 20;
  for (int i = 0; i < kills; ++i) {
    test::child_process agent(test::qsanfwd_binary(), {"run", "-c", config.string()}, log);
    const auto pause = std::chrono::milliseconds(pause_ms(rng));
    ASSERT_FALSE(test::wait_until([&] { return !agent.running(); }, pause))
        << "seed " << seed << ": run " << i + 1 << " ended by itself\n"
        << test::read_file(log);
    agent.kill(SIGKILL);
    ASSERT_EQ(agent.wait(), 128 + SIGKILL) << "seed " << seed << "\n" << test::read_file(log);
  }

  array->pause_live(true);
  const auto expected = test::sorted_lines(array->ledger());
  test::child_process agent(test::qsanfwd_binary(), {"run", "-c", config.string()}, log);
  const bool drained = test::wait_until(
      [&] { return test::read_archive(dir / "out.jsonl").lines.size() >= expected.size(); }, 120s);
  agent.kill(SIGTERM);
  EXPECT_EQ(agent.wait(), 0);
  ASSERT_TRUE(drained) << "seed " << seed << ": the agent did not catch up";
  const auto written = test::read_archive(dir / "out.jsonl");
  EXPECT_EQ(written.lines.size(), expected.size()) << "seed " << seed;
  EXPECT_TRUE(written.lines == expected) << "seed " << seed << ": the file differs from the ledger";
  EXPECT_EQ(written.repeats, 0U) << "seed " << seed;
  const auto agent_log = test::read_file(log);
  int resumed = 0;
  for (auto at = agent_log.find("in the file already"); at != std::string::npos;
       at = agent_log.find("in the file already", at + 1)) {
    ++resumed;
  }
  std::cout << "seed " << seed << ": " << kills << " kills, " << expected.size() << " lines, "
            << written.repeats << " written twice; " << resumed
            << " restarts found part of a batch sent again in the file already\n";
}

INSTANTIATE_TEST_SUITE_P(orders, crash, ::testing::Values(true, false),
                         [](const auto& p) { return p.param ? "newest_first" : "oldest_first"; });

}  // namespace
}  // namespace qsanfwd
