#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "agent/logs/content_pages.hpp"
#include "agent/logs/log_poller.hpp"
#include "agent/logs/log_poller_parts.hpp"
#include "agent/logs/result_order.hpp"

namespace qsanfwd::logs {
namespace asio = boost::asio;

namespace {

// A listing whose pages cannot be trusted (or cannot tell identical lines from a repeat) is
// read in one answer up to this size (the parser's cap on the items of one answer).
constexpr std::int64_t max_lines_in_one_page = 10'000;
// Cycles in a row whose answer in one piece fails before the listing is read page by page.
constexpr int whole_answer_attempts = 3;

// Whether lines read by content are listed newest first: as the cycle knows, else as they
// show. Sinks get them oldest first, in the order the array wrote them, whichever way it lists.
bool listed_newest_first(std::optional<bool> known, std::span<const device::log_entry> lines) {
  return known.value_or(order_shown_by(lines).value_or(false));
}

}  // namespace

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

void log_poller::report_inexact(const std::string& why) {
  if (std::exchange(inexact_reported_, true)) {
    return;
  }
  raise("logs_inexact", severity::warning,
        "The log of " + array_.device_name() +
            " is read page by page without a total to place its lines (" + why +
            "): two identical lines on either side of a page boundary may be forwarded as one, "
            "and lines that arrive while it is read may be forwarded twice, with new ids. Give "
            "the array's log a usable total, or raise max_response_bytes.");
}

asio::awaitable<result<log_poller::read_end>> log_poller::read_by_content(cycle& c) {
  auto whole = co_await fetch_whole(c);
  if (whole) {
    whole_answer_failures_ = 0;
  }
  if (whole && *whole) {
    inexact_reported_ = false;
    auto& logs = (*whole)->logs;
    if (listed_newest_first(c.cp.newest_first, logs)) {
      std::reverse(logs.begin(), logs.end());
    }
    co_await take(c, logs, true, horizon());
    report_progress(c, c.read, true);
    co_return read_end{};
  }
  // Page by page, a listing without positions loses or doubles lines that paging cannot tell
  // apart (identical lines at a page boundary, lines pushed past lines ahead of the clock):
  // a failed answer fails the cycle, which asks again. Only a listing too long for one answer,
  // or whose answer keeps failing (larger than max_response_bytes, most likely), is read page
  // by page, and logs_inexact says what such a read cannot tell.
  if (!whole && ++whole_answer_failures_ < whole_answer_attempts) {
    co_return whole.error();
  }
  report_inexact(whole ? "it does not come in one answer of up to " +
                             std::to_string(max_lines_in_one_page) + " lines"
                       : "its answer in one piece failed: " + whole.error().message);
  // Lines found by content may be skipped for lines pushed over that were not: no recount.
  c.every_line_once = false;
  const auto page_size = static_cast<std::int64_t>(options_.page_size);
  content_pages pages(page_size, max_pages_without_news);
  std::shared_ptr<page_request> next;
  std::vector<device::log_entry> reversed;
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
    auto fresh = got.fresh;
    if (listed_newest_first(c.cp.newest_first, fresh)) {
      reversed.assign(fresh.rbegin(), fresh.rend());
      fresh = reversed;
    }
    co_await take_beside(c, fresh, move_now, ahead_of, next);
    report_progress(c, listed, got.last);
    if (got.last) {
      co_return read_end{};
    }
  }
}

}  // namespace qsanfwd::logs
