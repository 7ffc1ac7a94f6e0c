#include "agent/logs/ascending_pages.hpp"

#include <algorithm>
#include <utility>

#include "agent/logs/pushed_over.hpp"

namespace qsanfwd::logs {

const device::log_entry* ascending_pages::run::at(std::int64_t position) const {
  if (position < lo || position > hi()) {
    return nullptr;
  }
  return &lines[static_cast<std::size_t>(position - lo)];
}

std::optional<int> ascending_pages::next_page() const {
  if (total_ < 0) {
    return 1;
  }
  if (want_ > total_) {
    return std::nullopt;
  }
  const auto from_top = newest_first_ ? total_ - want_ : want_ - 1;
  return static_cast<int>(from_top / page_size_ + 1);
}

std::optional<std::string> ascending_pages::contradiction(int page,
                                                          const device::log_page& answer) const {
  if (!answer.total_given) {
    return "it gives no total";
  }
  const auto n = static_cast<std::int64_t>(answer.logs.size());
  const auto left = std::clamp<std::int64_t>(answer.total - (page - 1) * page_size_, 0, page_size_);
  if (n == left) {
    return std::nullopt;
  }
  return "page " + std::to_string(page) + " of " + std::to_string(page_size_) +
         "-line pages held " + std::to_string(n) + " lines where its total of " +
         std::to_string(answer.total) + " leaves " + std::to_string(left);
}

// Two pages at different positions that hold the same lines: the array ignores pageNumber, or
// a run of identical genuine lines in one second fills both. Only a page of one second can
// look like that in a listing sorted by time. Page 1, or the page read last.
bool ascending_pages::repeats_a_page(const run& page) const {
  const auto same_lines_elsewhere = [&page](const run& other) {
    return !page.lines.empty() && page.lines == other.lines &&
           (page.hi() < other.lo || page.lo > other.hi());
  };
  return same_lines_elsewhere(first_) || same_lines_elsewhere(newer_);
}

// Page 1 again with lines that arrived on top of it (an array that ignores pageNumber while
// lines arrive, newest first): oldest first, the page begins with page 1's last lines. Only an
// answer for another page says so: page 1 itself, asked again, looks like that whenever lines
// arrived in its one second.
bool ascending_pages::moves_page_one_down(const run& page) const {
  const auto n = page.lines.size();
  if (n < 2 || n != first_.lines.size() ||
      page.lines.front().timestamp != page.lines.back().timestamp) {
    return false;
  }
  return overlap(first_.lines, std::span<const device::log_entry>(page.lines).first(n - 1)) > 0;
}

// Newest first, page 1 holds the newest lines the reader knows of. Their positions only rise
// as lines arrive, so a page placed below them stays below, and holds no newer line. One
// placed above may hold them, moved up, or lines stamped late that arrived below them, but
// not a page of lines older than all of them.
bool ascending_pages::out_of_order_with_page_one(const run& page) const {
  if (!newest_first_ || page.lines.empty() || first_.lines.empty()) {
    return false;
  }
  const auto by_time = [](const auto& a, const auto& b) { return a.timestamp < b.timestamp; };
  const auto newest = std::max_element(page.lines.begin(), page.lines.end(), by_time)->timestamp;
  const auto first_oldest =
      std::min_element(first_.lines.begin(), first_.lines.end(), by_time)->timestamp;
  if (page.hi() < first_.lo) {
    return newest > first_oldest;
  }
  return page.lo > first_.hi() && newest < first_oldest;
}

// While the total says no line arrived or went, page 1's lines stay where they were.
bool ascending_pages::changed_page_one_under_its_total(const run& page) const {
  if (total_ != first_total_) {
    return false;
  }
  for (auto p = std::max(page.lo, first_.lo); p <= std::min(page.hi(), first_.hi()); ++p) {
    if (*page.at(p) != *first_.at(p)) {
      return true;
    }
  }
  return false;
}

bool ascending_pages::agrees_with_lines_read(const run& page, std::int64_t upto,
                                             std::optional<std::int64_t> moved_after) const {
  for (auto p = page.lo; p <= std::min(upto, page.hi()); ++p) {
    const auto* before = newer_.at(p);
    before = before != nullptr ? before : older_.at(p);
    // After a shift only the lines ahead of the clock moved: the others are elsewhere now.
    const bool placed = before != nullptr && (!moved_after || before->timestamp > *moved_after);
    if (placed && *before != *page.at(p)) {
      return false;
    }
  }
  return true;
}

ascending_pages::outcome ascending_pages::accept(int page, device::log_page answer,
                                                 std::int64_t horizon) {
  if (auto why = contradiction(page, answer)) {
    return {verdict::untrustworthy, {}, *why};
  }
  // "More" where the total says no more: an array that says so of every page, or one that
  // ignores pageNumber under a total that fits the page. The page after the end tells which.
  end_unconfirmed_ =
      end_unconfirmed_ || answer.have_next_page != (answer.total > page * page_size_);
  if (total_ >= 0 && answer.total < total_) {
    return {verdict::log_changed,
            {},
            "its log went from " + std::to_string(total_) + " to " + std::to_string(answer.total) +
                " lines while being read"};
  }
  // Lines stamped ahead of the array's clock sit at the end of the listing, and lines the array
  // writes at its present land before them: once the reader is among them, every line it read
  // there moves on by as many places as lines arrived (those left behind are read next cycle:
  // they lie after the checkpoint).
  const auto grew = total_ < 0 ? 0 : answer.total - read_total_;
  const auto* last = newer_.at(want_ - 1);
  const bool shifted = grew > 0 && last != nullptr && last->timestamp > horizon;
  if (shifted) {
    want_ += grew;
    newer_.lo += grew;
    older_.lo += grew;
    read_total_ = answer.total;
  }
  const auto n = static_cast<std::int64_t>(answer.logs.size());
  run got{
      newest_first_ ? answer.total - (page - 1) * page_size_ - n + 1 : (page - 1) * page_size_ + 1,
      std::move(answer.logs)};
  if (newest_first_) {
    std::reverse(got.lines.begin(), got.lines.end());
  }
  total_ = answer.total;
  if (page == 1 && first_.lines.empty()) {
    first_ = got;
    first_total_ = total_;
  } else if (repeats_a_page(got) || (page > 1 && moves_page_one_down(got))) {
    return {verdict::ambiguous,
            {},
            "page " + std::to_string(page) +
                " holds the same lines as another page, all of one "
                "second"};
  } else if (out_of_order_with_page_one(got)) {
    return {verdict::untrustworthy,
            {},
            "page " + std::to_string(page) + " is out of time order with page 1"};
  } else if (changed_page_one_under_its_total(got)) {
    return {verdict::untrustworthy, {}, "page 1 changed under the same total"};
  }
  if (n == 0) {
    return {};
  }
  if (got.lo > want_) {
    return {verdict::ask_again, {}, {}};
  }
  if (got.hi() < want_) {
    return {verdict::ask_again, {}, {}};  // lines ahead of the clock moved on past this page
  }
  const auto skip = static_cast<std::size_t>(want_ - got.lo);
  if (!agrees_with_lines_read(got, want_ - 1, shifted ? std::optional(horizon) : std::nullopt)) {
    return {verdict::log_changed, {}, "lines moved between two pages"};
  }
  const auto* last_read = newer_.at(want_ - 1);
  if (last_read != nullptr && skip < got.lines.size() &&
      got.lines[skip].timestamp < last_read->timestamp) {
    return {verdict::untrustworthy,
            {},
            "page " + std::to_string(page) + " goes on with lines older than those before it"};
  }
  older_ = std::exchange(newer_, std::move(got));
  want_ = newer_.hi() + 1;
  read_total_ = total_;
  return {verdict::taken, std::span<const device::log_entry>(newer_.lines).subspan(skip), {}};
}

std::optional<std::string> why_reading_fails(const ascending_pages::outcome& got, int asked_again,
                                             int requests, std::int64_t total,
                                             std::int64_t page_size, int patience) {
  if (got.what == ascending_pages::verdict::log_changed) {
    return "the array's log changed while being read (" + got.why + "); reading again";
  }
  if (asked_again > patience || requests > 2 * pages_filled(total, page_size) + 2 * patience) {
    return "the array's log grows faster than it can be read, or its pages never cover its "
           "total of " +
           std::to_string(total) + " lines";
  }
  return std::nullopt;
}

}  // namespace qsanfwd::logs
