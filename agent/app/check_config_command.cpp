#include <iostream>
#include <string>

#include "agent/app/command_support.hpp"
#include "agent/app/commands.hpp"
#include "agent/app/exit_codes.hpp"
#include "sinks/syslog/syslog_options.hpp"

namespace qsanfwd::app {
namespace {

bool is_udp_syslog(const config::sink_config& s) {
  return s.type == "syslog" && std::any_cast<const sinks::syslog_options&>(s.options).transport ==
                                   sinks::syslog_transport::udp;
}

/// UDP has no flow control: a receiver that falls behind drops datagrams and nobody is told,
/// so a valid configuration still deserves the warning, with the pace that guards against it.
void warn_about_udp(const config::agent_config& cfg) {
  for (const auto& s : cfg.sinks) {
    if (is_udp_syslog(s)) {
      std::cerr << "qsanfwd: warning: sink " << s.name
                << " sends syslog over UDP, which loses without a trace what the receiver cannot "
                   "take; its pace (rate_limit): "
                << config::describe(s.pace) << "\n";
    }
  }
}

/// "12 device(s)", or with a shard "250 of 1000 device(s) in shard 0/4".
std::string devices_line(const config::agent_config& cfg) {
  if (cfg.shard.count == 1) {
    return std::to_string(cfg.devices.size()) + " device(s)";
  }
  return std::to_string(cfg.devices.size()) + " of " + std::to_string(cfg.fleet_devices) +
         " device(s) in shard " + config::describe(cfg.shard);
}

}  // namespace

int check_config_command(const common_options& opts) {
  const auto cfg = load_config(opts);
  if (!cfg) {
    return exit_usage;
  }
  std::cout << cfg->effective.dump(2) << "\n";
  warn_about_udp(*cfg);
  if (cfg->devices.empty()) {
    std::cerr << "qsanfwd: warning: shard " << config::describe(cfg->shard) << " holds none of the "
              << cfg->fleet_devices << " device(s); this agent would poll nothing\n";
  }
  // What `run` would have: the soft limit raised to the hard one.
  const auto limit = raise_descriptor_limit();
  if (const auto needed = descriptors_needed(*cfg); limit && *limit < needed) {
    std::cerr << "qsanfwd: warning: the open file limit (" << *limit << ") is below the "
              << needed << " this configuration wants (a connection per device, a few per sink); "
              << "raise it (systemd: LimitNOFILE=, shell: ulimit -n)\n";
  }
  std::cerr << "qsanfwd: " << opts.config_file << ": valid (" << devices_line(*cfg) << ", "
            << cfg->sinks.size() << " sink(s))\n";
  return exit_ok;
}

}  // namespace qsanfwd::app
