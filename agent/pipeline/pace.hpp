#pragma once

#include <chrono>
#include <cstddef>
#include <optional>

#include "config/config.hpp"

namespace qsanfwd::pipeline {

/// A sink's `rate_limit` as a token bucket: `events_per_second` tokens a second, at most
/// `burst` held, full at the start. A batch goes when the bucket holds a token for each of its
/// events, so a lane hands the sink at most `burst` events in a moment and on average no more
/// than the rate. Unpaced (events_per_second 0) it never waits. Pure: the time is an argument.
class pace {
 public:
  using clock = std::chrono::steady_clock;

  explicit pace(const config::rate_limit& limit);

  /// `limits` with `max_events` cut to half the burst (at least 1), so that the bucket has
  /// room to catch up when the lane wakes late.
  config::batch_options batch_limits(config::batch_options limits) const;

  /// When a batch of `events` may go: nullopt for now, else when the bucket will hold a token
  /// for each (for at most `burst` of them).
  std::optional<clock::time_point> wait_for(std::size_t events, clock::time_point now);

  /// Takes the tokens of `events` handed to the sink at `now`. More than the bucket holds
  /// leaves it owing: the next batch waits for the debt too.
  void spend(std::size_t events, clock::time_point now);

 private:
  void refill(clock::time_point now);

  config::rate_limit limit_;
  double tokens_ = 0;
  std::optional<clock::time_point> counted_at_;  ///< tokens_ is as of this time
};

}  // namespace qsanfwd::pipeline
