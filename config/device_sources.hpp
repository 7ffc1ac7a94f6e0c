#pragma once

#include <cstddef>
#include <deque>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "config/config_error.hpp"
#include "config/object_reader.hpp"

namespace qsanfwd::config {

/// Where one device's own block was written: the configuration's `devices`, a file of
/// `devices_dir`, or an entry of the `inventory` (JSON or CSV).
struct device_origin {
  std::string file;      ///< empty: the configuration file itself
  std::string pointer;   ///< the block's JSON pointer in `file` ("" for a whole file)
  std::size_t line = 0;  ///< a CSV row's line; 0 for JSON
  /// The block as written (a CSV row: its non-empty cells, as strings), in the configuration's
  /// document or in device_sources::file_blocks: not copied, a fleet may have 10,000.
  const nlohmann::json* block = nullptr;

  /// Where the block is, for messages: "/devices/3", "/etc/qsanfwd/devices.d/a.json",
  /// "/etc/qsanfwd/arrays.csv line 4".
  std::string describe() const;
  /// Whether the value at `pointer` (within the block) is a CSV cell: untyped text.
  bool is_text(const std::string& pointer) const;
};

/// A file that devices come from, and the key of the configuration that names it.
struct device_file_key {
  std::string key;  ///< its JSON pointer in the configuration, for errors
  std::filesystem::path path;
};

/// Every device of the configuration, from all its sources in order (`devices`, then the files
/// of `devices_dir` in sorted order, then the `inventory`), each block merged over
/// `device_defaults`.
struct device_sources {
  nlohmann::json devices = nlohmann::json::array();  ///< the merged blocks
  std::vector<device_origin> origins;                ///< where each was written
  std::deque<nlohmann::json> file_blocks;  ///< the blocks read from files (a deque: they stay put)
  nlohmann::json defaults = nlohmann::json::object();
  std::optional<device_file_key> devices_dir;
  std::optional<device_file_key> inventory;

  /// Reads the devices of devices_dir and inventory, after those of `devices`.
  void read_files();

  /// `e`, thrown while reading devices[i] of a document holding `devices`, said of the place
  /// that holds the bad value: the device's own block, else device_defaults when it holds the
  /// value, else (a key missing in both) the device's block.
  config_error relocate(const config_error& e, std::size_t i) const;
  /// Whether the value at `pointer` of that document is a CSV cell (an object_reader's
  /// text_value_test).
  bool is_text(const std::string& pointer) const;
};

/// Takes `devices`, `device_defaults`, `devices_dir` and `inventory` from the configuration's
/// top level, with `devices` merged over the defaults; read_files() reads the rest. Relative
/// paths resolve against `base_dir`. Throws config_error naming the file and the place in it.
device_sources take_device_sources(object_reader& root, const std::filesystem::path& base_dir);

}  // namespace qsanfwd::config
