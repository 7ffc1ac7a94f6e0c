// qsanfwd-bench-hostile: the real agent against one simulated array misbehaving in each of
// issue 23's ways, one fault at a time. Each row says whether the agent survived, its peak RSS,
// and what reached its file sink against the array's ledger. It prints figures; it judges
// nothing (bench/README.md).
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "agent/core/duration.hpp"
#include "agent/core/logging.hpp"
#include "sim/simulator.hpp"
#include "agent/ops/process_stats.hpp"
#include "tests/support/process.hpp"

namespace qsanfwd::bench {
namespace {

using ops::proc_sample;
using ops::sample_process;

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

constexpr double rss_target_mib = 64;
constexpr std::int64_t year_2100 = 4'102'444'800;
constexpr std::int64_t five_years_s = 5 * 365 * 86400;

/// How the agent polls the array in a run.
struct device_settings {
  std::string logs_interval = "1s";
  int page_size = 1000;
  std::string health_interval = "2s";
};

/// One fault: how the array is set up, what happens to it while the agent runs, and whether the
/// array still allows every line of its ledger to arrive exactly once.
struct fault_case {
  std::string name;
  bool exact = true;
  std::function<void(sim::options&, device_settings&)> setup;
  /// Called every tick with the seconds since the agent started.
  std::function<void(sim::simulator&, double)> during = [](sim::simulator&, double) {};
};

void body(sim::options& o, sim::hostile_body b) {
  o.hostile.body_chance[static_cast<std::size_t>(b)] = 1;
}

/// Runs `action` once, the first tick at or after `at` seconds.
std::function<void(sim::simulator&, double)> once_at(double at,
                                                     std::function<void(sim::simulator&)> action) {
  return [at, action, done = false](sim::simulator& s, double t) mutable {
    if (!done && t >= at) {
      done = true;
      action(s);
    }
  };
}

std::vector<fault_case> all_faults() {
  using sim::hostile_body;
  using sim::options;
  std::vector<fault_case> f;
  f.push_back({"none", true, [](options&, device_settings&) {}});
  f.push_back({"nested_timestamp", true, [](options&, device_settings&) {},
               once_at(0, [](sim::simulator& s) { s.send_next(hostile_body::nested_timestamp, 1); })});
  f.push_back({"ignore_page_number", false, [](options& o, device_settings& d) {
                 o.backlog = 23;
                 o.live_rate = 0;
                 d.page_size = 5;
                 o.hostile.ignore_page_number = true;
               }});
  f.push_back({"always_next_page", true, [](options& o, device_settings& d) {
                 o.backlog = 5;
                 o.live_rate = 0;
                 d.page_size = 5;
                 o.hostile.always_next_page = true;
               }});
  f.push_back({"ignore_start_time", true,
               [](options& o, device_settings&) { o.hostile.ignore_start_time = true; }});
  for (const auto mode : {sim::total_mode::missing, sim::total_mode::constant,
                          sim::total_mode::shrinking}) {
    // Pages of 30: a cycle pages through the backlog, so `total` has something to mislead.
    f.push_back({"total_" + std::string(to_string(mode)), true,
                 [mode](options& o, device_settings& d) {
                   d.page_size = 30;
                   o.hostile.total = mode;
                 }});
  }
  f.push_back({"oversize_pages", false, [](options& o, device_settings& d) {
                 d.page_size = 100;
                 o.hostile.oversize_pages = 3;
               }});
  f.push_back({"log_ring", true, [](options& o, device_settings& d) {
                 o.live_rate = 40;
                 o.hostile.max_log_lines = 100;
                 d.logs_interval = "3s";
               }});
  f.push_back({"log_clear", true, [](options&, device_settings&) {},
               once_at(4, [](sim::simulator& s) { s.clear_log(); })});
  f.push_back({"latin1_messages", true,
               [](options& o, device_settings&) { o.hostile.latin1_ratio = 0.2; }});
  f.push_back({"token_crlf", false,
               [](options& o, device_settings&) { o.hostile.token_crlf = true; }});
  f.push_back({"future_line", true, [](options&, device_settings&) {},
               once_at(3, [](sim::simulator& s) {
                 s.add_log({year_2100, "warning", "Clock says 2100 for this one line."});
               })});
  f.push_back({"clock_back", true, [](options&, device_settings&) {},
               once_at(4, [](sim::simulator& s) { s.set_clock_offset(-3600); })});
  f.push_back({"clock_jump", true, [](options&, device_settings&) {},
               [forward = once_at(3, [](sim::simulator& s) { s.set_clock_offset(five_years_s); }),
                back = once_at(7, [](sim::simulator& s) { s.set_clock_offset(0); })](
                   sim::simulator& s, double t) mutable {
                 forward(s, t);
                 back(s, t);
               }});
  f.push_back({"huge_page", false,
               [](options& o, device_settings&) { body(o, hostile_body::huge_page); }});
  f.push_back({"endless_chunked", false,
               [](options& o, device_settings&) { body(o, hostile_body::endless_chunked); }});
  // Deeper than the log line's: the agent only copies this value, and a copy's frames are small
  // (75,000 levels did not crash the -O2 agent, 300,000 did).
  f.push_back({"nested_health", true, [](options& o, device_settings&) {
                 body(o, hostile_body::nested_health);
                 o.hostile.nesting_depth = 300'000;
               }});
  f.push_back({"health_junk", true,
               [](options& o, device_settings&) { body(o, hostile_body::health_junk); }});
  return f;
}

// ---- the run ------------------------------------------------------------------------------

struct settings {
  std::string only;
  std::string duration = "15s";
  std::string settle = "3s";
  fs::path agent = QSANFWD_AGENT_PATH;
  fs::path work_dir = fs::temp_directory_path();
  bool keep = false;
};

/// What reached the file sink.
struct sink_contents {
  std::uint64_t log_events = 0;
  std::map<std::string, std::uint64_t> agent_events;  ///< by type
  std::uint64_t unreadable = 0;                       ///< lines that are not JSON
  std::map<std::string, std::int64_t> lines;          ///< log lines by key
};

struct outcome {
  std::string alive;
  std::optional<double> peak_mib;  ///< none when the agent died before the first sample
  double cpu_s = 0;
  sink_contents sink;
  std::size_t ledger = 0;
  std::size_t dropped = 0;
  std::int64_t lost = 0;   ///< undelivered lines the array never dropped
  std::int64_t gone = 0;   ///< undelivered lines the array dropped (ring, clearing)
  std::int64_t extra = 0;  ///< delivered more often than the ledger has them, or not in it
  std::string notes;
};

// A line's identity across the wire: a repaired byte (U+FFFD) and the raw byte the ledger holds
// must compare equal, so bytes beyond ASCII are left out of the key.
std::string line_key(std::int64_t timestamp, std::string_view type, std::string_view message) {
  std::string key = std::to_string(timestamp);
  key += '|';
  key += type;
  key += '|';
  for (const char c : message) {
    if (static_cast<unsigned char>(c) < 0x80) {
      key += c;
    }
  }
  return key;
}

sink_contents read_sink(const fs::path& file) {
  sink_contents c;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    const auto e = nlohmann::json::parse(line, nullptr, false);
    if (e.is_discarded() || !e.is_object()) {
      ++c.unreadable;
      continue;
    }
    const auto kind = e.value("kind", "");
    if (kind == "log") {
      ++c.log_events;
      ++c.lines[line_key(e.value("timestamp", std::int64_t{0}), e.value("type", ""),
                         e.value("message", ""))];
    } else if (kind == "agent") {
      ++c.agent_events[e.value("type", "?")];
    }
  }
  return c;
}

/// Compares what arrived with the ledger, excusing what the array dropped before it was read.
void compare(outcome& o, const std::vector<sim::log_line>& ledger,
             const std::vector<sim::log_line>& dropped) {
  std::map<std::string, std::int64_t> want;
  for (const auto& l : ledger) {
    ++want[line_key(l.timestamp, l.type, l.message)];
  }
  std::map<std::string, std::int64_t> excused;
  for (const auto& l : dropped) {
    ++excused[line_key(l.timestamp, l.type, l.message)];
  }
  auto got = o.sink.lines;
  for (const auto& [key, n] : want) {
    const auto missing = std::max<std::int64_t>(n - got[key], 0);
    const auto gone = std::min(missing, excused[key]);
    o.gone += gone;
    o.lost += missing - gone;
  }
  for (const auto& [key, n] : got) {
    const auto it = want.find(key);
    o.extra += std::max<std::int64_t>(n - (it == want.end() ? 0 : it->second), 0);
  }
}

fs::path write_config(const fs::path& dir, const std::string& url, const device_settings& d) {
  const nlohmann::json cfg = {
      {"state_dir", (dir / "state").string()},
      {"log_level", "info"},
      {"devices",
       {{{"name", "array"},
         {"url", url},
         {"username", "admin"},
         {"password", "password"},
         {"logs", {{"interval", d.logs_interval}, {"page_size", d.page_size}}},
         {"health", {{"interval", d.health_interval}}}}}},
      {"sinks", {{{"name", "archive"}, {"type", "file"}, {"path", (dir / "events.jsonl").string()}}}}};
  const auto path = dir / "config.json";
  std::ofstream(path) << cfg.dump(1) << "\n";
  return path;
}

std::string describe_status(int status) {
  if (status > 128) {
    return fmt::format("no (signal {})", status - 128);
  }
  return fmt::format("no (exit {})", status);
}

std::chrono::milliseconds parse_or_throw(const std::string& text, const char* what) {
  const auto d = parse_duration(text);
  if (!d || d->count() <= 0) {
    throw CLI::ValidationError(what, "not a duration: " + text);
  }
  return *d;
}

/// Runs the agent for `length`, feeding `during` the elapsed seconds and keeping the latest
/// /proc reading; live lines stop `settle` before the end so the agent can catch up.
std::optional<proc_sample> watch(test::child_process& agent, sim::simulator& array,
                                 const fault_case& fault, std::chrono::milliseconds length,
                                 std::chrono::milliseconds settle) {
  std::optional<proc_sample> last;
  const auto start = steady::now();
  bool paused = false;
  while (steady::now() - start < length && agent.running()) {
    const auto t = std::chrono::duration<double>(steady::now() - start).count();
    fault.during(array, t);
    if (!paused && steady::now() - start >= length - settle) {
      array.pause_live(true);
      paused = true;
    }
    if (auto s = sample_process(agent.pid())) {
      last = s;
    }
    std::this_thread::sleep_for(50ms);
  }
  return last;
}

outcome run_fault(const settings& opt, const fault_case& fault, const fs::path& dir) {
  sim::options o;
  o.backlog = 300;
  o.live_rate = 5;
  o.name = fault.name;
  device_settings d;
  fault.setup(o, d);
  sim::running_simulator array(o);
  const auto config = write_config(dir, array.base_url(), d);
  test::child_process agent(opt.agent, {"run", "-c", config.string()}, dir / "agent.log");
  // One more poll interval to settle, so that the last live lines can be read.
  const auto settle = parse_or_throw(opt.settle, "--settle") +
                      parse_or_throw(d.logs_interval, "logs interval");
  const auto sampled =
      watch(agent, array.sim(), fault, parse_or_throw(opt.duration, "--duration"), settle);
  outcome out;
  out.alive = agent.running() ? "yes" : describe_status(agent.wait(0ms));
  if (agent.running()) {
    agent.stop(30s);
  }
  // Not ru_maxrss: the launcher's vfork would put this process's own peak into the child's.
  if (sampled) {
    out.peak_mib = static_cast<double>(sampled->hwm_kib) / 1024.0;
  }
  out.cpu_s = agent.times().cpu_s;
  out.sink = read_sink(dir / "events.jsonl");
  const auto ledger = array->ledger();
  const auto dropped = array->dropped();
  out.ledger = ledger.size();
  out.dropped = dropped.size();
  compare(out, ledger, dropped);
  const auto st = array->stats();
  for (const auto& [kind, n] : st.hostile_bodies) {
    out.notes += fmt::format("{} {} sent; ", n, kind);
  }
  if (st.injected_headers > 0) {
    out.notes += fmt::format("{} requests carried X-Injected; ", st.injected_headers);
  }
  if (out.sink.unreadable > 0) {
    out.notes += fmt::format("{} sink lines not JSON; ", out.sink.unreadable);
  }
  return out;
}

// ---- the table ----------------------------------------------------------------------------

std::string agent_events(const sink_contents& s) {
  std::string out;
  for (const auto& [type, n] : s.agent_events) {
    out += fmt::format("{}{} {}", out.empty() ? "" : ", ", type, n);
  }
  return out.empty() ? "-" : out;
}

void print_header() {
  std::printf("| %-18s | %-14s | %9s | %6s | %6s | %6s | %7s | %6s | %6s | %6s | %s | %s |\n",
              "fault", "alive at end", "peak MiB", "CPU s", "logs", "ledger", "dropped", "lost",
              "gone", "extra", "agent events", "notes");
  std::printf("|--------------------|----------------|----------:|-------:|-------:|-------:|"
              "--------:|-------:|-------:|-------:|---|---|\n");
}

void print_row(const fault_case& f, const outcome& o) {
  const auto exact = [&](std::int64_t n) { return f.exact ? std::to_string(n) : "n/a"; };
  const auto peak = o.peak_mib ? fmt::format("{:.1f}", *o.peak_mib) : "-";
  std::printf("| %-18s | %-14s | %9s | %6.1f | %6llu | %6zu | %7zu | %6s | %6s | %6lld | %s | %s |\n",
              f.name.c_str(), o.alive.c_str(), peak.c_str(), o.cpu_s,
              static_cast<unsigned long long>(o.sink.log_events), o.ledger, o.dropped,
              exact(o.lost).c_str(), exact(o.gone).c_str(), static_cast<long long>(o.extra),
              agent_events(o.sink).c_str(), o.notes.empty() ? "" : o.notes.c_str());
  std::fflush(stdout);
}

struct temp_dir {
  temp_dir(const fs::path& base, const std::string& name, bool keep) : keep_(keep) {
    auto tmpl = (base / ("qsanfwd-hostile-" + name + "-XXXXXX")).string();
    if (mkdtemp(tmpl.data()) == nullptr) {
      throw std::runtime_error("cannot create a directory under " + base.string());
    }
    path = tmpl;
  }
  ~temp_dir() {
    if (!keep_) {
      std::error_code ec;
      fs::remove_all(path, ec);
    }
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  fs::path path;
  bool keep_;
};

int run(const settings& opt) {
  if (!fs::exists(opt.agent)) {
    std::cerr << "no agent binary at " << opt.agent << " (build target qsanfwd, or --agent)\n";
    return 1;
  }
  set_all_levels(spdlog::level::warn);
  auto faults = all_faults();
  if (!opt.only.empty()) {
    std::erase_if(faults, [&](const fault_case& f) { return f.name != opt.only; });
    if (faults.empty()) {
      std::cerr << "no fault named " << opt.only << "\n";
      return 1;
    }
  }
  std::printf("qsanfwd under a hostile array: one device, a file sink, %s a fault (live lines "
              "stop %s and a poll interval before the end); target: peak RSS < %.0f MiB under "
              "every fault\n\n",
              opt.duration.c_str(), opt.settle.c_str(), rss_target_mib);
  print_header();
  for (const auto& f : faults) {
    temp_dir dir(opt.work_dir, f.name, opt.keep);
    print_row(f, run_fault(opt, f, dir.path));
    if (opt.keep) {
      std::printf("  kept %s\n", dir.path.c_str());
    }
  }
  std::printf(
      "\nlost: ledger lines that never arrived although the array still held them; gone: "
      "lines that never arrived because the array dropped them first (a gap to report); extra: "
      "arrivals beyond the ledger's count (twice queued, or not a line of the array). n/a: the "
      "fault leaves the array unable to serve its log exactly.\n");
  return 0;
}

}  // namespace
}  // namespace qsanfwd::bench

int main(int argc, char** argv) {
  qsanfwd::bench::settings opt;
  CLI::App app{"qsanfwd under a hostile array: survival, peak RSS and exactness per fault"};
  app.add_option("--only", opt.only, "run this fault alone (names as in the table)");
  app.add_option("--duration", opt.duration, "how long the agent runs under each fault")
      ->capture_default_str();
  app.add_option("--settle", opt.settle,
                 "live lines stop this long and a poll interval before the end")
      ->capture_default_str();
  app.add_option("--agent", opt.agent, "the qsanfwd binary")->capture_default_str();
  app.add_option("--work-dir", opt.work_dir, "where each run's directory goes")
      ->capture_default_str();
  app.add_flag("--keep", opt.keep, "keep each run's directory (config, state, sink, agent log)");
  CLI11_PARSE(app, argc, argv);
  try {
    return qsanfwd::bench::run(opt);
  } catch (const std::exception& e) {
    std::cerr << "qsanfwd-bench-hostile: " << e.what() << "\n";
    return 1;
  }
}
