#include "tests/support/scripted_array.hpp"

#include <algorithm>

namespace qsanfwd::test {

scripted_array::scripted_array(std::string name, bool newest_first, bool inclusive,
                               std::int64_t clock)
    : name_(std::move(name)),
      newest_first_(newest_first),
      inclusive_(inclusive),
      clock_(clock),
      latest_clock_(clock) {}

void scripted_array::write(device::log_entry line) {
  const auto serial = next_serial_++;
  const auto t = line.timestamp;
  history_.push_back(model_line{std::move(line), serial, true, false, latest_clock_ - t,
                                latest_clock_ > clock_, 0});
  // After every line of its second already there: the log stays sorted by time.
  const auto at = std::upper_bound(log_.begin(), log_.end(), t, [&](std::int64_t ts, auto s) {
    return ts < history_[s].entry.timestamp;
  });
  log_.insert(at, serial);
}

void scripted_array::write_late(device::log_entry line, std::int64_t late) {
  line.timestamp = clock_ - late;
  for (const auto& l : history_) {
    if (l.entry.timestamp <= clock_ && l.entry.timestamp > line.timestamp) {
      line.timestamp = clock_;
      break;
    }
  }
  write(std::move(line));
}

void scripted_array::drop_oldest(std::size_t n) {
  n = std::min(n, log_.size());
  for (std::size_t i = 0; i < n; ++i) {
    history_[log_[i]].held = false;
  }
  log_.erase(log_.begin(), log_.begin() + static_cast<std::ptrdiff_t>(n));
}

void scripted_array::mark_clean_poll(std::uint64_t serial_at_begin) {
  for (const auto s : log_) {
    if (s < serial_at_begin) {
      history_[s].seen_by_clean_poll = true;
      history_[s].seen_until = next_serial_;
    }
  }
}

boost::asio::awaitable<result<device::log_page>> scripted_array::log_list(
    const device::log_query& q) {
  const auto call = ++calls_;
  // Lines written between the previous request and this one.
  if (!inflows.empty()) {
    for (auto& f : inflows) {
      --f.at_call;
    }
    while (!inflows.empty() && inflows.front().at_call <= 0) {
      for (auto& l : inflows.front().lines) {
        write_late(std::move(l), inflows.front().late);
      }
      inflows.pop_front();
    }
  }
  if (mis.any()) {
    last_unclean_call_ = call;
  }
  if (std::find(fail_calls.begin(), fail_calls.end(), call) != fail_calls.end()) {
    last_unclean_call_ = call;
    co_return failure{"/rest/v1/log/list: scripted failure (HTTP 503)"};
  }
  if (q.page_size < 1 || q.page_number < 1) {
    co_return failure{"/rest/v1/log/list: HTTP 400 (parameter error)"};
  }
  std::vector<std::uint64_t> listing;
  for (const auto s : log_) {
    const auto t = history_[s].entry.timestamp;
    if (mis.ignore_start_time || (inclusive_ ? t >= q.start_time : t > q.start_time)) {
      listing.push_back(s);
    }
  }
  if (newest_first_) {
    std::reverse(listing.begin(), listing.end());
  }
  const auto size = static_cast<std::size_t>(q.page_size);
  const auto page = mis.ignore_page_number ? 1u : static_cast<std::size_t>(q.page_number);
  device::log_page out;
  const auto begin = std::min(listing.size(), (page - 1) * size);
  const auto end = std::min(listing.size(), begin + size);
  for (auto i = begin; i < end; ++i) {
    out.logs.push_back(history_[listing[i]].entry);
  }
  const auto honest = static_cast<std::int64_t>(listing.size());
  out.have_next_page = mis.always_next || end < listing.size();
  out.total_given = true;
  switch (mis.total) {
    case total_mode::honest:
      out.total = honest;
      break;
    case total_mode::missing:
      // As the parser reads a page without `total`.
      out.total = static_cast<std::int64_t>(out.logs.size());
      out.total_given = false;
      break;
    case total_mode::constant:
      out.total = 5;
      break;
    case total_mode::too_high:
      out.total = honest + 3;
      break;
    case total_mode::too_low:
      out.total = std::max<std::int64_t>(0, honest - 3);
      break;
  }
  co_return out;
}

}  // namespace qsanfwd::test
