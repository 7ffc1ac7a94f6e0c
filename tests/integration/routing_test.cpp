// Issue 25's routing end to end: one simulated array, four file sinks (everything, critical health
// for a pager, no access lines for a central store with fields and renames, error lines of one
// device glob or a
// pattern); each file holds exactly what its rules take, in queue order, once, and the sinks
// that take little are not behind.
#include <gtest/gtest.h>
#include <stdio.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>

#include "agent/core/event.hpp"
#include "sim/simulator.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/wait.hpp"

namespace qsanfwd {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;

/// Every complete line of a file sink's output, parsed.
std::vector<json> read_lines(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::vector<json> out;
  std::string line;
  while (std::getline(in, line)) {
    if (!in.eof()) {
      out.push_back(json::parse(line));
    }
  }
  return out;
}

std::vector<std::string> ids(const std::vector<json>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) {
    out.push_back(e["id"].get<std::string>());
  }
  return out;
}

std::vector<json> only(const std::vector<json>& events, const std::function<bool(const json&)>& f) {
  std::vector<json> out;
  std::copy_if(events.begin(), events.end(), std::back_inserter(out), f);
  return out;
}

std::string run_and_capture(const std::string& command) {
  std::string out;
  if (FILE* p = popen(command.c_str(), "r")) {
    char buf[4096];
    while (const auto n = fread(buf, 1, sizeof buf, p)) {
      out.append(buf, n);
    }
    pclose(p);
  }
  return out;
}

std::string config_text(const test::temp_dir& dir, std::uint16_t port) {
  const auto file = [&](const char* name) { return (dir / name).string(); };
  return R"({
    "state_dir": ")" + file("state") + R"(",
    "devices": [ { "name": "ams-01", "url": "http://127.0.0.1:)" + std::to_string(port) + R"(",
                   "username": "admin", "password": "password", "fields": { "site": "ams-1" },
                   "logs": { "interval": "1s" }, "health": { "interval": "1s" } } ],
    "sinks": [
      { "name": "all", "type": "file", "path": ")" + file("all.jsonl") + R"(",
        "batch": { "max_delay": "100ms" } },
      { "name": "pager", "type": "file", "path": ")" + file("pager.jsonl") + R"(",
        "batch": { "max_delay": "100ms" }, "fields": { "team": "storage", "site": "unset" },
        "match": { "kind": "health", "severity": { "at_least": "critical" } } },
      { "name": "central", "type": "file", "path": ")" + file("central.jsonl") + R"(",
        "batch": { "max_delay": "100ms" }, "exclude": { "type": "access" },
        "rename": { "message": "msg", "fields.site": "dc" }, "drop": ["serial"] },
      { "name": "errors", "type": "file", "path": ")" + file("errors.jsonl") + R"(",
        "batch": { "max_delay": "100ms" },
        "match": [ { "kind": "log", "type": "error", "device": "ams-*" },
                   { "kind": "log", "message": "^Pool \"[^\"]+\" used" } ] } ]
  })";
}

TEST(routing, each_sink_gets_what_its_rules_take_in_order_once_and_none_is_held_back) {
  sim::options o;
  o.backlog = 1500;
  sim::running_simulator array(o);
  test::temp_dir dir;
  const auto config = dir / "config.json";
  test::write_file(config, config_text(dir, array.port()));
  test::child_process agent(test::qsanfwd_binary(), {"run", "-c", config.string()},
                            dir / "agent.log");
  const auto has_failed_disk = [&](const std::vector<json>& events) {
    return std::any_of(events.begin(), events.end(), [](const json& e) {
      return e["kind"] == "health" && e["severity"] == "critical";
    });
  };
  ASSERT_TRUE(test::wait_until([&] { return read_lines(dir / "all.jsonl").size() >= 1500; }, 30s))
      << test::read_file(dir / "agent.log");
  array.sim().fail_disk("e0d3");
  ASSERT_TRUE(test::wait_until([&] { return has_failed_disk(read_lines(dir / "pager.jsonl")); },
                               30s))
      << test::read_file(dir / "agent.log");
  json status;
  ASSERT_TRUE(test::wait_until(
      [&] {
        status = json::parse(run_and_capture(test::qsanfwd_binary().string() +
                                             " status --json -c " + config.string() +
                                             " 2>/dev/null"),
                             nullptr, false);
        if (status.is_discarded()) {
          return false;
        }
        const auto& sinks = status["sinks"];
        return std::all_of(sinks.begin(), sinks.end(), [&](const json& s) {
          return s["undelivered_events"] == 0 && s["delivered"].get<std::int64_t>() +
                                                         s["filtered"].get<std::int64_t>() ==
                                                     sinks[0]["delivered"].get<std::int64_t>();
        });
      },
      30s))
      << status.dump(1);
  agent.kill(SIGTERM);
  ASSERT_EQ(agent.wait(), 0);

  const auto all = read_lines(dir / "all.jsonl");
  ASSERT_TRUE(has_failed_disk(all));
  // Each file: exactly the events of `all` its rules take, in the same order.
  const auto pager = read_lines(dir / "pager.jsonl");
  EXPECT_EQ(ids(pager), ids(only(all, [](const json& e) {
              return e["kind"] == "health" &&
                     (e["severity"] == "critical" || e["severity"] == "alert" ||
                      e["severity"] == "emergency");
            })));
  const auto central = read_lines(dir / "central.jsonl");
  EXPECT_EQ(ids(central),
            ids(only(all, [](const json& e) { return e.value("type", "") != "access"; })));
  const auto errors = read_lines(dir / "errors.jsonl");
  const auto error_lines = only(all, [](const json& e) {
    const auto message = e["message"].get<std::string>();
    return e["kind"] == "log" &&
           (e.value("type", "") == "error" ||
            (message.starts_with("Pool \"") && message.find("\" used") != std::string::npos));
  });
  EXPECT_FALSE(error_lines.empty());
  EXPECT_EQ(ids(errors), ids(error_lines));
  // Fields: the device's value wins over the sink's; renames and drops in the JSON written.
  for (const auto& e : pager) {
    EXPECT_EQ(e["fields"], (json{{"site", "ams-1"}, {"team", "storage"}})) << e;
  }
  for (const auto& e : central) {
    EXPECT_FALSE(e.contains("message")) << e;
    EXPECT_TRUE(e["msg"].is_string()) << e;
    EXPECT_FALSE(e.contains("serial")) << e;
    EXPECT_EQ(e["fields"], (json{{"dc", "ams-1"}})) << e;
  }
  for (const auto& e : all) {
    EXPECT_EQ(e["fields"], (json{{"site", "ams-1"}})) << e;
  }
  // Every sink's cursor is at the end of the queue: the filtered events did not hold one back.
  for (const auto& s : status["sinks"]) {
    EXPECT_EQ(s["undelivered_events"], 0) << s;
  }
  EXPECT_GT(status["sinks"][1]["filtered"].get<std::int64_t>(), 1400) << status.dump(1);
}

}  // namespace
}  // namespace qsanfwd
