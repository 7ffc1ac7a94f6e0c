#pragma once

#include <filesystem>

#include "agent/core/duration.hpp"
#include "config/object_reader.hpp"

namespace qsanfwd::sinks {

enum class fsync_policy { batch, interval, never };

/// The file sink's options (`type: "file"`).
struct file_options {
  std::filesystem::path path;
  unsigned permissions = 0640;         ///< mode of files the sink creates
  std::uint64_t rotate_max_bytes = 0;  ///< 0: no rotation by size
  duration rotate_interval{0};         ///< 0: no rotation by age
  int rotate_keep = 7;                 ///< rotated files kept
  bool rotate_gzip = false;
  fsync_policy fsync = fsync_policy::batch;
  duration fsync_interval{1000};  ///< with fsync: "interval"
  bool hash_chain = false;
};

file_options parse_file_options(config::object_reader& r);

}  // namespace qsanfwd::sinks
