#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "agent/health/snapshot.hpp"
#include "agent/store/state_store.hpp"

namespace qsanfwd::health {

/// A device's last health snapshot in the state store. Callers wrap save() in a transaction
/// together with the queue appends of the events it produced.
class health_state {
 public:
  health_state(state_store& store, std::string device)
      : store_(store), device_(std::move(device)) {}

  /// The last snapshot saved and how many were (a count ids can tell polls apart by); nullopt
  /// when the device was never polled (the first run). Throws std::invalid_argument for a row
  /// this version cannot read.
  struct saved {
    snapshot readings;
    std::int64_t saves = 0;
  };
  std::optional<saved> load();
  /// Replaces the snapshot, records the poll's time and counts the save.
  void save(const snapshot& s, std::int64_t polled_at);

 private:
  state_store& store_;
  std::string device_;
};

}  // namespace qsanfwd::health
