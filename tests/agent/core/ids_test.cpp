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

// Ids are a contract: sinks deduplicate on them across agent versions, so they never change.
TEST(ids, stable_id_known_answers) {
  EXPECT_EQ(stable_id({"array-01", "1795915304", "error", "Disk failed", "1"}), "44c05f0210abe2d0");
  // Lengths count bytes, not characters.
  EXPECT_EQ(stable_id({"array-01", "1795915304", "access", "SSH login of 'müller' accepted.", "2"}),
            "9073495b120e4500");
}

TEST(ids, sha256_known_answer) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace qsanfwd
