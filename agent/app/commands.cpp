#include "agent/app/commands.hpp"

#include <sys/resource.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <iostream>
#include <map>

#include "agent/app/daemon.hpp"
#include "agent/app/device_wiring.hpp"
#include "agent/app/exit_codes.hpp"
#include "agent/app/metrics_endpoint.hpp"
#include "agent/app/service_notifier.hpp"
#include "agent/core/logging.hpp"
#include "agent/core/time.hpp"
#include "agent/pipeline/delivery_thread.hpp"
#include "agent/store/sqlite.hpp"
#include "sinks/registry.hpp"

namespace qsanfwd::app {
namespace asio = boost::asio;

namespace {

/// Loads the config and sets up logging; prints the error and returns nullopt when either fails.
std::optional<config::agent_config> load(const common_options& opts) {
  try {
    auto cfg = config::load_config_file(opts.config_file, sinks::sink_types());
    const auto level_name = opts.log_level.value_or(cfg.log_level);
    const auto level = parse_log_level(level_name);
    if (!level) {
      std::cerr << "qsanfwd: unknown log level \"" << level_name << "\"\n";
      return std::nullopt;
    }
    init_logging(*level);
    return cfg;
  } catch (const config::config_error& e) {
    std::cerr << "qsanfwd: " << e.what() << "\n";
    return std::nullopt;
  }
}

/// Each device keeps one connection open and each network sink one or more: a large fleet
/// needs more descriptors than the usual soft limit of 1024. The soft limit is raised to the
/// hard one (an unprivileged process may); a hard limit too low for the configuration gets a
/// warning that names the fix.
void raise_descriptor_limit(const config::agent_config& cfg) {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) {
    return;
  }
  if (lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
    getrlimit(RLIMIT_NOFILE, &lim);
  }
  // One keep-alive connection per device; the store, the sinks, the HTTP API and the event
  // loop take a few dozen more.
  const auto needed = static_cast<rlim_t>(cfg.devices.size() + 4 * cfg.sinks.size() + 64);
  if (lim.rlim_cur != RLIM_INFINITY && lim.rlim_cur < needed) {
    get_logger("agent")->warn(
        "open file limit {} is low for {} device(s) and {} sink(s) (want {}); raise it "
        "(systemd: LimitNOFILE=, shell: ulimit -n)",
        lim.rlim_cur, cfg.devices.size(), cfg.sinks.size(), needed);
  }
}

/// Runs `work` on `io` until it finishes; rethrows what it threw.
template <typename T>
T run_blocking(asio::io_context& io, asio::awaitable<T> work) {
  std::optional<T> out;
  std::exception_ptr error;
  asio::co_spawn(io, std::move(work), [&](std::exception_ptr e, T value) {
    error = e;
    if (!e) {
      out = std::move(value);
    }
  });
  io.run();
  io.restart();
  if (error) {
    std::rethrow_exception(error);
  }
  return std::move(*out);
}

std::string count_words(const std::map<std::string, int>& counts) {
  std::string out;
  for (const auto& [word, n] : counts) {
    out += (out.empty() ? "" : ", ") + std::to_string(n) + " " + (word.empty() ? "(none)" : word);
  }
  return out;
}

/// One device's part of test-connection: everything the agent will ask, summarised.
asio::awaitable<int> probe_device(device::device_client& client, int page_size, std::ostream& out) {
  const auto& s = client.settings();
  out << s.name << " (" << (s.peer.tls ? "https://" : "http://") << s.peer.host << ":"
      << s.peer.port << ")\n";
  const device::log_query query{
      .start_time = 0, .types = {}, .page_number = 1, .page_size = page_size};
  auto page = co_await client.log_list(query);
  if (!page) {
    out << "  FAILED: " << page.error().message << "\n";
    co_return exit_failure;
  }
  out << "  login: ok (" << s.username << ")\n";
  out << "  logs available: " << page->total;
  if (!page->logs.empty()) {
    out << " (this page from " << rfc3339_utc(page->logs.front().timestamp) << " to "
        << rfc3339_utc(page->logs.back().timestamp) << ")";
  }
  out << "\n";
  if (auto encs = co_await client.enclosures(); encs) {
    for (const auto& e : *encs) {
      out << "  enclosure " << e.enc_id << ": " << (e.model_name.empty() ? "?" : e.model_name)
          << ", serial " << (e.serial_number.empty() ? "?" : e.serial_number)
          << (e.sys_health.empty() ? "" : ", health " + e.sys_health) << "\n";
    }
  } else {
    out << "  enclosures: " << encs.error().message << "\n";
  }
  if (auto disks = co_await client.disks(); disks) {
    std::map<std::string, int> health;
    for (const auto& d : *disks) {
      ++health[d.health];
    }
    out << "  disks: " << disks->size() << " (" << count_words(health) << ")\n";
  } else {
    out << "  disks: " << disks.error().message << "\n";
  }
  if (auto pools = co_await client.pools(); pools) {
    out << "  pools: " << pools->size() << "\n";
  } else {
    out << "  pools: " << pools.error().message << "\n";
  }
  if (auto volumes = co_await client.volumes(); volumes) {
    out << "  volumes: " << volumes->size() << "\n";
  } else {
    out << "  volumes: " << volumes.error().message << "\n";
  }
  co_return exit_ok;
}

/// The state store for a command run beside the daemon: writable when no agent runs, else a
/// read-only view (so the stored refresh token is still used, and no new one is made).
std::unique_ptr<state_store> open_store_shared(const config::agent_config& cfg) {
  try {
    return state_store::open(cfg.state_dir);
  } catch (const std::exception& first) {
    try {
      return state_store::open_read_only(cfg.state_dir);
    } catch (const std::exception&) {
      throw std::runtime_error(first.what());
    }
  }
}

}  // namespace

int check_config_command(const common_options& opts) {
  const auto cfg = load(opts);
  if (!cfg) {
    return exit_usage;
  }
  std::cout << cfg->effective.dump(2) << "\n";
  std::cerr << "qsanfwd: " << opts.config_file << ": valid (" << cfg->devices.size()
            << " device(s), " << cfg->sinks.size() << " sink(s))\n";
  return exit_ok;
}

namespace {

/// How one generation of the pipeline ended.
enum class generation_end { stopped, reload };

/// The config for a reload, or nullopt with the reason logged: a config that does not load,
/// or one that moves the state directory (the running agent holds the old one's lock).
std::optional<config::agent_config> reload_config(const common_options& opts,
                                                  const config::agent_config& running) {
  auto log = get_logger("agent");
  try {
    auto next = config::load_config_file(opts.config_file, sinks::sink_types());
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

/// Runs the daemon and the dispatcher built from `cfg` until SIGTERM or SIGINT (stopped), or
/// until SIGHUP brings a valid changed configuration (reload, with `next` set). Either way the
/// sinks get shutdown_timeout to finish and everything undelivered stays queued, so the next
/// generation resumes from the same checkpoints and cursors. Throws on a start-up failure.
generation_end run_generation(const common_options& opts, const config::agent_config& cfg,
                              state_store& store, std::optional<config::agent_config>& next) {
  auto log = get_logger("agent");
  asio::io_context io;
  service_notifier notifier(io);
  daemon agent(io, cfg, store);
  pipeline::delivery_thread delivery(io.get_executor(), store, cfg.sinks);
  delivery.start();
  agent.on_appended([&] { delivery.notify_appended(); });
  agent.wait_for_room_with([&] { return delivery.wait_for_room(); });
  event_queue queue(store);
  std::unique_ptr<ops::http_api> api;
  if (!cfg.http_api_listen.empty()) {
    const auto where = *config::parse_host_port(cfg.http_api_listen, config::port_zero::allowed);
    api = std::make_unique<ops::http_api>(
        io.get_executor(), where,
        ops::routes{
            {"/metrics", [&] { return metrics_reply(take_snapshot(agent, delivery, queue)); }},
            {"/healthz", [&] { return healthz_reply(take_snapshot(agent, delivery, queue)); }}});
    api->start();
    log->info("HTTP API listening on {}:{} (/metrics, /healthz)", where.host, api->port());
  }

  auto end = generation_end::stopped;
  const auto shut_down = [&] {
    notifier.stopping();
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
  std::function<void(const boost::system::error_code&, int)> on_hangup =
      [&](const boost::system::error_code& ec, int) {
        if (ec) {
          return;
        }
        notifier.reloading();
        delivery.reopen();
        next = reload_config(opts, cfg);
        if (next && next->effective != cfg.effective) {
          log->info("SIGHUP: configuration changed; restarting devices and sinks");
          signals.cancel();
          end = generation_end::reload;
          shut_down();
          return;
        }
        log->info("SIGHUP: sink files reopened; configuration {}", next ? "unchanged" : "kept");
        next.reset();
        notifier.ready("running");
        hangup.async_wait(on_hangup);
      };
  hangup.async_wait(on_hangup);
  agent.start();
  log->info("started: {} device(s), {} sink(s), state in {}", cfg.devices.size(), cfg.sinks.size(),
            store.file().string());
  notifier.ready("running: " + std::to_string(cfg.devices.size()) + " device(s), " +
                 std::to_string(cfg.sinks.size()) + " sink(s)");
  io.run();
  return end;
}

}  // namespace

int run_command(const common_options& opts) {
  auto cfg = load(opts);
  if (!cfg) {
    return exit_usage;
  }
  auto log = get_logger("agent");
  raise_descriptor_limit(*cfg);
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
  for (;;) {
    std::optional<config::agent_config> next;
    try {
      if (run_generation(opts, *cfg, *store, next) == generation_end::stopped) {
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
    const auto level = parse_log_level(opts.log_level.value_or(cfg->log_level));
    if (level) {
      set_all_levels(*level);
    }
  }
  log->info("stopped");
  return exit_ok;
}

int test_connection_command(const common_options& opts, const std::string& only_device) {
  const auto cfg = load(opts);
  if (!cfg) {
    return exit_usage;
  }
  std::unique_ptr<state_store> store;
  try {
    store = open_store_shared(*cfg);
  } catch (const std::exception& e) {
    std::cerr << "qsanfwd: " << e.what() << "\n";
    return exit_failure;
  }
  store_token_vault vault(*store);
  asio::io_context io;
  int status = exit_ok;
  bool found = false;
  for (const auto& d : cfg->devices) {
    if (!only_device.empty() && d.name != only_device) {
      continue;
    }
    found = true;
    auto settings = client_settings_for(d);
    settings.offline_access = !store->read_only();
    settings.max_attempts = 2;
    try {
      device::device_client client(io.get_executor(), settings, vault, nullptr);
      if (run_blocking(io, probe_device(client, std::min(d.logs.page_size, 100), std::cout)) !=
          exit_ok) {
        status = exit_failure;
      }
    } catch (const std::exception& e) {
      std::cout << d.name << ": FAILED: " << e.what() << "\n";
      status = exit_failure;
    }
  }
  if (!found) {
    std::cerr << "qsanfwd: no device named \"" << only_device << "\" in " << opts.config_file
              << "\n";
    return exit_usage;
  }
  return status;
}

int logout_command(const common_options& opts, const std::string& device_name) {
  const auto cfg = load(opts);
  if (!cfg) {
    return exit_usage;
  }
  const auto it = std::find_if(cfg->devices.begin(), cfg->devices.end(),
                               [&](const auto& d) { return d.name == device_name; });
  if (it == cfg->devices.end()) {
    std::cerr << "qsanfwd: no device named \"" << device_name << "\" in " << opts.config_file
              << "\n";
    return exit_usage;
  }
  try {
    auto store = state_store::open(cfg->state_dir);
    store_token_vault vault(*store);
    asio::io_context io;
    device::device_client client(io.get_executor(), client_settings_for(*it), vault, nullptr);
    auto revoked = run_blocking(io, client.logout());
    if (!revoked) {
      std::cerr << "qsanfwd: " << device_name << ": " << revoked.error().message << "\n";
      return exit_failure;
    }
    std::cout << device_name << ": "
              << (*revoked ? "refresh token revoked on the array and forgotten"
                           : "no refresh token stored; nothing to revoke")
              << "\n";
    return exit_ok;
  } catch (const std::exception& e) {
    std::cerr << "qsanfwd: " << e.what() << "\n";
    return exit_failure;
  }
}

}  // namespace qsanfwd::app
