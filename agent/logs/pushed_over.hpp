#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "agent/device/model.hpp"

namespace qsanfwd::logs {

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
/// Newest first, lines that arrive while a listing is read page by page push the lines read
/// towards later pages, so a page begins with the last lines of the page before. Identical
/// genuine lines across the boundary are taken for repeats too; only a listing without a
/// usable total, too long for one answer, is read this way.
std::size_t overlap(std::span<const device::log_entry> before,
                    std::span<const device::log_entry> page);

}  // namespace qsanfwd::logs
