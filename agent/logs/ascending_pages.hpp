#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "agent/device/model.hpp"

namespace qsanfwd::logs {

/// How many pages of `page_size` lines `total` lines fill.
inline int pages_filled(std::int64_t total, std::int64_t page_size) {
  return static_cast<int>((total + page_size - 1) / page_size);
}

/// Reads a listing page by page from its oldest line to its newest, by the positions the
/// array's `total` gives, whatever order the array pages in.
///
/// Newest first, lines that arrive while we page land on page 1 and push every page's lines
/// towards later pages; counted from the bottom of the listing (its oldest line), positions
/// never move. Oldest first they are counted from the top and never move either. So the
/// reader keeps one number, the position of the next line it needs (`want`), and asks for the
/// page that holds it under the newest total it knows: a checkpoint can follow each page, and
/// an agent killed in the middle of a long backlog loses at most the page it was storing.
///
/// Every answer is checked against the manual before a line of it is believed: the number of
/// lines a total leaves for that page, time order across pages, lines seen twice at one
/// position. An answer that fails (an array that lies about `total` or ignores `pageNumber`)
/// makes the reader untrustworthy for the cycle; lines that moved under it (the log shrank,
/// or changed between two pages) ask for the cycle to be read again.
class ascending_pages {
 public:
  ascending_pages(bool newest_first, int page_size)
      : newest_first_(newest_first), page_size_(page_size) {}

  /// The page to ask for next; none once every line the last answer counted is read.
  std::optional<int> next_page() const;

  enum class verdict {
    taken,          ///< `fresh` holds the lines not read before, oldest first
    ask_again,      ///< lines arrived and moved the wanted one to another page: ask next_page()
    log_changed,    ///< the log lost lines or moved them while read: read the cycle again
    untrustworthy,  ///< the answer contradicts the manual: `why` says how
    ambiguous,      ///< the page repeats another elsewhere in a run of one second: cannot
                    ///< tell a repeat from identical genuine lines by pages of this size
  };
  struct outcome {
    verdict what = verdict::taken;
    std::span<const device::log_entry> fresh;
    std::string why;
  };
  /// Page `page`'s answer. `horizon`: the last second the array's clock has reached (lines
  /// after it may still move, see accept's code).
  outcome accept(int page, device::log_page answer, std::int64_t horizon);

  /// Whether an answer said haveNextPage where its total said otherwise: before the read is
  /// taken as whole, the page after the end must come back empty.
  bool end_unconfirmed() const { return end_unconfirmed_; }
  /// The page after the last that the total counts.
  int page_after_end() const { return pages_filled(total(), page_size_) + 1; }

  std::int64_t read() const { return want_ - 1; }
  std::int64_t total() const { return std::max<std::int64_t>(total_, 0); }

 private:
  /// Lines oldest first, `lo` the position of the first.
  struct run {
    std::int64_t lo = 0;
    std::vector<device::log_entry> lines;
    std::int64_t hi() const { return lo + static_cast<std::int64_t>(lines.size()) - 1; }
    const device::log_entry* at(std::int64_t position) const;
  };
  std::optional<std::string> contradiction(int page, const device::log_page& answer) const;
  bool repeats_a_page(const run& page) const;
  bool moves_page_one_down(const run& page) const;
  bool out_of_order_with_page_one(const run& page) const;
  bool changed_page_one_under_its_total(const run& page) const;
  /// `moved_after`: after a shift, the horizon; lines read at or before it did not move.
  bool agrees_with_lines_read(const run& page, std::int64_t upto,
                              std::optional<std::int64_t> moved_after) const;

  bool newest_first_;
  std::int64_t page_size_;
  std::int64_t want_ = 1;
  std::int64_t total_ = -1;      ///< none answered yet
  std::int64_t read_total_ = 0;  ///< the total when the last page was taken
  bool end_unconfirmed_ = false;
  run first_;                      ///< page 1's lines
  std::int64_t first_total_ = -1;  ///< the total page 1 came with
  run older_;                      ///< the two pages read last
  run newer_;
};

/// Why a read by position fails after the answer `got`: the log changed under it, or it makes
/// no headway: more than `patience` answers in a row moved the line it wants (`asked_again`),
/// or it has made more `requests` than twice the pages its `total` fills, and twice `patience`
/// besides (an array whose log grows faster than it can be read, or whose pages never cover
/// its total). None when it goes on.
std::optional<std::string> why_reading_fails(const ascending_pages::outcome& got, int asked_again,
                                             int requests, std::int64_t total,
                                             std::int64_t page_size, int patience);

}  // namespace qsanfwd::logs
