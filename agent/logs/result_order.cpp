#include "agent/logs/result_order.hpp"

#include <algorithm>

namespace qsanfwd::logs {

std::optional<bool> order_shown_by(std::span<const device::log_entry> page) {
  if (page.size() < 2 || page.front().timestamp == page.back().timestamp) {
    return std::nullopt;
  }
  return page.front().timestamp > page.back().timestamp;
}

std::optional<bool> order_against(std::int64_t second, std::span<const device::log_entry> bottom) {
  const bool older = std::any_of(bottom.begin(), bottom.end(),
                                 [&](const auto& l) { return l.timestamp < second; });
  const bool newer = std::any_of(bottom.begin(), bottom.end(),
                                 [&](const auto& l) { return l.timestamp > second; });
  if (!older && !newer) {
    return std::nullopt;
  }
  return older;
}

}  // namespace qsanfwd::logs
