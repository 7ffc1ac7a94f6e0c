#include <algorithm>
#include <iostream>

#include "agent/app/command_support.hpp"
#include "agent/app/commands.hpp"
#include "agent/app/exit_codes.hpp"
#include "agent/app/requests.hpp"
#include "agent/core/time.hpp"

namespace qsanfwd::app {
namespace {

/// The request for a range of `r.device`'s log, or null with the reason told on stderr.
nlohmann::json range_request(const config::agent_config& cfg, const replay_options& r) {
  if (std::none_of(cfg.devices.begin(), cfg.devices.end(),
                   [&](const auto& d) { return d.name == r.device; })) {
    std::cerr << "qsanfwd: replay: no device named \"" << r.device << "\"\n";
    return nullptr;
  }
  const auto now = unix_now();
  const auto from = parse_time_argument(r.from);
  const auto to = r.to.empty() ? std::optional(now) : parse_time_argument(r.to);
  if (!from || !to) {
    std::cerr << "qsanfwd: replay: --" << (from ? "to" : "from") << ": expected unix seconds or "
              << "an RFC 3339 time such as 2026-12-01T08:00:00Z, got \""
              << (from ? r.to : r.from) << "\"\n";
    return nullptr;
  }
  // Lines stamped from now on reach every sink live.
  const auto until = std::min(*to, now);
  if (*from > until) {
    std::cerr << "qsanfwd: replay: the range starts (" << rfc3339_utc(*from)
              << ") after it ends (" << rfc3339_utc(until) << ")\n";
    return nullptr;
  }
  return {{"replay", {{"sink", r.sink}, {"device", r.device}, {"from", *from}, {"to", until}}}};
}

}  // namespace

int replay_command(const common_options& opts, const replay_options& r) {
  const auto cfg = load_config(opts);
  if (!cfg) {
    return exit_usage;
  }
  if (std::none_of(cfg->sinks.begin(), cfg->sinks.end(),
                   [&](const auto& s) { return s.name == r.sink; })) {
    std::cerr << "qsanfwd: no sink named \"" << r.sink << "\" in " << opts.config_file << "\n";
    return exit_usage;
  }
  if (r.from_queue == !r.device.empty() || r.device.empty() != r.from.empty() ||
      (r.from_queue && !r.to.empty())) {
    std::cerr << "qsanfwd: replay: give either --device D --from T1 [--to T2] (a range of the "
                 "array's log) or --from-queue\n";
    return exit_usage;
  }
  const auto request = r.from_queue
                           ? nlohmann::json{{"replay", {{"sink", r.sink}, {"from_queue", true}}}}
                           : range_request(*cfg, r);
  if (request.is_null()) {
    return exit_usage;
  }
  try {
    const auto file = submit_request(cfg->state_dir, request);
    if (r.from_queue) {
      std::cout << "asked the agent to offer sink " << r.sink
                << " again every event still queued (" << file.string()
                << "): a running agent does it at once, a stopped one when it starts; its "
                   "undelivered count in `qsanfwd status` shows them\n";
    } else {
      const auto& range = request["replay"];
      std::cout << "asked the agent to read the lines " << r.device << " stamped "
                << rfc3339_utc(range["from"].get<std::int64_t>()) << " to "
                << rfc3339_utc(range["to"].get<std::int64_t>()) << " again and send them to "
                << r.sink << " (" << file.string()
                << "): a running agent starts at once, a stopped one when it starts; "
                   "`qsanfwd status` shows its progress\n";
    }
    return exit_ok;
  } catch (const std::exception& e) {
    std::cerr << "qsanfwd: replay: " << e.what() << "\n";
    return exit_failure;
  }
}

}  // namespace qsanfwd::app
