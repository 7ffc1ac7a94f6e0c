#include "config/config_error.hpp"

#include <utility>

namespace qsanfwd::config {

config_error::config_error(std::string path, std::string reason)
    : std::runtime_error("config error at " + (path.empty() ? std::string("/") : path) + ": " +
                         reason),
      path_(std::move(path)),
      reason_(std::move(reason)) {}

config_error::config_error(std::string message, std::string source, std::string path,
                           std::string reason)
    : std::runtime_error(message),
      source_(std::move(source)),
      path_(std::move(path)),
      reason_(std::move(reason)) {}

// The message is built before `reason` moves: argument evaluation order is unspecified.
config_error config_error::in_file(const std::string& source, std::string reason) {
  std::string message = "config error in " + source + ": " + reason;
  return config_error(std::move(message), source, "", std::move(reason));
}

config_error config_error::in_file(const std::string& source, std::size_t line, std::size_t column,
                                   std::string reason) {
  std::string message = "config error in " + source + " at line " + std::to_string(line) +
                        ", column " + std::to_string(column) + ": " + reason;
  return config_error(std::move(message), source, "", std::move(reason));
}

config_error config_error::located(const std::string& source, const std::string& where,
                                   std::string path, std::string reason) {
  std::string message = "config error in " + source + " at " + where + ": " + reason;
  return config_error(std::move(message), source, std::move(path), std::move(reason));
}

}  // namespace qsanfwd::config
