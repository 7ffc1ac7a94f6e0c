#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "agent/device/model.hpp"
#include "agent/logs/repeated_pages.hpp"

namespace qsanfwd::logs {

/// Reads a listing page by page from page 1 on, by content: for an array whose `total` cannot
/// place its lines (none given, or pages that contradict it), whose listing is too long for
/// one answer.
///
/// Newest first, lines that arrive while we page push the lines read towards later pages, so a
/// page begins with the last lines of the page before (pushed_over's overlap()), and lines
/// written below lines ahead of the array's clock spill over too (pushed_past_lines_ahead).
/// Paging is trusted no further than it proves itself: a page served again, or out of time
/// order with the page before, stops the cycle unless all was read, and so does a run of
/// pages with nothing new. Identical genuine lines at a page boundary are taken for one.
class content_pages {
 public:
  /// `patience`: how many pages in a row may bring nothing not read before.
  content_pages(std::int64_t page_size, int patience)
      : page_size_(page_size), patience_(patience) {}

  struct step {
    /// Why the cycle cannot go on: the lines after this page cannot be read.
    std::optional<std::string> refused;
    /// The lines of this page not read before; valid until the next accept().
    std::span<const device::log_entry> fresh;
    /// Whether this page ends the listing.
    bool last = false;
  };
  /// Page `page`'s answer, the page after the one accepted before (from 1). `newest_first`:
  /// the order known so far; `ahead_seen`: whether the cycle has read lines stamped after
  /// `horizon`, the last second the array's clock has reached.
  step accept(int page, device::log_page answer, std::optional<bool> newest_first, bool ahead_seen,
              std::int64_t horizon);

 private:
  std::int64_t page_size_;
  int patience_;
  std::vector<device::log_entry> previous_;  ///< the page before, for lines pushed over
  std::vector<device::log_entry> current_;
  std::vector<device::log_entry> unshifted_;  ///< current_ less the lines pushed past lines ahead
  repeated_pages repeats_;
  bool short_page_seen_ = false;
  int pages_without_news_ = 0;
};

}  // namespace qsanfwd::logs
