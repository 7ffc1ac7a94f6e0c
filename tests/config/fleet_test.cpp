// A fleet's configuration: device_defaults, devices_dir, the CSV and JSON inventories, and the
// errors that name the file and the place in it.
#include <gtest/gtest.h>

#include <filesystem>

#include "config/config.hpp"
#include "config/csv.hpp"
#include "tests/config/helpers.hpp"
#include "tests/support/temp_dir.hpp"

namespace qsanfwd::config {
namespace {

using namespace std::chrono_literals;
using qsanfwd::test::temp_dir;
using qsanfwd::test::write_file;
using test::error_of;
using test::fake_env;

constexpr std::string_view one_sink = R"("sinks": [{"name": "s", "type": "test", "path": "/x"}])";

/// A fleet in a directory: config.json (with `top` at its top level and one sink) beside
/// whatever files the test writes.
class fleet_files {
 public:
  void config(std::string_view top) {
    write_file(dir_ / "config.json", "{" + std::string(top) + ", " + std::string(one_sink) + "}");
  }
  void file(const std::filesystem::path& name, const std::string& text) {
    std::filesystem::create_directories((dir_ / name).parent_path());
    write_file(dir_ / name, text);
  }
  agent_config load(std::optional<shard_spec> shard = std::nullopt) const {
    return load_config_file(dir_ / "config.json", test::test_sink_types(),
                            fake_env({{"QSAN_PASSWORD", "s3cret"}}), shard);
  }
  std::string error() const {
    return error_of([this] { load(); });
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

 private:
  temp_dir dir_;
};

constexpr std::string_view fleet_defaults = R"("device_defaults": {
    "username": "monitor", "password": "${QSAN_PASSWORD}",
    "tls": {"ca_file": "/etc/qsanfwd/array-ca.pem"},
    "logs": {"interval": "30s", "page_size": 500},
    "health": {"thresholds": {"temperature_c": 60, "pool_used_pct": 85}}})";

TEST(config_fleet, defaults_apply_under_each_device_deep_merged) {
  const std::string text = "{" + std::string(fleet_defaults) + R"(, "devices": [
      {"name": "a1", "url": "https://192.0.2.1", "logs": {"interval": "5s"}},
      {"name": "a2", "url": "https://192.0.2.2", "username": "admin",
       "health": {"thresholds": {"pool_used_pct": 95}}}], )" +
                           std::string(one_sink) + "}";
  const auto cfg = parse_config(text, test::test_sink_types(), fake_env({{"QSAN_PASSWORD", "pw"}}));
  ASSERT_EQ(cfg.devices.size(), 2u);
  const auto& a1 = cfg.devices[0];
  const auto& a2 = cfg.devices[1];
  EXPECT_EQ(a1.username, "monitor");
  EXPECT_EQ(a1.password.reveal(), "pw");
  EXPECT_EQ(a1.tls.ca_file, "/etc/qsanfwd/array-ca.pem");
  EXPECT_EQ(a1.logs.interval, 5s);     // the device's own
  EXPECT_EQ(a1.logs.page_size, 500);   // the defaults', beside it in the same object
  EXPECT_EQ(a1.health.interval, 60s);  // the built-in default
  EXPECT_EQ(a2.username, "admin");
  EXPECT_EQ(a2.logs.interval, 30s);
  EXPECT_EQ(a2.health.limits.pool_used_pct, 95);
  EXPECT_EQ(a2.health.limits.temperature_c, 60);
  // The effective config shows each device with its defaults applied, secrets masked, and not
  // the defaults again.
  EXPECT_FALSE(cfg.effective.contains("device_defaults"));
  EXPECT_EQ(cfg.effective["devices"][1]["logs"]["page_size"], 500);
  EXPECT_EQ(cfg.effective["devices"][1]["password"], "***");
  EXPECT_EQ(cfg.shard, (shard_spec{0, 1}));
  EXPECT_EQ(cfg.fleet_devices, 2u);
}

TEST(config_fleet, a_device_replaces_the_other_form_of_a_secret_and_null_removes_a_default) {
  const std::string text = R"({"device_defaults": {"username": "u", "password_file": "/run/pw",
                                                    "proxy": "http://proxy.example:3128"},
      "devices": [{"name": "a1", "url": "https://h", "password": "inline", "proxy": null}], )" +
                           std::string(one_sink) + "}";
  const auto cfg = parse_config(text, test::test_sink_types(), fake_env());
  EXPECT_EQ(cfg.devices[0].password.reveal(), "inline");
  EXPECT_EQ(cfg.effective["devices"][0]["proxy"], "none");
}

TEST(config_fleet, errors_name_the_defaults_or_the_device_that_holds_the_value) {
  const auto error = [](std::string_view defaults_text, std::string_view device) {
    return error_of([&] {
      parse_config(R"({"device_defaults": {)" + std::string(defaults_text) +
                       R"(}, "devices": [{"name": "a0", "url": "https://h", "username": "u",
                           "password": "p"}, {"name": "a1")" +
                       std::string(device) + "}], " + std::string(one_sink) + "}",
                   test::test_sink_types(), fake_env());
    });
  };
  EXPECT_EQ(error(R"("logs": {"interval": "0s"})", ""),
            "config error at /device_defaults/logs/interval: expected at least 1s, got \"0s\"");
  EXPECT_EQ(error(R"("logs": {"intervall": "5s"})", "").substr(0, 62),
            "config error at /device_defaults/logs/intervall: unknown key (");
  EXPECT_EQ(error(R"("username": "u", "password": "p")", R"(, "url": "https://h", "urll": "x")")
                .substr(0, 47),
            "config error at /devices/1/urll: unknown key (k");
  // Missing in both: the device is where it belongs.
  EXPECT_EQ(error(R"("username": "u", "password": "p")", ""),
            "config error at /devices/1/url: required key is missing");
  // A field name with a "~" is escaped in the path, which finds its place.
  EXPECT_EQ(error(R"("fields": {"a~x": "1"})", R"(, "url": "https://h")").substr(0, 46),
            "config error at /device_defaults/fields/a~0x: ");
  EXPECT_EQ(error(R"("name": "x")", ""),
            "config error at /device_defaults/name: a name belongs to one device, not to the "
            "defaults");
}

TEST(config_fleet, devices_dir_reads_one_file_per_device_in_sorted_order) {
  fleet_files f;
  f.config(std::string(fleet_defaults) + R"(, "devices_dir": "devices.d",
           "devices": [{"name": "inline-1", "url": "https://192.0.2.9"}])");
  f.file("devices.d/b-02.json", R"({"url": "https://192.0.2.2", "logs": {"page_size": 50}})");
  f.file("devices.d/a-01.json", R"({"name": "array-01", "url": "https://192.0.2.1"})");
  // Not devices: hidden files, editors' and package managers' leftovers, other files.
  for (const char* ignored : {".hidden.json", "a-01.json~", ".a-01.json.swp", "#a-01.json#",
                              "a-01.json.dpkg-old", "README.txt"}) {
    f.file(std::string("devices.d/") + ignored, "not json");
  }
  std::filesystem::create_directories(f.path("devices.d/sub.json"));
  const auto cfg = f.load();
  ASSERT_EQ(cfg.devices.size(), 3u);
  EXPECT_EQ(cfg.devices[0].name, "inline-1");
  EXPECT_EQ(cfg.devices[1].name, "array-01");
  EXPECT_EQ(cfg.devices[2].name, "b-02");  // the file's name, when the block gives none
  EXPECT_EQ(cfg.devices[2].logs.page_size, 50);
  EXPECT_EQ(cfg.devices[2].logs.interval, 30s);
  EXPECT_EQ(cfg.devices[2].password.reveal(), "s3cret");
  EXPECT_EQ(cfg.effective["devices_dir"], "devices.d");
}

TEST(config_fleet, a_bad_device_file_is_named_with_the_path_inside_it) {
  fleet_files f;
  f.config(std::string(fleet_defaults) + R"(, "devices_dir": "devices.d")");
  f.file("devices.d/a.json", R"({"url": "https://192.0.2.1"})");
  f.file("devices.d/b.json", R"({"url": "https://192.0.2.2", "logs": {"interval": "fast"}})");
  EXPECT_EQ(
      f.error().substr(0, f.error().find(" such as")),
      "config error in " + f.path("devices.d/b.json") + " at /logs/interval: expected a duration");
  f.file("devices.d/b.json", "{\"url\": \"https://h\",\n  \"logs\": {]}");
  EXPECT_EQ(f.error().substr(0, f.error().find(": syntax")),
            "config error in " + f.path("devices.d/b.json") + " at line 2, column 12");
  f.file("devices.d/b.json", R"({"url": "https://h", "url": "https://h2"})");
  EXPECT_EQ(f.error(), "config error in " + f.path("devices.d/b.json") + " at /url: duplicate key");
  f.file("devices.d/b.json", R"(["not", "an object"])");
  EXPECT_EQ(f.error(), "config error in " + f.path("devices.d/b.json") +
                           " at /: expected an object, got [\"not\",\"an object\"]");
  f.file("devices.d/b.json", R"({"name": "a", "url": "https://h"})");
  EXPECT_EQ(f.error(), "config error in " + f.path("devices.d/b.json") +
                           " at /name: duplicate device name \"a\" (first at " +
                           f.path("devices.d/a.json") + ")");
  f.config(std::string(fleet_defaults) + R"(, "devices_dir": "missing.d")");
  EXPECT_EQ(f.error(), "config error at /devices_dir: cannot read the directory " +
                           f.path("missing.d") + ": No such file or directory");
}

constexpr std::string_view inventory_csv =
    "\xEF\xBB\xBF# written by Ansible\r\n"
    "name, url, password_file, logs.interval, logs.enabled, logs.types, fields.site, "
    "health.thresholds.temperature_c\r\n"
    "\r\n"
    "array-01, https://192.0.2.1, , 15s, true, warning error, \"Amsterdam, NL\", 65.5\r\n"
    "array-02, https://192.0.2.2, pw/array-02, , false, , ams-1, \r\n";

TEST(config_fleet, csv_inventory_cells_take_the_type_each_key_expects) {
  fleet_files f;
  f.config(std::string(fleet_defaults) + R"(, "inventory": "arrays.csv")");
  f.file("arrays.csv", std::string(inventory_csv));
  f.file("pw/array-02", "pw-02\n");
  const auto cfg = f.load();
  ASSERT_EQ(cfg.devices.size(), 2u);
  const auto& a1 = cfg.devices[0];
  const auto& a2 = cfg.devices[1];
  EXPECT_EQ(a1.name, "array-01");
  EXPECT_EQ(a1.endpoint.host, "192.0.2.1");
  EXPECT_EQ(a1.password.reveal(), "s3cret");
  EXPECT_EQ(a1.logs.interval, 15s);
  EXPECT_TRUE(a1.logs.enabled);
  EXPECT_EQ(a1.logs.types, (std::vector<std::string>{"warning", "error"}));
  EXPECT_EQ(a1.fields, (field_list{{"site", "Amsterdam, NL"}}));
  EXPECT_EQ(a1.health.limits.temperature_c, 65.5);
  // Empty cells take the defaults; password_file resolves against the config's directory.
  EXPECT_EQ(a2.password.reveal(), "pw-02");
  EXPECT_EQ(a2.logs.interval, 30s);
  EXPECT_FALSE(a2.logs.enabled);
  EXPECT_EQ(a2.health.limits.temperature_c, 60);
  EXPECT_EQ(cfg.effective["devices"][0]["logs"]["types"], (nlohmann::json{"warning", "error"}));
}

TEST(config_fleet, a_bad_csv_row_is_named_by_line_and_column) {
  fleet_files f;
  f.config(std::string(fleet_defaults) + R"(, "inventory": "arrays.csv")");
  const std::string header = "name,url,logs.page_size,logs.enabled\n";
  const auto error_with = [&](const std::string& rows) {
    f.file("arrays.csv", header + "a1,https://192.0.2.1,100,true\n" + rows);
    return f.error();
  };
  const std::string in = "config error in " + f.path("arrays.csv") + " at ";
  EXPECT_EQ(error_with("\na2,https://192.0.2.2,0,true\n"),
            in + "line 4, column logs.page_size: expected 1..10000, got 0");
  EXPECT_EQ(error_with("a2,https://192.0.2.2,100,yes\n"),
            in + "line 3, column logs.enabled: expected a boolean, got \"yes\"");
  EXPECT_EQ(error_with("a2,https://192.0.2.2,100\n"),
            in + "line 3: 3 cells, where the header (line 1) names 4");
  EXPECT_EQ(error_with("a2,\"https://192.0.2.2,100,true\n"),
            in + "line 3: cell 2: the quote is not closed on this line (a value cannot hold a "
                 "line break)");
  EXPECT_EQ(error_with(",https://192.0.2.2,100,true\n"),
            in + "line 3, column name: required key is missing");
  EXPECT_EQ(error_with("a1,https://192.0.2.2,100,true\n"),
            in + "line 3, column name: duplicate device name \"a1\" (first at " +
                f.path("arrays.csv") + " line 2)");
  f.file("arrays.csv", "name,url,logz.interval\na1,https://h,5s\n");
  EXPECT_EQ(f.error().substr(0, f.error().find(" (")), in + "line 2, column logz: unknown key");
  f.file("arrays.csv", "name,url,logs..interval\n");
  EXPECT_EQ(f.error(), in + "line 1: column \"logs..interval\": expected a key such as name, url "
                            "or logs.interval");
  f.file("arrays.csv", "name,url,tls,tls.ca_file\n");
  EXPECT_EQ(f.error(), in + "line 1: column \"tls.ca_file\": repeats or overlaps another column");
}

TEST(config_fleet, json_inventory_and_duplicates_across_sources) {
  fleet_files f;
  f.config(std::string(fleet_defaults) + R"(, "inventory": "arrays.json", "devices_dir": "d",
           "devices": [{"name": "a0", "url": "https://192.0.2.9"}])");
  f.file("d/a1.json", R"({"url": "https://192.0.2.1"})");
  f.file("arrays.json", R"([{"name": "a2", "url": "https://192.0.2.2"},
                            {"name": "a3", "url": "https://192.0.2.3"}])");
  const auto cfg = f.load();
  ASSERT_EQ(cfg.devices.size(), 4u);
  EXPECT_EQ(cfg.devices[3].name, "a3");
  f.file("arrays.json", R"([{"name": "a2", "url": "https://192.0.2.2"},
                            {"name": "a3", "url": "ftp://192.0.2.3"}])");
  EXPECT_EQ(f.error().substr(0, f.error().find(", such as")),
            "config error in " + f.path("arrays.json") +
                " at /1/url: expected an http:// or https:// URL with a host and an optional "
                "port and path");
  f.file("arrays.json", R"([{"name": "a1", "url": "https://192.0.2.2"}])");
  EXPECT_EQ(f.error(), "config error in " + f.path("arrays.json") +
                           " at /0/name: duplicate device name \"a1\" (first at " +
                           f.path("d/a1.json") + ")");
  f.file("arrays.json", R"([])");
  f.file("d/a0.json", R"({"url": "https://192.0.2.1"})");
  EXPECT_EQ(f.error(), "config error in " + f.path("d/a0.json") +
                           " at /name: duplicate device name \"a0\" (first at /devices/0)");
  f.config(std::string(fleet_defaults) + R"(, "inventory": "arrays.yaml")");
  EXPECT_EQ(f.error(), "config error at /inventory: expected a .csv or .json file, got \"" +
                           f.path("arrays.yaml") + "\"");
}

TEST(config_fleet, the_shard_keeps_its_devices_of_the_whole_inventory) {
  fleet_files f;
  std::string csv = "name,url\n";
  for (int i = 0; i < 60; ++i) {
    csv += "array-" + std::to_string(i) + ",https://192.0.2." + std::to_string(i) + "\n";
  }
  f.file("arrays.csv", csv);
  f.config(std::string(fleet_defaults) + R"(, "inventory": "arrays.csv",
           "shard": {"index": 1, "count": 3})");
  const auto cfg = f.load();
  EXPECT_EQ(cfg.shard, (shard_spec{1, 3}));
  EXPECT_EQ(cfg.fleet_devices, 60u);
  EXPECT_GT(cfg.devices.size(), 10u);
  EXPECT_LT(cfg.devices.size(), 30u);
  for (const auto& d : cfg.devices) {
    EXPECT_EQ(shard_of(d.name, 3), 1u) << d.name;
  }
  ASSERT_EQ(cfg.effective["devices"].size(), cfg.devices.size());
  EXPECT_EQ(cfg.effective["devices"][0]["name"], cfg.devices[0].name);
  EXPECT_EQ(cfg.effective["shard"]["count"], 3);
  // --shard overrides the file; the three shards together hold every device once.
  std::size_t total = 0;
  for (std::size_t i = 0; i < 3; ++i) {
    const auto part = f.load(shard_spec{i, 3});
    EXPECT_EQ(part.shard.index, i);
    total += part.devices.size();
  }
  EXPECT_EQ(total, 60u);
  f.config(std::string(fleet_defaults) + R"(, "inventory": "arrays.csv",
           "shard": {"index": 3, "count": 3})");
  EXPECT_EQ(f.error(), "config error at /shard/index: expected 0..2, got 3");
}

TEST(config_fleet, parse_shard_takes_i_of_n) {
  std::string why;
  EXPECT_EQ(parse_shard("2/4", why), (shard_spec{2, 4}));
  EXPECT_EQ(parse_shard("0/1", why), (shard_spec{0, 1}));
  for (const char* bad : {"4/4", "0/0", "1", "/4", "1/", "a/4", "1/4x", "-1/4", "0/1001"}) {
    EXPECT_FALSE(parse_shard(bad, why)) << bad;
  }
  EXPECT_EQ(why,
            "expected i/n with 0 <= i < n <= 1000 (shard i of n agents, counted from 0), "
            "got \"0/1001\"");
}

TEST(config_fleet, csv_reads_quotes_and_skips_comments) {
  const auto rows = read_csv("a,b\n# note\n \"x, \"\"y\"\"\" , z ,\n", "f.csv");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].line, 3u);
  EXPECT_EQ(rows[1].cells, (std::vector<std::string>{"x, \"y\"", "z", ""}));
  EXPECT_EQ(error_of([] { read_csv("a,b\n\"x\" y,z\n", "f.csv"); }),
            "config error in f.csv at line 2: cell 1: text after the closing quote");
  EXPECT_EQ(error_of([] { read_csv("a,b\nZ\xfcrich,z\n", "f.csv"); }),
            "config error in f.csv at line 2: not UTF-8 (save the file as UTF-8 CSV)");
}

}  // namespace
}  // namespace qsanfwd::config
