#include "agent/core/time.hpp"

#include <gtest/gtest.h>

namespace qsanfwd {
namespace {

TEST(parse_time_argument, reads_unix_seconds_and_rfc3339_with_any_offset) {
  EXPECT_EQ(parse_time_argument("1795915304"), 1795915304);
  EXPECT_EQ(parse_time_argument("0"), 0);
  EXPECT_EQ(parse_time_argument("2026-11-29T01:21:44Z"), 1795915304);
  EXPECT_EQ(parse_time_argument("2026-11-29t01:21:44z"), 1795915304);
  EXPECT_EQ(parse_time_argument("2026-11-29 01:21:44Z"), 1795915304);
  EXPECT_EQ(parse_time_argument("2026-11-29T02:21:44+01:00"), 1795915304);
  EXPECT_EQ(parse_time_argument("2026-11-28T20:21:44-05:00"), 1795915304);
  EXPECT_EQ(parse_time_argument("2026-11-29T01:21:44.999Z"), 1795915304);
  EXPECT_EQ(parse_time_argument("2000-02-29T00:00:00Z"), 951782400);
  for (const auto* bad :
       {"", "yesterday", "-5", "1795915304.5", "2026-11-29", "2026-11-29T01:21:44",
        "2026-02-30T00:00:00Z", "2026-13-01T00:00:00Z", "2026-11-29T24:00:00Z",
        "2026-11-29T01:21:44+1:00", "2026-11-29T01:21:44+01:00x", "2026-11-29T01:21:44.Zx",
        "99999999999999999999"}) {
    EXPECT_FALSE(parse_time_argument(bad)) << bad;
  }
}

}  // namespace
}  // namespace qsanfwd
