// The qsanfwd binary as users run it: exit codes, messages, and no secret on any output.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "agent/core/event.hpp"
#include "sim/simulator.hpp"
#include "sinks/file/hash_chain.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/tls_cert.hpp"
#include "tests/support/wait.hpp"

namespace qsanfwd {
namespace {

using namespace std::chrono_literals;

constexpr const char* password = "Tr0ub4dor-and-3";

struct cli : ::testing::Test {
  test::temp_dir dir;
  std::filesystem::path output = dir / "output.txt";

  /// Runs qsanfwd to completion; returns its exit status and leaves its output in `text`.
  int qsanfwd(const std::vector<std::string>& args) { return run(test::qsanfwd_binary(), args); }

  /// Runs a shell command line to completion, as qsanfwd() does.
  int qsanfwd_via_shell(const std::string& command) { return run("/bin/sh", {"-c", command}); }

  int run(const std::filesystem::path& program, const std::vector<std::string>& args) {
    std::filesystem::remove(output);
    test::child_process p(program, args, output);
    const int status = p.wait(60s);
    text = std::filesystem::exists(output) ? test::read_file(output) : "";
    return status;
  }

  std::filesystem::path config(std::uint16_t port, const std::string& pw = password) {
    const auto file = dir / "config.json";
    test::write_file(file, R"({
      "state_dir": ")" + (dir / "state").string() +
                               R"(",
      "devices": [ { "name": "array-01", "url": "http://127.0.0.1:)" +
                               std::to_string(port) +
                               R"(", "username": "admin", "password": "${TEST_PW:-)" + pw +
                               R"(}" } ],
      "sinks": [ { "name": "archive", "type": "file", "path": ")" +
                               (dir / "out.jsonl").string() + R"(" } ]
    })");
    return file;
  }

  std::string text;
};

sim::options array_options() {
  sim::options o;
  o.password = password;
  o.backlog = 42;
  return o;
}

TEST_F(cli, version_and_usage_errors) {
  EXPECT_EQ(qsanfwd({"--version"}), 0);
  EXPECT_NE(text.find("qsanfwd 0."), std::string::npos) << text;
  EXPECT_EQ(qsanfwd({}), 2);
  EXPECT_EQ(qsanfwd({"frobnicate"}), 2);
  EXPECT_EQ(qsanfwd({"run"}), 2) << "run without -c";
  EXPECT_EQ(qsanfwd({"check-config", "-c", (dir / "missing.json").string()}), 2);
  EXPECT_NE(text.find("missing.json"), std::string::npos) << text;
}

TEST_F(cli, check_config_prints_the_effective_config_with_secrets_masked) {
  const auto file = config(1);
  EXPECT_EQ(qsanfwd({"check-config", "-c", file.string()}), 0) << text;
  EXPECT_NE(text.find(R"("password": "***")"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("page_size": 1000)"), std::string::npos) << "defaults are shown";
  EXPECT_EQ(text.find(password), std::string::npos) << "the password leaked";
}

TEST_F(cli, check_config_warns_of_udp_syslog_and_names_its_pace) {
  const auto file = dir / "udp.json";
  test::write_file(file, R"({"devices": [{"name": "a", "url": "http://x", "username": "u",
                             "password": "p"}],
                             "sinks": [{"name": "siem", "type": "syslog", "address": "udp://x"},
                                       {"name": "raw", "type": "syslog", "address": "udp://x",
                                        "rate_limit": {"events_per_second": 0}},
                                       {"name": "tcp", "type": "syslog", "address": "tcp://x"}]})");
  EXPECT_EQ(qsanfwd({"check-config", "-c", file.string()}), 0) << text;
  EXPECT_NE(text.find("warning: sink siem sends syslog over UDP, which loses without a trace what "
                      "the receiver cannot take; its pace (rate_limit): 500 events/s, burst 50"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("warning: sink raw sends syslog over UDP"), std::string::npos) << text;
  EXPECT_NE(text.find("its pace (rate_limit): unpaced"), std::string::npos) << text;
  EXPECT_EQ(text.find("sink tcp sends"), std::string::npos) << text;
}

TEST_F(cli, check_config_says_when_the_open_file_limit_cannot_cover_the_fleet) {
  std::string csv = "name,url,username,password\n";
  for (int i = 0; i < 300; ++i) {
    csv += "array-" + std::to_string(i) + ",https://192.0.2.1,admin,pw\n";
  }
  test::write_file(dir / "arrays.csv", csv);
  const auto file = dir / "fleet.json";
  test::write_file(file, R"({"inventory": "arrays.csv",
                             "sinks": [{"name": "f", "type": "file", "path": "/tmp/x"}]})");
  // `ulimit -n` lowers the hard limit too, so the agent cannot raise its own past it.
  const auto check = "ulimit -n 256 && exec " + test::qsanfwd_binary().string() +
                     " check-config -c " + file.string();
  EXPECT_EQ(qsanfwd_via_shell(check), 0) << text;
  EXPECT_NE(text.find("warning: the open file limit (256) is below the 368 this configuration "
                      "wants"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("valid (300 device(s), 1 sink(s))"), std::string::npos) << text;
}

TEST_F(cli, check_config_errors_name_the_place) {
  const auto file = dir / "bad.json";
  test::write_file(file, R"({"devices": [{"name": "a", "url": "http://x", "username": "u",
                             "password": "p", "logs": {"intervall": "5s"}}],
                             "sinks": [{"name": "f", "type": "file", "path": "/tmp/x"}]})");
  EXPECT_EQ(qsanfwd({"check-config", "-c", file.string()}), 2);
  EXPECT_NE(text.find("config error at /devices/0/logs/intervall: unknown key"), std::string::npos)
      << text;
  test::write_file(file, "{\n  \"state_dir\": \"/x\",\n  oops\n}");
  EXPECT_EQ(qsanfwd({"check-config", "-c", file.string()}), 2);
  EXPECT_NE(text.find("line 3, column"), std::string::npos) << text;
}

TEST_F(cli, check_config_with_a_shard_counts_its_part_of_the_inventory) {
  std::string csv = "name,url\n";
  for (int i = 0; i < 30; ++i) {
    csv += "array-" + std::to_string(i) + ",http://127.0.0.1:1\n";
  }
  test::write_file(dir / "arrays.csv", csv);
  const auto file = dir / "fleet.json";
  test::write_file(file, R"({"device_defaults": {"username": "u", "password": "p"},
                             "inventory": "arrays.csv", "shard": {"index": 0, "count": 2},
                             "sinks": [{"name": "f", "type": "file", "path": "/tmp/x"}]})");
  std::size_t total = 0;
  for (const std::string shard : {"0/3", "1/3", "2/3"}) {
    ASSERT_EQ(qsanfwd({"check-config", "-c", file.string(), "--shard", shard}), 0) << text;
    const auto at = text.find("valid (");
    ASSERT_NE(at, std::string::npos) << text;
    total += std::stoul(text.substr(at + 7));
    EXPECT_NE(text.find(" of 30 device(s) in shard " + shard + ", 1 sink(s))"), std::string::npos)
        << text;
  }
  EXPECT_EQ(total, 30u);
  EXPECT_EQ(qsanfwd({"check-config", "-c", file.string()}), 0) << text;
  EXPECT_NE(text.find(" of 30 device(s) in shard 0/2"), std::string::npos) << text;
  EXPECT_EQ(qsanfwd({"check-config", "-c", file.string(), "--shard", "3/3"}), 2);
  EXPECT_NE(text.find("expected i/n with 0 <= i < n"), std::string::npos) << text;
}

TEST_F(cli, test_connection_summarises_the_array) {
  sim::running_simulator array(array_options());
  EXPECT_EQ(qsanfwd({"test-connection", "-c", config(array.port()).string()}), 0) << text;
  EXPECT_NE(text.find("logs available: 42"), std::string::npos) << text;
  EXPECT_NE(text.find("XS5226"), std::string::npos) << text;
  EXPECT_NE(text.find("disks: "), std::string::npos) << text;
  EXPECT_EQ(text.find(password), std::string::npos);
}

TEST_F(cli, test_connection_fails_with_the_reason) {
  sim::running_simulator array(array_options());
  EXPECT_EQ(qsanfwd({"test-connection", "-c", config(array.port(), "wrong-one").string()}), 1);
  EXPECT_NE(text.find("login as admin refused: HTTP 401"), std::string::npos) << text;
  EXPECT_EQ(text.find("wrong-one"), std::string::npos);
  EXPECT_EQ(qsanfwd({"test-connection", "-c", config(array.port()).string(), "--device", "nope"}),
            2);
}

TEST_F(cli, own_log_as_json_lines) {
  const auto file = config(1);
  auto json = test::read_file(file);
  json.insert(json.find('{') + 1, R"("log_format": "json",)");
  test::write_file(file, json);
  EXPECT_EQ(qsanfwd({"test-connection", "-c", file.string()}), 1) << text;
  std::vector<nlohmann::json> records;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("{")) {
      records.push_back(nlohmann::json::parse(line));
    }
  }
  const auto find = [&](const std::string& logger) {
    const auto it = std::find_if(records.begin(), records.end(),
                                 [&](const nlohmann::json& r) { return r["logger"] == logger; });
    return it == records.end() ? nlohmann::json::object() : *it;
  };
  const auto unreachable = find("device");
  EXPECT_EQ(unreachable.value("level", ""), "warning") << text;
  EXPECT_EQ(unreachable.value("device", ""), "array-01") << text;
  EXPECT_TRUE(unreachable.value("message", "").starts_with("array-01: unreachable")) << text;
  const auto store = find("store");
  EXPECT_EQ(store.value("level", ""), "info") << text;
  EXPECT_TRUE(store.value("message", "").starts_with("created state store at ")) << text;
  EXPECT_FALSE(store.contains("device")) << text;
  EXPECT_FALSE(store.value("time", "").empty()) << text;
}

TEST_F(cli, own_log_on_the_journal_stream_carries_priorities) {
  if (std::filesystem::exists("/run/systemd/journal/socket")) {
    GTEST_SKIP() << "journald runs here: the records go to it, not to stderr";
  }
  const auto file = config(1);
  const auto err = dir / "stderr";
  const auto run_with = [&](const std::string& journal_stream) {
    test::write_file(err, "");
    std::filesystem::remove_all(dir / "state");
    EXPECT_EQ(qsanfwd_via_shell("JOURNAL_STREAM=" + journal_stream + " exec " +
                                test::qsanfwd_binary().string() + " test-connection -c " +
                                file.string() + " 2>>" + err.string()),
              1);
    return test::read_file(err);
  };
  // systemd's stream: no timestamps (the journal stamps), a priority journald files it under.
  auto log = run_with("$(stat -c %d:%i " + err.string() + ")");
  EXPECT_NE(log.find("<4>device: array-01: unreachable"), std::string::npos) << log;
  EXPECT_NE(log.find("<6>store: created state store at "), std::string::npos) << log;
  EXPECT_EQ(log.find(" warning "), std::string::npos) << log;
  // Inherited from a service whose stderr is not this one: plain timestamped lines.
  log = run_with("1:1");
  EXPECT_NE(log.find(" warning device: array-01: unreachable"), std::string::npos) << log;
  EXPECT_EQ(log.find("<4>"), std::string::npos) << log;
}

// What the README's troubleshooting says to do with a self-signed array: test-connection prints
// its certificate's SHA-256 as pin_sha256 takes it, and pasted there, the pin lets it in.
TEST_F(cli, test_connection_prints_the_pin_of_a_certificate_it_cannot_verify) {
  const auto cert = test::make_tls_cert(dir.path());
  auto o = array_options();
  o.cert_file = cert.cert_file.string();
  o.key_file = cert.key_file.string();
  sim::running_simulator array(o);
  const auto with_tls = [&](const std::string& tls) {
    const auto file = dir / "tls.yaml";
    test::write_file(file, "state_dir: " + (dir / "state").string() + R"(
devices:
  - name: array-01
    url: https://127.0.0.1:)" + std::to_string(array.port()) + R"(
    username: admin
    password: )" + password + R"(
    tls: {)" + tls + R"(}
sinks:
  - {name: archive, type: file, path: )" + (dir / "out.jsonl").string() + R"(}
)");
    return file.string();
  };
  EXPECT_EQ(qsanfwd({"test-connection", "-c", with_tls("")}), 1) << text;
  const std::string prefix = "the certificate's SHA-256, for tls.pin_sha256 once checked: \"";
  const auto at = text.find(prefix);
  ASSERT_NE(at, std::string::npos) << text;
  const auto pin = text.substr(at + prefix.size(), 64);
  EXPECT_EQ(pin, cert.sha256_fingerprint);
  EXPECT_EQ(qsanfwd({"test-connection", "-c", with_tls("pin_sha256: " + pin)}), 0) << text;
  EXPECT_NE(text.find("logs available: 42"), std::string::npos) << text;
}

// The examples name files under /etc/qsanfwd: check-config reads them, so it refuses an example
// on a machine without them, naming each, and accepts every example once they exist (here in a
// directory of the test's, the examples' copies saying so).
TEST_F(cli, check_config_accepts_every_example_once_its_files_exist) {
  namespace fs = std::filesystem;
  const fs::path examples = fs::path(QSANFWD_SOURCE_DIR) / "config" / "examples";
  const auto etc = dir / "etc";
  const auto copies = dir / "examples";
  fs::create_directories(etc);
  fs::copy(examples, copies, fs::copy_options::recursive);
  std::vector<std::string> env_args;  // VAR=value for every ${VAR} an example uses
  const std::regex variable(R"(\$\{([A-Za-z0-9_]+))");
  const std::regex etc_file("/etc/qsanfwd/([A-Za-z0-9._-]+)");
  std::set<std::string> etc_names;
  for (const auto& entry : fs::recursive_directory_iterator(copies)) {
    if (!entry.is_regular_file()) {
      continue;
    }
    const auto written = test::read_file(entry.path());
    for (std::sregex_iterator m(written.begin(), written.end(), variable), end; m != end; ++m) {
      env_args.push_back((*m)[1].str() + "=value");
    }
    for (std::sregex_iterator m(written.begin(), written.end(), etc_file), end; m != end; ++m) {
      etc_names.insert((*m)[1].str());
    }
    test::write_file(entry.path(),
                     std::regex_replace(written, std::regex("/etc/qsanfwd/"), etc.string() + "/"));
  }
  const auto check_config = [&](const fs::path& file) {
    auto args = env_args;
    args.insert(args.end(), {test::qsanfwd_binary().string(), "check-config", "-c", file.string()});
    return run("/usr/bin/env", args);
  };

  EXPECT_EQ(check_config(copies / "syslog-tls.yaml"), 2) << text;
  EXPECT_NE(text.find("error: /devices/0/tls/ca_file (device array-01): " + etc.string() +
                      "/array-ca.pem cannot be read: No such file or directory"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("error: /sinks/0/tls/key_file (sink siem): " + etc.string() +
                      "/qsanfwd.key cannot be read"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("syslog-tls.yaml: invalid: 4 certificate or key file(s)"), std::string::npos)
      << text;

  // One certificate serves as every CA and client certificate the examples name, its key as
  // every key (the sealed archive's key_file included: it only has to exist).
  const auto cert = test::make_tls_cert(dir.path());
  for (const auto& name : etc_names) {
    fs::copy_file(name.ends_with(".key") ? cert.key_file : cert.cert_file, etc / name);
    fs::permissions(etc / name, fs::perms::owner_read | fs::perms::owner_write);
  }
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(copies)) {
    const auto extension = entry.path().extension();
    if (extension == ".json" || extension == ".yaml") {
      EXPECT_EQ(check_config(entry.path()), 0) << entry.path() << "\n" << text;
      EXPECT_EQ(text.find("error:"), std::string::npos) << text;
      ++checked;
    }
  }
  EXPECT_GE(checked, 15);
}

TEST_F(cli, logout_revokes_the_stored_refresh_token) {
  sim::running_simulator array(array_options());
  const auto file = config(array.port());
  ASSERT_EQ(qsanfwd({"test-connection", "-c", file.string()}), 0) << text;
  ASSERT_EQ(array->stats().active_refresh_tokens, 1U);
  EXPECT_EQ(qsanfwd({"logout", "-c", file.string(), "--device", "array-01"}), 0) << text;
  EXPECT_NE(text.find("revoked"), std::string::npos) << text;
  EXPECT_EQ(array->stats().revokes, 1U);
  EXPECT_EQ(array->stats().active_refresh_tokens, 0U);
  EXPECT_EQ(qsanfwd({"logout", "-c", file.string(), "--device", "array-01"}), 0) << text;
  EXPECT_NE(text.find("nothing to revoke"), std::string::npos) << text;
}

TEST_F(cli, run_stops_cleanly_and_a_second_agent_is_refused) {
  sim::running_simulator array(array_options());
  const auto file = config(array.port());
  const auto first_log = dir / "first.txt";
  test::child_process first(test::qsanfwd_binary(), {"run", "-c", file.string()}, first_log);
  ASSERT_TRUE(test::wait_until([&] { return array->stats().logins > 0; }));
  EXPECT_EQ(qsanfwd({"run", "-c", file.string()}), 1);
  EXPECT_NE(text.find("in use by another qsanfwd"), std::string::npos) << text;
  first.kill(SIGTERM);
  EXPECT_EQ(first.wait(), 0) << test::read_file(first_log);
  EXPECT_EQ(test::read_file(first_log).find(password), std::string::npos);
}

/// How many times each log event's id is in the file sink's output.
std::map<std::string, int> log_ids_in(const std::filesystem::path& file) {
  std::map<std::string, int> out;
  std::istringstream lines(std::filesystem::exists(file) ? test::read_file(file) : "");
  std::string line;
  while (std::getline(lines, line)) {
    if (const auto e = event_from_json(line); e.kind == event_kind::log) {
      ++out[e.id];
    }
  }
  return out;
}

TEST_F(cli, replay_from_queue_offers_a_sink_again_what_a_failing_sink_holds_queued) {
  sim::running_simulator array(array_options());
  const auto file = dir / "two-sinks.json";
  const auto archive = dir / "out.jsonl";
  // "siem" never connects (port 1), so the queue keeps everything for it.
  test::write_file(file, R"({"state_dir": ")" + (dir / "state").string() +
                             R"(", "devices": [{"name": "array-01", "url": "http://127.0.0.1:)" +
                             std::to_string(array.port()) + R"(", "username": "admin",
                             "password": ")" + std::string(password) + R"("}],
      "sinks": [{"name": "archive", "type": "file", "path": ")" + archive.string() + R"("},
                {"name": "siem", "type": "syslog", "address": "tcp://127.0.0.1:1"}]})");
  const auto log = dir / "agent.txt";
  test::child_process agent(test::qsanfwd_binary(), {"run", "-c", file.string()}, log);
  ASSERT_TRUE(test::wait_until([&] { return log_ids_in(archive).size() == 42; }))
      << test::read_file(log);
  EXPECT_EQ(qsanfwd({"replay", "-c", file.string(), "--sink", "nope", "--from-queue"}), 2);
  ASSERT_EQ(qsanfwd({"replay", "-c", file.string(), "--sink", "archive", "--from-queue"}), 0)
      << text;
  ASSERT_TRUE(test::wait_until([&] {
    const auto ids = log_ids_in(archive);
    return std::all_of(ids.begin(), ids.end(), [](const auto& id) { return id.second == 2; });
  })) << test::read_file(log);
  EXPECT_EQ(log_ids_in(archive).size(), 42u);
  EXPECT_NE(test::read_file(log).find("replay: offering again every event still queued"),
            std::string::npos);
  agent.kill(SIGTERM);
  EXPECT_EQ(agent.wait(), 0);
}

TEST_F(cli, verify_archive_finds_an_edited_line) {
  sinks::chain_state state;
  std::string lines;
  for (int i = 0; i < 5; ++i) {
    event e;
    e.id = "id" + std::to_string(i);
    e.device = "array-01";
    e.timestamp = 1795915304 + i;
    e.message = "line " + std::to_string(i);
    lines += sinks::chain_line(to_json(e), state) + "\n";
  }
  const auto file = dir / "events.jsonl";
  test::write_file(file, lines);
  EXPECT_EQ(qsanfwd({"verify-archive", file.string()}), 0) << text;
  const auto at = lines.find("line 2");
  lines.replace(at, 6, "line X");
  test::write_file(file, lines);
  EXPECT_EQ(qsanfwd({"verify-archive", file.string()}), 1);
  EXPECT_NE(text.find(":3"), std::string::npos) << text;
}

TEST_F(cli, verify_archive_with_key_and_seals_says_what_is_missing_and_never_the_key) {
  const std::string key_bytes = "cli-test-key-0123456789abcdef-0123456789";
  const auto key_file = dir / "archive.key";
  test::write_file(key_file, key_bytes);
  const sinks::chain_key key(key_bytes);
  sinks::chain_state state;
  std::vector<std::string> lines;
  std::string seals;
  const auto file = dir / "events.jsonl";
  for (int i = 0; i < 6; ++i) {
    event e;
    e.id = "id" + std::to_string(i);
    e.timestamp = 1795915304 + i;
    e.message = "line " + std::to_string(i);
    lines.push_back(sinks::chain_line(to_json(e), state, &key));
    if (i % 2 == 1) {  // as a syslog receiver would keep the seals
      seals += "Dec  7 02:00:00 agent qsanfwd: " +
               sinks::seal_message({file.string(), state.seq, state.last_hash, true,
                                    "2026-12-07T02:00:0" + std::to_string(i) + "Z"}) +
               "\n";
    }
  }
  const auto seals_file = dir / "seals.log";
  test::write_file(seals_file, seals);
  const auto write = [&](std::size_t n) {
    std::string kept;
    for (std::size_t i = 0; i < n; ++i) {
      kept += lines[i] + "\n";
    }
    test::write_file(file, kept);
  };
  write(6);
  const std::vector<std::string> args{"verify-archive", "--key-file",        key_file.string(),
                                      "--seals",        seals_file.string(), file.string()};
  EXPECT_EQ(qsanfwd(args), 0) << text;
  EXPECT_NE(text.find("sealed: 3 seal(s) agree"), std::string::npos) << text;
  write(4);  // the last two lines cut off
  EXPECT_EQ(qsanfwd(args), 1);
  EXPECT_NE(text.find("missing at the end: lines 5 to 6 (sealed at 2026-12-07T02:00:05Z)"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find(key_bytes), std::string::npos);
  EXPECT_EQ(qsanfwd({"verify-archive", file.string()}), 1);
  EXPECT_NE(text.find("cannot check: "), std::string::npos) << text;
  // Written without hash_chain: not chained, which is not tampered.
  test::write_file(file, sinks::unchained(lines[0]) + "\n");
  EXPECT_EQ(qsanfwd({"verify-archive", file.string()}), 3);
  EXPECT_NE(text.find("not chained: "), std::string::npos) << text;
  EXPECT_EQ(text.find("tampered"), std::string::npos) << text;
}

}  // namespace
}  // namespace qsanfwd
