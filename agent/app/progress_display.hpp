#pragma once

#include <chrono>
#include <map>
#include <string>

#include "agent/logs/log_poller.hpp"

namespace qsanfwd::app {

/// Shows how a backlog drain goes: on a terminal, one live line per device rewritten in place;
/// otherwise a log line every few seconds, so journald is not flooded.
class progress_display {
 public:
  progress_display();
  void update(const logs::progress& p);

 private:
  bool terminal_;
  std::map<std::string, std::chrono::steady_clock::time_point> last_shown_;
};

/// "1.2M of 5.0M lines (81,000/s, ETA 47s)".
std::string describe_progress(const logs::progress& p);

}  // namespace qsanfwd::app
