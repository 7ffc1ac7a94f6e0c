#include "agent/logs/line_dedup.hpp"

#include <algorithm>
#include <utility>

namespace qsanfwd::logs {

std::optional<std::int64_t> line_dedup::newest_covered() const {
  std::optional<std::int64_t> newest;
  for (const auto& span : covered_) {
    newest = std::max(newest.value_or(span.hi), span.hi);
  }
  return newest;
}

bool line_dedup::covered(std::int64_t timestamp) const {
  // Spans of earlier cycles hold even past the horizon: those seconds were read whole when the
  // array's clock had passed them, and a clock set back into them reopens them in the store.
  if (read_before_ && read_before_->lo < timestamp && timestamp < read_before_->hi) {
    return true;
  }
  return std::any_of(covered_.begin(), covered_.end(), [timestamp](const second_span& s) {
    return s.lo <= timestamp && timestamp <= s.hi;
  });
}

void line_dedup::start_page(std::optional<second_span> settled,
                            const std::vector<line_mark>& stored, std::int64_t horizon) {
  horizon_ = horizon;
  if (started_) {
    read_before_ = second_span{low_, high_};
  }
  if (settled) {
    low_ = started_ ? std::min(low_, settled->lo) : settled->lo;
    high_ = started_ ? std::max(high_, settled->hi) : settled->hi;
    started_ = true;
  }
  // What this cycle has counted itself is newer than the store's copy.
  for (const auto& m : stored) {
    counts_.try_emplace(key{m.timestamp, m.hash}, counts{0, m.queued, m.retired, false});
  }
}

sighting line_dedup::observe(std::int64_t timestamp, std::uint64_t hash) {
  if (covered(timestamp)) {
    return {};
  }
  auto& c = counts_[key{timestamp, hash}];
  ++c.seen;
  if (c.seen <= c.queued) {
    return {false, c.seen + c.retired};
  }
  c.queued = c.seen;
  c.changed = true;
  return {true, c.seen + c.retired};
}

page_record line_dedup::finish_page() {
  page_record out;
  for (auto it = counts_.begin(); it != counts_.end();) {
    if (!kept(it->first.timestamp)) {
      it = counts_.erase(it);
      continue;
    }
    if (std::exchange(it->second.changed, false)) {
      out.marks.push_back(
          line_mark{it->first.timestamp, it->first.hash, it->second.queued, it->second.retired});
    }
    ++it;
  }
  if (started_ && high_ - low_ >= 2) {
    out.interior = second_span{low_ + 1, high_ - 1};
  }
  return out;
}

}  // namespace qsanfwd::logs
