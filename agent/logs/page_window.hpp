#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "agent/device/model.hpp"

namespace qsanfwd::logs {

/// Which lines of a page were already read earlier in the same cycle.
///
/// With newest-first results, lines that arrive while we page push every older line towards
/// later pages: the head of page k+1 repeats the tail of page k, by exactly the growth of
/// `total` since page 1. With oldest-first results new lines land after everything we read, so
/// nothing repeats. A `total` that shrinks means lines vanished under us (the array rotated its
/// log) and positions can no longer be trusted: the cycle must start over, and the dedup marks
/// keep that from duplicating anything.
class page_window {
 public:
  /// `trust_totals` false: the array's totals proved useless before the cycle began.
  page_window(bool newest_first, int page_size, bool trust_totals = true)
      : newest_first_(newest_first), page_size_(page_size), by_content_(!trust_totals) {}

  /// Page `page` (1-based) answered `count` lines and said `total`. Returns how many leading
  /// lines of it repeat lines already read, or nullopt when the cycle must restart.
  std::optional<std::size_t> accept(int page, std::int64_t total, std::size_t count);

  /// As above for a whole answer, whose `total` may be missing or shrink although no line
  /// vanished (an array that lies about it): from such a page on, newest first, the lines
  /// pushed over are found by content instead, as the longest run of `previous` (the page
  /// before) that this page begins with. Oldest first, new lines land after everything read,
  /// so without a total nothing repeats; a total that shrinks still restarts the cycle.
  std::optional<std::size_t> accept(int page, const device::log_page& answer,
                                    std::span<const device::log_entry> previous);

  /// Whether the pages accepted so far hold every line `total` counted: newest first, all of
  /// page 1's listing (lines written since wait for the next cycle); oldest first, all of the
  /// latest listing. A page asked for beyond that can only repeat lines.
  bool complete() const {
    return !by_content_ && consumed_ >= (newest_first_ ? first_total_ : last_total_);
  }

 private:
  bool newest_first_;
  std::int64_t page_size_;
  std::int64_t first_total_ = 0;
  std::int64_t last_total_ = 0;
  std::int64_t consumed_ = 0;  ///< lines read, counted in the listing as it was at page 1
  bool by_content_ = false;    ///< the array's totals proved useless in this cycle
};

/// Lines of `page` (the page after `before`) that `before` already held although the window
/// did not find them: lines stamped after `horizon` (ahead of the array's clock) sit at the top
/// of the log, and lines the array writes at its present land below them, not on top. Newest
/// first, those that spill onto this page come first, stamped no older than `before`'s last
/// line, and the lines they pushed over follow: returns where that run starts and its length.
/// Oldest first, the lines ahead read last move on by as many places, and the page begins with
/// them again. Only for a cycle that has seen lines ahead; {0, 0} when nothing repeats.
struct repeated_run {
  std::size_t from = 0;
  std::size_t count = 0;
};
repeated_run pushed_past_lines_ahead(std::span<const device::log_entry> before,
                                     std::span<const device::log_entry> page, bool newest_first,
                                     std::int64_t horizon);

/// How many leading lines of `page` repeat the last lines of `before`: the longest such run.
/// Identical genuine lines across the boundary are taken for repeats too; only an array that
/// gives no usable total is read this way.
std::size_t overlap(std::span<const device::log_entry> before,
                    std::span<const device::log_entry> page);

}  // namespace qsanfwd::logs
