#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace qsanfwd::test {

/// The qsanfwd binary of this build (ctest passes the build directory).
std::filesystem::path qsanfwd_binary();

/// What a child cost, read by wait4 when it is reaped: its CPU is its own alone, nothing of this
/// process's (such as a simulator serving it).
struct child_times {
  double wall_s = 0;  ///< from its start until it was reaped
  double cpu_s = 0;   ///< user + system
};

/// A program run as a child process, its stdout and stderr appended to `log_file`. Of this
/// process's descriptors it inherits stdin alone, so sockets held here do not count against its
/// limit; a `nofile` above 0 lowers its soft RLIMIT_NOFILE to that (the hard limit stays).
/// With `own_group` it leads a process group of its own, and kill() and the destructor signal
/// the whole group: a program that starts helpers (a browser) takes them with it.
/// Throws when the program cannot be started.
class child_process {
 public:
  child_process(const std::filesystem::path& program, const std::vector<std::string>& args,
                const std::filesystem::path& log_file, rlim_t nofile = 0, bool own_group = false);
  ~child_process();
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  void kill(int signal);
  /// Without blocking.
  bool running();
  /// Waits for the exit; returns the exit status, or 128 + signal for a killed process; -1 when
  /// it was still running at the deadline.
  int wait(std::chrono::milliseconds deadline = std::chrono::seconds(30));
  /// SIGTERM, up to `grace` for it to exit, then SIGKILL; returns the status as wait does.
  int stop(std::chrono::milliseconds grace);
  pid_t pid() const { return pid_; }
  /// All zero until it has been reaped.
  const child_times& times() const { return times_; }

 private:
  void reap(int options);

  pid_t pid_ = -1;
  bool own_group_ = false;
  int status_ = -1;
  std::chrono::steady_clock::time_point started_;
  child_times times_;
};

}  // namespace qsanfwd::test
