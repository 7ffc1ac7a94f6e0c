#pragma once

#include <spdlog/logger.h>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "agent/core/duration.hpp"
#include "agent/ops/prometheus.hpp"
#include "agent/pipeline/durability_sync.hpp"
#include "agent/pipeline/routing.hpp"
#include "agent/store/event_queue.hpp"
#include "agent/store/state_store.hpp"
#include "config/config.hpp"
#include "sinks/sink.hpp"

namespace qsanfwd::pipeline {

struct batch_wait;
struct cursor_step;
struct drop_plan;

/// A sink and its configuration (batching, retry, queue limit, start, dead-letter file).
struct route {
  config::sink_config config;
  std::unique_ptr<sinks::sink> target;
};

/// Each configured sink built by its type (sinks::make_sink) on `ex`.
std::vector<route> make_routes(const boost::asio::any_io_executor& ex,
                               const std::vector<config::sink_config>& sinks);

/// Where a sink stands, for `qsanfwd status` and tests. Counters are totals since the cursor
/// was created, the persisted part plus what happened in this run.
struct sink_status {
  std::string name;
  std::int64_t cursor = 0;         ///< the last seq the sink is done with
  std::int64_t pending_bytes = 0;  ///< queued bytes after the cursor
  std::int64_t delivered = 0;
  std::int64_t retried = 0;
  std::int64_t rejected = 0;
  std::int64_t dropped = 0;
  std::int64_t filtered = 0;  ///< passed over unsent: `match`/`exclude`
  bool retrying = false;  ///< the last attempt answered retry
  std::string last_error;
  ops::latency_histogram latency;  ///< how long deliver() took, in this run
  /// The sink's own measurements (sink::gauges()), for /metrics.
  std::vector<sinks::sink_gauge> gauges = {};
};

/// Sends the durable queue to every sink: one coroutine per sink on the agent's io_context,
/// each reading batches after its own cursor, so a slow or dead sink holds back no other.
///
/// Guarantees: a sink's cursor moves (in the state store) only after the sink reported the
/// batch delivered, or after a rejected batch is in the dead-letter file; events every sink has
/// passed are deleted in the same transaction. After a crash at any instant, delivery resumes
/// from each cursor: at most the batch in flight is sent again (the file sink skips what its
/// file ends with already). A retry answer or a store failure (a full disk) is retried with
/// exponential backoff and full jitter, forever (a sink's Retry-After is obeyed up to
/// `retry.max`; reopen() cuts any wait short); nothing is skipped except by `when_full:
/// drop_oldest`, which counts what it skips and says so with an agent event in the queue. What
/// a sink reports of its own (the file sink's seals) is queued as it is reported.
///
/// A reload changes lanes one by one (add(), remove(), forget()): the other sinks keep their
/// connections, cursors and counters.
///
/// Single-threaded: every member is called on the io_context's thread, never from inside an
/// open transaction. The dispatcher must outlive the io_context's run (its coroutines refer to
/// it); `co_await stop(...)` before destroying it.
class dispatcher {
 public:
  dispatcher(boost::asio::any_io_executor ex, state_store& store, std::vector<route> routes);
  ~dispatcher();
  dispatcher(const dispatcher&) = delete;
  dispatcher& operator=(const dispatcher&) = delete;

  /// Drops the cursors of sinks no longer configured, creates the cursors of new ones (at the
  /// queue's end, or before everything still queued with `start_at: "oldest"`), deletes what no
  /// sink needs, and spawns one delivery coroutine per sink. Throws store_error (a start-up
  /// failure).
  void start();

  /// Starts a lane for `r` while the others run (a reload added or changed the sink): from its
  /// cursor when it has one (a changed sink resumes where it stopped), else as start() would
  /// create it (`start_at`). Call after start(); does nothing once stopping. Throws store_error.
  void add(route r);
  /// Stops the lanes of `sinks` as stop() stops every lane (in-flight deliveries get
  /// `shutdown_timeout`, then are cancelled; the sinks are closed) and removes them, the others
  /// running on. Their cursors stay: add() resumes from them, forget() drops them. Returns their
  /// status as they ended. Never throws.
  boost::asio::awaitable<std::vector<sink_status>> remove(std::vector<std::string> sinks,
                                                          duration shutdown_timeout);
  /// Drops the cursor of `sink`, which has no lane (a reload removed it), so what only it still
  /// needed leaves the queue and no longer holds collection back. Throws store_error.
  void forget(std::string_view sink);
  /// The devices' `fields` every lane adds to their events (a reload changed them).
  void set_device_fields(const std::map<std::string, field_list, std::less<>>& fields);

  /// Call after each commit that appended events: wakes sinks waiting for events and applies
  /// the queue limits. Returns has_room(). Never throws.
  bool notify_appended();

  /// False while a sink with `when_full: block` has `queue.max_bytes` or more undelivered.
  bool has_room();
  /// Returns once has_room() holds, or when the dispatcher stops. Collection awaits it before
  /// reading each page.
  boost::asio::awaitable<void> wait_for_room();

  /// Reopens every sink (SIGHUP), and wakes every sink waiting to retry (backoff or
  /// Retry-After) so it tries again at once.
  void reopen();
  /// Offers `sink` again everything still queued (`qsanfwd replay --from-queue`): its cursor
  /// goes back before the oldest event still queued, between two of its batches. False when no
  /// sink has that name.
  bool rewind(std::string_view sink);

  /// Takes no new batch, lets deliveries in flight finish within `shutdown_timeout`, then
  /// cancels them, and closes the sinks. Everything undelivered stays queued. Never throws.
  boost::asio::awaitable<void> stop(duration shutdown_timeout);

  std::vector<sink_status> status() const;

 private:
  struct lane;

  static sink_status status_of(const lane& l);
  /// Creates the cursor of `l` unless it has one, and reads it (in the caller's transaction).
  void open_cursor(lane& l);
  /// Counts what is queued for `l` and spawns its delivery coroutine.
  void launch(lane& l);
  /// Stops `which` (see remove()) and closes their sinks, each once.
  boost::asio::awaitable<void> stop_lanes(std::vector<lane*> which, duration shutdown_timeout);
  /// Returns true once every lane of `which` has ended, false at `deadline`.
  boost::asio::awaitable<bool> wait_ended(const std::vector<lane*>& which,
                                          std::chrono::steady_clock::time_point deadline);
  boost::asio::awaitable<void> run_lane(lane& l);
  /// Idle until `wait.until`, or sooner when notify_appended finds the batch filled, a drop
  /// moves the lane's cursor, or stop().
  boost::asio::awaitable<void> wait_to_fill(lane& l, const batch_wait& wait);
  /// Waits until the sink's pace allows `events` and takes their tokens; false when stopping.
  boost::asio::awaitable<bool> wait_for_pace(lane& l, std::size_t events);
  /// Sends what the sink's rules take of `read`, shaped, and passes over the rest.
  boost::asio::awaitable<void> deliver_batch(lane& l, const routed_batch& batch);
  /// The sink's answer to `batch`; a sink that throws answers retry. Rethrows only the
  /// cancellation of stop().
  boost::asio::awaitable<sinks::delivery> ask_sink(lane& l, std::span<const queued_event> batch);
  /// Moves the cursor as `step` says and counts it; false when stopped before it could.
  boost::asio::awaitable<bool> commit(lane& l, const cursor_step& step);
  /// Writes the cursor move, retrying a failing store within seconds; false when stopped first.
  boost::asio::awaitable<bool> record_move(lane& l, std::int64_t last, const cursor_move& move);
  boost::asio::awaitable<void> pause(lane& l, duration wait);
  /// How long to wait before retrying: the sink's Retry-After capped by retry.max, else the
  /// lane's backoff.
  duration retry_wait(lane& l, std::optional<duration> retry_after);
  std::optional<std::string> write_dead_letters(lane& l, std::span<const queued_event> events,
                                                const std::vector<std::size_t>& which,
                                                const std::string& reason);
  void account_new();
  bool room_left();
  void drop_oldest(lane& l);
  /// Moves the cursor past `plan` and queues `report`, in one transaction.
  void commit_drop(lane& l, const drop_plan& plan, const event& report);
  /// Queues an agent event a sink reported (sinks::sink::report), as the queue's next event.
  void queue_report(const event& e);
  void note_retry(lane& l, const std::string& why);
  void apply_rewind(lane& l);
  /// Keeps why the sink failed (`failing`: it is retrying) for `status`.
  void record_error(lane& l, std::string_view why, bool failing);
  void note_recovered(lane& l);
  void note_room();
  std::int64_t min_cursor() const;

  boost::asio::any_io_executor ex_;
  state_store& store_;
  event_queue queue_;
  std::shared_ptr<spdlog::logger> log_;
  durability_sync durable_;  ///< sinks read only what survives a power cut
  std::vector<std::unique_ptr<lane>> lanes_;
  /// Removed lanes whose sink ignored cancellation: their coroutines still refer to them.
  std::vector<std::unique_ptr<lane>> abandoned_;
  boost::asio::steady_timer room_;  ///< never expires; cancelled when room may have appeared
  /// The timers of wait_ended() calls under way: cancelled whenever a lane ends.
  std::set<boost::asio::steady_timer*> ending_waits_;
  std::int64_t seen_seq_ = 0;  ///< events up to here are counted in pending_bytes
  bool started_ = false;
  bool stopping_ = false;
  bool blocked_ = false;
};

}  // namespace qsanfwd::pipeline
