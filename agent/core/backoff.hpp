#pragma once

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
  std::mt19937_64 rng_;
};

/// A share of `interval`, in [0, interval), fixed by `key` (a device's name and what it polls).
/// Devices started together poll together every interval after; waiting this share once,
/// instead of a whole interval, after the first poll spreads a fleet's polls evenly over the
/// interval for good (what Prometheus does with its scrape offsets).
duration share_of(duration interval, std::string_view key);

}  // namespace qsanfwd
