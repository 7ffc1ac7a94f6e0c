#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agent/core/event.hpp"
#include "agent/health/snapshot.hpp"
#include "config/config.hpp"

namespace qsanfwd::health {

/// Threshold alarms clear this far on the safe side of their limit (°C or percentage points),
/// so a value that hovers at the line raises one alarm, not one per poll.
inline constexpr double hysteresis = 2;

/// What a diff stamps on its events.
struct poll_context {
  std::string device;
  std::string host;
  std::int64_t timestamp = 0;  ///< the poll's time, unix seconds
  /// The device's snapshots saved before this poll. In the ids: two polls of one second (a
  /// word flapping across restarts) must not give two different changes the same id.
  std::int64_t saves = 0;
  std::string model;           ///< the array's, for components without their own
  std::string serial;
};

struct diff_result {
  snapshot next;              ///< to persist: the observation with alarms and removals settled
  std::vector<event> events;  ///< health events, in key order (the inventory first)
};

/// Compares an observation (from flatten()) with the previous snapshot (nullopt: first run) and
/// returns the health events and the snapshot to keep. Pure: the same inputs always give the
/// same events with the same ids.
///
/// - health and status words: one event per component whose words changed, on the attribute
///   whose change is the most severe (the message tells both); a component seen for the first
///   time raises an event only when a word is not fine;
/// - enclosures and disks: removal (warning), return of a removed one (notice), a new one after
///   the first run (info); a removed one is kept as "absent" so its return and a restart both
///   know;
/// - thresholds (sensor and disk temperature, SSD life, pool space, a stopped fan): raised at
///   the limit, cleared `hysteresis` past it on the safe side; the raised flag is kept;
/// - first run: one info event with the inventory, and events only for what is not fine.
diff_result diff(const std::optional<snapshot>& previous, const snapshot& observed,
                 const config::thresholds& limits, const poll_context& ctx);

}  // namespace qsanfwd::health
