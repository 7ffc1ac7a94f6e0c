#include "agent/logs/log_poller.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstdlib>
#include <exception>
#include <limits>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "agent/core/logging.hpp"
#include "agent/core/time.hpp"
#include "agent/logs/ascending_pages.hpp"
#include "agent/logs/checkpoint_recount.hpp"
#include "agent/logs/clock_step.hpp"
#include "agent/logs/content_pages.hpp"
#include "agent/logs/log_event.hpp"
#include "agent/logs/result_order.hpp"

namespace qsanfwd::logs {
namespace asio = boost::asio;

namespace {

constexpr int stuck_after_failures = 3;
// Newest first, a burst of new lines can push a whole page over to the next, now and then.
constexpr int max_pages_without_news = 8;
// A listing whose pages cannot be trusted (or cannot tell identical lines from a repeat) is
// read in one answer up to this size (the parser's cap on the items of one answer).
constexpr std::int64_t max_lines_in_one_page = 10'000;

std::int64_t unix_millis() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace

/// A page requested before the page before it is stored: the array prepares the next page
/// while the agent stores this one, instead of each waiting for the other.
struct page_request {
  explicit page_request(const asio::any_io_executor& ex)
      : done(ex, asio::steady_timer::time_point::max()) {}
  std::optional<result<device::log_page>> answer;
  asio::steady_timer done;  ///< cancelled once `answer` is set
};

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

/// The answer of a request_page(): awaited before anything else uses the client, whose one
/// connection serves one request at a time.
asio::awaitable<result<device::log_page>> answer_of(page_request& request) {
  while (!request.answer) {
    co_await request.done.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  co_return std::move(*request.answer);
}

}  // namespace

log_poller::log_poller(device::log_reader& array, state_store& store, write_thread& writer,
                       config::log_options options, poller_hooks hooks)
    : array_(array),
      writer_(writer),
      state_(store, array.device_name()),
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
  auto first = co_await array_.log_list(head);
  if (!first) {
    co_return first.error();
  }
  if (first->total < 2 || first->logs.empty()) {
    co_return std::optional<bool>{};
  }
  const device::log_query tail{
      .start_time = 0, .types = {}, .page_number = static_cast<int>(first->total), .page_size = 1};
  auto last = co_await array_.log_list(tail);
  if (!last) {
    co_return last.error();
  }
  // Lines that arrived between the two requests moved the last line: no order from that.
  if (last->logs.empty() || last->total != first->total ||
      last->logs.front().timestamp == first->logs.front().timestamp) {
    co_return std::optional<bool>{};
  }
  co_return std::optional<bool>{first->logs.front().timestamp > last->logs.front().timestamp};
}

asio::awaitable<result<std::int64_t>> log_poller::newest_timestamp(bool newest_first) {
  const device::log_query head{.start_time = 0, .types = {}, .page_number = 1, .page_size = 1};
  auto first = co_await array_.log_list(head);
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
  auto last = co_await array_.log_list(tail);
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

asio::awaitable<result<bool>> log_poller::learn_order(cycle& c, const device::log_page& first,
                                                      std::int64_t page_size) {
  const auto pages = [page_size](std::int64_t total) { return pages_filled(total, page_size); };
  // The page asked for is the bottom of the listing when it is the last page under its own
  // answer's total; lines that arrived meanwhile move the bottom, so ask again a few times.
  auto total = first.total;
  result<device::log_page> answer;
  for (int attempt = 1;; ++attempt) {
    const int last = pages(total);
    answer = co_await fetch(c, last, page_size);
    if (!answer) {
      co_return answer.error();
    }
    if (answer->total_given && answer->total >= total && pages(answer->total) == last &&
        !answer->logs.empty()) {
      break;
    }
    if (attempt == 4 || !answer->total_given || answer->total < total) {
      co_return true;  // the log changed while it was probed
    }
    total = answer->total;
  }
  const auto order = order_against(first.logs.front().timestamp, answer->logs);
  if (!order) {
    co_return true;
  }
  // The page asked for is the bottom only if the array heeds pageNumber: one that ignores it
  // serves page 1 again, changed by the lines that arrived (on top of a newest-first log, or
  // stamped after a step back at the head of an oldest-first one). Page 1 as it was says not.
  auto again = co_await fetch(c, 1, page_size);
  if (!again) {
    co_return again.error();
  }
  if (again->logs != first.logs) {
    co_return true;
  }
  c.cp.newest_first = *order;
  co_return false;
}

asio::awaitable<result<log_poller::read_end>> log_poller::read_by_position(cycle& c) {
  const auto page_size = static_cast<std::int64_t>(options_.page_size);
  auto answer = co_await fetch(c, 1, page_size);
  if (!answer) {
    co_return answer.error();
  }
  watch_clock_skew();
  c.clock_checked = true;
  // Read whole up to the checkpoint, or further by a cycle that failed before it moved.
  const auto read_upto = std::max(c.cp.start_time, c.dedup.newest_covered().value_or(0));
  if (const auto from = clock_went_back(read_upto); from && !c.priming) {
    co_return read_end{
        .next = read_end::then::rewind, .rewind_from = *from, .rewind_upto = read_upto};
  }
  if (!answer->total_given) {
    co_return read_end{read_end::then::by_content};
  }
  // Before the order probe, which may fail: lines a failed cycle never read are missed too
  // when they go.
  watch_listing(c, answer->total);
  if (!c.cp.newest_first) {
    c.cp.newest_first = order_shown_by(answer->logs);
  }
  if (!c.cp.newest_first && std::cmp_greater(answer->total, answer->logs.size()) &&
      !answer->logs.empty()) {
    auto learnt = co_await learn_order(c, *answer, page_size);
    if (!learnt) {
      co_return learnt.error();
    }
    // A listing all of one second has no order to tell, nor one that changed while probed:
    // read whole, in one answer.
    if (*learnt) {
      co_return read_end{read_end::then::by_content};
    }
  }
  ascending_pages pages(c.cp.newest_first.value_or(false), static_cast<int>(page_size));
  int page = 1;
  int asked_again = 0;
  std::shared_ptr<page_request> next;
  for (;;) {
    const auto ahead_of = horizon();
    const auto listed = answer->total;
    auto got = pages.accept(page, std::move(*answer), ahead_of);
    using verdict = ascending_pages::verdict;
    if (got.what == verdict::untrustworthy || got.what == verdict::ambiguous) {
      if (next) {
        co_await answer_of(*next);
      }
      if (got.what == verdict::untrustworthy && !std::exchange(untrustworthy_warned_, true)) {
        log_->warn(
            "{}: the array's log pages contradict its total ({}): it is read from page 1 "
            "on by content, and its checkpoint moves only when a cycle ends",
            array_.device_name(), got.why);
      }
      co_return read_end{read_end::then::by_content};
    }
    watch_listing(c, listed);
    asked_again = got.what == verdict::ask_again ? asked_again + 1 : 0;
    if (const auto why = why_reading_fails(got, asked_again, c.requests, pages.total(), page_size,
                                           max_pages_without_news)) {
      note_failure(page, *why);
      co_return failure{*why};
    }
    const auto following = pages.next_page();
    if (got.what == verdict::taken) {
      if (following) {
        next = co_await prefetch(c, *following, page_size);
      }
      const bool settled = !pages.end_unconfirmed();
      co_await take_beside(c, got.fresh, (!c.priming && settled) || (!following && settled),
                           ahead_of, next);
      report_progress(c, pages.total(), !following);
    }
    if (!following && pages.end_unconfirmed()) {
      auto after = co_await fetch(c, pages.page_after_end(), page_size);
      if (!after) {
        co_return after.error();
      }
      if (!after->logs.empty()) {
        co_return read_end{read_end::then::by_content};
      }
      co_await take(c, {}, true, ahead_of);
    }
    if (!following) {
      co_return read_end{};
    }
    page = *following;
    answer = co_await next_answer(c, next, page, page_size);
    if (!answer) {
      co_return answer.error();
    }
  }
}

asio::awaitable<result<std::optional<device::log_page>>> log_poller::fetch_whole(cycle& c) {
  auto answer = co_await fetch(c, 1, max_lines_in_one_page);
  if (!answer) {
    co_return answer.error();
  }
  if (!std::cmp_less(answer->logs.size(), max_lines_in_one_page)) {
    co_return std::nullopt;
  }
  if (answer->have_next_page) {
    // A short page and "more": an array that caps pageSize, or one that says so of every page
    // (the page after is empty), or ignores pageNumber (the page after is this one again).
    auto after = co_await fetch(c, 2, max_lines_in_one_page);
    if (!after) {
      co_return after.error();
    }
    if (!after->logs.empty() && after->logs != answer->logs) {
      co_return std::nullopt;
    }
  }
  co_return std::optional(std::move(*answer));
}

asio::awaitable<result<log_poller::read_end>> log_poller::read_by_content(cycle& c) {
  // A failed answer may be one too large for max_response_bytes: pages then, as for a listing
  // too long for one answer (an array that does not answer at all fails them too).
  auto whole = co_await fetch_whole(c);
  if (whole && *whole) {
    co_await take(c, (*whole)->logs, true, horizon());
    report_progress(c, c.read, true);
    co_return read_end{};
  }
  // Lines found by content may be skipped for lines pushed over that were not: no recount.
  c.every_line_once = false;
  const auto page_size = static_cast<std::int64_t>(options_.page_size);
  content_pages pages(page_size, max_pages_without_news);
  std::shared_ptr<page_request> next;
  for (int page = 1;; ++page) {
    auto answer = co_await next_answer(c, next, page, page_size);
    if (!answer) {
      co_return answer.error();
    }
    const auto ahead_of = horizon();
    if (page == 1 && !c.cp.newest_first) {
      c.cp.newest_first = order_shown_by(answer->logs);
    }
    const auto listed = answer->total;
    const auto got =
        pages.accept(page, std::move(*answer), c.cp.newest_first, c.ahead > 0, ahead_of);
    if (got.refused) {
      note_failure(page, *got.refused);
      co_return failure{*got.refused};
    }
    if (!got.last) {
      next = co_await prefetch(c, page + 1, page_size);
    }
    // Newest first, the checkpoint waits for the cycle's end: lines pushed over are found by
    // content only within the cycle. Oldest first, every line before this page is behind us.
    const bool move_now = got.last || (!c.priming && c.cp.newest_first == false);
    co_await take_beside(c, got.fresh, move_now, ahead_of, next);
    report_progress(c, listed, got.last);
    if (got.last) {
      co_return read_end{};
    }
  }
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
    log_state state(store, array_.device_name());
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
      log_state state(store, array_.device_name());
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

// A cycle that fails half way still leaves a reading of the array's clock: a step back before
// the next cycle is measured from the last answer, whichever cycle it belonged to.
void log_poller::note_clock(const cycle& c) {
  if (const auto now = array_.array_now(); now && c.clock_checked) {
    clock_seen_ = clock_reading{steady_now(), *now};
  }
}

std::int64_t log_poller::horizon() const {
  // Without the array's Date the host's clock stands in, with room for an array that was
  // never set right: only a line a day ahead of ours is called a line from the future.
  // With it, no room at all: an answer's lines are stamped no later than its Date, and a second
  // after the array's present taken as settled could be read whole before the array writes in
  // it (the poller's fuzz target found it with a line stamped 3 s ahead).
  constexpr std::int64_t without_date_s = 86'400;
  const auto array_now = array_.array_now();
  return array_now ? *array_now : unix_now() + without_date_s;
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
  for (const auto& line : lines) {
    if (line.timestamp >= floor) {
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
    if (line.timestamp < floor) {
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
  out.record = dedup.finish_page();
  out.counts.queued = static_cast<std::int64_t>(made);
  return out;
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

// Read on a fresh Date (page 1's): see read_again_from.
std::optional<std::int64_t> log_poller::clock_went_back(std::int64_t read_upto) const {
  const auto now = array_.array_now();
  if (!now || read_upto <= 0) {
    return std::nullopt;
  }
  std::optional<clock_since> last;
  if (clock_seen_) {
    const auto ours =
        std::chrono::duration_cast<std::chrono::seconds>(steady_now() - clock_seen_->at).count();
    last = clock_since{clock_seen_->array, ours};
  }
  return read_again_from(read_upto, *now, last, options_.clock_step_window.count() / 1000);
}

std::chrono::steady_clock::time_point log_poller::steady_now() const {
  return hooks_.steady_now ? hooks_.steady_now() : std::chrono::steady_clock::now();
}

// The seconds from `from` to `old` (the checkpoint, or a later second a failed cycle read
// whole), read whole before, are opened again with the lines
// the recent-lines record holds there as marks, so those come back as duplicates and only new
// lines are queued. Where the record does not reach (a step back longer than
// `clock_step_window`), lines read before may be queued again, with their ids; the event says
// which seconds.
asio::awaitable<checkpoint> log_poller::rewind(checkpoint cp, std::int64_t from, std::int64_t old) {
  const auto window = options_.clock_step_window.count() / 1000;
  const auto exact_from =
      std::max(cp.recorded_since.value_or(cp.start_time + 1), cp.start_time - window);
  const auto step = old - from;
  // Never forward: a first cycle that failed had read past where no checkpoint was yet.
  cp.start_time = std::min(cp.start_time, from);
  // One step back is told once: the cycle's first page measures from here.
  if (const auto now = array_.array_now()) {
    clock_seen_ = clock_reading{steady_now(), *now};
  }
  co_await writer_.run([&](state_store& store, event_queue&) {
    log_state state(store, array_.device_name());
    auto tx = store.begin();
    // From the second before: a cycle asks for lines from there (begin_cycle).
    state.reopen(std::max<std::int64_t>(from - 1, 0), old);
    state.save(cp);
    tx.commit(sqlite::durability::deferred);
    return 0;
  });
  // A step within the tolerance is told only when it may repeat lines.
  if (step <= clock_behind_tolerance_s && exact_from <= from) {
    co_return cp;
  }
  const auto& name = array_.device_name();
  const auto now = array_.array_now();
  if (now && *now > old) {
    raise("array_clock_jumped", severity::warning,
          "The clock of " + name + " jumped ahead (to " + rfc3339_utc(*now) +
              ") since the last poll. Had it been set back before that, the lines it stamped "
              "then lie behind the newest log line read (" +
              rfc3339_utc(old) + "): its log is read again from " + rfc3339_utc(from) +
              " (clock_step_window), and lines it stamped before " + rfc3339_utc(from) +
              " while its clock was behind may be missed. Set the array's clock right (NTP).");
    co_return cp;
  }
  std::string message = "The clock of " + name + " was set back by about " + std::to_string(step) +
                        " s: the lines it stamps may lie before the " + "newest log line read (" +
                        rfc3339_utc(old) + "). Its log is read " + "again from " +
                        rfc3339_utc(from) + ", so the lines it stamps from now on are collected";
  message += exact_from <= from
                 ? "; the lines read before are recognised and none is forwarded twice."
                 : "; lines stamped between " + rfc3339_utc(from) + " and " +
                       rfc3339_utc(std::min(exact_from, old)) +
                       " that were read before may be forwarded again, with the same ids "
                       "(the agent keeps their record for clock_step_window only).";
  raise("array_clock_behind", severity::warning, message + " Set the array's clock right (NTP).");
  co_return cp;
}

// The array stamps its lines by its own clock; a SIEM sorts them by ours. A steady difference
// is worth one warning (a single answer can be late, so it must last a few cycles).
void log_poller::watch_clock_skew() {
  constexpr std::int64_t skew_tolerance_s = 120;
  constexpr int steady_after_cycles = 3;
  const auto array_now = array_.array_now();
  if (!array_now) {
    return;
  }
  const auto skew = *array_now - unix_now();
  const auto& name = array_.device_name();
  if (std::abs(skew) <= skew_tolerance_s) {
    clock_skew_cycles_ = 0;
    if (std::exchange(clock_skew_reported_, false)) {
      raise("array_clock_skew_cleared", severity::notice,
            "The clock of " + name + " agrees with ours again (within " +
                std::to_string(skew_tolerance_s) + " s)");
    }
    return;
  }
  if (++clock_skew_cycles_ >= steady_after_cycles && !std::exchange(clock_skew_reported_, true)) {
    raise("array_clock_skew", severity::warning,
          "The clock of " + name + " is " + std::to_string(std::abs(skew)) + " s " +
              (skew > 0 ? "ahead of" : "behind") +
              " ours: its log lines carry its time, not ours. Set its clock right (NTP).");
  }
}

void log_poller::watch_lines_ahead(std::int64_t ahead, std::int64_t newest) {
  counters_.lines_ahead += static_cast<std::uint64_t>(ahead);
  const auto& name = array_.device_name();
  if (ahead > 0 && !std::exchange(ahead_reported_, true)) {
    const auto now = array_.array_now();
    raise("array_clock_ahead", severity::warning,
          std::to_string(ahead) + " log lines of " + name + " are stamped ahead of " +
              (now ? "its own clock (" + rfc3339_utc(*now) + ")" : std::string("our clock")) +
              ", the newest at " + rfc3339_utc(newest) +
              ": they are forwarded as stamped, and collection goes on from the array's "
              "present. Was its clock set wrong when they were written?");
  } else if (ahead == 0 && std::exchange(ahead_reported_, false)) {
    raise("array_clock_ahead_cleared", severity::notice,
          "No log line of " + name + " is stamped ahead of its clock any more");
  }
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
