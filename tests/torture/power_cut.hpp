#pragma once

// The test's side of the power cut (the agent's side is power_cut_vfs.cpp): after SIGKILL, every
// journalled file under a directory is rewritten as a disk could leave it had the power gone
// at that instant.

#include <cstddef>
#include <filesystem>
#include <random>
#include <string>

namespace qsanfwd::torture::power_cut {

/// What the disk kept of the writes no sync had covered yet.
enum class outcome { none_kept, all_kept, some_kept };

std::string to_string(outcome o);

/// What one cut did, summed over the files.
struct cut_report {
  std::size_t files = 0;
  std::size_t synced = 0;   ///< writes and truncates a completed sync covered: all kept
  std::size_t unsynced = 0; ///< those after the last sync
  std::size_t kept = 0;     ///< of the unsynced ones, how many the disk kept
};

/// Rewrites each file under `dir` that has a journal: its content when the agent opened it, then
/// every record up to its last sync, then those after it as `o` says (for some_kept, each with
/// even odds, in order). Removes the journals and the WAL index (`-shm`, rebuilt from the WAL at
/// the next open). Throws std::runtime_error for a journal without its base record.
cut_report cut(const std::filesystem::path& dir, outcome o, std::mt19937& rng);

}  // namespace qsanfwd::torture::power_cut
