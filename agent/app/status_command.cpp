#include "agent/app/status_command.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <iostream>

#include "agent/app/alarm_view.hpp"
#include "agent/app/exit_codes.hpp"
#include "agent/app/requests.hpp"
#include "agent/core/time.hpp"
#include "agent/logs/replays.hpp"
#include "agent/store/device_activity.hpp"
#include "agent/store/event_queue.hpp"
#include "sinks/registry.hpp"

namespace qsanfwd::app {
namespace {

using json = nlohmann::ordered_json;

json when(std::optional<std::int64_t> at, std::int64_t now) {
  if (!at) {
    return nullptr;
  }
  return {{"time", rfc3339_utc(*at)}, {"age_seconds", now - *at}};
}

json activity_json(const std::vector<device_activity>& all, const std::string& device,
                   std::string_view activity, std::int64_t now) {
  for (const auto& a : all) {
    if (a.device == device && a.activity == activity) {
      return {{"last_success", when(a.last_success_at, now)},
              {"last_failure", when(a.last_failure_at, now)},
              {"last_error", a.last_error.empty() ? json(nullptr) : json(a.last_error)},
              {"consecutive_failures", a.failures}};
    }
  }
  return nullptr;
}

/// The times the array's log was found overwritten or cleared past the checkpoint (kept as the
/// failures of the activity "logs_gap"), or null.
json gaps_json(const std::vector<device_activity>& all, const std::string& device,
               std::int64_t now) {
  for (const auto& a : all) {
    if (a.device == device && a.activity == "logs_gap") {
      return {{"count", a.failures}, {"last", when(a.last_failure_at, now)}, {"what", a.last_error}};
    }
  }
  return nullptr;
}

/// The bytes of invalid UTF-8 the array answered with, each read as U+FFFD (kept as the tally
/// of the activity "invalid_utf8"), or null when there were none.
json invalid_utf8_json(const std::vector<device_activity>& all, const std::string& device,
                       std::int64_t now) {
  for (const auto& a : all) {
    if (a.device == device && a.activity == "invalid_utf8") {
      return {{"bytes", a.failures}, {"last", when(a.last_failure_at, now)}};
    }
  }
  return nullptr;
}

json device_json(const config::device_config& d, const std::vector<checkpoint_view>& checkpoints,
                 const std::vector<device_activity>& activity, std::int64_t now) {
  json out{{"name", d.name}, {"url", d.url}};
  out["checkpoint"] = nullptr;
  out["lag_seconds"] = nullptr;
  for (const auto& cp : checkpoints) {
    if (cp.device == d.name) {
      // The checkpoint is in the array's clock: its distance from now is how far collection
      // trails the array (plus any clock skew between the two).
      out["checkpoint"] = {{"time", rfc3339_utc(cp.start_time)},
                           {"moved", when(cp.updated_at, now)}};
      out["lag_seconds"] = std::max<std::int64_t>(0, now - cp.start_time);
    }
  }
  out["logs"] = activity_json(activity, d.name, "logs", now);
  out["health"] = activity_json(activity, d.name, "health", now);
  out["log_gaps"] = gaps_json(activity, d.name, now);
  out["invalid_utf8"] = invalid_utf8_json(activity, d.name, now);
  return out;
}

/// The pace in effect, in the shape of the `rate_limit` key: the type's default when unset.
json pace_json(const config::rate_limit& pace) {
  const auto whole = static_cast<std::int64_t>(pace.events_per_second);
  // As check-config prints it: 1000, not 1000.0.
  json out{{"events_per_second", static_cast<double>(whole) == pace.events_per_second
                                     ? json(whole)
                                     : json(pace.events_per_second)}};
  if (pace.paced()) {
    out["burst"] = pace.burst;
  }
  return out;
}

json sink_json(const config::sink_config& s, event_queue& queue,
               const std::vector<sink_cursor>& cursors, std::int64_t now) {
  json out{{"name", s.name}, {"type", s.type}};
  out["rate_limit"] = pace_json(s.pace);
  const auto it =
      std::find_if(cursors.begin(), cursors.end(), [&](const auto& c) { return c.sink == s.name; });
  if (it == cursors.end()) {
    out["started"] = false;  // configured, but no agent has run with it yet
    return out;
  }
  out["started"] = true;
  const auto pending = queue.span_after(it->seq);
  out["undelivered_events"] = pending.events;
  out["undelivered_bytes"] = pending.bytes;
  out["oldest_undelivered"] = nullptr;
  if (const auto first = queue.read_after(it->seq, 1); !first.empty()) {
    out["oldest_undelivered"] = when(first.front().fields().timestamp, now);
  }
  out["delivered"] = it->delivered;
  out["retried"] = it->retried;
  out["rejected"] = it->rejected;
  out["dropped"] = it->dropped;
  out["filtered"] = it->filtered;
  out["failing_since"] = when(it->failing_since, now);
  out["last_error"] = nullptr;
  if (!it->last_error.empty()) {
    out["last_error"] = {{"what", it->last_error}, {"at", when(it->last_error_at, now)}};
  }
  return out;
}

std::string age(const json& w) {
  if (w.is_null()) {
    return "never";
  }
  const auto s = w["age_seconds"].get<std::int64_t>();
  const auto text = s < 120      ? fmt::format("{}s", s)
                    : s < 7200   ? fmt::format("{}m", s / 60)
                    : s < 172800 ? fmt::format("{}h", s / 3600)
                                 : fmt::format("{}d", s / 86400);
  return w["time"].get<std::string>() + " (" + text + " ago)";
}

std::string bytes(std::int64_t n) {
  if (n < 10 * 1024) {
    return fmt::format("{} B", n);
  }
  if (n < 10 * 1024 * 1024) {
    return fmt::format("{} KiB", n / 1024);
  }
  return fmt::format("{} MiB", n / (1024 * 1024));
}

void print_activity(std::string_view what, const json& a, std::ostream& out) {
  if (a.is_null()) {
    out << fmt::format("    {:<7} no poll yet\n", what);
    return;
  }
  out << fmt::format("    {:<7} last ok {}\n", what, age(a["last_success"]));
  if (a["consecutive_failures"].get<std::int64_t>() > 0) {
    out << fmt::format("    {:<7} FAILING ({} in a row) since {}: {}\n", "",
                       a["consecutive_failures"].get<std::int64_t>(), age(a["last_failure"]),
                       a["last_error"].get<std::string>());
  }
}

/// Alarms listed by print_status; `qsanfwd alarms` lists all.
constexpr std::size_t alarms_shown = 20;

/// Devices shown in full by print_status; of more, only the failing ones.
constexpr std::size_t fleet_above = 20;

/// A device whose last log cycle or health poll failed.
bool device_failing(const json& d) {
  for (const char* activity : {"logs", "health"}) {
    const auto& a = d[activity];
    if (a.is_object() && a["consecutive_failures"].get<std::int64_t>() > 0) {
      return true;
    }
  }
  return false;
}

json replay_json(const logs::replay& r, std::int64_t now) {
  json out{{"id", r.id},
           {"device", r.device},
           {"sink", r.sink},
           {"from", rfc3339_utc(r.from)},
           {"to", rfc3339_utc(r.to)},
           {"asked", when(std::optional(r.asked_at), now)},
           {"state", r.state},
           {"queued", r.queued},
           {"reached", r.reached ? json(rfc3339_utc(*r.reached)) : json()},
           {"finished", when(r.finished_at, now)},
           {"last_error", r.last_error.empty() ? json() : json(r.last_error)}};
  return out;
}

/// Running replays first, then those finished, newest first.
json replays_json(state_store& store, const std::filesystem::path& state_dir, std::int64_t now) {
  auto all = logs::replay_book(store).all();
  std::stable_partition(all.rbegin(), all.rend(),
                        [](const logs::replay& r) { return r.state == "running"; });
  json out = json::array();
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    out.push_back(replay_json(*it, now));
  }
  json waiting = json::array();
  for (const auto& r : waiting_requests(state_dir)) {
    if (r.error.empty()) {
      waiting.push_back(json(r.body));
    } else {
      waiting.push_back({{"file", r.file.string()}, {"error", r.error}});
    }
  }
  return {{"replays", out}, {"requests_waiting", waiting}};
}

void print_replays(const json& status, std::ostream& out) {
  const auto& replays = status["replays"];
  const auto& waiting = status["requests_waiting"];
  if (replays.empty() && waiting.empty()) {
    return;
  }
  out << "\nreplays\n";
  if (!waiting.empty()) {
    out << "  " << waiting.size() << " request(s) waiting for the agent (not running?)\n";
  }
  constexpr std::size_t finished_shown = 5;
  std::size_t finished = 0;
  for (const auto& r : replays) {
    const bool running = r["state"] == "running";
    if (!running && ++finished > finished_shown) {
      continue;
    }
    out << fmt::format("  {} {} -> {}  {} to {}: {}, {} line(s) queued", r["id"].get<std::int64_t>(),
                       r["device"].get<std::string>(), r["sink"].get<std::string>(),
                       r["from"].get<std::string>(), r["to"].get<std::string>(),
                       r["state"].get<std::string>(), r["queued"].get<std::int64_t>());
    if (running && !r["reached"].is_null()) {
      out << ", read to " << r["reached"].get<std::string>();
    }
    out << (running ? "" : ", " + age(r["finished"])) << "\n";
    if (!r["last_error"].is_null()) {
      out << "    " << (running ? "last error: " : "failed: ") << r["last_error"].get<std::string>()
          << "\n";
    }
  }
  if (finished > finished_shown) {
    out << "  (" << finished - finished_shown << " older; --json lists them)\n";
  }
}

}  // namespace

json alarms_json(const config::agent_config& cfg, state_store& store, std::int64_t now,
                 const std::string& device) {
  std::vector<std::string> devices;
  for (const auto& d : cfg.devices) {
    if (device.empty() || d.name == device) {
      devices.push_back(d.name);
    }
  }
  std::vector<std::string> sinks;
  for (const auto& s : cfg.sinks) {
    sinks.push_back(s.name);
  }
  auto out = json::array();
  for (const auto& a : load_open_alarms(store, now, devices, sinks)) {
    // --device: that device's alarms, not the sinks'.
    if (device.empty() || a.key.device == device) {
      out.push_back(alarm_json(a, now));
    }
  }
  return out;
}

void print_alarms(const json& alarms, std::size_t at_most, std::ostream& out) {
  out << "alarms: " << alarms.size() << " open\n";
  for (std::size_t i = 0; i < std::min(alarms.size(), at_most); ++i) {
    out << "  " << alarm_line(alarms[i]) << "\n";
  }
  if (alarms.size() > at_most) {
    out << "  (" << alarms.size() - at_most << " more: `qsanfwd alarms` or --json lists them)\n";
  }
}

json collect_status(const config::agent_config& cfg, state_store& store, std::int64_t now,
                    const std::string& device) {
  event_queue queue(store);
  const auto totals = queue.totals();
  json out{{"state_file", store.file().string()},
           {"now", rfc3339_utc(now)},
           {"alarms", alarms_json(cfg, store, now, device)},
           {"queue", {{"events", totals.events}, {"bytes", totals.bytes}}}};
  const auto checkpoints = load_checkpoints(store);
  const auto activity = load_device_activity(store);
  out["devices"] = json::array();
  auto failing = json::array();
  for (const auto& d : cfg.devices) {
    if (device.empty() || d.name == device) {
      auto one = device_json(d, checkpoints, activity, now);
      if (device_failing(one)) {
        failing.push_back(d.name);
      }
      out["devices"].push_back(std::move(one));
    }
  }
  out["summary"] = {{"devices", out["devices"].size()}, {"failing", failing}};
  const auto cursors = queue.cursors();
  out["sinks"] = json::array();
  for (const auto& s : cfg.sinks) {
    out["sinks"].push_back(sink_json(s, queue, cursors, now));
  }
  out.update(replays_json(store, cfg.state_dir, now));
  return out;
}

void print_status(const json& status, std::ostream& out) {
  const auto& failing = status["summary"]["failing"];
  const auto devices = status["devices"].size();
  out << "state " << status["state_file"].get<std::string>() << " at "
      << status["now"].get<std::string>() << "; queue holds "
      << status["queue"]["events"].get<std::int64_t>() << " events ("
      << bytes(status["queue"]["bytes"].get<std::int64_t>()) << ")\n\n";
  print_alarms(status["alarms"], alarms_shown, out);
  out << "\ndevices: " << devices
      << ", " << failing.size() << " failing\n";
  const bool fleet = devices > fleet_above;
  for (const auto& d : status["devices"]) {
    if (fleet && !device_failing(d)) {
      continue;
    }
    out << "  " << d["name"].get<std::string>() << "  " << d["url"].get<std::string>() << "\n";
    if (d["checkpoint"].is_null()) {
      out << "    logs    no checkpoint yet\n";
    } else {
      out << fmt::format("    checkpoint {} (lag {}s), moved {}\n",
                         d["checkpoint"]["time"].get<std::string>(),
                         d["lag_seconds"].get<std::int64_t>(), age(d["checkpoint"]["moved"]));
    }
    print_activity("logs", d["logs"], out);
    print_activity("health", d["health"], out);
    if (const auto& g = d["log_gaps"]; !g.is_null()) {
      out << fmt::format("    gaps    {} in the array's log, the last {}: {}\n",
                         g["count"].get<std::int64_t>(), age(g["last"]),
                         g["what"].get<std::string>());
    }
    if (const auto& u = d["invalid_utf8"]; !u.is_null()) {
      out << fmt::format("    utf8    {} bytes of invalid UTF-8 read as U+FFFD, the last {}\n",
                         u["bytes"].get<std::int64_t>(), age(u["last"]));
    }
  }
  if (fleet) {
    out << "  (" << devices - failing.size()
        << " more polling well: --device NAME shows one, --json all)\n";
  }
  out << "\nsinks\n";
  for (const auto& s : status["sinks"]) {
    const auto& pace = s["rate_limit"];
    const config::rate_limit limit{pace["events_per_second"].get<double>(),
                                   pace.value("burst", std::size_t{0})};
    out << "  " << s["name"].get<std::string>() << " (" << s["type"].get<std::string>() << ", "
        << config::describe(limit) << ")\n";
    if (!s["started"].get<bool>()) {
      out << "    not started yet\n";
      continue;
    }
    out << fmt::format(
        "    undelivered {} events ({}), oldest {}\n", s["undelivered_events"].get<std::int64_t>(),
        bytes(s["undelivered_bytes"].get<std::int64_t>()),
        s["oldest_undelivered"].is_null() ? std::string("-") : age(s["oldest_undelivered"]));
    out << fmt::format("    delivered {}, retried {}, rejected {}, dropped {}, filtered {}\n",
                       s["delivered"].get<std::int64_t>(), s["retried"].get<std::int64_t>(),
                       s["rejected"].get<std::int64_t>(), s["dropped"].get<std::int64_t>(),
                       s["filtered"].get<std::int64_t>());
    if (const auto& e = s["last_error"]; !e.is_null()) {
      const auto what = e["what"].get<std::string>();
      out << (s["failing_since"].is_null()
                  ? fmt::format("    last error {}: {}\n", age(e["at"]), what)
                  : fmt::format("    FAILING since {}: {}\n", age(s["failing_since"]), what));
    }
  }
  print_replays(status, out);
}

namespace {

/// The config for a command that only reads the state: no secret, for it runs from an
/// operator's shell without the service's environment. Nullopt when it cannot be read or names
/// no such `device` (both said on stderr).
std::optional<config::agent_config> config_for_reading(const common_options& opts,
                                                       const std::string& device) {
  config::agent_config cfg;
  try {
    cfg = config::load_config_file(opts.config_file, sinks::sink_types(),
                                   config::process_environment(), opts.shard,
                                   config::secret_reading::skipped);
  } catch (const config::config_error& e) {
    std::cerr << "qsanfwd: " << e.what() << "\n";
    return std::nullopt;
  }
  if (!device.empty() && std::none_of(cfg.devices.begin(), cfg.devices.end(),
                                      [&](const auto& d) { return d.name == device; })) {
    std::cerr << "qsanfwd: no device named \"" << device << "\" in " << opts.config_file << "\n";
    return std::nullopt;
  }
  return cfg;
}

/// Runs `show` on the read-only store of `cfg`; exit_failure with the reason when it fails.
template <class Show>
int with_store(const config::agent_config& cfg, Show&& show) {
  try {
    auto store = state_store::open_read_only(cfg.state_dir);
    show(*store);
    return exit_ok;
  } catch (const std::exception& e) {
    std::cerr << "qsanfwd: " << e.what() << "\n";
    return exit_failure;
  }
}

}  // namespace

int status_command(const common_options& opts, const std::string& device, bool json_output) {
  const auto cfg = config_for_reading(opts, device);
  if (!cfg) {
    return exit_usage;
  }
  return with_store(*cfg, [&](state_store& store) {
    const auto status = collect_status(*cfg, store, unix_now(), device);
    if (json_output) {
      std::cout << status.dump(2) << "\n";
    } else {
      print_status(status, std::cout);
    }
  });
}

int alarms_command(const common_options& opts, const std::string& device, bool json_output,
                   bool resend) {
  const auto cfg = config_for_reading(opts, device);
  if (!cfg) {
    return exit_usage;
  }
  if (resend) {
    try {
      const auto file = submit_request(cfg->state_dir, {{"resend_alarms", true}});
      std::cout << "asked the agent to queue a summary of the open alarms of each device ("
                << file.string()
                << "): a running agent does it at once, a stopped one when it starts\n";
      return exit_ok;
    } catch (const std::exception& e) {
      std::cerr << "qsanfwd: alarms --resend: " << e.what() << "\n";
      return exit_failure;
    }
  }
  return with_store(*cfg, [&](state_store& store) {
    const auto alarms = alarms_json(*cfg, store, unix_now(), device);
    if (json_output) {
      std::cout << alarms.dump(2) << "\n";
      return;
    }
    std::cout << alarms.size() << " alarm(s) open\n";
    for (const auto& a : alarms) {
      std::cout << alarm_line(a, std::string::npos) << "\n";
      if (const auto id = a["event_id"].get<std::string>(); !id.empty()) {
        std::cout << "          event " << id << "\n";
      }
    }
  });
}

}  // namespace qsanfwd::app
