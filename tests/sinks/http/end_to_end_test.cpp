// qsan-sim with a backlog, the real agent with one HTTP sink per format, one recording server:
// every format carries the whole ledger, each line once after dropping repeats by event id.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <condition_variable>
#include <fstream>
#include <map>
#include <mutex>
#include <set>

#include "sim/simulator.hpp"
#include "tests/sinks/http/helpers.hpp"
#include "tests/sinks/http/recording_server.hpp"
#include "tests/support/archive.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/wait.hpp"

namespace qsanfwd {
namespace {

using namespace std::chrono_literals;
using sinks::http_format;

const std::vector<std::pair<std::string, http_format>> formats = {
    {"ndjson", http_format::ndjson},
    {"json_array", http_format::json_array},
    {"splunk_hec", http_format::splunk_hec},
    {"elasticsearch", http_format::elasticsearch},
    {"loki", http_format::loki},
    {"otlp", http_format::otlp}};

/// The log lines the server received for `format` (sent to /<format>), each event id once.
std::vector<test::log_line> received(const test::recording_server& server,
                                     const std::string& format, http_format f) {
  std::set<std::string> seen;
  std::vector<test::log_line> out;
  for (const auto& r : server.requests()) {
    if (r.target != "/" + format) {
      continue;
    }
    const auto body = r.header("content-encoding") == "gzip" ? test::gunzip(r.body) : r.body;
    for (const auto& e : test::events_in(f, body)) {
      if (e.kind == event_kind::log && seen.insert(e.id).second) {
        out.emplace_back(e.timestamp, e.type, e.message);
      }
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(http_end_to_end, a_backlog_reaches_every_format_complete) {
  test::temp_dir dir;
  sim::options o;
  o.backlog = 3000;
  o.backlog_per_second = 40;
  o.duplicate_ratio = 0.1;
  sim::running_simulator array(o);
  test::recording_server server;
  std::string sinks;
  for (const auto& [name, f] : formats) {
    sinks += std::string(sinks.empty() ? "" : ",") + R"({ "name": ")" + name +
             R"(", "type": "http", "url": ")" + server.url("/" + name) + R"(", "format": ")" +
             name +
             R"(", "start_at": "oldest", "batch": { "max_events": 300, "max_delay": "100ms",)" +
             R"( "max_bytes": 100000 }, "retry": { "initial": "10ms", "max": "100ms" })" +
             (f == http_format::splunk_hec ? R"(, "token": "hec-token")" : "") +
             (f == http_format::otlp ? R"(, "compression": "gzip")" : "") + "}";
  }
  const auto config = dir / "config.json";
  test::write_file(config,
                   R"({ "state_dir": ")" + (dir / "state").string() +
                       R"(", "devices": [ { "name": "array-01", "url": "http://127.0.0.1:)" +
                       std::to_string(array.port()) +
                       R"(", "username": "admin", "password": "password",
       "logs": { "interval": "1s", "page_size": 500 }, "health": { "enabled": false } } ],
     "sinks": [ )" + sinks +
                       "] }");
  const auto log = dir / "agent.log";
  test::child_process agent(test::qsanfwd_binary(), {"run", "-c", config.string()}, log);
  const auto expected = test::sorted_lines(array->ledger());
  for (const auto& [name, f] : formats) {
    SCOPED_TRACE(name);
    const bool complete =
        test::wait_until([&] { return received(server, name, f).size() >= expected.size(); }, 60s);
    ASSERT_TRUE(complete) << received(server, name, f).size() << " of " << expected.size()
                          << " lines received\n"
                          << test::read_file(log);
    EXPECT_TRUE(received(server, name, f) == expected) << expected.size() << " ledger lines";
  }
  agent.kill(SIGTERM);
  EXPECT_EQ(agent.wait(), 0);
  for (const auto& r : server.requests()) {
    EXPECT_LE(r.body.size(), 100000U);
  }
}

/// A receiver that refuses everything (400) until fixed, and then can hold one request until
/// released, so that a replay can be killed while the sink has a batch in hand.
struct fixable_receiver {
  std::mutex m;
  std::condition_variable released;
  bool refusing = true;
  int hold_at = 0;  ///< the Nth accepted request waits for release(); 0: none
  int accepted = 0;
  bool let_go = false;

  test::scripted_response answer() {
    std::unique_lock lock(m);
    if (refusing) {
      return {400, R"({"error":"mapping conflict"})"};
    }
    if (++accepted == hold_at) {
      released.wait_for(lock, 30s, [&] { return let_go; });
    }
    return {};
  }
  void fix(int hold) {
    std::lock_guard lock(m);
    refusing = false;
    hold_at = hold;
  }
  void release() {
    std::lock_guard lock(m);
    let_go = true;
    released.notify_all();
  }
};

/// The ids of the log events in `file`'s dead letters.
std::set<std::string> dead_log_ids(const std::filesystem::path& file) {
  std::set<std::string> out;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    const auto e = event_from_json(nlohmann::json::parse(line).at("event").dump());
    if (e.kind == event_kind::log) {
      out.insert(e.id);
    }
  }
  return out;
}

TEST(http_end_to_end, refused_events_replayed_once_fixed_arrive_even_across_a_killed_replay) {
  test::temp_dir dir;
  sim::options o;
  o.backlog = 400;
  sim::running_simulator array(o);
  fixable_receiver receiver;
  test::recording_server server(std::nullopt, [&](const auto&) { return receiver.answer(); });
  const auto config = dir / "config.json";
  test::write_file(config, R"({ "state_dir": ")" + (dir / "state").string() +
                               R"(", "devices": [ { "name": "array-01", "url": "http://127.0.0.1:)" +
                               std::to_string(array.port()) +
                               R"(", "username": "admin", "password": "password",
       "logs": { "interval": "1s", "page_size": 500 }, "health": { "enabled": false } } ],
     "sinks": [ { "name": "siem", "type": "http", "url": ")" +
                               server.url("/in") + R"(", "format": "ndjson",
       "batch": { "max_events": 50, "max_delay": "50ms" },
       "retry": { "initial": "10ms", "max": "100ms" } } ] })");
  const auto dead = dir / "state" / "dead-letter" / "siem.jsonl";
  {
    test::child_process agent(test::qsanfwd_binary(), {"run", "-c", config.string()},
                              dir / "agent.log");
    ASSERT_TRUE(test::wait_until(
        [&] { return std::filesystem::exists(dead) && dead_log_ids(dead).size() >= 400; }, 60s))
        << test::read_file(dir / "agent.log");
    agent.kill(SIGTERM);
    ASSERT_EQ(agent.wait(), 0);
  }
  const auto refused = dead_log_ids(dead);
  int runs = 0;
  const auto cli = [&](const std::vector<std::string>& args) {
    const auto out = dir / ("cli-" + std::to_string(++runs) + ".log");
    test::child_process p(test::qsanfwd_binary(), args, out);
    const int status = p.wait(60s);
    return std::make_pair(status, test::read_file(out));
  };
  const auto [listed, summary] = cli({"dead-letter", "list", "-c", config.string()});
  EXPECT_EQ(listed, 0);
  EXPECT_NE(summary.find("HTTP 400"), std::string::npos)
      << summary;

  // Fixed; the replay is killed with its third batch in the receiver's hands.
  receiver.fix(3);
  {
    test::child_process replay(test::qsanfwd_binary(),
                               {"dead-letter", "replay", "-c", config.string(), "--sink", "siem"},
                               dir / "replay.log");
    ASSERT_TRUE(test::wait_until(
        [&] {
          std::lock_guard lock(receiver.m);
          return receiver.accepted >= 3;
        },
        30s));
    replay.kill(SIGKILL);
    replay.wait();
  }
  receiver.release();
  const auto [replayed, said] =
      cli({"dead-letter", "replay", "-c", config.string(), "--sink", "siem"});
  EXPECT_EQ(replayed, 0) << said;
  EXPECT_NE(said.find("going on with the replay a kill interrupted"), std::string::npos) << said;
  EXPECT_NE(said.find("siem: 300 delivered, 0 refused again"), std::string::npos)
      << said << "(the two batches the receiver took before the kill are not sent again)";

  // Every refused event arrived; at most the batch in flight at the kill twice.
  std::map<std::string, int> arrived;
  for (const auto& r : server.requests()) {
    if (r.status == 200) {
      for (const auto& e : test::events_in(http_format::ndjson, r.body)) {
        ++arrived[e.id];
      }
    }
  }
  int twice = 0;
  for (const auto& id : refused) {
    EXPECT_TRUE(arrived.contains(id)) << id << " was never delivered";
    twice += arrived[id] > 1 ? 1 : 0;
  }
  EXPECT_LE(twice, 50);
  const auto [after, none] = cli({"dead-letter", "list", "-c", config.string(), "--json"});
  EXPECT_EQ(after, 0);
  EXPECT_EQ(nlohmann::json::parse(none)[0]["events"], 0) << none;
}

}  // namespace
}  // namespace qsanfwd
