#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/logs/line_dedup.hpp"
#include "agent/store/state_store.hpp"

namespace qsanfwd::logs {

/// A device's reading position in its array's log.
struct checkpoint {
  std::int64_t start_time = 0;       ///< every line before this second has been queued
  std::int64_t floor = 0;            ///< lines before this second are never wanted (`start_at`)
  std::optional<bool> newest_first;  ///< the array's result order, once learned
  std::int64_t cycle = 0;            ///< id of the last read cycle begun
};

/// The log poller's rows in the state store: the checkpoint, and what line_dedup needs to
/// remember (marks of edge seconds, spans of seconds read whole). Callers wrap writes in a
/// transaction together with the queue appends.
class log_state {
 public:
  log_state(state_store& store, std::string device) : store_(store), device_(std::move(device)) {}

  std::optional<checkpoint> load();
  void save(const checkpoint& cp);

  /// Spans of seconds read whole by earlier cycles.
  std::vector<second_span> spans();
  /// The marks of seconds lo..hi.
  std::vector<line_mark> marks_between(std::int64_t lo, std::int64_t hi);
  /// Keeps what a page of cycle `cycle` leaves behind; marks inside its span are dropped.
  void record(std::int64_t cycle, const page_record& page);
  /// Forgets marks and spans of seconds before `timestamp`: lines there are never read again.
  void prune_before(std::int64_t timestamp);
  std::int64_t mark_count();

 private:
  state_store& store_;
  std::string device_;
};

/// FNV-1a over type and message: stable across versions and machines, as stored marks need.
std::uint64_t line_hash(std::string_view type, std::string_view message);

}  // namespace qsanfwd::logs
