#include "tests/support/process.hpp"

#include <fcntl.h>
#include <linux/close_range.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <stdexcept>
#include <system_error>
#include <thread>

namespace qsanfwd::test {

namespace {

bool limit_files(rlim_t nofile) {
  rlimit lim{};
  if (nofile == 0) {
    return true;
  }
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) {
    return false;
  }
  lim.rlim_cur = std::min(nofile, lim.rlim_max);
  return ::setrlimit(RLIMIT_NOFILE, &lim) == 0;
}

/// The child between vfork and exec: it shares this process's memory, so it makes system calls
/// only. What fails is sent as an errno on `error_fd`.
[[noreturn]] void exec_child(char* const* argv, const char* log_file, rlim_t nofile, bool own_group,
                             int error_fd) {
  const int log = ::open(log_file, O_WRONLY | O_CREAT | O_APPEND, 0600);
  // Marked close-on-exec rather than closed, so that error_fd lasts until exec.
  if (log >= 0 && ::dup2(log, STDOUT_FILENO) >= 0 && ::dup2(log, STDERR_FILENO) >= 0 &&
      ::syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) == 0 && limit_files(nofile) &&
      (!own_group || ::setpgid(0, 0) == 0)) {
    ::execv(argv[0], argv);
  }
  const int error = errno;
  [[maybe_unused]] const auto sent = ::write(error_fd, &error, sizeof error);
  ::_exit(127);
}

/// vfork rather than fork: a fork copies the page tables of a parent holding a large backlog,
/// and the child's exec then spends CPU freeing them, which wait4 would count as the child's.
pid_t start(char* const* argv, const std::filesystem::path& log_file, rlim_t nofile,
            bool own_group) {
  int error_pipe[2];
  if (::pipe2(error_pipe, O_CLOEXEC) != 0) {
    throw std::system_error(errno, std::generic_category(), "pipe2");
  }
  const pid_t pid = ::vfork();
  if (pid == 0) {
    exec_child(argv, log_file.c_str(), nofile, own_group, error_pipe[1]);
  }
  const int vfork_error = errno;
  ::close(error_pipe[1]);
  int error = 0;
  // Nothing to read once exec has closed the child's end: the program runs.
  const bool failed = ::read(error_pipe[0], &error, sizeof error) == sizeof error;
  ::close(error_pipe[0]);
  if (pid < 0) {
    throw std::system_error(vfork_error, std::generic_category(), "vfork");
  }
  if (failed) {
    ::waitpid(pid, nullptr, 0);
    throw std::system_error(
        error, std::generic_category(),
        "cannot start " + std::string(argv[0]) + " with its output in " + log_file.string());
  }
  return pid;
}

double seconds(const timeval& tv) {
  return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
}

}  // namespace

std::filesystem::path qsanfwd_binary() {
  const char* dir = std::getenv("QSANFWD_BINARY_DIR");
  if (dir == nullptr) {
    throw std::runtime_error("QSANFWD_BINARY_DIR is not set: run the test through ctest");
  }
  return std::filesystem::path(dir) / "agent" / "qsanfwd";
}

child_process::child_process(const std::filesystem::path& program,
                             const std::vector<std::string>& args,
                             const std::filesystem::path& log_file, rlim_t nofile, bool own_group)
    : own_group_(own_group) {
  std::vector<std::string> argv_storage{program.string()};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_storage) {
    argv.push_back(a.data());
  }
  argv.push_back(nullptr);
  started_ = std::chrono::steady_clock::now();
  pid_ = start(argv.data(), log_file, nofile, own_group);
}

child_process::~child_process() {
  if (running()) {
    kill(SIGKILL);
    reap(0);
  } else if (own_group_) {
    kill(SIGKILL);  // helpers that outlived the leader
  }
}

void child_process::kill(int signal) {
  ::kill(own_group_ ? -pid_ : pid_, signal);
}

void child_process::reap(int options) {
  int st = 0;
  ::rusage ru{};
  if (::wait4(pid_, &st, options, &ru) != pid_) {
    return;
  }
  status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  times_.wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  times_.cpu_s = seconds(ru.ru_utime) + seconds(ru.ru_stime);
}

bool child_process::running() {
  if (status_ == -1) {
    reap(WNOHANG);
  }
  return status_ == -1;
}

int child_process::wait(std::chrono::milliseconds deadline) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (running()) {
    if (std::chrono::steady_clock::now() >= end) {
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return status_;
}

int child_process::stop(std::chrono::milliseconds grace) {
  if (running()) {
    kill(SIGTERM);
  }
  if (wait(grace) == -1) {
    kill(SIGKILL);
    reap(0);
  }
  return status_;
}

}  // namespace qsanfwd::test
