#pragma once

#include <chrono>
#include <cstdio>
#include <map>
#include <optional>
#include <string>

#include "agent/logs/log_poller.hpp"

namespace qsanfwd::app {

/// Shows how backlog drains go. On a terminal: one live line rewritten in place, for one device
/// its progress, for several a sum over them all ("reading 3 arrays' logs: ..."), and a line of
/// its own that stays for each device whose drain ended; otherwise a log line per device every
/// few seconds, so journald is not flooded.
class progress_display {
 public:
  /// `terminal`: whether `out` is one (default: ask isatty).
  explicit progress_display(std::FILE* out = stderr, std::optional<bool> terminal = std::nullopt);
  void update(const logs::progress& p);

 private:
  void show_live_line();

  std::FILE* out_;
  bool terminal_;
  std::map<std::string, std::chrono::steady_clock::time_point> last_shown_;
  std::map<std::string, logs::progress> draining_;  ///< on a terminal: drains under way
  std::chrono::steady_clock::time_point line_shown_{};
};

/// "1.2M of 5.0M lines (81,000/s, ETA 47s)".
std::string describe_progress(const logs::progress& p);

}  // namespace qsanfwd::app
