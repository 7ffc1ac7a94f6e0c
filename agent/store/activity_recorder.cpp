#include "agent/store/activity_recorder.hpp"

#include "agent/store/device_activity.hpp"
#include "agent/store/sqlite.hpp"

namespace qsanfwd {

void activity_recorder::success(const std::string& device, std::string_view activity,
                                std::int64_t at) {
  auto& p = pending_[{device, std::string(activity)}];
  if (p.after) {
    p.before_success = std::move(p.after);
  }
  p.success_at = at;
  p.after.reset();
  p.failures_after = 0;
}

void activity_recorder::failure(const std::string& device, std::string_view activity,
                                std::int64_t at, std::string error) {
  auto& p = pending_[{device, std::string(activity)}];
  p.after = failure_note{at, std::move(error)};
  ++p.failures_after;
}

void activity_recorder::count(const std::string& device, std::string_view activity,
                              std::int64_t at, std::int64_t count, std::string note) {
  auto& p = pending_[{device, std::string(activity)}];
  p.counted += count;
  p.counted_at = at;
  p.note = std::move(note);
}

void activity_recorder::flush() {
  if (pending_.empty()) {
    return;
  }
  auto tx = store_.begin();
  for (const auto& [key, p] : pending_) {
    const auto& [device, activity] = key;
    if (p.before_success) {
      record_poll_failure(store_, device, activity, p.before_success->at, p.before_success->error);
    }
    if (p.success_at) {
      record_poll_success(store_, device, activity, *p.success_at);
    }
    for (int i = 0; i < p.failures_after; ++i) {
      record_poll_failure(store_, device, activity, p.after->at, p.after->error);
    }
    if (p.counted > 0) {
      record_poll_count(store_, device, activity, p.counted_at, p.counted, p.note);
    }
  }
  // Poll times only: a power cut may roll the last ones back.
  tx.commit(sqlite::durability::deferred);
  pending_.clear();
}

}  // namespace qsanfwd
