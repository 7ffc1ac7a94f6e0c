#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace qsanfwd::test {

/// The qsanfwd binary of this build (ctest passes the build directory).
std::filesystem::path qsanfwd_binary();

/// A child process running a program, its output appended to `log_file`.
class child_process {
 public:
  child_process(const std::filesystem::path& program, const std::vector<std::string>& args,
                const std::filesystem::path& log_file);
  ~child_process();
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  void kill(int signal);
  /// Waits for the exit; returns the exit status, or 128 + signal for a killed process; -1 when
  /// it was still running at the deadline.
  int wait(std::chrono::milliseconds deadline = std::chrono::seconds(30));
  bool running();
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int status_ = -1;
};

}  // namespace qsanfwd::test
