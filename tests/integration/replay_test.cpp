// `qsanfwd replay --device D --sink S --from T1 --to T2`: the running agent reads a range of the
// array's log again and sends it to that one sink with the ids of the first time, between its
// live cycles, from a reading position of its own that a kill -9 does not lose.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "agent/core/event.hpp"
#include "agent/core/time.hpp"
#include "agent/logs/replays.hpp"
#include "agent/store/state_store.hpp"
#include "sim/simulator.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/wait.hpp"

namespace qsanfwd {
namespace {

using namespace std::chrono_literals;

constexpr const char* password = "replay-Pw-7";

/// The log events a file sink wrote: how often each id, and each id's timestamp.
struct written {
  std::map<std::string, int> count;
  std::map<std::string, std::int64_t> stamped;
};

written log_events_in(const std::filesystem::path& file) {
  written out;
  std::istringstream lines(std::filesystem::exists(file) ? test::read_file(file) : "");
  std::string line;
  while (std::getline(lines, line)) {
    if (const auto e = event_from_json(line); e.kind == event_kind::log) {
      ++out.count[e.id];
      out.stamped[e.id] = e.timestamp;
    }
  }
  return out;
}

std::size_t lines_in(const std::filesystem::path& file) {
  if (!std::filesystem::exists(file)) {
    return 0;
  }
  const auto text = test::read_file(file);
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

struct replay_range : ::testing::Test {
  test::temp_dir dir;
  std::filesystem::path archive = dir / "archive.jsonl";
  std::filesystem::path siem = dir / "siem.jsonl";
  std::filesystem::path config = dir / "config.json";
  std::filesystem::path agent_log = dir / "agent.txt";
  std::string text;

  /// Runs qsanfwd to completion; returns its exit status and leaves its output in `text`.
  int qsanfwd(const std::vector<std::string>& args) {
    const auto output = dir / "output.txt";
    std::filesystem::remove(output);
    test::child_process p(test::qsanfwd_binary(), args, output);
    const int status = p.wait(60s);
    text = std::filesystem::exists(output) ? test::read_file(output) : "";
    return status;
  }

  /// Two file sinks; `archive_extra` adds keys to the archive's block (a pace, a queue limit),
  /// `logs_extra` to the device's `logs`.
  void write_config(std::uint16_t port, const std::string& archive_extra = "",
                    const std::string& logs_extra = "") {
    test::write_file(config, R"({"state_dir": ")" + (dir / "state").string() + R"(",
      "devices": [{"name": "array-01", "url": "http://127.0.0.1:)" + std::to_string(port) +
                                 R"(", "username": "admin", "password": ")" + password + R"(",
                   "logs": {"interval": "1s")" + logs_extra + R"(}, "health": {"enabled": false}}],
      "sinks": [{"name": "archive", "type": "file", "path": ")" + archive.string() + "\"" +
                                 archive_extra + R"(},
                {"name": "siem", "type": "file", "path": ")" + siem.string() + R"("}]})");
  }

  std::unique_ptr<test::child_process> start_agent() {
    return std::make_unique<test::child_process>(test::qsanfwd_binary(),
                                                 std::vector<std::string>{"run", "-c", config.string()},
                                                 agent_log);
  }

  nlohmann::json replay_status() {
    if (qsanfwd({"status", "-c", config.string(), "--json"}) != 0) {
      return nullptr;
    }
    const auto status = nlohmann::json::parse(text, nullptr, false);
    return status.is_object() && status.contains("replays") && !status["replays"].empty()
               ? status["replays"][0]
               : nlohmann::json();
  }
};

sim::options array_options(std::size_t backlog) {
  sim::options o;
  o.password = password;
  o.backlog = backlog;
  o.backlog_per_second = 200;
  o.live_rate = 20;
  return o;
}

/// The seconds `[from, to]` somewhat inside the backlog, and how many ledger lines they hold.
struct range {
  std::int64_t from = 0;
  std::int64_t to = 0;
  std::size_t lines = 0;
};

range inner_range(const std::vector<sim::log_line>& ledger, std::int64_t trim) {
  range r;
  const auto [lo, hi] = std::minmax_element(
      ledger.begin(), ledger.end(), [](const auto& a, const auto& b) { return a.timestamp < b.timestamp; });
  r.from = lo->timestamp + trim;
  r.to = hi->timestamp - trim;
  r.lines = static_cast<std::size_t>(std::count_if(ledger.begin(), ledger.end(), [&](const auto& l) {
    return l.timestamp >= r.from && l.timestamp <= r.to;
  }));
  return r;
}

bool inside(const range& r, std::int64_t t) { return t >= r.from && t <= r.to; }

TEST_F(replay_range, a_request_that_cannot_be_done_is_refused_with_the_reason) {
  write_config(1);
  const auto replay = [&](std::vector<std::string> extra) {
    std::vector<std::string> args{"replay", "-c", config.string(), "--sink", "archive"};
    args.insert(args.end(), extra.begin(), extra.end());
    return qsanfwd(args);
  };
  EXPECT_EQ(replay({"--device", "array-09", "--from", "0"}), 2);
  EXPECT_NE(text.find("no device named \"array-09\""), std::string::npos) << text;
  EXPECT_EQ(replay({"--device", "array-01", "--from", "yesterday"}), 2);
  EXPECT_NE(text.find("--from: expected unix seconds or an RFC 3339 time"), std::string::npos)
      << text;
  EXPECT_EQ(replay({"--device", "array-01", "--from", "2026-12-02T00:00:00Z", "--to",
                    "2026-12-01T00:00:00Z"}),
            2);
  EXPECT_NE(text.find("the range starts (2026-12-02T00:00:00Z) after it ends"), std::string::npos)
      << text;
  EXPECT_EQ(replay({"--device", "array-01"}), 2) << "a device without --from";
  EXPECT_EQ(replay({"--device", "array-01", "--from", "0", "--from-queue"}), 2);
  EXPECT_FALSE(std::filesystem::exists(dir / "state" / "requests") &&
               !std::filesystem::is_empty(dir / "state" / "requests"))
      << "nothing was asked of the agent";
}

TEST_F(replay_range, a_range_goes_once_more_to_one_sink_with_its_first_ids_while_live_lines_flow) {
  sim::running_simulator array(array_options(60'000));
  write_config(array.port());
  auto agent = start_agent();
  const auto backlog = inner_range(array->ledger(), 0);
  const auto range = inner_range(array->ledger(), 25);
  ASSERT_GE(range.lines, 50'000u);
  ASSERT_TRUE(test::wait_until([&] { return lines_in(archive) >= 60'000; }, 60s))
      << test::read_file(agent_log);

  ASSERT_EQ(qsanfwd({"replay", "-c", config.string(), "--device", "array-01", "--sink", "archive",
                     "--from", rfc3339_utc(range.from), "--to", std::to_string(range.to)}),
            0)
      << text;
  EXPECT_NE(text.find("asked the agent to read the lines array-01 stamped"), std::string::npos)
      << text;
  ASSERT_TRUE(test::wait_until([&] { return lines_in(archive) >= 60'000 + range.lines; }, 60s))
      << test::read_file(agent_log);
  // Lines the array stamps meanwhile reach both sinks once, as ever.
  const auto live_from = array->ledger().size();
  ASSERT_TRUE(test::wait_until([&] { return array->ledger().size() >= live_from + 10; }, 10s));
  array->pause_live(true);
  const auto ledger = array->ledger();
  const auto all_in = [&](const std::filesystem::path& f, std::size_t extra) {
    return lines_in(f) >= ledger.size() + extra;
  };
  ASSERT_TRUE(test::wait_until([&] { return all_in(archive, range.lines) && all_in(siem, 0); }, 20s))
      << test::read_file(agent_log);

  const auto in_archive = log_events_in(archive);
  const auto in_siem = log_events_in(siem);
  EXPECT_EQ(in_siem.count.size(), ledger.size());
  EXPECT_EQ(in_archive.count.size(), ledger.size()) << "the replay made no id of its own";
  std::size_t twice = 0;
  for (const auto& [id, n] : in_archive.count) {
    const bool replayed = inside(range, in_archive.stamped.at(id));
    ASSERT_EQ(n, replayed ? 2 : 1) << id << " stamped " << in_archive.stamped.at(id);
    twice += replayed ? 1 : 0;
  }
  EXPECT_EQ(twice, range.lines);
  for (const auto& [id, n] : in_siem.count) {
    ASSERT_EQ(n, 1) << id;
  }
  EXPECT_GT(in_siem.stamped.size(), 0u);
  EXPECT_GT(ledger.back().timestamp, backlog.to) << "live lines were written meanwhile";

  const auto r = replay_status();
  ASSERT_TRUE(r.is_object()) << text;
  EXPECT_EQ(r["state"], "done") << r.dump();
  EXPECT_EQ(r["queued"], range.lines) << r.dump();
  EXPECT_EQ(r["from"], rfc3339_utc(range.from));
  agent->kill(SIGTERM);
  EXPECT_EQ(agent->wait(), 0);
  EXPECT_EQ(qsanfwd({"status", "-c", config.string()}), 0);
  EXPECT_NE(text.find("replays\n  1 array-01 -> archive  " + rfc3339_utc(range.from) + " to " +
                      rfc3339_utc(range.to) + ": done, " + std::to_string(range.lines) +
                      " line(s) queued"),
            std::string::npos)
      << text;
}

TEST_F(replay_range, killed_mid_read_and_restarted_it_finishes_without_a_gap) {
  sim::running_simulator array(array_options(5'000));
  // Paced with a small burst, little room in the queue and small pages: the replay's reading
  // keeps a page or two ahead of the archive and takes about two seconds, so the kill lands
  // while the range is part read. A burst as large as the rate (the default) let a fast machine
  // read it all in one.
  write_config(array.port(), R"(, "rate_limit": {"events_per_second": 2000, "burst": 200},
                                "queue": {"max_bytes": 20000})",
               R"(, "page_size": 200)");
  auto agent = start_agent();
  const auto range = inner_range(array->ledger(), 5);
  ASSERT_TRUE(test::wait_until([&] { return lines_in(archive) >= 5'000; }, 60s))
      << test::read_file(agent_log);
  ASSERT_EQ(qsanfwd({"replay", "-c", config.string(), "--device", "array-01", "--sink", "archive",
                     "--from", std::to_string(range.from), "--to", std::to_string(range.to)}),
            0)
      << text;
  // Watched in the store itself: `qsanfwd status` takes half a second under ASan, more on a
  // loaded machine, and once took so long that the replay was done before the kill.
  const auto store = state_store::open_read_only(dir / "state");
  ASSERT_TRUE(test::wait_until(
      [&] {
        const auto replays = logs::replay_book(*store).all();
        return !replays.empty() && replays.front().queued > 0;
      },
      30s))
      << test::read_file(agent_log);
  agent->kill(SIGKILL);
  agent->wait();
  auto r = replay_status();
  ASSERT_EQ(r["state"], "running") << r.dump();
  EXPECT_LT(r["queued"].get<std::size_t>(), range.lines) << "the kill came too late to tell";

  agent = start_agent();
  ASSERT_TRUE(test::wait_until(
      [&] {
        r = replay_status();
        return r.is_object() && r["state"] == "done";
      },
      30s))
      << test::read_file(agent_log);
  EXPECT_EQ(r["queued"], range.lines) << "each line of the range queued once more, no more";
  array->pause_live(true);
  const auto ledger = array->ledger();
  ASSERT_TRUE(test::wait_until([&] { return lines_in(archive) >= ledger.size() + range.lines; }, 20s));
  agent->kill(SIGTERM);
  EXPECT_EQ(agent->wait(), 0);
  const auto in_archive = log_events_in(archive);
  EXPECT_EQ(in_archive.count.size(), ledger.size());
  for (const auto& [id, n] : in_archive.count) {
    // A kill may send a batch twice (delivery is at least once); never less than asked.
    ASSERT_GE(n, inside(range, in_archive.stamped.at(id)) ? 2 : 1) << id;
  }
  EXPECT_NE(test::read_file(agent_log).find("resumed from"), std::string::npos);
}

}  // namespace
}  // namespace qsanfwd
