#pragma once

#include <spdlog/logger.h>

#include <boost/asio/any_io_executor.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "agent/net/http_connection.hpp"
#include "sinks/http/formats.hpp"
#include "sinks/http/http_options.hpp"
#include "sinks/sink.hpp"

namespace qsanfwd::sinks {

/// Counters of an HTTP sink, for status and tests.
struct http_sink_counters {
  std::uint64_t requests = 0;    ///< requests answered (any status)
  std::uint64_t bytes_sent = 0;  ///< request bodies, as sent (compressed when gzip)
  std::uint64_t retried = 0;     ///< requests answered retry, or that failed in transport
  std::uint64_t rejected = 0;    ///< events rejected
  std::uint64_t transport_failures = 0;
};

/// Sends batches of events as JSON over HTTP(S) (`type: "http"`), in one of the formats of
/// formats.hpp, over one keep-alive connection that is reopened when the peer closes it.
///
/// A request body never exceeds `max_bytes` (before compression): a batch whose body is larger
/// goes as several requests, in order; an event whose body alone is larger is rejected (to the
/// dead letter) with a reason saying so, since the destination would refuse it too. When the
/// requests of one batch end differently the answer is per event: the events of requests
/// before the first retry are settled, the rest retried, so nothing is lost or sent twice
/// beyond what a retry of one request sends again.
///
/// Status: 2xx delivered (Elasticsearch: item by item, 409 counting as delivered); 408, 429 and
/// 5xx but 501 retry, with the wait of `Retry-After`; any other status rejects the request's
/// events with the status and the start of the answer's body as the reason (401 and 404 say
/// what to check). Transport failures retry. Secrets go on the wire only.
class http_sink final : public sink {
 public:
  /// Builds the TLS context at once: an unreadable certificate file throws (a start-up error).
  http_sink(std::string name, http_options options, std::size_t max_bytes,
            boost::asio::any_io_executor ex);
  ~http_sink() override;
  http_sink(const http_sink&) = delete;
  http_sink& operator=(const http_sink&) = delete;

  boost::asio::awaitable<delivery> deliver(std::span<const queued_event> batch) override;
  /// A new connection and TLS context from the next batch on (changed certificates take
  /// effect); a request in flight finishes on the old one.
  void reopen() override;
  boost::asio::awaitable<void> close() override;
  std::string_view name() const override { return name_; }

  const http_sink_counters& counters() const { return counters_; }

 private:
  /// The outcome of one request, one entry per event of its piece.
  struct piece_result {
    std::vector<outcome> outcomes;
    std::string reason;
    std::optional<duration> retry_after;
  };

  boost::asio::awaitable<piece_result> send(const request_piece& piece);
  piece_result answer(const request_piece& piece, const net::http_reply& reply);
  std::unique_ptr<net::http_connection> connect();

  std::string name_;
  http_options options_;
  std::size_t max_bytes_;
  boost::asio::any_io_executor ex_;
  net::request_headers headers_;
  std::unique_ptr<net::http_connection> connection_;
  std::shared_ptr<spdlog::logger> log_;
  bool reopen_requested_ = false;
  bool failing_ = false;
  http_sink_counters counters_;
};

}  // namespace qsanfwd::sinks
