#include <deque>
#include <iostream>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "agent/app/command_support.hpp"
#include "agent/app/commands.hpp"
#include "agent/app/exit_codes.hpp"
#include "agent/net/tls_files.hpp"
#include "config/json_pointer.hpp"
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

/// A `tls` object of the effective configuration: its JSON pointer, who holds it ("device
/// array-01", "sink siem") and the files it names.
struct tls_block {
  std::string pointer;
  std::string holder;
  net::tls_options tls;
};

/// "device array-01" for a block under /devices/N, "sink siem" under /sinks/N.
std::string holder_of(const std::string& pointer, const nlohmann::ordered_json& object) {
  const auto list_end = pointer.find('/', 1);
  std::string kind = pointer.substr(1, list_end - 1);
  if (kind.ends_with('s')) {
    kind.pop_back();
  }
  return kind + " " + object.value("name", "");
}

/// Every `tls` object of `effective`, in the order written (breadth first: devices before sinks).
std::vector<tls_block> tls_blocks(const nlohmann::ordered_json& effective) {
  std::vector<tls_block> blocks;
  std::deque<std::pair<std::string, const nlohmann::ordered_json*>> todo{{"", &effective}};
  for (; !todo.empty(); todo.pop_front()) {
    const auto& [pointer, node] = todo.front();
    if (node->is_array()) {
      for (std::size_t i = 0; i < node->size(); ++i) {
        todo.emplace_back(pointer + "/" + std::to_string(i), &(*node)[i]);
      }
      continue;
    }
    if (!node->is_object()) {
      continue;
    }
    for (const auto& [key, value] : node->items()) {
      const std::string at = pointer + "/" + config::pointer_token(key);
      if (key != "tls" || !value.is_object()) {
        todo.emplace_back(at, &value);
        continue;
      }
      blocks.push_back({at, holder_of(pointer, *node),
                        {.verify = value.value("verify", true),
                         .ca_file = value.value("ca_file", ""),
                         .cert_file = value.value("cert_file", ""),
                         .key_file = value.value("key_file", ""),
                         .pin_sha256 = value.value("pin_sha256", "")}});
    }
  }
  return blocks;
}

/// Checks the certificate and key files the configuration names and prints what is wrong,
/// said once of the first block that names them (a fleet's devices share one CA); returns how
/// many errors.
int check_tls_files(const config::agent_config& cfg) {
  int errors = 0;
  std::set<std::vector<std::string>> checked;
  for (const auto& block : tls_blocks(cfg.effective)) {
    const auto& tls = block.tls;
    if (!checked.insert({tls.ca_file, tls.cert_file, tls.key_file}).second) {
      continue;
    }
    for (const auto& problem : net::check_tls_files(tls)) {
      errors += problem.warning ? 0 : 1;
      std::cerr << "qsanfwd: " << (problem.warning ? "warning" : "error") << ": "
                << block.pointer << "/" << problem.key << " (" << block.holder
                << "): " << problem.file << " " << problem.reason << "\n";
    }
  }
  return errors;
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
  if (const int errors = check_tls_files(*cfg); errors > 0) {
    std::cerr << "qsanfwd: " << opts.config_file << ": invalid: " << errors
              << " certificate or key file(s) the agent cannot use\n";
    return exit_usage;
  }
  std::cerr << "qsanfwd: " << opts.config_file << ": valid (" << devices_line(*cfg) << ", "
            << cfg->sinks.size() << " sink(s))\n";
  return exit_ok;
}

}  // namespace qsanfwd::app
