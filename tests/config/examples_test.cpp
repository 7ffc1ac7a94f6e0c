#include <gtest/gtest.h>

#include <filesystem>

#include "config/config.hpp"
#include "sinks/registry.hpp"

namespace qsanfwd::config {
namespace {

const std::filesystem::path examples_dir =
    std::filesystem::path(QSANFWD_SOURCE_DIR) / "config" / "examples";

// With the real sink types: an example is what users copy, so it must load in the real agent.
TEST(config_examples, every_example_parses) {
  // Any variable the examples reference resolves, so the test needs no real environment. The
  // proxy variables are read without a reference (proxy absent): unset here, as in most places.
  const env_lookup env = [](const std::string& name) -> std::optional<std::string> {
    if (name.ends_with("_proxy") || name.ends_with("_PROXY")) {
      return std::nullopt;
    }
    return "value-of-" + name;
  };
  int parsed = 0;
  for (const auto& entry : std::filesystem::directory_iterator(examples_dir)) {
    if (entry.path().extension() != ".json") {
      continue;
    }
    SCOPED_TRACE(entry.path().string());
    EXPECT_NO_THROW({
      try {
        const auto cfg = load_config_file(entry.path(), sinks::sink_types(), env);
        // The examples use variables for secrets only, so no expanded value may show.
        EXPECT_EQ(cfg.effective.dump().find("value-of-"), std::string::npos);
      } catch (const config_error& e) {
        ADD_FAILURE() << e.what();
        throw;
      }
    });
    ++parsed;
  }
  EXPECT_GE(parsed, 4);
}

}  // namespace
}  // namespace qsanfwd::config
