#pragma once

#include <chrono>
#include <random>
#include <string_view>

#include "agent/core/duration.hpp"

namespace qsanfwd {

/// Exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff And
/// Jitter"): the n-th wait is uniform in [0, min(max, initial * 2^n)], so many agents retrying
/// one array or one SIEM spread out instead of arriving together.
class backoff {
 public:
  backoff(duration initial, duration max, std::uint64_t seed = std::random_device{}());

  /// The wait before the next attempt; each call doubles the ceiling up to max.
  duration next();
  /// The ceiling the next call draws under (for tests and status output).
  duration ceiling() const;
  void reset() { attempt_ = 0; }
  int attempts() const { return attempt_; }

 private:
  duration initial_;
  duration max_;
  int attempt_ = 0;
  // Jitter needs no better engine, and every device holds three backoffs: mt19937_64's
  // 2.5 KiB of state each was 7.5 KiB of the ~11 KiB a device's runtime took (heaptrack,
  // 2,000 arrays). minstd_rand keeps 8 bytes.
  std::minstd_rand rng_;
};

/// The wait from `now` to the next moment of `key`'s phase of `interval`, in (0, interval]:
/// each key has a fixed share of the interval (by its hash), so devices started together poll
/// spread over the interval from their second poll on, each still once an interval.
duration until_phase(std::chrono::steady_clock::time_point now, duration interval,
                     std::string_view key);

}  // namespace qsanfwd
