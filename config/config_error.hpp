#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

namespace qsanfwd::config {

/// A configuration that cannot be used. what() is the whole message, in one of the forms
///   config error at /sinks/1/port: expected 1..65535, got 70000
///   config error in /etc/qsanfwd/config.json at line 3, column 7: <reason>
///   config error in /etc/qsanfwd/config.json: <reason>
///   config error in /etc/qsanfwd/devices.d/array-07.json at /logs/interval: <reason>
///   config error in /etc/qsanfwd/arrays.csv at line 12, column logs.interval: <reason>
///   config error in /etc/qsanfwd/config.yaml at /sinks/1/port (line 14): <reason>
/// The message never holds the value of a secret.
class config_error : public std::runtime_error {
 public:
  /// An error about the value at JSON pointer `path` ("" is the whole document).
  config_error(std::string path, std::string reason);

  /// An error about the file `source` as a whole (unreadable, not JSON).
  static config_error in_file(const std::string& source, std::string reason);
  /// An error at a 1-based line and column of the file `source`.
  static config_error in_file(const std::string& source, std::size_t line, std::size_t column,
                              std::string reason);

  /// An error about the value at `path` of the file `source`, other than the main configuration
  /// (a device file, an inventory); `where` says where in it as a reader finds it: the path
  /// itself, or a CSV file's line and column.
  static config_error located(const std::string& source, const std::string& where, std::string path,
                              std::string reason);

  /// The JSON pointer of the bad value (within the file it names); empty for errors about the file
  /// as a whole.
  const std::string& path() const { return path_; }
  /// Why the value is wrong, without the "config error at ..." prefix.
  const std::string& reason() const { return reason_; }
  /// The file the error names; empty for an error at a path of the main configuration, whose
  /// caller knows the file.
  const std::string& source() const { return source_; }

 private:
  config_error(std::string message, std::string source, std::string path, std::string reason);

  std::string source_;
  std::string path_;
  std::string reason_;
};

}  // namespace qsanfwd::config
