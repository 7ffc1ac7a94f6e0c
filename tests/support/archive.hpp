#pragma once

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <string>
#include <tuple>
#include <vector>

namespace qsanfwd::test {

/// A log line as the array's ledger and the events both tell it: (timestamp, type, message).
using log_line = std::tuple<std::int64_t, std::string, std::string>;

/// What a file sink wrote: each event once (by id), and how many were written again.
struct archive {
  std::vector<log_line> lines;  ///< log events, sorted
  std::size_t repeats = 0;      ///< events written more than once (same id)
};

/// A last line without its newline (the sink is still writing it) is left out.
archive read_archive(const std::filesystem::path& file);

/// The lines of a simulator's ledger (anything with timestamp, type, message), sorted.
template <typename Ledger>
std::vector<log_line> sorted_lines(const Ledger& ledger) {
  std::vector<log_line> out;
  for (const auto& l : ledger) {
    out.emplace_back(l.timestamp, l.type, l.message);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace qsanfwd::test
