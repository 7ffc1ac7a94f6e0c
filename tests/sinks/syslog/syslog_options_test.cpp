#include "sinks/syslog/syslog_options.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "config/config_error.hpp"

namespace qsanfwd::sinks {
namespace {

config::env_lookup no_env() {
  return [](const std::string&) { return std::optional<std::string>(); };
}

syslog_options parse(const std::string& text) {
  auto r = config::object_reader::open(nlohmann::json::parse(text), no_env());
  auto o = parse_syslog_options(r);
  r.finish();
  return o;
}

// The "config error at ..." message of parsing `text`, or "" when it parses.
std::string error_of(const std::string& text) {
  try {
    parse(text);
  } catch (const config::config_error& e) {
    return e.what();
  }
  return "";
}

TEST(syslog_options, defaults) {
  const auto o = parse(R"({"address": "udp://10.0.0.5:514"})");
  EXPECT_EQ(o.transport, syslog_transport::udp);
  EXPECT_EQ(o.host, "10.0.0.5");
  EXPECT_EQ(o.port, 514);
  EXPECT_EQ(o.format.format, syslog::message_format::rfc5424);
  EXPECT_EQ(o.format.facility, 16);
  EXPECT_EQ(o.format.hostname, "");
  EXPECT_EQ(o.format.app_name, "qsan");
  EXPECT_EQ(o.format.sd_id, "qsan@32473");
  EXPECT_FALSE(o.format.bom);
  EXPECT_EQ(o.max_message_size, 2048u);
  EXPECT_EQ(o.timeout, duration{10000});
}

TEST(syslog_options, ports_default_per_transport) {
  EXPECT_EQ(parse(R"({"address": "udp://siem"})").port, 514);
  EXPECT_EQ(parse(R"({"address": "tcp://siem"})").port, 514);
  EXPECT_EQ(parse(R"({"address": "tls://siem"})").port, 6514);
  const auto v6 = parse(R"({"address": "tcp://[::1]:1514"})");
  EXPECT_EQ(v6.host, "::1");
  EXPECT_EQ(v6.port, 1514);
  EXPECT_EQ(parse(R"({"address": "tls://[::1]"})").port, 6514);
}

TEST(syslog_options, tls_with_every_option) {
  const auto o = parse(R"({"address": "tls://siem.example.com:6514", "format": "cef",
    "facility": "local3", "hostname": "array-a", "app_name": "qsanfwd", "sd_id": "acme@1.2",
    "bom": true, "framing": "lf", "timeout": "3s",
    "tls": {"ca_file": "/ca.pem", "cert_file": "/c.pem", "key_file": "/k.pem", "verify": false,
            "server_name": "collector"}})");
  EXPECT_EQ(o.transport, syslog_transport::tls);
  EXPECT_EQ(o.host, "siem.example.com");
  EXPECT_EQ(o.format.format, syslog::message_format::cef);
  EXPECT_EQ(o.format.facility, 19);
  EXPECT_EQ(o.format.hostname, "array-a");
  EXPECT_EQ(o.format.app_name, "qsanfwd");
  EXPECT_EQ(o.format.sd_id, "acme@1.2");
  EXPECT_TRUE(o.format.bom);
  EXPECT_EQ(o.framing, syslog_framing::lf);
  EXPECT_EQ(o.timeout, duration{3000});
  EXPECT_EQ(o.tls.ca_file, "/ca.pem");
  EXPECT_EQ(o.tls.cert_file, "/c.pem");
  EXPECT_EQ(o.tls.key_file, "/k.pem");
  EXPECT_FALSE(o.tls.verify);
  EXPECT_EQ(o.server_name, "collector");
}

TEST(syslog_options, tls_checks_the_host_by_default) {
  const auto o = parse(R"({"address": "tls://siem.example.com"})");
  EXPECT_TRUE(o.tls.verify);
  EXPECT_EQ(o.server_name, "siem.example.com");
  EXPECT_EQ(o.framing, syslog_framing::octet_counting);
}

TEST(syslog_options, clear_errors) {
  EXPECT_EQ(error_of(R"({"address": "http://siem:514"})"),
            "config error at /address: expected udp://host:port, tcp://host:port or "
            "tls://host:port, got \"http://siem:514\"");
  EXPECT_EQ(error_of(R"({"address": "tcp://siem:0"})"),
            "config error at /address: expected tcp://host:port with a port in 1..65535, got "
            "\"tcp://siem:0\"");
  EXPECT_EQ(error_of(R"({"address": "udp://siem", "tls": {"ca_file": "/ca.pem"}})"),
            "config error at /tls: applies to tls:// addresses only");
  EXPECT_EQ(error_of(R"({"address": "udp://siem", "framing": "lf"})"),
            "config error at /framing: applies to tcp:// and tls:// only: UDP sends one "
            "datagram per event");
  EXPECT_EQ(error_of(R"({"address": "tcp://siem", "max_message_size": 4096})"),
            "config error at /max_message_size: applies to udp:// only: nothing is truncated on "
            "TCP or TLS");
  EXPECT_NE(error_of(R"({"address": "udp://siem", "facility": "local9"})")
                .find("config error at /facility: expected kern, user"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"address": "udp://siem", "sd_id": "qsan"})").find("at /sd_id:"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"address": "udp://siem", "sd_id": "q an@1"})").find("at /sd_id:"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"address": "udp://siem", "sd_id": "qsan@32473-and-a-lot-more-x"})")
                .find("at /sd_id:"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"address": "udp://siem", "hostname": "my host"})").find("at /hostname:"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"address": "udp://siem", "app_name": ""})").find("at /app_name:"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"address": "udp://siem", "format": "gelf"})").find("at /format:"),
            std::string::npos);
  EXPECT_NE(
      error_of(R"({"address": "tcp://siem", "framing": "octet_counting"})").find("at /framing:"),
      std::string::npos);
  EXPECT_NE(error_of(R"({"address": "udp://siem", "max_message_size": 100})")
                .find("at /max_message_size: expected 480..65507"),
            std::string::npos);
  EXPECT_EQ(error_of(R"({"address": "tls://siem", "tls": {"cert_file": "/c.pem"}})"),
            "config error at /tls/key_file: a client certificate needs both cert_file and key_file");
  EXPECT_NE(error_of(R"({"address": "tls://siem", "tls": {"pin": "x"}})").find("/tls/pin"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"address": "udp://siem", "format": "rfc3164", "bom": true})")
                .find("at /bom: applies to formats rfc5424 and cef only"),
            std::string::npos);
}

TEST(syslog_options, the_tls_example_config_uses_real_option_names) {
  const config::sink_type_table types{
      {"syslog", {[](config::object_reader& r) { return std::any(parse_syslog_options(r)); }}}};
  const config::env_lookup env = [](const std::string&) -> std::optional<std::string> {
    return "secret";
  };
  const auto cfg = config::load_config_file(
      std::filesystem::path(QSANFWD_SOURCE_DIR) / "config/examples/syslog-tls.json", types, env);
  ASSERT_EQ(cfg.sinks.size(), 1u);
  const auto o = std::any_cast<syslog_options>(cfg.sinks[0].options);
  EXPECT_EQ(o.transport, syslog_transport::tls);
  EXPECT_EQ(o.port, 6514);
  EXPECT_EQ(o.format.facility, 19);
  EXPECT_EQ(o.framing, syslog_framing::octet_counting);
  EXPECT_EQ(o.tls.cert_file, "/etc/qsanfwd/qsanfwd.crt");
  EXPECT_TRUE(o.tls.verify);
}

}  // namespace
}  // namespace qsanfwd::sinks
