#pragma once

#include <string>
#include <vector>

#include "config/config.hpp"

namespace qsanfwd::config {

/// What a reload changes in a list of named blocks (the devices, the sinks), by name.
struct block_changes {
  std::vector<std::string> added;
  std::vector<std::string> removed;
  std::vector<std::string> changed;

  bool empty() const { return added.empty() && removed.empty() && changed.empty(); }
};

/// The devices `after` adds to, removes from and changes in `before`. A device has changed when
/// its effective settings or one of its secrets differ: the effective configuration shows each
/// secret as "***", so a new password would pass unseen there.
block_changes device_changes(const agent_config& before, const agent_config& after);

/// The same for the sinks. The devices' `fields`, which every sink adds to their events, are
/// not a sink's settings: a reload hands them to the running sinks.
block_changes sink_changes(const agent_config& before, const agent_config& after);

/// Whether `a` and `b` differ in their devices and sinks alone (with where the devices come from
/// and the shard): a reload of such a change is applied to those devices and sinks, the rest
/// running on.
bool only_devices_and_sinks_differ(const agent_config& a, const agent_config& b);

}  // namespace qsanfwd::config
