#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/core/severity.hpp"

namespace qsanfwd {

/// Where an event came from: a line of the array's log, a change the health monitor saw, or
/// something about the agent itself (a device unreachable, events dropped).
enum class event_kind { log, health, agent };

std::string_view to_string(event_kind k);
std::optional<event_kind> parse_event_kind(std::string_view name);

/// Static name/value pairs the user attaches to events (`fields` of a device or a sink), in the
/// order configured; names are unique.
using field_list = std::vector<std::pair<std::string, std::string>>;
/// How options name a static field: `fields.site`.
inline constexpr std::string_view static_field_prefix = "fields.";

/// The canonical event. Its JSON field names are a contract with sinks and users' parsers;
/// an empty optional field is left out of the JSON.
struct event {
  std::string id;
  event_kind kind = event_kind::log;
  std::string device;
  std::string host;
  std::int64_t timestamp = 0;  ///< unix seconds, from the array's clock for logs
  std::string type;            ///< log type (info, warning, error, access); empty for others
  qsanfwd::severity severity = severity::info;
  std::string message;
  std::string model;   ///< device model, when known
  std::string serial;  ///< device serial, when known
  // Health events only.
  std::string component;
  std::string component_id;
  std::string attribute;
  std::string previous;
  std::string current;
  /// Space-separated words about how the event came to be; empty for most. `clock_ahead`: a
  /// log line stamped ahead of the array's own clock (forwarded as stamped).
  std::string flags;
  /// The user's static fields (`"fields":{"site":"ams-1"}`), added on the way to each sink.
  field_list fields;

  friend bool operator==(const event&, const event&) = default;
};

/// An event about the agent itself (a device unreachable, collection stuck), stamped now; its id
/// comes from the device, the type and the second.
event make_agent_event(std::string device, std::string host, std::string type, severity level,
                       std::string message);

/// Makes `e` what a new event is, its strings emptied with their buffers kept: an event reused
/// for one event after another then allocates nothing once its strings have grown.
void clear_keeping_buffers(event& e);

/// One JSON object, no trailing newline, fields in contract order ("time" is derived from
/// `timestamp`). Strings are escaped per RFC 8259; invalid UTF-8 becomes U+FFFD.
std::string to_json(const event& e);
/// to_json(e) appended to `out`.
void append_json(std::string& out, const event& e);

/// Parses what to_json wrote. Throws std::invalid_argument naming the field on bad input.
event event_from_json(std::string_view json);
/// event_from_json() into `into`, whose strings keep their buffers: a sink that reads a batch
/// into one event, one after another, stops allocating once they have grown. After a throw
/// `into` holds any mix of fields.
void event_from_json(std::string_view json, event& into);

namespace detail {
/// event_from_json() through nlohmann's DOM: the reference, and the answer for any text the
/// fast reader leaves to it (every error, repeated keys, floats, surrogate pairs). Public so
/// that tests can compare the two.
event event_from_json_dom(std::string_view json);
}  // namespace detail

/// Appends `s` to `out` as a JSON string literal with quotes.
void append_json_string(std::string& out, std::string_view s);

}  // namespace qsanfwd
