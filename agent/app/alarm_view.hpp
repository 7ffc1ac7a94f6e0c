#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string>

#include "agent/core/event.hpp"
#include "agent/store/alarms.hpp"

namespace qsanfwd::app {

/// One alarm as `status --json`, `alarms --json` and /api/status show it, its age as of `now`.
nlohmann::ordered_json alarm_json(const open_alarm& a, std::int64_t now);

/// One alarm_json() as a line of text: severity, where, since when, the message (cut to
/// `max_message` bytes at a character boundary), e.g.
/// `critical  array-01 disk e0d3 health  since 2026-12-07T12:00:00Z (5m)  Disk e0d3 ...`.
std::string alarm_line(const nlohmann::ordered_json& a, std::size_t max_message = 160);

/// What `qsanfwd alarms --resend` queues for one device (`device` empty: the agent's own parts,
/// its sinks): an agent event `alarms_open` stating every alarm open on it, as severe as the
/// worst of them, or a notice that none is, so a SIEM that lost its state can be set right.
event alarm_summary(std::string device, std::string host, std::span<const open_alarm> open);

}  // namespace qsanfwd::app
