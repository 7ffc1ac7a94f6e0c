#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qsanfwd::sim {

/// A sensor reading of an enclosure (voltage, temperature, fan).
struct sensor {
  std::string name;
  double value = 0;
  std::string status = "Good";
};

/// A component reported by name and status only (PSU, cache-to-flash module).
struct named_status {
  std::string name;
  std::string status = "Good";
};

struct enclosure {
  int id = 0;
  bool local = true;  ///< the head unit; expansions report fewer fields
  std::string model;
  std::string serial;
  std::string backplane;
  bool present = true;  ///< a detached expansion disappears, with its disks
  std::vector<sensor> voltage;
  std::vector<sensor> temperature;
  std::vector<sensor> fans;  ///< value in rpm, sent as a string as real arrays do
  std::vector<named_status> psus;
  std::vector<named_status> cache_to_flash;
};

struct disk {
  std::string id;  ///< "e<enc>d<slot>"
  int enclosure = 0;
  int slot = 0;
  bool ssd = false;
  bool present = true;  ///< a pulled disk disappears from the list
  std::int64_t size_mb = 0;
  std::string health = "Good";
  std::string status = "Online";
  std::string serial;
  std::string model;
  std::string vendor;
  std::string pool_name;
  std::uint32_t pool_id = 0;
  int temperature = 0;
  int ssd_life = 0;
};

struct raidset {
  int id = 0;
  std::string level;
  std::vector<std::string> disks;
  std::string health = "Good";
  std::string status = "Online";
  std::int64_t total_mb = 0;
  std::int64_t used_mb = 0;
};

struct pool {
  std::uint32_t id = 0;
  std::string name;
  std::string health = "Good";
  std::string status = "Online";
  std::vector<raidset> raidsets;
};

struct volume {
  std::uint32_t id = 0;
  std::string name;
  std::uint32_t pool_id = 0;
  std::string health = "Optimal";
  std::string status = "Online";
};

/// A host's iSCSI login to a target. A dropped session disappears from the list; restored, it
/// comes back with a new session id and TSIH, as a new login does.
struct iscsi_session {
  int ctrl = 0;
  std::string initiator;
  std::string target_id;
  std::string target_name;
  bool present = true;
  std::uint32_t tsih = 1;
};

/// One line of a replication task to its destination.
struct replication_line {
  int no = 0;
  std::string port;
  std::string ip;
  std::string target;
  std::string lun;
  std::string status = "Online";
};

struct replication_task {
  std::uint64_t id = 0;
  std::string source;
  std::string status = "Online";
  std::vector<replication_line> lines;
};

struct snapshot_task {
  std::uint64_t id = 0;
  std::int64_t used_mb = 0;
  std::int64_t total_mb = 0;
};

/// The simulated array's hardware and storage, with the JSON of each endpoint. A head enclosure
/// (0) and an expansion (1), twelve disks, two pools with raidsets, four volumes. Mutators
/// return false for an unknown name. Not thread-safe: the simulator guards it.
class array_state {
 public:
  array_state(std::string model, std::string serial);

  bool set_disk_health(std::string_view id, std::string health, std::string status);
  bool set_disk_present(std::string_view id, bool present);
  bool set_disk_temperature(std::string_view id, int celsius);
  bool set_ssd_life(std::string_view id, int percent);
  bool set_psu_status(int enc, std::string_view name, std::string status);
  bool set_fan(int enc, std::string_view name, int rpm, std::string status);
  bool set_temperature(int enc, std::string_view name, int celsius, std::string status);
  bool set_voltage(int enc, std::string_view name, double volts, std::string status);
  bool set_cache_to_flash(int enc, std::string_view name, std::string status);
  /// Detaches or re-attaches an expansion enclosure; the head (0) cannot be detached.
  bool set_enclosure_present(int enc, bool present);
  /// Sets the used space of every raidset of the pool to `percent` of its size.
  bool set_pool_used(std::string_view name, double percent);
  bool set_pool_health(std::string_view name, std::string health, std::string status);
  bool set_raidset_health(std::string_view pool_name, int id, std::string health,
                          std::string status);
  bool set_volume_health(std::string_view name, std::string health, std::string status);
  /// Drops or restores every iSCSI session of an initiator (a host logs out or back in).
  bool set_iscsi_session_present(std::string_view initiator, bool present);
  bool set_replication_status(std::string_view task_id, std::string status);
  /// The status of line `no` of a replication task's destination.
  bool set_replication_line_status(std::string_view task_id, int no, std::string status);
  /// The snapshot space of a snapshot task, `percent` used.
  bool set_snapshot_used(std::string_view task_id, double percent);

  /// Bodies of the endpoints; `strings` sends ids and counts as JSON strings.
  std::string hardware_info(bool strings) const;
  /// `enc` empty means all enclosures; nullopt for an unknown enclosure.
  std::optional<std::string> enclosure_info(std::optional<int> enc, bool more,
                                            std::int64_t uptime_s, bool strings) const;
  std::string disk_list(bool strings) const;
  std::string pool_list(bool strings) const;
  std::string volume_list(bool strings) const;
  std::string iscsi_targets(bool strings) const;
  std::string iscsi_sessions() const;
  /// nullopt for an unknown backup type.
  std::optional<std::string> backup_list(std::string_view type, bool strings) const;

 private:
  disk* find_disk(std::string_view id);
  enclosure* find_enclosure(int id);

  std::vector<enclosure> enclosures_;
  std::vector<disk> disks_;
  std::vector<pool> pools_;
  std::vector<volume> volumes_;
  std::vector<iscsi_session> sessions_;
  std::uint32_t next_tsih_ = 1;
  std::vector<replication_task> replications_;
  std::vector<snapshot_task> snapshots_;
};

}  // namespace qsanfwd::sim
