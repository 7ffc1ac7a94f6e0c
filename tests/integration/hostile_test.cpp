// Issue 23: the real agent against an array that misbehaves, one fault a test. Each asserts the
// outcome the issue demands: the agent alive, its peak RSS bounded, the ledger exactly once where
// the array allows it, and the right agent event (logs_stuck, logs_gap) where it does not.
// `ctest -R hostile` runs them.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <functional>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>

#include "agent/core/event.hpp"
#include "sim/simulator.hpp"
#include "agent/ops/process_stats.hpp"
#include "tests/support/archive.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/wait.hpp"

namespace qsanfwd {
namespace {

using namespace std::chrono_literals;
using test::log_line;

constexpr double rss_limit_mib = 64;

/// How the agent is told to poll the array.
struct polling {
  int page_size = 1000;
  std::string logs_interval = "1s";
  std::string health = R"({ "enabled": false })";
};

/// One simulated array, one agent reading it into a file sink, and the agent's peak RSS as
/// sampled while the test waits.
class hostile_run {
 public:
  explicit hostile_run(sim::options o) : array_(with_defaults(std::move(o))) {}

  void start(const polling& p = {}) {
    const auto config = dir_ / "config.json";
    test::write_file(config, R"({ "state_dir": ")" + (dir_ / "state").string() + R"(",
      "devices": [ { "name": "array", "url": ")" +
                                 array_.base_url() + R"(",
        "username": "admin", "password": "password",
        "logs": { "interval": ")" +
                                 p.logs_interval + R"(", "page_size": )" +
                                 std::to_string(p.page_size) + R"( },
        "health": )" + p.health + R"( } ],
      "sinks": [ { "name": "archive", "type": "file", "path": ")" +
                                 out().string() + R"(",
        "batch": { "max_events": 200, "max_delay": "100ms" } } ] })");
    agent_.emplace(test::qsanfwd_binary(), std::vector<std::string>{"run", "-c", config.string()},
                   dir_ / "agent.log");
  }

  sim::simulator& array() { return array_.sim(); }
  std::filesystem::path out() const { return dir_ / "events.jsonl"; }
  std::string agent_log() const { return test::read_file(dir_ / "agent.log"); }
  bool alive() { return agent_ && agent_->running(); }
  double peak_mib() const { return static_cast<double>(peak_kib_) / 1024.0; }

  /// Waits for `condition`, sampling the agent; gives up early when the agent has died.
  bool wait(const std::function<bool()>& condition, std::chrono::milliseconds deadline) {
    return test::wait_until(
               [&] {
                 sample();
                 return condition() || !alive();
               },
               deadline) &&
           condition();
  }

  /// Lets the agent run for `d` under the fault, sampling it.
  void run_for(std::chrono::milliseconds d) {
    const auto until = std::chrono::steady_clock::now() + d;
    wait([&] { return std::chrono::steady_clock::now() >= until; }, d + 1s);
  }

  test::archive archive() const { return test::read_archive(out()); }

  /// Agent events in the sink, by type.
  std::map<std::string, int> agent_events() const {
    std::map<std::string, int> types;
    std::istringstream in(test::read_file(out()));
    std::string text;
    while (std::getline(in, text)) {
      const auto e = event_from_json(text);
      if (e.kind == event_kind::agent) {
        ++types[e.type];
      }
    }
    return types;
  }

  bool has_event(const std::string& type) const { return agent_events().count(type) > 0; }

  /// `qsanfwd status` beside the running agent, with `--json` or as text.
  std::string status(bool json) const {
    std::string out;
    const auto command = test::qsanfwd_binary().string() + " status " + (json ? "--json " : "") +
                         "-c " + (dir_ / "config.json").string() + " 2>/dev/null";
    FILE* p = popen(command.c_str(), "r");
    if (p == nullptr) {
      return out;
    }
    std::array<char, 4096> buf{};
    while (const auto n = fread(buf.data(), 1, buf.size(), p)) {
      out.append(buf.data(), n);
    }
    pclose(p);
    return out;
  }

  /// Waits until the sink holds every line of `lines` (sorted), and returns what it holds.
  test::archive await_lines(const std::vector<log_line>& lines,
                            std::chrono::milliseconds deadline) {
    wait(
        [&] {
          const auto got = archive().lines;
          return std::includes(got.begin(), got.end(), lines.begin(), lines.end());
        },
        deadline);
    return archive();
  }

  /// Stops the live lines and waits until the sink holds as many lines as the ledger.
  bool drain(std::chrono::milliseconds deadline) {
    array().pause_live(true);
    const auto want = array().ledger().size();
    return wait([&] { return archive().lines.size() >= want; }, deadline);
  }

 private:
  static sim::options with_defaults(sim::options o) {
    o.name = "hostile";
    return o;
  }

  void sample() {
    if (agent_) {
      if (const auto s = ops::sample_process(agent_->pid())) {
        peak_kib_ = std::max(peak_kib_, s->hwm_kib);
      }
    }
  }

  test::temp_dir dir_;
  sim::running_simulator array_;
  std::optional<test::child_process> agent_;
  std::uint64_t peak_kib_ = 0;
};

sim::options lines(std::size_t backlog, double live_rate = 0) {
  sim::options o;
  o.backlog = backlog;
  o.live_rate = live_rate;
  return o;
}

/// The ledger with each byte that is not UTF-8 as the agent repairs it (U+FFFD). The simulator
/// sends no such byte but Latin-1's o-umlaut (0xF6), which no UTF-8 text holds.
std::vector<log_line> repaired(std::vector<log_line> ledger) {
  for (auto& l : ledger) {
    auto& message = std::get<2>(l);
    for (auto at = message.find('\xf6'); at != std::string::npos; at = message.find('\xf6', at)) {
      message.replace(at, 1, "\xEF\xBF\xBD");
    }
  }
  std::sort(ledger.begin(), ledger.end());
  return ledger;
}

/// Whether no line arrived more often than the ledger holds it (and none from elsewhere).
bool none_twice(const test::archive& got, const std::vector<log_line>& ledger) {
  std::map<log_line, int> left;
  for (const auto& l : ledger) {
    ++left[l];
  }
  return got.repeats == 0 && std::all_of(got.lines.begin(), got.lines.end(),
                                         [&](const log_line& l) { return --left[l] >= 0; });
}

void expect_exactly_the_ledger(hostile_run& run, std::chrono::milliseconds deadline) {
  const bool complete = run.drain(deadline);
  const auto got = run.archive();
  const auto want = repaired(test::sorted_lines(run.array().ledger()));
  EXPECT_TRUE(run.alive()) << run.agent_log();
  EXPECT_TRUE(complete) << got.lines.size() << " of " << want.size() << " lines arrived";
  EXPECT_TRUE(got.lines == want) << got.lines.size() << " lines in the sink, " << want.size()
                                 << " in the ledger";
  EXPECT_EQ(got.repeats, 0U) << run.agent_log();
}

// ---- a cycle always ends, and never queues a line twice -------------------------------------

TEST(hostile, nested_timestamp_neither_crashes_nor_costs_a_line) {
  hostile_run run(lines(50, 5));
  run.array().send_next(sim::hostile_body::nested_timestamp, 1);
  run.start();
  run.run_for(2s);
  expect_exactly_the_ledger(run, 6s);
}

// Pages that cannot be told apart: the listing is read in one answer (up to 10,000 lines).
TEST(hostile, ignored_page_number_reads_the_listing_in_one_answer_exactly) {
  auto o = lines(23);
  o.hostile.ignore_page_number = true;
  hostile_run run(o);
  run.start({.page_size = 5});
  run.run_for(3s);
  EXPECT_TRUE(run.alive()) << run.agent_log();
  expect_exactly_the_ledger(run, 3s);
  EXPECT_FALSE(run.has_event("logs_stuck"));
}

TEST(hostile, have_next_page_always_true_ends_each_cycle_exactly) {
  auto o = lines(5);
  o.hostile.always_next_page = true;
  hostile_run run(o);
  run.start({.page_size = 5});
  run.run_for(3s);
  expect_exactly_the_ledger(run, 3s);
  // A cycle ends: pages capped against total, not read for as long as the array says "more".
  EXPECT_LT(run.array().stats().requests["/rest/v1/log/list"], 40U);
}

TEST(hostile, ignored_start_time_queues_nothing_twice) {
  auto o = lines(100, 5);
  o.hostile.ignore_start_time = true;
  hostile_run run(o);
  run.start();
  run.run_for(4s);
  expect_exactly_the_ledger(run, 4s);
}

class hostile_total : public testing::TestWithParam<sim::total_mode> {};

TEST_P(hostile_total, a_lying_total_costs_no_line_and_repeats_none) {
  auto o = lines(100, 5);
  o.hostile.total = GetParam();
  hostile_run run(o);
  run.start({.page_size = 30});
  run.run_for(3s);
  expect_exactly_the_ledger(run, 4s);
}

INSTANTIATE_TEST_SUITE_P(hostile, hostile_total,
                         testing::Values(sim::total_mode::missing, sim::total_mode::constant,
                                         sim::total_mode::shrinking),
                         [](const auto& p) { return std::string(to_string(p.param)); });

TEST(hostile, oversize_page_is_reported_not_stored) {
  auto o = lines(100);
  o.hostile.oversize_pages = 3;
  hostile_run run(o);
  run.start({.page_size = 10});
  // Three failed cycles in a row, with backoffs of up to 1, 2 and 4 s between them: about 8 s
  // at worst, more on a loaded machine.
  const bool stuck = run.wait([&] { return run.has_event("logs_stuck"); }, 30s);
  EXPECT_TRUE(run.alive()) << run.agent_log();
  EXPECT_TRUE(stuck) << "an oversize page was not reported";
  EXPECT_TRUE(run.archive().lines.empty()) << "lines of an oversize page were stored";
}

// ---- what the array lost is reported, what it kept arrives once ----------------------------

TEST(hostile, ring_overwrite_reports_a_gap_and_loses_only_what_the_array_dropped) {
  auto o = lines(0, 60);
  o.hostile.max_log_lines = 60;
  hostile_run run(o);
  run.start({.logs_interval = "3s"});
  const bool gap = run.wait([&] { return run.has_event("logs_gap"); }, 12s);
  run.array().pause_live(true);
  const auto ledger = test::sorted_lines(run.array().ledger());
  const auto dropped = test::sorted_lines(run.array().dropped());
  std::vector<log_line> kept;
  std::set_difference(ledger.begin(), ledger.end(), dropped.begin(), dropped.end(),
                      std::back_inserter(kept));
  // Every line the array still holds arrives; of the dropped ones, those read in time too.
  const auto got = run.await_lines(kept, 6s);
  EXPECT_TRUE(run.alive()) << run.agent_log();
  EXPECT_TRUE(gap) << "no logs_gap although the array dropped " << dropped.size() << " lines";
  EXPECT_TRUE(std::includes(got.lines.begin(), got.lines.end(), kept.begin(), kept.end()));
  EXPECT_TRUE(none_twice(got, ledger));
}

TEST(hostile, cleared_log_reports_a_gap_and_collection_goes_on) {
  hostile_run run(lines(100, 5));
  run.start();
  // Everything read before the clearing, so that no line is lost with it.
  ASSERT_TRUE(run.drain(8s)) << run.agent_log();
  run.array().clear_log();
  run.array().pause_live(false);
  const bool gap = run.wait([&] { return run.has_event("logs_gap"); }, 6s);
  EXPECT_TRUE(gap) << "no logs_gap after the log was cleared";
  expect_exactly_the_ledger(run, 4s);
}

// ---- invalid UTF-8, tokens, clocks ------------------------------------------------------------

TEST(hostile, latin1_bytes_are_repaired_and_every_line_arrives) {
  auto o = lines(200, 5);
  o.hostile.latin1_ratio = 0.2;
  hostile_run run(o);
  run.start();
  run.run_for(2s);
  expect_exactly_the_ledger(run, 5s);
  // Counted for status too (written within a second of each poll).
  nlohmann::json status;
  EXPECT_TRUE(run.wait(
      [&] {
        status = nlohmann::json::parse(run.status(true), nullptr, false);
        return !status.is_discarded() && !status["devices"][0]["invalid_utf8"].is_null();
      },
      5s))
      << status.dump();
  if (!status.is_discarded() && !status["devices"][0]["invalid_utf8"].is_null()) {
    EXPECT_GE(status["devices"][0]["invalid_utf8"]["bytes"].get<std::int64_t>(), 1);
  }
  EXPECT_NE(run.status(false).find("bytes of invalid UTF-8 read as U+FFFD"), std::string::npos)
      << run.status(false);
}

TEST(hostile, token_with_crlf_never_reaches_a_header) {
  auto o = lines(10);
  o.hostile.token_crlf = true;
  hostile_run run(o);
  run.start();
  run.wait([&] { return run.array().stats().logins >= 1; }, 5s);
  run.run_for(2s);
  EXPECT_TRUE(run.alive()) << run.agent_log();
  EXPECT_GE(run.array().stats().logins, 1U);
  EXPECT_EQ(run.array().stats().injected_headers, 0U) << "the agent sent the array's header";
  // A failed login, said once, tried again a poll later: never max_attempts logins in a row,
  // each of which may evict one of the user's refresh tokens.
  EXPECT_TRUE(run.wait([&] { return run.has_event("device_login_failed"); }, 3s))
      << run.agent_log();
  EXPECT_EQ(run.agent_events()["device_login_failed"], 1);
  EXPECT_EQ(run.array().stats().refreshes, 0U);
}

TEST(hostile, line_from_2100_does_not_stop_collection) {
  hostile_run run(lines(20, 5));
  run.start();
  ASSERT_TRUE(run.wait([&] { return run.archive().lines.size() >= 20; }, 8s)) << run.agent_log();
  ASSERT_TRUE(run.array().add_log({4'102'444'800, "warning", "Clock says 2100 for this line."}));
  run.run_for(3s);
  expect_exactly_the_ledger(run, 4s);
}

TEST(hostile, clock_set_back_collects_every_line_once) {
  hostile_run run(lines(20, 5));
  run.start();
  ASSERT_TRUE(run.wait([&] { return run.archive().lines.size() >= 20; }, 8s)) << run.agent_log();
  run.array().set_clock_offset(-600);
  run.run_for(3s);
  expect_exactly_the_ledger(run, 4s);
}

// ---- nothing from the array can crash or bloat the agent -----------------------------------

class hostile_body_test : public testing::TestWithParam<sim::hostile_body> {};

TEST_P(hostile_body_test, agent_stays_alive_and_small) {
  auto o = lines(50, 5);
  o.hostile.body_chance[static_cast<std::size_t>(GetParam())] = 1;
  o.hostile.nesting_depth = 300'000;  // what crashed a copy of the health answer (600 KB)
  hostile_run run(o);
  run.start({.health = R"({ "interval": "1s" })"});
  run.run_for(4s);
  std::cout << to_string(GetParam()) << ": peak RSS " << run.peak_mib() << " MiB\n";
  EXPECT_TRUE(run.alive()) << run.agent_log();
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
  // A sanitizer's shadow memory and quarantine are in the RSS (200-300 MiB under ASan).
  EXPECT_LT(run.peak_mib(), rss_limit_mib) << run.agent_log();
#endif
  EXPECT_GE(run.array().stats().hostile_bodies[std::string(to_string(GetParam()))], 1U);
}

INSTANTIATE_TEST_SUITE_P(hostile, hostile_body_test,
                         testing::Values(sim::hostile_body::huge_page,
                                         sim::hostile_body::endless_chunked,
                                         sim::hostile_body::nested_health,
                                         sim::hostile_body::health_junk),
                         [](const auto& p) { return std::string(to_string(p.param)); });

}  // namespace
}  // namespace qsanfwd
