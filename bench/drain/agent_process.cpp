#include "bench/drain/agent_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <stdexcept>
#include <string>

extern char** environ;

namespace qsanfwd::bench {

measured_process::measured_process(const std::filesystem::path& program,
                                   const std::vector<std::string>& args,
                                   const std::filesystem::path& log_file) {
  std::vector<std::string> argv_storage{program.string()};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_storage) {
    argv.push_back(a.data());
  }
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                   0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  started_ = std::chrono::steady_clock::now();
  const int rc = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    throw std::runtime_error("cannot start " + program.string());
  }
}

measured_process::~measured_process() {
  if (!done_) {
    ::kill(pid_, SIGKILL);
    wait();
  }
}

void measured_process::signal(int sig) {
  ::kill(pid_, sig);
}

void measured_process::sample() {
  const auto proc = "/proc/" + std::to_string(pid_);
  std::ifstream status(proc + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("VmHWM:")) {
      const double mb = std::stod(line.substr(6)) / 1024.0;  // in kB
      usage_.peak_rss_mb = std::max(usage_.peak_rss_mb, mb);
      break;
    }
  }
  // Counted when pages are dirtied, so it includes what the page cache has not written yet.
  std::ifstream io(proc + "/io");
  while (std::getline(io, line)) {
    if (line.starts_with("write_bytes:")) {
      usage_.written_mb = std::stod(line.substr(12)) / (1024.0 * 1024.0);
      break;
    }
  }
}

void measured_process::record(int status, const ::rusage& ru) {
  done_ = true;
  const auto seconds = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
  };
  usage_.wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  usage_.cpu_s = seconds(ru.ru_utime) + seconds(ru.ru_stime);
  usage_.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

bool measured_process::exited() {
  if (done_) {
    return true;
  }
  int status = 0;
  ::rusage ru{};
  if (::wait4(pid_, &status, WNOHANG, &ru) == pid_) {
    record(status, ru);
  }
  return done_;
}

usage measured_process::wait() {
  if (!done_) {
    int status = 0;
    ::rusage ru{};
    if (::wait4(pid_, &status, 0, &ru) == pid_) {
      record(status, ru);
    }
  }
  return usage_;
}

}  // namespace qsanfwd::bench
