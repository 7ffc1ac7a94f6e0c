#pragma once

#include <spdlog/logger.h>

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "agent/device/log_reader.hpp"
#include "agent/logs/ascending_pages.hpp"
#include "agent/logs/checkpoint_recount.hpp"
#include "agent/logs/line_dedup.hpp"
#include "agent/logs/log_state.hpp"
#include "agent/store/event_queue.hpp"
#include "agent/store/write_thread.hpp"
#include "config/config.hpp"

namespace qsanfwd::logs {

struct page_request;

/// Counters for status and metrics.
struct poller_counters {
  std::uint64_t cycles = 0;
  std::uint64_t pages = 0;
  std::uint64_t lines_read = 0;
  std::uint64_t lines_queued = 0;
  std::uint64_t duplicates_dropped = 0;
  std::uint64_t failed_cycles = 0;
  std::int64_t last_success_unix = 0;
  /// Lines stamped before the `startTime` asked for (an array that ignores it), dropped.
  std::uint64_t lines_before_start = 0;
  /// Lines stamped ahead of the array's own clock: forwarded, never moving the checkpoint.
  std::uint64_t lines_ahead = 0;
  /// Times the array no longer held lines already read at the checkpoint (`logs_gap`).
  std::uint64_t gaps = 0;
};

/// How a drain is going, for the progress display.
struct progress {
  std::string device;
  std::int64_t read = 0;
  std::int64_t total = 0;
  double lines_per_second = 0;
  bool done = false;
};

/// What the poller needs from the rest of the agent.
struct poller_hooks {
  std::function<void()> appended;  ///< after each commit that queued events
  std::function<boost::asio::awaitable<void>()>
      wait_for_room;                                 ///< before each page (queue full: block)
  std::function<void(const progress&)> on_progress;  ///< during a multi-page cycle
  std::function<void(event)> agent_event;            ///< stuck / resumed
  /// The `logs_gap` event, also kept where `qsanfwd status` finds it.
  std::function<void(const event&)> log_gap;
  /// Between two pages of a cycle, while no request is out: the client's connection is free
  /// for a turn of the caller's (a due health poll), so a long backlog does not hold it off.
  std::function<boost::asio::awaitable<void>()> between_pages;
  /// Our clock, to measure the array's against (tests run time on; default steady_clock).
  std::function<std::chrono::steady_clock::time_point()> steady_now;
};

/// Whom a poller reads for: the device's live reader (the default), or a replay of a range of
/// its log for one sink (`qsanfwd replay --from`), which keeps a reading position of its own
/// and never moves the live one.
struct poller_role {
  /// Where its position and marks are kept (log_state's key); empty: the device's name.
  std::string state_key;
  /// The one sink its events are for; empty: every sink.
  std::string sink;
  /// Lines stamped after this second are not its to queue.
  std::optional<std::int64_t> until;
  /// On the writer's thread, inside each page's transaction: the lines the page queued and the
  /// second its position reached, kept with them (a replay's progress).
  std::function<void(state_store&, std::int64_t queued, std::int64_t reached)> page_stored;
};

/// Reads a device's log from its checkpoint and queues each line exactly once.
///
/// A cycle asks for the lines from one second before the checkpoint (right under both
/// readings of `startTime`) and drops what is already queued by counting sightings per
/// (second, type, message) against the dedup marks. It reads the listing from its oldest line
/// to its newest, by the positions `total` gives, in either result order (ascending_pages), so
/// the checkpoint follows each page: each page's new lines, their marks and the checkpoint move
/// commit in one transaction, and a SIGKILL at any instant loses at most the reading of one
/// page, and neither loses nor duplicates a line. An array without a usable `total` is read
/// in one answer of up to 10,000 lines (one snapshot of its log); a longer listing page by page
/// from page 1 on, finding the lines that inflow pushes over by content, its checkpoint moving
/// when the cycle ends (newest first). Pages are stored on `writer` while the next one
/// is received; `store` (the caller's connection) is only read.
///
/// Its members are defined in one file per part, each short enough to read at a sitting:
/// log_poller.cpp (the cycle), _order (the result order), _by_position, _by_content, _pages
/// (asking for pages and storing them) and _clock (the array's clock).
class log_poller {
 public:
  log_poller(device::log_reader& array, state_store& store, write_thread& writer,
             config::log_options options, poller_hooks hooks, poller_role role = {});

  /// One read cycle. A failure leaves the checkpoint where it was; the next cycle re-reads the
  /// failing page (nothing is ever skipped).
  boost::asio::awaitable<result<std::int64_t>> poll_once();

  /// Model and serial of the array, added to each event once known.
  void set_identity(std::string model, std::string serial);

  const poller_counters& counters() const { return counters_; }
  std::optional<checkpoint> current_checkpoint() { return state_.load(); }

 private:
  boost::asio::awaitable<result<checkpoint>> initial_checkpoint();
  boost::asio::awaitable<result<std::optional<bool>>> detect_order();
  boost::asio::awaitable<result<std::int64_t>> newest_timestamp(bool newest_first);
  /// One read of the listing, and what it leaves for the rest of the cycle's work.
  struct cycle {
    checkpoint cp;
    bool priming = false;
    std::int64_t id = 0;
    std::int64_t start = 0;              ///< the startTime asked for
    std::int64_t floor = 0;              ///< lines before it are never wanted
    std::int64_t checkpoint_second = 0;  ///< the checkpoint when the cycle began
    checkpoint_recount recount;
    line_dedup dedup;
    std::chrono::steady_clock::time_point began;
    std::optional<std::int64_t> oldest_after;  ///< the oldest line after the checkpoint second
    std::int64_t max_seen = 0;                 ///< the newest second read, up to the horizon
    std::int64_t queued = 0;
    std::int64_t read = 0;
    std::int64_t before_start = 0;
    std::int64_t ahead = 0;
    std::int64_t newest_ahead = 0;
    int requests = 0;
    /// Lines fewer in the listing than the last cycle's from the same start or later.
    std::int64_t shrank_by = 0;
    bool listing_watched = false;
    bool clock_checked = false;  ///< from then on each answer's Date is the next reference
    /// Every line of the listing sighted once (read by position, or whole in one answer), so
    /// a recount is exact.
    bool every_line_once = true;
  };
  /// What a read by position leaves to do: nothing, or the cycle read again by content (the
  /// array's totals cannot be trusted, or its pages cannot tell identical lines from a repeat)
  /// or from further back (the array's clock went back since the last cycle).
  struct read_end {
    enum class then { done, by_content, rewind } next = then::done;
    std::int64_t rewind_from = 0;
    std::int64_t rewind_upto = 0;
  };
  boost::asio::awaitable<result<std::int64_t>> read_cycle(checkpoint cp, bool priming);
  cycle begin_cycle(checkpoint cp, bool priming);
  boost::asio::awaitable<result<read_end>> read_by_position(cycle& c);
  /// What page 1 says before the listing is read by position: read again from further back
  /// (the array's clock went back), read by content (no usable total, or no order to tell),
  /// or none: read on by position.
  boost::asio::awaitable<result<std::optional<read_end>>> read_page_one(
      cycle& c, const device::log_page& first, std::int64_t page_size);
  /// The read by position given up for one by content, after `got` (pages that contradict
  /// their total, or cannot tell identical lines from a repeat); waits for `next` first.
  boost::asio::awaitable<read_end> leave_positions(const ascending_pages::outcome& got,
                                                   const std::shared_ptr<page_request>& next);
  /// The end of a read by position; an end that an answer's haveNextPage contradicted holds
  /// only when the page after it comes back empty (else the cycle is read by content).
  boost::asio::awaitable<result<read_end>> confirm_end(cycle& c, const ascending_pages& pages,
                                                       std::int64_t horizon);
  /// The whole listing in one answer when it fits one, else page by page, finding the lines
  /// that inflow pushes over by content.
  boost::asio::awaitable<result<read_end>> read_by_content(cycle& c);
  /// The listing in one answer (one snapshot of the log, which no paging misbehaviour can
  /// spoil), when it fits one; none when it does not.
  boost::asio::awaitable<result<std::optional<device::log_page>>> fetch_whole(cycle& c);
  /// Says once, until the listing comes in one answer again, that it is read page by page by
  /// content (`why`): identical lines at a page boundary and lines pushed over look alike there.
  void report_inexact(const std::string& why);
  /// The order of a listing whose page 1 is all one second, told by its last page; true when
  /// it cannot be told (that is all of the same second too, or the log changed while probed).
  boost::asio::awaitable<result<bool>> learn_order(cycle& c, const device::log_page& first,
                                                   std::int64_t page_size);
  boost::asio::awaitable<result<device::log_page>> fetch(cycle& c, int page,
                                                         std::int64_t page_size);
  /// Asks for `page` now; its answer is taken by next_answer() after the page before is stored.
  boost::asio::awaitable<std::shared_ptr<page_request>> prefetch(cycle& c, int page,
                                                                 std::int64_t page_size);
  boost::asio::awaitable<result<device::log_page>> next_answer(cycle& c,
                                                               std::shared_ptr<page_request>& next,
                                                               int page, std::int64_t page_size);
  /// take() while `next` is out; a failure waits for its answer before it goes on.
  boost::asio::awaitable<void> take_beside(cycle& c, std::span<const device::log_entry> lines,
                                           bool move_checkpoint, std::int64_t horizon,
                                           const std::shared_ptr<page_request>& next);
  /// Queues the lines of a page not queued before, moving the checkpoint when asked.
  boost::asio::awaitable<void> take(cycle& c, std::span<const device::log_entry> lines,
                                    bool move_checkpoint, std::int64_t horizon);
  void count_lines(cycle& c, std::span<const device::log_entry> lines, std::int64_t horizon);
  void report_progress(const cycle& c, std::int64_t total, bool done);
  boost::asio::awaitable<void> finish_cycle(cycle& c);
  /// The last second the array's clock has reached, with a tolerance for clocks a few seconds
  /// apart; lines after it are stamped in the array's future.
  std::int64_t horizon() const;
  /// What storing a page did.
  struct page_stored {
    std::int64_t queued = 0;
    std::uint64_t duplicates = 0;
  };
  /// A page's lines not queued before, encoded for `queue`, and what `dedup` learnt of them.
  struct fresh_lines {
    encoded_events events;
    std::optional<page_record> record;  ///< none when no line is at or after the floor
    std::vector<queued_line> recent;    ///< for the recent-lines record
    page_stored counts;
  };
  /// Sorts out the lines of a page not queued before (none are queued while priming), on the
  /// writer's thread and before the page's transaction: the marks it reads are written by this
  /// poller alone, one page after another.
  fresh_lines sort_out(log_state& state, event_queue& queue,
                       std::span<const device::log_entry> lines, std::int64_t floor,
                       std::int64_t horizon, bool priming, line_dedup& dedup) const;
  /// Where to read from when the array's clock went back since the last cycle, by the Date of
  /// the answer just received (read_again_from); none when no line can have been stamped
  /// before the checkpoint.
  std::optional<std::int64_t> clock_went_back(std::int64_t read_upto) const;
  std::chrono::steady_clock::time_point steady_now() const;
  void note_clock(const cycle& c);
  boost::asio::awaitable<checkpoint> rewind(checkpoint cp, std::int64_t from, std::int64_t old);
  void watch_clock_skew();
  void watch_lines_ahead(std::int64_t ahead, std::int64_t newest);
  void watch_start_time(std::int64_t before_start, std::int64_t start);
  /// `lines` the array no longer holds from `from` on; `upto` none when they may lie anywhere
  /// after it.
  void report_gap(std::int64_t from, std::int64_t lines, std::optional<std::int64_t> upto);
  /// Notes an answer's total: a listing from the same start or an earlier one never holds fewer
  /// lines than an earlier cycle saw unless the array dropped some.
  void watch_listing(cycle& c, std::int64_t total);
  void note_failure(int page, const std::string& why);
  void note_success();
  event raise(std::string type, severity level, std::string message);

  device::log_reader& array_;
  write_thread& writer_;
  poller_role role_;
  log_state state_;
  config::log_options options_;
  poller_hooks hooks_;
  std::shared_ptr<spdlog::logger> log_;
  std::string model_;
  std::string serial_;
  poller_counters counters_;
  int consecutive_failures_ = 0;
  bool stuck_reported_ = false;
  bool clock_skew_reported_ = false;
  int clock_skew_cycles_ = 0;  ///< cycles in a row that saw the array's clock off ours
  bool ahead_reported_ = false;
  bool start_time_warned_ = false;
  bool untrustworthy_warned_ = false;
  /// Cycles in a row whose listing, read by content, failed to come in one answer.
  int whole_answer_failures_ = 0;
  bool inexact_reported_ = false;  ///< logs_inexact told since the listing last came whole
  std::int64_t last_cycle_id_ = 0;
  /// The array's clock when the last cycle ended, and ours.
  struct clock_reading {
    std::chrono::steady_clock::time_point at;
    std::int64_t array = 0;
  };
  std::optional<clock_reading> clock_seen_;
  struct listing {
    std::int64_t start = 0;
    std::int64_t total = 0;
  };
  std::optional<listing> last_listing_;
};

}  // namespace qsanfwd::logs
