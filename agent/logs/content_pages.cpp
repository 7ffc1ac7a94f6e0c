#include "agent/logs/content_pages.hpp"

#include <algorithm>
#include <utility>

#include "agent/logs/pushed_over.hpp"

namespace qsanfwd::logs {

namespace {

/// Whether `page` is `before` moved down by lines on top of it (an array that serves page 1 for
/// every page while lines arrive), newest first.
bool moved_down(std::span<const device::log_entry> before,
                std::span<const device::log_entry> page) {
  if (before.size() != page.size() || page.size() < 2) {
    return false;
  }
  for (std::size_t j = 1; j < page.size(); ++j) {
    if (std::equal(page.begin() + static_cast<std::ptrdiff_t>(j), page.end(), before.begin())) {
      return true;
    }
  }
  return false;
}

std::string ignores_page_number(int page, const char* what) {
  return "the array answered pageNumber " + std::to_string(page) + " with " + what +
         " (does it ignore pageNumber?): the lines after them cannot be read";
}

}  // namespace

content_pages::step content_pages::accept(int page, device::log_page answer,
                                          std::optional<bool> newest_first, bool ahead_seen,
                                          std::int64_t horizon) {
  previous_ = std::move(current_);
  current_ = std::move(answer.logs);
  const auto& logs = current_;
  step out;
  // The manual's paging is trusted no further than it proves itself. An empty page ends the
  // cycle whatever haveNextPage says; a page served again ends it when all was read, else
  // stops it.
  const bool all_read = short_page_seen_;
  short_page_seen_ = short_page_seen_ || std::cmp_less(logs.size(), page_size_);
  const bool newest = newest_first.value_or(true);
  const auto skip = newest ? overlap(previous_, logs) : 0;
  // Served again, or page 1 again with lines that arrived on top (the page before, moved down).
  const bool repeat =
      !logs.empty() && (repeats_.seen_before(logs) || (page > 1 && moved_down(previous_, logs)));
  // Sorted by time, a page goes on where the page before ended: newest first no line of it
  // is newer than that page's last (unless lines arriving below lines ahead of the clock
  // spill over, see pushed_past_lines_ahead), oldest first none is older.
  if (page > 1 && !previous_.empty() && !logs.empty() && !repeat) {
    const auto head = logs.front().timestamp;
    const auto tail = previous_.back().timestamp;
    if (newest ? head > tail && !ahead_seen : head < tail) {
      out.refused = ignores_page_number(page, "lines out of time order with the page before");
      return out;
    }
  }
  if (repeat && !all_read) {
    out.refused = ignores_page_number(page, "the lines of an earlier page");
    return out;
  }
  // A page 1 all of one second says nothing of the order, which places the lines pushed over;
  // an empty page 2 (an array that says "more" about nothing) needs none.
  if (page == 2 && !newest_first && !logs.empty() && !repeat) {
    out.refused =
        "cannot tell the array's result order yet (its first page is all one second, and it "
        "gives no usable total)";
    return out;
  }
  if (!repeat) {
    out.fresh = std::span<const device::log_entry>(logs).subspan(skip);
  }
  if (!repeat && skip == 0 && ahead_seen) {
    const auto run = pushed_past_lines_ahead(previous_, logs, newest, horizon);
    if (run.count > 0) {
      unshifted_ = logs;
      unshifted_.erase(unshifted_.begin() + static_cast<std::ptrdiff_t>(run.from),
                       unshifted_.begin() + static_cast<std::ptrdiff_t>(run.from + run.count));
      out.fresh = unshifted_;
    }
  }
  // A page with nothing new once all was read is the array saying "more" about nothing; a
  // run of them otherwise is an array that pages without end.
  pages_without_news_ = out.fresh.empty() ? pages_without_news_ + 1 : 0;
  if (pages_without_news_ > patience_) {
    out.refused = "the array keeps answering pages with no line not read before";
    return out;
  }
  out.last = !answer.have_next_page || logs.empty() || repeat || (all_read && out.fresh.empty());
  return out;
}

}  // namespace qsanfwd::logs
