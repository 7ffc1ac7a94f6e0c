#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "agent/core/event.hpp"
#include "agent/core/severity.hpp"
#include "agent/store/state_store.hpp"

namespace qsanfwd {

/// What an alarm is about: `device` empty for the agent's own parts (a sink). Health alarms
/// carry the health event's component, component_id and attribute (a recovery comes on the
/// same three); the agent's conditions use component `device` (reachable), `logs`
/// (collection, gap), `clock` (skew, ahead) and `sink` (delivery, component_id the sink).
struct alarm_key {
  std::string device;
  std::string component;
  std::string component_id;
  std::string attribute;

  friend auto operator<=>(const alarm_key&, const alarm_key&) = default;
};

/// A condition raised and not yet cleared.
struct open_alarm {
  alarm_key key;
  qsanfwd::severity severity = severity::warning;
  std::int64_t since = 0;       ///< unix seconds, when it was first raised
  std::int64_t updated_at = 0;  ///< when it last changed (a degraded disk that then failed)
  std::string event_id;         ///< the event that raised it last; empty for a sink
  std::string message;          ///< that event's message (a sink: its last error)
};

/// What an event does to the open alarms: health events raise at warning or worse and clear
/// otherwise on their key; the agent's events by their type (device_unreachable raises,
/// device_reachable clears, ...). A gap cannot be cleared by anything the array says: its
/// alarm stays open for `gap_alarm_seconds`. Log lines and inventory touch no alarm.
struct alarm_change {
  alarm_key key;
  bool raise = false;
  std::optional<std::int64_t> expires_at;
};
inline constexpr std::int64_t gap_alarm_seconds = 24 * 3600;
std::optional<alarm_change> alarm_change_of(const event& e);

/// Applies each event's change to the `alarms` table, inside the caller's transaction when one
/// is open (the events' own), so that alarms and the queue never disagree after a crash.
void apply_alarms(state_store& store, std::span<const event> events);

/// The open alarms at `now`: the table's unexpired rows and each sink failing (from its
/// cursor), for the devices and sinks named (all when a list is empty), most severe first,
/// then oldest first.
std::vector<open_alarm> load_open_alarms(state_store& store, std::int64_t now,
                                         std::span<const std::string> devices = {},
                                         std::span<const std::string> sinks = {});

/// Deletes the health alarms of `device` whose part `present` says is gone from its snapshot
/// (the disks of a detached enclosure, a deleted replication task: they vanish without an
/// event that could clear them). Inside the caller's transaction, the snapshot's.
void forget_vanished_parts(state_store& store, std::string_view device,
                           const std::function<bool(const alarm_key&)>& present);

/// Deletes the alarms of devices not in `devices` (a device removed from the configuration
/// takes its alarms with it).
void forget_alarms_except(state_store& store, std::span<const std::string> devices);

/// Whether `key` is open: the collection's in-memory flags (a stuck log, an unreachable
/// array) start from it after a restart, so their recovery is reported and clears it.
bool alarm_open(state_store& store, const alarm_key& key, std::int64_t now);

}  // namespace qsanfwd
