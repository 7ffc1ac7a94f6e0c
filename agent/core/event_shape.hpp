#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "agent/core/event.hpp"

namespace qsanfwd {

/// What a sink adds to and changes in each event on its way out: static fields (the sink's and
/// the event's device's), renamed keys and dropped ones.
///
/// Names are the canonical JSON's keys (`message`, `serial`, `fields`, ...) or `fields.NAME`
/// for a static field. A static field is renamed or dropped in every format; so is a dropped
/// optional key (host, type, model, serial, component, component_id, attribute, previous,
/// current, flags). A renamed key, and a dropped one every event has (kind, device, timestamp,
/// time, severity, message), change the JSON the sink writes as it is (file, ndjson, json
/// array, Loki lines, the HEC `event`): formats with their own schema keep their fields.
struct event_shape {
  field_list fields;                                        ///< the sink's, sorted by name
  std::map<std::string, field_list, std::less<>> devices;  ///< each device's `fields`
  std::map<std::string, std::string, std::less<>> rename;  ///< name -> new name
  std::vector<std::string> drop;

  /// Changes nothing: the sink gets events as they are queued.
  bool empty() const;

  /// Adds the static fields (a device's value wins over the sink's for the same name), then
  /// renames and drops what `rename` and `drop` name among them and the optional keys.
  void apply(event& e) const;

  /// The JSON the sink writes for `e` (after apply): to_json(e), with the renamed and dropped
  /// keys of the contract changed.
  std::string json(const event& e) const;
};

/// Why `name` cannot be renamed or dropped, or empty when it can: `id` must stay (consumers and
/// the file sink dedup by it), and a name must be a key of the event contract or
/// `fields.NAME`.
std::string shape_name_problem(std::string_view name);

}  // namespace qsanfwd
