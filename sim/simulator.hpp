#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "agent/core/duration.hpp"
#include "sim/hostile.hpp"
#include "sim/log_book.hpp"

namespace qsanfwd::sim {

/// Ways a request can fail on purpose.
enum class fault { status_500, status_503, delay, truncate, reset };

std::string_view to_string(fault f);
/// Accepts "500", "503", "delay", "truncate", "reset".
std::optional<fault> parse_fault(std::string_view name);

/// Random faults: each eligible request draws once; the probabilities add up (keep the sum <= 1).
/// Eligible are /rest/ requests, and /auth/ ones when `on_auth`.
struct fault_settings {
  double status_5xx = 0;  ///< half 500, half 503
  double delay = 0;       ///< answer only after `delay_for` (past the client's timeout)
  double truncate = 0;    ///< body cut in the middle, Content-Length of the cut body
  double reset = 0;       ///< connection closed with RST, no answer
  duration delay_for{20000};
  bool on_auth = false;
};

struct options {
  std::string listen_address = "127.0.0.1";
  std::uint16_t port = 0;  ///< 0 picks a free port; see simulator::port()
  std::string cert_file;   ///< PEM; with key_file set the server speaks HTTPS only
  std::string key_file;
  std::string user = "admin";
  std::string password = "password";  ///< compared as sent ("after encode")
  bool newest_first = true;           ///< order of /log/list results
  bool start_time_inclusive = true;   ///< timestamp >= startTime, else >
  std::size_t backlog = 0;            ///< lines present at start, ending at now
  double backlog_per_second = 5;      ///< density of the backlog
  double live_rate = 0;               ///< new lines per second while running
  double duplicate_ratio = 0.05;      ///< chance a generated line repeats the previous one
  int access_token_lifetime_s = 3600;
  std::size_t max_refresh_tokens = 10;  ///< per user; one more evicts the oldest
  std::int64_t clock_offset_s = 0;      ///< the array's clock minus ours
  fault_settings faults;
  hostile_settings hostile;     ///< firmware bugs and hostile bodies (sim/hostile.hpp)
  bool ids_as_strings = false;  ///< ids, slots and totals as JSON strings
  bool accept_bearer = false;   ///< also accept "Authorization: Bearer <token>"
  /// Endpoints this firmware lacks: 404 as from an older array (e.g.
  /// "/rest/v1/storage/volume/list").
  std::vector<std::string> missing_endpoints;
  std::uint64_t seed = 1;  ///< for logs, tokens and fault draws
  std::string model = "XS5226";
  std::string serial = "QS5226A0001";
  std::string name = "sim";  ///< names the logger
};

/// What the simulator has seen since it started.
struct counters {
  std::uint64_t logins = 0;          ///< successful /auth/get
  std::uint64_t offline_logins = 0;  ///< of which with offlineAccess
  std::uint64_t failed_logins = 0;
  std::uint64_t refreshes = 0;     ///< successful /auth/refresh
  std::uint64_t revokes = 0;       ///< successful /auth/revoke
  std::uint64_t unauthorized = 0;  ///< 401 answers sent
  std::uint64_t faults_injected = 0;
  std::uint64_t refresh_tokens_evicted = 0;
  std::size_t active_refresh_tokens = 0;
  std::size_t log_lines = 0;      ///< held now (a ring or a clearing drops some)
  std::size_t dropped_lines = 0;  ///< dropped by the ring or by clear_log()
  std::uint64_t log_lines_served =
      0;  ///< in all /log/list answers: what a reader read, re-reads too
  std::map<std::string, std::uint64_t> requests;        ///< by path ("other" for unknown paths)
  std::map<std::string, std::uint64_t> hostile_bodies;  ///< sent, by hostile_body name
  /// Requests that carried the header a CR LF token smuggles in (X-Injected).
  std::uint64_t injected_headers = 0;
};

/// A simulated QSAN array: the REST API of the manual over HTTP or HTTPS, plus a control
/// interface under /_sim/ (see sim/README.md). It runs on the caller's io_context, so
/// many instances can share one thread; that io_context must be run by one thread. Every public
/// method is thread-safe and may be called while the server runs. Control methods return false
/// for an unknown disk, enclosure, sensor, pool, raidset or volume.
class simulator {
 public:
  /// Generates the backlog. Throws std::invalid_argument for inconsistent options.
  simulator(boost::asio::io_context& io, options o);
  ~simulator();
  simulator(const simulator&) = delete;
  simulator& operator=(const simulator&) = delete;

  /// Binds and starts accepting. Throws on bind or certificate errors.
  void start();
  /// Closes the listener and every connection; returns at once, the closing runs on the
  /// io_context. Idempotent.
  void stop();
  std::uint16_t port() const;
  /// "http://127.0.0.1:<port>" or "https://...".
  std::string base_url() const;

  /// The array's clock: our clock plus clock_offset_s. Every answer carries it as its Date.
  std::int64_t array_now() const;
  /// Sets the array's clock to ours plus `seconds`, as an operator or NTP stepping it would;
  /// forward or back, at any time. Live lines and the Date header follow at once.
  void set_clock_offset(std::int64_t seconds);

  // Logs.
  void add_logs(std::size_t n);  ///< n generated lines at the array's now
  /// Any timestamp, the future (year 2100) included. Returns false for an unknown type
  /// (access, info, warning, error).
  bool add_log(const log_line& line);
  void pause_live(bool paused);
  void set_live_rate(double lines_per_second);
  /// Every line ever added, in insertion order, whether the array still holds it or not.
  std::vector<log_line> ledger() const;
  /// The lines the array no longer holds (its ring overwrote them, or clear_log()), in
  /// insertion order: what an agent can only report as a gap.
  std::vector<log_line> dropped() const;
  std::size_t log_count() const;  ///< lines the array holds now
  /// An administrator clears the log: every line is dropped.
  void clear_log();

  // Auth.
  void forget_tokens();  ///< the array "reboots" its auth: every token becomes unknown

  // Faults.
  void set_faults(const fault_settings& f);
  void fail_next(fault kind, std::size_t n);  ///< the next n eligible requests fail so

  // A hostile array. Throws std::invalid_argument for settings check_hostile refuses.
  void set_hostile(const hostile_settings& h);
  hostile_settings hostile() const;
  /// The next n answers this body can answer (hostile_body_applies) get it, ahead of the
  /// chances of body_chance.
  void send_next(hostile_body kind, std::size_t n);

  counters stats() const;

  // Hardware and storage.
  bool set_disk_health(std::string_view id, std::string health, std::string status);
  bool fail_disk(std::string_view id);     ///< health Failed, status Offline
  bool restore_disk(std::string_view id);  ///< health Good, status Online
  bool pull_disk(std::string_view id);
  bool insert_disk(std::string_view id);
  bool set_disk_temperature(std::string_view id, int celsius);
  bool set_ssd_life(std::string_view id, int percent);
  bool set_psu_status(int enc, std::string_view name, std::string status);
  bool set_fan(int enc, std::string_view name, int rpm, std::string status);
  /// An empty status is derived: Good below 55 °C, Warning below 70, Failed from 70.
  bool set_temperature(int enc, std::string_view name, int celsius, std::string status = {});
  bool set_voltage(int enc, std::string_view name, double volts, std::string status);
  bool set_cache_to_flash(int enc, std::string_view name, std::string status);
  /// An expansion enclosure unplugged (its disks vanish with it) or plugged back in.
  bool detach_enclosure(int enc);
  bool attach_enclosure(int enc);
  /// Every raidset of the pool `percent` full.
  bool set_pool_used(std::string_view name, double percent);
  bool set_pool_health(std::string_view name, std::string health, std::string status);
  bool set_raidset_health(std::string_view pool, int id, std::string health, std::string status);
  bool set_volume_health(std::string_view name, std::string health, std::string status);

  // Hosts and backup tasks.
  /// Every session of the initiator logs out, or logs in again (with a new id and TSIH).
  bool drop_iscsi_session(std::string_view initiator);
  bool restore_iscsi_session(std::string_view initiator);
  /// A replication task's status ("Online" at start), and that of line `no` of its destination.
  bool set_replication_status(std::string_view task_id, std::string status);
  bool set_replication_destination_status(std::string_view task_id, int no, std::string status);
  /// A snapshot task's snapshot space, `percent` used (5 at start).
  bool set_snapshot_used(std::string_view task_id, double percent);

  struct impl;

 private:
  std::shared_ptr<impl> impl_;
};

/// A simulator with its own io_context and thread, started on construction and stopped on
/// destruction; for tests and the demo.
class running_simulator {
 public:
  explicit running_simulator(options o);
  ~running_simulator();
  running_simulator(const running_simulator&) = delete;
  running_simulator& operator=(const running_simulator&) = delete;

  simulator& sim() { return sim_; }
  simulator* operator->() { return &sim_; }
  std::uint16_t port() const { return sim_.port(); }
  std::string base_url() const { return sim_.base_url(); }

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  simulator sim_;
  std::thread thread_;
};

}  // namespace qsanfwd::sim
