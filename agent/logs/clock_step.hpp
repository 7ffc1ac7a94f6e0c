#pragma once

#include <cstdint>
#include <optional>

namespace qsanfwd::logs {

/// How far the array's clock (its answers' Date) may lag the checkpoint before it is taken for
/// a step back: a Date and a line's stamp may come from clocks a few seconds apart.
inline constexpr std::int64_t clock_behind_tolerance_s = 10;

/// The array's clock when it was last read, and how many whole seconds ours ran since.
struct clock_since {
  std::int64_t array = 0;
  std::int64_t ours_elapsed_s = 0;
};

/// Where to read the log again from, when the array's clock (`array_now`, a fresh Date) went
/// back since `last` was read; none when no line can have been stamped before `read_upto`, the
/// second read whole up to (the checkpoint, or later after a cycle that failed; above 0).
/// `step_window_s`: how far back the recent-lines record reaches (clock_step_window).
///
/// Lines are stamped by the array's clock, and each cycle asks for those from the checkpoint
/// on (the REST API has no other cursor). An array whose clock was set back stamps its new
/// lines before the checkpoint, where no cycle would look. Two signs: the checkpoint ahead of
/// the array's clock (it never passes it otherwise: lines ahead never move it), and the array's
/// clock advancing less than ours since the last cycle (a step back that time, or a step
/// forward, carried past the checkpoint again). The lines stamped after the step lie after what
/// the clock read right after it: the read goes back to there.
std::optional<std::int64_t> read_again_from(std::int64_t read_upto, std::int64_t array_now,
                                            std::optional<clock_since> last,
                                            std::int64_t step_window_s);

}  // namespace qsanfwd::logs
