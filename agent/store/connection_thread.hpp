#pragma once

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <exception>
#include <functional>
#include <memory>
#include <thread>

#include "agent/store/state_store.hpp"

namespace qsanfwd {

/// A thread with an event loop and a connection of its own to the state database
/// (state_store::another_connection): what the write thread and the delivery thread share.
///
/// Until start(), nothing runs on the loop: its owner may still set up what lives on it from
/// the constructing thread. Not copyable, not movable.
class connection_thread {
 public:
  /// Gets what escapes the loop's run(); without one, it ends the process (std::terminate).
  using on_exception = std::function<void(std::exception_ptr)>;

  /// `store` must outlive this object.
  connection_thread(state_store& store, state_store::checkpoints checkpoints);
  /// finish(), if neither finish() nor abandon() was called.
  ~connection_thread();
  connection_thread(const connection_thread&) = delete;
  connection_thread& operator=(const connection_thread&) = delete;

  state_store& store() { return *store_; }
  boost::asio::io_context& io() { return io_; }

  void start(on_exception escaped = {});
  /// Whether the loop is running: false before start() and once run() has returned or thrown.
  bool running() const { return running_; }
  /// Lets the work handed over finish, then joins the thread.
  void finish();
  /// Stops the loop with its work undone (abandoned, as at the end of the agent's own loop),
  /// then joins the thread.
  void abandon();

 private:
  void run(const on_exception& escaped);

  std::unique_ptr<state_store> store_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::atomic<bool> running_{false};
  std::thread thread_;
};

}  // namespace qsanfwd
