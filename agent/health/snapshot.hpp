#pragma once

#include <compare>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/device/model.hpp"

namespace qsanfwd::health {

/// The `component` names of health events.
namespace components {
inline constexpr std::string_view enclosure = "enclosure";
inline constexpr std::string_view psu = "psu";
inline constexpr std::string_view cache_to_flash = "cache_to_flash";
inline constexpr std::string_view fan = "fan";
inline constexpr std::string_view voltage = "voltage";
inline constexpr std::string_view temperature = "temperature";
inline constexpr std::string_view disk = "disk";
inline constexpr std::string_view pool = "pool";
inline constexpr std::string_view raidset = "raidset";
inline constexpr std::string_view volume = "volume";
inline constexpr std::string_view iscsi_session = "iscsi_session";
inline constexpr std::string_view replication = "replication";
inline constexpr std::string_view replication_destination = "replication_destination";
inline constexpr std::string_view snapshot_space = "snapshot_space";
}  // namespace components

/// The `attribute` names of health events.
namespace attributes {
inline constexpr std::string_view presence = "presence";  ///< "present" or "absent"
inline constexpr std::string_view health = "health";      ///< the array's word (sysHealth too)
inline constexpr std::string_view status = "status";      ///< the array's word
inline constexpr std::string_view temperature = "temperature";          ///< degrees Celsius
inline constexpr std::string_view rpm = "rpm";                          ///< fan speed
inline constexpr std::string_view ssd_life_remain = "ssd_life_remain";  ///< percent
inline constexpr std::string_view used_pct = "used_pct";  ///< pool or snapshot space, percent
inline constexpr std::string_view sessions = "sessions";  ///< iSCSI sessions under one key
}  // namespace attributes

inline constexpr std::string_view present = "present";
inline constexpr std::string_view absent = "absent";

/// What a health event is about: e.g. (disk, e0d3, health) or (psu, enc0/PSU 2, status).
struct key {
  std::string component;
  std::string component_id;
  std::string attribute;
  friend auto operator<=>(const key&, const key&) = default;
};

/// One observed attribute of one component.
struct reading {
  std::string value;    ///< the array's word, or a number as text, or present/absent
  bool raised = false;  ///< thresholds only: the alarm is raised (kept for hysteresis)
  std::string label;    ///< the component in words: "Disk e0d3 (enclosure 0, slot 3, ...)"
  std::string model;    ///< the component's own model and serial, where it has them
  std::string serial;
  friend bool operator==(const reading&, const reading&) = default;
};

/// Everything known about a device's health at one moment, as the state store keeps it.
using snapshot = std::map<key, reading>;

/// The endpoints a poll reads; a section not read keeps its part of the previous snapshot.
enum class section { hardware, disks, pools, volumes, iscsi, replication, snapshots };
std::string_view to_string(section s);
/// The section a key belongs to (a section marker belongs to the section it names).
section section_of(const key& k);

/// A snapshot holds the marker key (section_marker, <section name>, "read") once that section
/// has been read: a component there that is new to the snapshot is then really new (added),
/// not merely seen for the first time.
inline constexpr std::string_view section_marker = "section";
key marker_of(section s);

/// What one poll read; an empty optional is an endpoint that failed or that the firmware lacks.
struct poll_data {
  std::optional<std::vector<int>> enclosure_numbers;  ///< /rest/v1/hardware/info
  std::optional<std::vector<device::enclosure>> enclosures;
  std::optional<std::vector<device::disk>> disks;
  std::optional<std::vector<device::pool>> pools;
  std::optional<std::vector<device::volume>> volumes;
  std::optional<std::vector<device::iscsi_session>> iscsi_sessions;
  std::optional<std::vector<device::replication_task>> replication_tasks;
  std::optional<std::vector<device::snapshot_task>> snapshot_tasks;
};

/// What identifies an iSCSI session across polls: the controller, the initiator and the
/// target (its name, else its id). Not the session's `id` or `TSIH`: the array gives a new one
/// at each login, so a host that reconnects would look like one gone and another new.
std::string iscsi_session_id(const device::iscsi_session& s);

/// Flattens a poll into a snapshot of observed values (every `raised` false: diff() decides).
/// A section that was not read is copied from `previous` unchanged, so a missing endpoint is
/// never taken for components that all went away. Empty words (a sensor without a status) and
/// "no data" numbers are left out.
snapshot flatten(const poll_data& data, const snapshot& previous);

/// Counts of the components a snapshot holds (present ones only).
struct inventory {
  int enclosures = 0;
  int disks = 0;
  int pools = 0;
  int raidsets = 0;
  int volumes = 0;
  int iscsi_sessions = 0;
  int replication_tasks = 0;
};
inventory inventory_of(const snapshot& s);

/// A reading as the JSON the state store keeps, and back. from_json throws
/// std::invalid_argument on anything else.
std::string to_json(const reading& r);
reading reading_from_json(std::string_view json);

/// A number as text: "72", "12.1", "90.5"; what a snapshot compares and a message shows.
std::string number_text(double v);

}  // namespace qsanfwd::health
