#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agent/store/state_store.hpp"

namespace qsanfwd::logs {

/// A range of an array's log read again for one sink (`qsanfwd replay --from T1 --to T2`), as
/// the state store keeps it: asked for, its progress (kept with the pages it queues, so exact
/// across a kill), and how it ended.
struct replay {
  std::int64_t id = 0;
  std::string device;
  std::string sink;
  std::int64_t from = 0;  ///< unix seconds, both ends included
  std::int64_t to = 0;
  std::int64_t asked_at = 0;
  std::string state;  ///< running, done or failed
  std::int64_t queued = 0;
  std::optional<std::int64_t> reached;  ///< the second its reading reached
  std::optional<std::int64_t> finished_at;
  std::string last_error;

  /// Where its reading position and marks are kept (log_state): no device name has a "/".
  std::string state_key() const { return device + "/replay-" + std::to_string(id); }
};

/// The `replays` table. Not thread-safe: one connection, one thread, as state_store.
class replay_book {
 public:
  explicit replay_book(state_store& store) : store_(store) {}

  /// Records a new running replay; returns it.
  replay add(const std::string& device, const std::string& sink, std::int64_t from,
             std::int64_t to, std::int64_t now);
  /// Every replay kept (the running ones and the last 100 finished), oldest first.
  std::vector<replay> all();
  std::vector<replay> running();
  /// Adds a page's lines to replay `id`, inside the caller's transaction (the page's).
  static void count_page(state_store& store, std::int64_t id, std::int64_t queued,
                         std::int64_t reached);
  /// Why its last read failed (it goes on trying).
  void note_error(std::int64_t id, const std::string& why);
  /// Ends replay `r` as done (`why` empty) or failed, and forgets its reading position; returns
  /// the lines it queued in all.
  std::int64_t finish(const replay& r, std::int64_t now, const std::string& why = {});

 private:
  state_store& store_;
};

}  // namespace qsanfwd::logs
