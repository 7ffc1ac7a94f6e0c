// libFuzzer target: the health snapshot of one poll (health::flatten) from the array's answers,
// and the snapshot rows the state store keeps (health::to_json, health::reading_from_json).
//
// The input is up to nine parts separated by the byte 0x1E: /rest/v1/hardware/info,
// /rest/v1/hardware/all/info, the disk, pool and volume lists, the previous snapshot as lines
// `component TAB component_id TAB attribute TAB reading-json`, then the iSCSI session list and
// the replication and snapshot task lists (after the snapshot, so that older seeds keep their
// meaning). A part that does not parse is an endpoint that failed, so its section is carried
// over from the previous snapshot.
#include <array>
#include <optional>
#include <stdexcept>
#include <vector>

#include "agent/device/parse.hpp"
#include "agent/health/snapshot.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace {

using namespace qsanfwd;

std::vector<std::string_view> split(std::string_view s, char separator, std::size_t max_parts) {
  std::vector<std::string_view> parts;
  while (parts.size() + 1 < max_parts) {
    const auto at = s.find(separator);
    if (at == std::string_view::npos) {
      break;
    }
    parts.push_back(s.substr(0, at));
    s.remove_prefix(at + 1);
  }
  parts.push_back(s);
  parts.resize(max_parts);
  return parts;
}

template <typename T>
std::optional<T> value_or_none(result<T> r) {
  return r ? std::optional<T>(std::move(*r)) : std::nullopt;
}

bool all_utf8(const health::reading& r) {
  return fuzz::is_utf8(r.value) && fuzz::is_utf8(r.label) && fuzz::is_utf8(r.model) &&
         fuzz::is_utf8(r.serial);
}

// The state store writes a reading with to_json and reads it back; valid text must survive.
void check_round_trip(const health::reading& r) {
  if (!all_utf8(r)) {
    return;
  }
  const auto text = health::to_json(r);
  fuzz::check(health::reading_from_json(text) == r, "a reading does not survive its JSON", text);
}

health::snapshot previous_of(std::string_view rows) {
  health::snapshot previous;
  for (const auto line : split(rows, '\n', 64)) {
    const auto f = split(line, '\t', 4);
    if (f[3].empty()) {
      continue;
    }
    try {
      auto r = health::reading_from_json(f[3]);
      check_round_trip(r);
      previous[health::key{std::string(f[0]), std::string(f[1]), std::string(f[2])}] = std::move(r);
    } catch (const std::invalid_argument&) {
      // A row the store would refuse: the documented outcome for anything that is not a reading.
    }
  }
  return previous;
}

void check_flattened(const health::snapshot& out, const health::poll_data& data,
                     const health::snapshot& previous) {
  const std::array<std::pair<health::section, bool>, 7> read{{
      {health::section::hardware, data.enclosures.has_value()},
      {health::section::disks, data.disks.has_value()},
      {health::section::pools, data.pools.has_value()},
      {health::section::volumes, data.volumes.has_value()},
      {health::section::iscsi, data.iscsi_sessions.has_value()},
      {health::section::replication, data.replication_tasks.has_value()},
      {health::section::snapshots, data.snapshot_tasks.has_value()},
  }};
  for (const auto& [s, was_read] : read) {
    fuzz::check(!was_read || out.contains(health::marker_of(s)),
                "a section that was read has no marker");
  }
  for (const auto& [k, r] : out) {
    const auto s = health::section_of(k);
    const bool was_read = read[static_cast<std::size_t>(s)].second;
    if (!was_read) {
      const auto it = previous.find(k);
      fuzz::check(it != previous.end() && it->second == r,
                  "a section not read differs from the previous snapshot", k.component);
    } else if (k.component != health::section_marker) {
      fuzz::check(!r.value.empty(), "an empty reading in a snapshot", k.component);
    }
    check_round_trip(r);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto parts = split(fuzz::as_text(data, size), '\x1e', 9);
  health::poll_data poll;
  poll.enclosure_numbers = value_or_none(device::parse_enclosure_numbers(parts[0]));
  poll.enclosures = value_or_none(device::parse_enclosures(parts[1]));
  poll.disks = value_or_none(device::parse_disks(parts[2]));
  poll.pools = value_or_none(device::parse_pools(parts[3]));
  poll.volumes = value_or_none(device::parse_volumes(parts[4]));
  poll.iscsi_sessions = value_or_none(device::parse_iscsi_sessions(parts[6]));
  poll.replication_tasks = value_or_none(device::parse_replication_tasks(parts[7]));
  poll.snapshot_tasks = value_or_none(device::parse_snapshot_tasks(parts[8]));
  const auto previous = previous_of(parts[5]);
  const auto out = health::flatten(poll, previous);
  check_flattened(out, poll, previous);
  const auto n = health::inventory_of(out);
  fuzz::check(n.enclosures >= 0 && n.disks >= 0 && n.pools >= 0, "a negative inventory");
  return 0;
}
