#include "agent/app/collector.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <list>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "agent/app/alarm_view.hpp"
#include "agent/app/device_wiring.hpp"
#include "agent/app/progress_display.hpp"
#include "agent/core/backoff.hpp"
#include "agent/core/logging.hpp"
#include "agent/core/time.hpp"
#include "agent/health/health_monitor.hpp"
#include "agent/logs/cycle_gate.hpp"
#include "agent/logs/log_poller.hpp"
#include "agent/logs/replays.hpp"
#include "agent/store/activity_recorder.hpp"
#include "agent/store/alarms.hpp"
#include "agent/store/event_queue.hpp"
#include "agent/store/sqlite.hpp"
#include "agent/store/write_thread.hpp"

namespace qsanfwd::app {
namespace asio = boost::asio;

namespace {

/// A range of a device's log read again for one sink: a log poller of its own, positioned in
/// the store under the replay's key, taking only the range's lines, for that sink alone.
struct replay_run {
  replay_run(device::log_reader& array, state_store& store, write_thread& writer,
             const config::log_options& live, logs::replay r, logs::poller_hooks hooks)
      : record(std::move(r)),
        poller(array, store, writer, options_for(live, record), std::move(hooks),
               role_for(record)) {}

  static config::log_options options_for(config::log_options o, const logs::replay& r) {
    o.enabled = true;
    o.start_at = {config::start_point::kind::timestamp, r.from};
    return o;
  }

  static logs::poller_role role_for(const logs::replay& r) {
    return {r.state_key(), r.sink, r.to,
            [id = r.id](state_store& store, std::int64_t queued, std::int64_t reached) {
              logs::replay_book::count_page(store, id, queued, reached);
            }};
  }

  logs::replay record;
  logs::log_poller poller;
  backoff retry{duration{1000}, duration{300'000}};
  std::chrono::steady_clock::time_point next = std::chrono::steady_clock::now();
};

/// One array: its client, its log poller and health monitor (which take turns on the client's
/// one connection), the replays of its log waiting their turn, and the timer its loop sleeps on.
struct device_runtime {
  /// What the device's loop does with the client between two pages of a long log cycle.
  using turn = std::function<asio::awaitable<void>(device_runtime&)>;

  device_runtime(asio::io_context& io, const config::device_config& c, state_store& store,
                 event_queue& queue, write_thread& writer, device::token_vault& vault,
                 logs::poller_hooks hooks, health::monitor_hooks health_hooks,
                 turn between_pages, const std::function<void(event)>& agent_event)
      : cfg(c),
        health_turn(std::move(between_pages)),
        client(io.get_executor(), client_settings_for(c), vault, agent_event),
        poller(client, store, writer, c.logs, with_turns(std::move(hooks))),
        monitor(client, store, queue, c.health, std::move(health_hooks)),
        timer(io) {
    if (alarm_open(store, {c.name, "device", "", "reachable"}, unix_now())) {
      client.expect_recovery();
    }
  }

  logs::poller_hooks with_turns(logs::poller_hooks h) {
    h.between_pages = [this] { return health_turn(*this); };
    return h;
  }

  config::device_config cfg;
  turn health_turn;
  device::device_client client;
  logs::log_poller poller;
  health::health_monitor monitor;
  asio::steady_timer timer;
  bool identified = false;
  std::string logs_error;    // the last log cycle's failure; empty after a success
  std::string health_error;  // the same for health polls
  bool disk_full = false;    // collection paused: the state database has no room
  std::uint64_t invalid_utf8_recorded = 0;  // of client.counters().invalid_utf8, for status
  std::chrono::steady_clock::time_point next_health = std::chrono::steady_clock::now();
  backoff health_retry{duration{1000}, duration{300'000}};
  std::chrono::steady_clock::time_point next_logs = std::chrono::steady_clock::now();
  backoff log_retry{duration{1000}, duration{300'000}};
  /// Oldest first: the first runs, between the live cycles and pages; the others wait for it.
  std::list<replay_run> replays;
  /// A reload removed or changed it: its loop ends at the next page or poll.
  bool stopping = false;
  /// What starts in its place once its loop ended (a reload changed its settings).
  std::optional<config::device_config> successor;
};

/// Thrown at a turn of a device told to stop: its loop ends there, every page before committed.
struct device_stopped {};

using steady = std::chrono::steady_clock;

/// A device's two kinds of poll: the name `qsanfwd status` knows each by, the words a log line
/// uses for one, and where the device keeps its last error.
struct activity {
  std::string_view name;
  std::string_view what;
  std::string device_runtime::*last_error;
};
constexpr activity log_reading{"logs", "log cycle", &device_runtime::logs_error};
constexpr activity health_polling{"health", "health poll", &device_runtime::health_error};

// How often a device tries again while the state database's disk is full.
constexpr duration disk_full_retry_max{5000};

// How long a poll's outcome may wait before it is in the store for `qsanfwd status`.
constexpr duration activity_flush_period{1000};

// Log cycles of the fleet at once (logs::cycle_gate): one thread parses and one stores, so
// more would only hold more pages; enough that arrays a few milliseconds away keep both busy.
// A slot is held while the array answers (a slow one holds it up to its timeout and retries);
// an array found unreachable takes none until it answers again.
constexpr std::size_t concurrent_log_cycles = 64;

}  // namespace

struct collector::impl {
  impl(asio::io_context& i, const config::agent_config& c, state_store& s)
      : io(i),
        cfg(c),
        store(s),
        queue(s),
        vault(s),
        log(get_logger("agent")),
        writer(s),
        outcomes(s),
        outcomes_timer(i),
        replays(s),
        cycles(concurrent_log_cycles) {}

  ~impl() {
    try {
      outcomes.flush();
    } catch (const std::exception& e) {
      log->warn("poll outcomes not recorded for status: {}", e.what());
    }
  }

  impl(const impl&) = delete;
  impl& operator=(const impl&) = delete;

  asio::io_context& io;
  config::agent_config cfg;  ///< as last applied (start, reconfigure)
  state_store& store;
  event_queue queue;
  store_token_vault vault;
  std::shared_ptr<spdlog::logger> log;
  progress_display progress;
  std::list<device_runtime> devices;  // stable addresses: coroutines hold references
  // After `devices`, so it is joined before they go: work handed to it refers to a poller.
  write_thread writer;
  std::function<void()> appended;
  std::function<asio::awaitable<void>()> room;
  std::function<void(const device_metrics&)> device_ended;
  bool stopping = false;
  activity_recorder outcomes;
  asio::steady_timer outcomes_timer;
  logs::replay_book replays;
  logs::cycle_gate cycles;

  void agent_event(event e) {
    // The alarm it raises or clears commits with it.
    store.write(
        [&] {
          queue.append(e);
          apply_alarms(store, {&e, 1});
        },
        sqlite::durability::deferred);
    notify();
  }

  void notify() {
    if (appended) {
      appended();
    }
  }

  health::monitor_hooks health_hooks() {
    health::monitor_hooks h;
    h.appended = [this] { notify(); };
    h.wait_for_room = [this]() -> asio::awaitable<void> {
      if (room) {
        co_await room();
      }
    };
    return h;
  }

  logs::poller_hooks hooks() {
    logs::poller_hooks h;
    h.appended = [this] { notify(); };
    h.wait_for_room = [this]() -> asio::awaitable<void> {
      if (room) {
        co_await room();
      }
    };
    h.on_progress = [this](const logs::progress& p) { progress.update(p); };
    h.agent_event = [this](event e) { agent_event(std::move(e)); };
    h.log_gap = [this](const event& e) {
      outcomes.failure(e.device, "logs_gap", e.timestamp, e.message);
    };
    return h;
  }

  /// Keeps the outcome of a poll for `qsanfwd status` and /healthz.
  template <typename T>
  void record(device_runtime& d, const activity& a, const result<T>& outcome) {
    note_invalid_utf8(d);
    auto& last = d.*a.last_error;
    if (outcome) {
      last.clear();
      outcomes.success(d.cfg.name, a.name, unix_now());
    } else {
      last = outcome.error().message;
      outcomes.failure(d.cfg.name, a.name, unix_now(), last);
    }
  }

  /// The bytes of invalid UTF-8 the array answered with since the last poll, tallied for
  /// `qsanfwd status` as the activity "invalid_utf8" (as /metrics counts them, but kept across
  /// restarts).
  void note_invalid_utf8(device_runtime& d) {
    const auto seen = d.client.counters().invalid_utf8;
    if (seen > d.invalid_utf8_recorded) {
      outcomes.count(d.cfg.name, "invalid_utf8", unix_now(),
                     static_cast<std::int64_t>(seen - d.invalid_utf8_recorded),
                     "bytes of the array's answers that were not UTF-8, each read as U+FFFD");
      d.invalid_utf8_recorded = seen;
    }
  }

  /// Writes the poll outcomes of the last second. A full disk keeps them for the next try (the
  /// device loops report it); any other store failure ends the loop, and the process.
  asio::awaitable<void> outcomes_loop() {
    while (!stopping) {
      outcomes_timer.expires_after(activity_flush_period);
      co_await outcomes_timer.async_wait(asio::as_tuple(asio::use_awaitable));
      try {
        outcomes.flush();
      } catch (const store_error& e) {
        if (!e.is_disk_full()) {
          throw;
        }
      }
    }
  }

  /// Model and serial go into every event; the head enclosure knows them.
  asio::awaitable<void> identify(device_runtime& d) {
    auto encs = co_await d.client.enclosures();
    if (!encs) {
      co_return;
    }
    for (const auto& e : *encs) {
      if (!e.model_name.empty()) {
        d.poller.set_identity(e.model_name, e.serial_number);
        d.monitor.set_identity(e.model_name, e.serial_number);
        d.identified = true;
        co_return;
      }
    }
  }

  /// Records a log cycle or health poll for status and says how long until the next: `next`,
  /// or after a failure a backoff capped at `cap`.
  template <typename T>
  duration after_step(device_runtime& d, const activity& a, const result<T>& outcome,
                      duration next, duration cap, backoff& retry) {
    record(d, a, outcome);
    if (outcome) {
      retry.reset();
      return next;
    }
    const auto wait = std::min(retry.next(), cap);
    log->debug("{}: {} failed: {}; next try in {}", d.cfg.name, a.what, outcome.error().message,
               format_duration(wait));
    return wait;
  }

  asio::awaitable<duration> read_logs(device_runtime& d, backoff& retry) {
    // An array that does not answer holds no page, and must not keep the others waiting.
    std::optional<logs::cycle_gate::pass> slot;
    if (d.client.answering()) {
      auto entered = co_await cycles.enter();
      slot.emplace(std::move(entered));
    }
    const auto cycle = co_await d.poller.poll_once();
    co_return after_step(d, log_reading, cycle, d.cfg.logs.interval,
                         std::max(d.cfg.logs.interval, duration{1000}), retry);
  }

  /// After a success the next poll comes at the device's own phase of the interval: a fleet
  /// polled all at once made its health round cost a 10 s slice of 15-20 % of a core (1,000
  /// arrays). Log cycles stay together: spread, their deliveries and wake-ups no longer share
  /// fixed costs, which doubled the average (bench/README.md, fleet).
  asio::awaitable<duration> poll_health(device_runtime& d, backoff& retry) {
    const auto poll = co_await d.monitor.poll_once();
    const auto next = until_phase(steady::now(), d.cfg.health.interval, d.cfg.name);
    co_return after_step(d, health_polling, poll, next, d.cfg.health.interval, retry);
  }

  /// Runs one step (a log cycle or a health poll). A full disk under state_dir pauses
  /// collection instead of ending the process: nothing could be queued, but the step's
  /// transaction rolled back and the checkpoint did not move, so the array still holds every
  /// line for later, and a restart loop would only make things worse. Said once when the disk
  /// fills and once when there is room again; other store failures still end the process.
  asio::awaitable<duration> guarded(device_runtime& d, const activity& a,
                                    asio::awaitable<duration> step, backoff& retry) {
    std::string full;
    try {
      const auto wait = co_await std::move(step);
      if (std::exchange(d.disk_full, false)) {
        log->info("{}: collection resumed: the state database has room again", d.cfg.name);
      }
      co_return wait;
    } catch (const store_error& e) {
      if (!e.is_disk_full()) {
        throw;
      }
      full = e.what();
    }
    const auto wait = std::min(retry.next(), disk_full_retry_max);
    d.*a.last_error = "disk full: " + full;
    if (!std::exchange(d.disk_full, true)) {
      log->error(
          "{}: collection paused: disk full under the state database: {}; trying again "
          "every {} at most, nothing is lost meanwhile (the array keeps its log)",
          d.cfg.name, full, format_duration(disk_full_retry_max));
    }
    co_return wait;
  }

  /// Polls the health when it is due: from the device's loop, and between the pages of a log
  /// cycle, so a disk failing during a long backlog drain is told within its interval.
  asio::awaitable<void> health_if_due(device_runtime& d) {
    if (d.stopping) {
      throw device_stopped{};
    }
    if (!d.cfg.health.enabled || stopping || steady::now() < d.next_health) {
      co_return;
    }
    auto step = poll_health(d, d.health_retry);
    const auto wait = co_await guarded(d, health_polling, std::move(step), d.health_retry);
    d.next_health = steady::now() + wait;
  }

  asio::awaitable<void> logs_if_due(device_runtime& d) {
    if (!d.cfg.logs.enabled || stopping || steady::now() < d.next_logs) {
      co_return;
    }
    // Named, not a temporary inside co_await (GCC 12).
    auto step = read_logs(d, d.log_retry);
    const auto wait = co_await guarded(d, log_reading, std::move(step), d.log_retry);
    d.next_logs = steady::now() + wait;
  }

  /// Between two pages of a replay: the live log and the health keep their pace.
  asio::awaitable<void> live_turns(device_runtime& d) {
    co_await logs_if_due(d);
    co_await health_if_due(d);
  }

  logs::poller_hooks replay_hooks(device_runtime& d) {
    auto h = hooks();
    // Stuck, gaps and the array's clock are the live reader's to report; a replay's failures
    // go to its row in the state store (status) and the log.
    h.on_progress = nullptr;
    h.agent_event = nullptr;
    h.log_gap = nullptr;
    h.between_pages = [this, &d] { return live_turns(d); };
    return h;
  }

  /// Reads the device's first replay to its end when it is due: done after one whole cycle
  /// (which reads from its position to the log's newest line), else tried again later from
  /// where its last page left it.
  asio::awaitable<void> replay_if_due(device_runtime& d) {
    if (d.replays.empty() || stopping || steady::now() < d.replays.front().next) {
      co_return;
    }
    auto& r = d.replays.front();
    result<std::int64_t> cycle;
    try {
      cycle = co_await r.poller.poll_once();
    } catch (const store_error& e) {
      if (!e.is_disk_full()) {
        throw;
      }
      cycle = failure{std::string("disk full: ") + e.what()};
    }
    if (stopping) {
      co_return;
    }
    if (!cycle) {
      const auto wait = r.retry.next();
      replays.note_error(r.record.id, cycle.error().message);
      log->warn("{}: replay {} for sink {}: {}; trying again in {}", d.cfg.name, r.record.id,
                r.record.sink, cycle.error().message, format_duration(wait));
      r.next = steady::now() + wait;
      co_return;
    }
    const auto queued = replays.finish(r.record, unix_now());
    log->info("{}: replay {} for sink {} done: {} line(s) stamped {} to {} queued again",
              d.cfg.name, r.record.id, r.record.sink, queued, rfc3339_utc(r.record.from),
              rfc3339_utc(r.record.to));
    d.replays.pop_front();
  }

  /// Reads the log every `logs.interval` and the health every `health.interval`, taking turns
  /// on the client's connection with each other and with the replays of its log; a failure
  /// backs off, capped at the interval.
  asio::awaitable<void> device_loop(device_runtime& d) {
    try {
      co_await device_turns(d);
    } catch (const device_stopped&) {
      // Between two pages or polls: loop_ended() takes it from here.
    }
  }

  asio::awaitable<void> device_turns(device_runtime& d) {
    while (!stopping && !d.stopping) {
      if (!d.identified) {
        co_await identify(d);
      }
      co_await logs_if_due(d);
      co_await health_if_due(d);
      co_await replay_if_due(d);
      if (stopping || d.stopping) {
        break;
      }
      d.timer.expires_at(next_wake(d));
      co_await d.timer.async_wait(asio::as_tuple(asio::use_awaitable));
    }
  }

  /// Starts a device and its loop, and resumes the replays of its log left running.
  void add(const config::device_config& c) {
    auto& d = devices.emplace_back(
        io, c, store, queue, writer, vault, hooks(), health_hooks(),
        [this](device_runtime& dr) { return health_if_due(dr); },
        [this](event e) { agent_event(std::move(e)); });
    asio::co_spawn(io, device_loop(d), [this, &d](std::exception_ptr e) { loop_ended(d, e); });
  }

  void resume_replays(const std::string& device) {
    for (auto& r : replays.running()) {
      if (r.device == device) {
        attach(std::move(r));
      }
    }
  }

  /// A device's loop ended: at stop() nothing more; after a reload stopped it, its place goes to
  /// its successor, if any. A store failure other than a full disk (corruption, a bug) ends the
  /// process: systemd restarts it, and the checkpoint guarantees nothing is lost or doubled.
  void loop_ended(device_runtime& d, const std::exception_ptr& e) {
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        log->critical("{}: device loop failed: {}", d.cfg.name, ex.what());
        io.stop();
      }
      return;
    }
    if (!d.stopping || stopping) {
      return;
    }
    auto successor = std::move(d.successor);
    const auto name = d.cfg.name;
    log->info("{}: stopped (reload){}", name, successor ? "; starting with its new settings" : "");
    if (device_ended) {
      device_ended(metrics_of(d));
    }
    devices.remove_if([&](const device_runtime& x) { return &x == &d; });
    if (successor) {
      add(*successor);
    } else {
      forget_alarms_except(store, device_names());
    }
    // A replay of a device gone for good ends failed (attach says why).
    resume_replays(name);
  }

  std::vector<std::string> device_names() const {
    std::vector<std::string> out;
    for (const auto& d : devices) {
      out.push_back(d.cfg.name);
    }
    return out;
  }

  static device_metrics metrics_of(device_runtime& d) {
    device_metrics m;
    m.name = d.cfg.name;
    m.logs_enabled = d.cfg.logs.enabled;
    m.health_enabled = d.cfg.health.enabled;
    m.state = d.client.state();
    m.client = d.client.counters();
    m.logs = d.poller.counters();
    m.health = d.monitor.counters();
    if (const auto cp = d.poller.current_checkpoint(); cp) {
      m.checkpoint = cp->start_time;
    }
    m.logs_error = d.logs_error;
    m.health_error = d.health_error;
    return m;
  }

  static void halt(device_runtime& d, std::optional<config::device_config> successor) {
    d.stopping = true;
    d.successor = std::move(successor);
    d.timer.cancel();
  }

  /// Why a replay for `device` and `sink` cannot run here, or empty.
  std::string not_configured(const std::string& device, const std::string& sink) const {
    if (std::none_of(devices.begin(), devices.end(),
                     [&](const device_runtime& d) { return d.cfg.name == device; })) {
      return "no device named \"" + device + "\"";
    }
    if (std::none_of(cfg.sinks.begin(), cfg.sinks.end(),
                     [&](const auto& s) { return s.name == sink; })) {
      return "no sink named \"" + sink + "\"";
    }
    return {};
  }

  /// Starts replay `r` on its device, or ends it failed when that device or sink is gone.
  void attach(logs::replay r) {
    if (const auto why = not_configured(r.device, r.sink); !why.empty()) {
      log->error("replay {}: {} (any longer): given up", r.id, why);
      replays.finish(r, unix_now(), why + " any longer");
      return;
    }
    const auto device = std::find_if(devices.begin(), devices.end(),
                                     [&](const device_runtime& d) { return d.cfg.name == r.device; });
    log->info("{}: replay {} of the lines stamped {} to {} for sink {}{}", r.device, r.id,
              rfc3339_utc(r.from), rfc3339_utc(r.to), r.sink,
              r.reached ? " resumed from " + rfc3339_utc(*r.reached) : std::string());
    auto& d = *device;
    d.replays.emplace_back(d.client, store, writer, d.cfg.logs, std::move(r), replay_hooks(d));
    d.timer.cancel();
  }

  static steady::time_point next_wake(const device_runtime& d) {
    auto wake = steady::time_point::max();
    if (d.cfg.logs.enabled) {
      wake = d.next_logs;
    }
    if (d.cfg.health.enabled) {
      wake = std::min(wake, d.next_health);
    }
    if (!d.replays.empty()) {
      wake = std::min(wake, d.replays.front().next);
    }
    return wake == steady::time_point::max() ? steady::now() + d.cfg.logs.interval : wake;
  }
};

collector::collector(asio::io_context& io, const config::agent_config& cfg, state_store& store)
    : impl_(std::make_unique<impl>(io, cfg, store)) {}

collector::~collector() = default;

void collector::on_appended(std::function<void()> fn) {
  impl_->appended = std::move(fn);
}

void collector::wait_for_room_with(std::function<asio::awaitable<void>()> fn) {
  impl_->room = std::move(fn);
}

result<std::int64_t> collector::replay(const std::string& device, const std::string& sink,
                                       std::int64_t from, std::int64_t to) {
  auto& i = *impl_;
  if (auto why = i.not_configured(device, sink); !why.empty()) {
    return failure{std::move(why)};
  }
  if (from > to) {
    return failure{"the range ends (" + rfc3339_utc(to) + ") before it starts (" +
                   rfc3339_utc(from) + ")"};
  }
  auto r = i.replays.add(device, sink, from, to, unix_now());
  const auto id = r.id;
  i.attach(std::move(r));
  return id;
}

std::string collector::resend_alarms() {
  auto& i = *impl_;
  const auto open = load_open_alarms(i.store, unix_now(), i.device_names());
  // One pass over the alarms, not one per device: a fleet has thousands of each.
  std::map<std::string, std::vector<open_alarm>, std::less<>> by_device;
  for (const auto& a : open) {
    by_device[a.key.device].push_back(a);
  }
  std::vector<event> summaries;
  for (const auto& d : i.devices) {
    summaries.push_back(
        alarm_summary(d.cfg.name, d.client.settings().peer.host, by_device[d.cfg.name]));
  }
  summaries.push_back(alarm_summary("", "", by_device[""]));
  i.queue.append(summaries);
  i.notify();
  return "queued " + std::to_string(summaries.size()) + " alarm summaries for " +
         std::to_string(open.size()) + " open alarm(s)";
}

std::vector<device_metrics> collector::metrics() {
  std::vector<device_metrics> out;
  for (auto& d : impl_->devices) {
    out.push_back(impl::metrics_of(d));
  }
  return out;
}

void collector::on_device_ended(std::function<void(const device_metrics&)> fn) {
  impl_->device_ended = std::move(fn);
}

void collector::start() {
  asio::co_spawn(impl_->io, impl_->outcomes_loop(), [this](std::exception_ptr e) {
    if (!e) {
      return;
    }
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      impl_->log->critical("recording poll outcomes failed: {}", ex.what());
      impl_->io.stop();
    }
  });
  for (const auto& c : impl_->cfg.devices) {
    impl_->add(c);
  }
  // Devices taken out of the configuration while the agent was down take their alarms along.
  forget_alarms_except(impl_->store, impl_->device_names());
  for (auto& r : impl_->replays.running()) {
    impl_->attach(std::move(r));
  }
}

collector::device_changes collector::reconfigure(const config::agent_config& next) {
  auto& i = *impl_;
  const auto diff = config::device_changes(i.cfg, next);
  const std::set<std::string_view> changed(diff.changed.begin(), diff.changed.end());
  std::set<std::string_view> configured;
  device_changes changes;
  std::map<std::string, device_runtime*> running;
  for (auto& d : i.devices) {
    if (d.stopping) {
      d.successor.reset();  // decided again below
    }
    running[d.cfg.name] = &d;
  }
  for (const auto& c : next.devices) {
    configured.insert(c.name);
    const auto it = running.find(c.name);
    if (it == running.end()) {
      changes.added.push_back(c.name);
      i.add(c);
    } else if (it->second->stopping) {
      impl::halt(*it->second, c);  // starts again once its loop ended
    } else if (changed.contains(c.name)) {
      changes.changed.push_back(c.name);
      impl::halt(*it->second, c);
    }
  }
  for (auto& [name, d] : running) {
    if (!configured.contains(name) && !d->stopping) {
      changes.removed.push_back(name);
      impl::halt(*d, std::nullopt);
    }
  }
  i.cfg = next;
  return changes;
}

void collector::stop() {
  impl_->stopping = true;
  impl_->outcomes_timer.cancel();
  for (auto& d : impl_->devices) {
    d.timer.cancel();
  }
}

}  // namespace qsanfwd::app
