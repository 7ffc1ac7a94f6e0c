#pragma once

// Tamper evidence for the file sink's archives (`hash_chain: true`).
//
// Each line is the canonical event JSON, untouched, with two fields appended at its end:
//   {...canonical fields...,"chain_seq":N,"chain":"<sha256 hex of the previous line>"}
// `chain_seq` counts lines from 1 across rotated files; `chain` is the SHA-256 of the previous
// line's bytes (without its newline), 64 zeros for the very first line. An edited line breaks
// the next line's `chain`; a removed line leaves a gap in `chain_seq`; an inserted line breaks
// both. The last line of an archive is only covered by the line that follows it, and removing
// whole lines at the end (truncation) cannot be seen from the chain alone.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qsanfwd::sinks {

/// The chain of the very first line.
inline constexpr std::string_view chain_genesis =
    "0000000000000000000000000000000000000000000000000000000000000000";

/// Where a chain stands: the number and hash of the last line written.
struct chain_state {
  std::uint64_t seq = 0;
  std::string last_hash{chain_genesis};
};

/// The chain fields of a line.
struct chain_link {
  std::uint64_t seq = 0;
  std::string chain;
  std::size_t at = 0;  ///< where the fields start in the line
};

/// `canonical` (one JSON object) with the chain fields appended; moves `state` past the line.
std::string chain_line(std::string_view canonical, chain_state& state);
/// chain_line() appended to `out`, without a string of its own.
void append_chain_line(std::string& out, std::string_view canonical, chain_state& state);

/// The chain fields at the end of `line`, if it has them in the form chain_line() writes.
std::optional<chain_link> read_link(std::string_view line);

/// The canonical event JSON `line` was written from: the line without its chain fields.
std::string unchained(std::string_view line);

/// The state after `line`, so a chain continues from a file written before.
chain_state state_after(std::string_view line);

/// Calls `fn` with each line of `file` (without its newline), gunzipping a `*.gz` file, until
/// `fn` returns false. Throws std::runtime_error naming the file when it cannot be read.
void for_each_line(const std::filesystem::path& file,
                   const std::function<bool(std::string_view)>& fn);

/// The result of verify_archive().
struct archive_report {
  bool intact = true;
  std::filesystem::path file;  ///< where the first problem is
  std::uint64_t line = 0;      ///< its line number in `file`, from 1
  std::string problem;         ///< "changed", "inserted", "2 line(s) removed before this line", ...
  std::uint64_t lines = 0;     ///< lines checked
  std::vector<std::filesystem::path> order;  ///< the files, oldest first, as checked
};

/// Checks the chain across `files` (plain or gzipped, in any order: they are put in chain
/// order by their first line) and names the first line changed, removed or inserted. The first
/// line of the oldest file is trusted as the chain's start (older files may have been rotated
/// away). Throws std::runtime_error when a file cannot be read.
archive_report verify_archive(std::vector<std::filesystem::path> files);

}  // namespace qsanfwd::sinks
