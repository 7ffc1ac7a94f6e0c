#include "agent/health/snapshot.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

namespace qsanfwd::health {

std::string number_text(double v) {
  return fmt::format("{}", v);
}

namespace {

/// Adds the attributes of one component; every component carries a presence reading.
class component_writer {
 public:
  component_writer(snapshot& out, std::string_view component, std::string id, reading identity)
      : out_(out), component_(component), id_(std::move(id)), identity_(std::move(identity)) {
    set(attributes::presence, std::string(present));
  }

  void set(std::string_view attribute, std::string value) {
    if (value.empty()) {
      return;
    }
    auto r = identity_;
    r.value = std::move(value);
    out_[key{std::string(component_), id_, std::string(attribute)}] = std::move(r);
  }

  void set_number(std::string_view attribute, std::optional<double> value) {
    if (value) {
      set(attribute, number_text(*value));
    }
  }

 private:
  snapshot& out_;
  std::string_view component_;
  std::string id_;
  reading identity_;
};

reading labelled(std::string label, std::string model = {}, std::string serial = {}) {
  return reading{"", false, std::move(label), std::move(model), std::move(serial)};
}

std::string enclosure_label(int id, const device::enclosure* e) {
  auto label = "Enclosure " + std::to_string(id);
  if (e == nullptr || (e->model_name.empty() && e->serial_number.empty())) {
    return label;
  }
  std::vector<std::string> parts;
  if (!e->model_name.empty()) {
    parts.push_back(e->model_name);
  }
  if (!e->serial_number.empty()) {
    parts.push_back("serial " + e->serial_number);
  }
  return label + " (" + fmt::format("{}", fmt::join(parts, ", ")) + ")";
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

void add_sensors(snapshot& out, const device::enclosure& e, std::string_view component,
                 const std::vector<device::sensor>& list, std::string_view noun,
                 std::optional<std::string_view> value_attribute) {
  const auto enc = "enc" + std::to_string(e.enc_id);
  for (const auto& s : list) {
    // PSUs are named "1", "2" by some firmware and "PSU1" by others.
    const auto name = component == components::psu && all_digits(s.name) ? "PSU " + s.name : s.name;
    const auto label = std::string(noun) + (noun.empty() ? "" : " ") + name + " of enclosure " +
                       std::to_string(e.enc_id);
    component_writer w(out, component, enc + "/" + name, labelled(label));
    w.set(attributes::status, s.status);
    if (value_attribute) {
      w.set_number(*value_attribute, s.value);
    }
  }
}

void add_hardware(snapshot& out, const poll_data& data) {
  std::set<int> ids;
  for (const auto& e : *data.enclosures) {
    ids.insert(e.enc_id);
  }
  if (data.enclosure_numbers) {
    ids.insert(data.enclosure_numbers->begin(), data.enclosure_numbers->end());
  }
  for (const int id : ids) {
    const auto it = std::find_if(data.enclosures->begin(), data.enclosures->end(),
                                 [id](const device::enclosure& e) { return e.enc_id == id; });
    const auto* e = it == data.enclosures->end() ? nullptr : &*it;
    component_writer w(
        out, components::enclosure, "enc" + std::to_string(id),
        labelled(enclosure_label(id, e), e ? e->model_name : "", e ? e->serial_number : ""));
    if (e == nullptr) {
      continue;
    }
    w.set(attributes::health, e->sys_health);
    add_sensors(out, *e, components::psu, e->psu_status, "", std::nullopt);
    add_sensors(out, *e, components::cache_to_flash, e->cache_to_flash, "Cache-to-flash",
                std::nullopt);
    add_sensors(out, *e, components::fan, e->fan_speed, "Fan", attributes::rpm);
    add_sensors(out, *e, components::voltage, e->voltage, "Voltage sensor", std::nullopt);
    add_sensors(out, *e, components::temperature, e->temperature, "Temperature sensor",
                attributes::temperature);
  }
}

void add_disks(snapshot& out, const std::vector<device::disk>& disks) {
  for (const auto& d : disks) {
    std::vector<std::string> where;
    if (!d.enc_id.empty()) {
      where.push_back("enclosure " + d.enc_id);
    }
    where.push_back("slot " + std::to_string(d.slot));
    if (!d.serial.empty()) {
      where.push_back("serial " + d.serial);
    }
    const auto label = "Disk " + d.id + " (" + fmt::format("{}", fmt::join(where, ", ")) + ")";
    component_writer w(out, components::disk, d.id, labelled(label, d.model, d.serial));
    w.set(attributes::health, d.health);
    w.set(attributes::status, d.status);
    if (d.temperature) {
      w.set_number(attributes::temperature, *d.temperature);
    }
    if (d.is_ssd && d.ssd_life_remain) {
      w.set_number(attributes::ssd_life_remain, *d.ssd_life_remain);
    }
  }
}

void add_pools(snapshot& out, const std::vector<device::pool>& pools) {
  for (const auto& p : pools) {
    const auto name = p.name.empty() ? p.id : p.name;
    component_writer w(out, components::pool, name, labelled("Pool " + name));
    w.set(attributes::health, p.health);
    w.set(attributes::status, p.status);
    if (p.total_mb > 0) {
      // One decimal: enough to see a trend, coarse enough not to rewrite the row every poll.
      const auto pct = static_cast<double>(p.used_mb) * 100 / static_cast<double>(p.total_mb);
      w.set_number(attributes::used_pct, std::round(pct * 10) / 10);
    }
    for (const auto& r : p.raidsets) {
      component_writer rw(out, components::raidset, name + "/raidset " + r.id,
                          labelled("Raidset " + r.id + " of pool " + name));
      rw.set(attributes::health, r.health);
      rw.set(attributes::status, r.status);
    }
  }
}

void add_volumes(snapshot& out, const std::vector<device::volume>& volumes) {
  for (const auto& v : volumes) {
    const auto name = v.name.empty() ? v.id : v.name;
    component_writer w(out, components::volume, name, labelled("Volume " + name));
    w.set(attributes::health, v.health);
    w.set(attributes::status, v.status);
  }
}

std::string iscsi_label(const device::iscsi_session& s) {
  const auto& target = s.target_name.empty() ? s.target_id : s.target_name;
  auto label = "iSCSI session of " + s.initiator_name + " to " +
               (target.empty() ? std::string("the target") : target) + " on controller " +
               std::to_string(s.ctrl_id);
  if (!s.client_ip.empty()) {
    label += " (client " + s.client_ip + ")";
  }
  return label;
}

void add_iscsi_sessions(snapshot& out, const std::vector<device::iscsi_session>& sessions) {
  // Several sessions of one host to one target on one controller (multipath over two ports)
  // share a key; their number tells when one of them drops.
  std::map<std::string, std::pair<const device::iscsi_session*, int>> by_key;
  for (const auto& s : sessions) {
    auto& [first, count] = by_key[iscsi_session_id(s)];
    first = first == nullptr ? &s : first;
    ++count;
  }
  for (const auto& [id, entry] : by_key) {
    component_writer w(out, components::iscsi_session, id, labelled(iscsi_label(*entry.first)));
    w.set(attributes::sessions, std::to_string(entry.second));
  }
}

void add_replication(snapshot& out, const std::vector<device::replication_task>& tasks) {
  for (const auto& t : tasks) {
    const auto task = "replication task " + t.id;
    const auto label = t.source.empty() ? "Replication task " + t.id
                                        : "Replication task " + t.id + " (source " + t.source + ")";
    component_writer w(out, components::replication, t.id, labelled(label));
    w.set(attributes::status, t.status);
    for (const auto& d : t.destinations) {
      std::vector<std::string> where;
      for (const auto* part : {&d.ip, &d.target_name}) {
        if (!part->empty()) {
          where.push_back(*part);
        }
      }
      const auto line =
          where.empty() ? std::string() : " (" + fmt::format("{}", fmt::join(where, ", ")) + ")";
      component_writer dw(out, components::replication_destination, t.id + "/" + d.no,
                          labelled("Destination " + d.no + line + " of " + task));
      dw.set(attributes::status, d.status);
    }
  }
}

void add_snapshot_space(snapshot& out, const std::vector<device::snapshot_task>& tasks) {
  for (const auto& t : tasks) {
    component_writer w(out, components::snapshot_space, t.id,
                       labelled("Snapshot space of task " + t.id));
    if (t.total_mb > 0 && t.used_mb >= 0) {
      const auto pct = static_cast<double>(t.used_mb) * 100 / static_cast<double>(t.total_mb);
      w.set_number(attributes::used_pct, std::round(pct * 10) / 10);
    }
  }
}

}  // namespace

std::string iscsi_session_id(const device::iscsi_session& s) {
  const auto& target = s.target_name.empty() ? s.target_id : s.target_name;
  return "ctrl" + std::to_string(s.ctrl_id) + "/" + s.initiator_name + "/" + target;
}

std::string_view to_string(section s) {
  switch (s) {
    case section::hardware:
      return "hardware";
    case section::disks:
      return "disks";
    case section::pools:
      return "pools";
    case section::volumes:
      return "volumes";
    case section::iscsi:
      return "iscsi";
    case section::replication:
      return "replication";
    case section::snapshots:
      break;
  }
  return "snapshots";
}

key marker_of(section s) {
  return key{std::string(section_marker), std::string(to_string(s)), "read"};
}

section section_of(const key& k) {
  const std::string_view component = k.component == section_marker ? k.component_id : k.component;
  if (component == components::disk || component == to_string(section::disks)) {
    return section::disks;
  }
  if (component == components::pool || component == components::raidset ||
      component == to_string(section::pools)) {
    return section::pools;
  }
  if (component == components::volume || component == to_string(section::volumes)) {
    return section::volumes;
  }
  if (component == components::iscsi_session || component == to_string(section::iscsi)) {
    return section::iscsi;
  }
  if (component == components::replication || component == components::replication_destination ||
      component == to_string(section::replication)) {
    return section::replication;
  }
  if (component == components::snapshot_space || component == to_string(section::snapshots)) {
    return section::snapshots;
  }
  return section::hardware;
}

snapshot flatten(const poll_data& data, const snapshot& previous) {
  snapshot out;
  std::set<section> carried;
  const auto read = [&](section s, bool ok, const auto& add) {
    if (ok) {
      add();
      out[marker_of(s)] = reading{"yes", false, "", "", ""};
    } else {
      carried.insert(s);
    }
  };
  read(section::hardware, data.enclosures.has_value(), [&] { add_hardware(out, data); });
  read(section::disks, data.disks.has_value(), [&] { add_disks(out, *data.disks); });
  read(section::pools, data.pools.has_value(), [&] { add_pools(out, *data.pools); });
  read(section::volumes, data.volumes.has_value(), [&] { add_volumes(out, *data.volumes); });
  read(section::iscsi, data.iscsi_sessions.has_value(),
       [&] { add_iscsi_sessions(out, *data.iscsi_sessions); });
  read(section::replication, data.replication_tasks.has_value(),
       [&] { add_replication(out, *data.replication_tasks); });
  read(section::snapshots, data.snapshot_tasks.has_value(),
       [&] { add_snapshot_space(out, *data.snapshot_tasks); });
  for (const auto& [k, r] : previous) {
    if (carried.contains(section_of(k))) {
      out.emplace(k, r);
    }
  }
  return out;
}

inventory inventory_of(const snapshot& s) {
  inventory n;
  for (const auto& [k, r] : s) {
    if (k.component == components::iscsi_session && k.attribute == attributes::sessions) {
      int count = 0;
      std::from_chars(r.value.data(), r.value.data() + r.value.size(), count);
      n.iscsi_sessions += count;
      continue;
    }
    if (k.attribute != attributes::presence || r.value != present) {
      continue;
    }
    if (k.component == components::enclosure) {
      ++n.enclosures;
    } else if (k.component == components::disk) {
      ++n.disks;
    } else if (k.component == components::pool) {
      ++n.pools;
    } else if (k.component == components::raidset) {
      ++n.raidsets;
    } else if (k.component == components::volume) {
      ++n.volumes;
    } else if (k.component == components::replication) {
      ++n.replication_tasks;
    }
  }
  return n;
}

std::string to_json(const reading& r) {
  nlohmann::ordered_json j{{"value", r.value},
                           {"raised", r.raised},
                           {"label", r.label},
                           {"model", r.model},
                           {"serial", r.serial}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

reading reading_from_json(std::string_view json) {
  try {
    const auto j = nlohmann::json::parse(json);
    return reading{j.at("value").get<std::string>(), j.at("raised").get<bool>(),
                   j.value("label", std::string()), j.value("model", std::string()),
                   j.value("serial", std::string())};
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(std::string("health snapshot row: ") + e.what());
  }
}

}  // namespace qsanfwd::health
