#include "agent/core/ids.hpp"

#include <gtest/gtest.h>

namespace qsanfwd {
namespace {

TEST(ids, stable_and_length_prefixed) {
  const auto a = stable_id({"array-01", "1795915304", "error", "Disk failed", "1"});
  EXPECT_EQ(a.size(), 16U);
  EXPECT_EQ(a, stable_id({"array-01", "1795915304", "error", "Disk failed", "1"}));
  EXPECT_NE(a, stable_id({"array-01", "1795915304", "error", "Disk failed", "2"}));
  EXPECT_NE(stable_id({"ab", "c"}), stable_id({"a", "bc"}));
}

TEST(ids, sha256_known_answer) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace qsanfwd
