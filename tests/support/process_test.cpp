// The launcher every agent test and benchmark runs its children with.
#include "tests/support/process.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <system_error>

#include "tests/support/temp_dir.hpp"
#include "tests/support/wait.hpp"

namespace qsanfwd::test {
namespace {

using namespace std::chrono_literals;

std::vector<std::string> script(const std::string& text) {
  return {"-c", text};
}

TEST(child_process, appends_stdout_and_stderr_to_the_log_and_returns_the_exit_code) {
  temp_dir dir;
  write_file(dir / "log", "before\n");
  child_process p("/bin/sh", script("echo out; echo err >&2; exit 3"), dir / "log");
  EXPECT_EQ(p.wait(), 3);
  EXPECT_FALSE(p.running());
  EXPECT_EQ(read_file(dir / "log"), "before\nout\nerr\n");
}

TEST(child_process, keeps_none_of_this_processs_descriptors_and_takes_the_soft_limit) {
  temp_dir dir;
  const int inheritable = ::open("/dev/null", O_RDONLY);
  ASSERT_GE(inheritable, 3);
  const auto check =
      "test -e /dev/fd/" + std::to_string(inheritable) + " && echo open || echo closed; ulimit -Sn";
  child_process p("/bin/sh", script(check), dir / "log", 64);
  EXPECT_EQ(p.wait(), 0);
  ::close(inheritable);
  EXPECT_EQ(read_file(dir / "log"), "closed\n64\n");
}

TEST(child_process, wait_gives_up_at_the_deadline_and_reports_a_signal_as_128_plus_it) {
  temp_dir dir;
  child_process p("/bin/sh", script("exec sleep 30"), dir / "log");
  EXPECT_EQ(p.wait(50ms), -1);
  EXPECT_TRUE(p.running());
  p.kill(SIGKILL);
  EXPECT_EQ(p.wait(), 128 + SIGKILL);
}

TEST(child_process, stop_asks_with_sigterm_and_kills_after_the_grace) {
  temp_dir dir;
  child_process polite("/bin/sh", script("exec sleep 30"), dir / "log");
  EXPECT_EQ(polite.stop(10s), 128 + SIGTERM);
  // An ignored signal stays ignored across exec.
  child_process deaf("/bin/sh", script("trap '' TERM; echo deaf; exec sleep 30"), dir / "log");
  ASSERT_TRUE(wait_until([&] { return read_file(dir / "log") == "deaf\n"; }));
  EXPECT_EQ(deaf.stop(100ms), 128 + SIGKILL);
}

TEST(child_process, times_are_the_childs_own_once_reaped) {
  temp_dir dir;
  child_process p("/bin/sh", script("exec sleep 0.2"), dir / "log");
  EXPECT_EQ(p.times().wall_s, 0);
  EXPECT_EQ(p.wait(), 0);
  EXPECT_GE(p.times().wall_s, 0.2);
  EXPECT_LT(p.times().cpu_s, 0.1);
}

TEST(child_process, a_program_that_cannot_run_throws) {
  temp_dir dir;
  EXPECT_THROW(child_process("/nonexistent/program", {}, dir / "log"), std::system_error);
  EXPECT_THROW(child_process("/bin/sh", {}, dir / "no/such/dir/log"), std::system_error);
}

}  // namespace
}  // namespace qsanfwd::test
