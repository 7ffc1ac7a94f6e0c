// Torture 2: the syslog receiver (a real rsyslogd, TCP) is down for a while during live inflow.
// The agent keeps its events queued for that sink, keeps the file sink going meanwhile, and
// delivers everything once the receiver is back: nothing lost, nothing doubled.
//
// Plain TCP syslog has no acknowledgement: what the receiver's kernel accepted but rsyslog
// never wrote when it died is lost without the sender knowing. That window is not the agent's
// to close, so the receiver is stopped only when it holds everything sent so far: the inflow is
// paused, rsyslog's output is awaited until it has every event, then it is killed and the
// inflow resumes for the outage.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <map>
#include <regex>
#include <set>

#include "agent/core/event.hpp"
#include "sim/simulator.hpp"
#include "tests/sinks/syslog/rsyslog_fixture.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/wait.hpp"
#include "tests/torture/torture.hpp"

namespace qsanfwd::torture {
namespace {

using namespace std::chrono_literals;

constexpr double live_rate = 100;  // lines per second

/// The log events rsyslog recorded: how often each event id arrived.
std::map<std::string, std::size_t> received_log_ids(const test::rsyslog& server) {
  static const std::regex id(R"(event_id="([^"]+)\")");
  std::map<std::string, std::size_t> out;
  for (const auto& r : server.records_of("tcp")) {
    const auto sd = r.at("structured-data").get<std::string>();
    std::smatch m;
    if (sd.find("kind=\"log\"") != std::string::npos && std::regex_search(sd, m, id)) {
      ++out[m[1].str()];
    }
  }
  return out;
}

/// The ids of the log events in the file sink.
std::set<std::string> file_log_ids(const std::filesystem::path& file) {
  std::set<std::string> out;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line) && !in.eof()) {
    const auto e = event_from_json(line);
    if (e.kind == event_kind::log) {
      out.insert(e.id);
    }
  }
  return out;
}

/// Whether the file sink has every ledger line and rsyslog every event of the file sink.
bool everything_arrived(sim::running_simulator& array, const std::filesystem::path& file,
                        const test::rsyslog& server) {
  const auto ledger = array->log_count();
  const auto in_file = file_log_ids(file);
  if (in_file.size() < ledger) {
    return false;
  }
  const auto received = received_log_ids(server);
  return std::all_of(in_file.begin(), in_file.end(),
                     [&](const std::string& i) { return received.contains(i); });
}

class sink_outage : public ::testing::TestWithParam<size> {};

TEST_P(sink_outage, syslog_receiver_down_during_inflow_loses_and_doubles_nothing) {
  const auto outage = is_long(GetParam()) ? 120s : 5s;
  test::temp_dir dir;
  test::rsyslog server(dir / "rsyslog");
  sim::options o;
  o.backlog = 2000;
  o.backlog_per_second = 20;
  o.live_rate = live_rate;
  o.seed = seed();
  sim::running_simulator array(o);
  auto config = agent_config(dir / "state", array.port());
  config["sinks"].push_back(file_sink("archive", dir / "out.jsonl"));
  config["sinks"].push_back(syslog_tcp_sink("siem", server.tcp_port));
  write_config(dir / "config.json", config);
  const auto log = dir / "agent.log";
  const auto out = dir / "out.jsonl";
  test::child_process agent(test::qsanfwd_binary(), {"run", "-c", (dir / "config.json").string()},
                            log);

  // Both sinks hold the backlog and some live lines; then everything sent so far arrives.
  ASSERT_TRUE(test::wait_until([&] { return file_log_ids(out).size() > o.backlog + 100; }, 60s))
      << test::read_file(log);
  array->pause_live(true);
  ASSERT_TRUE(test::wait_until([&] { return everything_arrived(array, out, server); }, 30s))
      << "before the outage: file " << file_log_ids(out).size() << ", rsyslog "
      << received_log_ids(server).size() << " of " << array->log_count();
  server.kill();

  // The outage, measured by the inflow: the file sink must go on receiving while syslog is down.
  const auto before = file_log_ids(out).size();
  array->pause_live(false);
  const auto during =
      static_cast<std::size_t>(live_rate * 0.9 * std::chrono::duration<double>(outage).count());
  const bool file_went_on =
      test::wait_until([&] { return file_log_ids(out).size() >= before + during; }, outage + 30s);
  ASSERT_TRUE(agent.running()) << test::read_file(log);
  EXPECT_TRUE(file_went_on) << "the file sink was held back by the syslog outage: "
                            << file_log_ids(out).size() - before << " lines in the outage";
  EXPECT_FALSE(lines_with(log, {"sink.siem", "cannot send"}).empty())
      << "the outage was not logged:\n"
      << test::read_file(log);

  server.start();
  // Some inflow after the receiver is back too, then a fixed ledger to compare with.
  const auto back = file_log_ids(out).size();
  ASSERT_TRUE(test::wait_until([&] { return file_log_ids(out).size() >= back + 100; }, 30s));
  array->pause_live(true);
  const bool arrived =
      test::wait_until([&] { return everything_arrived(array, out, server); }, 120s);
  agent.kill(SIGTERM);
  EXPECT_EQ(agent.wait(), 0);

  const auto expected = test::sorted_lines(array->ledger());
  const auto file = compare(expected, read_output(out).archive);
  const auto received = received_log_ids(server);
  const auto in_file = file_log_ids(out);
  std::size_t missing = 0;
  for (const auto& i : in_file) {
    missing += received.contains(i) ? 0u : 1u;
  }
  std::size_t doubled = 0;
  for (const auto& [i, times] : received) {
    doubled += times - 1;
  }
  std::cout << "sink outage of " << std::chrono::duration<double>(outage).count() << " s: file "
            << file << "; rsyslog received " << received.size() << " of " << in_file.size()
            << ", missing " << missing << ", doubled " << doubled << "\n";
  ASSERT_TRUE(arrived) << "the agent did not deliver everything after the outage";
  EXPECT_EQ(file.lost, 0u);
  EXPECT_EQ(file.extra, 0u);
  EXPECT_EQ(file.repeated, 0u);
  EXPECT_EQ(missing, 0u);
  EXPECT_EQ(received.size(), in_file.size());
  // The receiver died holding everything sent to it, and the sink notices a closed connection
  // before it writes on it: no batch was in flight, so nothing may arrive twice.
  EXPECT_EQ(doubled, 0u);
}

INSTANTIATE_TEST_SUITE_P(short_run, sink_outage, ::testing::Values(size::short_run), size_name);
INSTANTIATE_TEST_SUITE_P(long_run, sink_outage, ::testing::Values(size::long_run), size_name);

}  // namespace
}  // namespace qsanfwd::torture
