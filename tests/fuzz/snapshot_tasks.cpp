// libFuzzer target: /rest/v1/backup/snapshot/list (device::parse_snapshot_tasks).
#include "agent/device/parse.hpp"
#include "tests/fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace qsanfwd;
  const auto body = fuzz::as_text(data, size);
  const auto list = device::parse_snapshot_tasks(body);
  fuzz::check_failure_names(list, "/rest/v1/backup/snapshot/list");
  return 0;
}
