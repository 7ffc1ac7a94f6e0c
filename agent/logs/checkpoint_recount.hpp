#pragma once

#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "agent/device/model.hpp"
#include "agent/logs/line_dedup.hpp"

namespace qsanfwd::logs {

/// Counts the lines a whole cycle reads against the lines the dedup marks say were queued in
/// the same seconds (the checkpoint's second, the edges of cycles that failed, lines stamped
/// ahead of the clock). A log only grows, so a line queued before that no longer comes back
/// was dropped by the array: its log was overwritten or cleared, and whatever followed the
/// line may be gone too. Counted per line, not per second: lines written into the same second
/// since must not hide the loss.
class checkpoint_recount {
 public:
  checkpoint_recount() = default;
  /// `marks`: the store's marks of every second the cycle will read whole.
  explicit checkpoint_recount(const std::vector<line_mark>& marks);

  /// A line the cycle read (not counting lines it skipped as repeats of its own pages).
  void observe(const device::log_entry& line);
  /// Lines queued before that the cycle did not read.
  std::int64_t missing() const;
  /// The oldest second that misses lines (meaningful when missing() > 0).
  std::int64_t first_missing() const;
  std::int64_t last_missing() const;
  /// The marks as the array's log now holds them: the next cycle then counts from what is
  /// there and tells the same loss only once.
  std::vector<line_mark> as_read() const;

 private:
  struct tally {
    std::int64_t queued = 0;
    std::int64_t read = 0;
  };
  std::map<std::pair<std::int64_t, std::uint64_t>, tally> lines_;  ///< by (second, line_hash)
};

}  // namespace qsanfwd::logs
