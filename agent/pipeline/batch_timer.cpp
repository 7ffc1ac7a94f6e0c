#include "agent/pipeline/batch_timer.hpp"

namespace qsanfwd::pipeline {

bool batch_fill::enough(std::size_t max_bytes) const {
  return events >= wake_at_events || bytes >= static_cast<std::int64_t>(max_bytes);
}

std::optional<batch_wait> batch_timer::wait_for(std::span<const queued_event> batch,
                                                std::int64_t queued_through,
                                                const config::batch_options& limits,
                                                std::chrono::steady_clock::time_point now) {
  if (batch.empty()) {
    partial_since_.reset();
    return batch_wait{std::chrono::steady_clock::time_point::max(), batch_fill{}};
  }
  if (!partial_since_) {
    partial_since_ = now;
  }
  const auto due = *partial_since_ + limits.max_delay;
  const bool full = batch.size() >= limits.max_events || batch.back().seq < queued_through;
  if (full || now >= due) {
    partial_since_.reset();  // sent: the next partial batch waits its own max_delay
    return std::nullopt;
  }
  batch_wait wait{due, batch_fill{}};
  wait.fill.wake_at_events = static_cast<std::int64_t>(limits.max_events);
  wait.fill.events = static_cast<std::int64_t>(batch.size());
  for (const auto& e : batch) {
    wait.fill.bytes += static_cast<std::int64_t>(e.body.size());
  }
  return wait;
}

}  // namespace qsanfwd::pipeline
