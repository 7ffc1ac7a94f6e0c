// libFuzzer target: /rest/v1/hardware/info (device::parse_enclosure_numbers).
#include "agent/device/parse.hpp"
#include "tests/fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace qsanfwd;
  const auto body = fuzz::as_text(data, size);
  const auto numbers = device::parse_enclosure_numbers(body);
  fuzz::check_failure_names(numbers, "/rest/v1/hardware/info");
  return 0;
}
