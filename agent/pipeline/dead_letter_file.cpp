#include "agent/pipeline/dead_letter_file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <utility>

#include "agent/core/event.hpp"
#include "agent/pipeline/dead_letters.hpp"

namespace qsanfwd::pipeline {
namespace {

namespace fs = std::filesystem;

/// A line longer than this (no newline in 64 MiB: not a file we wrote) is cut into pieces, each
/// returned as a line that is not a dead letter, so memory stays bounded.
constexpr std::size_t max_line_bytes = 64 << 20;

[[noreturn]] void fail(const std::string& what, const fs::path& path) {
  throw std::runtime_error(what + " " + path.string() + ": " + std::strerror(errno));
}

fs::path with_suffix(const fs::path& path, std::string_view suffix) {
  return fs::path(path.string() + std::string(suffix));
}

/// The lock that keeps two dead-letter commands off the same file (not the agent's appends).
int lock_commands(const fs::path& path) {
  const auto lock = with_suffix(path, ".lock");
  if (path.has_parent_path()) {
    std::error_code ec;
    fs::create_directories(path.parent_path(), ec);
  }
  const int fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    fail("cannot open", lock);
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    throw std::runtime_error("another dead-letter command is working on " + path.string());
  }
  return fd;
}

void sync_directory(const fs::path& file) {
  const auto dir = file.has_parent_path() ? file.parent_path() : fs::path(".");
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

/// A new content for the file at `path`, written beside it and put in its place by commit():
/// a crash leaves the old file or the new one, never half of one. Written as it comes, so a
/// large file is not held in memory.
class replacement {
 public:
  explicit replacement(fs::path path) : path_(std::move(path)), tmp_(with_suffix(path_, ".tmp")) {
    fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd_ < 0) {
      fail("cannot create", tmp_);
    }
  }
  ~replacement() {
    if (fd_ >= 0) {
      ::close(fd_);
      ::unlink(tmp_.c_str());
    }
  }
  replacement(const replacement&) = delete;
  replacement& operator=(const replacement&) = delete;

  void append(std::string_view data) {
    if (const int err = write_whole(fd_, data); err != 0) {
      errno = err;
      fail("cannot write", tmp_);
    }
  }
  void commit() {
    if (::fdatasync(fd_) != 0) {
      fail("cannot sync", tmp_);
    }
    ::close(std::exchange(fd_, -1));
    if (::rename(tmp_.c_str(), path_.c_str()) != 0) {
      fail("cannot rename to", path_);
    }
    sync_directory(path_);
  }

 private:
  fs::path path_;
  fs::path tmp_;
  int fd_ = -1;
};

void replace_file(const fs::path& path, std::string_view content) {
  replacement r(path);
  r.append(content);
  r.commit();
}

/// Reads a whole file line by line (each without its newline) from `offset`.
template <typename Visit>
void each_line(const fs::path& path, std::int64_t offset, Visit&& visit) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) {
      return;
    }
    fail("cannot open", path);
  }
  std::string buffer;
  char chunk[64 * 1024];
  ::lseek(fd, offset, SEEK_SET);
  for (;;) {
    const auto n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      errno = err;
      fail("cannot read", path);
    }
    if (n == 0) {
      break;
    }
    buffer.append(chunk, static_cast<std::size_t>(n));
    std::size_t start = 0;
    for (auto nl = buffer.find('\n'); nl != std::string::npos; nl = buffer.find('\n', start)) {
      visit(std::string_view(buffer).substr(start, nl - start));
      start = nl + 1;
    }
    buffer.erase(0, start);
    if (buffer.size() > max_line_bytes) {
      visit(std::string_view(buffer));
      buffer.clear();
    }
  }
  ::close(fd);
  if (!buffer.empty()) {
    visit(std::string_view(buffer));
  }
}

/// Copies the first `bytes` of the file at `path` to `out` as they are.
void copy_prefix(const fs::path& path, std::int64_t bytes, replacement& out) {
  std::int64_t left = bytes;
  const auto visit_all = [&](std::string_view line) {
    if (left <= 0) {
      return;
    }
    const auto n = std::min<std::int64_t>(left, static_cast<std::int64_t>(line.size()) + 1);
    out.append(std::string(line).append("\n").substr(0, static_cast<std::size_t>(n)));
    left -= n;
  };
  each_line(path, 0, visit_all);
}

std::int64_t read_offset(const fs::path& file) {
  std::int64_t offset = 0;
  each_line(file, 0, [&](std::string_view line) {
    offset = 0;
    for (const char c : line) {
      if (c < '0' || c > '9' || offset > (std::int64_t{1} << 56)) {
        throw std::runtime_error("not an offset in " + file.string());
      }
      offset = offset * 10 + (c - '0');
    }
  });
  return offset;
}

}  // namespace

std::optional<dead_letter> parse_dead_letter(std::string_view line) {
  const auto j = nlohmann::ordered_json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return std::nullopt;
  }
  const auto text = [&](const char* key) -> std::optional<std::string> {
    const auto it = j.find(key);
    if (it == j.end() || !it->is_string()) {
      return std::nullopt;
    }
    return it->get<std::string>();
  };
  const auto sink = text("sink");
  const auto reason = text("reason");
  const auto time = text("time");
  const auto event = j.find("event");
  if (!sink || !reason || !time || event == j.end() || !event->is_object()) {
    return std::nullopt;
  }
  // The event as it was queued, byte for byte, when the line is as dead_letter_lines wrote it;
  // else (edited by hand) as read.
  std::string prefix = "{\"sink\":";
  append_json_string(prefix, *sink);
  prefix += ",\"reason\":";
  append_json_string(prefix, *reason);
  prefix += ",\"time\":";
  append_json_string(prefix, *time);
  prefix += ",\"event\":";
  std::string body;
  if (line.starts_with(prefix) && line.ends_with('}')) {
    body = line.substr(prefix.size(), line.size() - prefix.size() - 1);
  } else {
    body = event->dump();
  }
  return dead_letter{*sink, *reason, *time, std::move(body)};
}

dead_letter_summary summarise_dead_letters(const fs::path& path, std::size_t max_reasons) {
  dead_letter_summary out;
  std::map<std::string, reason_group, std::less<>> groups;
  bool in_replay = false;
  const auto count = [&](std::string_view line) {
    const auto letter = parse_dead_letter(line);
    if (!letter) {
      ++out.unreadable;
      return;
    }
    ++out.events;
    out.in_replay += in_replay ? 1 : 0;
    auto it = groups.find(letter->reason);
    if (it == groups.end()) {
      if (groups.size() >= max_reasons) {
        ++out.other_reasons;
        return;
      }
      it = groups.emplace(letter->reason, reason_group{letter->reason, 0, letter->time, ""}).first;
    }
    auto& g = it->second;
    ++g.events;
    g.first = std::min(g.first, letter->time);
    g.last = std::max(g.last, letter->time);
  };
  const auto replaying = with_suffix(path, ".replaying");
  if (fs::exists(replaying)) {
    in_replay = true;
    each_line(replaying, read_offset(with_suffix(path, ".replaying.offset")), count);
    in_replay = false;
  }
  each_line(path, 0, count);
  for (auto& [reason, g] : groups) {
    out.reasons.push_back(std::move(g));
  }
  std::stable_sort(out.reasons.begin(), out.reasons.end(),
                   [](const auto& a, const auto& b) { return a.events > b.events; });
  return out;
}

dead_letter_replay::dead_letter_replay(fs::path path)
    : path_(std::move(path)),
      replaying_(with_suffix(path_, ".replaying")),
      offset_file_(with_suffix(path_, ".replaying.offset")),
      guard_(lock_commands(path_)) {
  try {
    resumed_ = fs::exists(replaying_);
    if (resumed_) {
      settled_ = read_offset(offset_file_);
    } else if (fs::exists(path_)) {
      fs::remove(offset_file_);
      // Under the agent's lock: its next refusal goes to a new file, none to this one.
      const int fd = open_locked(path_, O_RDWR);
      if (fd < 0) {
        fail("cannot open", path_);
      }
      const int rc = ::rename(path_.c_str(), replaying_.c_str());
      const int err = errno;
      ::close(fd);
      errno = err;
      if (rc != 0) {
        fail("cannot move aside", path_);
      }
      sync_directory(path_);
    }
    fd_ = ::open(replaying_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0 && errno != ENOENT) {
      fail("cannot open", replaying_);
    }
    read_ = settled_;
    if (fd_ >= 0 && ::lseek(fd_, settled_, SEEK_SET) < 0) {
      fail("cannot seek in", replaying_);
    }
  } catch (...) {
    ::close(guard_);
    if (fd_ >= 0) {
      ::close(fd_);
    }
    throw;
  }
}

dead_letter_replay::~dead_letter_replay() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
  ::close(guard_);
}

std::vector<replay_line> dead_letter_replay::next(std::size_t max_events, std::size_t max_bytes) {
  std::vector<replay_line> out;
  std::size_t bytes = 0;
  const auto take = [&](std::size_t length, std::size_t consumed) {
    auto line = buffer_.substr(0, length);
    read_ += static_cast<std::int64_t>(consumed);
    buffer_.erase(0, consumed);
    bytes += line.size();
    auto letter = parse_dead_letter(line);
    out.push_back(replay_line{std::move(line), std::move(letter), read_});
  };
  char chunk[64 * 1024];
  bool at_end = fd_ < 0;
  while (out.size() < std::max<std::size_t>(max_events, 1) && (out.empty() || bytes < max_bytes)) {
    if (const auto nl = buffer_.find('\n'); nl != std::string::npos) {
      take(nl, nl + 1);
      continue;
    }
    if (buffer_.size() > max_line_bytes || (at_end && !buffer_.empty())) {
      take(buffer_.size(), buffer_.size());
      continue;
    }
    if (at_end) {
      break;
    }
    const auto n = ::read(fd_, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      fail("cannot read", replaying_);
    }
    at_end = n == 0;
    buffer_.append(chunk, static_cast<std::size_t>(n));
  }
  return out;
}

void dead_letter_replay::settled_through(std::int64_t end) {
  settled_ = end;
  replace_file(offset_file_, std::to_string(end) + "\n");
}

void dead_letter_replay::finish() {
  if (fd_ < 0) {
    return;
  }
  if (!buffer_.empty() || settled_ != read_ || !next(1, 1).empty()) {
    throw std::logic_error("dead_letter_replay::finish before every line was settled");
  }
  fs::remove(replaying_);
  fs::remove(offset_file_);
  sync_directory(path_);
  ::close(fd_);
  fd_ = -1;
}

std::int64_t drop_dead_letters(const fs::path& path, std::string_view reason_part) {
  const int guard = lock_commands(path);
  std::int64_t dropped = 0;
  const auto keep = [&](std::string_view line) {
    const auto letter = parse_dead_letter(line);
    const bool drop = reason_part.empty() ||
                      (letter && letter->reason.find(reason_part) != std::string::npos);
    dropped += drop ? 1 : 0;
    return !drop;
  };
  try {
    // An interrupted replay: what it settled stays as it is, so its offset stays right.
    const auto replaying = with_suffix(path, ".replaying");
    if (fs::exists(replaying)) {
      const auto settled = read_offset(with_suffix(path, ".replaying.offset"));
      replacement kept(replaying);
      copy_prefix(replaying, settled, kept);
      each_line(replaying, settled, [&](std::string_view line) {
        if (keep(line)) {
          kept.append(std::string(line) + "\n");
        }
      });
      kept.commit();
    }
    const int fd = open_locked(path, O_RDWR);
    if (fd >= 0) {
      try {
        replacement kept(path);
        each_line(path, 0, [&](std::string_view line) {
          if (keep(line)) {
            kept.append(std::string(line) + "\n");
          }
        });
        kept.commit();
      } catch (...) {
        ::close(fd);
        throw;
      }
      ::close(fd);
    } else if (errno != ENOENT) {
      fail("cannot open", path);
    }
  } catch (...) {
    ::close(guard);
    throw;
  }
  ::close(guard);
  return dropped;
}

}  // namespace qsanfwd::pipeline
