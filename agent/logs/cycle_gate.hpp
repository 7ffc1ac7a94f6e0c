#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <list>
#include <memory>

namespace qsanfwd::logs {

/// At most `slots` log cycles of a fleet at once; the others wait in line, first come first
/// served. A cycle holds a page or two (the one being stored and the next one asked for) from
/// the array's answer until its lines are stored: arrays draining their backlogs together held
/// all their pages waiting for the one write thread (9,000 arrays: 327 MiB ten seconds after
/// start; 1,000 arrays: 62 MiB, 49 MiB through a gate of 64, their first round as fast). A cycle
/// alone never waits.
///
/// For the coroutines of one thread (the collection thread): not thread-safe. Passes and waits
/// may outlive the gate (frames destroyed with their io_context).
class cycle_gate {
  struct line;

 public:
  /// A held slot, given to the next in line when it goes.
  class pass {
   public:
    pass(pass&& other) noexcept = default;
    pass& operator=(pass&&) = delete;
    pass(const pass&) = delete;
    pass& operator=(const pass&) = delete;
    ~pass();

   private:
    friend class cycle_gate;
    explicit pass(std::shared_ptr<line> gate) : gate_(std::move(gate)) {}
    std::shared_ptr<line> gate_;
  };

  /// `slots` at least 1.
  explicit cycle_gate(std::size_t slots);

  /// A slot, once one is free and those in line before have theirs.
  boost::asio::awaitable<pass> enter();

  std::size_t held() const;
  std::size_t waiting() const;

 private:
  std::shared_ptr<line> line_;
};

}  // namespace qsanfwd::logs
