#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "agent/app/collector.hpp"
#include "agent/ops/http_api.hpp"
#include "agent/ops/process_stats.hpp"
#include "agent/pipeline/delivery_thread.hpp"
#include "agent/store/alarms.hpp"
#include "agent/store/event_queue.hpp"

namespace qsanfwd::app {

/// Everything /metrics and /healthz report, gathered on the io thread at request time.
struct agent_snapshot {
  std::vector<device_metrics> devices;
  std::vector<pipeline::sink_status> sinks;
  std::vector<queue_span> sink_backlog;  ///< per sink, in the order of `sinks`
  queue_totals queue;
  std::int64_t now = 0;  ///< unix seconds
  std::optional<ops::proc_sample> process;  ///< this process, as /proc says
  std::uint64_t max_fds = 0;                ///< its soft RLIMIT_NOFILE
  std::vector<open_alarm> alarms;           ///< of the devices and sinks above
};

/// The counters of the devices and sinks that ran before in this process: a device or a sink
/// a reload stopped and started again, or every one at a reload that restarts everything.
/// /metrics adds them to the running ones' by name, so a counter does not go back while the
/// process runs. The sinks' delivery counters need none of this: the state store keeps them
/// with the cursors.
class carried_counters {
 public:
  void keep(const device_metrics& ended);
  void keep(const pipeline::sink_status& ended);
  /// Adds what was kept to the devices and sinks of `s` of the same names.
  void add_to(agent_snapshot& s) const;

 private:
  std::map<std::string, device_metrics, std::less<>> devices_;
  std::map<std::string, pipeline::sink_status, std::less<>> sinks_;
};

/// Reads the snapshot from the running agent, with the counters carried from before.
agent_snapshot take_snapshot(collector& agent, pipeline::delivery_thread& delivery,
                             event_queue& queue, const carried_counters& carried);

/// /metrics: Prometheus text, every name `qsanfwd_*` with HELP and TYPE.
ops::reply metrics_reply(const agent_snapshot& s);

/// /healthz: 200 when every device answers and polls and every sink delivers; 503 otherwise,
/// with a JSON body naming each problem.
ops::reply healthz_reply(const agent_snapshot& s);

}  // namespace qsanfwd::app
