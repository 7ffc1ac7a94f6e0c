#pragma once

// What the files that define log_poller's members share; nothing outside them includes this.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <optional>

#include "agent/core/result.hpp"
#include "agent/device/model.hpp"

namespace qsanfwd::logs {

/// Newest first, a burst of new lines can push a whole page over to the next, now and then:
/// pages in a row that bring no line not read before, beyond this, are an array paging without end.
inline constexpr int max_pages_without_news = 8;

/// A page requested before the page before it is stored: the array prepares the next page
/// while the agent stores this one, instead of each waiting for the other.
struct page_request {
  explicit page_request(const boost::asio::any_io_executor& ex)
      : done(ex, boost::asio::steady_timer::time_point::max()) {}
  std::optional<result<device::log_page>> answer;
  boost::asio::steady_timer done;  ///< cancelled once `answer` is set
};

/// The answer of a prefetched page: awaited before anything else uses the client, whose one
/// connection serves one request at a time.
boost::asio::awaitable<result<device::log_page>> answer_of(page_request& request);

}  // namespace qsanfwd::logs
