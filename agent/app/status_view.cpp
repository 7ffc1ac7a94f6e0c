#include "agent/app/status_view.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "agent/core/event.hpp"
#include "agent/core/time.hpp"

#ifndef QSANFWD_VERSION
#define QSANFWD_VERSION "unknown"
#endif

namespace qsanfwd::app {
namespace {

/// Writes one JSON object's members after another; the caller opens and closes the braces.
/// Hand-written rather than a DOM: a thousand devices' worth takes a fraction of the time.
class status_writer {
 public:
  explicit status_writer(std::string& out) : out_(out) {}

  void key(std::string_view k) {
    if (out_.back() != '{' && out_.back() != '[') {
      out_ += ',';
    }
    out_ += '"';
    out_ += k;  // our own literals: nothing to escape
    out_ += "\":";
  }
  void text(std::string_view k, std::string_view v) {
    key(k);
    append_json_string(out_, v);
  }
  void integer(std::string_view k, std::int64_t v) {
    key(k);
    fmt::format_to(std::back_inserter(out_), "{}", v);
  }
  void optional_integer(std::string_view k, std::optional<std::int64_t> v) {
    if (v) {
      integer(k, *v);
    } else {
      key(k);
      out_ += "null";
    }
  }
  /// Two decimals are plenty for a rate, and keep the numbers short.
  void rate(std::string_view k, double v) {
    key(k);
    fmt::format_to(std::back_inserter(out_), "{}", std::round(v * 100) / 100);
  }
  /// Starts an element of an array: a comma unless it is the first.
  void element() {
    if (out_.back() != '[') {
      out_ += ',';
    }
    out_ += '{';
  }

 private:
  std::string& out_;
};

bool device_down(const device_metrics& d) {
  return d.state == device::device_state::unreachable ||
         d.state == device::device_state::login_failed;
}

/// What grew by `now - before` over `seconds`; 0 for a total that went back or a window too
/// short to say anything.
double per_second(double now, double before, double seconds) {
  return seconds < 0.2 || now < before ? 0 : (now - before) / seconds;
}

template <typename Map>
double rate_of(const status_context& c, const Map status_totals::*member, std::string_view name,
               double now) {
  if (c.before == nullptr) {
    return 0;
  }
  const auto& totals = c.before->*member;
  const auto it = totals.find(name);
  return it == totals.end() ? 0
                            : per_second(now, static_cast<double>(it->second), c.at - c.before->at);
}

void write_summary(status_writer& w, std::string& out, const agent_snapshot& s) {
  const auto critical = std::count_if(s.alarms.begin(), s.alarms.end(), [](const open_alarm& a) {
    return a.severity <= severity::critical;
  });
  const auto down = std::count_if(s.devices.begin(), s.devices.end(), device_down);
  const auto failing = std::count_if(s.sinks.begin(), s.sinks.end(),
                                     [](const pipeline::sink_status& k) { return k.retrying; });
  w.key("summary");
  out += '{';
  w.integer("alarms", static_cast<std::int64_t>(s.alarms.size()));
  w.integer("critical", critical);
  w.integer("devices", static_cast<std::int64_t>(s.devices.size()));
  w.integer("devices_down", down);
  w.integer("sinks", static_cast<std::int64_t>(s.sinks.size()));
  w.integer("sinks_failing", failing);
  out += '}';
}

void write_alarms(status_writer& w, std::string& out, const agent_snapshot& s) {
  w.key("alarms");
  out += '[';
  for (const auto& a : s.alarms) {
    w.element();
    w.text("device", a.key.device);
    w.text("component", a.key.component);
    w.text("component_id", a.key.component_id);
    w.text("attribute", a.key.attribute);
    w.text("severity", to_string(a.severity));
    w.integer("since", a.since);
    w.key("since_time");
    out += '"';
    append_rfc3339_utc(out, a.since);
    out += '"';
    w.text("event_id", a.event_id);
    w.text("message", a.message);
    out += '}';
  }
  out += ']';
}

/// The log and health errors, each named; "" when both polls went well.
std::string device_error(const device_metrics& d) {
  if (d.logs_error.empty() || d.health_error.empty()) {
    return d.logs_error.empty() ? d.health_error : d.logs_error;
  }
  return "logs: " + d.logs_error + "; health: " + d.health_error;
}

std::optional<std::int64_t> last_poll(const device_metrics& d) {
  const auto last = std::max(d.logs.last_success_unix, d.health.last_success_unix);
  return last > 0 ? std::optional(last) : std::nullopt;
}

void write_devices(status_writer& w, std::string& out, const agent_snapshot& s,
                   const status_context& c) {
  std::map<std::string_view, std::int64_t, std::less<>> alarms;
  for (const auto& a : s.alarms) {
    ++alarms[a.key.device];
  }
  w.key("devices");
  out += '[';
  for (const auto& d : s.devices) {
    w.element();
    w.text("name", d.name);
    w.text("state", to_string(d.state));
    const auto open = alarms.find(d.name);
    w.integer("alarms", open == alarms.end() ? 0 : open->second);
    const auto checkpoint = d.logs_enabled ? d.checkpoint : std::nullopt;
    w.optional_integer("checkpoint", checkpoint);
    w.optional_integer(
        "checkpoint_lag_seconds",
        checkpoint ? std::optional(std::max<std::int64_t>(0, s.now - *checkpoint)) : std::nullopt);
    w.integer("lines", static_cast<std::int64_t>(d.logs.lines_queued));
    w.rate("lines_per_second",
           rate_of(c, &status_totals::lines, d.name, static_cast<double>(d.logs.lines_queued)));
    w.optional_integer("last_poll", last_poll(d));
    w.text("last_error", device_error(d));
    out += '}';
  }
  out += ']';
}

void write_sinks(status_writer& w, std::string& out, const agent_snapshot& s,
                 const status_context& c) {
  w.key("sinks");
  out += '[';
  for (std::size_t i = 0; i < s.sinks.size(); ++i) {
    const auto& k = s.sinks[i];
    const auto& backlog = s.sink_backlog[i];
    const auto* extra = i < c.sinks.size() ? &c.sinks[i] : nullptr;
    w.element();
    w.text("name", k.name);
    w.text("type", extra ? extra->type : "");
    w.text("state", k.retrying ? "retrying" : "delivering");
    w.integer("queue_events", backlog.events);
    w.integer("queue_bytes", backlog.bytes);
    std::optional<std::int64_t> age;
    if (backlog.events > 0 && extra && extra->oldest) {
      age = std::max<std::int64_t>(0, s.now - *extra->oldest);
    }
    w.optional_integer("oldest_age_seconds", age);
    w.integer("delivered", k.delivered);
    w.rate("delivered_per_second",
           rate_of(c, &status_totals::delivered, k.name, static_cast<double>(k.delivered)));
    w.integer("retries", k.retried);
    w.text("last_error", k.last_error);
    out += '}';
  }
  out += ']';
}

double steady_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

status_totals totals_of(const agent_snapshot& s, double at) {
  status_totals t;
  t.at = at;
  for (const auto& d : s.devices) {
    t.lines.emplace(d.name, d.logs.lines_queued);
  }
  for (const auto& k : s.sinks) {
    t.delivered.emplace(k.name, k.delivered);
  }
  return t;
}

const status_totals* rate_window::base() const {
  return kept_.empty() ? nullptr : &kept_.front();
}

void rate_window::add(status_totals t) {
  if (!kept_.empty() && t.at - kept_.back().at < 1) {
    return;
  }
  kept_.push_back(std::move(t));
  while (kept_.size() > 1 && kept_.back().at - kept_[1].at >= span) {
    kept_.pop_front();
  }
}

std::string status_json(const agent_snapshot& s, const status_context& c) {
  std::string out;
  // About what a device's and an alarm's members take, so the string grows once or twice.
  out.reserve(512 + 320 * s.devices.size() + 400 * s.alarms.size() + 320 * s.sinks.size());
  status_writer w(out);
  out += '{';
  w.text("version", QSANFWD_VERSION);
  w.integer("now", s.now);
  w.integer("started_at", c.started_at);
  write_summary(w, out, s);
  write_alarms(w, out, s);
  write_devices(w, out, s, c);
  write_sinks(w, out, s, c);
  out += '}';
  return out;
}

void status_endpoint::prime(const agent_snapshot& s) {
  window_.add(totals_of(s, steady_seconds()));
}

ops::reply status_endpoint::reply(const agent_snapshot& s,
                                  const std::vector<config::sink_config>& sinks,
                                  event_queue& queue) {
  status_context c{started_at_, {}, steady_seconds(), window_.base()};
  for (std::size_t i = 0; i < s.sinks.size(); ++i) {
    sink_extra extra;
    const auto& name = s.sinks[i].name;
    const auto it = std::find_if(sinks.begin(), sinks.end(),
                                 [&](const config::sink_config& k) { return k.name == name; });
    if (it != sinks.end()) {
      extra.type = it->type;
    }
    // The oldest event's own time: the queue keeps no time of queueing. Read only for a sink
    // with a backlog, which is the one whose age matters.
    if (s.sink_backlog[i].events > 0) {
      if (const auto first = queue.read_after(s.sinks[i].cursor, 1); !first.empty()) {
        extra.oldest = first.front().fields().timestamp;
      }
    }
    c.sinks.push_back(std::move(extra));
  }
  auto body = status_json(s, c);
  window_.add(totals_of(s, c.at));
  return {200, "application/json", std::move(body)};
}

}  // namespace qsanfwd::app
