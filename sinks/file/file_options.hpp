#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>

#include "agent/core/duration.hpp"
#include "agent/core/event_template.hpp"
#include "config/object_reader.hpp"

namespace qsanfwd::sinks {

enum class fsync_policy { batch, interval, never };

/// The file sink's options (`type: "file"`).
struct file_options {
  /// The file; with placeholders, the template's text (for messages).
  std::filesystem::path path;
  /// Set when `path` has placeholders (`{device}`, `%Y`, ...): each event's own file.
  std::optional<event_template> path_template;
  std::size_t max_open_files = 64;     ///< with a template: files kept open at once
  unsigned permissions = 0640;         ///< mode of files the sink creates
  std::uint64_t rotate_max_bytes = 0;  ///< 0: no rotation by size
  duration rotate_interval{0};         ///< 0: no rotation by age
  int rotate_keep = 7;                 ///< rotated files kept
  bool rotate_gzip = false;
  fsync_policy fsync = fsync_policy::batch;
  duration fsync_interval{1000};  ///< with fsync: "interval"
  bool hash_chain = false;
  /// With hash_chain: the file holding the chain's key (read when the sink is made); empty:
  /// an unkeyed chain.
  std::filesystem::path key_file;
  /// With hash_chain: a seal after this many lines (0: not by count), ...
  std::uint64_t seal_every_events = 10000;
  /// ... or this long after the last seal, lines having been written since (0: not by time);
  /// and at each rotation, reopen and close.
  duration seal_every{300000};
};

/// Reads `path` (required; `{field}` and `%Y`/`%m`/`%d`/`%H` placeholders make it a template,
/// `{{`, `}}` and `%%` stand for themselves), `max_open_files` (64; with placeholders only),
/// `permissions` ("0640"), `rotate: {max_bytes, interval, keep, gzip}`, `fsync` (batch),
/// `fsync_interval` (1s), `hash_chain` (false), and with it `key_file` (none) and
/// `seal: {every_events, every}` (10000, 5m). Throws config_error naming the key.
file_options parse_file_options(config::object_reader& r);

}  // namespace qsanfwd::sinks
