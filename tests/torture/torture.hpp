#pragma once

// What the torture tests share: how big a run is (short for CI, long by hand), the seed, the
// agent's configuration, and the comparison of what a sink wrote with the array's ledger.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/archive.hpp"

namespace qsanfwd::torture {

/// The two sizes of every torture test: `short` runs in CI (label torture), `long` by hand
/// (label long). The test suites are instantiated once per size and ctest selects by name.
enum class size { short_run, long_run };

inline bool is_long(size s) {
  return s == size::long_run;
}

/// Names a case by its size ("short" or "long"), for INSTANTIATE_TEST_SUITE_P.
inline std::string size_name(const ::testing::TestParamInfo<size>& info) {
  return is_long(info.param) ? "long" : "short";
}

/// The seed of a run: $QSANFWD_TORTURE_SEED when set (to replay a failure), else random.
std::uint32_t seed();

/// One device on the simulator at `port`, reading every second, health off; no sinks yet.
nlohmann::json agent_config(const std::filesystem::path& state_dir, std::uint16_t port);

/// A file sink named `name` writing to `path`.
nlohmann::json file_sink(const std::string& name, const std::filesystem::path& path);

/// A syslog sink over TCP to 127.0.0.1:`port` that retries quickly (a restarted receiver is
/// found again within a second).
nlohmann::json syslog_tcp_sink(const std::string& name, std::uint16_t port);

void write_config(const std::filesystem::path& file, const nlohmann::json& config);

/// How a sink's output compares with the ledger (both sorted; identical genuine lines count
/// once each).
struct tally {
  std::size_t expected = 0;  ///< ledger lines
  std::size_t written = 0;   ///< distinct log events in the sink
  std::size_t lost = 0;      ///< ledger lines missing from the sink
  std::size_t extra = 0;     ///< lines in the sink that the ledger does not have
  std::size_t repeated = 0;  ///< events written more than once (same id)
  /// The first lost lines, each with how many times the ledger holds it, to tell a missed
  /// page from a line that shared its id with an identical one.
  std::vector<std::pair<test::log_line, std::size_t>> first_lost;
};

tally compare(const std::vector<test::log_line>& ledger, const test::archive& written);

std::ostream& operator<<(std::ostream& out, const tally& t);

/// What a file sink wrote, read like test::read_archive while the agent may still be writing:
/// a last line without its newline is left out, and a line that is not an event is counted in
/// `torn` instead of thrown.
struct file_output {
  test::archive archive;
  std::size_t torn = 0;
};

file_output read_output(const std::filesystem::path& file);

/// PRAGMA integrity_check's answer for the state database at `db` ("ok" when whole). Opens it
/// as a writer.
std::string integrity(const std::filesystem::path& db);

/// The lines of `log` that contain every one of `words`.
std::vector<std::string> lines_with(const std::filesystem::path& log,
                                    const std::vector<std::string>& words);

/// The last `count` lines of `log`, to show what an agent did before a failure.
std::string last_lines(const std::filesystem::path& log, std::size_t count);

}  // namespace qsanfwd::torture
