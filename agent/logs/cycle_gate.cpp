#include "agent/logs/cycle_gate.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <utility>

namespace qsanfwd::logs {
namespace asio = boost::asio;

namespace {

/// One in line: woken by cancelling its timer, with the slot handed over.
struct gate_waiter {
  asio::steady_timer timer;
  bool handed = false;  ///< the slot is its own
  bool taken = false;   ///< and went into its pass
};

}  // namespace

struct cycle_gate::line {
  std::size_t slots = 1;
  std::size_t held = 0;
  std::list<gate_waiter*> waiting;

  void leave() {
    if (waiting.empty()) {
      --held;
      return;
    }
    // The slot goes straight to the first in line: nobody arriving meanwhile takes it.
    auto* next = waiting.front();
    waiting.pop_front();
    next->handed = true;
    next->timer.cancel();
  }
};

namespace {

/// A waiter's place in line for as long as it waits, however the wait ends.
template <typename Line>
class place_in_line {
 public:
  place_in_line(std::shared_ptr<Line> line, gate_waiter& me)
      : line_(std::move(line)), me_(me), place_(line_->waiting.insert(line_->waiting.end(), &me)) {}
  ~place_in_line() {
    if (!me_.handed) {
      line_->waiting.erase(place_);
    } else if (!me_.taken) {
      line_->leave();  // handed a slot, then ended otherwise (its loop destroyed): passed on
    }
  }
  place_in_line(const place_in_line&) = delete;
  place_in_line& operator=(const place_in_line&) = delete;

 private:
  std::shared_ptr<Line> line_;
  gate_waiter& me_;
  std::list<gate_waiter*>::iterator place_;
};

}  // namespace

cycle_gate::pass::~pass() {
  if (gate_) {
    gate_->leave();
  }
}

cycle_gate::cycle_gate(std::size_t slots) : line_(std::make_shared<line>()) {
  line_->slots = std::max<std::size_t>(slots, 1);
}

std::size_t cycle_gate::held() const {
  return line_->held;
}

std::size_t cycle_gate::waiting() const {
  return line_->waiting.size();
}

asio::awaitable<cycle_gate::pass> cycle_gate::enter() {
  // Its own reference: the gate may go while this waits.
  const auto gate = line_;
  if (gate->held < gate->slots && gate->waiting.empty()) {
    ++gate->held;
    co_return pass(gate);
  }
  const auto ex = co_await asio::this_coro::executor;
  gate_waiter me{asio::steady_timer(ex, asio::steady_timer::time_point::max())};
  const place_in_line<line> place(gate, me);
  while (!me.handed) {
    co_await me.timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  me.taken = true;
  co_return pass(gate);
}

}  // namespace qsanfwd::logs
