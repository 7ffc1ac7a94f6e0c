// Several arrays on one agent: each healthy array's ledger arrives exactly once while others are
// unreachable, slow or refuse the login, and none holds another back.
#include <gtest/gtest.h>
#include <signal.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <algorithm>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "agent/core/event.hpp"
#include "sim/simulator.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/wait.hpp"

namespace qsanfwd {
namespace {

using namespace std::chrono_literals;

constexpr const char* password = "fleet-Pw-3";

sim::options array(std::size_t backlog, std::string pw = password) {
  sim::options o;
  o.password = std::move(pw);
  o.backlog = backlog;
  o.backlog_per_second = 50;
  return o;
}

/// A port nothing listens on: bound by the OS, then closed.
std::uint16_t closed_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}

std::string device(const std::string& name, std::uint16_t port) {
  return R"({"name": ")" + name + R"(", "url": "http://127.0.0.1:)" + std::to_string(port) +
         R"(", "username": "admin", "password": ")" + password +
         R"(", "timeout": "5s", "logs": {"interval": "1s"}})";
}

/// How often each log event's id is in the file, per device.
std::map<std::string, std::map<std::string, int>> log_ids_by_device(const std::filesystem::path& f) {
  std::map<std::string, std::map<std::string, int>> out;
  std::istringstream lines(std::filesystem::exists(f) ? test::read_file(f) : "");
  std::string line;
  while (std::getline(lines, line)) {
    if (const auto e = event_from_json(line); e.kind == event_kind::log) {
      ++out[e.device][e.id];
    }
  }
  return out;
}

TEST(fleet, healthy_arrays_arrive_exactly_once_beside_unreachable_slow_and_refusing_ones) {
  test::temp_dir dir;
  sim::running_simulator healthy(array(20'000));
  sim::running_simulator slow(array(3'000));
  sim::running_simulator refusing(array(100, "not-the-configured-one"));
  sim::fault_settings lag;
  lag.delay = 0.3;
  lag.delay_for = duration{300};
  slow->set_faults(lag);
  const auto out = dir / "events.jsonl";
  const auto config = dir / "config.json";
  test::write_file(config, R"({"state_dir": ")" + (dir / "state").string() + R"(", "devices": [)" +
                               device("healthy", healthy.port()) + "," +
                               device("unreachable", closed_port()) + "," +
                               device("slow", slow.port()) + "," +
                               device("refusing", refusing.port()) +
                               R"(], "sinks": [{"name": "archive", "type": "file", "path": ")" +
                               out.string() + R"("}]})");
  const auto log = dir / "agent.txt";
  test::child_process agent(test::qsanfwd_binary(), {"run", "-c", config.string()}, log);
  const auto arrived = [&] {
    const auto ids = log_ids_by_device(out);
    const auto count = [&](const std::string& d) { return ids.contains(d) ? ids.at(d).size() : 0; };
    return count("healthy") >= 20'000 && count("slow") >= 3'000;
  };
  ASSERT_TRUE(test::wait_until(arrived, 60s)) << test::read_file(log);
  const auto ids = log_ids_by_device(out);
  EXPECT_EQ(ids.at("healthy").size(), healthy->ledger().size());
  EXPECT_EQ(ids.at("slow").size(), slow->ledger().size());
  for (const auto& [dev, seen] : ids) {
    for (const auto& [id, n] : seen) {
      ASSERT_EQ(n, 1) << dev << " " << id;
    }
  }
  EXPECT_FALSE(ids.contains("refusing"));
  EXPECT_FALSE(ids.contains("unreachable"));

  // `status` names what is wrong with each of the other two, once their first cycles failed.
  const auto status_file = dir / "status.json";
  std::map<std::string, std::string> log_errors;
  const auto read_status = [&] {
    std::filesystem::remove(status_file);
    test::child_process status(test::qsanfwd_binary(),
                               {"status", "-c", config.string(), "--json"}, status_file);
    if (status.wait(30s) != 0) {
      return false;
    }
    log_errors.clear();
    const auto parsed = nlohmann::json::parse(test::read_file(status_file), nullptr, false);
    if (!parsed.is_object()) {
      return false;
    }
    for (const auto& d : parsed["devices"]) {
      const auto& logs = d["logs"];
      log_errors[d["name"].get<std::string>()] =
          logs.is_object() && logs["last_error"].is_string() ? logs["last_error"].get<std::string>()
                                                             : "";
    }
    return !log_errors["unreachable"].empty() && !log_errors["refusing"].empty();
  };
  ASSERT_TRUE(test::wait_until(read_status, 20s)) << test::read_file(status_file);
  EXPECT_EQ(log_errors.size(), 4u);
  EXPECT_NE(log_errors["unreachable"].find("Connection refused"), std::string::npos)
      << log_errors["unreachable"];
  EXPECT_NE(log_errors["refusing"].find("HTTP 401"), std::string::npos) << log_errors["refusing"];
  EXPECT_EQ(log_errors["healthy"], "");
  EXPECT_EQ(log_errors["slow"], "");
  EXPECT_EQ(test::read_file(log).find(password), std::string::npos);
  agent.kill(SIGTERM);
  EXPECT_EQ(agent.wait(), 0);
}

/// Logins and token refreshes an array has seen: a device that kept its session adds none.
std::uint64_t sessions(sim::running_simulator& a) {
  const auto st = a->stats();
  return st.logins + st.refreshes;
}

TEST(fleet, a_reload_restarts_only_the_devices_it_changes) {
  test::temp_dir dir;
  std::vector<std::unique_ptr<sim::running_simulator>> arrays;
  for (int i = 0; i < 4; ++i) {
    arrays.push_back(std::make_unique<sim::running_simulator>(array(200)));
  }
  const auto out = dir / "events.jsonl";
  const auto config = dir / "config.json";
  const auto write_config = [&](const std::vector<std::string>& devices) {
    std::string list;
    for (const auto& d : devices) {
      list += (list.empty() ? "" : ",") + d;
    }
    test::write_file(config, R"({"state_dir": ")" + (dir / "state").string() +
                                 R"(", "devices": [)" + list +
                                 R"(], "sinks": [{"name": "archive", "type": "file", "path": ")" +
                                 out.string() + R"("}]})");
  };
  const auto dev = [&](std::size_t i) { return device("a" + std::to_string(i), arrays[i]->port()); };
  write_config({dev(0), dev(1), dev(2)});
  const auto log = dir / "agent.txt";
  test::child_process agent(test::qsanfwd_binary(), {"run", "-c", config.string()}, log);
  const auto all_arrived = [&](std::vector<std::size_t> which) {
    return [&, which] {
      const auto ids = log_ids_by_device(out);
      return std::all_of(which.begin(), which.end(), [&](std::size_t i) {
        const auto name = "a" + std::to_string(i);
        return ids.contains(name) && ids.at(name).size() == (*arrays[i])->ledger().size();
      });
    };
  };
  ASSERT_TRUE(test::wait_until(all_arrived({0, 1, 2}), 30s)) << test::read_file(log);
  const auto before = std::vector<std::uint64_t>{sessions(*arrays[0]), sessions(*arrays[1]),
                                                 sessions(*arrays[2])};

  // a1 edited (its interval), a2 removed, a3 added; a0 untouched.
  auto edited = dev(1);
  edited.replace(edited.find(R"("interval": "1s")"), 16, R"("interval": "2s")");
  write_config({dev(0), edited, dev(3)});
  agent.kill(SIGHUP);
  ASSERT_TRUE(test::wait_until(
      [&] {
        return test::read_file(log).find("SIGHUP: devices added: 1; removed: 1; changed "
                                         "(restarting): 1; the other 1 device(s)") !=
               std::string::npos;
      },
      10s))
      << test::read_file(log);
  for (auto& a : arrays) {
    (*a)->add_logs(50);
  }
  ASSERT_TRUE(test::wait_until(all_arrived({0, 1, 3}), 30s)) << test::read_file(log);
  EXPECT_EQ(sessions(*arrays[0]), before[0]) << "a0 kept its session";
  EXPECT_GT(sessions(*arrays[1]), before[1]) << "a1 started again";
  const auto ids = log_ids_by_device(out);
  EXPECT_LT(ids.at("a2").size(), (*arrays[2])->ledger().size()) << "a2 is no longer read";
  for (const auto& [d, seen] : ids) {
    for (const auto& [id, n] : seen) {
      ASSERT_EQ(n, 1) << d << " " << id;
    }
  }
  // A new password alone (the effective configuration shows "***" for both) restarts a1 too.
  auto new_password = edited;
  new_password.replace(new_password.find(password), std::string(password).size(), "rotated-Pw-4");
  write_config({dev(0), new_password, dev(3)});
  agent.kill(SIGHUP);
  ASSERT_TRUE(test::wait_until(
      [&] {
        const auto t = test::read_file(log);
        const std::string restarted = "a1: stopped (reload); starting with its new settings";
        const auto first = t.find(restarted);
        return t.find("changed (restarting): 1; the other 2 device(s)") != std::string::npos &&
               first != std::string::npos && t.find(restarted, first + 1) != std::string::npos;
      },
      10s))
      << test::read_file(log);
  const auto text = test::read_file(log);
  EXPECT_NE(text.find("a1: stopped (reload)"), std::string::npos) << text;
  EXPECT_EQ(text.find("a0: stopped"), std::string::npos) << text;
  EXPECT_EQ(text.find("restarting devices and sinks"), std::string::npos) << text;
  agent.kill(SIGTERM);
  EXPECT_EQ(agent.wait(), 0);
}

}  // namespace
}  // namespace qsanfwd
