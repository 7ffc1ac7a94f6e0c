#include "agent/logs/log_poller.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>
#include <optional>
#include <span>
#include <vector>

#include "agent/core/logging.hpp"
#include "agent/core/time.hpp"
#include "agent/logs/log_event.hpp"
#include "agent/logs/page_window.hpp"

namespace qsanfwd::logs {
namespace asio = boost::asio;

namespace {

constexpr int stuck_after_failures = 3;
// How far the array's clock (its answers' Date) may lag the checkpoint before it is reported:
// a Date and a line's stamp may come from clocks a few seconds apart.
constexpr std::int64_t clock_behind_tolerance_s = 10;

std::int64_t unix_millis() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

/// The order a page shows, when its lines differ in time; a page of one second says nothing.
std::optional<bool> order_shown_by(const std::vector<device::log_entry>& logs) {
  if (logs.size() < 2 || logs.front().timestamp == logs.back().timestamp) {
    return std::nullopt;
  }
  return logs.front().timestamp > logs.back().timestamp;
}

/// A page requested before the page before it is stored: the array prepares the next page
/// while the agent stores this one, instead of each waiting for the other.
struct page_request {
  explicit page_request(const asio::any_io_executor& ex)
      : done(ex, asio::steady_timer::time_point::max()) {}
  std::optional<result<device::log_page>> answer;
  asio::steady_timer done;  ///< cancelled once `answer` is set
};

asio::awaitable<void> request_page(device::device_client& client, device::log_query query,
                                   std::shared_ptr<page_request> request) {
  try {
    auto answer = co_await client.log_list(query);
    request->answer.emplace(std::move(answer));
  } catch (const std::exception& e) {
    request->answer.emplace(failure{std::string("reading a log page: ") + e.what()});
  }
  request->done.cancel();
}

/// The answer of a request_page(): awaited before anything else uses the client, whose one
/// connection serves one request at a time.
asio::awaitable<result<device::log_page>> answer_of(page_request& request) {
  while (!request.answer) {
    co_await request.done.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  co_return std::move(*request.answer);
}

}  // namespace

log_poller::log_poller(device::device_client& client, state_store& store, write_thread& writer,
                       config::log_options options, poller_hooks hooks)
    : client_(client),
      writer_(writer),
      state_(store, client.settings().name),
      options_(std::move(options)),
      hooks_(std::move(hooks)),
      log_(get_logger("logs")) {}

void log_poller::set_identity(std::string model, std::string serial) {
  model_ = std::move(model);
  serial_ = std::move(serial);
}

asio::awaitable<result<std::optional<bool>>> log_poller::detect_order() {
  // The first and the last line of the whole log differ in time unless it all fits in a second.
  const device::log_query head{.start_time = 0, .types = {}, .page_number = 1, .page_size = 1};
  auto first = co_await client_.log_list(head);
  if (!first) {
    co_return first.error();
  }
  if (first->total < 2 || first->logs.empty()) {
    co_return std::optional<bool>{};
  }
  const device::log_query tail{
      .start_time = 0, .types = {}, .page_number = static_cast<int>(first->total), .page_size = 1};
  auto last = co_await client_.log_list(tail);
  if (!last) {
    co_return last.error();
  }
  if (last->logs.empty() || last->logs.front().timestamp == first->logs.front().timestamp) {
    co_return std::optional<bool>{};
  }
  co_return std::optional<bool>{first->logs.front().timestamp > last->logs.front().timestamp};
}

asio::awaitable<result<std::int64_t>> log_poller::newest_timestamp(bool newest_first) {
  const device::log_query head{.start_time = 0, .types = {}, .page_number = 1, .page_size = 1};
  auto first = co_await client_.log_list(head);
  if (!first) {
    co_return first.error();
  }
  if (first->logs.empty()) {
    co_return std::int64_t{0};
  }
  if (newest_first || first->total < 2) {
    co_return first->logs.front().timestamp;
  }
  const device::log_query tail{
      .start_time = 0, .types = {}, .page_number = static_cast<int>(first->total), .page_size = 1};
  auto last = co_await client_.log_list(tail);
  if (!last) {
    co_return last.error();
  }
  co_return last->logs.empty() ? first->logs.front().timestamp : last->logs.front().timestamp;
}

asio::awaitable<result<checkpoint>> log_poller::initial_checkpoint() {
  checkpoint cp;
  switch (options_.start_at.where) {
    case config::start_point::kind::beginning:
      break;
    case config::start_point::kind::timestamp:
      cp.start_time = cp.floor = options_.start_at.timestamp;
      break;
    case config::start_point::kind::now: {
      auto order = co_await detect_order();
      if (!order) {
        co_return order.error();
      }
      cp.newest_first = *order;
      auto newest = co_await newest_timestamp(order->value_or(true));
      if (!newest) {
        co_return newest.error();
      }
      cp.start_time = *newest;
      break;
    }
  }
  co_return cp;
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
  // Unique per cycle even after a crash that never saved the cycle number.
  const auto cycle = std::max(cp.cycle + 1, unix_millis());
  const auto start = std::max<std::int64_t>(cp.start_time - 1, 0);
  const auto began = std::chrono::steady_clock::now();
  std::optional<page_window> window;
  std::int64_t max_seen = cp.start_time;
  std::int64_t queued = 0;
  std::int64_t read = 0;
  line_dedup dedup(state_.spans());

  const auto query_of = [&](int page) {
    return device::log_query{.start_time = start,
                             .types = options_.types,
                             .page_number = page,
                             .page_size = options_.page_size};
  };
  std::shared_ptr<page_request> next;
  for (int page = 1;; ++page) {
    result<device::log_page> answer;
    if (next) {
      answer = co_await answer_of(*next);
      next.reset();
    } else {
      if (hooks_.wait_for_room) {
        co_await hooks_.wait_for_room();
      }
      // Named, not a temporary inside co_await: GCC 12 destroys such temporaries twice.
      const auto query = query_of(page);
      answer = co_await client_.log_list(query);
    }
    if (!answer) {
      note_failure(page, answer.error().message);
      co_return answer.error();
    }
    ++counters_.pages;
    if (page == 1) {
      watch_array_clock(cp.start_time);
      if (!cp.newest_first) {
        cp.newest_first = order_shown_by(answer->logs);
      }
      if (!cp.newest_first && answer->have_next_page) {
        auto order = co_await detect_order();
        if (!order || !*order) {
          const auto why = order ? "cannot tell the array's result order yet (its whole log is "
                                   "in one second)"
                                 : order.error().message;
          note_failure(page, why);
          co_return failure{why};
        }
        cp.newest_first = *order;
      }
      window.emplace(cp.newest_first.value_or(true), options_.page_size);
    }
    const auto skip = window->accept(page, answer->total, answer->logs.size());
    if (!skip) {
      const std::string why = "the array's log shrank while being read; reading the cycle again";
      note_failure(page, why);
      co_return failure{why};
    }

    const std::span<const device::log_entry> lines(
        answer->logs.begin() + static_cast<std::ptrdiff_t>(*skip), answer->logs.end());
    counters_.lines_read += lines.size();
    read += static_cast<std::int64_t>(lines.size());
    const bool last = !answer->have_next_page;
    if (!last) {
      if (hooks_.between_pages) {
        co_await hooks_.between_pages();
      }
      if (hooks_.wait_for_room) {
        co_await hooks_.wait_for_room();
      }
      auto ex = co_await asio::this_coro::executor;
      next = std::make_shared<page_request>(ex);
      // It goes out while this coroutine waits for the write thread below.
      asio::co_spawn(ex, request_page(client_, query_of(page + 1), next), asio::detached);
    }
    for (const auto& line : lines) {
      max_seen = std::max(max_seen, line.timestamp);
    }
    // Oldest first, every line before this page's newest second is behind us already.
    const bool move_now = last || (!priming && cp.newest_first == false);
    const auto store_page = [&](state_store& store, event_queue& queue) {
      log_state state(store, client_.settings().name);
      // Most of a page's work, its events made and packed, is done before the transaction:
      // while one is open the delivery thread's commits wait for the writers' gate.
      const auto fresh = sort_out(state, queue, lines, cp.floor, priming, dedup);
      auto tx = store.begin();
      queue.append(fresh.events);
      if (fresh.record) {
        state.record(cycle, *fresh.record);
      }
      if (move_now) {
        cp.start_time = max_seen;
        cp.cycle = cycle;
        state.prune_before(cp.start_time - 1);
        state.save(cp);
      }
      // Lines and checkpoint stay together: a power cut before the dispatcher's next sync
      // rolls both back, and the page is fetched again.
      tx.commit(sqlite::durability::deferred);
      return fresh.counts;
    };
    page_stored stored;
    std::exception_ptr failed;
    try {
      stored = co_await writer_.run(store_page);
    } catch (...) {
      failed = std::current_exception();
    }
    if (failed) {
      // The caller may use the client again at once (a full disk is retried).
      if (next) {
        co_await answer_of(*next);
      }
      std::rethrow_exception(failed);
    }
    queued += stored.queued;
    counters_.lines_queued += static_cast<std::uint64_t>(stored.queued);
    counters_.duplicates_dropped += stored.duplicates;
    if (stored.queued > 0 && hooks_.appended) {
      hooks_.appended();
    }
    if (hooks_.on_progress && (page > 1 || !last)) {
      const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - began;
      hooks_.on_progress(
          progress{client_.settings().name, read, std::max(answer->total, read),
                   elapsed.count() > 0 ? static_cast<double>(read) / elapsed.count() : 0, last});
    }
    if (last) {
      break;
    }
  }
  counters_.last_success_unix = unix_now();
  co_return queued;
}

log_poller::fresh_lines log_poller::sort_out(log_state& state, event_queue& queue,
                                             std::span<const device::log_entry> lines,
                                             std::int64_t floor, bool priming,
                                             line_dedup& dedup) const {
  std::optional<second_span> seconds;
  for (const auto& line : lines) {
    if (line.timestamp >= floor) {
      seconds = seconds ? second_span{std::min(seconds->lo, line.timestamp),
                                      std::max(seconds->hi, line.timestamp)}
                        : second_span{line.timestamp, line.timestamp};
    }
  }
  fresh_lines out;
  if (!seconds) {
    return out;
  }
  dedup.start_page(seconds->lo, seconds->hi, state.marks_between(seconds->lo, seconds->hi));
  // The page's fresh lines go to the queue in one append: one stored chunk, not one per line.
  // Their events are kept on this (the writer's) thread from page to page, strings and all.
  thread_local std::vector<event> fresh;
  std::size_t made = 0;
  const log_source from{client_.settings().name, client_.settings().peer.host, model_, serial_};
  for (const auto& line : lines) {
    if (line.timestamp < floor) {
      continue;
    }
    const auto seen = dedup.observe(line.timestamp, line_hash(line.type, line.message));
    if (!seen.fresh) {
      ++out.counts.duplicates;
    } else if (!priming) {
      if (made == fresh.size()) {
        fresh.emplace_back();
      }
      make_log_event(fresh[made++], from, line, seen.occurrence);
    }
  }
  out.events = queue.encode(std::span<const event>(fresh.data(), made));
  out.record = dedup.finish_page();
  out.counts.queued = static_cast<std::int64_t>(made);
  return out;
}

void log_poller::note_failure(int page, const std::string& why) {
  ++counters_.failed_cycles;
  ++consecutive_failures_;
  log_->debug("{}: log read failed at page {}: {}", client_.settings().name, page, why);
  // An unreachable array is reported by the client; this is for an array that answers but
  // whose answers cannot be used.
  if (consecutive_failures_ < stuck_after_failures || stuck_reported_ ||
      client_.state() == device::device_state::unreachable ||
      client_.state() == device::device_state::login_failed) {
    return;
  }
  stuck_reported_ = true;
  raise("logs_stuck", severity::error,
        "Log collection from " + client_.settings().name + " is stuck at page " +
            std::to_string(page) + ": " + why);
}

// Lines are stamped by the array's clock, and each cycle asks for those from the checkpoint on
// (the REST API has no other cursor). An array whose clock was set back stamps its new lines
// before the checkpoint, where no cycle looks: that must not pass in silence.
void log_poller::watch_array_clock(std::int64_t checkpoint) {
  const auto now = client_.array_now();
  if (!now || checkpoint <= 0) {
    return;
  }
  const auto behind = checkpoint - *now;
  const auto& name = client_.settings().name;
  if (behind > clock_behind_tolerance_s && !clock_behind_reported_) {
    clock_behind_reported_ = true;
    raise("array_clock_behind", severity::warning,
          "The clock of " + name + " is " + std::to_string(behind) +
              " s behind the newest log line read (" + rfc3339_utc(checkpoint) +
              "): its log is read from that time on, so lines it stamps before then are missed "
              "until its clock passes it. Set the array's clock right (NTP).");
  } else if (behind <= clock_behind_tolerance_s && clock_behind_reported_) {
    clock_behind_reported_ = false;
    raise("array_clock_caught_up", severity::notice,
          "The clock of " + name + " has caught up with the newest log line read (" +
              rfc3339_utc(checkpoint) + "); its new lines are read again");
  }
}

void log_poller::note_success() {
  consecutive_failures_ = 0;
  if (!std::exchange(stuck_reported_, false)) {
    return;
  }
  raise("logs_resumed", severity::notice,
        "Log collection from " + client_.settings().name + " resumed");
}

void log_poller::raise(std::string type, severity level, std::string message) {
  auto e = make_agent_event(client_.settings().name, client_.settings().peer.host, std::move(type),
                            level, std::move(message));
  log_->log(level <= severity::warning ? spdlog::level::warn : spdlog::level::info, "{}",
            e.message);
  if (hooks_.agent_event) {
    hooks_.agent_event(std::move(e));
  }
}

}  // namespace qsanfwd::logs
