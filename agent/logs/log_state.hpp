#pragma once

#include <cstdint>
#include <optional>
#include <span>
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
  /// Every line queued at or after this second is in the recent-lines record (none: not yet).
  std::optional<std::int64_t> recorded_since;
};

/// A line a page queued, as the recent-lines record keeps it.
struct queued_line {
  std::int64_t timestamp = 0;
  std::uint64_t hash = 0;
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

  /// Sets marks to counts lower than they hold (lines the array dropped).
  void lower(const std::vector<line_mark>& marks);
  /// Adds a page's queued lines to the recent-lines record.
  void remember(std::span<const queued_line> lines);
  /// Forgets the record of seconds before `timestamp`.
  void forget_recent_before(std::int64_t timestamp, std::int64_t recorded_before);
  /// Takes seconds `from`..`to`, read whole before, as open again (the array's clock went back
  /// into them): spans end before `from`, and the lines the record holds there become marks.
  void reopen(std::int64_t from, std::int64_t to);
  std::int64_t mark_count();
  /// Forgets everything kept under this key (a replay that ended).
  void erase();

  const std::string& key() const { return device_; }

 private:
  state_store& store_;
  std::string device_;
};

/// FNV-1a over type and message: stable across versions and machines, as stored marks need.
std::uint64_t line_hash(std::string_view type, std::string_view message);

}  // namespace qsanfwd::logs
