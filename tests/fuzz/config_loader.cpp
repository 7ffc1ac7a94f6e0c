// libFuzzer target: the configuration loader (config::parse_config) from a configuration text,
// with the real option parsers of the file, syslog and HTTP sinks and a fixed environment for
// `${VAR}` expansion. Its contract: a configuration is loaded, or config_error is thrown; any
// other exception escaping is a bug, and libFuzzer reports it as a crash.
#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "sinks/file/file_options.hpp"
#include "sinks/http/http_options.hpp"
#include "sinks/syslog/syslog_options.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace {

using namespace qsanfwd;

const config::sink_type_table& sink_types() {
  static const config::sink_type_table table{
      {"file", {[](config::object_reader& r) { return std::any(sinks::parse_file_options(r)); }}},
      {"syslog",
       {[](config::object_reader& r) { return std::any(sinks::parse_syslog_options(r)); },
        [](const std::any& o) {
          return sinks::default_pace(std::any_cast<sinks::syslog_options>(o));
        }}},
      {"http", {[](config::object_reader& r) { return std::any(sinks::parse_http_options(r)); }}},
  };
  return table;
}

std::optional<std::string> fake_env(const std::string& name) {
  if (name == "QSAN_PASSWORD") {
    return "env-password";
  }
  if (name == "QSAN_TOKEN") {
    return "env-token";
  }
  if (name == "EMPTY") {
    return "";
  }
  if (name == "DOLLAR") {
    return "${QSAN_PASSWORD}";  // expansion is one level deep: this stays as written
  }
  return std::nullopt;
}

bool names_a_special_file(const nlohmann::json& j) {
  if (j.is_string()) {
    const auto& s = j.get_ref<const std::string&>();
    return s.find("dev/") != std::string::npos || s.find("proc/") != std::string::npos ||
           s.find("sys/") != std::string::npos;
  }
  if (j.is_structured()) {
    for (const auto& child : j) {
      if (names_a_special_file(child)) {
        return true;
      }
    }
  }
  return false;
}

// check-config prints the effective configuration: a device's password is never in it.
void check_devices_masked(const config::agent_config& cfg) {
  const auto devices = cfg.effective.find("devices");
  if (devices == cfg.effective.end() || !devices->is_array()) {
    return;
  }
  for (const auto& device : *devices) {
    const auto password = device.find("password");
    if (password != device.end()) {
      fuzz::check(*password == "***", "a device password shows in the effective configuration",
                  password->dump());
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = fuzz::as_text(data, size);
  // `*_file` options are read as they are written: /dev/zero or /proc/kmsg would block or fill
  // memory. A configuration is the administrator's, so that is not a bug; keep the fuzzer off it.
  const auto doc = nlohmann::json::parse(text, nullptr, false, true);
  if (!doc.is_discarded() && names_a_special_file(doc)) {
    return -1;  // not kept in the corpus
  }
  try {
    const auto cfg = config::parse_config(text, sink_types(), fake_env, "<fuzz>");
    // The effective configuration is printed by check-config; it must always serialise.
    const auto shown = cfg.effective.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
    fuzz::check(!shown.empty(), "an empty effective configuration");
    check_devices_masked(cfg);
    for (const auto& sink : cfg.sinks) {
      fuzz::check(sink_types().contains(sink.type), "a sink of an unknown type was accepted");
      fuzz::check(sink.options.has_value(), "a sink without options", sink.name);
    }
  } catch (const config::config_error& e) {
    fuzz::check(e.what()[0] != '\0', "a config_error without a message");
  }
  return 0;
}
