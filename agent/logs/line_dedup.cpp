#include "agent/logs/line_dedup.hpp"

#include <algorithm>
#include <bit>
#include <utility>

namespace qsanfwd::logs {
namespace {

constexpr std::size_t min_slots = 16;

/// The slot a key's probe starts at: Fibonacci hashing, so that the high bits of the
/// multiplied key choose among `slots` (a power of two) whatever the low bits of the hash are.
std::size_t home(std::int64_t timestamp, std::uint64_t hash, std::size_t slots) {
  const auto mixed = (hash ^ static_cast<std::uint64_t>(timestamp)) * 0x9E3779B97F4A7C15ULL;
  return static_cast<std::size_t>(mixed >> (64 - std::countr_zero(slots)));
}

}  // namespace

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
    find_or_add(key{m.timestamp, m.hash}, counts{0, m.queued, m.retired, false});
  }
}

line_dedup::counts& line_dedup::find_or_add(const key& k, const counts& fresh) {
  if (2 * (used_ + 1) > slots_.size()) {
    rebuild(std::move(slots_), std::max(min_slots, 2 * slots_.size()));
  }
  const auto mask = slots_.size() - 1;
  auto i = home(k.timestamp, k.hash, slots_.size());
  while (slots_[i].used) {
    if (slots_[i].k == k) {
      return slots_[i].c;
    }
    i = (i + 1) & mask;
  }
  slots_[i] = slot{k, fresh, true};
  ++used_;
  return slots_[i].c;
}

void line_dedup::rebuild(std::vector<slot> keep, std::size_t capacity) {
  slots_.assign(capacity, slot{});
  used_ = 0;
  for (auto& s : keep) {
    if (s.used) {
      find_or_add(s.k, s.c);
    }
  }
}

sighting line_dedup::observe(std::int64_t timestamp, std::uint64_t hash) {
  if (covered(timestamp)) {
    return {};
  }
  auto& c = find_or_add(key{timestamp, hash}, counts{});
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
  std::size_t kept_lines = 0;
  for (auto& s : slots_) {
    if (!s.used) {
      continue;
    }
    if (!kept(s.k.timestamp)) {
      s.used = false;  // rebuild() leaves it out
      continue;
    }
    ++kept_lines;
    if (std::exchange(s.c.changed, false)) {
      out.marks.push_back(line_mark{s.k.timestamp, s.k.hash, s.c.queued, s.c.retired});
    }
  }
  // Room for what is kept and as many lines again as this page held, so that a run of pages
  // of one size never grows the table, and a large page's room goes with the next smaller one.
  const auto room = std::bit_ceil(std::max(min_slots, 2 * (used_ + kept_lines + 1)));
  rebuild(std::move(slots_), room);
  if (started_ && high_ - low_ >= 2) {
    out.interior = second_span{low_ + 1, high_ - 1};
  }
  return out;
}

}  // namespace qsanfwd::logs
