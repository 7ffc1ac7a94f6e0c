#pragma once

#include <spdlog/logger.h>

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "sinks/sink.hpp"
#include "sinks/syslog/syslog_options.hpp"

namespace qsanfwd::sinks {

/// Counters of a syslog sink, for status and tests.
struct syslog_sink_counters {
  std::uint64_t messages = 0;   ///< messages written (a retried batch counts again)
  std::uint64_t truncated = 0;  ///< UDP messages cut to max_message_size
  std::uint64_t connects = 0;   ///< connections opened (TCP, TLS) or sockets set up (UDP)
  std::uint64_t stale = 0;      ///< connections found closed by the receiver before a batch
  std::uint64_t failures = 0;   ///< batches answered retry
};

/// Sends each event as one syslog message (`type: "syslog"`): RFC 5424, RFC 3164 or CEF over
/// UDP (one datagram per event, cut at a UTF-8 boundary to max_message_size and counted), TCP or
/// TLS (RFC 5425; the whole batch framed by octet counting or LF in one write, nothing cut).
///
/// The connection opens on the first batch and stays open. Any failure to resolve, connect,
/// handshake or write within `timeout` closes it and answers retry, so the dispatcher sends the
/// whole batch again later (at-least-once). Before each batch on TCP and TLS the socket is
/// polled without waiting: a receiver that closed the connection (restarted) is seen there and
/// the sink reconnects instead of writing into a dead socket.
///
/// Residual window: TCP acknowledges bytes when the receiver's kernel has them, not when the
/// receiver has processed them. Messages the receiver had not processed when it died (taken
/// from the socket but still in its memory, or still in its socket buffer), or written after
/// the poll and before it died, count as delivered and are lost with it. Plain syslog has no
/// application acknowledgement to close this window (RELP has).
class syslog_sink final : public sink {
 public:
  /// Builds the TLS context for tls:// at once: unreadable certificate files throw here, a
  /// start-up error.
  syslog_sink(std::string name, syslog_options options, boost::asio::any_io_executor ex);
  ~syslog_sink() override;
  syslog_sink(const syslog_sink&) = delete;
  syslog_sink& operator=(const syslog_sink&) = delete;

  boost::asio::awaitable<delivery> deliver(std::span<const queued_event> batch) override;
  /// Closes the connection and reloads the TLS files, so a changed certificate takes effect on
  /// the next batch (the old context stays when the new files cannot be read).
  void reopen() override;
  boost::asio::awaitable<void> close() override;
  std::string_view name() const override { return name_; }

  const syslog_sink_counters& counters() const { return counters_; }

 private:
  struct transport;

  boost::asio::awaitable<delivery> send_datagrams();
  boost::asio::awaitable<delivery> send_stream();
  void note_failure(const std::string& reason);
  void note_truncated();
  std::string peer() const;

  std::string name_;
  syslog_options options_;
  std::shared_ptr<spdlog::logger> log_;
  std::unique_ptr<transport> transport_;
  syslog::message_batch messages_;  ///< the batch being sent, formatted
  std::string payload_;             ///< messages_ framed, for TCP and TLS
  syslog_sink_counters counters_;
  bool failing_ = false;
  std::uint64_t truncated_reported_ = 0;
  std::chrono::steady_clock::time_point truncation_warned_{};
};

}  // namespace qsanfwd::sinks
