#include "agent/logs/log_event.hpp"

#include <charconv>

#include "agent/core/ids.hpp"
#include "agent/core/severity.hpp"

namespace qsanfwd::logs {
namespace {

std::string_view decimal(char (&buffer)[24], std::int64_t n) {
  const auto end = std::to_chars(std::begin(buffer), std::end(buffer), n).ptr;
  return {std::begin(buffer), end};
}

}  // namespace

void make_log_event(event& e, const log_source& from, const device::log_entry& line,
                    std::int64_t occurrence, bool ahead) {
  clear_keeping_buffers(e);
  e.device.assign(from.device);
  e.host.assign(from.host);
  e.timestamp = line.timestamp;
  e.type.assign(line.type);
  e.severity = severity_of_log_type(line.type);
  e.message.assign(line.message);
  e.model.assign(from.model);
  e.serial.assign(from.serial);
  if (ahead) {
    e.flags.assign("clock_ahead");
  }
  char second[24];
  char nth[24];
  stable_id(e.id, {e.device, decimal(second, line.timestamp), line.type, line.message,
                   decimal(nth, occurrence)});
}

}  // namespace qsanfwd::logs
