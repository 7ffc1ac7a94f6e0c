#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "agent/app/metrics_endpoint.hpp"
#include "agent/ops/http_api.hpp"
#include "agent/store/event_queue.hpp"
#include "config/config.hpp"

namespace qsanfwd::app {

/// The totals the rates of /api/status are computed from, as they were at `at`.
struct status_totals {
  double at = 0;                                               ///< seconds on a steady clock
  std::map<std::string, std::uint64_t, std::less<>> lines;     ///< device -> log lines queued
  std::map<std::string, std::int64_t, std::less<>> delivered;  ///< sink -> events delivered
};

status_totals totals_of(const agent_snapshot& s, double at);

/// The samples rates are computed against: at most one a second, the oldest dropped once a
/// newer one is at least `span` old. Rates then cover the last 5 to 6 seconds whoever asks
/// (the page every 3 s, `top` every second), so every reader sees the same numbers.
class rate_window {
 public:
  static constexpr double span = 5;

  /// The sample to compare with at `at`; null when there is none.
  const status_totals* base() const;
  void add(status_totals t);

 private:
  std::deque<status_totals> kept_;
};

/// Per sink, what the snapshot does not say.
struct sink_extra {
  std::string type;                    ///< the configuration's `type`
  std::optional<std::int64_t> oldest;  ///< timestamp of its oldest undelivered event
};

/// What /api/status is built from besides the snapshot.
struct status_context {
  std::int64_t started_at = 0;            ///< unix seconds, this process's start
  std::vector<sink_extra> sinks;          ///< in the order of the snapshot's sinks
  double at = 0;                          ///< the snapshot's time on the clock of status_totals
  const status_totals* before = nullptr;  ///< rates are 0 without it
};

/// The JSON of GET /api/status (the contract is in README.md, "Status page"): a pure function,
/// every string escaped per RFC 8259 (invalid UTF-8 becomes U+FFFD).
std::string status_json(const agent_snapshot& s, const status_context& c);

/// GET /api/status of a running agent: keeps the samples for the rates between requests.
class status_endpoint {
 public:
  explicit status_endpoint(std::int64_t started_at) : started_at_(started_at) {}

  /// Takes a first sample, so that the first request has rates too.
  void prime(const agent_snapshot& s);
  /// `sinks`: the running configuration's, for their types.
  ops::reply reply(const agent_snapshot& s, const std::vector<config::sink_config>& sinks,
                   event_queue& queue);

 private:
  std::int64_t started_at_;
  rate_window window_;
};

}  // namespace qsanfwd::app
