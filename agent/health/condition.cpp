#include "agent/health/condition.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>
#include <utility>

namespace qsanfwd::health {
namespace {

// Words seen across QSAN product lines (XCubeSAN, XCubeNAS, AegisSAN) and their firmware
// generations, lower case. The array's own word always travels in the event; this table only
// decides how loud the event is.
//
// Replication tasks and their destinations: the manual lists no status words. A task at work
// (replicating, synchronizing) or at rest between scheduled runs (idle, completed) is doing
// what it was set up to do, so fine; one paused, suspended or stopped protects nothing new
// until someone acts (degraded); a lost link is failed. Any other word is unknown: not fine,
// and the event says so.
constexpr std::array<std::pair<std::string_view, condition>, 49> words{{
    {"good", condition::fine},
    {"optimal", condition::fine},
    {"online", condition::fine},
    {"normal", condition::fine},
    {"ok", condition::fine},
    {"healthy", condition::fine},
    {"present", condition::fine},
    {"active", condition::fine},
    {"ready", condition::fine},
    {"replicating", condition::fine},
    {"synchronizing", condition::fine},
    {"syncing", condition::fine},
    {"synchronized", condition::fine},
    {"idle", condition::fine},
    {"completed", condition::fine},
    {"finished", condition::fine},
    {"paused", condition::degraded},
    {"suspended", condition::degraded},
    {"stopped", condition::degraded},
    {"degraded", condition::degraded},
    {"degrade", condition::degraded},
    {"warning", condition::degraded},
    {"abnormal", condition::degraded},
    {"rebuilding", condition::degraded},
    {"rebuild", condition::degraded},
    {"recovering", condition::degraded},
    {"reconstructing", condition::degraded},
    {"initializing", condition::degraded},
    {"migrating", condition::degraded},
    {"expanding", condition::degraded},
    {"copyback", condition::degraded},
    {"non-optimal", condition::degraded},
    {"partially optimal", condition::degraded},
    {"absent", condition::degraded},
    {"failed", condition::failed},
    {"fail", condition::failed},
    {"failure", condition::failed},
    {"faulty", condition::failed},
    {"fault", condition::failed},
    {"error", condition::failed},
    {"critical", condition::failed},
    {"offline", condition::failed},
    {"missing", condition::failed},
    {"lost", condition::failed},
    {"dead", condition::failed},
    {"bad", condition::failed},
    {"not present", condition::failed},
    {"removed", condition::failed},
    {"disconnected", condition::failed},
}};

std::string normalise(std::string_view word) {
  const auto blank = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  while (!word.empty() && blank(word.front())) {
    word.remove_prefix(1);
  }
  while (!word.empty() && blank(word.back())) {
    word.remove_suffix(1);
  }
  std::string out(word);
  std::transform(out.begin(), out.end(), out.begin(), [](char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  });
  return out;
}

}  // namespace

std::string_view to_string(condition c) {
  switch (c) {
    case condition::fine:
      return "fine";
    case condition::degraded:
      return "degraded";
    case condition::failed:
      return "failed";
    case condition::unknown:
      break;
  }
  return "unknown";
}

condition condition_of(std::string_view word) {
  const auto key = normalise(word);
  const auto it =
      std::find_if(words.begin(), words.end(), [&](const auto& w) { return w.first == key; });
  return it == words.end() ? condition::unknown : it->second;
}

severity severity_of_change(std::optional<condition> previous, condition current) {
  switch (current) {
    case condition::failed:
      return severity::critical;
    case condition::degraded:
    case condition::unknown:
      return severity::warning;
    case condition::fine:
      break;
  }
  return previous && *previous != condition::fine ? severity::notice : severity::info;
}

severity severity_of_threshold(bool raised) {
  return raised ? severity::warning : severity::notice;
}

}  // namespace qsanfwd::health
