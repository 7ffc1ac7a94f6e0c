#include "agent/store/alarms.hpp"

#include <algorithm>
#include <array>
#include <tuple>

#include "agent/store/sql.hpp"

namespace qsanfwd {
namespace {

/// The agent's events that raise or clear an alarm, by type.
struct agent_alarm_rule {
  std::string_view type;
  std::string_view component;
  std::string_view attribute;
  bool raise;
  std::optional<std::int64_t> lasts_seconds;
};

constexpr std::array agent_alarm_rules{
    agent_alarm_rule{"device_unreachable", "device", "reachable", true, std::nullopt},
    agent_alarm_rule{"device_login_failed", "device", "reachable", true, std::nullopt},
    agent_alarm_rule{"device_reachable", "device", "reachable", false, std::nullopt},
    agent_alarm_rule{"logs_stuck", "logs", "collection", true, std::nullopt},
    agent_alarm_rule{"logs_resumed", "logs", "collection", false, std::nullopt},
    agent_alarm_rule{"logs_gap", "logs", "gap", true, gap_alarm_seconds},
    agent_alarm_rule{"array_clock_skew", "clock", "skew", true, std::nullopt},
    agent_alarm_rule{"array_clock_skew_cleared", "clock", "skew", false, std::nullopt},
    agent_alarm_rule{"array_clock_ahead", "clock", "ahead", true, std::nullopt},
    agent_alarm_rule{"array_clock_ahead_cleared", "clock", "ahead", false, std::nullopt},
};

void bind_key(sqlite::statement& st, const alarm_key& k) {
  st.bind_text(1, k.device);
  st.bind_text(2, k.component);
  st.bind_text(3, k.component_id);
  st.bind_text(4, k.attribute);
}

bool listed(std::span<const std::string> names, const std::string& name) {
  return names.empty() || std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

std::optional<alarm_change> alarm_change_of(const event& e) {
  if (e.kind == event_kind::health) {
    if (e.component == "inventory") {
      return std::nullopt;
    }
    return alarm_change{{e.device, e.component, e.component_id, e.attribute},
                        e.severity <= severity::warning,
                        std::nullopt};
  }
  if (e.kind != event_kind::agent) {
    return std::nullopt;
  }
  const auto rule = std::find_if(agent_alarm_rules.begin(), agent_alarm_rules.end(),
                                 [&](const auto& r) { return r.type == e.type; });
  if (rule == agent_alarm_rules.end()) {
    return std::nullopt;
  }
  alarm_change c{{e.device, std::string(rule->component), "", std::string(rule->attribute)},
                 rule->raise,
                 std::nullopt};
  if (rule->lasts_seconds) {
    c.expires_at = e.timestamp + *rule->lasts_seconds;
  }
  return c;
}

void apply_alarms(state_store& store, std::span<const event> events) {
  store.write(
      [&] {
        for (const auto& e : events) {
          const auto change = alarm_change_of(e);
          if (!change) {
            continue;
          }
          auto& st = store.database().cached(change->raise ? sql::raise_alarm : sql::clear_alarm);
          bind_key(st, change->key);
          if (change->raise) {
            st.bind_int64(5, static_cast<std::int64_t>(e.severity));
            st.bind_int64(6, e.timestamp);
            st.bind_text(7, e.id);
            st.bind_text(8, e.message);
            if (change->expires_at) {
              st.bind_int64(9, *change->expires_at);
            } else {
              st.bind_null(9);
            }
          }
          st.run();
        }
      },
      sqlite::durability::deferred);
}

std::vector<open_alarm> load_open_alarms(state_store& store, std::int64_t now,
                                         std::span<const std::string> devices,
                                         std::span<const std::string> sinks) {
  std::vector<open_alarm> out;
  auto& st = store.database().cached(sql::load_alarms);
  st.bind_int64(1, now);
  while (st.step()) {
    open_alarm a;
    a.key = {st.column_text(0), st.column_text(1), st.column_text(2), st.column_text(3)};
    if (!listed(devices, a.key.device)) {
      continue;
    }
    a.severity = static_cast<severity>(std::clamp<std::int64_t>(st.column_int64(4), 0, 7));
    a.since = st.column_int64(5);
    a.updated_at = st.column_int64(6);
    a.event_id = st.column_text(7);
    a.message = st.column_text(8);
    out.push_back(std::move(a));
  }
  st.reset();
  auto& failing = store.database().cached(sql::load_failing_sinks);
  while (failing.step()) {
    open_alarm a;
    a.key = {"", "sink", failing.column_text(0), "delivery"};
    if (!listed(sinks, a.key.component_id)) {
      continue;
    }
    a.severity = severity::error;
    a.since = failing.column_int64(1);
    a.updated_at = failing.column_optional_int64(2).value_or(a.since);
    a.message = failing.column_is_null(3) ? "" : failing.column_text(3);
    out.push_back(std::move(a));
  }
  failing.reset();
  std::sort(out.begin(), out.end(), [](const open_alarm& a, const open_alarm& b) {
    return std::tie(a.severity, a.since, a.key) < std::tie(b.severity, b.since, b.key);
  });
  return out;
}

void forget_vanished_parts(state_store& store, std::string_view device,
                           const std::function<bool(const alarm_key&)>& present) {
  std::vector<alarm_key> gone;
  auto& st = store.database().cached(sql::load_device_alarm_keys);
  st.bind_text(1, device);
  while (st.step()) {
    alarm_key k{std::string(device), st.column_text(0), st.column_text(1), st.column_text(2)};
    const bool agents_own = std::any_of(agent_alarm_rules.begin(), agent_alarm_rules.end(),
                                        [&](const auto& r) { return r.component == k.component; });
    if (!agents_own && !present(k)) {
      gone.push_back(std::move(k));
    }
  }
  st.reset();
  store.write(
      [&] {
        auto& clear = store.database().cached(sql::clear_alarm);
        for (const auto& k : gone) {
          bind_key(clear, k);
          clear.run();
        }
      },
      sqlite::durability::deferred);
}

void forget_alarms_except(state_store& store, std::span<const std::string> devices) {
  std::vector<std::string> gone;
  auto& st = store.database().cached(sql::alarm_devices);
  while (st.step()) {
    if (auto d = st.column_text(0); !d.empty() && !listed(devices, d)) {
      gone.push_back(std::move(d));
    }
  }
  st.reset();
  if (gone.empty()) {
    return;
  }
  store.write(
      [&] {
        auto& forget = store.database().cached(sql::forget_device_alarms);
        for (const auto& d : gone) {
          forget.bind_text(1, d);
          forget.run();
        }
      },
      sqlite::durability::deferred);
}

bool alarm_open(state_store& store, const alarm_key& key, std::int64_t now) {
  auto& st = store.database().cached(sql::find_alarm);
  bind_key(st, key);
  st.bind_int64(5, now);
  const bool found = st.step();
  st.reset();
  return found;
}

}  // namespace qsanfwd
