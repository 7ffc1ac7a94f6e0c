#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "agent/core/event_filter.hpp"
#include "agent/core/event_shape.hpp"
#include "agent/core/queued_event.hpp"

namespace qsanfwd::pipeline {

/// A batch read from the queue as one sink sees it: the events its `match`/`exclude` takes,
/// shaped by its `fields`/`rename`/`drop`, and a note of every event read, so that its cursor
/// passes the events it does not take without sending them.
/// Pure: no I/O.
struct routed_batch {
  struct read_event {
    std::int64_t seq = 0;
    std::int64_t bytes = 0;  ///< as queued (the lane's share of the queue counts these)
    bool sent = false;
    /// Not for this sink at all (a replay for another): passed, neither sent nor filtered.
    bool other_sinks = false;
  };
  std::vector<queued_event> send;  ///< in queue order
  std::vector<read_event> read;    ///< every event read, in queue order
};

/// Sorts `batch` (in queue order) for the sink named `sink`. An event whose JSON does not parse
/// is sent as it is: the sink answers for it (rejected, to the dead-letter file), as without
/// rules. An event for one other sink only (queued_event::only_for) is passed.
routed_batch route_batch(std::vector<queued_event> batch, std::string_view sink,
                         const event_filter& filter, const event_shape& shape);

/// What settling the first `settled` events of `b.send`, `rejected` of them rejected, moves:
/// the cursor up to `through` (0: it cannot move), past the events not sent before the first
/// unsettled one. Events at or before `cursor` (a drop passed them meanwhile) count no more.
struct cursor_step {
  std::int64_t through = 0;
  std::int64_t delivered = 0;
  std::int64_t rejected = 0;
  std::int64_t filtered = 0;
  std::int64_t bytes = 0;
};
cursor_step step_after(const routed_batch& b, std::size_t settled, std::size_t rejected,
                       std::int64_t cursor);

}  // namespace qsanfwd::pipeline
