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

}  // namespace qsanfwd::logs
