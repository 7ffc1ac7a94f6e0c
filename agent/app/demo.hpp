#pragma once

#include <cstddef>

#include "agent/core/duration.hpp"

namespace qsanfwd::app {

struct demo_options {
  duration duration_limit{0};  ///< 0: until Ctrl-C
  std::size_t backlog = 200;
  double live_rate = 2;
  bool keep = false;  ///< leave the temporary directory (state, events.jsonl) behind
};

/// `qsanfwd demo`: an embedded simulated array, the agent forwarding from it, and a live view
/// of every event in the terminal. A disk and a PSU fail after a few seconds, then recover.
/// Its temporary directory is removed at the end unless `keep` is set.
int demo_command(const demo_options& opts);

}  // namespace qsanfwd::app
