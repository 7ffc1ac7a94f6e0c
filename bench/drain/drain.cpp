// qsanfwd-bench-drain: how fast the real agent drains an array's backlog into each sink, what
// it costs in CPU and memory, and how that compares with only fetching the pages
// (bench/README.md). With several backlogs it is the `scale` benchmark.
#include <spdlog/spdlog.h>
#include <stdlib.h>

#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <thread>

#include "agent/device/device_client.hpp"
#include "sim/simulator.hpp"
#include "bench/drain/receivers.hpp"
#include "agent/ops/process_stats.hpp"
#include "tests/support/process.hpp"

namespace qsanfwd::bench {
namespace {

using ops::proc_sample;
using ops::sample_process;

namespace fs = std::filesystem;
using namespace std::chrono_literals;

struct settings {
  std::vector<std::size_t> backlogs{1'000'000};
  std::vector<std::string> targets{"fetch-only", "file", "syslog", "http", "kafka"};
  int page_size = 1000;
  fs::path agent = QSANFWD_AGENT_PATH;
  fs::path work_dir = fs::temp_directory_path();
  bool keep = false;
  std::string sink_options;   ///< JSON keys added to every sink, e.g. "fsync": "never"
  bool instructions = false;  ///< run the agent and the fetch-only client under callgrind
};

struct outcome {
  std::string target;
  std::size_t lines = 0;
  std::uint64_t received = 0;
  double seconds = 0;  ///< from start until the last line arrived
  test::child_times cost;
  proc_sample sampled;                 ///< the last /proc reading while it ran (VmHWM is its peak)
  std::optional<double> instructions;  ///< user-space instructions, counted by callgrind
};

// ---- instructions: a measure the machine's other load does not move ----------------------

/// A program and its arguments as run: under callgrind, writing its counts to `counts`, when
/// instructions are asked for.
struct command {
  fs::path program;
  std::vector<std::string> args;
};

command as_run(const settings& opt, fs::path program, std::vector<std::string> args,
               const fs::path& counts) {
  if (!opt.instructions) {
    return {std::move(program), std::move(args)};
  }
  std::vector<std::string> under{"-q", "--tool=callgrind",
                                 "--callgrind-out-file=" + counts.string(), "--", program.string()};
  under.insert(under.end(), args.begin(), args.end());
  return {"/usr/bin/valgrind", std::move(under)};
}

/// The instructions callgrind counted, from the "totals:" line of its output.
std::optional<double> counted_instructions(const settings& opt, const fs::path& counts) {
  if (!opt.instructions) {
    return std::nullopt;
  }
  std::ifstream in(counts);
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("totals: ")) {
      return std::stod(line.substr(8));
    }
  }
  std::cerr << "no instruction count in " << counts << "\n";
  return std::nullopt;
}

// ---- fetch-only: the ceiling -----------------------------------------------------------

class no_vault final : public device::token_vault {
 public:
  std::optional<std::string> load(const std::string&) override { return std::nullopt; }
  void save(const std::string&, const std::string&) override {}
  void forget(const std::string&) override {}
};

/// Pages through the whole log the way the agent's first cycle does and throws it away.
int fetch_only(std::uint16_t port, int page_size) {
  boost::asio::io_context io;
  no_vault vault;
  device::client_settings s;
  s.name = "bench";
  s.peer = {.host = "127.0.0.1", .port = port, .tls = false, .base_path = "", .proxy = {}};
  s.username = "admin";
  s.password = secret("password");
  device::device_client client(io.get_executor(), s, vault, [](event) {});
  std::int64_t lines = 0;
  bool ok = false;
  auto run = [&]() -> boost::asio::awaitable<void> {
    for (int page = 1;; ++page) {
      const device::log_query query{
          .start_time = 0, .types = {}, .page_number = page, .page_size = page_size};
      auto answer = co_await client.log_list(query);
      if (!answer) {
        std::cerr << "fetch-only: page " << page << ": " << answer.error().message << "\n";
        co_return;
      }
      lines += static_cast<std::int64_t>(answer->logs.size());
      if (!answer->have_next_page) {
        ok = true;
        co_return;
      }
    }
  };
  boost::asio::co_spawn(io, run(), boost::asio::detached);
  io.run();
  std::cout << lines << "\n";
  return ok ? 0 : 1;
}

// ---- the agent -------------------------------------------------------------------------

/// `extra`: more keys for the sink, each followed by a comma (--sink-options).
std::string sink_json(const std::string& target, const fs::path& dir, std::uint16_t port,
                      const std::string& extra) {
  const std::string common = R"("name": "out", "start_at": "oldest", )" + extra;
  if (target == "file") {
    return "{" + common + R"("type": "file", "path": ")" + (dir / "out.jsonl").string() + "\"}";
  }
  if (target == "syslog") {
    return "{" + common + R"("type": "syslog", "address": "tcp://127.0.0.1:)" +
           std::to_string(port) + "\"}";
  }
  if (target == "kafka") {
    return "{" + common + R"("type": "kafka", "topic": "qsan", "brokers": "127.0.0.1:)" +
           std::to_string(port) + "\"}";
  }
  return "{" + common + R"("type": "http", "format": "ndjson", "url": "http://127.0.0.1:)" +
         std::to_string(port) + "/\"}";
}

void write_config(const fs::path& file, const fs::path& dir, std::uint16_t array_port,
                  int page_size, const std::string& sink) {
  std::ofstream(file) << R"({
  "state_dir": ")" << (dir / "state").string()
                      << R"(",
  "log_level": "warn",
  "devices": [ { "name": "array-01", "url": "http://127.0.0.1:)"
                      << array_port << R"(", "username": "admin", "password": "password",
                 "logs": { "interval": "1s", "page_size": )"
                      << page_size << R"( }, "health": { "enabled": false } } ],
  "sinks": [ )" << sink
                      << R"( ]
})";
}

struct work_dir {
  explicit work_dir(const fs::path& parent, bool keep) : keep_(keep) {
    std::string pattern = (parent / "qsanfwd-bench-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      throw std::runtime_error("cannot create a directory under " + parent.string());
    }
    path = pattern;
  }
  ~work_dir() {
    if (!keep_) {
      std::error_code ec;
      fs::remove_all(path, ec);
    }
  }
  fs::path path;
  bool keep_;
};

/// Keeps `last` the latest reading of the process while it runs.
void sample(pid_t pid, proc_sample& last) {
  if (auto s = sample_process(pid)) {
    last = *s;
  }
}

/// Waits until `count()` reaches `want` or `process` exits or the deadline passes, sampling it
/// meanwhile; returns the seconds since `start` at which the count was reached, or
/// nothing.
template <typename Count>
std::optional<double> wait_for(Count count, std::uint64_t want, test::child_process& process,
                               proc_sample& sampled, std::chrono::steady_clock::time_point start,
                               std::chrono::seconds deadline) {
  while (std::chrono::steady_clock::now() - start < deadline) {
    if (count() >= want) {
      return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
    sample(process.pid(), sampled);
    if (!process.running()) {
      return std::nullopt;
    }
    std::this_thread::sleep_for(20ms);
  }
  return std::nullopt;
}

/// Far longer than the agent needs to exit after SIGTERM: it only keeps an agent that hangs from
/// hanging the benchmark.
constexpr std::chrono::minutes shutdown_grace(5);

outcome drain_into(const settings& opt, const std::string& target, std::size_t lines,
                   std::uint16_t array_port) {
  work_dir dir(opt.work_dir, opt.keep);
  std::unique_ptr<counting_receiver> receiver;
  if (target == "syslog") {
    receiver = start_syslog_receiver();
  } else if (target == "http") {
    receiver = start_http_receiver();
  } else if (target == "kafka") {
    receiver = start_kafka_receiver();
  }
  const auto config = dir.path / "config.json";
  write_config(config, dir.path, array_port, opt.page_size,
               sink_json(target, dir.path, receiver ? receiver->port() : 0,
                         opt.sink_options.empty() ? "" : opt.sink_options + ", "));
  file_line_counter file(dir.path / "out.jsonl");
  const auto count = [&] { return receiver ? receiver->count() : file.count(); };

  const auto counts = dir.path / "callgrind.out";
  const auto cmd = as_run(opt, opt.agent, {"run", "-c", config.string()}, counts);
  const auto start = std::chrono::steady_clock::now();
  test::child_process agent(cmd.program, cmd.args, dir.path / "agent.log");
  const auto deadline = std::chrono::seconds(120 + lines / 2000);
  proc_sample sampled;
  const auto reached = wait_for(count, lines, agent, sampled, start, deadline);
  sample(agent.pid(), sampled);
  const auto stopped = [&] {
    agent.stop(shutdown_grace);
    return agent.times();
  };
  // A braced list is evaluated in order: the counts are read after the agent has exited.
  outcome o{target,
            lines,
            count(),
            reached.value_or(0),
            stopped(),
            sampled,
            counted_instructions(opt, counts)};
  if (!reached) {
    std::ifstream log(dir.path / "agent.log");
    std::cerr << target << ": only " << o.received << " of " << lines
              << " events arrived; the agent's log:\n"
              << log.rdbuf() << "\n";
  }
  return o;
}

outcome fetch_ceiling(const settings& opt, std::size_t lines, std::uint16_t array_port) {
  work_dir dir(opt.work_dir, opt.keep);
  const auto out = dir.path / "fetch.log";
  const auto counts = dir.path / "callgrind.out";
  const auto cmd = as_run(
      opt, fs::read_symlink("/proc/self/exe"),
      {"--fetch-only", std::to_string(array_port), "--page-size", std::to_string(opt.page_size)},
      counts);
  const auto start = std::chrono::steady_clock::now();
  test::child_process fetch(cmd.program, cmd.args, out);
  proc_sample sampled;
  while (fetch.running()) {
    sample(fetch.pid(), sampled);
    std::this_thread::sleep_for(5ms);
  }
  std::uint64_t got = 0;
  std::ifstream(out) >> got;
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return outcome{"fetch-only",
                 lines,
                 got,
                 fetch.wait() == 0 ? seconds : 0,
                 fetch.times(),
                 sampled,
                 counted_instructions(opt, counts)};
}

// ---- the table -------------------------------------------------------------------------

void print_header(const settings& opt) {
  std::printf("%-9s %-10s %10s %8s %12s %13s %13s %9s%s\n", "backlog", "target", "events/s",
              "wall s", "CPU s / 1M", "peak RSS MB", "disk MB / 1M", "vs fetch",
              opt.instructions ? "   instr/event" : "");
}

void print_row(const outcome& o, std::optional<double> fetch_rate) {
  const double rate = o.seconds > 0 ? static_cast<double>(o.lines) / o.seconds : 0;
  const double cpu_per_million = o.cost.cpu_s * 1e6 / static_cast<double>(o.lines);
  std::string ratio = "-";
  if (fetch_rate && *fetch_rate > 0 && o.target != "fetch-only") {
    std::ostringstream s;
    s.precision(2);
    s << std::fixed << rate / *fetch_rate;
    ratio = s.str();
  }
  constexpr double mib = 1024.0 * 1024.0;
  const double written_per_million =
      static_cast<double>(o.sampled.written_bytes) / mib * 1e6 / static_cast<double>(o.lines);
  char instructions[32] = "";
  if (o.instructions) {
    std::snprintf(instructions, sizeof instructions, "%14.0f",
                  *o.instructions / static_cast<double>(o.lines));
  }
  std::printf("%-9zu %-10s %10.0f %8.1f %12.1f %13.1f %13.0f %9s%s%s\n", o.lines, o.target.c_str(),
              rate, o.seconds, cpu_per_million, static_cast<double>(o.sampled.hwm_kib) / 1024.0,
              written_per_million, ratio.c_str(), instructions,
              o.received < o.lines ? "  INCOMPLETE" : "");
  std::fflush(stdout);
}

int run(const settings& opt) {
  bool complete = true;
  print_header(opt);
  for (const auto backlog : opt.backlogs) {
    sim::options o;
    o.backlog = backlog;
    o.live_rate = 0;
    o.name = "bench-sim";
    sim::running_simulator array(o);
    std::optional<double> fetch_rate;
    for (const auto& target : opt.targets) {
      const auto result = target == "fetch-only" ? fetch_ceiling(opt, backlog, array.port())
                                                 : drain_into(opt, target, backlog, array.port());
      if (target == "fetch-only" && result.seconds > 0) {
        fetch_rate = static_cast<double>(backlog) / result.seconds;
      }
      complete = complete && result.received >= backlog;
      print_row(result, fetch_rate);
    }
  }
  return complete ? 0 : 1;
}

}  // namespace
}  // namespace qsanfwd::bench

int main(int argc, char** argv) {
  using namespace qsanfwd::bench;
  CLI::App app{"Drain an array's backlog with the real agent into each sink and measure it"};
  settings opt;
  std::optional<std::uint16_t> fetch_port;
  app.add_option("--lines", opt.backlogs, "backlog sizes to drain, e.g. 100000,1000000,5000000")
      ->delimiter(',');
  app.add_option("--targets", opt.targets, "fetch-only, file, syslog, http, kafka")
      ->delimiter(',')
      ->check(CLI::IsMember({"fetch-only", "file", "syslog", "http", "kafka"}));
  app.add_option("--page-size", opt.page_size, "lines per page")->check(CLI::Range(1, 10000));
  app.add_option("--agent", opt.agent, "the qsanfwd binary to measure")->check(CLI::ExistingFile);
  app.add_option("--work-dir", opt.work_dir, "where state and sink files go")
      ->check(CLI::ExistingDirectory);
  app.add_flag("--keep", opt.keep, "keep each run's directory");
  app.add_option("--sink-options", opt.sink_options,
                 "JSON keys added to each sink, e.g. '\"fsync\": \"never\"'");
  app.add_flag("--instructions", opt.instructions,
               "run the agent and the fetch-only client under callgrind and print user-space "
               "instructions per event: a figure the machine's other load does not move (the "
               "other columns then describe a run under valgrind)");
  app.add_option("--fetch-only", fetch_port, "(internal) fetch every page from this port");
  CLI11_PARSE(app, argc, argv);
  spdlog::set_level(spdlog::level::warn);
  if (fetch_port) {
    return fetch_only(*fetch_port, opt.page_size);
  }
  return run(opt);
}
