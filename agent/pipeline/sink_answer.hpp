#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "agent/core/duration.hpp"
#include "sinks/sink.hpp"

namespace qsanfwd::pipeline {

/// What a sink's answer to a batch means for its lane: which events the cursor may pass, which
/// of those go to the dead-letter file, what they add to its counters, and how long to wait
/// before the rest is tried again.
/// Pure: no I/O, no clock.

/// Which events of a batch are settled (the cursor may pass them), and which of those were
/// rejected.
struct settlement {
  std::size_t settled = 0;            ///< the first `settled` events of the batch
  std::vector<std::size_t> rejected;  ///< their indexes in the batch, ascending
};

/// Reads `answer` to a batch of `size` events. With one per-event outcome per event, the batch
/// is settled up to the first event to retry; otherwise `answer.result` settles all of it
/// (delivered or rejected) or nothing (retry).
settlement settle(const sinks::delivery& answer, std::size_t size);

/// The wait a sink's Retry-After asks for, as the lane obeys it.
struct retry_after_wait {
  duration wait{0};
  bool capped = false;  ///< Retry-After asked for more than retry.max: `wait` is retry.max
};

/// The wait `retry_after` asks for, capped by `retry_max`; nullopt when there is none (or it
/// is negative) and the lane's backoff decides.
std::optional<retry_after_wait> obey_retry_after(std::optional<duration> retry_after,
                                                 duration retry_max);

}  // namespace qsanfwd::pipeline
