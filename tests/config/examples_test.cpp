#include <gtest/gtest.h>

#include <filesystem>

#include "config/config.hpp"
#include "config/yaml_text.hpp"
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
    if (entry.path().extension() != ".json" && !is_yaml_file(entry.path())) {
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

// A YAML example says what the JSON one of the same name says.
TEST(config_examples, each_yaml_example_loads_as_its_json_twin) {
  const env_lookup env = [](const std::string& name) -> std::optional<std::string> {
    return name.ends_with("_PROXY") || name.ends_with("_proxy") ? std::nullopt
                                                                : std::optional<std::string>("x");
  };
  int twins = 0;
  for (const auto& entry : std::filesystem::directory_iterator(examples_dir)) {
    if (!is_yaml_file(entry.path())) {
      continue;
    }
    SCOPED_TRACE(entry.path().string());
    auto json_twin = entry.path();
    json_twin.replace_extension(".json");
    ASSERT_TRUE(std::filesystem::exists(json_twin));
    EXPECT_EQ(load_config_file(entry.path(), sinks::sink_types(), env).effective,
              load_config_file(json_twin, sinks::sink_types(), env).effective);
    ++twins;
  }
  EXPECT_GE(twins, 2);
}

// The fleet example shows what README's "Device defaults, device files and inventories" says.
TEST(config_examples, the_fleet_example_merges_its_three_sources) {
  const env_lookup env = [](const std::string&) -> std::optional<std::string> { return "x"; };
  const auto cfg = load_config_file(examples_dir / "fleet.json", sinks::sink_types(), env);
  std::vector<std::string> names;
  for (const auto& d : cfg.devices) {
    names.push_back(d.name);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"ams-r07-01", "ams-r07-02", "fra-r01-01", "fra-r01-02",
                                             "lab-01"}));
  const auto& ams2 = cfg.devices[1];
  EXPECT_EQ(ams2.health.limits.pool_used_pct, 92);
  EXPECT_EQ(ams2.health.interval, std::chrono::minutes(2));
  EXPECT_EQ(ams2.fields,
            (field_list{{"owner", "storage-team"}, {"rack", "R7"}, {"site", "ams-1"}}));
  EXPECT_EQ(cfg.devices[3].logs.interval, std::chrono::seconds(60));
  EXPECT_EQ(cfg.devices[4].username, "admin");
  EXPECT_FALSE(cfg.devices[4].health.enabled);
  EXPECT_TRUE(cfg.devices[3].health.enabled);
}

}  // namespace
}  // namespace qsanfwd::config
