#pragma once

#include <cstdint>
#include <span>
#include <unordered_set>

#include "agent/device/model.hpp"

namespace qsanfwd::logs {

/// Tells a page that repeats an earlier page of the same cycle: an array that ignores
/// `pageNumber`, or answers `haveNextPage: true` for ever, would otherwise be read for ever.
///
/// The log is sorted by time, so two different pages of one listing carry the same sequence of
/// timestamps only when both lie in one second; only then are their lines compared as well.
/// Used where the array's totals cannot place the lines (ascending_pages tells repeats by
/// position otherwise): there two pages of one burst of identical genuine lines are taken for
/// a repeat too, which stops the cycle rather than risk queueing a line twice.
class repeated_pages {
 public:
  /// Whether `lines`, a whole page, equal a page seen before in this cycle; remembers them.
  bool seen_before(std::span<const device::log_entry> lines);

 private:
  std::unordered_set<std::uint64_t> digests_;
};

}  // namespace qsanfwd::logs
