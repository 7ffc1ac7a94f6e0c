#pragma once

#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "agent/core/event.hpp"

namespace qsanfwd {

/// A configured value filled in from each event: an Elasticsearch index, a Splunk sourcetype,
/// a Loki label, a file's path.
///
/// `{name}` is an event field: device, host, kind, type, severity, component, model, serial, or
/// `fields.NAME` (a static field). `%Y`, `%m`, `%d`, `%H` are the year, month, day and hour of
/// the event's time in UTC, so that a daily index follows the array's clock, not the agent's.
/// `{{`, `}}` and `%%` stand for themselves. A field the event does not have is empty.
class event_template {
 public:
  event_template() = default;

  /// Throws std::invalid_argument saying what is wrong and where (an unknown field, a `{` left
  /// open, an unknown `%` conversion): read at configuration time, so that no event meets it.
  static event_template parse(std::string_view text);

  /// Whether it is the same for every event (no field, no date).
  bool constant() const { return constant_; }
  /// The text it was read from.
  const std::string& text() const { return text_; }

  /// The value for `e`, appended to `out`.
  void render(const event& e, std::string& out) const;
  std::string render(const event& e) const;

 private:
  /// Where in "YYYY-MM-DDTHH" (RFC 3339) a date conversion's digits are.
  struct date_digits {
    std::size_t at = 0, size = 0;
  };
  using string_field = std::string event::*;
  struct kind_field {};
  struct severity_field {};
  struct static_field {
    std::string name;
  };
  using part = std::variant<std::string, string_field, kind_field, severity_field, date_digits,
                            static_field>;

  void add_text(std::string_view s);
  void add_field(std::string_view name);
  void add_date(char conversion);

  std::string text_;
  std::vector<part> parts_;
  bool constant_ = true;
};

}  // namespace qsanfwd
