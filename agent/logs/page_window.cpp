#include "agent/logs/page_window.hpp"

#include <algorithm>

namespace qsanfwd::logs {

std::optional<std::size_t> page_window::accept(int page, std::int64_t total, std::size_t count) {
  const auto n = static_cast<std::int64_t>(count);
  if (page == 1) {
    first_total_ = last_total_ = total;
    consumed_ = n;
    return 0;
  }
  if (total < last_total_) {
    return std::nullopt;
  }
  last_total_ = total;
  if (!newest_first_) {
    consumed_ += n;
    return 0;
  }
  const auto shift = total - first_total_;
  const auto start =
      (page - 1) * page_size_ - shift;  // where this page starts, in page 1's listing
  if (start > consumed_) {
    return std::nullopt;  // a hole: lines we never saw
  }
  const auto skip = std::min(consumed_ - start, n);
  consumed_ = std::max(consumed_, start + n);
  return static_cast<std::size_t>(skip);
}

std::optional<std::size_t> page_window::accept(int page, const device::log_page& answer,
                                               std::span<const device::log_entry> previous) {
  if (answer.logs.empty()) {
    return 0;  // past the end of the listing, which positions would take for a hole
  }
  const bool positions =
      !by_content_ && answer.total_given && (page == 1 || answer.total >= last_total_);
  if (positions) {
    return accept(page, answer.total, answer.logs.size());
  }
  by_content_ = true;
  if (!newest_first_) {
    return answer.total_given && answer.total < last_total_ ? std::nullopt
                                                            : std::optional<std::size_t>(0);
  }
  return page == 1 ? 0 : overlap(previous, answer.logs);
}

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
