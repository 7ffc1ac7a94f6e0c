#include "config/address.hpp"

#include <gtest/gtest.h>

namespace qsanfwd::config {
namespace {

TEST(parse_url, fills_default_ports_and_splits_the_base_path) {
  EXPECT_EQ(parse_url("https://192.0.2.10"), (url_parts{"https", "192.0.2.10", 443, "", ""}));
  EXPECT_EQ(parse_url("http://array.local"), (url_parts{"http", "array.local", 80, "", ""}));
  EXPECT_EQ(parse_url("HTTPS://h:8443/api/v1/"), (url_parts{"https", "h", 8443, "/api/v1", ""}));
  EXPECT_EQ(parse_url("http://[2001:db8::1]:8080/x"),
            (url_parts{"http", "2001:db8::1", 8080, "/x", ""}));
  EXPECT_EQ(parse_url("https://h/"), (url_parts{"https", "h", 443, "", ""}));
  EXPECT_TRUE(parse_url("https://h")->tls());
  EXPECT_FALSE(parse_url("http://h")->tls());
}

TEST(parse_url, keeps_a_query_apart_from_the_path) {
  EXPECT_EQ(parse_url("https://h/_bulk?pipeline=p&x"),
            (url_parts{"https", "h", 443, "/_bulk", "pipeline=p&x"}));
  EXPECT_EQ(parse_url("http://h:8080?a=1"), (url_parts{"http", "h", 8080, "", "a=1"}));
  EXPECT_EQ(parse_url("http://h/in/?a=1"), (url_parts{"http", "h", 80, "/in", "a=1"}));
  EXPECT_EQ(parse_url("http://h/in?"), (url_parts{"http", "h", 80, "/in", ""}));
}

TEST(parse_url, rejects_what_it_cannot_use) {
  for (const char* bad :
       {"", "192.0.2.10", "ftp://h", "https://", "https://:443", "https://h:0", "https://h:65536",
        "https://h:", "https://h:x", "https://u:p@h", "https://h/?q=1#f", "https://h/#f",
        "https://[zz]", "https://[::1", "https://h h", "https://h/a b", "https://h/?q=a\r\nX: y",
        "https://h/\xc3\xa9"}) {
    EXPECT_FALSE(parse_url(bad).has_value()) << bad;
  }
}

TEST(url_without_query, keeps_scheme_host_port_and_path_only) {
  EXPECT_EQ(url_without_query("https://h:8088/in?api_key=topsecret&x=1"), "https://h:8088/in?...");
  EXPECT_EQ(url_without_query("https://h:99999#key=topsecret"), "https://h:99999?...");
  EXPECT_EQ(url_without_query("https://h/in"), "https://h/in");
}

TEST(parse_host_port, needs_a_host_and_a_port) {
  EXPECT_EQ(parse_host_port("127.0.0.1:9464"), (host_port{"127.0.0.1", 9464}));
  EXPECT_EQ(parse_host_port("[::1]:9464"), (host_port{"::1", 9464}));
  EXPECT_EQ(parse_host_port("localhost:1"), (host_port{"localhost", 1}));
  for (const char* bad : {"", "127.0.0.1", ":9464", "h:0", "h:65536", "h:", "::1:9464", "h:1x"}) {
    EXPECT_FALSE(parse_host_port(bad).has_value()) << bad;
  }
}

TEST(parse_host_port, port_zero_only_when_allowed) {
  EXPECT_EQ(parse_host_port("127.0.0.1:0", port_zero::allowed), (host_port{"127.0.0.1", 0}));
  EXPECT_FALSE(parse_host_port("127.0.0.1:0").has_value());
  EXPECT_FALSE(parse_host_port("127.0.0.1:00x", port_zero::allowed).has_value());
  EXPECT_FALSE(parse_host_port("127.0.0.1:", port_zero::allowed).has_value());
}

}  // namespace
}  // namespace qsanfwd::config
