#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/core/event.hpp"

namespace qsanfwd {

/// A POSIX extended regular expression (glibc's, without back-references), searched for
/// anywhere in a text. Its matching time grows with the text but never recurses on it, so a
/// hostile message cannot exhaust the stack.
class text_pattern {
 public:
  /// Throws std::invalid_argument with the library's reason for a pattern that does not compile
  /// or that uses a back-reference.
  explicit text_pattern(std::string pattern);
  ~text_pattern();
  text_pattern(const text_pattern&) = delete;
  text_pattern& operator=(const text_pattern&) = delete;

  bool found_in(const std::string& text) const;
  const std::string& text() const { return pattern_; }

 private:
  struct compiled;
  std::string pattern_;
  std::unique_ptr<compiled> regex_;
};

/// One rule of a sink's `match` or `exclude`: every condition given must hold; a list holds when
/// any of its values does. An empty rule holds for every event.
struct event_rule {
  std::vector<event_kind> kinds;
  std::optional<severity> at_least;  ///< as severe as this or more (a lower syslog code)
  std::optional<severity> at_most;
  std::vector<std::string> types;
  std::vector<std::string> devices;  ///< shell globs (`*`, `?`, `[...]`)
  std::vector<std::string> components;
  std::shared_ptr<const text_pattern> message;

  bool holds_for(const event& e) const;
};

/// Which events a sink takes: those that one `match` rule holds for (every event when there is
/// none) and no `exclude` rule does.
struct event_filter {
  std::vector<event_rule> match;
  std::vector<event_rule> exclude;

  /// No rule at all: the sink takes everything without looking at it.
  bool takes_all() const { return match.empty() && exclude.empty(); }
  bool takes(const event& e) const;
};

}  // namespace qsanfwd
