#include "agent/net/retry_after.hpp"

#include <gtest/gtest.h>

namespace qsanfwd::net {
namespace {

TEST(retry_after, reads_seconds_and_imf_fixdates) {
  // 1999-12-31T23:59:59Z is 946684799.
  EXPECT_EQ(net::parse_retry_after("120", 0), duration{120000});
  EXPECT_EQ(net::parse_retry_after("Fri, 31 Dec 1999 23:59:59 GMT", 946684789), duration{10000});
  EXPECT_EQ(net::parse_retry_after("Fri, 31 Dec 1999 23:59:59 GMT", 946684800), duration{0});
  EXPECT_FALSE(net::parse_retry_after("soon", 0));
  EXPECT_FALSE(net::parse_retry_after("-3", 0));
}

TEST(retry_after, a_huge_value_is_clamped_not_overflowed) {
  // 99999999999999999 s fits an int64, its milliseconds do not: the wait is max_duration, not
  // whatever the overflow made of it; digits beyond an int64 too.
  EXPECT_EQ(net::parse_retry_after("99999999999999999", 0), max_duration);
  EXPECT_EQ(net::parse_retry_after("99999999999999999999999", 0), max_duration);
  EXPECT_EQ(net::parse_retry_after("31536000", 0), max_duration);  // a year exactly
  EXPECT_EQ(net::parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", 0), max_duration);
  EXPECT_FALSE(net::parse_retry_after("-99999999999999999999999", 0));
}

}  // namespace
}  // namespace qsanfwd::net
