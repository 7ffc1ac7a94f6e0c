// `qsanfwd top` in a real terminal: tmux (a private server, an 80 x 24 window) runs it against a
// live agent reading two simulated arrays; what tmux shows is read with capture-pane.
#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <functional>
#include <iostream>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "sim/simulator.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/wait.hpp"

namespace qsanfwd {
namespace {

using namespace std::chrono_literals;

const std::filesystem::path tmux_program = "/usr/bin/tmux";

/// A tmux server of the test's own (its socket in the test's directory), killed at the end
/// whatever happened.
class tmux_server {
 public:
  explicit tmux_server(const test::temp_dir& dir) : dir_(dir), socket_(dir / "tmux.sock") {}
  ~tmux_server() { run({"kill-server"}); }
  tmux_server(const tmux_server&) = delete;
  tmux_server& operator=(const tmux_server&) = delete;

  /// Runs `tmux -S SOCKET args...` and returns what it printed.
  std::string run(const std::vector<std::string>& args) {
    std::vector<std::string> all{"-S", socket_.string(), "-f", "/dev/null"};
    all.insert(all.end(), args.begin(), args.end());
    const auto out = dir_ / ("tmux-" + std::to_string(++calls_) + ".out");
    test::child_process tmux(tmux_program, all, out);
    tmux.wait(10s);
    return std::filesystem::exists(out) ? test::read_file(out) : std::string();
  }

  /// The pane as it looks, wrapped lines joined (so a line too wide shows as one).
  std::string screen() { return run({"capture-pane", "-p", "-J", "-t", "top"}); }
  /// "1 0": the alternate screen on, the cursor hidden.
  std::string modes() {
    return run({"display-message", "-p", "-t", "top", "#{alternate_on} #{cursor_flag}"});
  }

 private:
  const test::temp_dir& dir_;
  std::filesystem::path socket_;
  int calls_ = 0;
};

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) {
    out.push_back(l);
  }
  return out;
}

/// The widest line's code points: what a terminal column holds for the text top draws here.
std::size_t widest(const std::string& screen) {
  std::size_t most = 0;
  for (const auto& line : lines_of(screen)) {
    std::size_t n = 0;
    for (const char c : line) {
      n += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
    }
    most = std::max(most, n);
  }
  return most;
}

/// The name in the first row below the table's heading, or "".
std::string first_row(const std::string& screen) {
  const auto lines = lines_of(screen);
  for (std::size_t i = 0; i + 1 < lines.size(); ++i) {
    if (lines[i].rfind("KIND NAME", 0) == 0) {
      std::istringstream row(lines[i + 1]);
      std::string kind, name;
      row >> kind >> name;
      return name;
    }
  }
  return "";
}

/// The port of the agent's "HTTP API listening" line, once it is in `log`; 0 if not within 20 s.
std::uint16_t listening_port(const std::filesystem::path& log) {
  static const std::regex listening(R"(HTTP API listening on 127\.0\.0\.1:(\d+))");
  std::smatch m;
  std::string text;
  test::wait_until(
      [&] {
        text = test::read_file(log);
        return std::regex_search(text, m, listening);
      },
      20s);
  return m.empty() ? 0 : static_cast<std::uint16_t>(std::stoi(m[1]));
}

std::string config_text(const test::temp_dir& dir, std::uint16_t port1, std::uint16_t port2) {
  const auto device = [](const char* name, std::uint16_t port) {
    return std::string(R"({ "name": ")") + name + R"(", "url": "http://127.0.0.1:)" +
           std::to_string(port) + R"(", "username": "admin", "password": "password",
           "logs": { "interval": "1s" }, "health": { "interval": "1s" } })";
  };
  return R"({ "state_dir": ")" + (dir / "state").string() + R"(",
    "http_api": { "listen": "127.0.0.1:0" }, "shutdown_timeout": "2s",
    "devices": [ )" +
         device("array-01", port1) + ", " + device("array-02", port2) + R"( ],
    "sinks": [ { "name": "events", "type": "file", "path": ")" +
         (dir / "archive.jsonl").string() + R"(" } ] })";
}

TEST(top, draws_trouble_first_within_80_columns_and_restores_the_terminal_on_q) {
  ASSERT_TRUE(std::filesystem::exists(tmux_program))
      << "tmux is missing (.ci/setup.sh installs it)";
  test::temp_dir dir;
  sim::options o;
  o.backlog = 50;
  o.live_rate = 5;
  sim::running_simulator array1(o);
  sim::running_simulator array2(o);
  test::write_file(dir / "config.json", config_text(dir, array1.port(), array2.port()));
  const auto log = dir / "agent.log";
  test::child_process agent(test::qsanfwd_binary(), {"run", "-c", (dir / "config.json").string()},
                            log);
  const auto port = listening_port(log);
  ASSERT_NE(port, 0) << test::read_file(log);

  tmux_server tmux(dir);
  const auto file = [&dir](const char* name) { return (dir / name).string(); };
  // The pane's shell notes the terminal's settings before and after, then top's exit status.
  const auto script = "stty -g > " + file("stty.before") + "; " + test::qsanfwd_binary().string() +
                      " top --url http://127.0.0.1:" + std::to_string(port) +
                      " --interval 300ms; rc=$?; stty -g > " + file("stty.after") +
                      "; echo $rc > " + file("top.exit") + "; exec sleep 60";
  tmux.run({"new-session", "-d", "-x", "80", "-y", "24", "-s", "top", "sh", "-c", script});

  std::string screen;
  const auto shows = [&](const std::function<bool(const std::string&)>& what) {
    return test::wait_until(
        [&] {
          screen = tmux.screen();
          return what(screen);
        },
        15s);
  };
  ASSERT_TRUE(shows([](const std::string& s) {
    return s.find("dev  array-01") != std::string::npos &&
           s.find("dev  array-02") != std::string::npos;
  })) << screen
      << test::read_file(log);
  EXPECT_EQ(first_row(screen), "array-01") << screen;
  EXPECT_EQ(tmux.modes(), "1 0\n");

  // A disk of the second array fails: its critical alarm, and the array itself, come first.
  array2->fail_disk("e0d3");
  ASSERT_TRUE(shows([](const std::string& s) {
    return first_row(s) == "array-02" && s.find("CRIT array-02") != std::string::npos;
  })) << screen;
  std::cout << "top, as tmux showed it:\n" << screen;
  EXPECT_LE(lines_of(screen).size(), 24U);
  EXPECT_EQ(widest(screen), 80U) << screen;  // the alarm's message fills the line

  // A wider window (SIGWINCH): the same, using its width.
  tmux.run({"resize-window", "-t", "top", "-x", "100", "-y", "24"});
  ASSERT_TRUE(shows([](const std::string& s) { return widest(s) == 100; })) << screen;
  EXPECT_EQ(first_row(screen), "array-02") << screen;

  tmux.run({"send-keys", "-t", "top", "q"});
  ASSERT_TRUE(test::wait_until(
      [&] { return test::read_file(dir / "top.exit").find('\n') != std::string::npos; }, 10s))
      << tmux.screen();
  EXPECT_EQ(test::read_file(dir / "top.exit"), "0\n");
  EXPECT_EQ(test::read_file(dir / "stty.after"), test::read_file(dir / "stty.before"));
  EXPECT_EQ(tmux.modes(), "0 1\n");
  EXPECT_EQ(tmux.screen().find("KIND NAME"), std::string::npos) << "top's frame left on screen";

  agent.kill(SIGTERM);
  EXPECT_EQ(agent.wait(), 0);
}

/// Runs `qsanfwd top args...` (its output not a terminal); returns its exit status and output.
std::pair<int, std::string> run_top(const test::temp_dir& dir, std::vector<std::string> args) {
  args.insert(args.begin(), "top");
  const auto out = dir / "top.out";
  std::filesystem::remove(out);
  test::child_process top(test::qsanfwd_binary(), args, out);
  const int status = top.wait(20s);
  return {status, test::read_file(out)};
}

TEST(top, without_a_terminal_prints_one_frame_or_says_what_is_missing) {
  test::temp_dir dir;
  sim::running_simulator array({});
  test::write_file(dir / "config.json", config_text(dir, array.port(), array.port()));
  const auto log = dir / "agent.log";
  test::child_process agent(test::qsanfwd_binary(), {"run", "-c", (dir / "config.json").string()},
                            log);
  const auto port = listening_port(log);
  ASSERT_NE(port, 0) << test::read_file(log);
  const auto url = "http://127.0.0.1:" + std::to_string(port);

  // Not a terminal: one frame, every row, no escape sequence.
  std::pair<int, std::string> once;
  ASSERT_TRUE(test::wait_until([&] {
    once = run_top(dir, {"--url", url});
    return once.second.find("dev  array-02") != std::string::npos;
  })) << once.second;
  EXPECT_EQ(once.first, 0) << once.second;
  EXPECT_EQ(once.second.find('\x1b'), std::string::npos) << once.second;
  EXPECT_NE(once.second.find("KIND NAME"), std::string::npos) << once.second;

  agent.kill(SIGTERM);
  EXPECT_EQ(agent.wait(), 0);
  const auto gone = run_top(dir, {"--url", url, "--once"});
  EXPECT_EQ(gone.first, 1);
  EXPECT_NE(gone.second.find("cannot reach the agent at " + url), std::string::npos) << gone.second;

  // A config whose http_api.listen gives no port to find the agent at says what to do.
  const auto any_port = run_top(dir, {"-c", (dir / "config.json").string(), "--once"});
  EXPECT_EQ(any_port.first, 2);
  EXPECT_NE(any_port.second.find("http_api.listen has port 0 (any free port, picked at each "
                                 "start): give --url"),
            std::string::npos)
      << any_port.second;
}

}  // namespace
}  // namespace qsanfwd
