#pragma once

#include <sys/types.h>

namespace qsanfwd::bench {

/// A child's high-water resident memory (VmHWM) and the bytes it has written to storage,
/// sampled from /proc while it runs. wait4's ru_maxrss cannot be used: exec folds the spawning
/// process's own peak (here the simulator holding the backlog) into the child's figure.
struct footprint {
  double peak_rss_mb = 0;  ///< the highest VmHWM sampled
  double written_mb = 0;   ///< write_bytes of /proc/PID/io when last sampled: what went to disk

  /// A process that has gone leaves the figures as they were.
  void sample(pid_t pid);
};

}  // namespace qsanfwd::bench
