#include <algorithm>
#include <iostream>

#include "agent/app/command_support.hpp"
#include "agent/app/commands.hpp"
#include "agent/app/device_wiring.hpp"
#include "agent/app/exit_codes.hpp"

namespace qsanfwd::app {
namespace asio = boost::asio;

int logout_command(const common_options& opts, const std::string& device_name) {
  const auto cfg = load_config(opts);
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
