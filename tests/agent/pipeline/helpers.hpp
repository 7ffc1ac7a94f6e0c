#pragma once

#include <boost/asio/io_context.hpp>
#include <string>

#include "agent/core/event.hpp"
#include "config/config.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/wait.hpp"

namespace qsanfwd::test {

inline event numbered_event(int n) {
  event e;
  e.id = "id-" + std::to_string(n);
  e.device = "array-01";
  e.timestamp = 1795915304 + n;
  e.type = "info";
  e.message = "event " + std::to_string(n);
  return e;
}

/// A sink configuration that retries fast and sends what it has at once.
inline config::sink_config fast_sink_config(const std::string& name, const temp_dir& dir) {
  config::sink_config c;
  c.name = name;
  c.type = "test";
  c.batch.max_events = 5;
  c.batch.max_delay = duration{0};
  c.retry.initial = duration{1};
  c.retry.max = duration{4};
  c.start_at = config::sink_start::oldest;
  c.dead_letter_path = dir / "dead-letter" / (name + ".jsonl");
  return c;
}

/// Runs `io` until `condition` holds or the deadline passes; returns whether it held.
inline bool run_until(boost::asio::io_context& io, const std::function<bool()>& condition,
                      std::chrono::milliseconds deadline = std::chrono::seconds(10)) {
  return wait_until(
      [&] {
        io.restart();
        io.run_for(std::chrono::milliseconds(2));
        return condition();
      },
      deadline);
}

}  // namespace qsanfwd::test
