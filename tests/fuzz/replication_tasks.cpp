// libFuzzer target: /rest/v1/backup/replication/list (device::parse_replication_tasks).
#include "agent/device/parse.hpp"
#include "tests/fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace qsanfwd;
  const auto body = fuzz::as_text(data, size);
  const auto list = device::parse_replication_tasks(body);
  fuzz::check_failure_names(list, "/rest/v1/backup/replication/list");
  return 0;
}
