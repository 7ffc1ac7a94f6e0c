#include "agent/logs/ascending_pages.hpp"
#include "agent/logs/log_poller.hpp"
#include "agent/logs/result_order.hpp"

namespace qsanfwd::logs {
namespace asio = boost::asio;

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

}  // namespace qsanfwd::logs
