#include <iostream>

#include "agent/app/command_support.hpp"
#include "agent/app/commands.hpp"
#include "agent/app/exit_codes.hpp"

namespace qsanfwd::app {

int check_config_command(const common_options& opts) {
  const auto cfg = load_config(opts);
  if (!cfg) {
    return exit_usage;
  }
  std::cout << cfg->effective.dump(2) << "\n";
  std::cerr << "qsanfwd: " << opts.config_file << ": valid (" << cfg->devices.size()
            << " device(s), " << cfg->sinks.size() << " sink(s))\n";
  return exit_ok;
}

}  // namespace qsanfwd::app
