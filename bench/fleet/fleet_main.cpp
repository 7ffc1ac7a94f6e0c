// qsanfwd-bench-fleet: the real agent polling many simulated arrays, measured from outside.
//
// The simulators run in child processes of this benchmark (sim_processes.hpp: this binary again,
// in its hidden `serve-arrays` mode, at most --sims-per-process arrays each); the agent is the
// real `qsanfwd run` binary in its own process, so its CPU and memory are read from /proc/<pid>
// and the simulators' cost is not part of them (it is printed separately).

#include <fmt/format.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "agent/core/duration.hpp"
#include "agent/core/logging.hpp"
#include "agent/ops/process_stats.hpp"
#include "bench/fleet/sim_processes.hpp"
#include "tests/support/process.hpp"
#include "tests/support/tls_cert.hpp"

namespace fs = std::filesystem;
using steady = std::chrono::steady_clock;
using qsanfwd::ops::proc_sample;
using qsanfwd::bench_fleet::array_stats;
using qsanfwd::bench_fleet::sim_processes;
using qsanfwd::test::child_process;

namespace {

std::atomic<bool> interrupted{false};

struct bench_options {
  std::size_t arrays = 1000;
  std::string warmup = "70s";
  std::string measure = "60s";
  std::string logs_interval = "10s";
  std::string health_interval = "60s";
  std::size_t backlog = 50;
  double live_rate = 0.3;
  std::string agent;
  std::string log_level = "info";
  std::size_t agent_nofile = 1024;
  std::size_t sims_per_process = 4000;
  bool keep = false;
  bool tls = false;  ///< HTTPS to every array, as real arrays speak
};

std::string device_name(std::size_t i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "array-%04zu", i + 1);
  return buf;
}

fs::path write_config(const fs::path& dir, const std::vector<std::uint16_t>& ports,
                      const bench_options& o,
                      const std::optional<qsanfwd::test::tls_cert>& cert) {
  nlohmann::json devices = nlohmann::json::array();
  const char* scheme = cert ? "https" : "http";
  for (std::size_t i = 0; i < ports.size(); ++i) {
    devices.push_back({{"name", device_name(i)},
                       {"url", fmt::format("{}://127.0.0.1:{}", scheme, ports[i])},
                       {"username", "admin"},
                       {"password", "password"},
                       {"logs", {{"interval", o.logs_interval}}},
                       {"health", {{"interval", o.health_interval}}}});
    if (cert) {
      devices.back()["tls"] = {{"ca_file", cert->cert_file.string()}};
    }
  }
  const nlohmann::json cfg = {
      {"state_dir", (dir / "state").string()},
      {"log_level", o.log_level},
      {"devices", devices},
      {"sinks",
       {{{"name", "archive"}, {"type", "file"}, {"path", (dir / "out/events.jsonl").string()}}}}};
  const auto path = dir / "config.json";
  std::ofstream(path) << cfg.dump(1) << "\n";
  return path;
}

/// Sleeps up to `d`, or less when interrupted or the agent has gone.
bool wait_for(std::chrono::milliseconds d, child_process& agent) {
  const auto end = steady::now() + d;
  while (steady::now() < end) {
    if (interrupted || !agent.running()) {
      return false;
    }
    std::this_thread::sleep_for(
        std::min<steady::duration>(std::chrono::milliseconds(200), end - steady::now()));
  }
  return !interrupted && agent.running();
}

std::chrono::milliseconds parse_or_throw(const std::string& text, const char* what) {
  const auto d = qsanfwd::parse_duration(text);
  if (!d || d->count() <= 0) {
    throw CLI::ValidationError(what, "not a duration: " + text);
  }
  return *d;
}

std::size_t count_if_positive(const std::vector<std::uint64_t>& before,
                              const std::vector<std::uint64_t>& after) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < after.size(); ++i) {
    n += after[i] > before[i] ? 1U : 0U;
  }
  return n;
}

/// Events in the file sink per device name, by kind.
struct sink_counts {
  std::map<std::string, std::uint64_t> log_lines;
  std::uint64_t health = 0;
  std::uint64_t agent = 0;
  std::uint64_t total = 0;
};

sink_counts read_sink(const fs::path& file) {
  sink_counts c;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    ++c.total;
    const auto e = nlohmann::json::parse(line, nullptr, false);
    if (e.is_discarded()) {
      continue;
    }
    const auto kind = e.value("kind", "");
    if (kind == "log") {
      ++c.log_lines[e.value("device", "")];
    } else if (kind == "health") {
      ++c.health;
    } else {
      ++c.agent;
    }
  }
  return c;
}

double mib(std::uint64_t kib) {
  return static_cast<double>(kib) / 1024.0;
}

struct window {
  proc_sample first;
  proc_sample last;
  double seconds = 0;
  double rss_sum_kib = 0;
  std::size_t samples = 0;
  double busiest_10s_pct = 0;
  std::vector<double> per_10s_pct;  ///< CPU of each 10 s of the window, in order
  double sim_cpu_seconds = 0;
  std::uint64_t peak_fds = 0;  ///< the most the agent held at any sample, warm-up included
};

/// Samples the agent once a second for `length`; `peak_fds`: the warm-up's.
std::optional<window> measure(child_process& agent, const sim_processes& fleet,
                              std::chrono::milliseconds length, std::uint64_t peak_fds) {
  window w;
  w.peak_fds = peak_fds;
  auto first = qsanfwd::ops::sample_process(agent.pid());
  if (!first) {
    return std::nullopt;
  }
  w.first = *first;
  std::vector<proc_sample> history{*first};
  const auto sim_start = fleet.cpu_seconds();
  const auto start = steady::now();
  const auto end = start + length;
  auto next = start;
  while (next < end) {
    next = std::min(next + std::chrono::seconds(1), end);
    if (!wait_for(std::chrono::duration_cast<std::chrono::milliseconds>(next - steady::now()),
                  agent)) {
      return std::nullopt;
    }
    auto s = qsanfwd::ops::sample_process(agent.pid());
    if (!s) {
      return std::nullopt;
    }
    history.push_back(*s);
    w.peak_fds = std::max(w.peak_fds, s->open_fds);
    w.rss_sum_kib += static_cast<double>(s->rss_kib);
    ++w.samples;
    if ((history.size() - 1) % 10 == 0) {
      w.per_10s_pct.push_back((s->cpu_seconds - history[history.size() - 11].cpu_seconds) * 10.0);
    }
    if (history.size() > 10) {
      const auto& ten_ago = history[history.size() - 11];
      w.busiest_10s_pct =
          std::max(w.busiest_10s_pct, (s->cpu_seconds - ten_ago.cpu_seconds) * 10.0);
    }
  }
  w.last = history.back();
  w.seconds = std::chrono::duration<double>(steady::now() - start).count();
  w.sim_cpu_seconds = fleet.cpu_seconds() - sim_start;
  return w;
}

fs::path default_agent_binary() {
  // build/<dir>/bench/fleet/qsanfwd-bench-fleet -> build/<dir>/agent/qsanfwd
  return fs::canonical("/proc/self/exe").parent_path() / "../../agent/qsanfwd";
}

void raise_fd_limit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
}

void print_tail(const fs::path& file, std::size_t lines) {
  std::ifstream in(file);
  std::vector<std::string> all;
  std::string line;
  while (std::getline(in, line)) {
    all.push_back(line);
  }
  for (auto i = all.size() > lines ? all.size() - lines : 0; i < all.size(); ++i) {
    std::cerr << "  | " << all[i] << "\n";
  }
}

/// One counter of every array, in array order.
std::vector<std::uint64_t> each(const std::vector<array_stats>& stats,
                                std::uint64_t array_stats::*counter) {
  std::vector<std::uint64_t> out;
  for (const auto& a : stats) {
    out.push_back(a.*counter);
  }
  return out;
}

/// Prints when every array had its first log read, with the agent's state then.
void report_all_read(const std::vector<array_stats>& stats, std::chrono::duration<double> after,
                     const std::optional<proc_sample>& s) {
  std::uint64_t logins = 0;
  for (const auto& a : stats) {
    logins += a.logins;
  }
  std::printf(
      "startup: every array read after %.1f s (%llu logins); agent RSS %.1f MiB, %llu fds, "
      "%llu threads\n",
      after.count(), static_cast<unsigned long long>(logins), s ? mib(s->rss_kib) : 0.0,
      s ? static_cast<unsigned long long>(s->open_fds) : 0ULL,
      s ? static_cast<unsigned long long>(s->threads) : 0ULL);
  std::fflush(stdout);
}

/// Startup: how long until every array had its first log read, and the agent every 10 s.
/// Returns the most descriptors the agent held.
std::uint64_t watch_warmup(child_process& agent, sim_processes& fleet,
                           std::chrono::milliseconds warmup) {
  const auto start = steady::now();
  bool all_polled = false;
  std::size_t read = 0;
  std::uint64_t peak_fds = 0;
  auto next_report = start + std::chrono::seconds(10);
  while (steady::now() - start < warmup) {
    if (!wait_for(std::chrono::milliseconds(500), agent)) {
      break;
    }
    const auto now = steady::now();
    const auto s = qsanfwd::ops::sample_process(agent.pid());
    peak_fds = std::max(peak_fds, s ? s->open_fds : 0);
    if (!all_polled) {
      const auto stats = fleet.stats();
      read = static_cast<std::size_t>(
          std::count_if(stats.begin(), stats.end(), [](const auto& a) { return a.log_requests > 0; }));
      all_polled = read == stats.size();
      if (all_polled) {
        report_all_read(stats, now - start, s);
      }
    }
    if (now >= next_report) {
      next_report += std::chrono::seconds(10);
      if (s) {
        std::printf(
            "warm-up %3.0f s: agent CPU so far %.1f s, RSS %.1f MiB (peak %.1f), %llu fds\n",
            std::chrono::duration<double>(now - start).count(), s->cpu_seconds, mib(s->rss_kib),
            mib(s->hwm_kib), static_cast<unsigned long long>(s->open_fds));
        std::fflush(stdout);
      }
    }
  }
  if (!all_polled) {
    std::printf("startup: only %zu arrays read by the end of the warm-up\n", read);
    std::fflush(stdout);
  }
  return peak_fds;
}

/// Each array's counters at the end, for a kept run: arrays.tsv in the run's directory.
void write_array_stats(const fs::path& dir, const std::vector<array_stats>& before,
                       const std::vector<array_stats>& after) {
  std::ofstream out(dir / "arrays.tsv");
  out << "device\tlog_requests\tlog_requests_since_measuring\thealth_requests\tlogins\tlines_held\n";
  for (std::size_t i = 0; i < after.size(); ++i) {
    const auto& a = after[i];
    out << device_name(i) << '\t' << a.log_requests << '\t'
        << a.log_requests - before[i].log_requests << '\t' << a.health_requests << '\t'
        << a.logins << '\t' << a.log_lines << '\n';
  }
}

struct verdict {
  bool ok = true;
  bool targets_met = true;
};

/// Issue 10's and 28's targets: CPU 15 % of a core per 1,000 arrays over HTTP, 25 % over HTTPS,
/// one core at most (10,000 arrays); peak RSS 256 MiB, 128 MiB over HTTPS (set for 1,000).
struct targets {
  double cpu_pct = 0;
  double rss_mib = 0;
};

targets targets_for(std::size_t arrays, bool tls) {
  const double per_1000 = tls ? 25 : 15;
  return {std::min(100.0, per_1000 * static_cast<double>(arrays) / 1000.0), tls ? 128.0 : 256.0};
}

void print_table(const window& w, std::size_t arrays, const bench_options& o, pid_t pid) {
  const auto cpu_pct = (w.last.cpu_seconds - w.first.cpu_seconds) / w.seconds * 100.0;
  const auto rss_avg =
      w.rss_sum_kib / static_cast<double>(std::max<std::size_t>(w.samples, 1)) / 1024.0;
  std::printf(
      "\nqsanfwd fleet: %zu arrays, logs every %s, health every %s, %.1f new lines/s per array\n",
      arrays, o.logs_interval.c_str(), o.health_interval.c_str(), o.live_rate);
  std::printf("steady state over %.0f s after the warm-up (%s), agent pid %d:\n\n", w.seconds,
              o.warmup.c_str(), pid);
  const auto row = [](const char* what, const std::string& value, const char* target) {
    std::printf("| %-34s | %10s | %-10s |\n", what, value.c_str(), target);
  };
  const auto pct = [](double v) { return fmt::format("{:.2f} %", v); };
  const auto mb = [](std::uint64_t kib) { return fmt::format("{:.1f} MiB", mib(kib)); };
  const auto t = targets_for(arrays, o.tls);
  const auto cpu_target = fmt::format("<= {:.3g} %", t.cpu_pct);
  const auto rss_target = fmt::format("<= {:.0f} MiB", t.rss_mib);
  row("measure", "value", "target");
  std::printf("|------------------------------------|------------|------------|\n");
  row("agent CPU, average (% of one core)", pct(cpu_pct), cpu_target.c_str());
  row("agent CPU, busiest 10 s", pct(w.busiest_10s_pct), "");
  row("agent RSS, current", mb(w.last.rss_kib), rss_target.c_str());
  row("agent RSS, average", fmt::format("{:.1f} MiB", rss_avg), "");
  row("agent RSS, peak (VmHWM)", mb(w.last.hwm_kib), rss_target.c_str());
  row("agent open descriptors, current", std::to_string(w.last.open_fds), "");
  row("agent open descriptors, peak", std::to_string(w.peak_fds), "");
  // The curve from 100 to 10,000 arrays: what each array costs.
  const auto n = static_cast<double>(std::max<std::size_t>(arrays, 1));
  row("agent CPU per array, us per second",
      fmt::format("{:.1f}", (w.last.cpu_seconds - w.first.cpu_seconds) / w.seconds / n * 1e6), "");
  row("agent RSS per array (KiB, peak)",
      fmt::format("{:.1f}", static_cast<double>(w.last.hwm_kib) / n), "");
  row("agent threads", std::to_string(w.last.threads), "");
  row("simulators' CPU (not in the above)", pct(w.sim_cpu_seconds / w.seconds * 100.0), "");
  std::string series;
  for (const auto v : w.per_10s_pct) {
    series += fmt::format(" {:.0f}", v);
  }
  std::printf("\nagent CPU %% of each 10 s:%s\n", series.c_str());
}

verdict judge(const window& w, const targets& t) {
  verdict v;
  const auto cpu_pct = (w.last.cpu_seconds - w.first.cpu_seconds) / w.seconds * 100.0;
  const bool cpu_met = cpu_pct <= t.cpu_pct;
  const bool rss_met = mib(w.last.hwm_kib) <= t.rss_mib;
  v.targets_met = cpu_met && rss_met;
  std::printf("\ntargets: CPU %s, RSS %s\n", cpu_met ? "met" : "MISSED",
              rss_met ? "met" : "MISSED");
  return v;
}

/// A directory of its own for the run's config, sink file and agent log.
std::optional<fs::path> make_run_dir() {
  char tmpl[] = "/tmp/qsanfwd-fleet-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) {
    return std::nullopt;
  }
  return fs::path(tmpl);
}

/// What the arrays saw, read before the agent stops and the fleet with it.
struct fleet_counts {
  std::vector<std::uint64_t> log_before;  ///< log requests per array when measuring began
  std::vector<std::uint64_t> log_after;
  std::vector<std::uint64_t> health_before;
  std::vector<std::uint64_t> health_after;
  std::size_t sim_lines = 0;
};

/// Prints the work done in the window and what reached the sink; true when every array was
/// served and the agent stopped cleanly.
bool report_work_done(const fleet_counts& c, const fs::path& dir, std::size_t arrays, int status) {
  const auto sink = read_sink(dir / "out/events.jsonl");
  std::uint64_t sink_log_lines = 0;
  for (const auto& [name, n] : sink.log_lines) {
    sink_log_lines += n;
  }
  const auto polled = count_if_positive(c.log_before, c.log_after);
  const auto health_polled =
      count_if_positive(std::vector<std::uint64_t>(arrays, 0), c.health_after);
  const auto health_in_window = count_if_positive(c.health_before, c.health_after);
  std::printf(
      "\nwork done: %zu/%zu arrays had their log read in the window, %zu/%zu had a health poll "
      "(%zu in the window);\n",
      polled, arrays, health_polled, arrays, health_in_window);
  std::printf(
      "file sink: %llu log lines from %zu devices (the arrays hold %zu), %llu health, %llu agent "
      "events\n",
      static_cast<unsigned long long>(sink_log_lines), sink.log_lines.size(), c.sim_lines,
      static_cast<unsigned long long>(sink.health), static_cast<unsigned long long>(sink.agent));
  std::printf("agent exit status after SIGTERM: %d\n", status);
  return polled == arrays && health_polled == arrays && sink.log_lines.size() == arrays &&
         status == 0;
}

/// Judges the window, tells of a failure, and keeps the run's directory when asked or failed.
int verdict_of(const window& w, const targets& t, bool served, const fs::path& dir,
               const fs::path& agent_log, bool keep) {
  auto v = judge(w, t);
  v.ok = served;
  if (!v.ok) {
    std::printf("FAILED: not every array was served, or the agent did not stop cleanly; see %s\n",
                agent_log.c_str());
    print_tail(agent_log, 10);
  }
  if (keep || !v.ok) {
    std::printf("kept %s\n", dir.c_str());
  } else {
    fs::remove_all(dir);
  }
  if (!v.ok) {
    return 1;
  }
  return v.targets_met ? 0 : 3;
}

int run(const bench_options& o) {
  const auto warmup = parse_or_throw(o.warmup, "--warmup");
  const auto length = parse_or_throw(o.measure, "--measure");
  const fs::path binary = o.agent.empty() ? default_agent_binary() : fs::path(o.agent);
  if (!fs::exists(binary)) {
    std::cerr << "no agent binary at " << binary << " (build target qsanfwd, or pass --agent)\n";
    return 1;
  }
  raise_fd_limit();
  qsanfwd::set_all_levels(spdlog::level::warn);

  const auto made = make_run_dir();
  if (!made) {
    std::cerr << "cannot create a temporary directory\n";
    return 1;
  }
  const fs::path dir = *made;
  std::printf("starting %zu simulated arrays (backlog %zu lines each%s) in %s\n", o.arrays,
              o.backlog, o.tls ? ", HTTPS" : "", dir.c_str());
  std::optional<qsanfwd::test::tls_cert> cert;
  if (o.tls) {
    cert = qsanfwd::test::make_tls_cert(dir);
  }
  qsanfwd::bench_fleet::serve_options arrays{0, o.arrays, o.backlog, o.live_rate, {}, {}, 0};
  if (cert) {
    arrays.cert_file = cert->cert_file.string();
    arrays.key_file = cert->key_file.string();
  }
  sim_processes fleet(fs::canonical("/proc/self/exe"), arrays, o.sims_per_process, interrupted);
  std::printf("%zu simulator processes listening\n", fleet.processes());
  const auto config = write_config(dir, fleet.ports(), o, cert);
  const auto agent_log = dir / "agent.log";
  // The soft descriptor limit a login shell or a plain systemd unit gives (1024 by default): the
  // agent has to cope with it.
  child_process agent(binary, {"run", "-c", config.string()}, agent_log,
                      static_cast<rlim_t>(o.agent_nofile));
  std::printf("agent %s pid %d; warm-up %s, then measuring %s\n", binary.c_str(), agent.pid(),
              o.warmup.c_str(), o.measure.c_str());
  std::fflush(stdout);

  const auto peak_fds = watch_warmup(agent, fleet, warmup);
  fleet_counts counts;
  std::optional<window> w;
  std::vector<array_stats> before;
  if (!interrupted && agent.running()) {
    before = fleet.stats();
    counts.log_before = each(before, &array_stats::log_requests);
    counts.health_before = each(before, &array_stats::health_requests);
    w = measure(agent, fleet, length, peak_fds);
  }
  if (!w) {
    const auto status = agent.stop(std::chrono::seconds(30));
    std::cerr << (interrupted ? "interrupted" : "the agent ended early") << " (status " << status
              << "); its last output:\n";
    print_tail(agent_log, 20);
    return 1;
  }
  const auto after = fleet.stats();
  counts.log_after = each(after, &array_stats::log_requests);
  counts.health_after = each(after, &array_stats::health_requests);
  const auto status = agent.stop(std::chrono::seconds(30));
  const auto at_end = fleet.stats();
  for (const auto& a : at_end) {
    counts.sim_lines += a.log_lines;
  }
  fleet.stop();
  write_array_stats(dir, before, at_end);

  print_table(*w, o.arrays, o, agent.pid());
  const bool served = report_work_done(counts, dir, o.arrays, status);
  return verdict_of(*w, targets_for(o.arrays, o.tls), served, dir, agent_log, o.keep);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "qsanfwd fleet benchmark: the agent's CPU and memory while it polls many simulated arrays"};
  bench_options o;
  app.add_option("--arrays", o.arrays, "simulated arrays (devices)")
      ->capture_default_str()
      ->check(CLI::Range(1, 20000));
  app.add_option("--warmup", o.warmup, "time before measuring")->capture_default_str();
  app.add_option("--measure", o.measure, "measuring window")->capture_default_str();
  app.add_option("--logs-interval", o.logs_interval, "devices' logs.interval")
      ->capture_default_str();
  app.add_option("--health-interval", o.health_interval, "devices' health.interval")
      ->capture_default_str();
  app.add_option("--backlog", o.backlog, "log lines each array holds at start")
      ->capture_default_str();
  app.add_option("--live-rate", o.live_rate, "new log lines per second per array")
      ->capture_default_str();
  app.add_option("--agent", o.agent, "the qsanfwd binary (default: this build's agent/qsanfwd)");
  app.add_option("--log-level", o.log_level, "the agent's log_level")->capture_default_str();
  app.add_flag("--tls", o.tls, "HTTPS to every array (a self-signed certificate as the CA)");
  app.add_option("--agent-nofile", o.agent_nofile,
                 "the agent's soft RLIMIT_NOFILE at start (0: as this process has it)")
      ->capture_default_str();
  app.add_flag("--keep", o.keep,
               "keep the temporary directory (config, state, sink file, agent log)");
  app.add_option("--sims-per-process", o.sims_per_process,
                 "arrays each simulator process serves at most (two descriptors each)")
      ->capture_default_str()
      ->check(CLI::Range(1, 9000));
  // The hidden mode the benchmark starts its simulator processes in (sim_processes.hpp).
  qsanfwd::bench_fleet::serve_options serve;
  auto* serve_cmd = app.add_subcommand("serve-arrays", "")->group("");
  serve_cmd->add_option("--first", serve.first)->required();
  serve_cmd->add_option("--count", serve.count)->required();
  serve_cmd->add_option("--backlog", serve.backlog);
  serve_cmd->add_option("--live-rate", serve.live_rate);
  serve_cmd->add_option("--cert-file", serve.cert_file);
  serve_cmd->add_option("--key-file", serve.key_file);
  serve_cmd->add_option("--parent", serve.parent)->required();
  CLI11_PARSE(app, argc, argv);
  try {
    if (*serve_cmd) {
      return qsanfwd::bench_fleet::serve_arrays(serve);
    }
    std::signal(SIGINT, [](int) { interrupted = true; });
    std::signal(SIGTERM, [](int) { interrupted = true; });
    // A simulator process that has gone makes a write to its pipe fail rather than kill us. The
    // agent inherits this too, as systemd's default (IgnoreSIGPIPE=yes) gives it.
    std::signal(SIGPIPE, SIG_IGN);
    return run(o);
  } catch (const std::exception& e) {
    std::cerr << "qsanfwd-bench-fleet: " << e.what() << "\n";
    return 1;
  }
}
