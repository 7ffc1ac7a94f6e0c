#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "agent/core/event.hpp"
#include "agent/store/state_store.hpp"

namespace qsanfwd {

/// An event as the queue holds it: its place in the queue and its canonical JSON.
struct queued_event {
  std::int64_t seq = 0;
  std::string body;
};

struct queue_totals {
  std::int64_t events = 0;
  std::int64_t bytes = 0;
};

/// The durable event queue in the state store. Every event is here before any sink sees it;
/// `seq` orders the queue and is never reused, so a sink's cursor stays meaningful.
class event_queue {
 public:
  explicit event_queue(state_store& store) : store_(store) {}

  /// Appends `e`. Inside the caller's transaction when one is open (so the append commits with
  /// the caller's other writes, or not at all); in a transaction of its own otherwise.
  std::int64_t append(const event& e);

  /// Up to `max_events` events after `seq`, in order.
  std::vector<queued_event> read_after(std::int64_t seq, std::size_t max_events);

  queue_totals totals();
  /// The highest seq handed out so far (0 for a queue never written).
  std::int64_t last_seq();

 private:
  std::int64_t insert(const event& e);

  state_store& store_;
};

}  // namespace qsanfwd
