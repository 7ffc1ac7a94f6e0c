#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <vector>

#include "agent/pipeline/dispatcher.hpp"
#include "agent/store/connection_thread.hpp"
#include "config/changes.hpp"

namespace qsanfwd::pipeline {

/// The dispatcher on a thread of its own, with a connection of its own to the state database
/// (state_store::another_connection).
///
/// Why a thread: delivering costs about as much per event as collecting (reading the batch
/// back, formatting, writing, fsync, the cursor commit). On the agent's one event loop the two
/// take turns; here delivery runs beside collection on the second core, and SQLite's WAL lets
/// the delivery thread read batches while collection writes pages.
///
/// Everything the dispatcher and the sinks do happens on the delivery thread. The members
/// below are called on the agent's thread: they hand work over (post) or wait for it
/// (co_await), so the dispatcher itself stays single-threaded. Not copyable, not movable.
class delivery_thread {
 public:
  /// Builds the routes on the delivery thread's executor.
  using route_builder = std::function<std::vector<route>(const boost::asio::any_io_executor&)>;

  /// `agent` is the executor of the agent's event loop: an exception escaping the delivery
  /// thread is rethrown there. `store` must outlive this object.
  delivery_thread(boost::asio::any_io_executor agent, state_store& store,
                  const std::vector<config::sink_config>& sinks);
  delivery_thread(boost::asio::any_io_executor agent, state_store& store,
                  const route_builder& build);
  /// Stops and joins the thread if stop() was not awaited (undelivered events stay queued).
  ~delivery_thread();
  delivery_thread(const delivery_thread&) = delete;
  delivery_thread& operator=(const delivery_thread&) = delete;

  /// dispatcher::start(), then starts the thread. Throws store_error.
  void start();
  /// Call after each commit that appended events. Never throws, never waits.
  void notify_appended();
  /// Returns once the dispatcher has room (dispatcher::wait_for_room). Without a round trip
  /// to the delivery thread while it last said there was room, so collection may pass a
  /// `when_full: block` limit by the pages it appends before the delivery thread has counted
  /// them (a page or two).
  boost::asio::awaitable<void> wait_for_room();
  /// Reopens every sink (SIGHUP), on the delivery thread.
  void reopen();
  /// Applies a reload's sinks on the delivery thread, the others running on: builds the sinks
  /// `changes` adds or changes from `next` (throws, having changed nothing, when one cannot be
  /// built), stops the removed and changed ones (dispatcher::remove), drops the removed ones'
  /// cursors, starts the added and changed ones (a changed one from its cursor), and hands
  /// every lane the devices' fields. Returns the status of the lanes it stopped, as they ended.
  boost::asio::awaitable<std::vector<sink_status>> reconfigure(
      std::vector<config::sink_config> next, config::block_changes changes,
      duration shutdown_timeout);
  /// dispatcher::rewind() on the delivery thread; false when no sink has that name.
  boost::asio::awaitable<bool> rewind(std::string sink);
  /// dispatcher::stop() on the delivery thread, then ends and joins it. Never throws.
  boost::asio::awaitable<void> stop(duration shutdown_timeout);
  /// How long status() waits for the delivery thread.
  static constexpr std::chrono::milliseconds status_wait{100};
  /// The dispatcher's status, taken on the delivery thread. Waits for it at most `status_wait`
  /// and then gives the status the thread last took: a batch being written to a slow disk must
  /// not hold up the agent's loop, which serves /metrics and polls the arrays.
  std::vector<sink_status> status();

 private:
  boost::asio::awaitable<bool> rewind_here(std::string sink);
  boost::asio::awaitable<std::vector<sink_status>> reconfigure_here(
      std::vector<config::sink_config> next, config::block_changes changes,
      duration shutdown_timeout);

  boost::asio::any_io_executor agent_;
  connection_thread thread_;
  dispatcher dispatcher_;
  std::atomic<bool> room_{true};             ///< the dispatcher's has_room() when last asked
  std::atomic<bool> notify_pending_{false};  ///< a notify_appended() is posted, not yet run
  std::mutex status_mutex_;
  std::condition_variable status_taken_;
  std::vector<sink_status> last_status_;  ///< what the delivery thread took last
  std::uint64_t status_count_ = 0;        ///< how many times it took one
};

}  // namespace qsanfwd::pipeline
