#include "agent/health/health_monitor.hpp"

#include "agent/core/logging.hpp"
#include "agent/core/time.hpp"
#include "agent/device/rest_api.hpp"
#include "agent/health/diff.hpp"
#include "agent/store/alarms.hpp"

namespace qsanfwd::health {
namespace asio = boost::asio;

health_monitor::health_monitor(device::device_client& client, state_store& store,
                               event_queue& queue, config::health_options options,
                               monitor_hooks hooks)
    : client_(client),
      store_(store),
      queue_(queue),
      state_(store, client.settings().name),
      options_(std::move(options)),
      hooks_(std::move(hooks)),
      log_(get_logger("health")) {}

void health_monitor::set_identity(std::string model, std::string serial) {
  model_ = std::move(model);
  serial_ = std::move(serial);
}

template <typename T>
bool health_monitor::take(result<T>& answer, std::optional<T>& into, std::string_view endpoint) {
  const auto& device = client_.settings().name;
  if (answer) {
    into = std::move(*answer);
    if (const auto it = failing_.find(endpoint); it != failing_.end()) {
      failing_.erase(it);
      log_->info("{}: {} reads again", device, endpoint);
    }
    return true;
  }
  ++counters_.sections_skipped;
  if (answer.error().kind == failure_kind::unsupported) {
    return true;  // the client has warned once; the snapshot keeps this part as it was
  }
  const auto state = client_.state();
  if (state == device::device_state::unreachable || state == device::device_state::login_failed) {
    return false;  // the client reports the device; a poll of nothing would report nothing
  }
  if (failing_.emplace(endpoint).second) {
    log_->warn("{}: cannot read {} ({}); keeping its last health snapshot until it reads", device,
               endpoint, answer.error().message);
  }
  return true;
}

asio::awaitable<result<std::size_t>> health_monitor::poll_once() {
  ++counters_.polls;
  const auto polled_at = unix_now();
  poll_data data;
  // Sequential and named, not temporaries inside co_await: GCC 12 destroys those twice.
  auto numbers = co_await client_.enclosure_numbers();
  bool reachable = take(numbers, data.enclosure_numbers, "/rest/v1/hardware/info");
  if (reachable) {
    auto enclosures = co_await client_.enclosures();
    reachable = take(enclosures, data.enclosures, "/rest/v1/hardware/all/info");
  }
  if (reachable) {
    auto disks = co_await client_.disks();
    reachable = take(disks, data.disks, "/rest/v1/storage/disk/list");
  }
  if (reachable) {
    auto pools = co_await client_.pools();
    reachable = take(pools, data.pools, "/rest/v1/storage/pool/list");
  }
  if (reachable) {
    auto volumes = co_await client_.volumes();
    reachable = take(volumes, data.volumes, "/rest/v1/storage/volume/list");
  }
  if (reachable) {
    reachable = co_await read_hosts_and_tasks(data);
  }
  const bool any = data.enclosures || data.disks || data.pools || data.volumes ||
                   data.iscsi_sessions || data.replication_tasks || data.snapshot_tasks;
  if (!reachable || !any) {
    ++counters_.failed_polls;
    co_return failure{reachable
                          ? "no health endpoint of " + client_.settings().name + " could be read"
                          : client_.settings().name + " cannot be reached"};
  }
  learn_identity(data);
  if (hooks_.wait_for_room) {
    co_await hooks_.wait_for_room();
  }
  const auto queued = commit(data, polled_at);
  counters_.last_success_unix = polled_at;
  co_return queued;
}

asio::awaitable<bool> health_monitor::read_hosts_and_tasks(poll_data& data) {
  auto sessions = co_await client_.iscsi_sessions();
  if (!take(sessions, data.iscsi_sessions, device::rest::iscsi_session_list)) {
    co_return false;
  }
  auto replication = co_await client_.replication_tasks();
  if (!take(replication, data.replication_tasks, device::rest::replication_task_list)) {
    co_return false;
  }
  auto snapshots = co_await client_.snapshot_tasks();
  co_return take(snapshots, data.snapshot_tasks, device::rest::snapshot_task_list);
}

void health_monitor::learn_identity(const poll_data& data) {
  if (!model_.empty() || !data.enclosures) {
    return;
  }
  // The head enclosure is the one reporting the system's health.
  for (const auto& e : *data.enclosures) {
    if (!e.sys_health.empty() && !e.model_name.empty()) {
      set_identity(e.model_name, e.serial_number);
      return;
    }
  }
}

std::size_t health_monitor::commit(const poll_data& data, std::int64_t polled_at) {
  auto saved = state_.load();
  std::optional<snapshot> previous;
  if (saved) {
    previous = std::move(saved->readings);
  }
  const auto observed = flatten(data, previous ? *previous : snapshot{});
  const poll_context ctx{.device = client_.settings().name,
                         .host = client_.settings().peer.host,
                         .timestamp = polled_at,
                         .saves = saved ? saved->saves : 0,
                         .model = model_,
                         .serial = serial_};
  const auto result = diff(previous, observed, options_.limits, ctx);
  // Nothing changed (the usual poll): the store holds this snapshot already, and rewriting it
  // cost a transaction and an fsync per poll (bench/fleet). health_polls then keeps the time
  // of the last change, which only tells that the device was polled before.
  if (result.events.empty() && previous && result.next == *previous) {
    return 0;
  }
  auto tx = store_.begin();
  for (const auto& e : result.events) {
    queue_.append(e);
  }
  apply_alarms(store_, result.events);
  forget_vanished_parts(store_, ctx.device, [&](const alarm_key& k) {
    return result.next.contains({k.component, k.component_id, k.attribute});
  });
  state_.save(result.next, polled_at);
  // A power cut before the dispatcher's next sync rolls back events and snapshot together, and
  // the next poll finds the same changes.
  tx.commit(sqlite::durability::deferred);
  for (const auto& e : result.events) {
    log_->debug("{}: {}", ctx.device, e.message);
  }
  counters_.events_queued += result.events.size();
  if (!result.events.empty() && hooks_.appended) {
    hooks_.appended();
  }
  return result.events.size();
}

}  // namespace qsanfwd::health
