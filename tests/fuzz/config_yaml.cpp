// libFuzzer target: the YAML reader (config::parse_yaml), which turns a configuration file written
// in YAML into the JSON tree the loader validates. Its contract: a tree is returned, or
// config_error is thrown (yaml-cpp's own exceptions included, as config_errors); any other
// exception escaping is a bug. Nesting and alias expansion are bounded, so no input may exhaust
// the stack or memory.
#include <nlohmann/json.hpp>

#include "config/yaml_text.hpp"
#include "tests/fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace qsanfwd;
  try {
    const auto doc = config::parse_yaml(fuzz::as_text(data, size), "<fuzz>");
    // Every value recorded has a line; the document's own is the first line written.
    for (const auto& [pointer, line] : doc.lines) {
      fuzz::check(line > 0, "a value without a line", pointer);
    }
    // check-config prints what was read as JSON: it must serialise.
    (void)doc.value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } catch (const config::config_error& e) {
    fuzz::check(e.what()[0] != '\0', "a config_error without a message");
  }
  return 0;
}
