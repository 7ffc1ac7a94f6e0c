#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/store/state_store.hpp"

namespace qsanfwd {

/// What one kind of poll (`logs`, `health`) of one device did last.
struct device_activity {
  std::string device;
  std::string activity;
  std::optional<std::int64_t> last_success_at;  ///< unix seconds
  std::optional<std::int64_t> last_failure_at;
  std::string last_error;     ///< the reason of the last failure, no secret in it
  std::int64_t failures = 0;  ///< consecutive, since the last success
};

/// A device's log checkpoint as `qsanfwd status` shows it.
struct checkpoint_view {
  std::string device;
  std::int64_t start_time = 0;  ///< the array's time the next cycle reads from
  std::int64_t updated_at = 0;  ///< when it last moved (our clock)
};

/// Records the outcome of each poll (one small transaction), so `qsanfwd status` and a
/// restarted agent can tell when a device last worked and why it does not.
void record_poll_success(state_store& store, std::string_view device, std::string_view activity,
                         std::int64_t at);
void record_poll_failure(state_store& store, std::string_view device, std::string_view activity,
                         std::int64_t at, std::string_view error);

/// Adds `count` to a tally kept as an activity's `failures` (never reset by a success), such as
/// the bytes of invalid UTF-8 an array answered with, seen last at `at`, `note` saying what.
void record_poll_count(state_store& store, std::string_view device, std::string_view activity,
                       std::int64_t at, std::int64_t count, std::string_view note);

std::vector<device_activity> load_device_activity(state_store& store);
std::vector<checkpoint_view> load_checkpoints(state_store& store);

}  // namespace qsanfwd
