#pragma once

#include <boost/asio/awaitable.hpp>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "agent/core/duration.hpp"
#include "agent/core/event.hpp"
#include "agent/core/queued_event.hpp"

namespace qsanfwd::sinks {

/// A sink's answer for a batch, or for one event of it.
enum class outcome {
  delivered,  ///< durable at the destination (as far as the sink can tell)
  retry,      ///< may work later: connection refused, timeout, 408, 429, 5xx, a full disk
  rejected,   ///< will never work: the destination refuses these events (e.g. 400)
};

/// What a sink reports for a batch (Fluent Bit's OK / RETRY / ERROR).
struct delivery {
  outcome result = outcome::delivered;
  std::string reason;                   ///< for retry and rejected: fit for a log line, no secret
  std::optional<duration> retry_after;  ///< for retry: the destination asked for this wait
  /// For destinations that answer per event (Elasticsearch bulk): one outcome per event of the
  /// batch, in order, and `result` is ignored. The events up to the first `retry` are settled
  /// (rejected ones go to the dead-letter file); the rest is retried as a batch.
  std::vector<outcome> per_event = {};

  static delivery delivered() { return {}; }
  static delivery retry(std::string why, std::optional<duration> after = std::nullopt) {
    return {outcome::retry, std::move(why), after};
  }
  static delivery rejected(std::string why) { return {outcome::rejected, std::move(why), {}}; }
};

/// A measurement of a sink's own, for /metrics as `qsanfwd_sink_<name>{sink="..."}`: what the
/// destination's client knows and the dispatcher does not (a Kafka producer's queue depth).
struct sink_gauge {
  std::string name;  ///< after `qsanfwd_sink_`: [a-z0-9_]+
  std::string help;
  double value = 0;
  bool counter = false;  ///< a total since start (named *_total), else a gauge
};

/// A destination for events. The dispatcher calls one sink from one coroutine at a time, on
/// the agent's single io_context thread: deliver() is never called again before the previous
/// call has finished.
///
/// A sink never sleeps or loops on retries (the dispatcher owns backoff) and never throws for a
/// run-time failure: it answers retry or rejected. It must honour the cancellation of the
/// awaiting coroutine (the shutdown timeout cancels a delivery in flight).
class sink {
 public:
  virtual ~sink() = default;

  /// Sends `batch` (never empty, in queue order). The span is valid until the call finishes.
  virtual boost::asio::awaitable<delivery> deliver(std::span<const queued_event> batch) = 0;
  /// Reopens files or connections (SIGHUP), so logrotate and changed certificates take effect.
  virtual void reopen() {}
  /// Flushes and closes; called once, when the dispatcher stops or a reload removes or changes
  /// the sink.
  virtual boost::asio::awaitable<void> close() { co_return; }
  /// The sink's name from the configuration.
  virtual std::string_view name() const = 0;
  /// The sink's own measurements, read on the thread the sink runs on (the dispatcher copies
  /// them into its status); none for most sinks.
  virtual std::vector<sink_gauge> gauges() const { return {}; }

  /// Takes the agent events a sink makes of its own (the file sink's `archive_seal`).
  using reporter = std::function<void(const event&)>;
  /// Where report() sends them: the dispatcher queues each in the state store, routed like any
  /// event. Without one they go nowhere.
  void report_to(reporter to) { report_ = std::move(to); }

 protected:
  /// Hands `e` to the reporter, at once (on the sink's thread).
  void report(const event& e) const {
    if (report_) {
      report_(e);
    }
  }

 private:
  reporter report_;
};

}  // namespace qsanfwd::sinks
