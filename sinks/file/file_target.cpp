#include "sinks/file/file_target.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "agent/core/time.hpp"

namespace qsanfwd::sinks {
namespace {

/// Bytes the chain fields add to a line, at most (`,"chain_seq":N,"chain_hmac":"<64 hex>"`).
constexpr std::size_t chain_overhead = 115;

std::string errno_text(int err) {
  return std::strerror(err);
}

// Writes all of `data`; returns 0 or the errno of the failure.
int write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const auto n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return errno;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return 0;
}

// Makes a new name in `dir` durable (a rename or a created file), best effort.
void sync_directory(const std::filesystem::path& dir) {
  const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

/// The end of a file: where its last complete line ends, and that line.
struct file_tail {
  std::uint64_t complete = 0;
  std::string last_line;
};

// Reads backwards from the end until the last complete line is whole. Nullopt when reading
// fails.
std::optional<file_tail> read_tail(int fd, std::uint64_t size) {
  std::string buf;  // the bytes [pos, size)
  std::uint64_t pos = size;
  std::array<char, 65536> chunk{};
  for (;;) {
    const auto end_nl = buf.rfind('\n');
    if (end_nl != std::string::npos) {
      const auto start_nl = end_nl == 0 ? std::string::npos : buf.rfind('\n', end_nl - 1);
      if (start_nl != std::string::npos || pos == 0) {
        const auto from = start_nl == std::string::npos ? 0 : start_nl + 1;
        return file_tail{pos + end_nl + 1, buf.substr(from, end_nl - from)};
      }
    } else if (pos == 0) {
      return file_tail{};
    }
    const auto n = std::min<std::uint64_t>(chunk.size(), pos);
    pos -= n;
    const auto got = ::pread(fd, chunk.data(), n, static_cast<off_t>(pos));
    if (got != static_cast<ssize_t>(n)) {
      return std::nullopt;
    }
    buf.insert(0, chunk.data(), n);
  }
}

}  // namespace

file_target::file_target(std::filesystem::path path, const file_options& options,
                         const chain_key* key, std::vector<seal>& seals, spdlog::logger& log,
                         file_sink_counters& counters)
    : path_(std::move(path)),
      options_(options),
      key_(key),
      seals_(seals),
      log_(log),
      counters_(counters),
      last_seal_(clock::now()) {}

file_target::~file_target() {
  close_fd();
}

std::optional<std::string> file_target::open() {
  if (fd_ >= 0) {
    return std::nullopt;
  }
  std::error_code ec;
  if (path_.has_parent_path()) {
    std::filesystem::create_directories(path_.parent_path(), ec);
    if (ec) {
      return "cannot create directory " + path_.parent_path().string() + ": " + ec.message();
    }
  }
  const auto mode = static_cast<mode_t>(options_.permissions);
  int fd = ::open(path_.c_str(), O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  const bool created = fd >= 0;
  if (!created && errno == EEXIST) {
    fd = ::open(path_.c_str(), O_RDWR | O_APPEND | O_CLOEXEC);
  }
  if (fd < 0) {
    return "cannot open " + path_.string() + ": " + errno_text(errno);
  }
  if (created) {
    // The umask may have taken bits away; the configured mode is what the user asked for.
    ::fchmod(fd, mode);
    if (options_.fsync != fsync_policy::never) {
      sync_directory(path_.parent_path());
    }
  }
  struct stat st {};
  ::fstat(fd, &st);
  fd_ = fd;
  size_ = S_ISREG(st.st_mode) ? static_cast<std::uint64_t>(st.st_size) : 0;
  opened_at_ = clock::now();
  last_sync_ = opened_at_;
  last_event_.clear();
  if (auto err = read_end()) {
    close_fd();
    return err;
  }
  if (options_.hash_chain && !chain_) {
    load_chain();
  }
  return std::nullopt;
}

// Cuts an incomplete last line and learns what the last complete one holds.
std::optional<std::string> file_target::read_end() {
  if (size_ == 0) {
    return std::nullopt;
  }
  const auto tail = read_tail(fd_, size_);
  if (!tail) {
    return "cannot read the end of " + path_.string();
  }
  if (tail->complete < size_) {
    // A batch cut short by a crash was never reported delivered; it is sent again.
    log_.warn("{}: removing an incomplete last line ({} bytes) left by a crash", path_.string(),
              size_ - tail->complete);
    if (::ftruncate(fd_, static_cast<off_t>(tail->complete)) != 0) {
      return "cannot remove the incomplete last line of " + path_.string();
    }
    size_ = tail->complete;
  }
  if (options_.hash_chain && !chain_) {
    chain_ = tail->last_line.empty() ? chain_state{} : state_after(tail->last_line, key_);
  }
  if (!tail->last_line.empty()) {
    last_event_ = unchained(tail->last_line);
  }
  return std::nullopt;
}

std::size_t file_target::already_written(std::span<const queued_event* const> events) const {
  if (last_event_.empty()) {
    return 0;
  }
  const auto last = std::find_if(events.begin(), events.end(),
                                 [&](const queued_event* e) { return e->body == last_event_; });
  return last == events.end() ? 0 : static_cast<std::size_t>(last - events.begin()) + 1;
}

std::optional<std::string> file_target::write(std::span<const queued_event* const> events,
                                              std::string& buf) {
  // The lines are built first, so a failed write leaves the chain where it was.
  auto next = chain_;
  build_lines(events, next, buf);
  if (rotation_due(buf.size())) {
    if (auto err = rotate()) {
      return err;
    }
  }
  if (auto err = append(buf)) {
    return err;
  }
  size_ += buf.size();
  chain_ = std::move(next);
  last_event_ = events.back()->body;
  counters_.lines += events.size();
  unsealed_ += events.size();
  after_append();
  return std::nullopt;
}

void file_target::build_lines(std::span<const queued_event* const> events,
                              std::optional<chain_state>& next, std::string& buf) const {
  buf.clear();
  std::size_t bytes = 0;
  for (const auto* e : events) {
    bytes += e->body.size() + 1;
  }
  buf.reserve(bytes + (next ? events.size() * chain_overhead : 0));
  for (const auto* e : events) {
    if (next) {
      append_chain_line(buf, e->body, *next, key_);
    } else {
      buf += e->body;
    }
    buf += '\n';
  }
}

bool file_target::rotation_due(std::size_t adding) const {
  const bool too_big = options_.rotate_max_bytes > 0 && size_ + adding > options_.rotate_max_bytes;
  const bool too_old = options_.rotate_interval > duration{0} &&
                       clock::now() - opened_at_ >= options_.rotate_interval;
  return size_ > 0 && (too_big || too_old);
}

std::optional<std::string> file_target::append(std::string_view lines) {
  if (const int err = write_all(fd_, lines); err != 0) {
    // Cut back a partial batch so that the retry writes each line once.
    if (::ftruncate(fd_, static_cast<off_t>(size_)) != 0) {
      log_.debug("cannot cut {} back after a failed write", path_.string());
    }
    return "writing " + path_.string() + ": " + errno_text(err);
  }
  if (options_.fsync == fsync_policy::batch && ::fdatasync(fd_) != 0) {
    const int err = errno;
    // Not known to be on disk: take the batch back and let it be sent again.
    if (::ftruncate(fd_, static_cast<off_t>(size_)) != 0) {
      log_.debug("cannot cut {} back after a failed fsync", path_.string());
    }
    return "fsync of " + path_.string() + ": " + errno_text(err);
  }
  return std::nullopt;
}

void file_target::after_append() {
  if (options_.fsync == fsync_policy::batch) {
    ++counters_.fsyncs;
    last_sync_ = clock::now();
  } else {
    unsynced_ = true;
    if (options_.fsync == fsync_policy::interval &&
        clock::now() - last_sync_ >= options_.fsync_interval) {
      sync();
    }
  }
}

void file_target::load_chain() {
  // An empty file after a rotation continues the chain of the newest rotated file.
  chain_ = chain_state{};
  for (const bool gz : {false, true}) {
    const auto rotated = rotated_name(1, gz);
    if (!std::filesystem::exists(rotated)) {
      continue;
    }
    std::string last;
    try {
      for_each_line(rotated, [&last](std::string_view line) {
        last = line;
        return true;
      });
    } catch (const std::exception& e) {
      log_.warn("cannot read {} to continue the hash chain: {}", rotated.string(), e.what());
    }
    if (!last.empty()) {
      chain_ = state_after(last, key_);
    }
    return;
  }
}

std::filesystem::path file_target::rotated_name(int index, bool gz) const {
  auto name = path_;
  name += "." + std::to_string(index) + (gz ? ".gz" : "");
  return name;
}

void file_target::seal_if_due() {
  const bool by_count = options_.seal_every_events > 0 && unsealed_ >= options_.seal_every_events;
  const bool by_time =
      options_.seal_every > duration{0} && clock::now() - last_seal_ >= options_.seal_every;
  if (by_count || by_time) {
    seal_now();
  }
}

void file_target::seal_now() {
  if (!chain_ || unsealed_ == 0 || chain_->seq == 0) {
    return;
  }
  seals_.push_back(seal{path_.string(), chain_->seq, chain_->last_hash, key_ != nullptr,
                        rfc3339_utc(unix_now())});
  unsealed_ = 0;
  last_seal_ = clock::now();
}

std::optional<std::string> file_target::rotate() {
  if (options_.fsync != fsync_policy::never) {
    sync();
  }
  // The rotated file's last line, sealed under the name it was written to.
  seal_now();
  close_fd();
  std::error_code ec;
  for (int i = options_.rotate_keep; i >= 1; --i) {
    for (const bool gz : {false, true}) {
      const auto from = rotated_name(i, gz);
      if (!std::filesystem::exists(from, ec)) {
        continue;
      }
      if (i == options_.rotate_keep) {
        std::filesystem::remove(from, ec);
      } else {
        std::filesystem::rename(from, rotated_name(i + 1, gz), ec);
      }
    }
  }
  std::filesystem::rename(path_, rotated_name(1, false), ec);
  if (ec) {
    return "cannot rotate " + path_.string() + ": " + ec.message();
  }
  ++counters_.rotations;
  if (options_.rotate_gzip) {
    compress(rotated_name(1, false));
  }
  if (options_.fsync != fsync_policy::never) {
    sync_directory(path_.parent_path());
  }
  return open();
}

void file_target::compress(const std::filesystem::path& rotated) {
  auto target = rotated;
  target += ".gz";
  auto temp = target;
  temp += ".tmp";
  const auto failed = [&](const std::string& why) {
    // The plain file stays: a full disk costs compression, never data.
    log_.warn("cannot gzip {}: {}; kept uncompressed", rotated.string(), why);
    std::error_code ignored;
    std::filesystem::remove(temp, ignored);
  };
  const int in = ::open(rotated.c_str(), O_RDONLY | O_CLOEXEC);
  const int out = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                         static_cast<mode_t>(options_.permissions));
  if (in < 0 || out < 0) {
    const int err = errno;
    if (in >= 0) {
      ::close(in);
    }
    if (out >= 0) {
      ::close(out);
    }
    return failed(errno_text(err));
  }
  ::fchmod(out, static_cast<mode_t>(options_.permissions));
  gzFile gz = gzdopen(::dup(out), "wb");
  std::array<char, 65536> buf{};
  bool ok = gz != nullptr;
  for (ssize_t n = 0; ok && (n = ::read(in, buf.data(), buf.size())) != 0;) {
    ok = n > 0 && gzwrite(gz, buf.data(), static_cast<unsigned>(n)) == n;
  }
  ok = (gz != nullptr && gzclose(gz) == Z_OK) && ok;
  ok = ok && ::fsync(out) == 0;
  ::close(in);
  ::close(out);
  if (!ok) {
    return failed("writing " + temp.string() + " failed");
  }
  std::error_code ec;
  std::filesystem::rename(temp, target, ec);
  if (ec) {
    return failed(ec.message());
  }
  std::filesystem::remove(rotated, ec);
}

void file_target::sync() {
  if (fd_ >= 0 && unsynced_) {
    if (::fdatasync(fd_) == 0) {
      ++counters_.fsyncs;
    } else {
      log_.warn("fsync of {}: {}", path_.string(), errno_text(errno));
    }
    unsynced_ = false;
    last_sync_ = clock::now();
  }
}

void file_target::close() {
  if (options_.fsync != fsync_policy::never) {
    sync();
  }
  if (fd_ >= 0) {
    seal_now();
  }
  close_fd();
}

void file_target::close_fd() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

}  // namespace qsanfwd::sinks
