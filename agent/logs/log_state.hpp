#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "agent/store/state_store.hpp"

namespace qsanfwd::logs {

/// A device's reading position in its array's log.
struct checkpoint {
  std::int64_t start_time = 0;       ///< every line before this second has been queued
  std::int64_t floor = 0;            ///< lines before this second are never wanted (`start_at`)
  std::optional<bool> newest_first;  ///< the array's result order, once learned
  std::int64_t cycle = 0;            ///< id of the last read cycle begun
};

/// What observe() says about one sighting of a line.
struct sighting {
  bool fresh = false;  ///< more sightings than lines queued: queue this one
  std::int64_t occurrence =
      0;  ///< 1 for the first such line in its second, 2 for an identical twin...
};

/// The log poller's rows in the state store: the checkpoint and the dedup marks of one device.
/// Callers wrap writes in a transaction together with the queue appends.
class log_state {
 public:
  log_state(state_store& store, std::string device) : store_(store), device_(std::move(device)) {}

  std::optional<checkpoint> load();
  void save(const checkpoint& cp);
  /// Records that `cycle` saw the line (`timestamp`, `type`, `message`) once more.
  sighting observe(std::int64_t timestamp, std::string_view type, std::string_view message,
                   std::int64_t cycle);
  /// Forgets marks of seconds before `timestamp`: lines there are never read again.
  void prune_before(std::int64_t timestamp);
  std::int64_t mark_count();

 private:
  state_store& store_;
  std::string device_;
};

/// FNV-1a over type and message: stable across versions and machines, as stored marks need.
std::uint64_t line_hash(std::string_view type, std::string_view message);

}  // namespace qsanfwd::logs
