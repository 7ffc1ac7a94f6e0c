#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "agent/device/log_reader.hpp"

namespace qsanfwd::test {

/// A line of the scripted array's log, with what the oracle needs to know of it.
struct model_line {
  device::log_entry entry;
  std::uint64_t serial = 0;         ///< unique per line, in the order written
  bool held = true;                 ///< still in the array's log
  bool seen_by_clean_poll = false;  ///< held throughout a poll with every misbehaviour off
  std::int64_t behind = 0;       ///< seconds its stamp lies behind the latest clock the array had
  bool clock_set_back = false;   ///< written while the clock was behind the latest it had
  std::uint64_t seen_until = 0;  ///< next_serial() when the last clean poll that saw it ended
};

/// What `total` says.
enum class total_mode : std::uint8_t { honest, missing, constant, too_high, too_low };

/// Misbehaviours the script switches on and off; all off is an honest array.
struct misbehaviour {
  bool ignore_page_number = false;  ///< every page is page 1
  bool always_next = false;         ///< haveNextPage is always true
  bool ignore_start_time = false;   ///< the whole log, whatever startTime says
  total_mode total = total_mode::honest;
  bool any() const {
    return ignore_page_number || always_next || ignore_start_time || total != total_mode::honest;
  }
};

/// Lines written while a poll is under way: before answering the `at_call`-th request of it,
/// stamped `late` seconds before the array's clock at that moment.
struct inflow {
  int at_call = 1;
  std::int64_t late = 0;
  std::vector<device::log_entry> lines;
};

/// A `device::log_reader` over an in-memory log sorted by timestamp (identical genuine lines
/// allowed), answering `log_list` honestly unless a misbehaviour is on. Everything it was asked
/// and everything it dropped stays on record for the oracle.
class scripted_array : public device::log_reader {
 public:
  scripted_array(std::string name, bool newest_first, bool inclusive, std::int64_t clock);

  boost::asio::awaitable<result<device::log_page>> log_list(const device::log_query& q) override;
  std::optional<std::int64_t> array_now() const override { return clock_; }
  bool answering() const override { return true; }
  const std::string& device_name() const override { return name_; }
  const std::string& device_host() const override { return host_; }

  /// Writes a line stamped `timestamp` (after the lines of its second already there).
  void write(device::log_entry line);
  /// Writes a line stamped `late` seconds before the array's clock, as a logger that stamps a
  /// line and writes it a moment later does; but never before a line already written up to the
  /// clock (the log is written in time order: the API notes promise nothing for a line that
  /// lands before the newest one), then it is stamped with the clock.
  void write_late(device::log_entry line, std::int64_t late);
  /// The ring drops its `n` oldest lines; clear() drops them all.
  void drop_oldest(std::size_t n);
  void clear() { drop_oldest(log_.size()); }
  void set_clock(std::int64_t t) {
    clock_ = t;
    latest_clock_ = std::max(latest_clock_, t);
  }
  std::int64_t clock() const { return clock_; }
  /// The newest stamp the log holds (INT64_MIN when empty).
  std::int64_t newest_held() const {
    return log_.empty() ? std::numeric_limits<std::int64_t>::min()
                        : history_[log_.back()].entry.timestamp;
  }

  misbehaviour mis;
  /// One-shot failures: the request numbers (counted from 1 over the array's life) that fail.
  std::vector<std::uint64_t> fail_calls;
  /// Lines written during the next poll, consumed as its requests come.
  std::deque<inflow> inflows;

  /// Calls answered so far (failed ones included).
  std::uint64_t calls() const { return calls_; }
  /// Whether any request since `call` failed or met a misbehaviour.
  bool clean_since(std::uint64_t call) const { return last_unclean_call_ <= call; }
  /// Marks every line held now and at `begin` (all of the current log whose serial is below
  /// `serial_at_begin` and that was not dropped) as seen by a clean poll.
  void mark_clean_poll(std::uint64_t serial_at_begin);
  std::uint64_t next_serial() const { return next_serial_; }

  /// Every line ever written, in writing order (index = serial).
  const std::vector<model_line>& history() const { return history_; }

 private:
  std::string name_;
  std::string host_ = "192.0.2.1";
  bool newest_first_;
  bool inclusive_;
  std::int64_t clock_;
  std::int64_t latest_clock_;
  std::vector<std::uint64_t> log_;  ///< serials, sorted by timestamp, oldest first
  std::vector<model_line> history_;
  std::uint64_t next_serial_ = 0;
  std::uint64_t calls_ = 0;
  std::uint64_t last_unclean_call_ = 0;
};

}  // namespace qsanfwd::test
