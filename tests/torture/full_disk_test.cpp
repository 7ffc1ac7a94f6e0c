// Torture 3: the filesystem of state_dir fills up while the agent drains a backlog with live
// inflow. The agent must stop collecting and say why (the state database, disk full), stay up
// (no crash loop under systemd), resume by itself once there is room again, lose nothing, and
// leave a sound database.
//
// state_dir is a small tmpfs mounted inside the test's directory (we run as root here and in
// CI; without the right to mount, the test is skipped and says why). The file sink writes to
// the test's directory, another filesystem. A second sink, syslog to a port nobody listens on,
// keeps every event queued so the database must grow: without it the queue could live in the
// pages it frees and never meet the full disk.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>

#include "sim/simulator.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/wait.hpp"
#include "tests/torture/torture.hpp"

namespace qsanfwd::torture {
namespace {

using namespace std::chrono_literals;

/// A tmpfs of `size` mounted at `where` for the object's life.
class tmpfs_mount {
 public:
  tmpfs_mount(const std::filesystem::path& where, const std::string& size) : where_(where) {
    std::filesystem::create_directories(where);
    const auto data = "size=" + size + ",mode=0700";
    if (::mount("tmpfs", where.c_str(), "tmpfs", 0, data.c_str()) != 0) {
      error_ = std::strerror(errno);
    }
  }
  ~tmpfs_mount() {
    if (error_.empty()) {
      ::umount2(where_.c_str(), MNT_DETACH);
    }
  }
  tmpfs_mount(const tmpfs_mount&) = delete;
  tmpfs_mount& operator=(const tmpfs_mount&) = delete;

  /// Empty when mounted, else why not.
  const std::string& error() const { return error_; }

 private:
  std::filesystem::path where_;
  std::string error_;
};

/// A TCP port on 127.0.0.1 that is bound but never listens: connections are refused for as
/// long as the object lives, and nobody else can take the port meanwhile.
class refusing_port {
 public:
  refusing_port() : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      throw std::runtime_error("cannot bind a port on 127.0.0.1");
    }
    port_ = ntohs(addr.sin_port);
  }
  ~refusing_port() { ::close(fd_); }
  refusing_port(const refusing_port&) = delete;
  refusing_port& operator=(const refusing_port&) = delete;

  std::uint16_t port() const { return port_; }

 private:
  int fd_;
  std::uint16_t port_ = 0;
};

/// Writes zeros to `file` until the filesystem has no room left; returns the bytes written.
std::size_t fill(const std::filesystem::path& file) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    throw std::runtime_error("cannot create " + file.string() + ": " + std::strerror(errno));
  }
  const std::string chunk(64 * 1024, '\0');
  std::size_t total = 0;
  for (;;) {
    const auto n = ::write(fd, chunk.data(), chunk.size());
    if (n <= 0) {
      break;  // ENOSPC: full
    }
    total += static_cast<std::size_t>(n);
  }
  ::close(fd);
  return total;
}

/// The agent's lines that name the state database and say the disk is full.
std::size_t disk_full_reports(const std::filesystem::path& log) {
  std::size_t n = 0;
  for (const auto& words : {"disk full", "disk is full", "ENOSPC", "No space left"}) {
    n += lines_with(log, {"state.db", words}).size();
  }
  return n;
}

class full_disk : public ::testing::TestWithParam<size> {};

TEST_P(full_disk, agent_says_why_waits_and_resumes_losing_nothing) {
  const int fills = is_long(GetParam()) ? 3 : 1;
  const auto held_full = is_long(GetParam()) ? 30s : 3s;
  test::temp_dir dir;
  const auto state = dir / "state";
  tmpfs_mount disk(state, "64m");
  if (!disk.error().empty()) {
    GTEST_SKIP() << "cannot mount a tmpfs at " << state << " for state_dir: " << disk.error()
                 << " (this test needs root or CAP_SYS_ADMIN)";
  }
  refusing_port nobody;
  sim::options o;
  o.backlog = 20'000;
  o.backlog_per_second = 50;
  // A fill leaves SQLite the write-ahead log it has already (up to journal_size_limit, 4 MiB)
  // to write into: with packed pages, 200 lines/s took up to a minute to use that up.
  o.live_rate = 2000;
  o.seed = seed();
  sim::running_simulator array(o);
  auto config = agent_config(state, array.port());
  config["sinks"].push_back(file_sink("archive", dir / "out.jsonl"));
  config["sinks"].push_back(syslog_tcp_sink("held", nobody.port()));
  write_config(dir / "config.json", config);
  const auto log = dir / "agent.log";
  const auto out = dir / "out.jsonl";
  const auto written = [&] { return read_output(out).archive.lines.size(); };
  test::child_process agent(test::qsanfwd_binary(), {"run", "-c", (dir / "config.json").string()},
                            log);

  for (int round = 1; round <= fills; ++round) {
    SCOPED_TRACE("fill " + std::to_string(round));
    // The previous fill is over only once collection has resumed: the queue may hold enough
    // for the next thousand lines without it, and a fill then would find collection paused.
    ASSERT_TRUE(test::wait_until(
        [&] {
          return lines_with(log, {"collection resumed"}).size() + 1 >=
                 static_cast<std::size_t>(round);
        },
        60s))
        << test::read_file(log);
    const auto start = written();
    ASSERT_TRUE(test::wait_until([&] { return written() >= start + 1000; }, 60s))
        << test::read_file(log);
    const auto reports = disk_full_reports(log);
    const auto filler = state / "filler";
    const auto bytes = fill(filler);
    ASSERT_TRUE(test::wait_until([&] { return disk_full_reports(log) > reports; }, 60s))
        << "filled " << bytes << " bytes; the agent did not say the disk is full:\n"
        << test::read_file(log);
    // Full, it stays up and does not report the same state over and over.
    EXPECT_FALSE(test::wait_until([&] { return !agent.running(); }, held_full))
        << "the agent exited on a full disk:\n"
        << test::read_file(log);
    ASSERT_TRUE(agent.running());
    // Each component says it once per state change (each sink's cursor write, the device's
    // collection), not once per retry.
    EXPECT_EQ(lines_with(log, {"collection paused"}).size(), static_cast<std::size_t>(round))
        << test::read_file(log);
    std::filesystem::remove(filler);
  }

  // Room again: collection resumes by itself and catches up with a fixed ledger.
  const auto resumed_from = written();
  ASSERT_TRUE(test::wait_until([&] { return written() >= resumed_from + 500; }, 60s))
      << "the agent did not resume:\n"
      << test::read_file(log);
  array->pause_live(true);
  const auto expected = test::sorted_lines(array->ledger());
  const bool caught_up = test::wait_until([&] { return written() >= expected.size(); }, 120s);
  agent.kill(SIGTERM);
  EXPECT_EQ(agent.wait(), 0) << test::read_file(log);
  const auto t = compare(expected, read_output(out).archive);
  const auto check = integrity(state / "state.db");
  std::cout << "full disk, " << fills << " fill(s): " << t << "; integrity_check: " << check
            << "\n";
  ASSERT_TRUE(caught_up) << t;
  EXPECT_EQ(t.lost, 0u);
  EXPECT_EQ(t.extra, 0u);
  EXPECT_EQ(t.repeated, 0u);
  EXPECT_EQ(check, "ok");
}

INSTANTIATE_TEST_SUITE_P(short_run, full_disk, ::testing::Values(size::short_run), size_name);
INSTANTIATE_TEST_SUITE_P(long_run, full_disk, ::testing::Values(size::long_run), size_name);

}  // namespace
}  // namespace qsanfwd::torture
