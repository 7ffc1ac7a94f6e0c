#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <utility>

#include "agent/core/event.hpp"
#include "config/config.hpp"

namespace qsanfwd::pipeline {

/// A sink's share of the queue (`queue.max_bytes`) and what happens when it is used up
/// (`queue.when_full`), decided over the bytes queued after the sink's cursor. Pure.

/// Whether a sink holds collection back: `when_full: block` with max_bytes or more undelivered.
bool blocks_collection(const config::queue_options& limits, std::int64_t pending_bytes);

/// Whether a sink must drop its oldest undelivered events: `when_full: drop_oldest` with more
/// than max_bytes undelivered.
bool must_drop_oldest(const config::queue_options& limits, std::int64_t pending_bytes);

/// The oldest events a sink drops to get back within its limit: whole events, from its cursor
/// on, until at least `excess` bytes are gone.
struct drop_plan {
  drop_plan(std::int64_t excess_bytes, std::int64_t cursor)
      : excess(excess_bytes), through(cursor) {}

  /// Takes events of `sizes` (seq and body size, in queue order, after `through`) until enough
  /// are taken or `sizes` ends.
  void take(std::span<const std::pair<std::int64_t, std::int64_t>> sizes);
  bool enough() const { return bytes >= excess; }

  std::int64_t excess;
  std::int64_t through;  ///< the cursor moves here
  std::int64_t events = 0;
  std::int64_t bytes = 0;
};

/// The agent event that reports a drop (`events_dropped`, warning), stamped `unix_time`. Its id
/// comes from the sink and where the drop moved its cursor to.
event dropped_event(std::string_view sink, const drop_plan& plan,
                    const config::queue_options& limits, std::int64_t unix_time);

}  // namespace qsanfwd::pipeline
