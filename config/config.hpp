#pragma once

#include <any>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/core/duration.hpp"
#include "agent/core/event_filter.hpp"
#include "agent/core/event_shape.hpp"
#include "agent/core/secret.hpp"
#include "agent/net/proxy_options.hpp"
#include "agent/net/tls_options.hpp"
#include "config/address.hpp"
#include "config/config_error.hpp"
#include "config/object_reader.hpp"
#include "config/shard.hpp"

namespace qsanfwd::config {

using net::tls_options;

enum class auth_scheme { raw, bearer };

/// Where a device's log reading starts the first time (later runs resume from the checkpoint).
struct start_point {
  enum class kind { beginning, now, timestamp };
  kind where = kind::beginning;
  std::int64_t timestamp = 0;  ///< unix seconds, for kind::timestamp
};

struct log_options {
  bool enabled = true;
  duration interval{10000};
  int page_size = 1000;
  std::vector<std::string> types;  ///< subset of access, info, warning, error; empty = all
  start_point start_at;
  /// How far behind the checkpoint the lines queued are kept one by one: a step back of the
  /// array's clock within it loses and repeats nothing.
  duration clock_step_window{2 * 3600 * 1000};
};

struct thresholds {
  double temperature_c = 70;
  double disk_temperature_c = 55;
  double ssd_life_remain_pct = 10;
  double pool_used_pct = 90;
  double snapshot_used_pct = 80;
};

struct health_options {
  bool enabled = true;
  duration interval{60000};
  thresholds limits;
};

/// The largest answer read from an array by default. A default page (1000 lines of ~200 bytes)
/// is ~200 KB, so this leaves 40 times the room, and a page of the largest page_size (10000)
/// still ~800 bytes a line. Parsing holds the body and up to about as much again, so at 8 MiB
/// one hostile array keeps the whole agent under 64 MiB.
inline constexpr std::size_t default_max_response_bytes = 8 * 1024 * 1024;
/// Above this an answer is not a log page or a health list but a fault; also the agent's
/// memory target.
inline constexpr std::size_t max_max_response_bytes = 64 * 1024 * 1024;

struct device_config {
  std::string name;
  std::string url;
  url_parts endpoint;
  std::string username;
  secret password;
  auth_scheme auth = auth_scheme::raw;
  duration timeout{15000};
  std::size_t max_response_bytes = default_max_response_bytes;
  tls_options tls;
  net::proxy_options proxy;  ///< `proxy`, else the environment's (config/proxy.hpp)
  log_options logs;
  health_options health;
  field_list fields;  ///< static fields every event of this device carries to every sink
  /// Every secret of the device's block as read (password, proxy password): the effective
  /// configuration masks them, so a reload compares these (config/changes.hpp).
  std::vector<secret> secrets;
};

struct batch_options {
  std::size_t max_events = 1000;
  std::size_t max_bytes = 1 << 20;
  duration max_delay{1000};
};

struct retry_options {
  duration initial{1000};
  duration max{300000};
};

enum class when_full { block, drop_oldest };

struct queue_options {
  std::uint64_t max_bytes = 1ULL << 30;
  when_full on_full = when_full::block;
};

/// Where a new sink starts in the event queue: new events only, or everything still stored.
enum class sink_start { end, oldest };

/// `rate_limit`: a token bucket in front of the sink, `events_per_second` tokens a second and at
/// most `burst` held; a batch goes when the bucket holds a token for each of its events.
struct rate_limit {
  double events_per_second = 0;  ///< 0: unpaced
  std::size_t burst = 0;         ///< the most events sent at once; 0 when unpaced

  bool paced() const { return events_per_second > 0; }
};

/// A tenth of a second of events (at least one): the receiver never gets more at once than it
/// takes in 100 ms, and the lane still wakes only about ten times a second, each batch paying
/// one delivery and one cursor write for a tenth of the second's events.
std::size_t default_burst(double events_per_second);

/// "unpaced", or "500 events/s, burst 50", for check-config and status.
std::string describe(const rate_limit& pace);

struct sink_config {
  std::string name, type;
  batch_options batch;
  retry_options retry;
  queue_options queue;
  sink_start start_at = sink_start::end;
  std::filesystem::path dead_letter_path;
  event_filter filter;  ///< `match` and `exclude`
  event_shape shape;    ///< `fields`, `rename`, `drop`, and the devices' `fields`
  rate_limit pace;      ///< as configured, else the type's default (UDP syslog has one)
  std::any options;     ///< what the parser registered for `type` returned
  /// Every secret of the sink's block as read (a password, a token), for a reload to compare,
  /// as device_config::secrets.
  std::vector<secret> secrets;
};

struct agent_config {
  std::filesystem::path state_dir = "/var/lib/qsanfwd";
  std::string log_level = "info";
  std::string log_format = "text";  ///< "text" (journald's fields under systemd) or "json"
  std::string http_api_listen;  ///< "host:port", or empty for no HTTP API
  duration shutdown_timeout{10000};
  shard_spec shard;                    ///< this agent's part of the inventory (`shard`, or --shard)
  std::size_t fleet_devices = 0;       ///< the devices of the whole inventory, every shard's
  std::vector<device_config> devices;  ///< this shard's
  std::vector<sink_config> sinks;
  nlohmann::ordered_json effective;  ///< the configuration as used, every secret "***"
};

/// Reads the options of one sink type from the sink's object (after the loader has taken the
/// common keys) and returns its typed options struct. The loader calls finish() afterwards.
using sink_options_parser = std::function<std::any(object_reader&)>;

/// What the loader knows of one sink type.
struct sink_type_rules {
  sink_options_parser parse;
  /// The pace of a sink of this type without `rate_limit`, from what `parse` returned; empty
  /// for unpaced. A receiver that loses what it cannot take (UDP syslog) needs one.
  std::function<rate_limit(const std::any& options)> default_pace = {};
};
/// Sink type name -> how to read it.
using sink_type_table = std::map<std::string, sink_type_rules, std::less<>>;

/// Reads the fields of a `tls` object (verify, ca_file, cert_file + key_file, pin_sha256 with
/// colons allowed) as the device client and every sink take them. The caller finish()es the
/// object, after reading whatever fields of its own it adds (syslog's server_name).
tls_options read_tls_options(object_reader& r);

/// Loads and validates the configuration file `file`, with the devices of its `devices_dir` and
/// `inventory`: every device of the inventory is validated, and `devices` keeps this shard's
/// (`shard_override`, else the file's `shard`). Relative paths (`password_file` and other
/// `*_file` secrets, `devices_dir`, `inventory`) resolve against the file's directory. A file
/// named *.yaml or *.yml is YAML (see parse_yaml), read into the same schema; its errors add the
/// line. Throws config_error.
agent_config load_config_file(const std::filesystem::path& file, const sink_type_table& sinks,
                              const env_lookup& env = process_environment(),
                              std::optional<shard_spec> shard_override = std::nullopt,
                              secret_reading secrets = secret_reading::read);

/// As load_config_file, from text; `source_name` names it in syntax errors, and relative paths
/// resolve against the working directory.
agent_config parse_config(std::string_view json_text, const sink_type_table& sinks,
                          const env_lookup& env = process_environment(),
                          std::string_view source_name = "<config>",
                          std::optional<shard_spec> shard_override = std::nullopt,
                          secret_reading secrets = secret_reading::read);

}  // namespace qsanfwd::config
