#include "agent/core/backoff.hpp"

#include <algorithm>

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

}  // namespace qsanfwd
