#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "agent/logs/ascending_pages.hpp"
#include "agent/logs/log_poller.hpp"
#include "agent/logs/log_poller_parts.hpp"
#include "agent/logs/result_order.hpp"

namespace qsanfwd::logs {
namespace asio = boost::asio;

asio::awaitable<result<log_poller::read_end>> log_poller::read_by_position(cycle& c) {
  const auto page_size = static_cast<std::int64_t>(options_.page_size);
  auto answer = co_await fetch(c, 1, page_size);
  if (!answer) {
    co_return answer.error();
  }
  auto said = co_await read_page_one(c, *answer, page_size);
  if (!said) {
    co_return said.error();
  }
  if (*said) {
    co_return **said;
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
      co_return co_await leave_positions(got, next);
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
    if (!following) {
      co_return co_await confirm_end(c, pages, ahead_of);
    }
    page = *following;
    answer = co_await next_answer(c, next, page, page_size);
    if (!answer) {
      co_return answer.error();
    }
  }
}

asio::awaitable<result<std::optional<log_poller::read_end>>> log_poller::read_page_one(
    cycle& c, const device::log_page& first, std::int64_t page_size) {
  watch_clock_skew();
  c.clock_checked = true;
  // Read whole up to the checkpoint, or further by a cycle that failed before it moved.
  const auto read_upto = std::max(c.cp.start_time, c.dedup.newest_covered().value_or(0));
  if (const auto from = clock_went_back(read_upto); from && !c.priming) {
    co_return std::optional(
        read_end{.next = read_end::then::rewind, .rewind_from = *from, .rewind_upto = read_upto});
  }
  if (!first.total_given) {
    co_return std::optional(read_end{read_end::then::by_content});
  }
  // Before the order probe, which may fail: lines a failed cycle never read are missed too
  // when they go.
  watch_listing(c, first.total);
  if (!c.cp.newest_first) {
    c.cp.newest_first = order_shown_by(first.logs);
  }
  if (!c.cp.newest_first && std::cmp_greater(first.total, first.logs.size()) &&
      !first.logs.empty()) {
    auto learnt = co_await learn_order(c, first, page_size);
    if (!learnt) {
      co_return learnt.error();
    }
    // A listing all of one second has no order to tell, nor one that changed while probed:
    // read whole, in one answer.
    if (*learnt) {
      co_return std::optional(read_end{read_end::then::by_content});
    }
  }
  co_return std::optional<read_end>{};
}

asio::awaitable<log_poller::read_end> log_poller::leave_positions(
    const ascending_pages::outcome& got, const std::shared_ptr<page_request>& next) {
  if (next) {
    co_await answer_of(*next);
  }
  log_->debug("{}: its log is read by content from page 1 on this cycle: {}",
              array_.device_name(), got.why);
  if (got.what == ascending_pages::verdict::untrustworthy &&
      !std::exchange(untrustworthy_warned_, true)) {
    log_->warn(
        "{}: the array's log pages contradict its total ({}): it is read from page 1 "
        "on by content, and its checkpoint moves only when a cycle ends",
        array_.device_name(), got.why);
  }
  co_return read_end{read_end::then::by_content};
}

asio::awaitable<result<log_poller::read_end>> log_poller::confirm_end(cycle& c,
                                                                      const ascending_pages& pages,
                                                                      std::int64_t horizon) {
  if (pages.end_unconfirmed()) {
    auto after = co_await fetch(c, pages.page_after_end(), options_.page_size);
    if (!after) {
      co_return after.error();
    }
    if (!after->logs.empty()) {
      co_return read_end{read_end::then::by_content};
    }
    co_await take(c, {}, true, horizon);
  }
  co_return read_end{};
}

}  // namespace qsanfwd::logs
