#pragma once

#include <cstdint>

#include "agent/store/sqlite.hpp"

namespace qsanfwd::pipeline {

/// How far the queue survives a power cut, for the dispatcher: sinks read only that far.
///
/// Appends commit with durability::deferred, so a power cut may roll back the newest of them;
/// their pages are then fetched again with their checkpoint, which is harmless only while no
/// sink has seen them. One WAL sync covers every commit before it, so the dispatcher syncs once
/// per read, and only when events were counted since the last sync.
class durability_sync {
 public:
  explicit durability_sync(sqlite::database& db) : db_(db) {}

  /// Events through `seq` are known to be on disk (committed with durability::synced).
  void synced_through(std::int64_t seq) { durable_ = seq; }

  /// Makes every event through `counted` survive a power cut, syncing the WAL unless that holds
  /// already; returns the last seq that does. `counted` must have been committed before the
  /// call. Throws store_error when the sync fails.
  std::int64_t sync_through(std::int64_t counted);

 private:
  sqlite::database& db_;
  std::int64_t durable_ = 0;
};

}  // namespace qsanfwd::pipeline
