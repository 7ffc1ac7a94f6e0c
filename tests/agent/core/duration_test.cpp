#include "agent/core/duration.hpp"

#include <gtest/gtest.h>

namespace qsanfwd {
namespace {

using namespace std::chrono_literals;

TEST(duration, parses_every_unit) {
  EXPECT_EQ(parse_duration("500ms"), duration{500});
  EXPECT_EQ(parse_duration("10s"), duration{10'000});
  EXPECT_EQ(parse_duration("5m"), duration{300'000});
  EXPECT_EQ(parse_duration("1h"), duration{3'600'000});
  EXPECT_EQ(parse_duration("2d"), duration{172'800'000});
}

TEST(duration, parses_compound_durations_largest_unit_first) {
  EXPECT_EQ(parse_duration("1h30m"), duration{5'400'000});
  EXPECT_EQ(parse_duration("2m30s"), duration{150'000});
  EXPECT_EQ(parse_duration("1d12h"), duration{129'600'000});
  EXPECT_EQ(parse_duration("1m0.5s"), duration{60'500});
  EXPECT_EQ(parse_duration("1s250ms"), duration{1'250});
  EXPECT_EQ(parse_duration("1d2h3m4s5ms"), duration{93'784'005});
  EXPECT_EQ(parse_duration("364d23h59m59s999ms"), max_duration - duration{1});
  for (const char* bad : {"30m1h", "1m1m", "1h30", "1h 30m", "1h-30m", "1h+30m", "h30m", "1h30x",
                          "1hm", "1h30m ", "365d1ms", "1h30m1e999s"}) {
    EXPECT_EQ(parse_duration(bad), std::nullopt) << bad;
  }
}

TEST(duration, bare_number_is_seconds) {
  EXPECT_EQ(parse_duration("15"), duration{15'000});
  EXPECT_EQ(parse_duration("1.5"), duration{1'500});
  EXPECT_EQ(parse_duration("0"), duration{0});
}

TEST(duration, rejects_garbage) {
  for (const char* bad :
       {"", "s", "ms", "10x", "ten seconds", "-1s", "+1s", "1e999", "1 s", "nan", "inf", "10sec"}) {
    EXPECT_EQ(parse_duration(bad), std::nullopt) << bad;
  }
}

TEST(duration, stops_at_a_year_so_no_timer_overflows) {
  EXPECT_EQ(parse_duration("365d"), max_duration);
  EXPECT_EQ(parse_duration("8760h"), max_duration);
  for (const char* too_long : {"366d", "8761h", "107000d", "31536001", "1e300"}) {
    EXPECT_EQ(parse_duration(too_long), std::nullopt) << too_long;
  }
  // What the ceiling exists for: a wait of max_duration from now is still in the future.
  const auto now = std::chrono::steady_clock::now();
  EXPECT_GT(now + max_duration, now);
}

TEST(duration, formats_with_the_largest_exact_unit) {
  EXPECT_EQ(format_duration(duration{10'000}), "10s");
  EXPECT_EQ(format_duration(duration{1'500}), "1500ms");
  EXPECT_EQ(format_duration(duration{300'000}), "5m");
  EXPECT_EQ(format_duration(duration{0}), "0ms");
  EXPECT_EQ(parse_duration(format_duration(duration{86'400'000})), duration{86'400'000});
}

}  // namespace
}  // namespace qsanfwd
