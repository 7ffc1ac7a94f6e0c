// libFuzzer target: a real log_poller, with a real state store, write thread and queue, reading
// a scripted array (tests/support/scripted_array.hpp) through a script decoded from the input:
// lines written, clock steps, polls, ring drops, clears, misbehaviours switched on and off,
// failures, inflow during a poll, lines stamped ahead. The oracle (tests/support/
// poller_script.cpp, above poller_bench::run) checks that no id is queued twice, no line is
// invented and no line the array held during a clean poll is skipped without a logs_gap.
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "agent/core/logging.hpp"
#include "tests/fuzz/fuzz_support.hpp"
#include "tests/support/poller_script.hpp"

namespace {

// One state store per process, in a directory of its own under $TMPDIR; each input reads a
// device of its own.
qsanfwd::test::poller_bench& bench() {
  static const std::filesystem::path dir = [] {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "qsanfwd-fuzz-poller-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      qsanfwd::fuzz::violated("cannot make a temporary directory");
    }
    return std::filesystem::path(pattern);
  }();
  static qsanfwd::test::poller_bench b(dir);
  static const bool cleanup = [] {
    std::atexit([] { std::filesystem::remove_all(dir); });
    return true;
  }();
  (void)cleanup;
  return b;
}

}  // namespace

// OpenSSL keeps per-thread state of the write thread (event ids are hashed there) until the
// process ends: not ours, not a leak.
extern "C" const char* __lsan_default_suppressions() {
  return "leak:libcrypto.so\n";
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  qsanfwd::set_all_levels(spdlog::level::off);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace qsanfwd;
  const auto script = test::decode_script({data, size});
  const auto verdict = bench().run(script);
  if (!verdict.empty()) {
    fuzz::violated("the poller broke its promise", verdict);
  }
  return 0;
}
