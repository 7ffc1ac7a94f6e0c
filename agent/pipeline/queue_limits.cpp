#include "agent/pipeline/queue_limits.hpp"

#include <string>

#include "agent/core/ids.hpp"

namespace qsanfwd::pipeline {

bool blocks_collection(const config::queue_options& limits, std::int64_t pending_bytes) {
  return limits.on_full == config::when_full::block &&
         pending_bytes >= static_cast<std::int64_t>(limits.max_bytes);
}

bool must_drop_oldest(const config::queue_options& limits, std::int64_t pending_bytes) {
  return limits.on_full == config::when_full::drop_oldest &&
         pending_bytes > static_cast<std::int64_t>(limits.max_bytes);
}

void drop_plan::take(std::span<const std::pair<std::int64_t, std::int64_t>> sizes) {
  for (const auto& [seq, size] : sizes) {
    if (enough()) {
      return;
    }
    through = seq;
    bytes += size;
    ++events;
  }
}

event dropped_event(std::string_view sink, const drop_plan& plan,
                    const config::queue_options& limits, std::int64_t unix_time) {
  event e;
  e.kind = event_kind::agent;
  e.timestamp = unix_time;
  e.type = "events_dropped";
  e.severity = severity::warning;
  e.message = "Sink " + std::string(sink) + " dropped its " + std::to_string(plan.events) +
              " oldest undelivered event(s) (" + std::to_string(plan.bytes) +
              " bytes): its queue reached queue.max_bytes (" + std::to_string(limits.max_bytes) +
              ")";
  e.id = stable_id({"agent", e.type, sink, std::to_string(plan.through)});
  return e;
}

}  // namespace qsanfwd::pipeline
