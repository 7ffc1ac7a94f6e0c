// libFuzzer target: a page of /rest/v1/log/list (device::parse_log_page).
#include "agent/device/parse.hpp"
#include "tests/fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace qsanfwd;
  const auto body = fuzz::as_text(data, size);
  const auto page = device::parse_log_page(body);
  fuzz::check_failure_names(page, "/rest/v1/log/list");
  return 0;
}
