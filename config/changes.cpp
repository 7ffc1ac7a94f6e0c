#include "config/changes.hpp"

#include <map>
#include <string_view>

namespace qsanfwd::config {
namespace {

/// The effective block `i` of the list `key`, or null.
const nlohmann::ordered_json& effective_block(const agent_config& c, const char* key,
                                              std::size_t i) {
  static const nlohmann::ordered_json none;
  if (!c.effective.contains(key) || i >= c.effective.at(key).size()) {
    return none;
  }
  return c.effective.at(key).at(i);
}

/// Compares the blocks of `list` (with their effective blocks, `effective[key]`) by name.
template <typename Block>
block_changes compare_blocks(const agent_config& before, const agent_config& after,
                             std::vector<Block> agent_config::*list, const char* key) {
  const auto& old_blocks = before.*list;
  const auto& new_blocks = after.*list;
  std::map<std::string_view, std::size_t> old_index;
  for (std::size_t i = 0; i < old_blocks.size(); ++i) {
    old_index.emplace(old_blocks[i].name, i);
  }
  block_changes changes;
  for (std::size_t j = 0; j < new_blocks.size(); ++j) {
    const auto& b = new_blocks[j];
    const auto it = old_index.find(b.name);
    if (it == old_index.end()) {
      changes.added.push_back(b.name);
      continue;
    }
    const auto& a = old_blocks[it->second];
    if (effective_block(before, key, it->second) != effective_block(after, key, j) ||
        a.secrets != b.secrets) {
      changes.changed.push_back(b.name);
    }
    old_index.erase(it);
  }
  for (const auto& [name, i] : old_index) {
    changes.removed.emplace_back(name);
  }
  return changes;
}

}  // namespace

block_changes device_changes(const agent_config& before, const agent_config& after) {
  return compare_blocks(before, after, &agent_config::devices, "devices");
}

block_changes sink_changes(const agent_config& before, const agent_config& after) {
  return compare_blocks(before, after, &agent_config::sinks, "sinks");
}

bool only_devices_and_sinks_differ(const agent_config& a, const agent_config& b) {
  auto rest_of = [](nlohmann::ordered_json effective) {
    for (const char* key : {"devices", "devices_dir", "inventory", "shard", "sinks"}) {
      effective.erase(key);
    }
    return effective;
  };
  return rest_of(a.effective) == rest_of(b.effective);
}

}  // namespace qsanfwd::config
