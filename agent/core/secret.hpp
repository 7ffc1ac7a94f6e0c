#pragma once

#include <string>
#include <utility>

namespace qsanfwd {

/// A password or token. It has no stream or format operator, so it cannot reach a log line by
/// accident; code that must send it calls reveal() at the one place it goes on the wire.
class secret {
 public:
  secret() = default;
  explicit secret(std::string value) : value_(std::move(value)) {}

  const std::string& reveal() const { return value_; }
  bool empty() const { return value_.empty(); }
  friend bool operator==(const secret&, const secret&) = default;

  /// What logs, errors and printed configs show instead of the value.
  static constexpr const char* mask = "***";

 private:
  std::string value_;
};

}  // namespace qsanfwd
