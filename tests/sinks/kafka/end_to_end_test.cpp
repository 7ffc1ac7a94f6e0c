// qsan-sim with a backlog, the real agent with a kafka sink, librdkafka's mock cluster in this
// process, a plain consumer: every line of the array's ledger arrives, each id once; after a
// kill -9 mid-drain and a restart nothing is lost (the batch in flight may come twice).
#include <gtest/gtest.h>
#include <signal.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <map>
#include <regex>

#include "agent/core/event.hpp"
#include "mock_kafka.hpp"
#include "sim/simulator.hpp"
#include "tests/support/archive.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/wait.hpp"

namespace qsanfwd {
namespace {

using namespace std::chrono_literals;

/// What a consumer read: each log event's line once, and how many ids came more than once.
struct arrived {
  std::vector<test::log_line> lines;
  std::size_t repeats = 0;
};

arrived lines_in(const std::vector<test::consumed>& messages) {
  std::map<std::string, int> seen;
  arrived out;
  for (const auto& m : messages) {
    const auto e = event_from_json(m.value);
    if (e.kind != event_kind::log) {
      continue;
    }
    if (++seen[e.id] == 1) {
      out.lines.emplace_back(e.timestamp, e.type, e.message);
    } else {
      ++out.repeats;
    }
  }
  std::sort(out.lines.begin(), out.lines.end());
  return out;
}

std::string config_text(const test::temp_dir& dir, std::uint16_t array_port,
                        const std::string& brokers, const std::string& extra) {
  return R"({ "state_dir": ")" + (dir / "state").string() + R"(",
    "http_api": { "listen": "127.0.0.1:0" },
    "devices": [ { "name": "array-01", "url": "http://127.0.0.1:)" +
         std::to_string(array_port) + R"(", "username": "admin", "password": "password",
      "logs": { "interval": "1s", "page_size": 500 }, "health": { "enabled": false } } ],
    "sinks": [ { "name": "bus", "type": "kafka", "brokers": ")" +
         brokers + R"(",
      "topic": "qsan.{kind}", "statistics_interval": "200ms", "start_at": "oldest",
      "retry": { "initial": "10ms", "max": "100ms" })" +
         extra + R"( } ] })";
}

/// The HTTP API's port, from the agent's log line saying where it listens.
std::uint16_t api_port(const std::filesystem::path& log) {
  static const std::regex listening(R"(HTTP API listening on 127\.0\.0\.1:(\d+))");
  std::uint16_t port = 0;
  test::wait_until([&] {
    std::smatch m;
    const auto text = test::read_file(log);
    if (std::regex_search(text, m, listening)) {
      port = static_cast<std::uint16_t>(std::stoi(m[1]));
    }
    return port != 0;
  });
  return port;
}

std::string metrics(std::uint16_t port) {
  namespace http = boost::beast::http;
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket s(io);
  s.connect({boost::asio::ip::make_address("127.0.0.1"), port});
  http::request<http::empty_body> req{http::verb::get, "/metrics", 11};
  req.set(http::field::host, "127.0.0.1");
  req.keep_alive(false);
  http::write(s, req);
  boost::beast::flat_buffer buf;
  http::response<http::string_body> res;
  http::read(s, buf, res);
  return res.body();
}

class kafka_end_to_end : public ::testing::Test {
 protected:
  kafka_end_to_end() { cluster_.create_topic("qsan.log", 3); }

  test::mock_kafka cluster_{3};
  test::temp_dir dir_;
};

TEST_F(kafka_end_to_end, a_backlog_arrives_each_id_once_and_the_metrics_show_the_producer) {
  sim::options o;
  o.backlog = 2000;
  o.backlog_per_second = 40;
  o.duplicate_ratio = 0.1;
  sim::running_simulator array(o);
  const auto config = dir_ / "config.json";
  test::write_file(config, config_text(dir_, array.port(), cluster_.bootstraps(), ""));
  const auto log = dir_ / "agent.log";
  test::child_process agent(test::qsanfwd_binary(), {"run", "-c", config.string()}, log);
  const auto expected = test::sorted_lines(array->ledger());
  test::kafka_reader reader(cluster_.bootstraps(), "qsan.log", 3);
  ASSERT_TRUE(test::wait_until(
      [&] {
        reader.read(100ms);
        return lines_in(reader.all()).lines.size() >= expected.size();
      },
      30s))
      << lines_in(reader.all()).lines.size() << " of " << expected.size() << "\n"
      << test::read_file(log);
  const auto got = lines_in(reader.all());
  EXPECT_TRUE(got.lines == expected);
  EXPECT_EQ(got.repeats, 0u);
  const auto port = api_port(log);
  ASSERT_NE(port, 0);
  std::string text;
  EXPECT_TRUE(test::wait_until([&] {
    text = metrics(port);
    return text.find("qsanfwd_sink_kafka_queue_messages{sink=\"bus\"} 0") != std::string::npos;
  })) << text;
  EXPECT_NE(text.find("# TYPE qsanfwd_sink_kafka_request_retries_total counter"),
            std::string::npos);
  agent.kill(SIGTERM);
  EXPECT_EQ(agent.wait(), 0);
}

TEST_F(kafka_end_to_end, a_kill_9_mid_drain_loses_nothing) {
  sim::options o;
  o.backlog = 3000;
  o.backlog_per_second = 40;
  sim::running_simulator array(o);
  const auto config = dir_ / "config.json";
  // Paced so that the kill lands while the backlog drains.
  test::write_file(config, config_text(dir_, array.port(), cluster_.bootstraps(),
                                       R"(, "batch": { "max_events": 100, "max_delay": "50ms" },
      "rate_limit": { "events_per_second": 2000, "burst": 100 })"));
  const auto expected = test::sorted_lines(array->ledger());
  test::kafka_reader reader(cluster_.bootstraps(), "qsan.log", 3);
  {
    test::child_process agent(test::qsanfwd_binary(), {"run", "-c", config.string()},
                              dir_ / "agent-1.log");
    ASSERT_TRUE(test::wait_until(
        [&] {
          reader.read(20ms);
          return reader.all().size() >= 500;
        },
        30s))
        << test::read_file(dir_ / "agent-1.log");
    agent.kill(SIGKILL);
    agent.wait();
  }
  const auto before_restart = lines_in(reader.all()).lines.size();
  EXPECT_LT(before_restart, expected.size()) << "the kill came after the drain";
  test::child_process agent(test::qsanfwd_binary(), {"run", "-c", config.string()},
                            dir_ / "agent-2.log");
  ASSERT_TRUE(test::wait_until(
      [&] {
        reader.read(100ms);
        return lines_in(reader.all()).lines.size() >= expected.size();
      },
      30s))
      << lines_in(reader.all()).lines.size() << " of " << expected.size() << "\n"
      << test::read_file(dir_ / "agent-2.log");
  const auto got = lines_in(reader.all());
  EXPECT_TRUE(got.lines == expected);
  // At most what was in flight at the kill: a batch, and what librdkafka had sent of the next.
  EXPECT_LE(got.repeats, 200u);
  RecordProperty("repeats", static_cast<int>(got.repeats));
  std::cout << "kill -9 at " << before_restart << " of " << expected.size()
            << " lines: " << got.repeats << " repeated after the restart\n";
  agent.kill(SIGTERM);
  EXPECT_EQ(agent.wait(), 0);
}

}  // namespace
}  // namespace qsanfwd
