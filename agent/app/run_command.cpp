#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "agent/app/collector.hpp"
#include "agent/app/command_support.hpp"
#include "agent/app/commands.hpp"
#include "agent/app/exit_codes.hpp"
#include "agent/app/metrics_endpoint.hpp"
#include "agent/app/requests.hpp"
#include "agent/app/service_notifier.hpp"
#include "agent/app/status_view.hpp"
#include "agent/core/logging.hpp"
#include "agent/core/time.hpp"
#include "agent/ops/status_page.hpp"
#include "agent/pipeline/delivery_thread.hpp"
#include "config/changes.hpp"
#include "sinks/registry.hpp"

namespace qsanfwd::app {
namespace asio = boost::asio;

namespace {

/// Each device keeps one connection open and each network sink one or more: a large fleet
/// needs more descriptors than the usual soft limit of 1024. The soft limit is raised to the
/// hard one (an unprivileged process may); a hard limit too low for the configuration gets a
/// warning that names the fix.
void check_descriptor_limit(const config::agent_config& cfg) {
  const auto limit = raise_descriptor_limit();
  if (const auto needed = descriptors_needed(cfg); limit && *limit < needed) {
    get_logger("agent")->warn(
        "open file limit {} is low for {} device(s) and {} sink(s) (want {}); raise it "
        "(systemd: LimitNOFILE=, shell: ulimit -n)",
        *limit, cfg.devices.size(), cfg.sinks.size(), needed);
  }
}

/// How one generation of the pipeline ended.
enum class generation_end { stopped, reload };

/// The config for a reload, or nullopt with the reason logged: a config that does not load,
/// or one that moves the state directory (the running agent holds the old one's lock).
std::optional<config::agent_config> reload_config(const common_options& opts,
                                                  const config::agent_config& running) {
  auto log = get_logger("agent");
  try {
    auto next = config::load_config_file(opts.config_file, sinks::sink_types(),
                                         config::process_environment(), opts.shard);
    if (next.state_dir != running.state_dir) {
      log->error(
          "SIGHUP: state_dir cannot change while running ({} -> {}); keeping the "
          "running configuration; restart the agent to move it",
          running.state_dir.string(), next.state_dir.string());
      return std::nullopt;
    }
    return next;
  } catch (const config::config_error& e) {
    log->error("SIGHUP: {}; keeping the running configuration", e.what());
    return std::nullopt;
  }
}

/// A request of `qsanfwd replay`'s or `alarms --resend`'s (requests.hpp) carried out, or why not.
result<std::string> take_request(asio::io_context& io, collector& agent,
                                 pipeline::delivery_thread& delivery, const agent_request& r) {
  if (!r.error.empty()) {
    return failure{r.error};
  }
  if (r.body.contains("resend_alarms") && r.body["resend_alarms"] == true) {
    return agent.resend_alarms();
  }
  const auto replay = r.body.value("replay", nlohmann::json());
  const auto sink = replay.is_object() ? replay.value("sink", nlohmann::json()) : nullptr;
  if (!sink.is_string()) {
    return failure{"not a request this agent knows"};
  }
  if (replay.value("from_queue", false)) {
    auto log = get_logger("agent");
    asio::co_spawn(io, delivery.rewind(sink.get<std::string>()),
                   [log, name = sink.get<std::string>()](const std::exception_ptr& e, bool found) {
                     if (!e && !found) {
                       log->error("replay request for sink \"{}\": no such sink", name);
                     }
                   });
    return std::string("offering sink " + sink.get<std::string>() + " again what is queued");
  }
  const auto device = replay.value("device", nlohmann::json());
  const auto from = replay.value("from", nlohmann::json());
  const auto to = replay.value("to", nlohmann::json());
  if (!device.is_string() || !from.is_number_integer() || !to.is_number_integer()) {
    return failure{"a replay of a range needs \"device\", \"from\" and \"to\""};
  }
  auto id = agent.replay(device.get<std::string>(), sink.get<std::string>(),
                         from.get<std::int64_t>(), to.get<std::int64_t>());
  if (!id) {
    return id.error();
  }
  return "replay " + std::to_string(*id);
}

/// Carries out what `qsanfwd replay` or `alarms --resend` asked, then removes each request.
void take_requests(asio::io_context& io, collector& agent, pipeline::delivery_thread& delivery,
                   std::vector<agent_request> requests) {
  auto log = get_logger("agent");
  for (auto& r : requests) {
    if (const auto taken = take_request(io, agent, delivery, r); !taken) {
      log->error("request {} ignored: {}", r.file.string(), taken.error().message);
    } else {
      log->info("request {}: {}", r.file.filename().string(), *taken);
    }
    std::error_code ec;
    std::filesystem::remove(r.file, ec);
  }
}

/// Runs the collector and the dispatcher built from `cfg` until SIGTERM or SIGINT (stopped), or
/// until SIGHUP brings a valid configuration changed beyond its devices and sinks (reload, with
/// `next` set). Either way the sinks get shutdown_timeout to finish and everything undelivered
/// stays queued, so the next generation resumes from the same checkpoints and cursors. A SIGHUP
/// that changes devices and sinks only is applied to them alone (delivery_thread::reconfigure,
/// collector::reconfigure), and `cfg` becomes the new configuration. The counters of what
/// stopped go to `carried`; `status` answers /api/status. Throws on a start-up failure.
generation_end run_generation(const common_options& opts, config::agent_config& cfg,
                              state_store& store, carried_counters& carried,
                              status_endpoint& status,
                              std::optional<config::agent_config>& next) {
  auto log = get_logger("agent");
  asio::io_context io;
  service_notifier notifier(io);
  collector agent(io, cfg, store);
  pipeline::delivery_thread delivery(io.get_executor(), store, cfg.sinks);
  delivery.start();
  agent.on_appended([&] { delivery.notify_appended(); });
  agent.wait_for_room_with([&] { return delivery.wait_for_room(); });
  agent.on_device_ended([&](const device_metrics& m) { carried.keep(m); });
  event_queue queue(store);
  std::unique_ptr<ops::http_api> api;
  if (!cfg.http_api_listen.empty()) {
    const auto where = *config::parse_host_port(cfg.http_api_listen, config::port_zero::allowed);
    api = std::make_unique<ops::http_api>(
        io.get_executor(), where,
        ops::routes{{"/metrics",
                     [&] { return metrics_reply(take_snapshot(agent, delivery, queue, carried)); }},
                    {"/healthz",
                     [&] { return healthz_reply(take_snapshot(agent, delivery, queue, carried)); }},
                    {"/", [] { return ops::status_page_reply(); }},
                    {"/api/status", [&] {
                       return status.reply(take_snapshot(agent, delivery, queue, carried),
                                           cfg.sinks, queue);
                     }}});
    api->start();
    log->info("HTTP API listening on {}:{} (/ status page, /api/status, /metrics, /healthz)",
              where.host, api->port());
  }

  request_watch requests(io, cfg.state_dir, [&](std::vector<agent_request> waiting) {
    take_requests(io, agent, delivery, std::move(waiting));
  });

  auto end = generation_end::stopped;
  bool stopping = false;
  const auto shut_down = [&] {
    stopping = true;
    notifier.stopping();
    requests.stop();
    if (api) {
      api->stop();
    }
    agent.stop();
    asio::co_spawn(io, delivery.stop(cfg.shutdown_timeout),
                   [&](const std::exception_ptr&) { io.stop(); });
  };
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int signo) {
    if (ec) {
      return;
    }
    log->info("signal {}: stopping; sinks get {} to finish", signo,
              format_duration(cfg.shutdown_timeout));
    shut_down();
  });
  asio::signal_set hangup(io, SIGHUP);
  std::function<void(const boost::system::error_code&, int)> on_hangup;
  const auto running_on = [&](const std::string& what) {
    log->info("SIGHUP: sink files reopened; configuration {}", what);
    next.reset();
    notifier.ready("running: " + std::to_string(cfg.devices.size()) + " device(s), " +
                   std::to_string(cfg.sinks.size()) + " sink(s)");
    hangup.async_wait(on_hangup);
  };
  // The sinks first: one that cannot start leaves the whole configuration as it ran.
  const auto sinks_reconfigured = [&](const std::exception_ptr& e,
                                      const std::vector<pipeline::sink_status>& ended,
                                      const config::block_changes& sinks) {
    if (stopping) {
      return;
    }
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const store_error& x) {
        // After some lanes stopped: only a restart from `next` leaves every sink as configured.
        log->error("SIGHUP: applying the sinks failed: {}; restarting devices and sinks", x.what());
        signals.cancel();
        end = generation_end::reload;
        shut_down();
        return;
      } catch (const std::exception& x) {
        log->error("SIGHUP: a sink of the new configuration cannot start: {}", x.what());
      }
      running_on("kept");
      return;
    }
    for (const auto& k : ended) {
      carried.keep(k);
    }
    const auto d = agent.reconfigure(*next);
    log->info(
        "SIGHUP: devices added: {}; removed: {}; changed (restarting): {}; the other {} "
        "device(s) run on",
        d.added.size(), d.removed.size(), d.changed.size(),
        next->devices.size() - d.added.size() - d.changed.size());
    log->info(
        "SIGHUP: sinks added: {}; removed: {}; changed (restarting): {}; the other {} sink(s) "
        "run on",
        sinks.added.size(), sinks.removed.size(), sinks.changed.size(),
        next->sinks.size() - sinks.added.size() - sinks.changed.size());
    cfg = *std::exchange(next, std::nullopt);
    running_on("applied");
  };
  on_hangup = [&](const boost::system::error_code& ec, int) {
    if (ec) {
      return;
    }
    notifier.reloading();
    delivery.reopen();
    next = reload_config(opts, cfg);
    if (!next) {
      running_on("kept");
      return;
    }
    if (!config::only_devices_and_sinks_differ(cfg, *next)) {
      log->info("SIGHUP: configuration changed; restarting devices and sinks");
      signals.cancel();
      end = generation_end::reload;
      shut_down();
      return;
    }
    auto sinks = config::sink_changes(cfg, *next);
    if (sinks.empty() && config::device_changes(cfg, *next).empty()) {
      running_on("unchanged");
      return;
    }
    asio::co_spawn(
        io, delivery.reconfigure(next->sinks, sinks, cfg.shutdown_timeout),
        [&, sinks](const std::exception_ptr& e, const std::vector<pipeline::sink_status>& ended) {
          sinks_reconfigured(e, ended, sinks);
        });
  };
  hangup.async_wait(on_hangup);
  const stop_signals signals_taken(stop_signals::let_in);
  agent.start();
  if (api) {
    // With the devices started, so that the first request has their rates too.
    status.prime(take_snapshot(agent, delivery, queue, carried));
  }
  // After the devices are up: a waiting request may be for one of them.
  requests.start();
  log->info("started: {} device(s), {} sink(s), state in {}", cfg.devices.size(), cfg.sinks.size(),
            store.file().string());
  notifier.ready("running: " + std::to_string(cfg.devices.size()) + " device(s), " +
                 std::to_string(cfg.sinks.size()) + " sink(s)");
  io.run();
  for (const auto& m : agent.metrics()) {
    carried.keep(m);
  }
  for (const auto& k : delivery.status()) {
    carried.keep(k);
  }
  return end;
}

}  // namespace

int run_command(const common_options& opts) {
  auto cfg = load_config(opts);
  if (!cfg) {
    return exit_usage;
  }
  const stop_signals held(stop_signals::held);
  auto log = get_logger("agent");
  check_descriptor_limit(*cfg);
  std::unique_ptr<state_store> store;
  try {
    store = state_store::open(cfg->state_dir);
  } catch (const std::exception& e) {
    log->critical("{}", e.what());
    return exit_failure;
  }
  // The configuration that last ran well: a reloaded one that fails to start (a certificate
  // file that cannot be read, say) falls back to it rather than ending the agent.
  std::optional<config::agent_config> previous;
  // Outlives the generations: /metrics counts on across a reload that restarts everything.
  carried_counters carried;
  status_endpoint status(unix_now());
  for (;;) {
    std::optional<config::agent_config> next;
    try {
      if (run_generation(opts, *cfg, *store, carried, status, next) == generation_end::stopped) {
        break;
      }
      previous = std::move(cfg);
      cfg = std::move(next);
    } catch (const std::exception& e) {
      if (!previous) {
        log->critical("{}", e.what());
        return exit_failure;
      }
      log->error(
          "SIGHUP: the new configuration failed to start: {}; going back to the "
          "previous one",
          e.what());
      cfg = std::exchange(previous, std::nullopt);
    }
    apply_logging(*cfg, opts);
  }
  log->info("stopped");
  return exit_ok;
}

}  // namespace qsanfwd::app
