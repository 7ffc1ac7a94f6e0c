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
//
// With a key (`key_file`), a line carries `"chain_hmac"` instead of `"chain"`: the
// HMAC-SHA256 under the key of the previous line's bytes (which hold that line's own link, so
// each link covers every line before it). Whoever can write the file but not read the key
// cannot recompute the chain after a forged line. A chain keyed from some line on links that
// line to the unkeyed line before it with the key.
//
// Seals close the two holes the chain leaves: every so many lines or seconds and at each
// rotation the file sink records a seal (file, chain_seq of the last line, its hash, time) and
// sends it elsewhere as an `archive_seal` agent event. A copy of the seals held by another
// machine shows lines cut off the end, or whole files removed from the start, and a chain
// rewritten from a sealed line on.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/core/secret.hpp"

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
  bool keyed = false;  ///< `chain_hmac`: the previous line's HMAC under the key
};

/// A chain's key (`key_file`'s bytes); nullptr where a function takes one: no key.
using chain_key = secret;
/// The least bytes a key has: the length of the HMAC-SHA256 it keys.
inline constexpr std::size_t chain_key_min_bytes = 32;

/// The key in `file`: its bytes as they are, at least chain_key_min_bytes and at most 4096.
/// Throws std::runtime_error naming the file (never a byte of it) when it cannot be read, or
/// is too short or too long.
chain_key read_chain_key(const std::filesystem::path& file);
/// Whether `file`'s mode lets its group or others read it.
bool readable_by_others(const std::filesystem::path& file);

/// The hash a line is linked by: SHA-256 of `line`, or with `key` its HMAC-SHA256, in hex.
std::string line_hash(std::string_view line, const chain_key* key);

/// `canonical` (one JSON object) with the chain fields appended; moves `state` past the line.
std::string chain_line(std::string_view canonical, chain_state& state,
                       const chain_key* key = nullptr);
/// chain_line() appended to `out`, without a string of its own.
void append_chain_line(std::string& out, std::string_view canonical, chain_state& state,
                       const chain_key* key = nullptr);

/// The chain fields at the end of `line`, if it has them in the form chain_line() writes.
std::optional<chain_link> read_link(std::string_view line);

/// The canonical event JSON `line` was written from: the line without its chain fields.
std::string unchained(std::string_view line);

/// The state after `line`, so a chain continues from a file written before (with `key`: as a
/// keyed chain, whether `line` was keyed or not).
chain_state state_after(std::string_view line, const chain_key* key = nullptr);

/// A seal: the chain of `file` stood at line `seq`, whose hash was `hash`, at `time`.
struct seal {
  std::string file;  ///< the file the sink writes (its live name, not a rotated one)
  std::uint64_t seq = 0;
  std::string hash;
  bool keyed = false;  ///< `hash` is an HMAC under the chain's key
  std::string at;      ///< when, RFC 3339 UTC
};

/// The text of a seal's agent event, from which find_seal() reads it back:
/// `Archive seal: chain_seq=N chain=HEX at=TIME file=PATH` (`chain_hmac=` when keyed).
std::string seal_message(const seal& s);
/// The seal in `line`: an `archive_seal` event's JSON (as a file sink or `ndjson` writes it)
/// or any line that ends with seal_message()'s text (RFC 5424 or 3164 syslog).
std::optional<seal> find_seal(std::string_view line);
/// Every seal in `file`, in the file's order. Throws std::runtime_error when it cannot be read.
std::vector<seal> read_seals(const std::filesystem::path& file);

/// Calls `fn` with each line of `file` (without its newline), gunzipping a `*.gz` file, until
/// `fn` returns false. Throws std::runtime_error naming the file when it cannot be read.
void for_each_line(const std::filesystem::path& file,
                   const std::function<bool(std::string_view)>& fn);

/// What verify_archive() checks besides the chain.
struct verify_options {
  const chain_key* key = nullptr;  ///< checks `chain_hmac` links; keyed lines need it
  /// Seals to hold the archive to (those of other files are left aside); nullopt: none given.
  std::optional<std::vector<seal>> seals;
};

/// The result of verify_archive().
struct archive_report {
  bool intact = true;          ///< the chain holds (the lines not chained aside)
  std::filesystem::path file;  ///< where the first problem is
  std::uint64_t line = 0;      ///< its line number in `file`, from 1
  std::string problem;         ///< "changed", "inserted", "2 line(s) removed before this line", ...
  std::uint64_t lines = 0;     ///< lines read
  std::vector<std::filesystem::path> order;  ///< the files, oldest first, as checked
  /// Lines before the first chained one (written before `hash_chain` was on, or stripped);
  /// all of them: the archive is not chained at all.
  std::uint64_t not_chained = 0;
  /// Keyed lines were found but no key was given: their links were not checked.
  bool key_needed = false;
  /// With a key: chained lines before the first keyed one (written before `key_file` was set).
  std::uint64_t not_keyed = 0;
  std::uint64_t first_seq = 0;      ///< the chain_seq of the oldest chained line (0: none)
  std::uint64_t last_seq = 0;       ///< and of the newest
  std::size_t seals_checked = 0;    ///< seals of this archive held against it
  std::optional<seal> newest_seal;  ///< of those, the one with the highest seq
  /// What the seals show: lines missing at the start or the end, a sealed line that differs.
  std::vector<std::string> seal_problems;

  /// Nothing wrong: the chain holds, every line is chained (and keyed when a key is given,
  /// checked when keyed) and every seal agrees.
  bool ok() const {
    return intact && not_chained == 0 && !key_needed && not_keyed == 0 && seal_problems.empty();
  }
};

/// Checks the chain across `files` (plain or gzipped, in any order: they are put in chain
/// order by their first line) and names the first line changed, removed or inserted. The first
/// line of the oldest file is trusted as the chain's start (older files may have been rotated
/// away), unless seals say what came before it. Throws std::runtime_error when a file cannot be
/// read.
archive_report verify_archive(std::vector<std::filesystem::path> files,
                              const verify_options& options = {});

}  // namespace qsanfwd::sinks
