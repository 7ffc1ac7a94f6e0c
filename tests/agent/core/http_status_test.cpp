#include "agent/core/http_status.hpp"

#include <gtest/gtest.h>

namespace qsanfwd {
namespace {

TEST(http_status, one_table_for_every_peer) {
  for (int s : {200, 201, 202, 204, 205}) {
    EXPECT_EQ(classify_status(s), status_class::success) << s;
  }
  for (int s : {408, 429, 500, 502, 503, 504}) {
    EXPECT_EQ(classify_status(s), status_class::retry) << s;
  }
  for (int s : {400, 403, 405, 413, 501, 302}) {
    EXPECT_EQ(classify_status(s), status_class::rejected) << s;
  }
  EXPECT_EQ(classify_status(401), status_class::unauthorized);
  EXPECT_EQ(classify_status(404), status_class::not_found);
}

}  // namespace
}  // namespace qsanfwd
