#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "agent/device/model.hpp"
#include "agent/logs/line_dedup.hpp"

namespace qsanfwd::logs {

/// Counts the lines of the checkpoint's second that a cycle reads again against those queued
/// there before. A log only grows, so a line queued before that no longer comes back was
/// dropped by the array: its log was overwritten or cleared past the checkpoint, and whatever
/// followed the line may be gone too. Counted per line, not per second: lines written into
/// the same second since must not hide the loss.
class checkpoint_recount {
 public:
  /// `marks`: the store's marks of second `second`.
  checkpoint_recount() = default;
  checkpoint_recount(std::int64_t second, const std::vector<line_mark>& marks);

  /// A line the cycle read (not counting lines it skipped as repeats of its own pages).
  void observe(const device::log_entry& line);
  /// Lines queued before in that second that the cycle did not read.
  std::int64_t missing() const;
  /// The marks of that second as the array's log now holds them: the next cycle then counts
  /// from what is there and tells the same loss only once.
  std::vector<line_mark> as_read() const;
  std::int64_t second() const { return second_; }

 private:
  struct tally {
    std::int64_t queued = 0;
    std::int64_t read = 0;
  };
  std::int64_t second_ = 0;
  std::unordered_map<std::uint64_t, tally> lines_;  ///< by line_hash
};

}  // namespace qsanfwd::logs
