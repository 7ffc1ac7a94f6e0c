#include "agent/app/command_support.hpp"

#include <signal.h>
#include <sys/resource.h>

#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "agent/core/log_sinks.hpp"
#include "agent/core/logging.hpp"
#include "sinks/registry.hpp"

namespace qsanfwd::app {

std::uint64_t descriptors_needed(const config::agent_config& cfg) {
  return cfg.devices.size() + 4 * cfg.sinks.size() + 64;
}

std::optional<std::uint64_t> raise_descriptor_limit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) {
    return std::nullopt;
  }
  if (lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
    getrlimit(RLIMIT_NOFILE, &lim);
  }
  if (lim.rlim_cur == RLIM_INFINITY) {
    return std::nullopt;
  }
  return static_cast<std::uint64_t>(lim.rlim_cur);
}

/// Loads the config and sets up logging; prints the error and returns nullopt when either fails.
std::optional<config::agent_config> load_config(const common_options& opts) {
  try {
    auto cfg = config::load_config_file(opts.config_file, sinks::sink_types(),
                                        config::process_environment(), opts.shard);
    if (!apply_logging(cfg, opts)) {
      return std::nullopt;
    }
    return cfg;
  } catch (const config::config_error& e) {
    std::cerr << "qsanfwd: " << e.what() << "\n";
    return std::nullopt;
  }
}

bool apply_logging(const config::agent_config& cfg, const common_options& opts) {
  const auto level_name = opts.log_level.value_or(cfg.log_level);
  const auto level = parse_log_level(level_name);
  if (!level) {
    std::cerr << "qsanfwd: unknown log level \"" << level_name << "\"\n";
    return false;
  }
  std::vector<std::string> names;
  for (const auto& d : cfg.devices) {
    names.push_back(d.name);
  }
  set_log_devices(names);
  // The loader allowed only the formats there are.
  init_logging(*level, parse_log_format(cfg.log_format).value_or(log_format::text));
  return true;
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

namespace {

void mask_stop_signals(int how) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(how, &set, nullptr);
}

}  // namespace

stop_signals::stop_signals(mode m) : mode_(m) {
  mask_stop_signals(m == held ? SIG_BLOCK : SIG_UNBLOCK);
}
stop_signals::~stop_signals() { mask_stop_signals(mode_ == held ? SIG_UNBLOCK : SIG_BLOCK); }

}  // namespace qsanfwd::app
