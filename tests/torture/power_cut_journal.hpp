#pragma once

// The journal that lets the power-cut test roll a SQLite file back to what the disk could hold
// after a power cut. The agent built for the test (qsanfwd_power_cut) appends one record per
// write, truncate and completed sync of every database and WAL file to `<file>.power-cut`;
// the test reads it after SIGKILL. Only what was written before a completed sync is sure to be
// on disk; any part of what came after may be, in any combination.

#include <cstdint>
#include <string_view>

namespace qsanfwd::torture::power_cut {

inline constexpr std::string_view journal_suffix = ".power-cut";

/// A record is its tag, then the fields below as native 64-bit integers, then its bytes.
enum class tag : char {
  base = 'B',      ///< u64 size, bytes: the file when this process first opened it
  write = 'W',     ///< u64 offset, u64 size, bytes
  truncate = 'T',  ///< u64 size (a delete is a truncate to 0)
  sync = 'S',      ///< a sync returned: everything recorded before it is on disk
};

}  // namespace qsanfwd::torture::power_cut
