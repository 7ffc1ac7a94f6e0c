#include "sim/array_state.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace qsanfwd::sim {
namespace {

using ordered_json = nlohmann::ordered_json;

// Real arrays send some ids and counts as strings; "string and int are accepted" says the manual.
ordered_json id_value(std::uint64_t v, bool strings) {
  return strings ? ordered_json(std::to_string(v)) : ordered_json(v);
}

ordered_json sensors_json(const std::vector<sensor>& list, bool value_as_string) {
  auto out = ordered_json::array();
  for (const auto& s : list) {
    const auto whole = static_cast<std::int64_t>(s.value);
    ordered_json value =
        static_cast<double>(whole) == s.value ? ordered_json(whole) : ordered_json(s.value);
    out.push_back({{"name", s.name},
                   {"value", value_as_string ? ordered_json(std::to_string(whole)) : value},
                   {"status", s.status}});
  }
  return out;
}

ordered_json statuses_json(const std::vector<named_status>& list) {
  auto out = ordered_json::array();
  for (const auto& s : list) {
    out.push_back({{"name", s.name}, {"status", s.status}});
  }
  return out;
}

bool all_good(const enclosure& e) {
  if (!e.present) {
    return true;
  }
  const auto good = [](const auto& x) { return x.status == "Good"; };
  return std::all_of(e.voltage.begin(), e.voltage.end(), good) &&
         std::all_of(e.temperature.begin(), e.temperature.end(), good) &&
         std::all_of(e.fans.begin(), e.fans.end(), good) &&
         std::all_of(e.psus.begin(), e.psus.end(), good) &&
         std::all_of(e.cache_to_flash.begin(), e.cache_to_flash.end(), good);
}

std::string temperature_status(int celsius) {
  if (celsius >= 70) {
    return "Failed";
  }
  return celsius >= 55 ? "Warning" : "Good";
}

template <class T>
T* find_named(std::vector<T>& list, std::string_view name) {
  const auto it =
      std::find_if(list.begin(), list.end(), [&](const T& x) { return x.name == name; });
  return it == list.end() ? nullptr : &*it;
}

}  // namespace

array_state::array_state(std::string model, std::string serial) {
  enclosure head{0, true, model, serial, "QW316", true, {}, {}, {}, {}, {}};
  head.voltage = {{"+12V", 12.1, "Good"}, {"+5V", 5.0, "Good"}, {"+3.3V", 3.3, "Good"}};
  head.temperature = {{"CPU", 61, "Good"}, {"Backplane", 38, "Good"}, {"PSU1", 41, "Good"}};
  head.fans = {{"FAN1", 1225, "Good"}, {"FAN2", 1250, "Good"}, {"FAN3", 1198, "Good"}};
  head.psus = {{"1", "Good"}, {"2", "Good"}};
  head.cache_to_flash = {{"Power Module Status", "Good"}, {"Flash Module Status", "Good"}};
  enclosure expansion{1, false, "XD5324", serial + "-X1", "QW324", true, {}, {}, {}, {}, {}};
  expansion.voltage = {{"+12V", 12.0, "Good"}, {"+5V", 5.0, "Good"}};
  expansion.temperature = {{"Backplane", 36, "Good"}};
  expansion.fans = {{"FAN1", 1100, "Good"}, {"FAN2", 1120, "Good"}};
  expansion.psus = {{"1", "Good"}, {"2", "Good"}};
  enclosures_ = {head, expansion};

  // Head: four HDDs and four SSDs; expansion: four HDDs.
  int serial_no = 100001;
  const auto add_disk = [&](int enc, int slot, bool ssd) {
    disk d;
    d.id = "e" + std::to_string(enc) + "d" + std::to_string(slot);
    d.enclosure = enc;
    d.slot = slot;
    d.ssd = ssd;
    d.size_mb = ssd ? 1907729 : 7630885;
    d.serial = (ssd ? "S3Z-" : "WD-") + std::to_string(serial_no++);
    d.model = ssd ? "SAMSUNG MZ7LH1T9" : "WDC WD80EFZZ-68";
    d.vendor = ssd ? "Samsung" : "WDC";
    d.temperature = ssd ? 33 + slot % 3 : 38 + slot % 4;
    d.ssd_life = ssd ? 97 - slot : 0;
    disks_.push_back(d);
  };
  for (int slot = 0; slot < 8; ++slot) {
    add_disk(0, slot, slot >= 4);
  }
  for (int slot = 0; slot < 4; ++slot) {
    add_disk(1, slot, false);
  }

  pool hdd{2976963663U, "Pool1", "Good", "Online", {}};
  hdd.raidsets = {
      {0, "RAID 5", {"e0d0", "e0d1", "e0d2", "e0d3"}, "Good", "Online", 22892655, 10240},
      {1, "RAID 6", {"e1d0", "e1d1", "e1d2", "e1d3"}, "Good", "Online", 15261770, 0}};
  pool ssd{2976963664U, "SSD-Pool", "Good", "Online", {}};
  ssd.raidsets = {{2, "RAID 10", {"e0d4", "e0d5", "e0d6", "e0d7"}, "Good", "Online", 3815458, 512}};
  pools_ = {hdd, ssd};
  for (const auto& p : pools_) {
    for (const auto& r : p.raidsets) {
      for (const auto& id : r.disks) {
        auto* d = find_disk(id);
        d->pool_name = p.name;
        d->pool_id = p.id;
      }
    }
  }
  volumes_ = {{2982171380U, "vol-data", hdd.id, "Optimal", "Online"},
              {2982171381U, "vol-backup", hdd.id, "Optimal", "Online"},
              {2982171382U, "vol-db", ssd.id, "Optimal", "Online"},
              {2982171383U, "vol-vm", ssd.id, "Optimal", "Online"}};
  const std::string target = "iqn.2004-08.com.qsan:xs5226-000d82734:dev0.ctr1";
  for (const auto* host :
       {"iqn.1991-05.com.microsoft:backup-host", "iqn.1994-05.com.redhat:db-host"}) {
    sessions_.push_back({0, host, "0", target, true, next_tsih_++});
  }
  replications_ = {{2977911540U,
                    "vol-data",
                    "Online",
                    {{0, "eth2", "10.0.0.2", "iqn.2004-08.com.qsan:dr", "0", "Online"}}}};
  snapshots_ = {{2977911538U, 1024, 20480}};
}

disk* array_state::find_disk(std::string_view id) {
  const auto it =
      std::find_if(disks_.begin(), disks_.end(), [&](const disk& d) { return d.id == id; });
  return it == disks_.end() ? nullptr : &*it;
}

enclosure* array_state::find_enclosure(int id) {
  const auto it = std::find_if(enclosures_.begin(), enclosures_.end(),
                               [&](const enclosure& e) { return e.id == id; });
  return it == enclosures_.end() ? nullptr : &*it;
}

bool array_state::set_disk_health(std::string_view id, std::string health, std::string status) {
  auto* d = find_disk(id);
  if (d == nullptr) {
    return false;
  }
  d->health = std::move(health);
  d->status = std::move(status);
  return true;
}

bool array_state::set_disk_present(std::string_view id, bool present) {
  auto* d = find_disk(id);
  if (d == nullptr) {
    return false;
  }
  d->present = present;
  return true;
}

bool array_state::set_disk_temperature(std::string_view id, int celsius) {
  auto* d = find_disk(id);
  if (d == nullptr) {
    return false;
  }
  d->temperature = celsius;
  return true;
}

bool array_state::set_ssd_life(std::string_view id, int percent) {
  auto* d = find_disk(id);
  if (d == nullptr || !d->ssd) {
    return false;
  }
  d->ssd_life = percent;
  return true;
}

bool array_state::set_psu_status(int enc, std::string_view name, std::string status) {
  auto* e = find_enclosure(enc);
  auto* p = e == nullptr ? nullptr : find_named(e->psus, name);
  if (p == nullptr) {
    return false;
  }
  p->status = std::move(status);
  return true;
}

bool array_state::set_fan(int enc, std::string_view name, int rpm, std::string status) {
  auto* e = find_enclosure(enc);
  auto* f = e == nullptr ? nullptr : find_named(e->fans, name);
  if (f == nullptr) {
    return false;
  }
  f->value = rpm;
  f->status = std::move(status);
  return true;
}

bool array_state::set_temperature(int enc, std::string_view name, int celsius, std::string status) {
  auto* e = find_enclosure(enc);
  auto* t = e == nullptr ? nullptr : find_named(e->temperature, name);
  if (t == nullptr) {
    return false;
  }
  t->value = celsius;
  t->status = status.empty() ? temperature_status(celsius) : std::move(status);
  return true;
}

bool array_state::set_voltage(int enc, std::string_view name, double volts, std::string status) {
  auto* e = find_enclosure(enc);
  auto* v = e == nullptr ? nullptr : find_named(e->voltage, name);
  if (v == nullptr) {
    return false;
  }
  v->value = volts;
  v->status = std::move(status);
  return true;
}

bool array_state::set_cache_to_flash(int enc, std::string_view name, std::string status) {
  auto* e = find_enclosure(enc);
  auto* c = e == nullptr ? nullptr : find_named(e->cache_to_flash, name);
  if (c == nullptr) {
    return false;
  }
  c->status = std::move(status);
  return true;
}

bool array_state::set_enclosure_present(int enc, bool present) {
  auto* e = find_enclosure(enc);
  if (e == nullptr || e->local) {
    return false;
  }
  e->present = present;
  return true;
}

bool array_state::set_pool_used(std::string_view name, double percent) {
  auto* p = find_named(pools_, name);
  if (p == nullptr || percent < 0 || percent > 100) {
    return false;
  }
  for (auto& r : p->raidsets) {
    r.used_mb = static_cast<std::int64_t>(static_cast<double>(r.total_mb) * percent / 100);
  }
  return true;
}

bool array_state::set_pool_health(std::string_view name, std::string health, std::string status) {
  auto* p = find_named(pools_, name);
  if (p == nullptr) {
    return false;
  }
  p->health = std::move(health);
  p->status = std::move(status);
  return true;
}

bool array_state::set_raidset_health(std::string_view pool_name, int id, std::string health,
                                     std::string status) {
  auto* p = find_named(pools_, pool_name);
  if (p == nullptr) {
    return false;
  }
  for (auto& r : p->raidsets) {
    if (r.id == id) {
      r.health = std::move(health);
      r.status = std::move(status);
      return true;
    }
  }
  return false;
}

bool array_state::set_volume_health(std::string_view name, std::string health, std::string status) {
  auto* v = find_named(volumes_, name);
  if (v == nullptr) {
    return false;
  }
  v->health = std::move(health);
  v->status = std::move(status);
  return true;
}

bool array_state::set_iscsi_session_present(std::string_view initiator, bool present) {
  bool found = false;
  for (auto& x : sessions_) {
    if (x.initiator != initiator) {
      continue;
    }
    found = true;
    if (present && !x.present) {
      x.tsih = next_tsih_++;
    }
    x.present = present;
  }
  return found;
}

bool array_state::set_replication_status(std::string_view task_id, std::string status) {
  for (auto& t : replications_) {
    if (std::to_string(t.id) == task_id) {
      t.status = std::move(status);
      return true;
    }
  }
  return false;
}

bool array_state::set_replication_line_status(std::string_view task_id, int no,
                                              std::string status) {
  for (auto& t : replications_) {
    if (std::to_string(t.id) != task_id) {
      continue;
    }
    for (auto& l : t.lines) {
      if (l.no == no) {
        l.status = std::move(status);
        return true;
      }
    }
  }
  return false;
}

bool array_state::set_snapshot_used(std::string_view task_id, double percent) {
  if (percent < 0 || percent > 100) {
    return false;
  }
  for (auto& t : snapshots_) {
    if (std::to_string(t.id) == task_id) {
      t.used_mb = static_cast<std::int64_t>(static_cast<double>(t.total_mb) * percent / 100);
      return true;
    }
  }
  return false;
}

std::string array_state::hardware_info(bool strings) const {
  auto ids = ordered_json::array();
  for (const auto& e : enclosures_) {
    if (!e.present) {
      continue;
    }
    ids.push_back(id_value(static_cast<std::uint64_t>(e.id), strings));
  }
  return ordered_json{{"enclosureNumbers", ids}}.dump();
}

std::optional<std::string> array_state::enclosure_info(std::optional<int> enc, bool more,
                                                       std::int64_t uptime_s, bool strings) const {
  const bool healthy = std::all_of(enclosures_.begin(), enclosures_.end(), all_good);
  auto out = ordered_json::array();
  for (const auto& e : enclosures_) {
    if ((enc && *enc != e.id) || !e.present) {
      continue;
    }
    ordered_json info;
    if (e.local) {
      info = {{"sysHealth", healthy ? "Good" : "abnormal"},
              {"cpuInfo", "Intel(R) Xeon(R) CPU D-1527 @ 2.20GHz Quad-Core Processor"},
              {"cpuUsage", 12.5},
              {"memoryInfo", {"Samsung 16384MB", "Samsung 16384MB", "", ""}},
              {"memTotal", 32768},
              {"memUsed", 9120},
              {"controllerNum", 1},
              {"backplaneID", e.backplane},
              {"systemUptime", uptime_s},
              {"serialNumber", e.serial},
              {"modelName", e.model}};
    } else {
      info = {{"serialNumber", e.serial},
              {"backplaneID", e.backplane},
              {"modelName", e.model},
              {"wwn", "5001378000d82734"},
              {"vendor", "QSAN"}};
    }
    if (more) {
      ordered_json extra = {{"voltage", sensors_json(e.voltage, false)},
                            {"temperature", sensors_json(e.temperature, false)},
                            {"fanSpeed", sensors_json(e.fans, true)},
                            {"psuStatus", statuses_json(e.psus)}};
      if (e.local) {
        extra["cacheToFlash"] = statuses_json(e.cache_to_flash);
      }
      info["moreInfo"] = extra;
    }
    out.push_back({{"encId", id_value(static_cast<std::uint64_t>(e.id), strings)}, {"info", info}});
  }
  if (enc && out.empty()) {
    return std::nullopt;
  }
  return out.dump();
}

std::string array_state::disk_list(bool strings) const {
  auto list = ordered_json::array();
  for (const auto& d : disks_) {
    const auto e = std::find_if(enclosures_.begin(), enclosures_.end(),
                                [&](const enclosure& x) { return x.id == d.enclosure; });
    if (!d.present || (e != enclosures_.end() && !e->present)) {
      continue;
    }
    list.push_back(
        {{"id", d.id},
         {"encID", std::to_string(d.enclosure)},
         {"slot", id_value(static_cast<std::uint64_t>(d.slot), strings)},
         {"size", d.size_mb},
         {"poolID", d.pool_name.empty() ? ordered_json("") : id_value(d.pool_id, strings)},
         {"poolName", d.pool_name},
         {"health", d.health},
         {"status", d.status},
         {"usage", d.pool_name.empty() ? "Free" : "RAID"},
         {"isSSD", d.ssd},
         {"isISE", false},
         {"isSED", false},
         {"spinRate", d.ssd ? 0 : 7200},
         {"vendor", d.vendor},
         {"serial", d.serial},
         {"model", d.model},
         {"firmware", d.ssd ? "HXT7404Q" : "81.00A81"},
         {"busType", "SATA"},
         {"type", d.ssd ? "SSD" : "HDD"},
         {"rate", 6.0},
         {"writeCache", true},
         {"standby", false},
         {"readahead", true},
         {"cmdQueue", true},
         {"ssdLifeRemain", d.ssd_life},
         {"totalWrittenByte", d.ssd ? 81234567890123 : 0},
         {"temperature", d.temperature},
         {"performance", {{"throughput", 12}, {"latency", 3}}}});
  }
  return ordered_json{{"disks", list}}.dump();
}

std::string array_state::pool_list(bool strings) const {
  auto list = ordered_json::array();
  for (const auto& p : pools_) {
    auto sets = ordered_json::array();
    std::int64_t total = 0;
    std::int64_t used = 0;
    for (const auto& r : p.raidsets) {
      total += r.total_mb;
      used += r.used_mb;
      sets.push_back({{"id", id_value(static_cast<std::uint64_t>(r.id), strings)},
                      {"totalSize", r.total_mb},
                      {"usedSize", r.used_mb},
                      {"raidLevel", r.level},
                      {"eeSpareNum", 0},
                      {"status", r.status},
                      {"health", r.health},
                      {"disks", r.disks}});
    }
    list.push_back({{"name", p.name},
                    {"id", id_value(p.id, strings)},
                    {"totalSize", total},
                    {"usedSize", used},
                    {"isThin", false},
                    {"isSED", false},
                    {"health", p.health},
                    {"status", p.status},
                    {"isCacheEnable", false},
                    {"raidsets", sets},
                    {"autoTier", false}});
  }
  return ordered_json{{"pools", list}}.dump();
}

std::string array_state::volume_list(bool strings) const {
  auto list = ordered_json::array();
  for (const auto& v : volumes_) {
    list.push_back(
        {{"id", id_value(v.id, strings)},
         {"name", v.name},
         {"status", v.status},
         {"health", v.health},
         {"type", "RAID"},
         {"poolID", id_value(v.pool_id, strings)},
         {"cacheMode", "Write-back"},
         {"priority", "Medium"},
         {"bgPriority", "High"},
         {"videoEditingMode", false},
         {"tierPolicy", "No Data Movement"},
         {"stripeSize", 64},
         {"isQosEnable", false},
         {"isLunMap", true},
         {"lunInfo",
          {{"iscsi",
            {{{"host", "*"}, {"targetID", "0"}, {"lun", "0"}, {"permission", "Read-write"}}}},
           {"fc", ordered_json::array()}}}});
  }
  return ordered_json{{"volumes", list}}.dump();
}

std::string array_state::iscsi_targets(bool strings) const {
  ordered_json target = {{"id", id_value(0, strings)},
                         {"name", "iqn.2004-08.com.qsan:xs5226-000d82734:dev0.ctr1"},
                         {"auth", "None"},
                         {"alias", "dev0"},
                         {"portals", {"1", "2"}},
                         {"freeLuns", {1, 2, 3, 4}}};
  ordered_json ctrl = {{"ctrlID", 0}, {"port", 3260}, {"targets", {target}}};
  return ordered_json{{"iscsi", {ctrl}}}.dump();
}

std::string array_state::iscsi_sessions() const {
  auto sessions = ordered_json::array();
  for (const auto& x : sessions_) {
    if (!x.present) {
      continue;
    }
    sessions.push_back({{"id", std::to_string(x.tsih)},
                        {"TSIH", std::to_string(x.tsih)},
                        {"initiatorName", x.initiator},
                        {"targetID", x.target_id},
                        {"targetName", x.target_name},
                        {"initialR2T", true},
                        {"immedData", true},
                        {"maxOutR2T", "1"},
                        {"maxDataBurstLen", 262144},
                        {"dataSeqInOrder", true},
                        {"dataPDUInOrder", true}});
  }
  return ordered_json{{"iscsi", {{{"ctrlID", 0}, {"sessions", sessions}}}}}.dump();
}

std::optional<std::string> array_state::backup_list(std::string_view type, bool strings) const {
  ordered_json schedule = {{"minute", {10}},
                           {"hour", {0}},
                           {"day", ordered_json::array()},
                           {"week", {1}},
                           {"month", {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}}};
  auto tasks = ordered_json::array();
  if (type == "snapshot") {
    for (const auto& t : snapshots_) {
      tasks.push_back({{"id", id_value(t.id, strings)},
                       {"usedSize", t.used_mb},
                       {"totalSize", t.total_mb},
                       {"schedule", schedule}});
    }
  } else if (type == "clone") {
    tasks.push_back({{"id", id_value(2977911539U, strings)},
                     {"destination", "2982171381"},
                     {"schedule", schedule}});
  } else if (type == "replication") {
    for (const auto& t : replications_) {
      auto lines = ordered_json::array();
      for (const auto& l : t.lines) {
        lines.push_back({{"no", id_value(static_cast<std::uint64_t>(l.no), strings)},
                         {"sourcePort", l.port},
                         {"IP", l.ip},
                         {"targetName", l.target},
                         {"Lun", l.lun},
                         {"status", l.status}});
      }
      tasks.push_back({{"id", id_value(t.id, strings)},
                       {"source", t.source},
                       {"status", t.status},
                       {"shaping", "default"},
                       {"rate", 100},
                       {"createTime", "2024-03-01 10:00:00"},
                       {"destination", lines},
                       {"schedule", schedule}});
    }
  } else if (type != "cloud") {
    return std::nullopt;
  }
  return ordered_json{{"tasks", tasks}}.dump();
}

}  // namespace qsanfwd::sim
