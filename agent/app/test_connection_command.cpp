#include <algorithm>
#include <iostream>
#include <map>

#include "agent/app/command_support.hpp"
#include "agent/app/commands.hpp"
#include "agent/app/device_wiring.hpp"
#include "agent/app/exit_codes.hpp"
#include "agent/core/time.hpp"

namespace qsanfwd::app {
namespace asio = boost::asio;

namespace {

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

}  // namespace

int test_connection_command(const common_options& opts, const std::string& only_device) {
  const auto cfg = load_config(opts);
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

}  // namespace qsanfwd::app
