// The proxy option of devices (and, through the same reader, of HTTP sinks): URLs, the
// environment's *_PROXY and NO_PROXY with curl's rules, errors at the JSON path, masking.
#include "config/proxy.hpp"

#include <gtest/gtest.h>

#include "config/config.hpp"
#include "tests/config/helpers.hpp"

namespace qsanfwd::config {
namespace {

using test::error_of;
using test::fake_env;

constexpr const char* proxy_password = "pr0xy-Pa55";

net::proxy_options parsed(std::string_view text) {
  std::string why;
  auto p = parse_proxy_url(text, why);
  EXPECT_TRUE(p) << why;
  return p.value_or(net::proxy_options{});
}

std::string refusal(std::string_view text) {
  std::string why;
  EXPECT_FALSE(parse_proxy_url(text, why)) << text;
  return why;
}

/// A device at `url` with `proxy` (a JSON value, or nothing) spliced in.
std::string device_config(std::string_view url, std::string_view proxy = "") {
  return std::string(R"({"devices": [{"name": "a1", "url": ")") + std::string(url) +
         R"(", "username": "admin", "password": "pw")" +
         (proxy.empty() ? std::string() : R"(, "proxy": )" + std::string(proxy)) +
         R"(}], "sinks": [{"name": "s1", "type": "test", "path": "/tmp/e"}]})";
}

agent_config load(std::string_view text, env_lookup env = fake_env()) {
  return parse_config(text, test::test_sink_types(), env, "/etc/qsanfwd/config.json");
}

TEST(proxy_url, takes_host_port_and_percent_decoded_credentials) {
  const auto p = parsed("http://fwd:p%40ss%3Aword@proxy.example:3128/");
  EXPECT_EQ(p.host, "proxy.example");
  EXPECT_EQ(p.port, 3128);
  EXPECT_EQ(p.user, "fwd");
  EXPECT_EQ(p.password.reveal(), "p@ss:word");
  // No scheme is http://, and no port curl's 1080; IPv6 in brackets.
  EXPECT_EQ(parsed("proxy.example").port, 1080);
  EXPECT_EQ(parsed("HTTP://[fd00::1]:8080").host, "fd00::1");
  EXPECT_EQ(parsed("http://u@10.0.0.1:3128").password.reveal(), "");
}

TEST(proxy_url, refuses_what_it_cannot_use_and_never_quotes_a_password) {
  EXPECT_NE(refusal("https://proxy.example:3128").find("TLS to the proxy) is not supported"),
            std::string::npos);
  EXPECT_NE(refusal("socks5://proxy.example:1080").find("SOCKS"), std::string::npos);
  EXPECT_NE(refusal("http://proxy.example:3128/path").find("no path"), std::string::npos);
  EXPECT_NE(refusal("http://proxy.example:99999").find("\"http://proxy.example:99999\""),
            std::string::npos);
  for (const auto* bad :
       {"http://:secretpw@proxy:1", "http://u:secretpw%0a@proxy:1", "http://u:secretpw%zz@proxy:1",
        "http://u:secretpw@bad host:1", "http://u:secretpw@proxy:1/x"}) {
    const auto why = refusal(bad);
    EXPECT_EQ(why.find("secretpw"), std::string::npos) << why;
  }
}

TEST(no_proxy, follows_curls_rules) {
  EXPECT_TRUE(no_proxy_matches("*", "anything.example", 443));
  EXPECT_TRUE(no_proxy_matches("example.com", "example.com", 443));
  EXPECT_TRUE(no_proxy_matches("example.com", "logs.EXAMPLE.com.", 443));
  EXPECT_TRUE(no_proxy_matches(".example.com", "example.com", 443));
  EXPECT_TRUE(no_proxy_matches("other, .example.com", "a.b.example.com", 443));
  EXPECT_FALSE(no_proxy_matches("example.com", "badexample.com", 443));
  EXPECT_FALSE(no_proxy_matches("a.example.com", "example.com", 443));
  EXPECT_FALSE(no_proxy_matches("", "example.com", 443));
  // Ports.
  EXPECT_TRUE(no_proxy_matches("example.com:8088", "example.com", 8088));
  EXPECT_FALSE(no_proxy_matches("example.com:8088", "example.com", 443));
  EXPECT_TRUE(no_proxy_matches("[::1]:9200", "::1", 9200));
  // Addresses: exact, other spellings of IPv6, CIDR ranges; names never match addresses.
  EXPECT_TRUE(no_proxy_matches("127.0.0.1", "127.0.0.1", 80));
  EXPECT_TRUE(no_proxy_matches("fd00:0::1", "fd00::1", 80));
  EXPECT_TRUE(no_proxy_matches("10.0.0.0/8 192.168.0.0/16", "192.168.4.2", 80));
  EXPECT_FALSE(no_proxy_matches("10.0.0.0/8", "11.0.0.1", 80));
  EXPECT_TRUE(no_proxy_matches("fd00::/8", "fdab::7", 80));
  EXPECT_FALSE(no_proxy_matches("localhost", "127.0.0.1", 80));
  EXPECT_FALSE(no_proxy_matches("10.0.0.0/99", "10.0.0.1", 80));
}

TEST(proxy_option, a_url_with_credentials_is_used_and_shown_masked) {
  const auto cfg =
      load(device_config("https://192.0.2.10", R"("http://fwd:${PROXY_PW}@proxy.example:3128")"),
           fake_env({{"PROXY_PW", proxy_password}}));
  const auto& p = cfg.devices[0].proxy;
  EXPECT_EQ(p.host, "proxy.example");
  EXPECT_EQ(p.password.reveal(), proxy_password);
  EXPECT_EQ(cfg.effective["devices"][0]["proxy"], "http://fwd:***@proxy.example:3128");
  EXPECT_EQ(cfg.effective.dump().find(proxy_password), std::string::npos);
}

TEST(proxy_option, the_object_form_reads_the_password_like_other_secrets) {
  const auto cfg = load(device_config("https://192.0.2.10",
                                      R"({"url": "http://proxy.example:3128", "user": "fwd",
                                          "password": ")" +
                                          std::string(proxy_password) + R"("})"));
  EXPECT_EQ(cfg.devices[0].proxy.user, "fwd");
  EXPECT_EQ(cfg.devices[0].proxy.password.reveal(), proxy_password);
  EXPECT_EQ(cfg.effective["devices"][0]["proxy"]["password"], "***");
  EXPECT_EQ(cfg.effective.dump().find(proxy_password), std::string::npos);
  EXPECT_EQ(error_of([] {
              load(device_config("https://192.0.2.10",
                                 R"({"url": "http://u:x@proxy:1", "user": "fwd"})"));
            }),
            "config error at /devices/0/proxy/url: give the proxy's credentials as user and "
            "password, not in the "
            "url");
}

TEST(proxy_option, none_and_false_bypass_the_environment) {
  const auto env = fake_env({{"HTTPS_PROXY", "http://proxy.example:3128"}});
  for (const auto* off : {R"("none")", "false"}) {
    const auto cfg = load(device_config("https://192.0.2.10", off), env);
    EXPECT_FALSE(cfg.devices[0].proxy.enabled());
    EXPECT_EQ(cfg.effective["devices"][0]["proxy"], "none");
  }
}

TEST(proxy_option, bad_values_are_errors_at_the_json_path) {
  EXPECT_EQ(error_of([] { load(device_config("https://192.0.2.10", "true")); }),
            "config error at /devices/0/proxy: expected an http:// proxy URL, \"none\", false, or "
            "an object with "
            "url, user and password");
  const auto https_proxy = error_of(
      [] { load(device_config("https://192.0.2.10", R"("https://proxy.example:3128")")); });
  EXPECT_EQ(https_proxy.find("config error at /devices/0/proxy: an https:// proxy"), 0U)
      << https_proxy;
  const auto from_env = error_of([] {
    load(device_config("https://192.0.2.10"),
         fake_env({{"HTTPS_PROXY", "http://u:" + std::string(proxy_password) + "@x:0"}}));
  });
  EXPECT_EQ(from_env.find("config error at /devices/0/proxy: the environment's HTTPS_PROXY"), 0U)
      << from_env;
  EXPECT_EQ(from_env.find(proxy_password), std::string::npos) << from_env;
}

TEST(proxy_option, absent_it_comes_from_the_environment_by_the_peers_scheme) {
  const auto env = fake_env({{"HTTPS_PROXY", "http://tls-proxy:3128"},
                             {"https_proxy", "http://lower-tls-proxy:3128"},
                             {"HTTP_PROXY", "http://plain-proxy:8080"}});
  EXPECT_EQ(load(device_config("https://192.0.2.10"), env).devices[0].proxy.host,
            "lower-tls-proxy");
  EXPECT_EQ(load(device_config("http://192.0.2.10"), env).devices[0].proxy.host, "plain-proxy");
  // None set, or set empty: no proxy.
  const auto none = load(device_config("https://192.0.2.10"), fake_env({{"https_proxy", ""}}));
  EXPECT_FALSE(none.devices[0].proxy.enabled());
  EXPECT_EQ(none.effective["devices"][0]["proxy"], "none");
}

TEST(proxy_option, no_proxy_in_the_environment_bypasses_it_for_matching_peers) {
  auto env = fake_env({{"HTTPS_PROXY", "http://proxy:3128"},
                       {"NO_PROXY", "localhost,.storage.example,192.0.2.0/24"}});
  EXPECT_FALSE(load(device_config("https://192.0.2.10"), env).devices[0].proxy.enabled());
  EXPECT_FALSE(load(device_config("https://a1.storage.example"), env).devices[0].proxy.enabled());
  EXPECT_TRUE(load(device_config("https://198.51.100.1"), env).devices[0].proxy.enabled());
  // The lower-case name wins, as in curl.
  env = fake_env(
      {{"HTTPS_PROXY", "http://proxy:3128"}, {"no_proxy", "other.example"}, {"NO_PROXY", "*"}});
  EXPECT_TRUE(load(device_config("https://192.0.2.10"), env).devices[0].proxy.enabled());
}

}  // namespace
}  // namespace qsanfwd::config
