#include "bench/fleet/sim_processes.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <cerrno>
#include <csignal>
#include <iostream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <thread>

#include "agent/core/logging.hpp"
#include "agent/ops/process_stats.hpp"
#include "sim/simulator.hpp"

extern char** environ;

namespace qsanfwd::bench_fleet {

namespace {

using sim_clock = std::chrono::steady_clock;

constexpr auto ready_timeout = std::chrono::seconds(120);
constexpr auto stats_timeout = std::chrono::seconds(30);
constexpr auto stop_grace = std::chrono::seconds(10);

std::unique_ptr<sim::simulator> make_array(boost::asio::io_context& io, const serve_options& o,
                                           std::size_t i) {
  sim::options so;
  so.cert_file = o.cert_file;
  so.key_file = o.key_file;
  so.backlog = o.backlog;
  so.live_rate = o.live_rate;
  so.seed = i + 1;
  so.name = "sim-" + std::to_string(i + 1);
  so.serial = "QSFLEET" + std::to_string(100000 + i);
  auto s = std::make_unique<sim::simulator>(io, so);
  s->start();
  return s;
}

/// "stats" and four numbers per array: log requests, health requests, logins, lines held.
std::string stats_line(const std::vector<std::unique_ptr<sim::simulator>>& sims) {
  std::string out = "stats";
  for (const auto& s : sims) {
    const auto st = s->stats();
    const auto count = [&st](const char* path) {
      const auto it = st.requests.find(path);
      return it == st.requests.end() ? std::uint64_t{0} : it->second;
    };
    fmt::format_to(std::back_inserter(out), " {} {} {} {}", count("/rest/v1/log/list"),
                   count("/rest/v1/storage/disk/list"), st.logins, st.log_lines);
  }
  return out;
}

/// The words of `line` after its first, which must be `head`, as numbers.
std::vector<std::uint64_t> numbers_after(const std::string& line, std::string_view head) {
  std::istringstream in(line);
  std::string word;
  if (!(in >> word) || word != head) {
    throw std::runtime_error(fmt::format("a simulator process answered '{:.40}', not {}", line,
                                         head));
  }
  std::vector<std::uint64_t> out;
  std::uint64_t n = 0;
  while (in >> n) {
    out.push_back(n);
  }
  return out;
}

}  // namespace

int serve_arrays(const serve_options& o) {
  // Killed with the benchmark however it ends, and gone at once if it has ended already.
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || ::getppid() != o.parent) {
    return 1;
  }
  // Ctrl-C reaches the whole process group: the benchmark stops its children in order.
  std::signal(SIGINT, SIG_IGN);
  qsanfwd::set_all_levels(spdlog::level::warn);
  boost::asio::io_context io;
  auto work = boost::asio::make_work_guard(io);
  std::vector<std::unique_ptr<sim::simulator>> sims;
  std::string ready = "ready";
  for (std::size_t i = o.first; i < o.first + o.count; ++i) {
    sims.push_back(make_array(io, o, i));
    ready += " " + std::to_string(sims.back()->port());
  }
  std::thread runner([&io] { io.run(); });
  std::cout << ready << std::endl;
  std::string line;
  while (std::getline(std::cin, line) && line != "stop") {
    if (line == "stats") {
      std::cout << stats_line(sims) << std::endl;
    }
  }
  for (auto& s : sims) {
    s->stop();
  }
  work.reset();
  runner.join();
  return 0;
}

sim_processes::sim_processes(const std::filesystem::path& self, const serve_options& fleet,
                             std::size_t per_process, const std::atomic<bool>& interrupted)
    : interrupted_(interrupted) {
  // Slices of equal size, none larger than per_process.
  const auto n = std::max<std::size_t>(1, (fleet.count + per_process - 1) / per_process);
  try {
    for (std::size_t k = 0; k < n; ++k) {
      auto slice = fleet;
      slice.first = fleet.first + fleet.count * k / n;
      slice.count = fleet.first + fleet.count * (k + 1) / n - slice.first;
      spawn(self, slice);
    }
    // The children generate their backlogs in parallel; collect the ports in array order.
    const auto deadline = sim_clock::now() + ready_timeout;
    for (auto& c : children_) {
      for (const auto port : numbers_after(read_line(c, deadline), "ready")) {
        ports_.push_back(static_cast<std::uint16_t>(port));
      }
    }
    if (ports_.size() != fleet.count) {
      throw std::runtime_error(fmt::format("the simulator processes reported {} ports for {} arrays",
                                           ports_.size(), fleet.count));
    }
  } catch (...) {
    stop();
    throw;
  }
}

sim_processes::~sim_processes() {
  stop();
}

void sim_processes::spawn(const std::filesystem::path& self, const serve_options& slice) {
  int down[2];
  int up[2];
  if (::pipe2(down, O_CLOEXEC) != 0) {
    throw std::system_error(errno, std::generic_category(), "pipe2");
  }
  if (::pipe2(up, O_CLOEXEC) != 0) {
    const int error = errno;
    ::close(down[0]);
    ::close(down[1]);
    throw std::system_error(error, std::generic_category(), "pipe2");
  }
  std::vector<std::string> args{self.string(),
                                "serve-arrays",
                                "--first",
                                std::to_string(slice.first),
                                "--count",
                                std::to_string(slice.count),
                                "--backlog",
                                std::to_string(slice.backlog),
                                "--live-rate",
                                fmt::format("{}", slice.live_rate),
                                "--parent",
                                std::to_string(::getpid())};
  if (!slice.cert_file.empty()) {
    args.insert(args.end(), {"--cert-file", slice.cert_file, "--key-file", slice.key_file});
  }
  std::vector<char*> argv;
  for (auto& a : args) {
    argv.push_back(a.data());
  }
  argv.push_back(nullptr);
  // The pipes' far ends become the child's stdin and stdout; its stderr is ours. Every other
  // descriptor of ours is close-on-exec.
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, down[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, up[1], STDOUT_FILENO);
  // A session of its own: with autogroup scheduling (sched_autogroup_enabled) a session shares
  // one slice of the CPU, and the agent must not share its slice with the simulators.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, argv[0], &actions, &attr, argv.data(), environ);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  ::close(down[0]);
  ::close(up[1]);
  if (rc != 0) {
    ::close(down[1]);
    ::close(up[0]);
    throw std::system_error(rc, std::generic_category(), "cannot start " + self.string());
  }
  children_.push_back(child{pid, down[1], up[0], {}, slice.count});
}

std::string sim_processes::read_line(child& c, sim_clock::time_point deadline) {
  for (;;) {
    if (const auto nl = c.pending.find('\n'); nl != std::string::npos) {
      auto line = c.pending.substr(0, nl);
      c.pending.erase(0, nl + 1);
      return line;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                             sim_clock::now());
    if (interrupted_ || left.count() <= 0) {
      throw std::runtime_error(fmt::format("simulator process {} did not answer{}", c.pid,
                                           interrupted_ ? " (interrupted)" : " in time"));
    }
    pollfd p{c.from_child, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(std::min<std::int64_t>(left.count(), 200)));
    if (ready < 0 && errno != EINTR) {
      throw std::system_error(errno, std::generic_category(), "poll");
    }
    if (ready > 0) {
      char buf[65536];
      const auto got = ::read(c.from_child, buf, sizeof buf);
      if (got <= 0) {
        throw std::runtime_error(fmt::format("simulator process {} ended (see its output above)",
                                             c.pid));
      }
      c.pending.append(buf, static_cast<std::size_t>(got));
    }
  }
}

void sim_processes::send(child& c, std::string_view text) {
  // SIGPIPE is ignored (main): a child that has gone makes this fail, not kill us.
  while (!text.empty()) {
    const auto put = ::write(c.to_child, text.data(), text.size());
    if (put < 0 && errno == EINTR) {
      continue;
    }
    if (put <= 0) {
      throw std::system_error(errno, std::generic_category(),
                              fmt::format("simulator process {}", c.pid));
    }
    text.remove_prefix(static_cast<std::size_t>(put));
  }
}

std::vector<array_stats> sim_processes::stats() {
  // Every child counts at once; then the answers are read in array order.
  for (auto& c : children_) {
    send(c, "stats\n");
  }
  const auto deadline = sim_clock::now() + stats_timeout;
  std::vector<array_stats> out;
  for (auto& c : children_) {
    const auto n = numbers_after(read_line(c, deadline), "stats");
    if (n.size() != 4 * c.count) {
      throw std::runtime_error(
          fmt::format("simulator process {} sent {} numbers for {} arrays", c.pid, n.size(),
                      c.count));
    }
    for (std::size_t i = 0; i < n.size(); i += 4) {
      out.push_back({n[i], n[i + 1], n[i + 2], n[i + 3]});
    }
  }
  return out;
}

double sim_processes::cpu_seconds() const {
  double sum = 0;
  for (const auto& c : children_) {
    if (const auto s = ops::sample_process(c.pid)) {
      sum += s->cpu_seconds;
    }
  }
  return sum;
}

void sim_processes::stop() {
  for (auto& c : children_) {
    if (c.to_child >= 0) {
      [[maybe_unused]] const auto sent = ::write(c.to_child, "stop\n", 5);
      ::close(c.to_child);
      c.to_child = -1;
    }
  }
  const auto deadline = sim_clock::now() + stop_grace;
  for (auto& c : children_) {
    while (c.pid > 0 && ::waitpid(c.pid, nullptr, WNOHANG) == 0) {
      if (sim_clock::now() >= deadline) {
        ::kill(c.pid, SIGKILL);
        ::waitpid(c.pid, nullptr, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    c.pid = -1;
    if (c.from_child >= 0) {
      ::close(c.from_child);
      c.from_child = -1;
    }
  }
}

}  // namespace qsanfwd::bench_fleet
