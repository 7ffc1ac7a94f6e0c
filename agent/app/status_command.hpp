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
/// The open alarms come first, then a summary: how many devices, and which fail. `device` non-empty: that one alone.
nlohmann::ordered_json collect_status(const config::agent_config& cfg, state_store& store,
                                      std::int64_t now, const std::string& device = {});

/// The open alarms of the devices configured (`device`: that one's only) and of the sinks, as
/// alarm_json() gives them, most severe first.
nlohmann::ordered_json alarms_json(const config::agent_config& cfg, state_store& store,
                                   std::int64_t now, const std::string& device = {});

/// `alarms` as lines of text, at most `at_most` of them, then how many more.
void print_alarms(const nlohmann::ordered_json& alarms, std::size_t at_most, std::ostream& out);

/// The same as aligned text for a terminal. Of a fleet (more than 20 devices) only the failing
/// devices are shown in full.
void print_status(const nlohmann::ordered_json& status, std::ostream& out);

/// `qsanfwd status -c FILE [--device NAME] [--json]`.
int status_command(const common_options& opts, const std::string& device, bool json);

/// `qsanfwd alarms -c FILE [--device NAME] [--json] [--resend]`: the open alarms in full, or
/// (--resend) asks the agent to queue their summary, one agent event per device.
int alarms_command(const common_options& opts, const std::string& device, bool json,
                   bool resend);

}  // namespace qsanfwd::app
