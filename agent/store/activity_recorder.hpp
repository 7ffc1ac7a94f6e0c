#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "agent/store/state_store.hpp"

namespace qsanfwd {

/// The outcome of each poll, for `qsanfwd status`, written for all devices in one transaction
/// a second: one transaction (one fsync) per poll was a fifth of the agent's CPU with 1,000
/// devices (bench/fleet). Per device and activity it keeps only what decides the stored row,
/// so after a flush the row is what writing every outcome at once would have left
/// (device_activity.hpp's record_poll_* one by one).
class activity_recorder {
 public:
  explicit activity_recorder(state_store& store) : store_(store) {}

  void success(const std::string& device, std::string_view activity, std::int64_t at);
  void failure(const std::string& device, std::string_view activity, std::int64_t at,
               std::string error);
  /// Adds `count` to a tally (see record_poll_count).
  void count(const std::string& device, std::string_view activity, std::int64_t at,
             std::int64_t count, std::string note);

  /// Writes what is pending in one transaction. Throws store_error, keeping it all pending.
  void flush();

 private:
  struct failure_note {
    std::int64_t at = 0;
    std::string error;
  };
  struct pending {
    std::optional<failure_note> before_success;  // the last failure before the success
    std::optional<std::int64_t> success_at;      // the last success
    std::optional<failure_note> after;           // the last failure since then
    int failures_after = 0;                      // failures since then
    std::int64_t counted = 0;                    // for a tally: what to add
    std::int64_t counted_at = 0;
    std::string note;
  };

  state_store& store_;
  std::map<std::pair<std::string, std::string>, pending> pending_;
};

}  // namespace qsanfwd
