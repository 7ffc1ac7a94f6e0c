#include "agent/pipeline/sink_answer.hpp"

#include <algorithm>

namespace qsanfwd::pipeline {

settlement settle(const sinks::delivery& answer, std::size_t size) {
  settlement s;
  if (answer.per_event.size() == size) {
    // The cursor is one position: nothing after the first event to retry may pass it.
    while (s.settled < size && answer.per_event[s.settled] != sinks::outcome::retry) {
      if (answer.per_event[s.settled] == sinks::outcome::rejected) {
        s.rejected.push_back(s.settled);
      }
      ++s.settled;
    }
    return s;
  }
  if (answer.result == sinks::outcome::retry) {
    return s;
  }
  s.settled = size;
  if (answer.result == sinks::outcome::rejected) {
    for (std::size_t i = 0; i < size; ++i) {
      s.rejected.push_back(i);
    }
  }
  return s;
}

std::optional<retry_after_wait> obey_retry_after(std::optional<duration> retry_after,
                                                 duration retry_max) {
  if (!retry_after || *retry_after < duration::zero()) {
    return std::nullopt;
  }
  // The destination's word is taken up to retry.max: one "Retry-After: 31536000" from a proxy
  // or a confused receiver would otherwise silence the sink for a year.
  if (*retry_after <= retry_max) {
    return retry_after_wait{*retry_after, false};
  }
  return retry_after_wait{retry_max, true};
}

}  // namespace qsanfwd::pipeline
