#include "agent/core/backoff.hpp"

#include <algorithm>
#include <functional>

namespace qsanfwd {

backoff::backoff(duration initial, duration max, std::uint64_t seed)
    : initial_(std::max(initial, duration{1})), max_(std::max(max, initial_)), rng_(seed) {}

duration backoff::ceiling() const {
  auto c = initial_;
  for (int i = 0; i < attempt_ && c < max_; ++i) {
    c *= 2;
  }
  return std::min(c, max_);
}

duration backoff::next() {
  const auto c = ceiling();
  ++attempt_;
  std::uniform_int_distribution<duration::rep> dist(0, c.count());
  return duration{dist(rng_)};
}

duration until_phase(std::chrono::steady_clock::time_point now, duration interval,
                     std::string_view key) {
  const auto length = std::max<duration::rep>(interval.count(), 1);
  const auto phase = static_cast<duration::rep>(std::hash<std::string_view>{}(key) %
                                                static_cast<std::size_t>(length));
  const auto at = std::chrono::duration_cast<duration>(now.time_since_epoch()).count();
  const auto past = ((at - phase) % length + length) % length;
  return duration{length - past};
}

}  // namespace qsanfwd
