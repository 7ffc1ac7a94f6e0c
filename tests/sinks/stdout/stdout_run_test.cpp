// `qsanfwd run` with a stdout sink against a simulated array, its stdout and stderr in one
// file as `2>&1` or the journal would have them: every event is a line of its own, whole, and
// no log line lands inside one.
#include <gtest/gtest.h>
#include <signal.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "sim/simulator.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/wait.hpp"

namespace qsanfwd {
namespace {

using namespace std::chrono_literals;

constexpr std::size_t backlog = 42;

TEST(stdout_run, the_agent_prints_each_event_as_a_line_of_its_own) {
  sim::options array;
  array.password = "pw-for-the-stdout-test";
  array.backlog = backlog;
  array.duplicate_ratio = 0;
  sim::running_simulator sim(array);
  test::temp_dir dir;
  const auto config = dir / "config.json";
  test::write_file(config, R"({
    "state_dir": ")" + (dir / "state").string() +
                               R"(",
    "log_level": "debug",
    "devices": [ { "name": "array-01", "url": ")" +
                               sim.base_url() + R"(",
                   "username": "admin", "password": "pw-for-the-stdout-test" } ],
    "sinks": [ { "name": "console", "type": "stdout", "batch": { "max_events": 5 } } ]
  })");
  const auto output = dir / "output.txt";
  test::child_process agent(test::qsanfwd_binary(), {"run", "-c", config.string()}, output);
  const auto log_events = [&] {
    std::istringstream in(test::read_file(output));
    std::size_t n = 0;
    for (std::string line; std::getline(in, line);) {
      n += line.starts_with("{") && line.find(R"("kind":"log")") != std::string::npos;
    }
    return n;
  };
  EXPECT_TRUE(test::wait_until([&] { return log_events() >= backlog; }, 20s))
      << test::read_file(output);
  agent.kill(SIGTERM);
  ASSERT_EQ(agent.wait(), 0) << test::read_file(output);
  const auto text = test::read_file(output);
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  const std::regex log_line(
      R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[-+]\d\d:?\d\d \w+ [\w.-]+: .*)");
  std::set<std::string> ids;
  std::size_t logs = 0, agent_lines = 0;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.starts_with("{")) {
      EXPECT_TRUE(std::regex_match(line, log_line)) << "not a log line: " << line;
      ++agent_lines;
      continue;
    }
    const auto e = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(e.is_discarded()) << "not a whole event: " << line;
    EXPECT_TRUE(ids.insert(e["id"].get<std::string>()).second) << "twice: " << line;
    logs += e["kind"] == "log";
  }
  EXPECT_EQ(logs, backlog);
  EXPECT_GT(agent_lines, 0U) << "the agent's own log is in the same file";
}

}  // namespace
}  // namespace qsanfwd
