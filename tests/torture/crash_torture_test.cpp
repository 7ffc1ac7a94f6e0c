// Torture 1: SIGKILL the real agent at random moments while it drains a backlog with live
// inflow, against an array whose access tokens live 5 seconds and which answers 10% of its
// requests with 500/503. After the last restart the file sink holds every line of the array's
// ledger; events written twice come only from batches in flight at a kill.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <iterator>
#include <random>
#include <tuple>

#include "sim/simulator.hpp"
#include "config/config.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/wait.hpp"
#include "tests/torture/torture.hpp"

namespace qsanfwd::torture {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

struct plan {
  int kills;
  std::size_t backlog;
  milliseconds longest_pause;  // runs last 20 ms up to this before their SIGKILL
  milliseconds catch_up;       // for the last run to write everything
};

plan plan_for(size s) {
  if (is_long(s)) {
    return {50, 500'000, 7000ms, 900s};
  }
  return {9, 40'000, 2000ms, 120s};
}

/// Lines in a file, cheaply (no parsing).
std::size_t line_count(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return static_cast<std::size_t>(
      std::count(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>(), '\n'));
}

class crash : public ::testing::TestWithParam<std::tuple<size, bool>> {};

TEST_P(crash, sigkill_at_random_moments_loses_and_repeats_nothing) {
  const auto [run_size, newest_first] = GetParam();
  const auto p = plan_for(run_size);
  test::temp_dir dir;
  sim::options o;
  o.newest_first = newest_first;
  o.backlog = p.backlog;
  o.backlog_per_second = 50;
  o.live_rate = 200;
  o.duplicate_ratio = 0.1;
  o.access_token_lifetime_s = 5;
  o.faults.status_5xx = 0.1;
  o.faults.on_auth = true;
  const auto seed = torture::seed();
  o.seed = seed;
  sim::running_simulator array(o);
  auto config = agent_config(dir / "state", array.port());
  config["sinks"].push_back(file_sink("archive", dir / "out.jsonl"));
  // A failure shows what the agent did last.
  config["log_level"] = "debug";
  write_config(dir / "config.json", config);
  const auto log = dir / "agent.log";
  const std::vector<std::string> run_args{"run", "-c", (dir / "config.json").string()};

  std::mt19937 rng(seed);
  std::uniform_int_distribution<long> pause_ms(20, p.longest_pause.count());
  int mid_drain = 0;
  for (int i = 0; i < p.kills; ++i) {
    test::child_process agent(test::qsanfwd_binary(), run_args, log);
    // The short run holds one run past the token lifetime, so a refresh happens somewhere.
    const auto pause =
        !is_long(run_size) && i == p.kills / 2 ? milliseconds(6000) : milliseconds(pause_ms(rng));
    const bool ended = test::wait_until([&] { return !agent.running(); }, pause);
    ASSERT_FALSE(ended) << "seed " << seed << ": run " << i + 1 << " ended by itself with "
                        << agent.wait() << "\n"
                        << test::read_file(log);
    agent.kill(SIGKILL);
    ASSERT_EQ(agent.wait(), 128 + SIGKILL) << "seed " << seed;
    // Roughly: the file holds fewer lines than the backlog while the backlog is drained.
    mid_drain += line_count(dir / "out.jsonl") < p.backlog ? 1 : 0;
  }

  array->pause_live(true);
  const auto expected = test::sorted_lines(array->ledger());
  test::child_process agent(test::qsanfwd_binary(), run_args, log);
  const bool caught_up = test::wait_until(
      [&] { return read_output(dir / "out.jsonl").archive.lines.size() >= expected.size(); },
      p.catch_up);
  agent.kill(SIGTERM);
  EXPECT_EQ(agent.wait(), 0) << "seed " << seed;
  const auto out = read_output(dir / "out.jsonl");
  const auto t = compare(expected, out.archive);
  // What the kills cost in reading: every line the array served, re-reads included.
  const auto served = array->stats().log_lines_served;
  std::cout << "crash (" << (newest_first ? "newest" : "oldest") << " first), seed " << seed
            << ": runs " << p.kills + 1 << ", kills " << p.kills << " (" << mid_drain
            << " during the backlog drain), " << t << ", torn " << out.torn << ", lines served "
            << served << " (" << static_cast<double>(served) / static_cast<double>(t.expected)
            << " per line)\n";
  RecordProperty("kills", p.kills);
  RecordProperty("lines", static_cast<int>(t.expected));
  RecordProperty("repeated", static_cast<int>(t.repeated));
  // The array is honest and gives its total: reading it by content, page by page, where twins
  // on either side of a page boundary are taken for one, is a fault of the reader's (CI lost
  // three lines that way, session 22).
  const auto inexact = lines_with(log, {"is read page by page without a total"});
  EXPECT_TRUE(inexact.empty()) << "seed " << seed << ": " << inexact.front();
  ASSERT_TRUE(caught_up) << "seed " << seed << ": the agent did not catch up; " << t
                         << "\nthe agent's log ends with:\n"
                         << last_lines(log, 80);
  EXPECT_EQ(t.lost, 0u) << "seed " << seed;
  EXPECT_EQ(t.extra, 0u) << "seed " << seed;
  EXPECT_EQ(out.torn, 0u) << "seed " << seed << ": a kill left a partial line in the file";
  // Whatever the order, the checkpoint follows each page: a kill costs the page being read,
  // and each cycle the page 1 it starts with. A newest-first drain that started its cycle over
  // after each kill served several backlogs (issue 23, item 7).
  const std::uint64_t page = 200;  // torture.cpp's page_size
  EXPECT_LE(served, 2 * t.expected + static_cast<std::uint64_t>(p.kills + 1) * 3 * page)
      << "seed " << seed << ": the kills cost more reading than a page each";
  // A kill between a batch written and its delivery recorded sends the batch again; the file
  // sink writes only what the file lacks.
  EXPECT_EQ(t.repeated, 0u) << "seed " << seed;
}

std::string name_of(const ::testing::TestParamInfo<std::tuple<size, bool>>& info) {
  return std::get<1>(info.param) ? "newest_first" : "oldest_first";
}

INSTANTIATE_TEST_SUITE_P(short_run, crash,
                         ::testing::Combine(::testing::Values(size::short_run), ::testing::Bool()),
                         name_of);
INSTANTIATE_TEST_SUITE_P(long_run, crash,
                         ::testing::Combine(::testing::Values(size::long_run), ::testing::Bool()),
                         name_of);

}  // namespace
}  // namespace qsanfwd::torture
