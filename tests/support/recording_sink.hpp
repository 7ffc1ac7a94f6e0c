#pragma once

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "sinks/sink.hpp"

namespace qsanfwd::test {

/// A sink for tests: answers from a script first (e.g. retry three times), then delivers,
/// recording every event it delivered and every batch it was offered. Set `dead` to answer
/// retry forever; give it an executor and a `delay` to take that long per batch.
class recording_sink : public sinks::sink {
 public:
  explicit recording_sink(std::string name, std::optional<boost::asio::any_io_executor> ex = {})
      : name_(std::move(name)), ex_(std::move(ex)) {}

  boost::asio::awaitable<sinks::delivery> deliver(std::span<const queued_event> batch) override {
    ++calls;
    batch_sizes.push_back(batch.size());
    if (on_offer) {
      on_offer(batch);
    }
    if (ex_ && delay.count() > 0) {
      boost::asio::steady_timer t(*ex_, delay);
      co_await t.async_wait(boost::asio::use_awaitable);
    }
    if (dead) {
      co_return sinks::delivery::retry("dead on purpose");
    }
    auto answer = sinks::delivery::delivered();
    if (!script.empty()) {
      answer = script.front();
      script.pop_front();
    }
    const bool per_event = answer.per_event.size() == batch.size();
    for (std::size_t i = 0; i < batch.size(); ++i) {
      const auto o = per_event ? answer.per_event[i] : answer.result;
      if (o == sinks::outcome::delivered) {
        seqs.push_back(batch[i].seq);
        messages.push_back(batch[i].fields().message);
      }
    }
    co_return answer;
  }

  void reopen() override { ++reopens; }
  std::string_view name() const override { return name_; }

  /// Answers retry `n` times before delivering.
  void fail_times(int n) {
    for (int i = 0; i < n; ++i) {
      script.push_back(sinks::delivery::retry("failing on purpose"));
    }
  }

  std::deque<sinks::delivery> script;
  bool dead = false;
  std::function<void(std::span<const queued_event>)> on_offer;  ///< called with each batch
  std::chrono::milliseconds delay{0};
  int calls = 0;
  int reopens = 0;
  std::vector<std::size_t> batch_sizes;
  std::vector<std::int64_t> seqs;     ///< delivered, in order
  std::vector<std::string> messages;  ///< of the delivered events, in order

 private:
  std::string name_;
  std::optional<boost::asio::any_io_executor> ex_;
};

}  // namespace qsanfwd::test
