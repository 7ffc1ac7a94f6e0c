#include <stdexcept>

#include "agent/core/event.hpp"
#include "sim/simulator_impl.hpp"

// The control API under /_sim/ (sim/README.md lists it): what a test or an operator changes
// while the array runs. Each group of paths has a function of its own.

namespace qsanfwd::sim {

using json = nlohmann::json;

namespace {

std::string lines_json(const std::vector<log_line>& lines) {
  std::string out = "{\"logs\":[";
  bool first = true;
  for (const auto& l : lines) {
    out += first ? "{\"timestamp\":" : ",{\"timestamp\":";
    first = false;
    out += std::to_string(l.timestamp);
    out += ",\"type\":";
    append_json_string(out, l.type);
    out += ",\"message\":";
    append_json_string(out, l.message);
    out += '}';
  }
  out += "]}";
  return out;
}

json stats_json(const counters& c) {
  return {{"logins", c.logins},
          {"offlineLogins", c.offline_logins},
          {"failedLogins", c.failed_logins},
          {"refreshes", c.refreshes},
          {"revokes", c.revokes},
          {"unauthorized", c.unauthorized},
          {"faultsInjected", c.faults_injected},
          {"refreshTokensEvicted", c.refresh_tokens_evicted},
          {"activeRefreshTokens", c.active_refresh_tokens},
          {"logLines", c.log_lines},
          {"droppedLines", c.dropped_lines},
          {"logLinesServed", c.log_lines_served},
          {"requests", c.requests},
          {"hostileBodies", c.hostile_bodies},
          {"injectedHeaders", c.injected_headers}};
}

}  // namespace

void simulator::impl::add_logs_locked(std::size_t n) {
  const auto t = now();
  book.generate(n, t, t);
}

bool simulator::impl::add_log_locked(const log_line& line) {
  const auto type = parse_log_type(line.type);
  if (!type) {
    return false;
  }
  book.add(line.timestamp, *type, line.message);
  return true;
}

counters simulator::impl::stats_locked() const {
  auto c = stats;
  c.active_refresh_tokens = refresh_owner.size();
  c.log_lines = book.size();
  c.dropped_lines = book.dropped_count();
  return c;
}

void simulator::impl::forget_tokens_locked() {
  access_tokens.clear();
  refresh_by_user.clear();
  refresh_owner.clear();
}

void simulator::impl::set_hostile_locked(const hostile_settings& h) {
  check_hostile(h);
  hostile = h;
  book.set_latin1_ratio(h.latin1_ratio);
  book.set_capacity(h.max_log_lines);
}

reply simulator::impl::control(http::verb method, std::string_view path, std::string_view body) {
  if (method == http::verb::get && (path == "/_sim/ledger" || path == "/_sim/dropped")) {
    return {http::status::ok, lines_json(path == "/_sim/ledger" ? book.ledger() : book.dropped()),
            std::nullopt, duration{0}};
  }
  if (method == http::verb::get && path == "/_sim/stats") {
    return {http::status::ok, stats_json(stats_locked()).dump(), std::nullopt, duration{0}};
  }
  if (method != http::verb::post) {
    return error_reply(http::status::not_found, "no such control");
  }
  const auto j = parse_body(body);
  if (!j) {
    return error_reply(http::status::bad_request, "body must be a JSON object");
  }
  try {
    const auto done = control_action(path, *j);
    if (!done) {
      return error_reply(http::status::not_found, "no such control");
    }
    return *done ? reply{} : error_reply(http::status::not_found, "no such component");
  } catch (const json::exception& e) {
    return error_reply(http::status::bad_request, e.what());
  } catch (const std::invalid_argument& e) {
    return error_reply(http::status::bad_request, e.what());
  }
}

/// nullopt: unknown control path; false: unknown component. Throws json::exception on a
/// missing or mistyped field.
std::optional<bool> simulator::impl::control_action(std::string_view path, const json& j) {
  for (const auto group : {&impl::control_log_action, &impl::control_fault_action,
                           &impl::control_disk_action, &impl::control_enclosure_action,
                           &impl::control_storage_action, &impl::control_host_action}) {
    if (auto done = (this->*group)(path, j)) {
      return done;
    }
  }
  return std::nullopt;
}

/// The log, the live inflow, the clock and the tokens.
std::optional<bool> simulator::impl::control_log_action(std::string_view path, const json& j) {
  if (path == "/_sim/logs") {
    add_logs_locked(j.value("count", std::size_t{0}));
    for (const auto& l : j.value("lines", json::array())) {
      if (!add_log_locked({l.value("timestamp", now()), l.at("type").get<std::string>(),
                           l.at("message").get<std::string>()})) {
        throw std::invalid_argument("unknown log type");
      }
    }
    return true;
  }
  if (path == "/_sim/live") {
    paused = j.value("paused", paused);
    live_rate = j.value("rate", live_rate);
    return true;
  }
  if (path == "/_sim/log/clear") {
    book.clear();
    return true;
  }
  if (path == "/_sim/clock") {
    clock_offset_s = j.at("offset").get<std::int64_t>();
    return true;
  }
  if (path == "/_sim/tokens/forget") {
    forget_tokens_locked();
    return true;
  }
  return std::nullopt;
}

/// Failed requests and hostile answers.
std::optional<bool> simulator::impl::control_fault_action(std::string_view path, const json& j) {
  if (path == "/_sim/faults") {
    faults.status_5xx = j.value("status5xx", faults.status_5xx);
    faults.delay = j.value("delay", faults.delay);
    faults.truncate = j.value("truncate", faults.truncate);
    faults.reset = j.value("reset", faults.reset);
    faults.delay_for = duration{j.value("delayMs", faults.delay_for.count())};
    faults.on_auth = j.value("onAuth", faults.on_auth);
    return true;
  }
  if (path == "/_sim/fail-next") {
    const auto kind = parse_fault(j.at("kind").get<std::string>());
    if (!kind) {
      throw std::invalid_argument("kind must be 500, 503, delay, truncate or reset");
    }
    forced.emplace_back(*kind, j.value("count", std::size_t{1}));
    return true;
  }
  if (path == "/_sim/hostile") {
    auto h = hostile;
    update_hostile(h, j);
    set_hostile_locked(h);
    return true;
  }
  if (path == "/_sim/hostile/next") {
    const auto kind = parse_hostile_body(j.at("kind").get<std::string>());
    if (!kind) {
      throw std::invalid_argument("unknown hostile body");
    }
    next_bodies[static_cast<std::size_t>(*kind)] += j.value("count", std::size_t{1});
    return true;
  }
  return std::nullopt;
}

std::optional<bool> simulator::impl::control_disk_action(std::string_view path, const json& j) {
  if (!path.starts_with("/_sim/disk/")) {
    return std::nullopt;
  }
  const auto id = [&] { return j.at("id").get<std::string>(); };
  if (path == "/_sim/disk/fail") {
    return array.set_disk_health(id(), "Failed", "Offline");
  }
  if (path == "/_sim/disk/restore") {
    return array.set_disk_health(id(), "Good", "Online");
  }
  if (path == "/_sim/disk/health") {
    return array.set_disk_health(id(), j.at("health").get<std::string>(),
                                 j.value("status", std::string()));
  }
  if (path == "/_sim/disk/pull" || path == "/_sim/disk/insert") {
    return array.set_disk_present(id(), path.ends_with("insert"));
  }
  if (path == "/_sim/disk/temperature") {
    return array.set_disk_temperature(id(), j.at("celsius").get<int>());
  }
  if (path == "/_sim/disk/ssd-life") {
    return array.set_ssd_life(id(), j.at("percent").get<int>());
  }
  return std::nullopt;
}

/// An enclosure's sensors, and the enclosure itself.
std::optional<bool> simulator::impl::control_enclosure_action(std::string_view path,
                                                              const json& j) {
  const auto enc = [&] { return j.at("encId").get<int>(); };
  const auto name = [&] { return j.at("name").get<std::string>(); };
  const auto status = [&] { return j.at("status").get<std::string>(); };
  if (path == "/_sim/psu") {
    return array.set_psu_status(enc(), name(), status());
  }
  if (path == "/_sim/fan") {
    return array.set_fan(enc(), name(), j.at("rpm").get<int>(), status());
  }
  if (path == "/_sim/temperature") {
    return array.set_temperature(enc(), name(), j.at("celsius").get<int>(),
                                 j.value("status", std::string()));
  }
  if (path == "/_sim/voltage") {
    return array.set_voltage(enc(), name(), j.at("volts").get<double>(), status());
  }
  if (path == "/_sim/cache-to-flash") {
    return array.set_cache_to_flash(enc(), name(), status());
  }
  if (path == "/_sim/enclosure/detach" || path == "/_sim/enclosure/attach") {
    return array.set_enclosure_present(enc(), path == "/_sim/enclosure/attach");
  }
  return std::nullopt;
}

/// Pools, their raidsets and volumes.
std::optional<bool> simulator::impl::control_storage_action(std::string_view path, const json& j) {
  const auto name = [&] { return j.at("name").get<std::string>(); };
  const auto health = [&] { return j.at("health").get<std::string>(); };
  const auto status = [&] { return j.value("status", std::string()); };
  if (path == "/_sim/pool") {
    return array.set_pool_health(name(), health(), status());
  }
  if (path == "/_sim/pool/used") {
    return array.set_pool_used(name(), j.at("percent").get<double>());
  }
  if (path == "/_sim/raidset") {
    return array.set_raidset_health(j.at("pool").get<std::string>(), j.at("id").get<int>(),
                                    health(), status());
  }
  if (path == "/_sim/volume") {
    return array.set_volume_health(name(), health(), status());
  }
  return std::nullopt;
}

/// iSCSI sessions, replication and snapshot tasks.
std::optional<bool> simulator::impl::control_host_action(std::string_view path, const json& j) {
  const auto task = [&] { return j.at("id").get<std::string>(); };
  const auto status = [&] { return j.at("status").get<std::string>(); };
  if (path == "/_sim/iscsi/session/drop" || path == "/_sim/iscsi/session/restore") {
    return array.set_iscsi_session_present(j.at("initiator").get<std::string>(),
                                           path.ends_with("restore"));
  }
  if (path == "/_sim/replication") {
    return array.set_replication_status(task(), status());
  }
  if (path == "/_sim/replication/destination") {
    return array.set_replication_line_status(task(), j.at("no").get<int>(), status());
  }
  if (path == "/_sim/snapshot/used") {
    return array.set_snapshot_used(task(), j.at("percent").get<double>());
  }
  return std::nullopt;
}

}  // namespace qsanfwd::sim
