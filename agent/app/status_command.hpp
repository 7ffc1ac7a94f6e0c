#pragma once

#include <cstdint>
#include <iosfwd>
#include <nlohmann/json.hpp>

#include "agent/app/commands.hpp"
#include "agent/store/state_store.hpp"
#include "config/config.hpp"

namespace qsanfwd::app {

/// Where each configured device and sink stands, from the state store alone (read-only, so it
/// works beside a running agent): per device the log checkpoint and its age, the collection
/// lag, the last successful log and health poll and the last error; per sink the undelivered
/// events and bytes, the age of the oldest undelivered event, and the delivery counters.
nlohmann::ordered_json collect_status(const config::agent_config& cfg, state_store& store,
                                      std::int64_t now);

/// The same as aligned text for a terminal.
void print_status(const nlohmann::ordered_json& status, std::ostream& out);

/// `qsanfwd status -c FILE [--json]`.
int status_command(const common_options& opts, bool json);

}  // namespace qsanfwd::app
