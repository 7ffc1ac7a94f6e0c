#include "agent/app/requests.hpp"

#include <fcntl.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/read.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "agent/core/logging.hpp"

namespace qsanfwd::app {
namespace {

namespace fs = std::filesystem;

constexpr std::uintmax_t max_request_bytes = 64 * 1024;

/// Names sort in the order written: the time in nanoseconds, then the pid and a count.
std::string request_name() {
  static std::atomic<int> count{0};
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  return std::to_string(ns) + "-" + std::to_string(::getpid()) + "-" + std::to_string(++count) +
         ".json";
}

agent_request read_request(const fs::path& file) {
  agent_request r{file, nullptr, ""};
  std::error_code ec;
  const auto size = fs::file_size(file, ec);
  if (ec) {
    r.error = "cannot read it: " + ec.message();
    return r;
  }
  if (size > max_request_bytes) {
    r.error = "larger than 64 KiB";
    return r;
  }
  std::ifstream in(file, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto body = nlohmann::json::parse(text, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    r.error = "not a JSON object";
    return r;
  }
  r.body = std::move(body);
  return r;
}

}  // namespace

fs::path requests_dir(const fs::path& state_dir) { return state_dir / "requests"; }

fs::path submit_request(const fs::path& state_dir, const nlohmann::json& request) {
  const auto dir = requests_dir(state_dir);
  std::error_code ec;
  fs::create_directories(dir, ec);
  fs::permissions(dir, fs::perms::owner_all, ec);
  const auto file = dir / request_name();
  // Written beside under a name the agent skips, then renamed: it never reads half a request.
  const auto part = dir / ("." + file.filename().string() + ".part");
  {
    std::ofstream out(part, std::ios::binary | std::ios::trunc);
    out << request.dump() << "\n";
    out.flush();
    if (!out) {
      throw std::runtime_error("cannot write " + part.string());
    }
  }
  fs::rename(part, file, ec);
  if (ec) {
    fs::remove(part);
    throw std::runtime_error("cannot write " + file.string() + ": " + ec.message());
  }
  return file;
}

std::vector<agent_request> waiting_requests(const fs::path& state_dir) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(requests_dir(state_dir), ec)) {
    const auto name = entry.path().filename().string();
    if (!name.starts_with(".") && name.ends_with(".json")) {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  std::vector<agent_request> out;
  for (const auto& f : files) {
    out.push_back(read_request(f));
  }
  return out;
}

request_watch::request_watch(boost::asio::io_context& io, fs::path state_dir, handler take)
    : state_dir_(std::move(state_dir)), take_(std::move(take)), events_(io), buffer_(4096) {}

request_watch::~request_watch() { stop(); }

void request_watch::start() {
  const auto dir = requests_dir(state_dir_);
  std::error_code ec;
  fs::create_directories(dir, ec);
  fs::permissions(dir, fs::perms::owner_all, ec);
  const int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd >= 0 && ::inotify_add_watch(fd, dir.c_str(), IN_MOVED_TO | IN_CLOSE_WRITE) >= 0) {
    events_.assign(fd);
    wait();
  } else {
    get_logger("agent")->warn(
        "cannot watch {} ({}): requests there are taken when the agent next starts", dir.string(),
        std::strerror(errno));
    if (fd >= 0) {
      ::close(fd);
    }
  }
  // After the watch is set, so a request written in between is not missed.
  if (auto waiting = waiting_requests(state_dir_); !waiting.empty()) {
    take_(std::move(waiting));
  }
}

void request_watch::stop() {
  boost::system::error_code ignored;
  events_.close(ignored);
}

void request_watch::wait() {
  events_.async_read_some(boost::asio::buffer(buffer_),
                          [this](const boost::system::error_code& ec, std::size_t) {
                            if (ec) {
                              return;
                            }
                            if (auto waiting = waiting_requests(state_dir_); !waiting.empty()) {
                              take_(std::move(waiting));
                            }
                            wait();
                          });
}

}  // namespace qsanfwd::app
