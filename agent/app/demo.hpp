#pragma once

#include <cstddef>

#include "agent/core/duration.hpp"

namespace qsanfwd::app {

struct demo_options {
  duration duration_limit{0};  ///< 0: until Ctrl-C
  std::size_t backlog = 200;
  double live_rate = 2;
};

/// `qsanfwd demo`: an embedded simulated array, the agent forwarding from it, and a live view
/// of every event in the terminal. A disk and a PSU fail after a few seconds, then recover.
int demo_command(const demo_options& opts);

}  // namespace qsanfwd::app
