#include "agent/store/write_thread.hpp"

namespace qsanfwd {

write_thread::write_thread(state_store& store)
    : thread_(store, state_store::checkpoints::as_backstop), queue_(thread_.store()) {
  thread_.start();
}

write_thread::~write_thread() {
  // Before queue_ goes: the work handed over may still be using it.
  thread_.finish();
}

}  // namespace qsanfwd
