// libFuzzer target: /rest/v1/iscsi/session/list (device::parse_iscsi_sessions).
#include "agent/device/parse.hpp"
#include "tests/fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace qsanfwd;
  const auto body = fuzz::as_text(data, size);
  const auto list = device::parse_iscsi_sessions(body);
  fuzz::check_failure_names(list, "/rest/v1/iscsi/session/list");
  return 0;
}
