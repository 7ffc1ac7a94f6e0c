#pragma once

// Inputs shared by the micro benchmarks: pages as the simulated array renders them, events as the
// log poller builds them, and a state store in a temporary directory.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "agent/core/event.hpp"
#include "agent/device/model.hpp"
#include "agent/store/event_queue.hpp"
#include "agent/store/state_store.hpp"

namespace qsanfwd::bench {

/// Lines per page: the poller's default `page_size`.
inline constexpr std::size_t page_lines = 1000;
/// Events per batch: the dispatcher's default `batch.max_events`.
inline constexpr std::size_t batch_events = 500;
/// Bytes per batch: the dispatcher's default `batch.max_bytes`.
inline constexpr std::size_t batch_bytes = 1 << 20;

/// The body of a `/rest/v1/log/list` answer (newest first, as QSM answers) of `lines` lines
/// from the simulator's templates, spread over `lines / 2` seconds ending at `last_second`, with
/// 5% identical twins (the simulator's default).
std::string log_page_body(std::size_t lines, std::int64_t last_second);

/// The lines of log_page_body(lines, last_second), parsed.
std::vector<device::log_entry> log_page(std::size_t lines, std::int64_t last_second);

/// The event the log poller queues for `line` (the same fields as log_poller::make_event,
/// which is private), for device "array-01" with a known model and serial. `shift` moves the
/// line later by that many seconds, so one page can stand for many.
event log_event(const device::log_entry& line, std::int64_t occurrence, std::int64_t shift = 0);

/// `n` log events from consecutive pages.
std::vector<event> log_events(std::size_t n);

/// A state store in a fresh directory under $TMPDIR (or /tmp), removed with it.
class temp_store {
 public:
  temp_store();
  ~temp_store();
  temp_store(const temp_store&) = delete;
  temp_store& operator=(const temp_store&) = delete;

  state_store& store() { return *store_; }
  event_queue& queue() { return queue_; }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
  std::unique_ptr<state_store> store_;
  event_queue queue_;
};

/// Appends `events` to `q` in transactions of page_lines events each, as the poller commits.
void fill_queue(state_store& store, event_queue& q, const std::vector<event>& events);

}  // namespace qsanfwd::bench
