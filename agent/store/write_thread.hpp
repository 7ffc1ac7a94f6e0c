#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <type_traits>

#include "agent/store/connection_thread.hpp"
#include "agent/store/event_queue.hpp"
#include "agent/store/state_store.hpp"

namespace qsanfwd {

/// Collection's page commits on a thread of their own, with a connection of their own to the
/// state database (state_store::another_connection) and the event queue on it.
///
/// Why a thread: storing a page of logs (dedup, an event per line and its JSON, the commit)
/// costs about as much as fetching and parsing it. On the agent's event loop the two took turns
/// and the array's next page waited in the socket while this one was stored; with this thread
/// the loop receives and parses page N+1 while page N is stored.
///
/// Work runs one piece at a time, in the order handed over. Not copyable, not movable.
class write_thread {
 public:
  /// `store` must outlive this object.
  explicit write_thread(state_store& store);
  /// Finishes the work handed over already, then joins the thread.
  ~write_thread();
  write_thread(const write_thread&) = delete;
  write_thread& operator=(const write_thread&) = delete;

  /// Runs `work(store, queue)` on this thread with its connection and queue. The calling
  /// coroutine resumes on its own executor with what `work` returned, or with what it threw.
  /// `work` may refer to the caller's locals: the caller is suspended until it is done.
  template <typename Work>
  boost::asio::awaitable<std::invoke_result_t<Work&, state_store&, event_queue&>> run(Work work) {
    using result_type = std::invoke_result_t<Work&, state_store&, event_queue&>;
    auto job = [this, &work]() -> boost::asio::awaitable<result_type> {
      co_return work(thread_.store(), queue_);
    };
    // Named, not a temporary inside co_await: GCC 12 destroys such temporaries twice.
    auto done = boost::asio::co_spawn(thread_.io(), std::move(job), boost::asio::use_awaitable);
    co_return co_await std::move(done);
  }

 private:
  connection_thread thread_;
  event_queue queue_;
};

}  // namespace qsanfwd
