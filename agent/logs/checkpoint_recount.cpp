#include "agent/logs/checkpoint_recount.hpp"

#include <algorithm>

#include "agent/logs/log_state.hpp"

namespace qsanfwd::logs {

checkpoint_recount::checkpoint_recount(const std::vector<line_mark>& marks) {
  for (const auto& m : marks) {
    lines_[{m.timestamp, m.hash}].queued = m.queued;
  }
}

void checkpoint_recount::observe(const device::log_entry& line) {
  if (lines_.empty()) {
    return;
  }
  if (auto it = lines_.find({line.timestamp, line_hash(line.type, line.message)});
      it != lines_.end()) {
    ++it->second.read;
  }
}

std::int64_t checkpoint_recount::missing() const {
  std::int64_t n = 0;
  for (const auto& [key, t] : lines_) {
    n += std::max<std::int64_t>(0, t.queued - t.read);
  }
  return n;
}

std::int64_t checkpoint_recount::first_missing() const {
  for (const auto& [key, t] : lines_) {
    if (t.read < t.queued) {
      return key.first;
    }
  }
  return 0;
}

std::int64_t checkpoint_recount::last_missing() const {
  for (auto it = lines_.rbegin(); it != lines_.rend(); ++it) {
    if (it->second.read < it->second.queued) {
      return it->first.first;
    }
  }
  return 0;
}

std::vector<line_mark> checkpoint_recount::as_read() const {
  std::vector<line_mark> out;
  for (const auto& [key, t] : lines_) {
    if (t.read < t.queued) {
      out.push_back(line_mark{key.first, key.second, t.read});
    }
  }
  return out;
}

}  // namespace qsanfwd::logs
