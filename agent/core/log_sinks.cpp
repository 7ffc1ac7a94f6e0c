#include "agent/core/log_sinks.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "agent/core/time.hpp"

namespace qsanfwd {
namespace {

std::mutex device_names_mutex;
std::shared_ptr<const std::set<std::string, std::less<>>> device_names;

std::shared_ptr<const std::set<std::string, std::less<>>> current_devices() {
  std::lock_guard lock(device_names_mutex);
  return device_names;
}

void write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    const auto n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return;  // nowhere left to say it
    }
    text.remove_prefix(static_cast<std::size_t>(n));
  }
}

void add_journal_field(std::string& out, std::string_view key, std::string_view value) {
  out += key;
  if (value.find('\n') == std::string_view::npos) {
    out += '=';
    out += value;
  } else {
    // The binary form: the name, a newline, the size as 64-bit little endian, the value.
    out += '\n';
    auto size = static_cast<std::uint64_t>(value.size());
    for (int i = 0; i < 8; ++i, size >>= 8) {
      out += static_cast<char>(size & 0xff);
    }
    out += value;
  }
  out += '\n';
}

std::string_view text_of(const spdlog::details::log_msg& msg) {
  return {msg.payload.data(), msg.payload.size()};
}

std::string_view name_of(const spdlog::details::log_msg& msg) {
  return {msg.logger_name.data(), msg.logger_name.size()};
}

std::string rfc3339_millis(spdlog::log_clock::time_point when) {
  using namespace std::chrono;
  const auto ms = duration_cast<milliseconds>(when.time_since_epoch()).count();
  auto text = rfc3339_utc(ms / 1000);
  char digits[4] = {};
  const auto fraction = ms % 1000;
  for (int i = 2, f = static_cast<int>(fraction); i >= 0; --i, f /= 10) {
    digits[i] = static_cast<char>('0' + f % 10);
  }
  text.insert(text.size() - 1, std::string(".") + digits);
  return text;
}

}  // namespace

void set_log_devices(const std::vector<std::string>& names) {
  auto fresh = std::make_shared<const std::set<std::string, std::less<>>>(names.begin(), names.end());
  std::lock_guard lock(device_names_mutex);
  device_names = std::move(fresh);
}

log_subject subject_of(std::string_view logger, std::string_view message) {
  log_subject s;
  constexpr std::string_view sink_prefix = "sink.";
  if (logger.starts_with(sink_prefix)) {
    s.sink = logger.substr(sink_prefix.size());
  }
  const auto colon = message.find(": ");
  if (colon != std::string_view::npos) {
    const auto names = current_devices();
    const auto name = message.substr(0, colon);
    if (names && names->contains(name)) {
      s.device = name;
    }
  }
  return s;
}

int journal_priority(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::critical:
      return 2;
    case spdlog::level::err:
      return 3;
    case spdlog::level::warn:
      return 4;
    case spdlog::level::info:
      return 6;
    default:
      return 7;
  }
}

std::string journal_datagram(const spdlog::details::log_msg& msg, std::string_view identifier) {
  const auto text = text_of(msg);
  const auto subject = subject_of(name_of(msg), text);
  std::string out;
  out.reserve(text.size() + 128);
  add_journal_field(out, "MESSAGE", text);
  add_journal_field(out, "PRIORITY", std::to_string(journal_priority(msg.level)));
  add_journal_field(out, "SYSLOG_IDENTIFIER", identifier);
  add_journal_field(out, "LOGGER", name_of(msg));
  if (!subject.device.empty()) {
    add_journal_field(out, "DEVICE", subject.device);
  }
  if (!subject.sink.empty()) {
    add_journal_field(out, "SINK", subject.sink);
  }
  return out;
}

std::string json_log_line(const spdlog::details::log_msg& msg) {
  const auto text = text_of(msg);
  const auto subject = subject_of(name_of(msg), text);
  const auto level = spdlog::level::to_string_view(msg.level);
  nlohmann::ordered_json j;
  j["time"] = rfc3339_millis(msg.time);
  j["level"] = std::string_view(level.data(), level.size());
  j["logger"] = name_of(msg);
  j["message"] = text;
  if (!subject.device.empty()) {
    j["device"] = subject.device;
  }
  if (!subject.sink.empty()) {
    j["sink"] = subject.sink;
  }
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

bool is_journal_stream(int fd, const char* journal_stream) {
  if (journal_stream == nullptr) {
    return false;
  }
  const std::string_view value(journal_stream);
  const auto colon = value.find(':');
  unsigned long long dev = 0;
  unsigned long long ino = 0;
  if (colon == std::string_view::npos ||
      std::from_chars(value.data(), value.data() + colon, dev).ptr != value.data() + colon ||
      std::from_chars(value.data() + colon + 1, value.data() + value.size(), ino).ptr !=
          value.data() + value.size()) {
    return false;
  }
  struct stat info {};
  return ::fstat(fd, &info) == 0 && info.st_dev == dev && info.st_ino == ino;
}

journal_sink::journal_sink(const std::filesystem::path& socket_path, int fallback_fd)
    : fallback_fd_(fallback_fd) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  const auto& path = socket_path.native();
  if (path.size() >= sizeof address.sun_path) {
    return;
  }
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  socket_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  // Connected once: each record is then one send(), and no journald means the fallback at once.
  if (socket_ >= 0 &&
      ::connect(socket_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    ::close(socket_);
    socket_ = -1;
  }
}

journal_sink::~journal_sink() {
  if (socket_ >= 0) {
    ::close(socket_);
  }
}

void journal_sink::sink_it_(const spdlog::details::log_msg& msg) {
  if (socket_ >= 0) {
    const auto datagram = journal_datagram(msg, "qsanfwd");
    ssize_t sent = -1;
    do {
      sent = ::send(socket_, datagram.data(), datagram.size(), MSG_NOSIGNAL);
    } while (sent < 0 && errno == EINTR);
    if (sent == static_cast<ssize_t>(datagram.size())) {
      return;
    }
  }
  std::string line = "<" + std::to_string(journal_priority(msg.level)) + ">";
  line += name_of(msg);
  line += ": ";
  line += text_of(msg);
  line += '\n';
  write_all(fallback_fd_, line);
}

void json_log_sink::sink_it_(const spdlog::details::log_msg& msg) {
  write_all(fd_, json_log_line(msg));
}

}  // namespace qsanfwd
