#include "agent/app/metrics_endpoint.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <map>
#include <set>
#include <string>
#include <tuple>

#include "agent/core/time.hpp"
#include "agent/ops/prometheus.hpp"

#ifndef QSANFWD_VERSION
#define QSANFWD_VERSION "unknown"
#endif

namespace qsanfwd::app {
namespace {

using ops::labels;

/// One family with one sample per device.
template <typename Value>
void per_device(ops::prometheus_text& p, const agent_snapshot& s, std::string_view name,
                std::string_view type, std::string_view help, Value value) {
  p.family(name, type, help);
  for (const auto& d : s.devices) {
    p.sample(name, {{"device", d.name}}, static_cast<double>(value(d)));
  }
}

/// One family with one sample per sink; `value` gets the sink's status and backlog.
template <typename Value>
void per_sink(ops::prometheus_text& p, const agent_snapshot& s, std::string_view name,
              std::string_view type, std::string_view help, Value value) {
  p.family(name, type, help);
  for (std::size_t i = 0; i < s.sinks.size(); ++i) {
    p.sample(name, {{"sink", s.sinks[i].name}},
             static_cast<double>(value(s.sinks[i], s.sink_backlog[i])));
  }
}

bool device_answers(const device_metrics& d) {
  return d.state != device::device_state::unreachable &&
         d.state != device::device_state::login_failed;
}

/// Each array's REST client: whether it answers, its requests, logins and retries.
void array_client_metrics(ops::prometheus_text& p, const agent_snapshot& s) {
  per_device(p, s, "qsanfwd_device_up", "gauge",
             "1 when the array answers and accepts the login, 0 otherwise.",
             [](const device_metrics& d) { return device_answers(d) ? 1 : 0; });
  per_device(p, s, "qsanfwd_device_requests_total", "counter", "REST requests sent to the array.",
             [](const device_metrics& d) { return d.client.requests; });
  per_device(p, s, "qsanfwd_device_logins_total", "counter", "Logins with user and password.",
             [](const device_metrics& d) { return d.client.logins; });
  per_device(p, s, "qsanfwd_device_refreshes_total", "counter",
             "Access tokens renewed with the refresh token.",
             [](const device_metrics& d) { return d.client.refreshes; });
  per_device(p, s, "qsanfwd_device_unauthorized_total", "counter",
             "401 answers (expired or revoked tokens).",
             [](const device_metrics& d) { return d.client.unauthorized; });
  per_device(p, s, "qsanfwd_device_request_retries_total", "counter",
             "Requests retried after a transient failure.",
             [](const device_metrics& d) { return d.client.retries; });
  per_device(p, s, "qsanfwd_device_invalid_utf8_bytes_total", "counter",
             "Bytes of the array's answers that were not UTF-8, read as U+FFFD.",
             [](const device_metrics& d) { return d.client.invalid_utf8; });
}

/// Each array's log reading, and how far it trails the array's clock.
void log_metrics(ops::prometheus_text& p, const agent_snapshot& s) {
  per_device(p, s, "qsanfwd_log_polls_total", "counter", "Log read cycles begun.",
             [](const device_metrics& d) { return d.logs.cycles; });
  per_device(p, s, "qsanfwd_log_poll_errors_total", "counter", "Log read cycles that failed.",
             [](const device_metrics& d) { return d.logs.failed_cycles; });
  per_device(p, s, "qsanfwd_log_pages_total", "counter", "Pages of /rest/v1/log/list read.",
             [](const device_metrics& d) { return d.logs.pages; });
  per_device(p, s, "qsanfwd_log_lines_read_total", "counter", "Log lines read, re-reads included.",
             [](const device_metrics& d) { return d.logs.lines_read; });
  per_device(p, s, "qsanfwd_log_lines_queued_total", "counter",
             "Log lines put into the queue (each line once).",
             [](const device_metrics& d) { return d.logs.lines_queued; });
  per_device(p, s, "qsanfwd_log_duplicates_dropped_total", "counter",
             "Lines read again (window overlap, shifting pages) and dropped.",
             [](const device_metrics& d) { return d.logs.duplicates_dropped; });
  per_device(p, s, "qsanfwd_log_gaps_total", "counter",
             "Times the array no longer held lines read before at the checkpoint: its log was "
             "overwritten or cleared, and lines after them may be lost (event logs_gap).",
             [](const device_metrics& d) { return d.logs.gaps; });
  per_device(p, s, "qsanfwd_log_lines_ahead_total", "counter",
             "Lines stamped ahead of the array's own clock, forwarded without moving the "
             "checkpoint (re-reads included).",
             [](const device_metrics& d) { return d.logs.lines_ahead; });
  per_device(p, s, "qsanfwd_log_lines_before_start_total", "counter",
             "Lines stamped before the startTime asked for (an array that ignores it), dropped.",
             [](const device_metrics& d) { return d.logs.lines_before_start; });
  p.family("qsanfwd_log_checkpoint_lag_seconds", "gauge",
           "Now minus the log checkpoint (the array's clock): how far collection trails.");
  for (const auto& d : s.devices) {
    if (d.checkpoint) {
      p.sample("qsanfwd_log_checkpoint_lag_seconds", {{"device", d.name}},
               static_cast<double>(std::max<std::int64_t>(0, s.now - *d.checkpoint)));
    }
  }
}

/// Each array's health polls.
void health_metrics(ops::prometheus_text& p, const agent_snapshot& s) {
  per_device(p, s, "qsanfwd_health_polls_total", "counter", "Health polls begun.",
             [](const device_metrics& d) { return d.health.polls; });
  per_device(p, s, "qsanfwd_health_poll_errors_total", "counter", "Health polls that failed.",
             [](const device_metrics& d) { return d.health.failed_polls; });
  per_device(p, s, "qsanfwd_health_events_total", "counter", "Health events queued.",
             [](const device_metrics& d) { return d.health.events_queued; });
}

/// Open alarms counted by device, component and severity; a sink's have no device.
void alarm_metrics(ops::prometheus_text& p, const agent_snapshot& s) {
  std::map<std::tuple<std::string, std::string, severity>, int> open;
  for (const auto& a : s.alarms) {
    ++open[{a.key.device, a.key.component, a.severity}];
  }
  p.family("qsanfwd_alarms_open", "gauge",
           "Conditions raised and not cleared (a failed disk, an unreachable array, a failing "
           "sink), as `qsanfwd alarms` lists them.");
  for (const auto& [key, n] : open) {
    const auto& [device, component, level] = key;
    p.sample("qsanfwd_alarms_open",
             {{"device", device}, {"component", component}, {"severity", std::string(to_string(level))}},
             n);
  }
}

/// The sinks' own measurements (sink::gauges()): one family per name, one sample per sink that
/// has it.
void sink_gauge_metrics(ops::prometheus_text& p, const agent_snapshot& s) {
  std::set<std::string, std::less<>> done;
  for (const auto& first : s.sinks) {
    for (const auto& g : first.gauges) {
      if (!done.insert(g.name).second) {
        continue;
      }
      const auto name = "qsanfwd_sink_" + g.name;
      p.family(name, g.counter ? "counter" : "gauge", g.help);
      for (const auto& k : s.sinks) {
        for (const auto& h : k.gauges) {
          if (h.name == g.name) {
            p.sample(name, {{"sink", k.name}}, h.value);
          }
        }
      }
    }
  }
}

/// Each sink's deliveries, backlog and answer times.
void sink_metrics(ops::prometheus_text& p, const agent_snapshot& s) {
  using sink_status = pipeline::sink_status;
  per_sink(p, s, "qsanfwd_sink_up", "gauge", "1 when the sink's last attempt did not fail.",
           [](const sink_status& k, const queue_span&) { return k.retrying ? 0 : 1; });
  per_sink(p, s, "qsanfwd_sink_events_delivered_total", "counter", "Events the sink accepted.",
           [](const sink_status& k, const queue_span&) { return k.delivered; });
  per_sink(p, s, "qsanfwd_sink_retries_total", "counter", "Delivery attempts answered with retry.",
           [](const sink_status& k, const queue_span&) { return k.retried; });
  per_sink(p, s, "qsanfwd_sink_events_rejected_total", "counter",
           "Events refused for good, sent to the dead-letter file.",
           [](const sink_status& k, const queue_span&) { return k.rejected; });
  per_sink(p, s, "qsanfwd_sink_events_dropped_total", "counter",
           "Events skipped by queue.when_full: drop_oldest.",
           [](const sink_status& k, const queue_span&) { return k.dropped; });
  per_sink(p, s, "qsanfwd_sink_events_filtered_total", "counter",
           "Events the sink's match/exclude passed over: its cursor moved past them unsent.",
           [](const sink_status& k, const queue_span&) { return k.filtered; });
  per_sink(p, s, "qsanfwd_sink_queue_events", "gauge", "Events queued for the sink, not delivered.",
           [](const sink_status&, const queue_span& b) { return b.events; });
  per_sink(p, s, "qsanfwd_sink_queue_bytes", "gauge", "Bytes queued for the sink, not delivered.",
           [](const sink_status&, const queue_span& b) { return b.bytes; });
  p.family("qsanfwd_sink_request_duration_seconds", "histogram",
           "Time the sink took to answer a batch, since start.");
  for (const auto& k : s.sinks) {
    p.histogram("qsanfwd_sink_request_duration_seconds", {{"sink", k.name}},
                ops::latency_histogram::bounds, k.latency.counts(), k.latency.sum());
  }
  sink_gauge_metrics(p, s);
}

/// The durable queue as a whole.
void queue_metrics(ops::prometheus_text& p, const agent_snapshot& s) {
  p.family("qsanfwd_queue_events", "gauge", "Events in the durable queue.");
  p.sample("qsanfwd_queue_events", {}, static_cast<double>(s.queue.events));
  p.family("qsanfwd_queue_bytes", "gauge", "Bytes of events in the durable queue.");
  p.sample("qsanfwd_queue_bytes", {}, static_cast<double>(s.queue.bytes));
}

/// The process_* series every Prometheus client library exports, by their usual names.
void process_metrics(ops::prometheus_text& p, const agent_snapshot& s) {
  if (!s.process) {
    return;
  }
  const auto& proc = *s.process;
  const std::pair<const char*, const char*> gauges[] = {
      {"process_resident_memory_bytes", "Resident memory size in bytes."},
      {"process_virtual_memory_bytes", "Virtual memory size in bytes."},
      {"process_open_fds", "Number of open file descriptors."},
      {"process_max_fds", "Maximum number of open file descriptors (the soft limit)."},
      {"process_start_time_seconds", "Start time of the process since unix epoch in seconds."}};
  const double values[] = {static_cast<double>(proc.rss_kib) * 1024,
                           static_cast<double>(proc.vm_kib) * 1024,
                           static_cast<double>(proc.open_fds), static_cast<double>(s.max_fds),
                           proc.start_time_unix};
  p.family("process_cpu_seconds_total", "counter", "Total user and system CPU time in seconds.");
  p.sample("process_cpu_seconds_total", {}, proc.cpu_seconds);
  for (std::size_t i = 0; i < std::size(gauges); ++i) {
    p.family(gauges[i].first, "gauge", gauges[i].second);
    p.sample(gauges[i].first, {}, values[i]);
  }
}

void add_counts(device::client_counters& into, const device::client_counters& c) {
  into.requests += c.requests;
  into.logins += c.logins;
  into.refreshes += c.refreshes;
  into.unauthorized += c.unauthorized;
  into.retries += c.retries;
  into.failures += c.failures;
  into.invalid_utf8 += c.invalid_utf8;
}

void add_counts(logs::poller_counters& into, const logs::poller_counters& c) {
  into.cycles += c.cycles;
  into.pages += c.pages;
  into.lines_read += c.lines_read;
  into.lines_queued += c.lines_queued;
  into.duplicates_dropped += c.duplicates_dropped;
  into.failed_cycles += c.failed_cycles;
  into.lines_before_start += c.lines_before_start;
  into.lines_ahead += c.lines_ahead;
  into.gaps += c.gaps;
}

void add_counts(health::monitor_counters& into, const health::monitor_counters& c) {
  into.polls += c.polls;
  into.failed_polls += c.failed_polls;
  into.events_queued += c.events_queued;
  into.sections_skipped += c.sections_skipped;
}

void add_counts(device_metrics& into, const device_metrics& d) {
  add_counts(into.client, d.client);
  add_counts(into.logs, d.logs);
  add_counts(into.health, d.health);
}

/// The latency, and the sink's own counters (not its gauges, which say how it is now).
void add_counts(pipeline::sink_status& into, const pipeline::sink_status& k) {
  into.latency += k.latency;
  for (const auto& g : k.gauges) {
    if (!g.counter) {
      continue;
    }
    const auto same = std::find_if(into.gauges.begin(), into.gauges.end(),
                                   [&](const sinks::sink_gauge& h) { return h.name == g.name; });
    if (same == into.gauges.end()) {
      into.gauges.push_back(g);
    } else {
      same->value += g.value;
    }
  }
}

}  // namespace

void carried_counters::keep(const device_metrics& ended) {
  add_counts(devices_[ended.name], ended);
}

void carried_counters::keep(const pipeline::sink_status& ended) {
  add_counts(sinks_[ended.name], ended);
}

void carried_counters::add_to(agent_snapshot& s) const {
  for (auto& d : s.devices) {
    if (const auto it = devices_.find(d.name); it != devices_.end()) {
      add_counts(d, it->second);
    }
  }
  for (auto& k : s.sinks) {
    const auto it = sinks_.find(k.name);
    if (it == sinks_.end()) {
      continue;
    }
    k.latency += it->second.latency;
    // Only to counters the running sink reports: one of another type has counters of its own.
    for (auto& g : k.gauges) {
      for (const auto& kept : it->second.gauges) {
        if (g.counter && kept.name == g.name) {
          g.value += kept.value;
        }
      }
    }
  }
}

agent_snapshot take_snapshot(collector& agent, pipeline::delivery_thread& delivery,
                             event_queue& queue, const carried_counters& carried) {
  agent_snapshot s;
  s.devices = agent.metrics();
  s.sinks = delivery.status();
  carried.add_to(s);
  for (const auto& sink : s.sinks) {
    s.sink_backlog.push_back(queue.span_after(sink.cursor));
  }
  s.queue = queue.totals();
  s.now = unix_now();
  std::vector<std::string> devices;
  std::vector<std::string> sinks;
  for (const auto& d : s.devices) {
    devices.push_back(d.name);
  }
  for (const auto& k : s.sinks) {
    sinks.push_back(k.name);
  }
  s.alarms = load_open_alarms(queue.store(), s.now, devices, sinks);
  s.process = ops::sample_process(::getpid());
  rlimit files{};
  if (::getrlimit(RLIMIT_NOFILE, &files) == 0) {
    s.max_fds = files.rlim_cur;
  }
  return s;
}

ops::reply metrics_reply(const agent_snapshot& s) {
  ops::prometheus_text p;
  p.family("qsanfwd_build_info", "gauge", "The running qsanfwd's version (always 1).");
  p.sample("qsanfwd_build_info", {{"version", QSANFWD_VERSION}}, 1);
  array_client_metrics(p, s);
  log_metrics(p, s);
  health_metrics(p, s);
  alarm_metrics(p, s);
  sink_metrics(p, s);
  queue_metrics(p, s);
  process_metrics(p, s);
  return {200, "text/plain; version=0.0.4; charset=utf-8", p.text()};
}

ops::reply healthz_reply(const agent_snapshot& s) {
  auto problems = nlohmann::ordered_json::array();
  for (const auto& d : s.devices) {
    if (!device_answers(d)) {
      problems.push_back({{"device", d.name}, {"problem", to_string(d.state)}});
    }
    if (!d.logs_error.empty()) {
      problems.push_back({{"device", d.name}, {"problem", "log poll failing: " + d.logs_error}});
    }
    if (!d.health_error.empty()) {
      problems.push_back(
          {{"device", d.name}, {"problem", "health poll failing: " + d.health_error}});
    }
  }
  for (const auto& k : s.sinks) {
    if (k.retrying) {
      problems.push_back({{"sink", k.name}, {"problem", "delivery failing: " + k.last_error}});
    }
  }
  if (problems.empty()) {
    return {200, "application/json", R"({"status":"ok"})"};
  }
  nlohmann::ordered_json body{{"status", "unhealthy"}, {"problems", problems}};
  return {503, "application/json", body.dump()};
}

}  // namespace qsanfwd::app
