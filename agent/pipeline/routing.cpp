#include "agent/pipeline/routing.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>

namespace qsanfwd::pipeline {
namespace {

/// The sink's copy of `e`: taken, and shaped, or nullopt when its rules pass it over.
std::optional<queued_event> routed(queued_event e, const event_filter& filter,
                                   const event_shape& shape) {
  if (filter.takes_all() && shape.empty()) {
    return e;
  }
  try {
    if (!filter.takes(e.fields())) {
      return std::nullopt;
    }
    if (shape.empty()) {
      return e;
    }
    event shaped = e.fields();
    shape.apply(shaped);
    auto body = shape.json(shaped);
    return queued_event(e.seq, std::move(body), std::move(shaped));
  } catch (const std::exception&) {
    return e;
  }
}

}  // namespace

routed_batch route_batch(std::vector<queued_event> batch, std::string_view sink,
                         const event_filter& filter, const event_shape& shape) {
  routed_batch out;
  out.read.reserve(batch.size());
  out.send.reserve(batch.size());
  for (auto& e : batch) {
    const auto seq = e.seq;
    const auto bytes = static_cast<std::int64_t>(e.body.size());
    if (!e.only_for.empty() && e.only_for != sink) {
      out.read.push_back({seq, bytes, false, true});
      continue;
    }
    auto taken = routed(std::move(e), filter, shape);
    out.read.push_back({seq, bytes, taken.has_value()});
    if (taken) {
      out.send.push_back(std::move(*taken));
    }
  }
  return out;
}

cursor_step step_after(const routed_batch& b, std::size_t settled, std::size_t rejected,
                       std::int64_t cursor) {
  // Everything before the first unsettled event may be passed.
  const auto before = settled < b.send.size() ? b.send[settled].seq
                                              : std::numeric_limits<std::int64_t>::max();
  cursor_step step;
  std::int64_t sent = 0;
  for (const auto& r : b.read) {
    if (r.seq >= before) {
      break;
    }
    step.through = r.seq;
    if (r.seq <= cursor) {
      continue;
    }
    step.bytes += r.bytes;
    if (!r.other_sinks) {
      (r.sent ? sent : step.filtered) += 1;
    }
  }
  // Which of the events a drop passed were rejected is not known here: the rejected count is
  // kept within the events this step passes, so that delivered never goes below zero.
  step.rejected = std::min(sent, static_cast<std::int64_t>(rejected));
  step.delivered = sent - step.rejected;
  return step;
}

}  // namespace qsanfwd::pipeline
