// qsan-sim with a backlog, the real agent with one HTTP sink per format, one recording server:
// every format carries the whole ledger, each line once after dropping repeats by event id.
#include <gtest/gtest.h>
#include <signal.h>

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

}  // namespace
}  // namespace qsanfwd
