#include "agent/logs/pushed_over.hpp"

#include <algorithm>

namespace qsanfwd::logs {

repeated_run pushed_past_lines_ahead(std::span<const device::log_entry> before,
                                     std::span<const device::log_entry> page, bool newest_first,
                                     std::int64_t horizon) {
  if (before.empty() || page.empty()) {
    return {};
  }
  if (!newest_first) {
    const auto ahead = static_cast<std::size_t>(
        std::find_if(before.rbegin(), before.rend(),
                     [horizon](const auto& l) { return l.timestamp <= horizon; }) -
        before.rbegin());
    return {0, overlap(before.last(ahead), page)};
  }
  const auto last = before.back().timestamp;
  for (std::size_t from = 1; from < page.size(); ++from) {
    const auto& spilled = page[from - 1];
    if (spilled.timestamp < last || spilled.timestamp > horizon) {
      break;
    }
    if (const auto k = overlap(before, page.subspan(from)); k > 0) {
      return {from, k};
    }
  }
  return {};
}

std::size_t overlap(std::span<const device::log_entry> before,
                    std::span<const device::log_entry> page) {
  for (auto k = std::min(before.size(), page.size()); k > 0; --k) {
    if (std::equal(page.begin(), page.begin() + static_cast<std::ptrdiff_t>(k),
                   before.end() - static_cast<std::ptrdiff_t>(k))) {
      return k;
    }
  }
  return 0;
}

}  // namespace qsanfwd::logs
