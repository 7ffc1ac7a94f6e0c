#include "agent/pipeline/dispatcher.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <set>

#include "agent/core/backoff.hpp"
#include "agent/core/logging.hpp"
#include "agent/core/time.hpp"
#include "agent/pipeline/batch_timer.hpp"
#include "agent/pipeline/dead_letters.hpp"
#include "agent/pipeline/durability_sync.hpp"
#include "agent/pipeline/pace.hpp"
#include "agent/pipeline/queue_limits.hpp"
#include "agent/pipeline/routing.hpp"
#include "agent/pipeline/sink_answer.hpp"
#include "sinks/registry.hpp"

// Each lane runs run_lane: read a batch (as far as durability_sync allows), wait for its tokens
// (pace) and for it to fill (batch_timer), deliver it (deliver_batch: ask_sink, settle, dead
// letters, commit), and on a retry answer wait (retry_wait: backoff or Retry-After).
// account_new counts what collection appended and applies the queue limits (queue_limits:
// block, drop_oldest). The decisions are pure functions in those files; this one holds the
// state and does the waiting and the I/O.

namespace qsanfwd::pipeline {
namespace asio = boost::asio;
using clock = std::chrono::steady_clock;

/// One sink's delivery state.
struct dispatcher::lane {
  lane(asio::any_io_executor ex, route r)
      : cfg(std::move(r.config)),
        target(std::move(r.target)),
        log(get_logger("sink." + cfg.name)),
        wake(ex),
        retry(cfg.retry.initial, cfg.retry.max),
        store_retry(duration{100}, duration{5000}),
        bucket(cfg.pace) {
    // A paced lane reads no batch larger than the pace lets go, so none needs cutting later.
    cfg.batch = bucket.batch_limits(cfg.batch);
  }

  config::sink_config cfg;
  std::unique_ptr<sinks::sink> target;
  std::shared_ptr<spdlog::logger> log;
  asio::steady_timer wake;  ///< the lane's waits: for events, for a batch to fill, backoff
  asio::cancellation_signal cancel;
  backoff retry;        ///< for the sink's answers: its `retry` settings
  backoff store_retry;  ///< for the state store (a full disk): soon after room returns
  sink_cursor totals;   ///< cursor and counters, persisted and of this run
  std::int64_t pending_bytes = 0;
  std::int64_t unsaved_retries = 0;  ///< retries counted since the last cursor write
  bool idle = false;                 ///< waiting for events: notify_appended wakes it
  batch_fill filling;                ///< while idle
  batch_timer timer;
  pace bucket;            ///< `rate_limit`: a batch waits here for its tokens
  bool paused = false;    ///< in backoff or a Retry-After wait: reopen() (SIGHUP) wakes it
  bool running = false;   ///< its delivery coroutine has not ended
  bool stopping = false;  ///< takes no new batch (stop(), remove())
  bool closed = false;    ///< its sink is closed, or being closed
  bool retrying = false;
  bool capped_retry_after = false;  ///< said so since the last delivery
  bool dropping = false;
  bool rewind = false;  ///< asked to go back before the oldest event still queued
  std::string last_error;
  ops::latency_histogram latency;  ///< of deliver() calls, answered or not
};

std::vector<route> make_routes(const asio::any_io_executor& ex,
                               const std::vector<config::sink_config>& sinks) {
  std::vector<route> routes;
  for (const auto& c : sinks) {
    routes.push_back(route{c, sinks::make_sink(c, ex)});
  }
  return routes;
}

dispatcher::dispatcher(asio::any_io_executor ex, state_store& store, std::vector<route> routes)
    : ex_(ex),
      store_(store),
      queue_(store),
      log_(get_logger("pipeline")),
      durable_(store.database()),
      room_(ex) {
  room_.expires_at(clock::time_point::max());
  for (auto& r : routes) {
    lanes_.push_back(std::make_unique<lane>(ex, std::move(r)));
    lanes_.back()->target->report_to([this](const event& e) { queue_report(e); });
  }
}

dispatcher::~dispatcher() = default;

void dispatcher::start() {
  if (std::exchange(started_, true)) {
    return;
  }
  std::set<std::string, std::less<>> configured;
  for (const auto& l : lanes_) {
    configured.insert(l->cfg.name);
  }
  auto tx = store_.begin();
  for (const auto& c : queue_.cursors()) {
    if (!configured.contains(c.sink)) {
      // A sink removed from the configuration must not pin the queue forever.
      queue_.drop_cursor(c.sink);
      log_->info("sink {} is no longer configured: its cursor (at {}) is dropped", c.sink, c.seq);
    }
  }
  seen_seq_ = queue_.last_seq();
  for (auto& l : lanes_) {
    open_cursor(*l);
  }
  queue_.delete_through(min_cursor());
  tx.commit();
  store_.give_back_free_pages();
  // That commit synced the WAL, and with it every event before it.
  durable_.synced_through(seen_seq_);
  for (auto& l : lanes_) {
    launch(*l);
  }
}

void dispatcher::open_cursor(lane& l) {
  const auto from = l.cfg.start_at == config::sink_start::end ? seen_seq_ : 0;
  l.totals = queue_.ensure_cursor(l.cfg.name, from);
}

void dispatcher::launch(lane& l) {
  l.pending_bytes = queue_.span_after(l.totals.seq).bytes;
  log_->info("sink {}: starting after event {} ({} bytes queued for it)", l.cfg.name, l.totals.seq,
             l.pending_bytes);
  if (must_drop_oldest(l.cfg.queue, l.pending_bytes)) {
    drop_oldest(l);
  }
  l.running = true;
  asio::co_spawn(ex_, run_lane(l),
                 asio::bind_cancellation_slot(l.cancel.slot(), [this, &l](std::exception_ptr) {
                   l.running = false;
                   for (auto* waiting : ending_waits_) {
                     waiting->cancel();
                   }
                 }));
}

void dispatcher::add(route r) {
  if (stopping_) {
    return;
  }
  // What was appended before counts as before this lane (start_at "end").
  account_new();
  auto added = std::make_unique<lane>(ex_, std::move(r));
  auto& l = *added;
  l.target->report_to([this](const event& e) { queue_report(e); });
  auto tx = store_.begin();
  open_cursor(l);
  tx.commit(sqlite::durability::deferred);
  lanes_.push_back(std::move(added));
  launch(l);
  // A lane with room to spare may be what collection waits for no longer (or now must).
  note_room();
}

asio::awaitable<std::vector<sink_status>> dispatcher::remove(std::vector<std::string> sinks,
                                                             duration shutdown_timeout) {
  std::vector<sink_status> ended;
  if (stopping_) {
    co_return ended;
  }
  std::vector<lane*> which;
  for (auto& l : lanes_) {
    if (std::find(sinks.begin(), sinks.end(), l->cfg.name) != sinks.end()) {
      which.push_back(l.get());
    }
  }
  co_await stop_lanes(which, shutdown_timeout);
  if (stopping_) {
    co_return ended;  // stop() began meanwhile and refers to every lane: they go with it
  }
  for (auto* gone : which) {
    ended.push_back(status_of(*gone));
    const auto it = std::find_if(lanes_.begin(), lanes_.end(),
                                 [gone](const auto& l) { return l.get() == gone; });
    if (gone->running) {
      abandoned_.push_back(std::move(*it));
    }
    lanes_.erase(it);
  }
  note_room();
  co_return ended;
}

void dispatcher::forget(std::string_view sink) {
  auto tx = store_.begin();
  queue_.drop_cursor(sink);
  queue_.delete_through(min_cursor());
  tx.commit(sqlite::durability::deferred);
  store_.give_back_free_pages();
  log_->info("sink {} is no longer configured: its cursor is dropped", sink);
}

void dispatcher::set_device_fields(const std::map<std::string, field_list, std::less<>>& fields) {
  for (auto& l : lanes_) {
    l->cfg.shape.devices = fields;
  }
}

bool dispatcher::notify_appended() {
  account_new();
  for (auto& l : lanes_) {
    if (l->idle && l->filling.enough(l->cfg.batch.max_bytes)) {
      l->wake.cancel();
    }
  }
  return room_left();
}

bool dispatcher::has_room() {
  account_new();
  return room_left();
}

bool dispatcher::room_left() {
  const bool room = std::none_of(lanes_.begin(), lanes_.end(), [](const auto& l) {
    return blocks_collection(l->cfg.queue, l->pending_bytes);
  });
  if (room == blocked_) {
    blocked_ = !room;
    if (blocked_) {
      log_->warn("a sink's queue is full (queue.max_bytes, when_full: block): collection paused");
    } else {
      log_->info("room in the queue again: collection resumes");
    }
  }
  return room;
}

asio::awaitable<void> dispatcher::wait_for_room() {
  while (!stopping_ && !has_room()) {
    // room_ never expires: it is cancelled whenever a cursor moves (or at stop).
    co_await room_.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

void dispatcher::reopen() {
  for (auto& l : lanes_) {
    l->target->reopen();
    // An operator who fixed the destination should not wait out the backoff.
    if (l->paused) {
      l->log->info("SIGHUP: retrying now instead of at the end of the wait");
      l->wake.cancel();
    }
  }
}

bool dispatcher::rewind(std::string_view sink) {
  for (auto& l : lanes_) {
    if (l->cfg.name == sink) {
      l->rewind = true;
      // Waiting for events, or to fill a batch: go now. A backoff or a pace wait runs out first.
      if (l->idle) {
        l->wake.cancel();
      }
      return true;
    }
  }
  return false;
}

void dispatcher::apply_rewind(lane& l) {
  try {
    auto tx = store_.begin();
    queue_.rewind_cursor(l.cfg.name, 0);
    tx.commit(sqlite::durability::deferred);
    const auto again = queue_.span_after(0);
    const auto before = std::exchange(l.totals.seq, 0);
    l.pending_bytes = again.bytes;
    l.log->info("replay: offering again every event still queued ({} events, {} bytes; the "
                "cursor was at {})",
                again.events, again.bytes, before);
  } catch (const store_error& e) {
    l.log->error("replay: cannot move the cursor back: {}", e.what());
  }
}

asio::awaitable<void> dispatcher::stop(duration shutdown_timeout) {
  if (std::exchange(stopping_, true)) {
    co_return;
  }
  room_.cancel();
  std::vector<lane*> all;
  for (auto& l : lanes_) {
    all.push_back(l.get());
  }
  co_await stop_lanes(all, shutdown_timeout);
  log_->info("delivery stopped");
}

asio::awaitable<void> dispatcher::stop_lanes(std::vector<lane*> which, duration shutdown_timeout) {
  for (auto* l : which) {
    l->stopping = true;
    l->wake.cancel();
  }
  if (!co_await wait_ended(which, clock::now() + shutdown_timeout)) {
    const auto running =
        std::count_if(which.begin(), which.end(), [](lane* l) { return l->running; });
    log_->warn("{} deliveries still in flight after {}: cancelled, their events stay queued",
               running, format_duration(shutdown_timeout));
    for (auto* l : which) {
      l->cancel.emit(asio::cancellation_type::terminal);
    }
    // A sink that ignores cancellation is not waited for beyond this.
    co_await wait_ended(which, clock::now() + std::chrono::seconds(1));
  }
  for (auto* l : which) {
    if (std::exchange(l->closed, true)) {
      continue;  // a reload's remove() and stop() may both stop a lane
    }
    try {
      co_await l->target->close();
    } catch (const std::exception& e) {
      l->log->warn("closing failed: {}", e.what());
    }
  }
}

asio::awaitable<bool> dispatcher::wait_ended(const std::vector<lane*>& which,
                                             clock::time_point deadline) {
  const auto any_running = [&] {
    return std::any_of(which.begin(), which.end(), [](lane* l) { return l->running; });
  };
  // A timer of its own: stop() and a reload's remove() may wait at once.
  asio::steady_timer timer(ex_, deadline);
  ending_waits_.insert(&timer);
  // Also when the coroutine is destroyed unfinished (an abandoned delivery thread).
  const std::unique_ptr<asio::steady_timer, std::function<void(asio::steady_timer*)>> enrolled(
      &timer, [this](asio::steady_timer* t) { ending_waits_.erase(t); });
  while (any_running() && clock::now() < deadline) {
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  co_return !any_running();
}

std::vector<sink_status> dispatcher::status() const {
  std::vector<sink_status> out;
  for (const auto& l : lanes_) {
    out.push_back(status_of(*l));
  }
  return out;
}

sink_status dispatcher::status_of(const lane& l) {
  const auto& t = l.totals;
  return sink_status{l.cfg.name,
                     t.seq,
                     l.pending_bytes,
                     t.delivered,
                     t.retried + l.unsaved_retries,
                     t.rejected,
                     t.dropped,
                     t.filtered,
                     l.retrying,
                     l.last_error,
                     l.latency,
                     l.target->gauges()};
}

asio::awaitable<void> dispatcher::run_lane(lane& l) {
  // The last batch's events, read into again by the next (event_queue::read_batch).
  std::vector<queued_event> spare;
  while (!l.stopping) {
    if (std::exchange(l.rewind, false)) {
      apply_rewind(l);
    }
    std::vector<queued_event> batch;
    std::string failed;
    try {
      account_new();
      // Everything through seen_seq_ was committed before it was counted.
      const auto durable = durable_.sync_through(seen_seq_);
      batch = queue_.read_batch(l.totals.seq, l.cfg.batch.max_events, l.cfg.batch.max_bytes,
                                durable, std::move(spare));
    } catch (const std::exception& e) {
      failed = std::string("reading the queue: ") + e.what();
    }
    if (!failed.empty()) {
      note_retry(l, failed);
      co_await pause(l, l.store_retry.next());
      continue;
    }
    l.store_retry.reset();
    if (const auto wait = l.timer.wait_for(batch, seen_seq_, l.cfg.batch, clock::now())) {
      spare = std::move(batch);
      co_await wait_to_fill(l, *wait);
      continue;
    }
    // Routed before paced: the events this sink passes over spend no tokens.
    auto routed = route_batch(std::move(batch), l.cfg.name, l.cfg.filter, l.cfg.shape);
    if (!co_await wait_for_pace(l, routed.send.size())) {
      co_return;
    }
    try {
      co_await deliver_batch(l, routed);
    } catch (const std::exception& e) {
      // Only cancellation at shutdown gets here: the batch stays queued.
      l.log->debug("delivery ended: {}", e.what());
      co_return;
    }
    spare = std::move(routed.send);
  }
}

asio::awaitable<bool> dispatcher::wait_for_pace(lane& l, std::size_t events) {
  if (events == 0) {
    co_return true;
  }
  while (const auto ready = l.bucket.wait_for(events, clock::now())) {
    // Not `paused`: SIGHUP cuts a backoff short, not the pace. stop() cancels this too.
    l.wake.expires_at(*ready);
    co_await l.wake.async_wait(asio::as_tuple(asio::use_awaitable));
    if (l.stopping) {
      co_return false;
    }
  }
  l.bucket.spend(events, clock::now());
  co_return true;
}

asio::awaitable<void> dispatcher::wait_to_fill(lane& l, const batch_wait& wait) {
  l.idle = true;
  l.filling = wait.fill;
  l.wake.expires_at(wait.until);
  co_await l.wake.async_wait(asio::as_tuple(asio::use_awaitable));
  l.idle = false;
}

asio::awaitable<sinks::delivery> dispatcher::ask_sink(lane& l,
                                                      std::span<const queued_event> batch) {
  try {
    const auto started = clock::now();
    auto d = co_await l.target->deliver(batch);
    l.latency.observe(std::chrono::duration<double>(clock::now() - started).count());
    co_return d;
  } catch (const boost::system::system_error& e) {
    if (l.stopping && e.code() == asio::error::operation_aborted) {
      throw;
    }
    co_return sinks::delivery::retry(std::string("sink failed: ") + e.what());
  } catch (const std::exception& e) {
    co_return sinks::delivery::retry(std::string("sink failed: ") + e.what());
  }
}

asio::awaitable<void> dispatcher::deliver_batch(lane& l, const routed_batch& batch) {
  std::span<const queued_event> rest(batch.send);
  for (;;) {
    // Nothing to send (every event filtered) settles nothing and passes them all.
    auto d = sinks::delivery::delivered();
    settlement s;
    if (!rest.empty()) {
      d = co_await ask_sink(l, rest);
      s = settle(d, rest.size());
    }
    if (!s.rejected.empty()) {
      const auto why = d.reason.empty() ? std::string("rejected by the destination") : d.reason;
      if (auto err = write_dead_letters(l, rest, s.rejected, why)) {
        d = sinks::delivery::retry(*err);
        s = settlement{};
      }
    }
    rest = rest.subspan(s.settled);
    const auto settled = batch.send.size() - rest.size();
    const auto step = step_after(batch, settled, s.rejected.size(), l.totals.seq);
    if (step.through > l.totals.seq && !co_await commit(l, step)) {
      co_return;
    }
    if (rest.empty()) {
      break;
    }
    ++l.unsaved_retries;
    note_retry(l, d.reason.empty() ? std::string("the sink asked to retry") : d.reason);
    if (l.stopping) {
      co_return;
    }
    co_await pause(l, retry_wait(l, d.retry_after));
    if (l.stopping) {
      co_return;
    }
  }
  l.retry.reset();
  l.capped_retry_after = false;
  // A failing stretch recorded by an earlier run ends here too.
  if (std::exchange(l.retrying, false) || l.totals.failing_since) {
    note_recovered(l);
  }
}

asio::awaitable<bool> dispatcher::commit(lane& l, const cursor_step& step) {
  const cursor_move move{step.delivered, l.unsaved_retries, step.rejected, 0, step.filtered};
  if (!co_await record_move(l, step.through, move)) {
    co_return false;
  }
  store_.give_back_free_pages();
  l.pending_bytes -= step.bytes;
  l.totals.delivered += move.delivered;
  l.totals.rejected += move.rejected;
  l.totals.filtered += move.filtered;
  l.totals.retried += std::exchange(l.unsaved_retries, 0);
  if (l.dropping && !must_drop_oldest(l.cfg.queue, l.pending_bytes)) {
    l.dropping = false;
  }
  note_room();
  co_return true;
}

asio::awaitable<bool> dispatcher::record_move(lane& l, std::int64_t last, const cursor_move& move) {
  for (;;) {
    std::string failed;
    try {
      auto tx = store_.begin();
      queue_.advance_cursor(l.cfg.name, last, move);
      const auto before = l.totals.seq;
      l.totals.seq = std::max(before, last);
      try {
        queue_.delete_through(min_cursor());
        // A power cut before the next sync may roll the move back: the batch is sent again.
        tx.commit(sqlite::durability::deferred);
      } catch (...) {
        l.totals.seq = before;
        throw;
      }
      break;
    } catch (const store_error& e) {
      failed = std::string("recording delivery: ") + e.what();
    }
    // Delivered but not recorded: the cursor write is retried; after a crash instead the batch
    // would be sent again, which at-least-once allows.
    note_retry(l, failed);
    if (l.stopping) {
      co_return false;
    }
    // The store, not the destination, failed: tried again within seconds of room returning,
    // as collection is, whatever the sink's own backoff allows.
    co_await pause(l, l.store_retry.next());
  }
  l.store_retry.reset();
  co_return true;
}

asio::awaitable<void> dispatcher::pause(lane& l, duration wait) {
  l.wake.expires_after(wait);
  l.paused = true;
  co_await l.wake.async_wait(asio::as_tuple(asio::use_awaitable));
  l.paused = false;
}

duration dispatcher::retry_wait(lane& l, std::optional<duration> retry_after) {
  const auto asked = obey_retry_after(retry_after, l.cfg.retry.max);
  if (!asked) {
    return l.retry.next();
  }
  if (asked->capped) {
    const auto message = "the destination asked to wait " + format_duration(*retry_after) +
                         " (Retry-After); waiting " + format_duration(l.cfg.retry.max) +
                         " (retry.max) instead";
    if (!std::exchange(l.capped_retry_after, true)) {
      l.log->warn("{}", message);
    } else {
      l.log->debug("{}", message);
    }
  }
  return asked->wait;
}

std::optional<std::string> dispatcher::write_dead_letters(lane& l,
                                                          std::span<const queued_event> events,
                                                          const std::vector<std::size_t>& which,
                                                          const std::string& reason) {
  const auto& path = l.cfg.dead_letter_path;
  const auto lines = dead_letter_lines(l.cfg.name, reason, unix_now(), events, which);
  if (auto err = append_dead_letters(path, lines, *l.log)) {
    return err;
  }
  l.log->warn("{} event(s) rejected: {}; written to {}", which.size(), reason, path.string());
  record_error(l, fmt::format("{} event(s) rejected: {}", which.size(), reason), false);
  return std::nullopt;
}

void dispatcher::account_new() {
  try {
    const auto fresh = queue_.span_after(seen_seq_);
    if (fresh.events == 0) {
      return;
    }
    for (auto& l : lanes_) {
      l->pending_bytes += fresh.bytes;
      l->filling.events += fresh.events;
      l->filling.bytes += fresh.bytes;
    }
    seen_seq_ = fresh.last_seq;
    for (auto& l : lanes_) {
      if (must_drop_oldest(l->cfg.queue, l->pending_bytes)) {
        drop_oldest(*l);
      }
    }
  } catch (const store_error& e) {
    // Counted at the next call instead.
    log_->debug("cannot measure the queue: {}", e.what());
  }
}

void dispatcher::drop_oldest(lane& l) {
  drop_plan plan(l.pending_bytes - static_cast<std::int64_t>(l.cfg.queue.max_bytes), l.totals.seq);
  while (!plan.enough()) {
    const auto sizes = queue_.sizes_after(plan.through, 1000);
    if (sizes.empty()) {
      break;
    }
    plan.take(sizes);
  }
  if (plan.events == 0) {
    return;
  }
  const auto report = dropped_event(l.cfg.name, plan, l.cfg.queue, unix_now());
  commit_drop(l, plan, report);
  store_.give_back_free_pages();
  l.pending_bytes -= plan.bytes;
  l.totals.dropped += plan.events;
  if (!std::exchange(l.dropping, true)) {
    l.log->warn("{}", report.message);
  } else {
    l.log->debug("{}", report.message);
  }
  // The agent event itself is counted like any other appended event.
  const auto fresh = queue_.span_after(seen_seq_);
  for (auto& other : lanes_) {
    other->pending_bytes += fresh.bytes;
  }
  seen_seq_ = std::max(seen_seq_, fresh.last_seq);
  if (l.idle) {
    l.wake.cancel();
  }
}

void dispatcher::commit_drop(lane& l, const drop_plan& plan, const event& report) {
  const auto before = l.totals.seq;
  auto tx = store_.begin();
  queue_.advance_cursor(l.cfg.name, plan.through, cursor_move{0, 0, 0, plan.events});
  l.totals.seq = plan.through;
  try {
    queue_.append(report);
    queue_.delete_through(min_cursor());
    tx.commit(sqlite::durability::deferred);
  } catch (...) {
    l.totals.seq = before;
    throw;
  }
}

void dispatcher::queue_report(const event& e) {
  try {
    queue_.append(e);
  } catch (const store_error& err) {
    // A seal lost to a full disk is made good by the next one.
    log_->warn("cannot queue a sink's {} event: {}", e.type, err.what());
    return;
  }
  notify_appended();
}

void dispatcher::note_retry(lane& l, const std::string& why) {
  if (!l.retrying || why != l.last_error) {
    record_error(l, why, true);
  }
  l.last_error = why;
  if (!std::exchange(l.retrying, true)) {
    l.log->warn("delivery failed, will retry with backoff: {}", why);
  } else {
    l.log->debug("retrying: {}", why);
  }
}

void dispatcher::record_error(lane& l, std::string_view why, bool failing) {
  // Only for `status`: a store that cannot take it (a full disk) says so in the log already.
  try {
    const auto now = unix_now();
    queue_.note_sink_error(l.cfg.name, why, now, failing);
    if (failing && !l.totals.failing_since) {
      l.totals.failing_since = now;
    }
  } catch (const store_error& e) {
    l.log->debug("cannot record the sink's error: {}", e.what());
  }
}

void dispatcher::note_recovered(lane& l) {
  try {
    queue_.note_sink_recovered(l.cfg.name);
    l.totals.failing_since.reset();
  } catch (const store_error& e) {
    l.log->debug("cannot record that the sink delivers again: {}", e.what());
  }
  l.log->info("delivering again");
}

void dispatcher::note_room() {
  // Waiters re-check has_room() themselves.
  room_.cancel();
}

std::int64_t dispatcher::min_cursor() const {
  std::int64_t m = seen_seq_;
  for (const auto& l : lanes_) {
    m = std::min(m, l->totals.seq);
  }
  return m;
}

}  // namespace qsanfwd::pipeline
