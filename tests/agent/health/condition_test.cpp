// The one table of health words and the one severity mapping.
#include "agent/health/condition.hpp"

#include <gtest/gtest.h>

namespace qsanfwd::health {
namespace {

TEST(health_condition, words_of_every_product_line_map_regardless_of_case_and_blanks) {
  for (const auto* w : {"Good", "Optimal", "Online", "Normal", "OK", " good "}) {
    EXPECT_EQ(condition_of(w), condition::fine) << w;
  }
  for (const auto* w : {"Degraded", "Warning", "abnormal", "Rebuilding", "ABNORMAL"}) {
    EXPECT_EQ(condition_of(w), condition::degraded) << w;
  }
  for (const auto* w : {"Failed", "Offline", "Critical", "Error", "faulty"}) {
    EXPECT_EQ(condition_of(w), condition::failed) << w;
  }
}

TEST(health_condition, an_unknown_or_empty_word_is_unknown_never_fine) {
  EXPECT_EQ(condition_of("Splendid"), condition::unknown);
  EXPECT_EQ(condition_of(""), condition::unknown);
}

TEST(health_condition, severity_mapping) {
  EXPECT_EQ(severity_of_change(condition::fine, condition::failed), severity::critical);
  EXPECT_EQ(severity_of_change(std::nullopt, condition::failed), severity::critical);
  EXPECT_EQ(severity_of_change(condition::fine, condition::degraded), severity::warning);
  EXPECT_EQ(severity_of_change(condition::failed, condition::degraded), severity::warning);
  EXPECT_EQ(severity_of_change(condition::fine, condition::unknown), severity::warning);
  EXPECT_EQ(severity_of_change(condition::failed, condition::fine), severity::notice);
  EXPECT_EQ(severity_of_change(condition::unknown, condition::fine), severity::notice);
  EXPECT_EQ(severity_of_change(condition::fine, condition::fine), severity::info);
  EXPECT_EQ(severity_of_change(std::nullopt, condition::fine), severity::info);
  EXPECT_EQ(severity_of_threshold(true), severity::warning);
  EXPECT_EQ(severity_of_threshold(false), severity::notice);
}

}  // namespace
}  // namespace qsanfwd::health
