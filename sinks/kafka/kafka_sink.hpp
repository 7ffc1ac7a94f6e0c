#pragma once

#include <librdkafka/rdkafka.h>
#include <spdlog/logger.h>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "sinks/kafka/kafka_options.hpp"
#include "sinks/sink.hpp"

namespace qsanfwd::sinks {

/// What librdkafka's statistics said last, for /metrics and tests.
struct kafka_stats {
  double queued_messages = 0;  ///< msg_cnt: produced, not yet acknowledged or failed
  double rtt_avg_seconds = 0;  ///< the brokers' average request round trip, the largest of them
  double retries = 0;          ///< txretries summed over the brokers, since start
  std::uint64_t reports = 0;   ///< statistics received
};

/// Produces events to Kafka (`type: "kafka"`) through librdkafka, one message per event.
///
/// A batch is produced whole, then deliver() waits for every message's delivery report without
/// blocking the thread: librdkafka writes a byte to a pipe when its main queue has something,
/// and a read on that pipe (on the sink's executor) serves the queue, so delivery reports, log
/// lines and statistics all run on the sink's thread. An event is delivered only when the broker
/// acknowledged it (acks all and idempotence by default); a message too large, an invalid one
/// or a topic that does not exist are rejected with the reason (to the dead letter); anything
/// else (broker down, leader moved, timed out after `timeout`) retries. A message's report never
/// outlives deliver(): on cancellation or when reports are overdue, messages still queued or in
/// flight are purged (one may still have reached the broker: at-least-once, by the same `id`).
class kafka_sink final : public sink {
 public:
  /// Creates the producer: a configuration librdkafka refuses throws (a start-up error).
  kafka_sink(std::string name, kafka_options options, const config::batch_options& batch,
             boost::asio::any_io_executor ex);
  ~kafka_sink() override;
  kafka_sink(const kafka_sink&) = delete;
  kafka_sink& operator=(const kafka_sink&) = delete;

  boost::asio::awaitable<delivery> deliver(std::span<const queued_event> batch) override;
  /// Flushes what is still queued, for at most the options' timeout.
  boost::asio::awaitable<void> close() override;
  std::string_view name() const override { return name_; }
  std::vector<sink_gauge> gauges() const override;

  const kafka_stats& stats() const { return stats_; }

 private:
  struct handle_deleter {
    void operator()(rd_kafka_t* rk) const;
  };
  /// The batch whose reports are awaited.
  struct in_flight {
    std::uint32_t generation = 0;
    std::vector<outcome> outcomes;
    std::vector<bool> reported;
    std::size_t pending = 0;
    std::string reason;  ///< of the first rejected event, else of the first retry
    bool reason_rejects = false;
  };

  void make_producer();
  void drop_producer();
  void produce(std::span<const queued_event> batch);
  rd_kafka_resp_err_t produce_one(const queued_event& e, std::size_t index, std::string& why);
  boost::asio::awaitable<bool> wait_for_reports(duration bound);
  void settle(std::size_t index, rd_kafka_resp_err_t err, std::string_view why);
  void purge();
  void watch();
  void serve();
  void on_delivery(const rd_kafka_message_t& m);
  void on_stats(std::string_view json);

  static void delivery_cb(rd_kafka_t* rk, const rd_kafka_message_t* m, void* opaque);
  static void log_cb(const rd_kafka_t* rk, int level, const char* facility, const char* text);
  static void error_cb(rd_kafka_t* rk, int err, const char* reason, void* opaque);
  static int stats_cb(rd_kafka_t* rk, char* json, size_t size, void* opaque);

  std::string name_;
  kafka_options options_;
  config::batch_options batch_;
  std::shared_ptr<spdlog::logger> log_;
  std::unique_ptr<rd_kafka_t, handle_deleter> rk_;
  boost::asio::posix::stream_descriptor wake_;  ///< the pipe's read end
  int wake_write_ = -1;                         ///< its write end, librdkafka's
  boost::asio::steady_timer done_;              ///< cancelled when the last report came
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  in_flight flight_;
  std::vector<char> scratch_ = std::vector<char>(64);
  kafka_stats stats_;
  std::string topic_;    ///< the rendered topic, reused
  std::string payload_;  ///< the encoded message, reused
};

}  // namespace qsanfwd::sinks
