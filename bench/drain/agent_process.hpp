#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace qsanfwd::bench {

/// What a finished child cost: wall time from start to exit, CPU and peak resident memory.
struct usage {
  double wall_s = 0;
  double cpu_s = 0;
  double peak_rss_mb = 0;  ///< the highest VmHWM sampled
  double written_mb = 0;   ///< write_bytes of /proc/PID/io when last sampled: what went to disk
  int status = -1;         ///< exit code, or 128 + signal
};

/// A program run as a child whose output goes to `log_file`; its resource use is read with
/// wait4 when it ends, so it covers the child alone and nothing of this process.
class measured_process {
 public:
  measured_process(const std::filesystem::path& program, const std::vector<std::string>& args,
                   const std::filesystem::path& log_file);
  ~measured_process();
  measured_process(const measured_process&) = delete;
  measured_process& operator=(const measured_process&) = delete;

  void signal(int sig);
  /// Samples the child's high-water resident memory (VmHWM) and the bytes it has written to
  /// storage while it runs. wait4's ru_maxrss cannot be used: exec folds the spawning process's
  /// own peak (here the simulator holding the backlog) into the child's figure.
  void sample();
  bool exited();  ///< without blocking
  usage wait();   ///< blocks until it exits
  pid_t pid() const { return pid_; }

 private:
  void record(int status, const ::rusage& ru);

  pid_t pid_ = -1;
  std::chrono::steady_clock::time_point started_;
  bool done_ = false;
  usage usage_;
};

}  // namespace qsanfwd::bench
