#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "agent/core/queued_event.hpp"
#include "config/config.hpp"

namespace qsanfwd::pipeline {

/// What a lane waiting for its batch to fill has seen: the events of the batch it read plus
/// those appended since. Counted on each append instead of reading the batch again: re-reading a
/// partial batch on every append (a page of each of 1,000 devices) cost more than the delivery.
struct batch_fill {
  std::int64_t events = 0;
  std::int64_t bytes = 0;
  std::int64_t wake_at_events = 1;  ///< 1 for an empty batch, a full batch for a partial one

  /// Whether the wait may end early: enough events, or `max_bytes` of them.
  bool enough(std::size_t max_bytes) const;
};

/// A wait for a batch to fill: until `until` at the latest, sooner once `fill` is enough.
struct batch_wait {
  std::chrono::steady_clock::time_point until;  ///< time_point::max() for an empty batch
  batch_fill fill;
};

/// `batch.max_delay` of one lane: a batch that is not full is held back until the delay since
/// the lane first read it partial has passed. Pure: the time is an argument.
class batch_timer {
 public:
  /// Whether `batch`, just read, is sent now (nullopt) or waited on. `queued_through` is the
  /// last seq queued: a batch that ends before it stopped short by `max_bytes` and is full.
  std::optional<batch_wait> wait_for(std::span<const queued_event> batch,
                                     std::int64_t queued_through,
                                     const config::batch_options& limits,
                                     std::chrono::steady_clock::time_point now);

 private:
  std::optional<std::chrono::steady_clock::time_point> partial_since_;
};

}  // namespace qsanfwd::pipeline
