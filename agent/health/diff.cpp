#include "agent/health/diff.hpp"

#include <fmt/format.h>

#include <charconv>
#include <utility>

#include "agent/core/ids.hpp"
#include "agent/health/condition.hpp"

namespace qsanfwd::health {
namespace {

/// A threshold: an alarm at or beyond `at` (above when `upward`, else below), cleared only
/// `margin` past it on the safe side.
struct limit_rule {
  double at = 0;
  bool upward = true;
  double margin = 0;
};

std::optional<limit_rule> rule_for(const key& k, const config::thresholds& t) {
  if (k.attribute == attributes::temperature) {
    return limit_rule{k.component == components::disk ? t.disk_temperature_c : t.temperature_c,
                      true, hysteresis};
  }
  if (k.attribute == attributes::ssd_life_remain) {
    return limit_rule{t.ssd_life_remain_pct, false, hysteresis};
  }
  if (k.attribute == attributes::used_pct) {
    return limit_rule{
        k.component == components::snapshot_space ? t.snapshot_used_pct : t.pool_used_pct, true,
        hysteresis};
  }
  if (k.attribute == attributes::rpm) {
    return limit_rule{0, false, 0};  // a fan at 0 rpm; any turning clears it
  }
  return std::nullopt;
}

bool alarm(const limit_rule& rule, double value, bool was_raised) {
  const double margin = was_raised ? rule.margin : 0;
  return rule.upward ? value >= rule.at - margin : value <= rule.at + margin;
}

std::optional<double> parse_number(const std::string& text) {
  double v = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (ec != std::errc() || ptr != end) {
    return std::nullopt;
  }
  return v;
}

std::string threshold_message(const key& k, const reading& r, const limit_rule& rule, bool raised) {
  const auto limit = number_text(rule.at);
  if (k.attribute == attributes::temperature) {
    return raised ? fmt::format("{} temperature is {} °C, at or above the {} °C threshold", r.label,
                                r.value, limit)
                  : fmt::format("{} temperature is {} °C, back under the {} °C threshold", r.label,
                                r.value, limit);
  }
  if (k.attribute == attributes::ssd_life_remain) {
    return raised ? fmt::format("{} SSD life remaining is {}%, at or under the {}% threshold",
                                r.label, r.value, limit)
                  : fmt::format("{} SSD life remaining is {}%, back above the {}% threshold",
                                r.label, r.value, limit);
  }
  if (k.attribute == attributes::used_pct) {
    return raised ? fmt::format("{} is {}% used, at or above the {}% threshold", r.label, r.value,
                                limit)
                  : fmt::format("{} is {}% used, back under the {}% threshold", r.label, r.value,
                                limit);
  }
  return raised ? fmt::format("{} has stopped ({} rpm)", r.label, r.value)
                : fmt::format("{} is turning again ({} rpm)", r.label, r.value);
}

/// Components whose leaving the array's list is news: reported removed and kept as absent.
bool tracks_presence(std::string_view component) {
  return component == components::enclosure || component == components::disk ||
         component == components::iscsi_session;
}

/// A replication task goes from Online to Replicating and back at each scheduled run: only
/// its leaving a good state, and its return, are news.
bool reports_fine_changes(std::string_view component) {
  return component != components::replication && component != components::replication_destination;
}

std::string removed_message(std::string_view component, const std::string& label) {
  return component == components::iscsi_session
             ? label + " is gone: the array no longer lists it"
             : label + " was removed: the array no longer lists it";
}

std::string returned_message(std::string_view component, const std::string& label) {
  return component == components::iscsi_session ? label + " is back" : label + " is present again";
}

/// The readings of one component, before and now, by attribute.
struct component_readings {
  std::map<std::string, const reading*> before;
  std::map<std::string, const reading*> now;
};

const reading* find(const std::map<std::string, const reading*>& m, std::string_view attribute) {
  const auto it = m.find(std::string(attribute));
  return it == m.end() ? nullptr : it->second;
}

/// One health or status word that changed (or is not fine on first sight).
struct word_change {
  std::string_view attribute;
  const reading* before = nullptr;
  const reading* now = nullptr;
  severity level = severity::info;
};

class differ {
 public:
  differ(const std::optional<snapshot>& previous, const config::thresholds& limits,
         const poll_context& ctx)
      : previous_(previous), limits_(limits), ctx_(ctx) {}

  void component(const std::string& name, const std::string& id, const component_readings& c) {
    if (name == section_marker) {
      for (const auto& [attribute, now] : c.now) {
        out_.next[key{name, id, attribute}] = *now;
      }
      return;
    }
    const bool tracked = tracks_presence(name);
    const auto* was = find(c.before, attributes::presence);
    const bool was_absent = was != nullptr && was->value == absent;
    const key presence_key{name, id, std::string(attributes::presence)};
    if (c.now.empty()) {
      if (tracked && was != nullptr) {
        if (!was_absent) {
          emit(presence_key, *was, std::string(present), std::string(absent),
               severity_of_change(condition::fine, condition_of(absent)),
               removed_message(name, was->label));
        }
        auto gone = *was;
        gone.value = std::string(absent);
        out_.next[presence_key] = std::move(gone);
      }
      return;
    }
    const auto& any = *c.now.begin()->second;
    if (tracked && was_absent) {
      emit(presence_key, any, std::string(absent), std::string(present),
           severity_of_change(condition_of(absent), condition::fine),
           returned_message(name, any.label));
    } else if (tracked && c.before.empty() && section_was_read(name, id)) {
      emit(presence_key, any, "", std::string(present),
           severity_of_change(std::nullopt, condition::fine), any.label + " was added");
    }
    // A removed component's old words and alarms are not its state now.
    static const std::map<std::string, const reading*> nothing;
    const auto& before = was_absent ? nothing : c.before;
    words(name, id, before, c.now);
    session_count(name, id, before, c.now);
    for (const auto& [attribute, now] : c.now) {
      const key k{name, id, attribute};
      auto kept = *now;
      if (const auto rule = rule_for(k, limits_)) {
        kept.raised = threshold(k, *rule, find(before, attribute), *now);
      }
      out_.next[k] = std::move(kept);
    }
  }

  void inventory_first(const snapshot& observed) {
    const auto n = inventory_of(observed);
    const auto counts = fmt::format(
        "{} enclosures, {} disks, {} pools, {} raidsets, {} volumes, {} iSCSI sessions, {} "
        "replication tasks",
        n.enclosures, n.disks, n.pools, n.raidsets, n.volumes, n.iscsi_sessions,
        n.replication_tasks);
    const auto attention = out_.events.size();
    const auto message =
        fmt::format("Health monitoring of {} started: {}; {}", ctx_.device, counts,
                    attention == 0 ? std::string("all fine")
                                   : fmt::format("{} not fine (reported separately)", attention));
    event e = base(key{"inventory", ctx_.device, "count"}, reading{}, "", counts, severity::info,
                   message);
    out_.events.insert(out_.events.begin(), std::move(e));
  }

  diff_result take() { return std::move(out_); }

 private:
  void words(const std::string& name, const std::string& id,
             const std::map<std::string, const reading*>& before,
             const std::map<std::string, const reading*>& now) {
    std::vector<word_change> changes;
    for (const auto attribute : {attributes::health, attributes::status}) {
      const auto* cur = find(now, attribute);
      if (cur == nullptr) {
        continue;
      }
      const auto* prev = find(before, attribute);
      const auto current = condition_of(cur->value);
      if (prev != nullptr && prev->value == cur->value) {
        continue;
      }
      if (prev == nullptr && current == condition::fine) {
        continue;  // first sight of a fine component is not news
      }
      if (prev != nullptr && current == condition::fine &&
          condition_of(prev->value) == condition::fine && !reports_fine_changes(name)) {
        continue;
      }
      const auto level = severity_of_change(
          prev ? std::optional(condition_of(prev->value)) : std::nullopt, current);
      changes.push_back(word_change{attribute, prev, cur, level});
    }
    if (changes.empty()) {
      return;
    }
    // Lower is more severe; on a tie the health word leads.
    const auto lead = std::min_element(
        changes.begin(), changes.end(),
        [](const word_change& a, const word_change& b) { return a.level < b.level; });
    std::vector<std::string> parts;
    std::string notes;
    for (const auto& c : changes) {
      const auto noun = name == components::enclosure && c.attribute == attributes::health
                            ? std::string("system health")
                            : std::string(c.attribute);
      parts.push_back(
          c.before ? fmt::format("{} changed from {} to {}", noun, c.before->value, c.now->value)
                   : fmt::format("{} is {}", noun, c.now->value));
      if (condition_of(c.now->value) == condition::unknown) {
        notes += fmt::format(" (\"{}\" is not a health word qsanfwd knows: treated as not fine)",
                             c.now->value);
      }
    }
    const auto message = fmt::format("{} {}{}", lead->now->label, fmt::join(parts, "; "), notes);
    emit(key{name, id, std::string(lead->attribute)}, *lead->now,
         lead->before ? lead->before->value : "", lead->now->value, lead->level, message);
  }

  /// Several sessions under one key (multipath): one fewer is a path lost (warning), one more
  /// a path back or added (notice). The first sight of a key is not news.
  void session_count(const std::string& name, const std::string& id,
                     const std::map<std::string, const reading*>& before,
                     const std::map<std::string, const reading*>& now) {
    if (name != components::iscsi_session) {
      return;
    }
    const auto* prev = find(before, attributes::sessions);
    const auto* cur = find(now, attributes::sessions);
    if (prev == nullptr || cur == nullptr || prev->value == cur->value) {
      return;
    }
    const auto was = parse_number(prev->value);
    const auto is = parse_number(cur->value);
    if (!was || !is) {
      return;
    }
    const bool fewer = *is < *was;
    emit(key{name, id, std::string(attributes::sessions)}, *cur, prev->value, cur->value,
         fewer ? severity::warning : severity::notice,
         fmt::format("{} now has {} sessions (had {})", cur->label, cur->value, prev->value));
  }

  /// Emits a crossing when the alarm changes; returns whether it is raised now.
  bool threshold(const key& k, const limit_rule& rule, const reading* before, const reading& now) {
    const bool was_raised = before != nullptr && before->raised;
    const auto value = parse_number(now.value);
    if (!value) {
      return was_raised;
    }
    const bool raised = alarm(rule, *value, was_raised);
    if (raised != was_raised) {
      emit(k, now, before ? before->value : "", now.value, severity_of_threshold(raised),
           threshold_message(k, now, rule, raised));
    }
    return raised;
  }

  event base(const key& k, const reading& r, std::string previous, std::string current,
             severity level, std::string message) const {
    event e;
    e.kind = event_kind::health;
    e.device = ctx_.device;
    e.host = ctx_.host;
    e.timestamp = ctx_.timestamp;
    e.severity = level;
    e.message = std::move(message);
    const bool own = !r.model.empty() || !r.serial.empty();
    e.model = own ? r.model : ctx_.model;
    e.serial = own ? r.serial : ctx_.serial;
    e.component = k.component;
    e.component_id = k.component_id;
    e.attribute = k.attribute;
    e.previous = std::move(previous);
    e.current = std::move(current);
    e.id = stable_id({e.device, e.component, e.component_id, e.attribute, e.previous, e.current,
                      std::to_string(e.timestamp), std::to_string(ctx_.saves)});
    return e;
  }

  void emit(const key& k, const reading& r, std::string previous, std::string current,
            severity level, std::string message) {
    out_.events.push_back(
        base(k, r, std::move(previous), std::move(current), level, std::move(message)));
  }

  /// Whether an earlier poll read the section of this component: then a component the snapshot
  /// lacks is new to the array, not just new to qsanfwd.
  bool section_was_read(const std::string& name, const std::string& id) const {
    return previous_ && previous_->contains(marker_of(section_of(key{name, id, ""})));
  }

  const std::optional<snapshot>& previous_;
  const config::thresholds& limits_;
  const poll_context& ctx_;
  diff_result out_;
};

}  // namespace

diff_result diff(const std::optional<snapshot>& previous, const snapshot& observed,
                 const config::thresholds& limits, const poll_context& ctx) {
  std::map<std::pair<std::string, std::string>, component_readings> components;
  if (previous) {
    for (const auto& [k, r] : *previous) {
      components[{k.component, k.component_id}].before[k.attribute] = &r;
    }
  }
  for (const auto& [k, r] : observed) {
    components[{k.component, k.component_id}].now[k.attribute] = &r;
  }
  differ d(previous, limits, ctx);
  for (const auto& [name_id, c] : components) {
    d.component(name_id.first, name_id.second, c);
  }
  if (!previous) {
    d.inventory_first(observed);
  }
  return d.take();
}

}  // namespace qsanfwd::health
