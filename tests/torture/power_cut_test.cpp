// Torture 4: power cuts. The agent (qsanfwd_power_cut: the real agent with its SQLite writes
// journalled, see power_cut_vfs.cpp) drains a backlog with live inflow, 5-second tokens and 10%
// 5xx; it is SIGKILLed at random moments and its state database and WAL are then rewritten as
// a disk could hold them after a power cut at that instant: whatever a completed sync covered,
// and of the later writes none, all, or a random subset. The file sink stands for a receiver on
// another machine and keeps all it was given. A disk fails and comes back, once in each run,
// so health changes are in flight at cuts too. After each cut the database must pass
// `PRAGMA integrity_check`; after the last restart the sink must hold the whole ledger and
// the disk's every change, each event's `previous` the `current` of the one before. Repeats
// (deliveries whose cursor move no sync had covered yet) are counted and printed.
#include "tests/torture/power_cut.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <iostream>
#include <random>
#include <set>

#include "agent/core/event.hpp"
#include "sim/simulator.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/wait.hpp"
#include "tests/torture/torture.hpp"

namespace qsanfwd::torture {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

struct cut_plan {
  int cuts;
  std::size_t backlog;
  milliseconds longest_pause;
  milliseconds catch_up;
};

cut_plan cut_plan_for(size s) {
  if (is_long(s)) {
    return {50, 300'000, 7000ms, 900s};
  }
  return {8, 30'000, 2000ms, 120s};
}

std::filesystem::path power_cut_binary() {
  return test::qsanfwd_binary().parent_path().parent_path() / "tests" / "torture" /
         "qsanfwd_power_cut";
}

constexpr const char* flapping_disk = "e0d3";

/// The disk's health events in the sink, in the order written, each id once.
std::vector<event> disk_changes(const std::filesystem::path& file) {
  std::vector<event> out;
  std::set<std::string> ids;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line) && !in.eof()) {
    auto e = event_from_json(line);
    if (e.kind == event_kind::health && e.component_id == flapping_disk &&
        e.attribute == "health" && ids.insert(e.id).second) {
      out.push_back(std::move(e));
    }
  }
  return out;
}

/// Where the chain of changes breaks (a change lost, or one told twice with different ids):
/// empty when each `previous` is the `current` before it.
std::string chain_break(const std::vector<event>& changes) {
  for (std::size_t i = 1; i < changes.size(); ++i) {
    if (changes[i].previous != changes[i - 1].current) {
      return "change " + std::to_string(i + 1) + " of " + std::to_string(changes.size()) +
             " goes from " + changes[i].previous + " to " + changes[i].current +
             ", the one before it ended at " + changes[i - 1].current;
    }
  }
  return {};
}

class power_cut_run : public ::testing::TestWithParam<size> {};

TEST_P(power_cut_run, at_random_moments_loses_nothing_and_leaves_the_database_whole) {
  const auto p = cut_plan_for(GetParam());
  test::temp_dir dir;
  sim::options o;
  o.newest_first = true;
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
  const auto state = dir / "state";
  auto config = agent_config(state, array.port());
  config["devices"][0]["health"] = {{"interval", "1s"}};
  config["sinks"].push_back(file_sink("archive", dir / "out.jsonl"));
  write_config(dir / "config.json", config);
  const auto log = dir / "agent.log";
  const std::vector<std::string> run_args{"run", "-c", (dir / "config.json").string()};

  std::mt19937 rng(seed);
  std::uniform_int_distribution<long> pause_ms(20, p.longest_pause.count());
  std::uniform_int_distribution<int> pick_outcome(0, 2);
  power_cut::cut_report sum;
  bool disk_failed = false;
  const auto flip_disk = [&] {
    disk_failed = !disk_failed;
    ASSERT_TRUE(disk_failed ? array->fail_disk(flapping_disk) : array->restore_disk(flapping_disk));
  };
  for (int i = 0; i < p.cuts; ++i) {
    test::child_process agent(power_cut_binary(), run_args, log);
    const auto pause = milliseconds(pause_ms(rng));
    bool ended = test::wait_until([&] { return !agent.running(); }, pause / 2);
    flip_disk();
    ended = ended || test::wait_until([&] { return !agent.running(); }, pause / 2);
    ASSERT_FALSE(ended) << "seed " << seed << ": run " << i + 1 << " ended by itself with "
                        << agent.wait() << "\n"
                        << test::read_file(log);
    agent.kill(SIGKILL);
    ASSERT_EQ(agent.wait(), 128 + SIGKILL) << "seed " << seed;
    const auto kept = static_cast<power_cut::outcome>(pick_outcome(rng));
    const auto r = power_cut::cut(state, kept, rng);
    sum.files += r.files;
    sum.synced += r.synced;
    sum.unsynced += r.unsynced;
    sum.kept += r.kept;
    const auto check =
        std::filesystem::exists(state / "state.db") ? integrity(state / "state.db") : "ok";
    ASSERT_EQ(check, "ok") << "seed " << seed << ": after cut " << i + 1 << " (" << to_string(kept)
                           << ")";
  }

  // The disk ends failed, so at least that change must reach the sink.
  if (!disk_failed) {
    flip_disk();
  }
  array->pause_live(true);
  const auto expected = test::sorted_lines(array->ledger());
  test::child_process agent(power_cut_binary(), run_args, log);
  const bool caught_up = test::wait_until(
      [&] {
        const auto changes = disk_changes(dir / "out.jsonl");
        return read_output(dir / "out.jsonl").archive.lines.size() >= expected.size() &&
               !changes.empty() && changes.back().current == "Failed";
      },
      p.catch_up);
  agent.kill(SIGTERM);
  EXPECT_EQ(agent.wait(), 0) << "seed " << seed;
  const auto out = read_output(dir / "out.jsonl");
  const auto t = compare(expected, out.archive);
  const auto logins = array->stats().offline_logins;
  const auto changes = disk_changes(dir / "out.jsonl");
  std::cout << "power cut, seed " << seed << ": runs " << p.cuts + 1 << ", cuts " << p.cuts
            << ", writes after the last sync " << sum.unsynced << " (" << sum.kept << " kept), "
            << t << ", torn " << out.torn << ", disk changes " << changes.size()
            << ", offline logins " << logins << "\n";
  RecordProperty("cuts", p.cuts);
  RecordProperty("repeated", static_cast<int>(t.repeated));
  if (!caught_up || t.lost > 0) {
    // What the agent said of its array, for the seed's next replay.
    for (const auto& line : lines_with(log, {" logs: "})) {
      std::cout << line << "\n";
    }
    std::filesystem::copy_file(log, "/tmp/power_cut_failed_agent.log",
                               std::filesystem::copy_options::overwrite_existing);
  }
  ASSERT_TRUE(caught_up) << "seed " << seed << ": the agent did not catch up; " << t;
  EXPECT_EQ(t.lost, 0u) << "seed " << seed;
  EXPECT_EQ(t.extra, 0u) << "seed " << seed;
  EXPECT_EQ(out.torn, 0u) << "seed " << seed;
  EXPECT_EQ(chain_break(changes), "") << "seed " << seed;
  EXPECT_GT(sum.unsynced, 0u) << "seed " << seed << ": no cut found a write to take back";
}

INSTANTIATE_TEST_SUITE_P(short_run, power_cut_run, ::testing::Values(size::short_run), size_name);
INSTANTIATE_TEST_SUITE_P(long_run, power_cut_run, ::testing::Values(size::long_run), size_name);

}  // namespace
}  // namespace qsanfwd::torture
