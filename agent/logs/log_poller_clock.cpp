#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>

#include "agent/core/time.hpp"
#include "agent/logs/clock_step.hpp"
#include "agent/logs/log_poller.hpp"

namespace qsanfwd::logs {
namespace asio = boost::asio;

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
    log_state state(store, state_.key());
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

}  // namespace qsanfwd::logs
