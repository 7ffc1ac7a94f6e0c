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

/// SIGINT, SIGTERM and SIGHUP left pending in the thread that makes this, and in every thread
/// started after it, for as long as it lives. Without it a stop signal that comes before the
/// command's asio::signal_set exists (or between two of them, across a reload) takes its default
/// action and ends the process without a word: CI saw a SIGTERM sent right after "HTTP API
/// listening" kill the agent with status 143.
class stop_signals_held {
 public:
  stop_signals_held();
  ~stop_signals_held();
  stop_signals_held(const stop_signals_held&) = delete;
  stop_signals_held& operator=(const stop_signals_held&) = delete;
};

/// Lets the held stop signals (and any pending one) in to the calling thread while it lives.
/// Make it after the signal sets that take them, so it is gone before they are.
class stop_signals_let_in {
 public:
  stop_signals_let_in();
  ~stop_signals_let_in();
  stop_signals_let_in(const stop_signals_let_in&) = delete;
  stop_signals_let_in& operator=(const stop_signals_let_in&) = delete;
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
