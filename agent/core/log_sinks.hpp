#pragma once

#include <spdlog/details/log_msg.h>
#include <spdlog/sinks/base_sink.h>

#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qsanfwd {

/// The agent's own log as structured records (journald's fields, JSON lines) rather than text.

/// What a record is about, beyond its text: the device (a message that starts "NAME: " with
/// the name of a device set_log_devices() gave, as every line about a device does) and the sink
/// (the logger "sink.NAME" of the sink's lane).
struct log_subject {
  std::string_view device;
  std::string_view sink;
};

/// The device names subject_of() recognises; the configuration's, at each load and reload.
void set_log_devices(const std::vector<std::string>& names);
log_subject subject_of(std::string_view logger, std::string_view message);

/// The syslog priority journald files a record of this level under (warn: 4, info: 6, ...).
int journal_priority(spdlog::level::level_enum level);

/// One record in journald's native protocol: MESSAGE, PRIORITY, SYSLOG_IDENTIFIER, LOGGER and,
/// when known, DEVICE and SINK; a value with a newline in the binary form.
std::string journal_datagram(const spdlog::details::log_msg& msg, std::string_view identifier);

/// One record as a JSON object on one line (time, level, logger, message, and device and sink
/// when known), invalid UTF-8 as U+FFFD.
std::string json_log_line(const spdlog::details::log_msg& msg);

/// Whether `fd` is the stream systemd connected to the journal: `journal_stream` (the value of
/// JOURNAL_STREAM, "DEVICE:INODE") names the file `fd` is.
bool is_journal_stream(int fd, const char* journal_stream);

/// Sends each record to journald's socket with its fields. A record the socket does not take
/// (no journald, a record too large for a datagram) is written to `fallback_fd` with a `<N>`
/// priority prefix, which journald's stream reader understands.
class journal_sink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit journal_sink(const std::filesystem::path& socket_path = "/run/systemd/journal/socket",
                        int fallback_fd = 2);
  ~journal_sink() override;
  journal_sink(const journal_sink&) = delete;
  journal_sink& operator=(const journal_sink&) = delete;

 private:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override {}

  int socket_ = -1;
  int fallback_fd_;
};

/// Writes each record as json_log_line() to `fd` (stderr for container log collectors).
class json_log_sink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit json_log_sink(int fd = 2) : fd_(fd) {}

 private:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override {}

  int fd_;
};

}  // namespace qsanfwd
