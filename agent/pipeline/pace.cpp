#include "agent/pipeline/pace.hpp"

#include <algorithm>

namespace qsanfwd::pipeline {
namespace {

// A bucket refilled by doubles may wake a rounding error short of the tokens it waited for;
// waiting again for a billionth of an event would only cost a wake-up.
constexpr double rounding = 1e-6;

}  // namespace

pace::pace(const config::rate_limit& limit) : limit_(limit) {}

config::batch_options pace::batch_limits(config::batch_options limits) const {
  if (limit_.paced()) {
    // Half the burst: a batch that needed a full bucket would wait for the bucket to reach its
    // cap, and whatever the lane was late to wake (a busy machine, the last batch's cursor
    // write) would be lost to the rate. With room for a second batch the lateness is made up.
    limits.max_events = std::min(limits.max_events, std::max<std::size_t>(1, limit_.burst / 2));
  }
  return limits;
}

std::optional<pace::clock::time_point> pace::wait_for(std::size_t events, clock::time_point now) {
  if (!limit_.paced()) {
    return std::nullopt;
  }
  refill(now);
  const auto needed = static_cast<double>(std::min(events, limit_.burst));
  if (tokens_ + rounding >= needed) {
    return std::nullopt;
  }
  const std::chrono::duration<double> missing((needed - tokens_) / limit_.events_per_second);
  // Rounded up: waking early would find the bucket short and wait again.
  return now + std::chrono::ceil<clock::duration>(missing);
}

void pace::spend(std::size_t events, clock::time_point now) {
  if (!limit_.paced()) {
    return;
  }
  refill(now);
  tokens_ -= static_cast<double>(events);
}

void pace::refill(clock::time_point now) {
  const auto burst = static_cast<double>(limit_.burst);
  if (!counted_at_) {
    tokens_ = burst;
    counted_at_ = now;
    return;
  }
  if (now <= *counted_at_) {
    return;
  }
  const std::chrono::duration<double> elapsed = now - *counted_at_;
  tokens_ = std::min(burst, tokens_ + elapsed.count() * limit_.events_per_second);
  counted_at_ = now;
}

}  // namespace qsanfwd::pipeline
