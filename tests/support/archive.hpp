#pragma once

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

archive read_archive(const std::filesystem::path& file);

}  // namespace qsanfwd::test
