#include "agent/store/connection_thread.hpp"

namespace qsanfwd {

connection_thread::connection_thread(state_store& store, state_store::checkpoints checkpoints)
    : store_(store.another_connection(checkpoints)), work_(io_.get_executor()) {}

connection_thread::~connection_thread() {
  finish();
}

void connection_thread::start(on_exception escaped) {
  running_ = true;
  thread_ = std::thread([this, escaped = std::move(escaped)] { run(escaped); });
}

void connection_thread::run(const on_exception& escaped) {
  try {
    io_.run();
  } catch (...) {
    running_ = false;
    if (!escaped) {
      throw;  // leaving the thread's function: std::terminate, as documented
    }
    escaped(std::current_exception());
    return;
  }
  running_ = false;
}

void connection_thread::finish() {
  work_.reset();
  if (thread_.joinable()) {
    thread_.join();
  }
}

void connection_thread::abandon() {
  io_.stop();
  finish();
}

}  // namespace qsanfwd
