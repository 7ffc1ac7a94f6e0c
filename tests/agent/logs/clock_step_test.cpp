#include "agent/logs/clock_step.hpp"

#include <gtest/gtest.h>

namespace qsanfwd::logs {
namespace {

constexpr std::int64_t window_s = 300;

TEST(clock_step, a_checkpoint_ahead_of_the_arrays_clock_reads_from_just_before_its_present) {
  EXPECT_EQ(read_again_from(1000, 900, std::nullopt, window_s), 900 - clock_behind_tolerance_s);
  EXPECT_EQ(read_again_from(1000, 1000, std::nullopt, window_s), std::nullopt);
  EXPECT_EQ(read_again_from(1000, 1200, std::nullopt, window_s), std::nullopt);
}

TEST(clock_step, nothing_is_read_again_that_was_not_read_whole_before) {
  // A second lost puts the read back to 997: seconds from there on were read whole only when
  // the cycle read past the second after it.
  EXPECT_EQ(read_again_from(998, 1059, clock_since{1000, 60}, window_s), std::nullopt);
  EXPECT_EQ(read_again_from(999, 1059, clock_since{1000, 60}, window_s), 997);
}

TEST(clock_step, a_clock_that_advanced_less_than_ours_went_back_by_the_difference) {
  // Ours ran 60 s, the array's 50: stepped back 10 s; read from before the step, 2 s spare.
  EXPECT_EQ(read_again_from(1040, 1050, clock_since{1000, 60}, window_s), 1000 - 10 - 2);
  // Counted in whole seconds the clocks may differ by one, the array's ahead: no step.
  EXPECT_EQ(read_again_from(1040, 1060, clock_since{1000, 60}, window_s), std::nullopt);
  EXPECT_EQ(read_again_from(1040, 1061, clock_since{1000, 60}, window_s), std::nullopt);
  // One second lost is taken for a step.
  EXPECT_EQ(read_again_from(1040, 1059, clock_since{1000, 60}, window_s), 997);
}

TEST(clock_step, a_clock_set_ahead_reads_back_as_far_as_the_record_reaches) {
  const auto ahead = 60 + clock_behind_tolerance_s;
  EXPECT_EQ(read_again_from(1050, 1000 + ahead + 1, clock_since{1000, 60}, window_s),
            1050 - window_s);
  EXPECT_EQ(read_again_from(1050, 1000 + ahead, clock_since{1000, 60}, window_s), std::nullopt);
}

}  // namespace
}  // namespace qsanfwd::logs
