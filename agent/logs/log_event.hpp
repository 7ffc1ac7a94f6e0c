#pragma once

#include <cstdint>
#include <string_view>

#include "agent/core/event.hpp"
#include "agent/device/model.hpp"

namespace qsanfwd::logs {

/// The array a device's log events come from.
struct log_source {
  std::string_view device;
  std::string_view host;
  std::string_view model;  ///< empty until known
  std::string_view serial;
};

/// Makes `e` the event of `line`, the `occurrence`-th line of its second with its type and
/// message; `ahead`: the line is stamped ahead of the array's own clock, flagged `clock_ahead`
/// (its id is the same either way). Assigns into `e`'s strings: an event reused page after
/// page allocates nothing once they have grown (a drain makes an event per line, and their
/// allocations showed in profiles).
void make_log_event(event& e, const log_source& from, const device::log_entry& line,
                    std::int64_t occurrence, bool ahead = false);

}  // namespace qsanfwd::logs
