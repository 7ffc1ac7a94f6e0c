#pragma once

#include <any>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "config/config.hpp"

namespace qsanfwd::config::test {

/// An environment holding exactly `vars`.
inline env_lookup fake_env(std::map<std::string, std::string> vars = {}) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
}

/// Options of the stand-in sink types below; real sinks bring their own parsers.
struct test_sink_options {
  std::string target;
  std::int64_t port = 0;
  std::optional<secret> token;
};

/// Stand-ins for the real sink parsers, declaring the keys the examples and the issue use.
inline sink_type_table test_sink_types() {
  sink_type_table table;
  table["file"].parse = [](object_reader& r) -> std::any {
    test_sink_options options;
    options.target = r.string("path");
    return options;
  };
  table["syslog"].parse = [](object_reader& r) -> std::any {
    test_sink_options options;
    options.target = r.string("address");
    r.one_of("format", {"rfc5424", "rfc3164", "json"}, "rfc5424");
    r.string("facility", "local0");
    r.one_of("framing", {"octet_counting", "non_transparent"}, "octet_counting");
    auto tls = r.object("tls");
    tls.string("ca_file", "");
    tls.string("cert_file", "");
    tls.string("key_file", "");
    tls.finish();
    return options;
  };
  table["http"].parse = [](object_reader& r) -> std::any {
    test_sink_options options;
    options.target = r.string("url");
    r.one_of("format", {"ndjson", "json_array", "splunk_hec", "elasticsearch", "loki", "otlp"},
             "ndjson");
    options.token = r.optional_secret_or_file("token");
    auto auth = r.object("auth");
    // The loader tests' older shape, and the real sink's (auth.basic / auth.bearer).
    auth.optional_string("username");
    auth.optional_secret_or_file("password");
    auto basic = auth.object("basic");
    basic.optional_string("user");
    basic.optional_secret_or_file("password");
    basic.finish();
    auth.optional_secret_or_file("bearer");
    auth.finish();
    r.string_map("headers");
    r.one_of("compression", {"none", "gzip"}, "none");
    r.optional_string("index");
    r.optional_string("sourcetype");
    auto tls = r.object("tls");
    tls.string("ca_file", "");
    tls.finish();
    return options;
  };
  // The sink the loader tests use: a target and a port, like the examples.
  table["test"].parse = [](object_reader& r) -> std::any {
    test_sink_options options;
    options.target = r.string("path");
    options.port = r.integer("port", 1, 65535, 514);
    options.token = r.optional_secret("token");
    return options;
  };
  return table;
}

/// The what() of the config_error `f` throws, or "no error".
inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const config_error& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace qsanfwd::config::test
