// Open alarms (issue 30): raised and cleared by the events that say so, kept in the state store
// across restarts, listed by `qsanfwd alarms` and `status`, and re-sent on request.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "sim/simulator.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/wait.hpp"

namespace qsanfwd {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;

struct alarms : ::testing::Test {
  test::temp_dir dir;
  std::filesystem::path config = dir / "config.json";
  std::filesystem::path events = dir / "events.jsonl";
  std::filesystem::path agent_log = dir / "agent.txt";
  std::string text;

  void write_config(std::uint16_t port) {
    test::write_file(config, R"({"state_dir": ")" + (dir / "state").string() + R"(",
      "devices": [{"name": "array-01", "url": "http://127.0.0.1:)" +
                                 std::to_string(port) +
                                 R"(", "username": "admin", "password": "password",
                   "logs": {"enabled": false}, "health": {"interval": "1s"}}],
      "sinks": [{"name": "archive", "type": "file", "path": ")" +
                                 events.string() + R"(",
                 "batch": {"max_delay": "100ms"}}],
      "http_api": {"listen": "127.0.0.1:0"}})");
  }

  std::unique_ptr<test::child_process> start_agent() {
    return std::make_unique<test::child_process>(
        test::qsanfwd_binary(), std::vector<std::string>{"run", "-c", config.string()}, agent_log);
  }

  /// Runs qsanfwd to completion; returns its exit status and leaves its output in `text`.
  int qsanfwd(const std::vector<std::string>& args) {
    const auto output = dir / "output.txt";
    std::filesystem::remove(output);
    test::child_process p(test::qsanfwd_binary(), args, output);
    const int status = p.wait(30s);
    text = std::filesystem::exists(output) ? test::read_file(output) : "";
    return status;
  }

  /// The alarms of the running agent's GET /api/status (its `nth` start's port), or null.
  json api_alarms(int nth) {
    const std::regex listening(R"(HTTP API listening on 127\.0\.0\.1:(\d+))");
    const auto log = test::read_file(agent_log);
    std::vector<std::string> ports;
    for (std::sregex_iterator m(log.begin(), log.end(), listening), end; m != end; ++m) {
      ports.push_back((*m)[1]);
    }
    if (ports.size() < static_cast<std::size_t>(nth)) {
      return nullptr;
    }
    namespace http = boost::beast::http;
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket socket(io);
    boost::system::error_code ec;
    socket.connect(
        {boost::asio::ip::make_address("127.0.0.1"),
         static_cast<std::uint16_t>(std::stoi(ports[static_cast<std::size_t>(nth - 1)]))},
        ec);
    if (ec) {
      return nullptr;
    }
    http::request<http::empty_body> get(http::verb::get, "/api/status", 11);
    get.set(http::field::host, "127.0.0.1");
    http::write(socket, get, ec);
    boost::beast::flat_buffer buffer;
    http::response<http::string_body> answer;
    http::read(socket, buffer, answer, ec);
    const auto body = json::parse(ec ? std::string() : answer.body(), nullptr, false);
    return body.is_object() && body.contains("alarms") ? body["alarms"] : json();
  }

  /// An alarm as both views show it, without the age (read at different instants).
  static std::vector<json> comparable(const json& alarms) {
    std::vector<json> out;
    for (const auto& a : alarms) {
      auto b = a;
      b.erase("age_seconds");
      out.push_back(b);
    }
    return out;
  }

  json open_alarms() {
    if (qsanfwd({"alarms", "-c", config.string(), "--json"}) != 0) {
      return nullptr;
    }
    return json::parse(text, nullptr, false);
  }

  /// Waits until the open alarms are exactly `keys` ("component/attribute"), in any order.
  bool alarms_become(std::vector<std::string> keys) {
    std::sort(keys.begin(), keys.end());
    return test::wait_until(
        [&] {
          const auto a = open_alarms();
          if (!a.is_array()) {
            return false;
          }
          std::vector<std::string> now;
          for (const auto& x : a) {
            now.push_back(x["component"].get<std::string>() + "/" +
                          x["attribute"].get<std::string>());
          }
          std::sort(now.begin(), now.end());
          return now == keys;
        },
        20s);
  }

  std::vector<json> written(const std::string& type) {
    std::vector<json> out;
    std::ifstream in(events);
    std::string line;
    while (std::getline(in, line)) {
      const auto e = json::parse(line, nullptr, false);
      if (e.is_object() && (e.value("type", "") == type || e.value("attribute", "") == type)) {
        out.push_back(e);
      }
    }
    return out;
  }
};

TEST_F(alarms, raised_kept_across_restarts_cleared_by_recovery_and_resent_on_request) {
  sim::options o;
  o.backlog = 0;
  auto array = std::make_unique<sim::running_simulator>(o);
  const auto port = array->port();
  write_config(port);
  auto agent = start_agent();
  ASSERT_TRUE(alarms_become({})) << text << test::read_file(agent_log);

  array->sim().fail_disk("e0d3");
  ASSERT_TRUE(alarms_become({"disk/health"})) << text << test::read_file(agent_log);
  const auto disk = open_alarms()[0];
  EXPECT_EQ(disk["device"], "array-01");
  EXPECT_EQ(disk["component_id"], "e0d3");
  EXPECT_EQ(disk["severity"], "critical");
  ASSERT_TRUE(test::wait_until([&] { return written("health").size() == 1; }, 10s));
  EXPECT_EQ(disk["event_id"], written("health")[0]["id"]) << "the event that raised it";

  // A SIEM that lost its state asks for the truth again.
  ASSERT_EQ(qsanfwd({"alarms", "-c", config.string(), "--resend"}), 0) << text;
  ASSERT_TRUE(test::wait_until([&] { return written("alarms_open").size() >= 2; }, 10s))
      << test::read_file(agent_log);
  const auto summary = written("alarms_open")[0];
  EXPECT_EQ(summary["device"], "array-01");
  EXPECT_EQ(summary["severity"], "critical");
  EXPECT_NE(summary["message"].get<std::string>().find("disk e0d3 health since"), std::string::npos)
      << summary.dump();
  EXPECT_EQ(written("alarms_open")[1]["severity"], "notice") << "the sinks: none failing";

  // The array goes away: a second alarm; both outlive the agent.
  array.reset();
  ASSERT_TRUE(alarms_become({"disk/health", "device/reachable"})) << test::read_file(agent_log);
  agent->kill(SIGTERM);
  ASSERT_EQ(agent->wait(), 0);
  ASSERT_EQ(qsanfwd({"status", "-c", config.string()}), 0);
  EXPECT_NE(text.find("alarms: 2 open\n  critical  array-01 disk e0d3 health  since "),
            std::string::npos)
      << text;

  // Restarted while the array is still away: the status page's JSON and `status --json` agree.
  agent = start_agent();
  std::vector<json> page;
  std::vector<json> status;
  EXPECT_TRUE(test::wait_until(
      [&] {
        page = comparable(api_alarms(2));
        if (qsanfwd({"status", "-c", config.string(), "--json"}) != 0) {
          return false;
        }
        status = comparable(json::parse(text)["alarms"]);
        return page.size() == 2 && page == status;
      },
      10s))
      << json(page).dump(1) << "\n"
      << json(status).dump(1);
  agent->kill(SIGTERM);
  ASSERT_EQ(agent->wait(), 0);

  // It comes back healthy while the agent is down: the new agent reports both recoveries, which
  // close the alarms a previous run opened.
  o.port = port;
  array = std::make_unique<sim::running_simulator>(o);
  agent = start_agent();
  ASSERT_TRUE(alarms_become({})) << test::read_file(agent_log);
  ASSERT_TRUE(test::wait_until([&] { return written("health").size() == 2; }, 10s));
  EXPECT_EQ(written("health")[1]["severity"], "notice");
  EXPECT_EQ(written("device_reachable").size(), 1u);
  agent->kill(SIGTERM);
  ASSERT_EQ(agent->wait(), 0);
}

}  // namespace
}  // namespace qsanfwd
