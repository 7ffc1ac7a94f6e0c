#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>

namespace qsanfwd::ops {

/// What /proc says about one process at one instant.
struct proc_sample {
  double cpu_seconds = 0;      ///< utime + stime since the process started
  std::uint64_t rss_kib = 0;   ///< VmRSS
  std::uint64_t hwm_kib = 0;   ///< VmHWM: the peak RSS so far
  std::uint64_t threads = 0;   ///< Threads
  std::uint64_t open_fds = 0;  ///< entries of /proc/<pid>/fd
  /// write_bytes of /proc/<pid>/io: what it sent to storage, counted when pages are dirtied
  /// (so including what the page cache has not written yet); 0 when that file is unreadable.
  std::uint64_t written_bytes = 0;
  std::uint64_t vm_kib = 0;        ///< VmSize
  double start_time_unix = 0;      ///< when it started, seconds since the epoch
};

/// Reads /proc/<pid>/stat, /proc/<pid>/status, /proc/<pid>/io and /proc/<pid>/fd; nullopt once
/// the process is gone. For the agent's own /metrics (process_*) and the benchmarks' children.
std::optional<proc_sample> sample_process(pid_t pid);

/// CPU time of one thread of this process, from its CPU-time clock.
double thread_cpu_seconds(pthread_t thread);

}  // namespace qsanfwd::ops
