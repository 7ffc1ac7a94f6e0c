#include "agent/logs/clock_step.hpp"

#include <algorithm>

namespace qsanfwd::logs {

std::optional<std::int64_t> read_again_from(std::int64_t read_upto, std::int64_t array_now,
                                            std::optional<clock_since> last,
                                            std::int64_t step_window_s) {
  std::optional<std::int64_t> from;
  if (read_upto > array_now) {
    from = array_now - clock_behind_tolerance_s;
  }
  if (last) {
    // Both clocks counted in whole seconds over the same time never differ by more than one
    // second, the array's being the larger: a second lost is a step back (or an answer a
    // second slower than the one before, and then a few seconds read again cost nothing).
    const auto lost = last->ours_elapsed_s - (array_now - last->array);
    if (lost > 0) {
      from = std::min(from.value_or(array_now), last->array - lost - 2);
    }
    // Set ahead: maybe set back first, and the lines stamped meanwhile lie behind the
    // checkpoint, as far back as that step went. The record reaches clock_step_window back.
    if (-lost > clock_behind_tolerance_s) {
      from = std::min(from.value_or(array_now), read_upto - step_window_s);
    }
  }
  return from && *from < read_upto - 1 ? from : std::nullopt;
}

}  // namespace qsanfwd::logs
