#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>
#include <limits>
#include <optional>
#include <span>
#include <vector>

#include "agent/core/time.hpp"
#include "agent/logs/log_event.hpp"
#include "agent/logs/log_poller.hpp"
#include "agent/logs/log_poller_parts.hpp"

namespace qsanfwd::logs {
namespace asio = boost::asio;

namespace {

asio::awaitable<void> request_page(device::log_reader& client, device::log_query query,
                                   std::shared_ptr<page_request> request) {
  try {
    auto answer = co_await client.log_list(query);
    request->answer.emplace(std::move(answer));
  } catch (const std::exception& e) {
    request->answer.emplace(failure{std::string("reading a log page: ") + e.what()});
  }
  request->done.cancel();
}

}  // namespace

asio::awaitable<result<device::log_page>> answer_of(page_request& request) {
  while (!request.answer) {
    co_await request.done.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  co_return std::move(*request.answer);
}

asio::awaitable<result<device::log_page>> log_poller::fetch(cycle& c, int page,
                                                            std::int64_t page_size) {
  if (hooks_.wait_for_room) {
    co_await hooks_.wait_for_room();
  }
  ++c.requests;
  // Named, not a temporary inside co_await: GCC 12 destroys such temporaries twice.
  const device::log_query query{.start_time = c.start,
                                .types = options_.types,
                                .page_number = page,
                                .page_size = static_cast<int>(page_size)};
  auto answer = co_await array_.log_list(query);
  if (!answer) {
    note_failure(page, answer.error().message);
  } else {
    ++counters_.pages;
    note_clock(c);
  }
  co_return answer;
}

asio::awaitable<std::shared_ptr<page_request>> log_poller::prefetch(cycle& c, int page,
                                                                    std::int64_t page_size) {
  if (hooks_.between_pages) {
    co_await hooks_.between_pages();
  }
  if (hooks_.wait_for_room) {
    co_await hooks_.wait_for_room();
  }
  auto ex = co_await asio::this_coro::executor;
  auto next = std::make_shared<page_request>(ex);
  ++c.requests;
  asio::co_spawn(ex,
                 request_page(array_,
                              device::log_query{.start_time = c.start,
                                                .types = options_.types,
                                                .page_number = page,
                                                .page_size = static_cast<int>(page_size)},
                              next),
                 asio::detached);
  co_return next;
}

asio::awaitable<result<device::log_page>> log_poller::next_answer(
    cycle& c, std::shared_ptr<page_request>& next, int page, std::int64_t page_size) {
  if (!next) {
    auto answer = co_await fetch(c, page, page_size);
    co_return answer;
  }
  auto answer = co_await answer_of(*next);
  next.reset();
  if (answer) {
    ++counters_.pages;
    note_clock(c);
  } else {
    note_failure(page, answer.error().message);
  }
  co_return answer;
}

asio::awaitable<void> log_poller::take_beside(cycle& c, std::span<const device::log_entry> lines,
                                              bool move_checkpoint, std::int64_t horizon,
                                              const std::shared_ptr<page_request>& next) {
  std::exception_ptr failed;
  try {
    co_await take(c, lines, move_checkpoint, horizon);
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
}

void log_poller::count_lines(cycle& c, std::span<const device::log_entry> lines,
                             std::int64_t horizon) {
  for (const auto& line : lines) {
    if (line.timestamp < c.start) {
      ++c.before_start;
    } else if (line.timestamp > horizon) {
      ++c.ahead;
      c.newest_ahead = std::max(c.newest_ahead, line.timestamp);
    } else {
      c.max_seen = std::max(c.max_seen, line.timestamp);
    }
    c.recount.observe(line);
    if (line.timestamp > c.cp.start_time) {
      c.oldest_after = std::min(c.oldest_after.value_or(line.timestamp), line.timestamp);
    }
  }
  counters_.lines_read += lines.size();
  c.read += static_cast<std::int64_t>(lines.size());
}

asio::awaitable<void> log_poller::take(cycle& c, std::span<const device::log_entry> lines,
                                       bool move_checkpoint, std::int64_t horizon) {
  count_lines(c, lines, horizon);
  const auto recent_window = options_.clock_step_window.count() / 1000;
  const auto checkpoint_second = c.checkpoint_second;
  const auto store_page = [&](state_store& store, event_queue& queue) {
    log_state state(store, state_.key());
    // Most of a page's work, its events made and packed, is done before the transaction:
    // while one is open the delivery thread's commits wait for the writers' gate.
    const auto fresh = sort_out(state, queue, lines, c.floor, horizon, c.priming, c.dedup);
    auto tx = store.begin();
    queue.append(fresh.events);
    if (fresh.record) {
      state.record(c.id, *fresh.record);
    }
    if (recent_window > 0) {
      state.remember(fresh.recent);
    }
    if (role_.page_stored) {
      role_.page_stored(store, fresh.counts.queued, move_checkpoint ? c.max_seen : c.cp.start_time);
    }
    if (move_checkpoint) {
      c.cp.start_time = c.max_seen;
      c.cp.cycle = c.id;
      c.cp.recorded_since = c.cp.recorded_since.value_or(checkpoint_second + 1);
      state.prune_before(c.cp.start_time - 1);
      state.forget_recent_before(c.cp.start_time - recent_window, unix_now() - recent_window);
      state.save(c.cp);
    }
    // Lines and checkpoint stay together: a power cut before the dispatcher's next sync
    // rolls both back, and the page is fetched again.
    tx.commit(sqlite::durability::deferred);
    return fresh.counts;
  };
  const auto stored = co_await writer_.run(store_page);
  c.queued += stored.queued;
  counters_.lines_queued += static_cast<std::uint64_t>(stored.queued);
  counters_.duplicates_dropped += stored.duplicates;
  if (stored.queued > 0 && hooks_.appended) {
    hooks_.appended();
  }
}

log_poller::fresh_lines log_poller::sort_out(log_state& state, event_queue& queue,
                                             std::span<const device::log_entry> lines,
                                             std::int64_t floor, std::int64_t horizon, bool priming,
                                             line_dedup& dedup) const {
  std::optional<second_span> all;
  std::optional<second_span> settled;
  const auto widen = [](std::optional<second_span>& span, std::int64_t t) {
    span = span ? second_span{std::min(span->lo, t), std::max(span->hi, t)} : second_span{t, t};
  };
  const auto last = role_.until.value_or(std::numeric_limits<std::int64_t>::max());
  for (const auto& line : lines) {
    if (line.timestamp >= floor && line.timestamp <= last) {
      widen(all, line.timestamp);
      if (line.timestamp <= horizon) {
        widen(settled, line.timestamp);
      }
    }
  }
  fresh_lines out;
  if (!all) {
    return out;
  }
  dedup.start_page(settled, state.marks_between(all->lo, all->hi), horizon);
  // The page's fresh lines go to the queue in one append: one stored chunk, not one per line.
  // Their events are kept on this (the writer's) thread from page to page, strings and all.
  thread_local std::vector<event> fresh;
  std::size_t made = 0;
  const log_source from{array_.device_name(), array_.device_host(), model_, serial_};
  for (const auto& line : lines) {
    if (line.timestamp < floor || line.timestamp > last) {
      continue;
    }
    const auto hash = line_hash(line.type, line.message);
    const auto seen = dedup.observe(line.timestamp, hash);
    if (!seen.fresh) {
      ++out.counts.duplicates;
      continue;
    }
    out.recent.push_back(queued_line{line.timestamp, hash});
    if (!priming) {
      if (made == fresh.size()) {
        fresh.emplace_back();
      }
      make_log_event(fresh[made++], from, line, seen.occurrence, line.timestamp > horizon);
    }
  }
  out.events = queue.encode(std::span<const event>(fresh.data(), made));
  out.events.sink = role_.sink;
  out.record = dedup.finish_page();
  out.counts.queued = static_cast<std::int64_t>(made);
  return out;
}

}  // namespace qsanfwd::logs
