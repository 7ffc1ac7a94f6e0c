#include <gtest/gtest.h>

#include "agent/core/time.hpp"
#include "sim/simulator.hpp"
#include "tests/sim/sim_client.hpp"

namespace qsanfwd::sim {
namespace {

using nlohmann::json;
using test::client;
using test::quiet;

json find(const json& list, const std::string& key, const json& value) {
  for (const auto& x : list) {
    if (x[key] == value) {
      return x;
    }
  }
  return nullptr;
}

TEST(sim_hardware, enclosures_with_and_without_more_info) {
  running_simulator s(quiet());
  client c(s.port());
  c.login();
  EXPECT_EQ(c.get("/rest/v1/hardware/info").json()["enclosureNumbers"], json({0, 1}));
  const auto all = c.get("/rest/v1/hardware/all/info?moreInfo=true").json();
  ASSERT_EQ(all.size(), 2U);
  const auto head = all[0]["info"];
  EXPECT_EQ(all[0]["encId"], 0);
  EXPECT_EQ(head["sysHealth"], "Good");
  EXPECT_EQ(head["modelName"], "XS5226");
  for (const auto* key : {"voltage", "temperature", "fanSpeed", "psuStatus", "cacheToFlash"}) {
    EXPECT_FALSE(head["moreInfo"][key].empty()) << key;
  }
  EXPECT_TRUE(head["moreInfo"]["fanSpeed"][0]["value"].is_string());
  const auto expansion = all[1]["info"];
  EXPECT_FALSE(expansion.contains("sysHealth"));
  EXPECT_FALSE(expansion["moreInfo"].contains("cacheToFlash"));
  EXPECT_FALSE(c.get("/rest/v1/hardware/all/info").json()[0]["info"].contains("moreInfo"));
  const auto one = c.get("/rest/v1/hardware/1/info").json();
  ASSERT_EQ(one.size(), 1U);
  EXPECT_EQ(one[0]["encId"], 1);
  EXPECT_EQ(c.get("/rest/v1/hardware/7/info").status, 400U);
  EXPECT_EQ(c.get("/rest/v1/hardware/all/info?moreInfo=maybe").status, 400U);
}

TEST(sim_hardware, storage_iscsi_and_backup_endpoints) {
  running_simulator s(quiet());
  client c(s.port());
  c.login();
  const auto disks = c.get("/rest/v1/storage/disk/list").json()["disks"];
  ASSERT_EQ(disks.size(), 12U);
  EXPECT_EQ(disks[0]["id"], "e0d0");
  EXPECT_EQ(disks[0]["serial"], "WD-100001");
  EXPECT_EQ(find(disks, "id", "e1d3")["encID"], "1");
  EXPECT_EQ(find(disks, "id", "e0d5")["type"], "SSD");
  EXPECT_GT(find(disks, "id", "e0d5")["ssdLifeRemain"].get<int>(), 0);
  const auto pools = c.get("/rest/v1/storage/pool/list").json()["pools"];
  ASSERT_EQ(pools.size(), 2U);
  EXPECT_EQ(pools[0]["raidsets"][0]["disks"], json({"e0d0", "e0d1", "e0d2", "e0d3"}));
  EXPECT_EQ(c.get("/rest/v1/storage/volume/list").json()["volumes"][0]["health"], "Optimal");
  EXPECT_EQ(c.get("/rest/v1/iscsi/target/list").json()["iscsi"][0]["port"], 3260);
  EXPECT_EQ(c.get("/rest/v1/iscsi/session/list").json()["iscsi"][0]["sessions"].size(), 2U);
  for (const auto* type : {"snapshot", "clone", "replication"}) {
    EXPECT_EQ(c.get(std::string("/rest/v1/backup/") + type + "/list").json()["tasks"].size(), 1U);
  }
  EXPECT_EQ(c.get("/rest/v1/backup/tape/list").status, 404U);
}

TEST(sim_hardware, cpp_control_methods_change_what_the_api_shows) {
  running_simulator s(quiet());
  client c(s.port());
  c.login();
  ASSERT_TRUE(s->pull_disk("e0d2"));
  ASSERT_TRUE(s->fail_disk("e0d1"));
  ASSERT_TRUE(s->set_disk_temperature("e0d0", 66));
  ASSERT_TRUE(s->set_ssd_life("e0d4", 3));
  EXPECT_FALSE(s->set_ssd_life("e0d0", 3));  // not an SSD
  EXPECT_FALSE(s->pull_disk("e9d9"));
  auto disks = c.get("/rest/v1/storage/disk/list").json()["disks"];
  EXPECT_EQ(disks.size(), 11U);
  EXPECT_TRUE(find(disks, "id", "e0d2").is_null());
  EXPECT_EQ(find(disks, "id", "e0d1")["health"], "Failed");
  EXPECT_EQ(find(disks, "id", "e0d0")["temperature"], 66);
  EXPECT_EQ(find(disks, "id", "e0d4")["ssdLifeRemain"], 3);
  ASSERT_TRUE(s->insert_disk("e0d2"));
  ASSERT_TRUE(s->restore_disk("e0d1"));
  disks = c.get("/rest/v1/storage/disk/list").json()["disks"];
  EXPECT_EQ(disks.size(), 12U);
  EXPECT_EQ(find(disks, "id", "e0d1")["health"], "Good");

  ASSERT_TRUE(s->set_psu_status(0, "2", "Failed"));
  ASSERT_TRUE(s->set_fan(1, "FAN2", 0, "Failed"));
  ASSERT_TRUE(s->set_temperature(0, "CPU", 88));
  EXPECT_FALSE(s->set_fan(3, "FAN1", 0, "Failed"));
  const auto all = c.get("/rest/v1/hardware/all/info?moreInfo=true").json();
  EXPECT_EQ(all[0]["info"]["sysHealth"], "abnormal");
  EXPECT_EQ(find(all[0]["info"]["moreInfo"]["psuStatus"], "name", "2")["status"], "Failed");
  const auto cpu = find(all[0]["info"]["moreInfo"]["temperature"], "name", "CPU");
  EXPECT_EQ(cpu["value"], 88);
  EXPECT_EQ(cpu["status"], "Failed");
  EXPECT_EQ(find(all[1]["info"]["moreInfo"]["fanSpeed"], "name", "FAN2")["value"], "0");

  ASSERT_TRUE(s->set_pool_health("Pool1", "Degraded", "Rebuilding"));
  ASSERT_TRUE(s->set_raidset_health("Pool1", 1, "Degraded", "Rebuilding"));
  ASSERT_TRUE(s->set_volume_health("vol-db", "Degraded", "Online"));
  EXPECT_FALSE(s->set_raidset_health("Pool1", 7, "Degraded", ""));
  const auto pool = c.get("/rest/v1/storage/pool/list").json()["pools"][0];
  EXPECT_EQ(pool["health"], "Degraded");
  EXPECT_EQ(pool["raidsets"][1]["status"], "Rebuilding");
  const auto volumes = c.get("/rest/v1/storage/volume/list").json()["volumes"];
  EXPECT_EQ(find(volumes, "name", "vol-db")["health"], "Degraded");
}

TEST(sim_control, iscsi_sessions_replication_and_snapshot_space_over_http) {
  running_simulator s(quiet());
  client ctl(s.port());
  client c(s.port());
  c.login();
  const auto sessions = [&] {
    return c.get("/rest/v1/iscsi/session/list").json()["iscsi"][0]["sessions"];
  };
  const auto host = "iqn.1994-05.com.redhat:db-host";
  const auto tsih = find(sessions(), "initiatorName", host)["TSIH"];
  EXPECT_EQ(ctl.post("/_sim/iscsi/session/drop", {{"initiator", host}}).status, 200U);
  EXPECT_EQ(sessions().size(), 1U);
  EXPECT_TRUE(find(sessions(), "initiatorName", host).is_null());
  EXPECT_EQ(ctl.post("/_sim/iscsi/session/restore", {{"initiator", host}}).status, 200U);
  const auto back = find(sessions(), "initiatorName", host);
  ASSERT_FALSE(back.is_null());
  EXPECT_NE(back["TSIH"], tsih) << "a new login, a new TSIH";
  EXPECT_EQ(ctl.post("/_sim/iscsi/session/drop", {{"initiator", "iqn.nobody"}}).status, 404U);

  const auto task = "2977911540";
  EXPECT_EQ(ctl.post("/_sim/replication", {{"id", task}, {"status", "Offline"}}).status, 200U);
  EXPECT_EQ(
      ctl.post("/_sim/replication/destination", {{"id", task}, {"no", 0}, {"status", "Failed"}})
          .status,
      200U);
  const auto r = c.get("/rest/v1/backup/replication/list").json()["tasks"][0];
  EXPECT_EQ(r["status"], "Offline");
  EXPECT_EQ(r["destination"][0]["status"], "Failed");
  EXPECT_EQ(ctl.post("/_sim/replication", {{"id", "1"}, {"status", "Offline"}}).status, 404U);
  EXPECT_EQ(
      ctl.post("/_sim/replication/destination", {{"id", task}, {"no", 5}, {"status", "x"}}).status,
      404U);
  EXPECT_EQ(ctl.post("/_sim/replication", {{"id", task}}).status, 400U);

  EXPECT_EQ(ctl.post("/_sim/snapshot/used", {{"id", "2977911538"}, {"percent", 90}}).status, 200U);
  const auto snap = c.get("/rest/v1/backup/snapshot/list").json()["tasks"][0];
  EXPECT_EQ(snap["usedSize"], 18432);
  EXPECT_EQ(snap["totalSize"], 20480);
  EXPECT_EQ(ctl.post("/_sim/snapshot/used", {{"id", "2977911538"}, {"percent", 101}}).status, 404U);
}

TEST(sim_control, http_control_endpoints) {
  running_simulator s(quiet());
  client ctl(s.port());  // no token: the control interface needs none
  const auto ok = [&](const std::string& path, const json& body) {
    const auto r = ctl.post(path, body);
    EXPECT_EQ(r.status, 200U) << path << ": " << r.body;
  };
  ok("/_sim/disk/pull", {{"id", "e1d0"}});
  ok("/_sim/disk/fail", {{"id", "e1d1"}});
  ok("/_sim/disk/health", {{"id", "e1d2"}, {"health", "Warning"}, {"status", "Online"}});
  ok("/_sim/disk/temperature", {{"id", "e1d3"}, {"celsius", 71}});
  ok("/_sim/disk/ssd-life", {{"id", "e0d7"}, {"percent", 9}});
  ok("/_sim/psu", {{"encId", 1}, {"name", "1"}, {"status", "Failed"}});
  ok("/_sim/fan", {{"encId", 0}, {"name", "FAN1"}, {"rpm", 300}, {"status", "Warning"}});
  ok("/_sim/temperature", {{"encId", 0}, {"name", "Backplane"}, {"celsius", 58}});
  ok("/_sim/pool", {{"name", "SSD-Pool"}, {"health", "Failed"}, {"status", "Offline"}});
  ok("/_sim/raidset", {{"pool", "SSD-Pool"}, {"id", 2}, {"health", "Failed"}, {"status", ""}});
  ok("/_sim/volume", {{"name", "vol-vm"}, {"health", "Failed"}, {"status", "Offline"}});
  ok("/_sim/logs",
     {{"count", 4},
      {"lines", {{{"timestamp", 1700000000}, {"type", "error"}, {"message", "x\"y"}}}}});
  ok("/_sim/live", {{"paused", true}, {"rate", 0}});
  ok("/_sim/faults", {{"status5xx", 0}, {"delayMs", 100}});
  ok("/_sim/fail-next", {{"kind", "503"}, {"count", 2}});
  EXPECT_EQ(ctl.post("/_sim/disk/pull", {{"id", "nope"}}).status, 404U);
  EXPECT_EQ(ctl.post("/_sim/nothing", json::object()).status, 404U);
  EXPECT_EQ(ctl.post("/_sim/psu", {{"encId", "zero"}}).status, 400U);
  EXPECT_EQ(ctl.post("/_sim/fail-next", {{"kind", "meteor"}}).status, 400U);
  EXPECT_EQ(ctl.post("/_sim/logs", {{"lines", {{{"type", "gossip"}, {"message", "m"}}}}}).status,
            400U);

  client c(s.port());
  c.login(true);
  EXPECT_EQ(c.get("/rest/v1/storage/disk/list").status, 503U);
  EXPECT_EQ(c.get("/rest/v1/storage/disk/list").status, 503U);
  const auto disks = c.get("/rest/v1/storage/disk/list").json()["disks"];
  EXPECT_EQ(disks.size(), 11U);
  EXPECT_EQ(find(disks, "id", "e1d1")["health"], "Failed");
  EXPECT_EQ(find(disks, "id", "e1d2")["health"], "Warning");
  EXPECT_EQ(find(disks, "id", "e1d3")["temperature"], 71);
  EXPECT_EQ(find(disks, "id", "e0d7")["ssdLifeRemain"], 9);
  const auto all = c.get("/rest/v1/hardware/all/info?moreInfo=true").json();
  EXPECT_EQ(find(all[0]["info"]["moreInfo"]["temperature"], "name", "Backplane")["status"],
            "Warning");
  EXPECT_EQ(find(all[0]["info"]["moreInfo"]["fanSpeed"], "name", "FAN1")["value"], "300");
  EXPECT_EQ(find(all[1]["info"]["moreInfo"]["psuStatus"], "name", "1")["status"], "Failed");
  EXPECT_EQ(c.get("/rest/v1/storage/pool/list").json()["pools"][1]["raidsets"][0]["health"],
            "Failed");
  EXPECT_EQ(c.get("/rest/v1/storage/volume/list").json()["volumes"][3]["status"], "Offline");

  const auto ledger = ctl.get("/_sim/ledger").json()["logs"];
  ASSERT_EQ(ledger.size(), 5U);
  EXPECT_EQ(ledger[4], json({{"timestamp", 1700000000}, {"type", "error"}, {"message", "x\"y"}}));
  EXPECT_EQ(s->ledger().size(), 5U);

  ok("/_sim/tokens/forget", json::object());
  EXPECT_EQ(c.get("/rest/v1/storage/disk/list").status, 401U);
  const auto stats = ctl.get("/_sim/stats").json();
  EXPECT_EQ(stats["logins"], 1);
  EXPECT_EQ(stats["offlineLogins"], 1);
  EXPECT_EQ(stats["unauthorized"], 1);
  EXPECT_EQ(stats["faultsInjected"], 2);
  EXPECT_EQ(stats["activeRefreshTokens"], 0);
  EXPECT_EQ(stats["logLines"], 5);
  EXPECT_EQ(stats["requests"]["/rest/v1/storage/disk/list"], 4);
}

}  // namespace
}  // namespace qsanfwd::sim
