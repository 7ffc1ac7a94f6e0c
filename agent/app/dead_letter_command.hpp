#pragma once

#include <string>

#include "agent/app/commands.hpp"

namespace qsanfwd::app {

/// What `qsanfwd dead-letter ACTION` takes besides the config.
struct dead_letter_options {
  std::string action;  ///< list, replay or drop
  std::string sink;    ///< list: every sink when empty
  std::string reason;  ///< drop: the dead letters whose reason contains this
  bool all = false;    ///< drop: every dead letter of the sink
  bool json = false;   ///< list: JSON instead of text
};

/// `qsanfwd dead-letter list|replay|drop -c FILE --sink S`: shows a sink's refused events by
/// reason, offers them to the sink again (once the cause is fixed; resumable after a kill, and
/// those refused again go back with the new reason), or removes them.
int dead_letter_command(const common_options& opts, const dead_letter_options& d);

}  // namespace qsanfwd::app
