#pragma once

#include <spdlog/logger.h>

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>

#include "agent/device/device_client.hpp"
#include "agent/health/health_state.hpp"
#include "agent/health/snapshot.hpp"
#include "agent/store/event_queue.hpp"
#include "config/config.hpp"

namespace qsanfwd::health {

/// Counters for status and metrics.
struct monitor_counters {
  std::uint64_t polls = 0;
  std::uint64_t failed_polls = 0;
  std::uint64_t events_queued = 0;
  std::uint64_t sections_skipped = 0;  ///< endpoints not read (404 or failing) in some poll
  std::int64_t last_success_unix = 0;
};

/// What the monitor needs from the rest of the agent.
struct monitor_hooks {
  std::function<void()> appended;  ///< after a commit that queued events
  /// Awaited before a poll's events are queued (queue full with `when_full: block`: wait).
  std::function<boost::asio::awaitable<void>()> wait_for_room;
};

/// Polls a device's hardware and storage health and queues an event for each change.
///
/// A poll reads /rest/v1/hardware/info, /rest/v1/hardware/all/info?moreInfo=true, the disk,
/// pool and volume lists, the iSCSI sessions and the replication and snapshot tasks, flattens
/// them into a snapshot, diffs it with the snapshot kept in the state store, and commits the new
/// snapshot with the events it produced in one transaction: a crash before the commit reports
/// the change at the next poll, one after it never again. An endpoint the firmware lacks (404)
/// is skipped quietly (the client warns once) and another that fails while the array answers
/// is skipped with one warning until it reads again; both keep their part of the snapshot. Not
/// thread-safe; shares the device client with the log poller, so the caller runs one at a time.
class health_monitor {
 public:
  health_monitor(device::device_client& client, state_store& store, event_queue& queue,
                 config::health_options options, monitor_hooks hooks = {});

  /// One poll; returns how many events it queued. Fails, committing nothing, when the array
  /// cannot be reached or none of its endpoints could be read.
  boost::asio::awaitable<result<std::size_t>> poll_once();

  /// Model and serial of the array, for events about components without their own. Learnt from
  /// the head enclosure otherwise.
  void set_identity(std::string model, std::string serial);

  const monitor_counters& counters() const { return counters_; }
  const config::health_options& options() const { return options_; }

 private:
  template <typename T>
  bool take(result<T>& answer, std::optional<T>& into, std::string_view endpoint);
  /// The iSCSI sessions and the replication and snapshot tasks; false when the array cannot
  /// be reached.
  boost::asio::awaitable<bool> read_hosts_and_tasks(poll_data& data);
  std::size_t commit(const poll_data& data, std::int64_t polled_at);
  void learn_identity(const poll_data& data);

  device::device_client& client_;
  state_store& store_;
  event_queue& queue_;
  health_state state_;
  config::health_options options_;
  monitor_hooks hooks_;
  std::shared_ptr<spdlog::logger> log_;
  std::string model_;
  std::string serial_;
  std::set<std::string, std::less<>> failing_;  ///< endpoints failing now: warned once
  monitor_counters counters_;
};

}  // namespace qsanfwd::health
