#pragma once

#include <optional>
#include <string>

#include "config/shard.hpp"

namespace qsanfwd::app {

/// What every subcommand that reads a config file takes from the command line.
struct common_options {
  std::string config_file;
  std::optional<std::string> log_level;     ///< overrides the config's log_level
  std::optional<config::shard_spec> shard;  ///< `--shard i/n`: overrides the config's shard
};

/// `qsanfwd run`: the daemon. Returns when SIGTERM or SIGINT arrive, or on a fatal error.
int run_command(const common_options& opts);

/// `qsanfwd check-config`: validates, prints the effective config with secrets masked.
int check_config_command(const common_options& opts);

/// `qsanfwd test-connection`: logs in to each device (or only `device`), reads a page of logs and
/// the health endpoints, prints a summary per device. Fails with the reason.
int test_connection_command(const common_options& opts, const std::string& device);

/// What `qsanfwd replay` is asked: a range of a device's log (`device`, `from`, `to`) or what
/// is still queued (`from_queue`), for one sink.
struct replay_options {
  std::string sink;
  bool from_queue = false;
  std::string device;
  std::string from;  ///< as typed: unix seconds or RFC 3339
  std::string to;    ///< empty: now
};

/// `qsanfwd replay`: asks the agent (running, or when it next starts) to send a sink again a
/// range of a device's log, read from the array, or every event still queued.
int replay_command(const common_options& opts, const replay_options& replay);

/// `qsanfwd logout --device NAME`: revokes the device's refresh token on the array and forgets it.
int logout_command(const common_options& opts, const std::string& device);

/// What `qsanfwd top` is asked: where the agent's HTTP API is (`url`, else the config's
/// http_api.listen), how often to read it, and whether to print one frame and exit.
struct top_options {
  std::string url;
  std::string interval = "2s";
  bool once = false;
};

/// `qsanfwd top`: a live terminal view of a running agent (its GET /api/status): open alarms,
/// then each device and sink with rates, trouble first. Quits on q. With `once`, or when stdout
/// is not a terminal, prints one frame as text and exits (1 when the agent cannot be reached).
int top_command(const common_options& opts, const top_options& top);

}  // namespace qsanfwd::app
