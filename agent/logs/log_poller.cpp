#include "agent/logs/log_poller.hpp"

#include <algorithm>
#include <limits>
#include <optional>
#include <string>
#include <utility>

#include "agent/core/logging.hpp"
#include "agent/core/time.hpp"
#include "agent/logs/checkpoint_recount.hpp"
#include "agent/logs/log_event.hpp"
#include "agent/store/alarms.hpp"

namespace qsanfwd::logs {
namespace asio = boost::asio;

namespace {

constexpr int stuck_after_failures = 3;

std::int64_t unix_millis() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace

log_poller::log_poller(device::log_reader& array, state_store& store, write_thread& writer,
                       config::log_options options, poller_hooks hooks, poller_role role)
    : array_(array),
      writer_(writer),
      role_(std::move(role)),
      state_(store, role_.state_key.empty() ? array.device_name() : role_.state_key),
      options_(std::move(options)),
      hooks_(std::move(hooks)),
      log_(get_logger("logs")) {
  // The live reader's conditions a previous run left open are still open: the first cycle
  // that finds them over reports so, which clears their alarms.
  if (role_.state_key.empty()) {
    const auto open = [&](const char* component, const char* attribute) {
      return alarm_open(store, {array.device_name(), component, "", attribute}, unix_now());
    };
    stuck_reported_ = open("logs", "collection");
    clock_skew_reported_ = open("clock", "skew");
    ahead_reported_ = open("clock", "ahead");
  }
}

void log_poller::set_identity(std::string model, std::string serial) {
  model_ = std::move(model);
  serial_ = std::move(serial);
}

asio::awaitable<result<std::int64_t>> log_poller::poll_once() {
  auto cp = state_.load();
  // "now" starts with a priming cycle that marks what the array already holds without queueing
  // it; the checkpoint is first saved when that cycle ends, so a crash just primes again.
  bool priming = false;
  if (!cp) {
    auto initial = co_await initial_checkpoint();
    if (!initial) {
      note_failure(0, initial.error().message);
      co_return initial.error();
    }
    cp = *initial;
    priming = options_.start_at.where == config::start_point::kind::now;
  }
  auto queued = co_await read_cycle(*cp, priming);
  if (queued) {
    note_success();
  }
  co_return queued;
}

asio::awaitable<result<std::int64_t>> log_poller::read_cycle(checkpoint cp, bool priming) {
  ++counters_.cycles;
  constexpr int most_reads = 4;
  auto c = begin_cycle(cp, priming);
  auto end = co_await read_by_position(c);
  std::int64_t queued = 0;
  for (int reads = 1;; ++reads) {
    if (!end) {
      co_return end.error();
    }
    queued += c.queued;
    const auto next = end->next;
    if (next == read_end::then::done) {
      break;
    }
    if (reads == most_reads) {
      const std::string why = "the array's log changed under every one of " +
                              std::to_string(most_reads) + " reads of this cycle";
      note_failure(1, why);
      co_return failure{why};
    }
    // What the read before stored is in the store; the next counts its sightings afresh.
    auto again = state_.load().value_or(cp);
    if (next == read_end::then::rewind) {
      again = co_await rewind(again, end->rewind_from, end->rewind_upto);
    }
    c = begin_cycle(again, priming);
    c.clock_checked = true;  // by the first read's page 1
    if (next == read_end::then::by_content) {
      end = co_await read_by_content(c);
    } else {
      end = co_await read_by_position(c);
    }
  }
  co_await finish_cycle(c);
  co_return queued;
}

log_poller::cycle log_poller::begin_cycle(checkpoint cp, bool priming) {
  cycle c;
  // Unique per cycle even after a crash that never saved the cycle number: a cycle's span of
  // seconds read whole is stored under it.
  c.id = std::max({cp.cycle + 1, unix_millis(), last_cycle_id_ + 1});
  last_cycle_id_ = c.id;
  c.start = std::max<std::int64_t>(cp.start_time - 1, 0);
  c.floor = std::max(cp.floor, c.start);
  // Lines of the checkpoint second queued before: a re-read that finds fewer shows that the
  // array's log lost them (overwritten or cleared) and maybe more after them. Not those of the
  // second before it, which an array that reads startTime as exclusive does not return.
  c.recount = checkpoint_recount(
      state_.marks_between(c.start + 1, std::numeric_limits<std::int64_t>::max()));
  c.dedup = line_dedup(state_.spans());
  c.max_seen = cp.start_time;
  c.checkpoint_second = cp.start_time;
  c.began = std::chrono::steady_clock::now();
  c.cp = cp;
  c.priming = priming;
  return c;
}

void log_poller::report_progress(const cycle& c, std::int64_t total, bool done) {
  if (!hooks_.on_progress || (c.requests <= 1 && done)) {
    return;
  }
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - c.began;
  hooks_.on_progress(
      progress{array_.device_name(), c.read, std::max(total, c.read),
               elapsed.count() > 0 ? static_cast<double>(c.read) / elapsed.count() : 0, done});
}

asio::awaitable<void> log_poller::finish_cycle(cycle& c) {
  watch_start_time(c.before_start, c.start);
  watch_lines_ahead(c.ahead, c.newest_ahead);
  const auto missing = c.every_line_once ? c.recount.missing() : 0;
  if (missing > 0) {
    co_await writer_.run([&](state_store& store, event_queue&) {
      log_state state(store, state_.key());
      auto tx = store.begin();
      state.lower(c.recount.as_read());
      tx.commit(sqlite::durability::deferred);
      return 0;
    });
  }
  // Lines the listing lost that were never read (a total that fell, or a cycle before this one
  // that failed half way) may lie anywhere after its start: the range is then open.
  if (missing > 0 || c.shrank_by > 0) {
    const auto from = c.shrank_by > 0 ? c.start : c.recount.first_missing();
    const auto upto =
        c.shrank_by > 0 || consecutive_failures_ > 0
            ? std::nullopt
            : std::optional(std::max(c.recount.last_missing(), c.oldest_after.value_or(horizon())));
    report_gap(from, missing > 0 ? missing : c.shrank_by, upto);
  }
  counters_.last_success_unix = unix_now();
  note_clock(c);
}

void log_poller::note_failure(int page, const std::string& why) {
  ++counters_.failed_cycles;
  ++consecutive_failures_;
  log_->debug("{}: log read failed at page {}: {}", array_.device_name(), page, why);
  // An unreachable array is reported by the client; this is for an array that answers but
  // whose answers cannot be used.
  if (consecutive_failures_ < stuck_after_failures || stuck_reported_ || !array_.answering()) {
    return;
  }
  stuck_reported_ = true;
  raise("logs_stuck", severity::error,
        "Log collection from " + array_.device_name() + " is stuck at page " +
            std::to_string(page) + ": " + why);
}

void log_poller::watch_start_time(std::int64_t before_start, std::int64_t start) {
  counters_.lines_before_start += static_cast<std::uint64_t>(before_start);
  if (before_start > 0 && !std::exchange(start_time_warned_, true)) {
    log_->warn(
        "{}: the array answered a log query from {} with {} lines stamped before it: it "
        "seems to ignore startTime. Those lines are dropped (they were read before), "
        "but every cycle now reads the whole log.",
        array_.device_name(), rfc3339_utc(start), before_start);
  }
}

void log_poller::report_gap(std::int64_t from, std::int64_t lines,
                            std::optional<std::int64_t> upto) {
  ++counters_.gaps;
  const auto e =
      raise("logs_gap", severity::warning,
            "The log of " + array_.device_name() + " no longer holds " + std::to_string(lines) +
                " of the lines stamped from " + rfc3339_utc(from) +
                " on that it held before: it was overwritten or cleared. Lines it stamped from " +
                rfc3339_utc(from) + (upto ? " to " + rfc3339_utc(*upto) : std::string(" on")) +
                " may be lost on the array's side.");
  if (hooks_.log_gap) {
    hooks_.log_gap(e);
  }
}

void log_poller::watch_listing(cycle& c, std::int64_t total) {
  if (!std::exchange(c.listing_watched, true)) {
    if (last_listing_ && c.start <= last_listing_->start && total < last_listing_->total) {
      c.shrank_by = last_listing_->total - total;
    }
    last_listing_ = listing{c.start, total};
    return;
  }
  // The most the listing held during this read, failed or not, is what the next must find.
  last_listing_->total = std::max(last_listing_->total, total);
}

void log_poller::note_success() {
  consecutive_failures_ = 0;
  if (!std::exchange(stuck_reported_, false)) {
    return;
  }
  raise("logs_resumed", severity::notice,
        "Log collection from " + array_.device_name() + " resumed");
}

event log_poller::raise(std::string type, severity level, std::string message) {
  auto e = make_agent_event(array_.device_name(), array_.device_host(), std::move(type), level,
                            std::move(message));
  log_->log(level <= severity::warning ? spdlog::level::warn : spdlog::level::info, "{}",
            e.message);
  if (hooks_.agent_event) {
    hooks_.agent_event(e);
  }
  return e;
}

}  // namespace qsanfwd::logs
