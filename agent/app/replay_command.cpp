#include <algorithm>
#include <iostream>

#include "agent/app/command_support.hpp"
#include "agent/app/commands.hpp"
#include "agent/app/exit_codes.hpp"
#include "agent/app/requests.hpp"

namespace qsanfwd::app {

int replay_command(const common_options& opts, const std::string& sink, bool from_queue) {
  const auto cfg = load_config(opts);
  if (!cfg) {
    return exit_usage;
  }
  if (std::none_of(cfg->sinks.begin(), cfg->sinks.end(),
                   [&](const auto& s) { return s.name == sink; })) {
    std::cerr << "qsanfwd: no sink named \"" << sink << "\" in " << opts.config_file << "\n";
    return exit_usage;
  }
  if (!from_queue) {
    std::cerr << "qsanfwd: replay: only --from-queue is built so far (a time range read again "
                 "from the array is not)\n";
    return exit_usage;
  }
  try {
    const auto file = submit_request(cfg->state_dir, {{"replay", {{"sink", sink}, {"from_queue", true}}}});
    std::cout << "asked the agent to offer sink " << sink
              << " again every event still queued (" << file.string()
              << "): a running agent does it at once, a stopped one when it starts; its "
                 "undelivered count in `qsanfwd status` shows them\n";
    return exit_ok;
  } catch (const std::exception& e) {
    std::cerr << "qsanfwd: replay: " << e.what() << "\n";
    return exit_failure;
  }
}

}  // namespace qsanfwd::app
