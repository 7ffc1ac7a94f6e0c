#pragma once

#include <spdlog/logger.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "sinks/sink.hpp"
#include "sinks/stdout/stdout_options.hpp"
#include "sinks/syslog/syslog_format.hpp"

namespace qsanfwd::sinks {

/// Counters of a stdout sink, for status and tests.
struct stdout_sink_counters {
  std::uint64_t lines = 0;
  std::uint64_t write_failures = 0;
};

/// Writes each event as one line to standard output (`type: "stdout"`), for a container's log
/// collector or a look at what the agent forwards: the canonical JSON, or an RFC 5424, RFC 3164
/// or CEF message with LF, CR and NUL inside written `\n`, `\r` and `\0` (the syslog sink's
/// `lf` framing).
///
/// The agent's own log goes to standard error. Lines are written whole, in writes of at most
/// PIPE_BUF (4 KiB) bytes where they fit, so that even when stdout and stderr are one pipe or
/// socket (`2>&1`, the journal) a log line never lands inside an event's line. A reader that
/// stops reading is waited for at most `stall` (1 s): the lines written are delivered, the rest
/// is a retry. A closed reader (EPIPE) is a retry naming it; SIGPIPE is blocked on the writing
/// thread during the write, so it never ends the agent. The writes are done in place: deliver()
/// finishes without suspending.
class stdout_sink final : public sink {
 public:
  /// `fd` is standard output but for tests.
  stdout_sink(std::string name, stdout_options options, int fd = 1,
              std::chrono::milliseconds stall = std::chrono::seconds(1));

  boost::asio::awaitable<delivery> deliver(std::span<const queued_event> batch) override;
  std::string_view name() const override { return name_; }

  const stdout_sink_counters& counters() const { return counters_; }

 private:
  /// What writing the lines got to.
  struct written {
    std::size_t lines = 0;
    std::optional<std::string> error;
  };

  delivery write_batch(std::span<const queued_event> batch);
  /// The batch's lines into text_; false (with the answer) when an event cannot be read.
  std::optional<delivery> build_lines(std::span<const queued_event> batch);
  written write_lines();
  /// Writes all of `chunk` by `deadline`; returns why not.
  std::optional<std::string> write_chunk(std::string_view chunk,
                                         std::chrono::steady_clock::time_point deadline);
  delivery answer(const written& w, std::size_t size);

  std::string name_;
  stdout_options options_;
  int fd_;
  std::chrono::milliseconds stall_;
  std::shared_ptr<spdlog::logger> log_;
  syslog::message_batch messages_;
  std::string text_;  ///< the batch's lines, kept from batch to batch
  bool failing_ = false;
  stdout_sink_counters counters_;
};

}  // namespace qsanfwd::sinks
