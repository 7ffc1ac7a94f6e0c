#pragma once

#include <spdlog/logger.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "agent/core/queued_event.hpp"
#include "sinks/file/file_options.hpp"
#include "sinks/file/hash_chain.hpp"

namespace qsanfwd::sinks {

/// Counters of a file sink, for status and tests.
struct file_sink_counters {
  std::uint64_t lines = 0;
  std::uint64_t rotations = 0;
  std::uint64_t fsyncs = 0;
  std::uint64_t write_failures = 0;
  std::uint64_t already_written = 0;  ///< events found written by a run that was killed
  std::uint64_t files_closed = 0;     ///< closed to open another (more paths than max_open_files)
};

/// One file of a file sink: its descriptor, size, age, hash chain and last line, and its
/// rotation. A sink with a constant path has one; a templated path has one per rendered path in
/// use, up to `max_open_files`.
class file_target {
 public:
  /// `key`: the chain's key or nullptr; `seals`: where the seals it makes go. Both outlive it.
  file_target(std::filesystem::path path, const file_options& options, const chain_key* key,
              std::vector<seal>& seals, spdlog::logger& log, file_sink_counters& counters);
  ~file_target();
  file_target(const file_target&) = delete;
  file_target& operator=(const file_target&) = delete;

  const std::filesystem::path& path() const { return path_; }

  /// Opens the file unless it is open: creates missing directories, cuts an incomplete last
  /// line left by a crash, and reads where its hash chain stands and which event it ends with.
  /// Returns why not.
  std::optional<std::string> open();
  /// How many of `events` (in queue order) the file holds already: those up to the event its
  /// last line is, when one of them is.
  std::size_t already_written(std::span<const queued_event* const> events) const;
  /// Writes the events' lines with one write(2) after any rotation due, and syncs as the policy
  /// says. On failure the file is as before and the answer says why. `buf` is scratch.
  std::optional<std::string> write(std::span<const queued_event* const> events, std::string& buf);
  /// Syncs what is written (unless `fsync: never`), seals the lines not sealed and closes;
  /// the chain state is kept.
  void close();
  /// Seals the last line when `seal.every_events` lines or `seal.every` have passed since the
  /// last seal.
  void seal_if_due();
  /// Whether lines were written since the last seal.
  bool unsealed() const { return unsealed_ > 0 && chain_.has_value(); }

 private:
  using clock = std::chrono::steady_clock;

  void build_lines(std::span<const queued_event* const> events, std::optional<chain_state>& next,
                   std::string& buf) const;
  bool rotation_due(std::size_t adding) const;
  std::optional<std::string> append(std::string_view lines);
  void after_append();
  std::optional<std::string> read_end();
  std::optional<std::string> rotate();
  void compress(const std::filesystem::path& rotated);
  void load_chain();
  /// Adds a seal of the last line to the seals, if a line was written since the last one.
  void seal_now();
  void sync();
  void close_fd();
  std::filesystem::path rotated_name(int index, bool gz) const;

  std::filesystem::path path_;
  const file_options& options_;
  const chain_key* key_;
  std::vector<seal>& seals_;
  spdlog::logger& log_;
  file_sink_counters& counters_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
  clock::time_point opened_at_;
  clock::time_point last_sync_;
  bool unsynced_ = false;
  std::optional<chain_state> chain_;  ///< with hash_chain, once read from the files on disk
  std::string last_event_;            ///< the canonical event of the file's last line
  std::uint64_t unsealed_ = 0;        ///< lines written since the last seal
  clock::time_point last_seal_;
};

}  // namespace qsanfwd::sinks
