#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <exception>
#include <memory>
#include <optional>

#include "agent/app/commands.hpp"
#include "agent/store/state_store.hpp"
#include "config/config.hpp"

namespace qsanfwd::app {

// What several commands share: loading the config, opening the store beside a running agent,
// and running one coroutine to its end.

/// Loads the config and sets up logging; prints the error and returns nullopt when either fails.
std::optional<config::agent_config> load_config(const common_options& opts);

/// Sets the agent's own log as `cfg` says (level, unless --log-level overrides it; format; the
/// device names its records are tagged with). False for an unknown level, which it prints.
bool apply_logging(const config::agent_config& cfg, const common_options& opts);

/// The state store for a command run beside the daemon: writable when no agent runs, else a
/// read-only view (so the stored refresh token is still used, and no new one is made).
std::unique_ptr<state_store> open_store_shared(const config::agent_config& cfg);

/// The open files the agent wants for `cfg`: one keep-alive connection per device, a few per
/// sink, and a few dozen for the store, the HTTP API and the event loop.
std::uint64_t descriptors_needed(const config::agent_config& cfg);

/// The soft RLIMIT_NOFILE raised to the hard one (an unprivileged process may); returns the
/// limit now in force, or none when it is unlimited or cannot be read.
std::optional<std::uint64_t> raise_descriptor_limit();

/// Whether SIGINT, SIGTERM and SIGHUP reach the calling thread: `held` leaves them pending
/// there (and in every thread started after) while it lives, and lets them in again after;
/// `let_in` does the reverse. A stop signal that comes before the command's asio::signal_set
/// exists (or between two of them, across a reload) would otherwise take its default action and
/// end the process without a word: CI saw a SIGTERM sent right after "HTTP API listening" kill
/// the agent with status 143. Hold them first thing; let them in after the signal sets exist,
/// so the let-in ends before the sets do.
class stop_signals {
 public:
  enum mode { held, let_in };
  explicit stop_signals(mode m);
  ~stop_signals();
  stop_signals(const stop_signals&) = delete;
  stop_signals& operator=(const stop_signals&) = delete;

 private:
  mode mode_;
};

/// Runs `work` on `io` until it finishes; rethrows what it threw.
template <typename T>
T run_blocking(boost::asio::io_context& io, boost::asio::awaitable<T> work) {
  std::optional<T> out;
  std::exception_ptr error;
  boost::asio::co_spawn(io, std::move(work), [&](std::exception_ptr e, T value) {
    error = e;
    if (!e) {
      out = std::move(value);
    }
  });
  io.run();
  io.restart();
  if (error) {
    std::rethrow_exception(error);
  }
  return std::move(*out);
}

}  // namespace qsanfwd::app
