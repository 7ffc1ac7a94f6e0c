// GET /api/status (issue 30) for a fleet of 1,000 arrays: what the endpoint does besides
// reading the snapshot, which /metrics reads the same way.

#include <benchmark/benchmark.h>

#include "agent/app/status_view.hpp"
#include "agent/store/alarms.hpp"
#include "bench_support.hpp"

namespace qsanfwd::bench {
namespace {

constexpr std::int64_t now = 1'796'000'000;

/// 1,000 devices (every tenth unreachable, with an error), two sinks (one retrying), and an
/// open alarm on every twentieth device.
app::agent_snapshot fleet_snapshot(std::size_t devices) {
  app::agent_snapshot s;
  s.now = now;
  for (std::size_t i = 0; i < devices; ++i) {
    app::device_metrics d;
    d.name = "array-" + std::to_string(i);
    d.state = i % 10 == 0 ? device::device_state::unreachable : device::device_state::reachable;
    d.checkpoint = now - static_cast<std::int64_t>(i % 60);
    d.logs.lines_queued = 1000 * i;
    d.logs.last_success_unix = now - 1;
    d.health.last_success_unix = now - 30;
    if (i % 10 == 0) {
      d.logs_error = "connect to 192.0.2.10:443: Connection refused";
    }
    s.devices.push_back(std::move(d));
    if (i % 20 == 0) {
      open_alarm a;
      a.key = {s.devices.back().name, "disk", "e0d3", "health"};
      a.severity = severity::critical;
      a.since = now - 600;
      a.event_id = "0f3c5a9d2b7e4c11";
      a.message =
          "Disk e0d3 (enclosure 0, slot 3, serial WD-100004) health changed from Good to "
          "Failed; status changed from Online to Offline";
      s.alarms.push_back(std::move(a));
    }
  }
  for (const auto* name : {"siem", "archive"}) {
    pipeline::sink_status k;
    k.name = name;
    k.delivered = 123456789;
    s.sinks.push_back(std::move(k));
    s.sink_backlog.push_back(queue_span{1200, 1 << 20, 99});
  }
  s.sinks[0].retrying = true;
  s.sinks[0].last_error = "HTTP 503 from https://siem.example:8088/services/collector";
  return s;
}

/// The body of one request, with rates against a sample 5 s old: the pure builder alone.
void status_json_1000_devices(benchmark::State& state) {
  const auto s = fleet_snapshot(1000);
  const auto before = app::totals_of(s, 0);
  app::status_context c{now - 3600, {{"http", now - 30}, {"file", now - 2}}, 5, &before};
  std::int64_t bytes = 0;
  for (auto _ : state) {
    const auto body = app::status_json(s, c);
    bytes += static_cast<std::int64_t>(body.size());
    benchmark::DoNotOptimize(body.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(s.devices.size()));
  state.SetBytesProcessed(bytes);
}
BENCHMARK(status_json_1000_devices)->Unit(benchmark::kMillisecond);

/// A failed disk on every twentieth device, raised in the store as the health monitor does.
void raise_disk_alarms(state_store& store, const app::agent_snapshot& s) {
  std::vector<event> failed;
  for (const auto& a : s.alarms) {
    event e;
    e.kind = event_kind::health;
    e.id = a.event_id + a.key.device;
    e.device = a.key.device;
    e.timestamp = a.since;
    e.severity = a.severity;
    e.message = a.message;
    e.component = a.key.component;
    e.component_id = a.key.component_id;
    e.attribute = a.key.attribute;
    e.previous = "Good";
    e.current = "Failed";
    failed.push_back(std::move(e));
  }
  store.write([&] { apply_alarms(store, failed); }, sqlite::durability::deferred);
}

/// What a request costs besides copying the counters out of the collector: the open alarms
/// read from a real state store (as take_snapshot reads them), the body, and the sample kept
/// for the rates of later requests (status_endpoint::reply).
void status_request_1000_devices(benchmark::State& state) {
  auto s = fleet_snapshot(1000);
  temp_store db;
  raise_disk_alarms(db.store(), s);
  std::vector<std::string> devices;
  for (const auto& d : s.devices) {
    devices.push_back(d.name);
  }
  const std::vector<std::string> sinks{"siem", "archive"};
  const auto before = app::totals_of(s, 0);
  app::status_context c{now - 3600, {{"http", now - 30}, {"file", now - 2}}, 5, &before};
  for (auto _ : state) {
    s.alarms = load_open_alarms(db.store(), now, devices, sinks);
    const auto body = app::status_json(s, c);
    auto kept = app::totals_of(s, c.at);
    benchmark::DoNotOptimize(body.data());
    benchmark::DoNotOptimize(kept);
  }
  state.counters["alarms"] = static_cast<double>(s.alarms.size());
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(s.devices.size()));
}
BENCHMARK(status_request_1000_devices)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace qsanfwd::bench
