#pragma once

// The fleet benchmark's simulated arrays, served by child processes of the benchmark itself.
//
// Each array costs two descriptors where it is served (its listener and the agent's connection),
// and this VM's hard RLIMIT_NOFILE (20,000) cannot be raised: one process cannot serve 10,000
// arrays. So the benchmark runs itself again in a hidden mode, `serve-arrays`, once per slice of
// at most `per_process` arrays. A child reports its ports on stdout when it listens, answers
// "stats" with what each of its arrays saw, and ends on "stop" or when its stdin closes; it dies
// with the benchmark (PR_SET_PDEATHSIG), so none outlives it however the benchmark ends.

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace qsanfwd::bench_fleet {

/// What a `serve-arrays` child serves: arrays first .. first + count - 1 of the fleet.
struct serve_options {
  std::size_t first = 0;
  std::size_t count = 0;
  std::size_t backlog = 50;  ///< log lines each array holds at start
  double live_rate = 0.3;    ///< new lines per second per array
  std::string cert_file;     ///< with key_file: every array speaks HTTPS
  std::string key_file;
  pid_t parent = 0;  ///< the benchmark; the child ends at once if it is already gone
};

/// The hidden mode's body: serves the arrays until stdin says "stop" or ends. Returns the exit
/// status; throws when an array cannot start.
int serve_arrays(const serve_options& o);

/// What one array has seen since it started.
struct array_stats {
  std::uint64_t log_requests = 0;     ///< GET /rest/v1/log/list
  std::uint64_t health_requests = 0;  ///< GET /rest/v1/storage/disk/list: one per health poll
  std::uint64_t logins = 0;
  std::uint64_t log_lines = 0;  ///< lines the array holds now
};

/// The fleet's arrays, split over child processes; stopped (and the children reaped) on
/// destruction. Every call that waits gives up when `interrupted` turns true.
class sim_processes {
 public:
  /// `self`: this benchmark's binary. `fleet.first` and `fleet.count` span the whole fleet.
  /// Throws when a child cannot start or does not report its ports.
  sim_processes(const std::filesystem::path& self, const serve_options& fleet,
                std::size_t per_process, const std::atomic<bool>& interrupted);
  ~sim_processes();
  sim_processes(const sim_processes&) = delete;
  sim_processes& operator=(const sim_processes&) = delete;

  /// The arrays' ports, in array order.
  const std::vector<std::uint16_t>& ports() const { return ports_; }
  std::size_t processes() const { return children_.size(); }
  /// Every array's counters, in array order. Throws when a child does not answer.
  std::vector<array_stats> stats();
  /// The children's CPU time so far (user + system, all threads), summed.
  double cpu_seconds() const;
  /// Asks each child to stop, waits a few seconds, then kills what is left. Idempotent.
  void stop();

 private:
  struct child {
    pid_t pid = -1;
    int to_child = -1;
    int from_child = -1;
    std::string pending;  ///< read but not yet a whole line
    std::size_t count = 0;
  };

  void spawn(const std::filesystem::path& self, const serve_options& slice);
  std::string read_line(child& c, std::chrono::steady_clock::time_point deadline);
  void send(child& c, std::string_view text);

  const std::atomic<bool>& interrupted_;
  std::vector<child> children_;
  std::vector<std::uint16_t> ports_;
};

}  // namespace qsanfwd::bench_fleet
