#include "agent/pipeline/delivery_thread.hpp"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>

namespace qsanfwd::pipeline {
namespace asio = boost::asio;

delivery_thread::delivery_thread(asio::any_io_executor agent, state_store& store,
                                 const std::vector<config::sink_config>& sinks)
    : delivery_thread(std::move(agent), store, [&sinks](const asio::any_io_executor& ex) {
        return make_routes(ex, sinks);
      }) {}

delivery_thread::delivery_thread(asio::any_io_executor agent, state_store& store,
                                 const route_builder& build)
    : agent_(std::move(agent)),
      thread_(store, state_store::checkpoints::early),
      dispatcher_(thread_.io().get_executor(), thread_.store(),
                  build(thread_.io().get_executor())) {}

delivery_thread::~delivery_thread() {
  // Before dispatcher_ goes. A sink that ignored cancellation may still have work queued: it is
  // abandoned, as at the end of the agent's own event loop.
  thread_.abandon();
}

void delivery_thread::start() {
  // The thread is not running yet: the dispatcher is still ours to call.
  dispatcher_.start();
  room_ = dispatcher_.has_room();
  last_status_ = dispatcher_.status();
  // The same fate as an exception escaping the agent's own event loop.
  thread_.start([agent = agent_](std::exception_ptr e) {
    asio::post(agent, [e] { std::rethrow_exception(e); });
  });
}

void delivery_thread::notify_appended() {
  // Appends come in bursts (a page per device): one pending notification covers them all.
  if (notify_pending_.exchange(true)) {
    return;
  }
  asio::post(thread_.io(), [this] {
    notify_pending_ = false;
    room_ = dispatcher_.notify_appended();
  });
}

asio::awaitable<void> delivery_thread::wait_for_room() {
  if (room_) {
    co_return;
  }
  auto wait = [this]() -> asio::awaitable<void> {
    co_await dispatcher_.wait_for_room();
    room_ = dispatcher_.has_room();
  };
  co_await asio::co_spawn(thread_.io(), wait(), asio::use_awaitable);
}

void delivery_thread::reopen() {
  asio::post(thread_.io(), [this] { dispatcher_.reopen(); });
}

asio::awaitable<bool> delivery_thread::rewind(std::string sink) {
  // Not a lambda coroutine: GCC 12 destroys its captures twice.
  co_return co_await asio::co_spawn(thread_.io(), rewind_here(std::move(sink)),
                                    asio::use_awaitable);
}

asio::awaitable<bool> delivery_thread::rewind_here(std::string sink) {
  co_return dispatcher_.rewind(sink);
}

asio::awaitable<std::vector<sink_status>> delivery_thread::reconfigure(
    std::vector<config::sink_config> next, config::block_changes changes,
    duration shutdown_timeout) {
  co_return co_await asio::co_spawn(
      thread_.io(), reconfigure_here(std::move(next), std::move(changes), shutdown_timeout),
      asio::use_awaitable);
}

asio::awaitable<std::vector<sink_status>> delivery_thread::reconfigure_here(
    std::vector<config::sink_config> next, config::block_changes changes,
    duration shutdown_timeout) {
  const auto named = [](const std::vector<std::string>& names, const std::string& name) {
    return std::find(names.begin(), names.end(), name) != names.end();
  };
  std::vector<config::sink_config> starting;
  for (const auto& c : next) {
    if (named(changes.added, c.name) || named(changes.changed, c.name)) {
      starting.push_back(c);
    }
  }
  // Built first: a sink that cannot start (an unreadable certificate) leaves the others as
  // they were.
  auto routes = make_routes(thread_.io().get_executor(), starting);
  auto stopping = changes.removed;
  stopping.insert(stopping.end(), changes.changed.begin(), changes.changed.end());
  auto ended = co_await dispatcher_.remove(std::move(stopping), shutdown_timeout);
  for (const auto& name : changes.removed) {
    dispatcher_.forget(name);
  }
  for (auto& r : routes) {
    dispatcher_.add(std::move(r));
  }
  if (!next.empty()) {
    dispatcher_.set_device_fields(next.front().shape.devices);
  }
  co_return ended;
}

asio::awaitable<void> delivery_thread::stop(duration shutdown_timeout) {
  if (thread_.running()) {
    auto stopping = dispatcher_.stop(shutdown_timeout);
    co_await asio::co_spawn(thread_.io(), std::move(stopping), asio::use_awaitable);
  }
  thread_.abandon();
}

std::vector<sink_status> delivery_thread::status() {
  if (!thread_.running()) {
    return dispatcher_.status();
  }
  std::unique_lock lock(status_mutex_);
  const auto asked = status_count_;
  asio::post(thread_.io(), [this] {
    auto taken = dispatcher_.status();
    const std::lock_guard guard(status_mutex_);
    last_status_ = std::move(taken);
    ++status_count_;
    status_taken_.notify_all();
  });
  status_taken_.wait_for(lock, status_wait, [&] { return status_count_ != asked; });
  return last_status_;
}

}  // namespace qsanfwd::pipeline
