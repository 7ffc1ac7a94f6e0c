#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace qsanfwd::device {

/// The answer of /auth/get and /auth/refresh. `expire_time` is in the array's clock.
struct token_grant {
  std::string access_token;
  std::int64_t expire_time = 0;
  std::optional<std::string> refresh_token;  ///< only from a login with offlineAccess
};

struct log_entry {
  std::int64_t timestamp = 0;
  std::string type;
  std::string message;
  friend bool operator==(const log_entry&, const log_entry&) = default;
};

struct log_page {
  std::vector<log_entry> logs;
  std::int64_t total = 0;  ///< the array's `total`, else the lines of this page
  bool total_given = false;  ///< whether `total` came from the array
  bool have_next_page = false;
};

/// A voltage, temperature, fan, PSU or cache-to-flash element of an enclosure.
struct sensor {
  std::string name;
  std::optional<double>
      value;           ///< volts, degrees Celsius or rpm; absent for PSU and cache-to-flash
  std::string status;  ///< often absent for voltage, temperature and fans
};

struct enclosure {
  int enc_id = 0;
  std::string sys_health;  ///< local enclosures only
  std::string model_name;
  std::string serial_number;
  std::vector<sensor> voltage;
  std::vector<sensor> temperature;
  std::vector<sensor> fan_speed;
  std::vector<sensor> psu_status;
  std::vector<sensor> cache_to_flash;
};

struct disk {
  std::string id;
  std::string enc_id;
  int slot = 0;
  std::string health;
  std::string status;
  std::string serial;
  std::string model;
  std::string vendor;
  std::string type;  ///< HDD, SSD, NVMe
  bool is_ssd = false;
  std::optional<int> ssd_life_remain;  ///< percent; 0 in the array's answer means "no data"
  std::optional<int> temperature;      ///< Celsius; 0 means "no data"
  std::int64_t size_mb = 0;
  std::string pool_name;
};

struct raidset {
  std::string id;
  std::string raid_level;
  std::string health;
  std::string status;
  std::vector<std::string> disks;
};

struct pool {
  std::string id;
  std::string name;
  std::string health;
  std::string status;
  std::int64_t total_mb = 0;
  std::int64_t used_mb = 0;
  std::vector<raidset> raidsets;
};

struct volume {
  std::string id;
  std::string name;
  std::string health;
  std::string status;
  std::string pool_id;
};

/// An iSCSI session a host holds with a target (`/rest/v1/iscsi/session/list`). SAN and FAS
/// firmware send `id`, `TSIH` and `targetID`; NAS firmware sends the client's address instead.
struct iscsi_session {
  int ctrl_id = 0;   ///< the controller it is logged in to
  std::string id;    ///< the array's session id: new at each login
  std::string tsih;  ///< target session identifying handle: new at each login
  std::string initiator_name;
  std::string target_id;
  std::string target_name;
  std::string client_ip;  ///< NAS only
  std::string client_name;
};

/// One line (connection) of a replication task to its destination.
struct replication_destination {
  std::string no;  ///< the line number, else its position in the list
  std::string ip;
  std::string target_name;  ///< SAN/FAS; NAS names a destination volume (`name`)
  std::string lun;
  std::string status;  ///< SAN/FAS only
};

/// A replication task (`/rest/v1/backup/replication/list`).
struct replication_task {
  std::string id;
  std::string source;
  std::string status;
  std::vector<replication_destination> destinations;
};

/// A snapshot task and its snapshot space (`/rest/v1/backup/snapshot/list`).
struct snapshot_task {
  std::string id;
  std::int64_t used_mb = 0;
  std::int64_t total_mb = 0;
};

}  // namespace qsanfwd::device
