#include "agent/store/write_thread.hpp"

namespace qsanfwd {

write_thread::write_thread(state_store& store)
    : store_(store.another_connection(state_store::checkpoints::as_backstop)),
      queue_(*store_),
      work_(io_.get_executor()),
      thread_([this] { io_.run(); }) {}

write_thread::~write_thread() {
  work_.reset();
  thread_.join();
}

}  // namespace qsanfwd
