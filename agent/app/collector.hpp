#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>

#include "agent/device/device_client.hpp"
#include "agent/health/health_monitor.hpp"
#include "agent/logs/log_poller.hpp"
#include "agent/store/state_store.hpp"
#include "config/changes.hpp"
#include "config/config.hpp"

namespace qsanfwd::app {

/// One device as the metrics and /healthz see it.
struct device_metrics {
  std::string name;
  bool logs_enabled = true;
  bool health_enabled = true;
  device::device_state state = device::device_state::unknown;
  device::client_counters client;
  logs::poller_counters logs;
  health::monitor_counters health;
  std::optional<std::int64_t> checkpoint;  ///< the array's time the next log cycle reads from
  std::string logs_error;                  ///< why the last log cycle failed; empty if it did not
  std::string health_error;
};

/// Collection, the half of the agent that reads the arrays: per device a client, a log poller
/// and a health monitor on one io_context thread, feeding the durable queue. Single-threaded by
/// design: a thousand arrays are I/O-bound work for one thread, and its code stays free of
/// locks. Delivery runs on a thread of its own (pipeline::delivery_thread) with its own store
/// connection. The daemon itself is `qsanfwd run` (run_command.cpp), which owns both halves.
class collector {
 public:
  collector(boost::asio::io_context& io, const config::agent_config& cfg, state_store& store);
  ~collector();
  collector(const collector&) = delete;
  collector& operator=(const collector&) = delete;

  /// Spawns the per-device loops on the io_context.
  void start();
  /// Stops polling: loops end at their next wait; nothing committed is lost.
  void stop();

  /// Counters and state of every device, for /metrics and /healthz.
  std::vector<device_metrics> metrics();

  /// Called after events were appended to the queue (the demo's live view, the dispatcher).
  void on_appended(std::function<void()> fn);

  /// Awaited before each page is read, so a full queue (`when_full: block`) pauses collection.
  void wait_for_room_with(std::function<boost::asio::awaitable<void>()> fn);

  /// Called with the last counters of a device a reload stopped (removed, or changed and
  /// starting again), so /metrics can carry them on.
  void on_device_ended(std::function<void(const device_metrics&)> fn);

  /// What reconfigure() did, by device name.
  using device_changes = config::block_changes;
  /// Applies the devices of `next` (a reload whose other settings are those running): a device
  /// added starts, one removed stops, one whose settings changed (config::device_changes)
  /// stops and starts again; the
  /// others keep their connection, session, counters and loop. A device stops between two
  /// pages or polls, so everything it queued stays queued and its checkpoint is where it was.
  device_changes reconfigure(const config::agent_config& next);

  /// Reads the lines `device` stamped from `from` to `to` (unix seconds) again and queues them
  /// for `sink` alone, with their first ids (`qsanfwd replay --from`): between the device's
  /// live cycles and pages, from a reading position of its own kept in the state store, so a
  /// restarted agent resumes it (start() does) and the live checkpoint never moves. Returns
  /// the replay's id, or the reason it cannot be done.
  result<std::int64_t> replay(const std::string& device, const std::string& sink,
                              std::int64_t from, std::int64_t to);

  /// Queues alarm_summary() of each device's open alarms, and of the sinks' (`qsanfwd alarms
  /// --resend`); says how many events and alarms.
  std::string resend_alarms();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace qsanfwd::app
