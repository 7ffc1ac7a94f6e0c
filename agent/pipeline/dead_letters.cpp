#include "agent/pipeline/dead_letters.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "agent/core/event.hpp"
#include "agent/core/time.hpp"

namespace qsanfwd::pipeline {
namespace {

/// Whether `fd` is (still) the file at `path`. Only a path gone or naming another file says no:
/// a failing stat says nothing and must not make open_locked loop.
bool same_file(int fd, const std::filesystem::path& path) {
  struct stat held {};
  struct stat named {};
  if (::fstat(fd, &held) != 0) {
    return true;
  }
  if (::stat(path.c_str(), &named) != 0) {
    return errno != ENOENT;
  }
  return held.st_dev == named.st_dev && held.st_ino == named.st_ino;
}

}  // namespace

int write_whole(int fd, std::string_view data) {
  while (!data.empty()) {
    const auto n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno != EINTR) {
      return errno;
    }
    if (n > 0) {
      data.remove_prefix(static_cast<std::size_t>(n));
    }
  }
  return 0;
}

int open_locked(const std::filesystem::path& path, int flags) {
  for (;;) {
    const int fd = ::open(path.c_str(), flags | O_CLOEXEC, 0600);
    if (fd < 0) {
      return -1;
    }
    int rc = 0;
    while ((rc = ::flock(fd, LOCK_EX)) != 0 && errno == EINTR) {
    }
    if (rc == 0 && same_file(fd, path)) {
      return fd;
    }
    const int err = errno;
    ::close(fd);
    if (rc != 0) {
      errno = err;
      return -1;
    }
    // Renamed aside or replaced while we waited for the lock: open what is there now.
  }
}

std::string dead_letter_lines(std::string_view sink, std::string_view reason,
                              std::int64_t unix_time, std::span<const queued_event> events,
                              std::span<const std::size_t> which) {
  std::string lines;
  const auto time = rfc3339_utc(unix_time);
  for (const auto i : which) {
    lines += "{\"sink\":";
    append_json_string(lines, sink);
    lines += ",\"reason\":";
    append_json_string(lines, reason);
    lines += ",\"time\":\"" + time + "\",\"event\":";
    lines += events[i].body;
    lines += "}\n";
  }
  return lines;
}

std::optional<std::string> append_dead_letters(const std::filesystem::path& path,
                                               std::string_view lines, spdlog::logger& log) {
  std::error_code ec;
  if (path.has_parent_path()) {
    // A failure here shows as the open's error below.
    std::filesystem::create_directories(path.parent_path(), ec);
  }
  const int fd = open_locked(path, O_WRONLY | O_APPEND | O_CREAT);
  if (fd < 0) {
    return "cannot open the dead-letter file " + path.string() + ": " + std::strerror(errno);
  }
  const auto start = ::lseek(fd, 0, SEEK_END);
  int err = write_whole(fd, lines);
  if (err == 0 && ::fdatasync(fd) != 0) {
    err = errno;
  }
  if (err != 0 && start >= 0 && ::ftruncate(fd, start) != 0) {
    log.debug("cannot cut the dead-letter file back");
  }
  ::close(fd);
  if (err != 0) {
    return "writing the dead-letter file " + path.string() + ": " + std::strerror(err);
  }
  return std::nullopt;
}

}  // namespace qsanfwd::pipeline
