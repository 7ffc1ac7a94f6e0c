// `qsanfwd demo --duration 20s` run headless: the file sink it writes holds log lines and the
// scripted disk, PSU and iSCSI session failures with their recoveries as health events.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace qsanfwd {
namespace {

using namespace std::chrono_literals;

TEST(demo, headless_run_writes_log_and_health_events) {
  test::temp_dir dir;
  const auto out = dir / "demo.out";
  test::child_process demo("/usr/bin/env",
                           {"TMPDIR=" + dir.path().string(), test::qsanfwd_binary().string(),
                            "demo", "--duration", "20s", "--keep"},
                           out);
  ASSERT_EQ(demo.wait(60s), 0) << test::read_file(out);
  const auto text = test::read_file(out);
  EXPECT_EQ(text.find("\033["), std::string::npos) << "colour codes on a file";
  std::smatch m;
  ASSERT_TRUE(std::regex_search(text, m, std::regex(R"(in (\S+events\.jsonl))"))) << text;
  std::ifstream archive(m[1].str());
  int logs = 0;
  std::vector<nlohmann::json> health;
  for (std::string line; std::getline(archive, line);) {
    const auto e = nlohmann::json::parse(line);
    if (e["kind"] == "log") {
      ++logs;
    } else if (e["kind"] == "health") {
      health.push_back(e);
    }
  }
  EXPECT_GE(logs, 200) << "the backlog";
  const auto find = [&](const std::string& component, const std::string& id,
                        const std::string& current) {
    return std::count_if(health.begin(), health.end(), [&](const nlohmann::json& e) {
      return e["component"] == component && e["component_id"] == id && e["current"] == current;
    });
  };
  EXPECT_EQ(find("disk", "e0d3", "Failed"), 1) << text;
  EXPECT_EQ(find("disk", "e0d3", "Good"), 1) << text;
  EXPECT_EQ(find("psu", "enc0/PSU 2", "Failed"), 1) << text;
  EXPECT_EQ(find("psu", "enc0/PSU 2", "Good"), 1) << text;
  const auto session =
      "ctrl0/iqn.1994-05.com.redhat:db-host/iqn.2004-08.com.qsan:xs5226-000d82734:dev0.ctr1";
  EXPECT_EQ(find("iscsi_session", session, "absent"), 1) << text;
  EXPECT_EQ(find("iscsi_session", session, "present"), 1) << text;
  EXPECT_NE(text.find("kept " + std::filesystem::path(m[1].str()).parent_path().string()),
            std::string::npos)
      << text;
}

TEST(demo, removes_its_directory_unless_kept) {
  test::temp_dir dir;
  const auto out = dir / "demo.out";
  const auto tmp = dir / "tmp";
  std::filesystem::create_directories(tmp);
  test::child_process demo("/usr/bin/env",
                           {"TMPDIR=" + tmp.string(), test::qsanfwd_binary().string(), "demo",
                            "--duration", "2s", "--backlog", "20"},
                           out);
  ASSERT_EQ(demo.wait(30s), 0) << test::read_file(out);
  EXPECT_TRUE(std::filesystem::is_empty(tmp)) << test::read_file(out);
  EXPECT_NE(test::read_file(out).find("removing " + tmp.string() + "/qsanfwd-demo-"),
            std::string::npos)
      << test::read_file(out);
}

}  // namespace
}  // namespace qsanfwd
