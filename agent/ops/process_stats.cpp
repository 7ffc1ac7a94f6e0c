#include "agent/ops/process_stats.hpp"

#include <pthread.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace qsanfwd::ops {

namespace {

/// The system's boot time, seconds since the epoch (btime of /proc/stat).
double boot_time() {
  std::ifstream in("/proc/stat");
  std::string key;
  while (in >> key) {
    if (key == "btime") {
      double t = 0;
      in >> t;
      return t;
    }
    in.ignore(1 << 16, '\n');
  }
  return 0;
}

/// utime and stime are fields 14 and 15 of /proc/<pid>/stat, starttime (in ticks after boot)
/// field 22; the command name (field 2) may hold spaces, so counting starts after its closing
/// parenthesis.
bool read_stat(pid_t pid, proc_sample& s) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) {
    return false;
  }
  const auto close = line.rfind(')');
  if (close == std::string::npos) {
    return false;
  }
  std::istringstream fields(line.substr(close + 2));
  std::string skip;
  for (int i = 3; i < 14; ++i) {
    fields >> skip;
  }
  unsigned long long utime = 0;
  unsigned long long stime = 0;
  if (!(fields >> utime >> stime)) {
    return false;
  }
  for (int i = 16; i < 22; ++i) {
    fields >> skip;
  }
  unsigned long long started = 0;
  fields >> started;
  const auto ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  s.cpu_seconds = static_cast<double>(utime + stime) / ticks;
  static const double boot = boot_time();  // fixed while the system runs
  s.start_time_unix = boot + static_cast<double>(started) / ticks;
  return true;
}

bool read_status(pid_t pid, proc_sample& s) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  if (!in) {
    return false;
  }
  std::string key;
  while (in >> key) {
    if (key == "VmRSS:") {
      in >> s.rss_kib;
    } else if (key == "VmHWM:") {
      in >> s.hwm_kib;
    } else if (key == "Threads:") {
      in >> s.threads;
    } else if (key == "VmSize:") {
      in >> s.vm_kib;
    }
    in.ignore(1 << 16, '\n');
  }
  return true;
}

std::uint64_t written_bytes(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/io");
  std::string key;
  std::uint64_t value = 0;
  while (in >> key >> value) {
    if (key == "write_bytes:") {
      return value;
    }
  }
  return 0;
}

std::uint64_t count_fds(pid_t pid) {
  std::error_code ec;
  std::uint64_t n = 0;
  for (std::filesystem::directory_iterator it("/proc/" + std::to_string(pid) + "/fd", ec), end;
       !ec && it != end; it.increment(ec)) {
    ++n;
  }
  return n;
}

}  // namespace

std::optional<proc_sample> sample_process(pid_t pid) {
  proc_sample s;
  if (!read_stat(pid, s) || !read_status(pid, s)) {
    return std::nullopt;
  }
  s.open_fds = count_fds(pid);
  s.written_bytes = written_bytes(pid);
  return s;
}

double thread_cpu_seconds(pthread_t thread) {
  clockid_t clock{};
  if (pthread_getcpuclockid(thread, &clock) != 0) {
    return 0;
  }
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

}  // namespace qsanfwd::ops
