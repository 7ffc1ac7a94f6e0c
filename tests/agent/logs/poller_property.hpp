#pragma once

// The fixture of the log poller's property tests, shared by scripted_array_test.cpp and
// poller_findings_test.cpp: one class, as GoogleTest wants for the tests of one suite.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <string_view>

#include "agent/core/logging.hpp"
#include "tests/support/poller_script.hpp"
#include "tests/support/temp_dir.hpp"

namespace qsanfwd::test {

class poller_property : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const char* log = std::getenv("QSANFWD_POLLER_LOG");
    if (log == nullptr) {
      set_all_levels(spdlog::level::off);
    } else if (std::string_view(log) == "debug") {
      set_all_levels(spdlog::level::debug);
    }
  }
  std::string run_script(const std::string& text) { return bench_.run(parse_script(text)); }
  temp_dir dir_;
  poller_bench bench_{dir_.path()};
};

}  // namespace qsanfwd::test
