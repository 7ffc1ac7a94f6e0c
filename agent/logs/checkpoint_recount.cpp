#include "agent/logs/checkpoint_recount.hpp"

#include <algorithm>

#include "agent/logs/log_state.hpp"

namespace qsanfwd::logs {

checkpoint_recount::checkpoint_recount(std::int64_t second, const std::vector<line_mark>& marks)
    : second_(second) {
  for (const auto& m : marks) {
    if (m.timestamp == second) {
      lines_[m.hash].queued = m.queued;
    }
  }
}

void checkpoint_recount::observe(const device::log_entry& line) {
  if (line.timestamp != second_ || lines_.empty()) {
    return;
  }
  if (auto it = lines_.find(line_hash(line.type, line.message)); it != lines_.end()) {
    ++it->second.read;
  }
}

std::int64_t checkpoint_recount::missing() const {
  std::int64_t n = 0;
  for (const auto& [hash, t] : lines_) {
    n += std::max<std::int64_t>(0, t.queued - t.read);
  }
  return n;
}

std::vector<line_mark> checkpoint_recount::as_read() const {
  std::vector<line_mark> out;
  for (const auto& [hash, t] : lines_) {
    if (t.read < t.queued) {
      out.push_back(line_mark{second_, hash, t.read});
    }
  }
  return out;
}

}  // namespace qsanfwd::logs
