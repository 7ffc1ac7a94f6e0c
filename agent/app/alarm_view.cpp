#include "agent/app/alarm_view.hpp"

#include <algorithm>

#include "agent/core/duration.hpp"
#include "agent/core/time.hpp"
#include "agent/core/utf8.hpp"

namespace qsanfwd::app {
namespace {

/// Of a summary's message: the first alarms in full, then how many more.
constexpr std::size_t summary_alarms = 20;

/// "disk e0d3 health", "sink siem delivery", "device reachable".
std::string where(const alarm_key& k) {
  std::string out = k.component;
  if (!k.component_id.empty()) {
    out += " " + k.component_id;
  }
  return out + " " + k.attribute;
}

}  // namespace

nlohmann::ordered_json alarm_json(const open_alarm& a, std::int64_t now) {
  return {{"device", a.key.device},
          {"component", a.key.component},
          {"component_id", a.key.component_id},
          {"attribute", a.key.attribute},
          {"severity", to_string(a.severity)},
          {"since", a.since},
          {"since_time", rfc3339_utc(a.since)},
          {"age_seconds", std::max<std::int64_t>(now - a.since, 0)},
          {"event_id", a.event_id},
          {"message", a.message}};
}

std::string alarm_line(const nlohmann::ordered_json& a, std::size_t max_message) {
  const auto text = [&](const char* key) { return a.value(key, std::string()); };
  std::string line = text("severity");
  line.resize(std::max<std::size_t>(line.size(), 8), ' ');
  const auto device = text("device");
  line += "  " + (device.empty() ? std::string("agent") : device) + " " +
          where({device, text("component"), text("component_id"), text("attribute")}) + "  since " +
          text("since_time") + " (" +
          format_duration(duration{a.value("age_seconds", std::int64_t{0}) * 1000}) + ")";
  if (const auto message = text("message"); !message.empty()) {
    line += "  ";
    line += utf8_prefix(message, max_message);
  }
  return line;
}

event alarm_summary(std::string device, std::string host, std::span<const open_alarm> open) {
  const auto name = device.empty() ? std::string("the agent") : device;
  if (open.empty()) {
    return make_agent_event(std::move(device), std::move(host), "alarms_open", severity::notice,
                            "No alarm open on " + name);
  }
  auto worst = severity::warning;
  std::string message = std::to_string(open.size()) + " alarm(s) open on " + name + ":";
  for (std::size_t i = 0; i < open.size(); ++i) {
    const auto& a = open[i];
    worst = std::min(worst, a.severity);
    if (i < summary_alarms) {
      message += (i ? "; " : " ") + std::string(to_string(a.severity)) + " " + where(a.key) +
                 " since " + rfc3339_utc(a.since) +
                 (a.event_id.empty() ? std::string() : " (event " + a.event_id + ")");
    }
  }
  if (open.size() > summary_alarms) {
    message += "; and " + std::to_string(open.size() - summary_alarms) + " more";
  }
  return make_agent_event(std::move(device), std::move(host), "alarms_open", worst,
                          std::move(message));
}

}  // namespace qsanfwd::app
