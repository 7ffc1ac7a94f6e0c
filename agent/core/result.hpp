#pragma once

#include <string>
#include <utility>
#include <variant>

namespace qsanfwd {

/// How a caller should treat a failure.
enum class failure_kind {
  transient,    ///< may work later: network, timeout, 5xx, a garbled answer
  permanent,    ///< will not work by trying again: 400, 403, bad credentials
  unsupported,  ///< the peer lacks this feature (an older firmware's 404)
};

/// A run-time failure as a value: what went wrong, in words fit for a log line (never a secret).
struct failure {
  std::string message;
  failure_kind kind = failure_kind::transient;
};

/// Either a value or a failure. Run-time failures (network, HTTP status, bad JSON from a peer)
/// travel as values; exceptions are for start-up errors and bugs.
template <typename T>
class result {
 public:
  /// An empty result is a failure; asio's co_spawn needs one for a coroutine that threw.
  result() : v_(failure{"no result"}) {}
  result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  result(failure f) : v_(std::move(f)) {}    // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const failure& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, failure> v_;
};

}  // namespace qsanfwd
