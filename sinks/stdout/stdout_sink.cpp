#include "sinks/stdout/stdout_sink.hpp"

#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "agent/core/logging.hpp"

namespace qsanfwd::sinks {
namespace {

using clock = std::chrono::steady_clock;

/// SIGPIPE blocked on this thread while it lives: a write to a closed pipe then fails with
/// EPIPE instead of ending the process (the signal's default), and the agent's own handling of
/// signals is left as it is.
class sigpipe_blocked {
 public:
  sigpipe_blocked() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_, &before_);
  }
  ~sigpipe_blocked() { pthread_sigmask(SIG_SETMASK, &before_, nullptr); }
  sigpipe_blocked(const sigpipe_blocked&) = delete;
  sigpipe_blocked& operator=(const sigpipe_blocked&) = delete;

  /// Takes away the SIGPIPE an EPIPE left pending, so unblocking does not deliver it.
  void discard_pending() {
    const timespec now{};
    while (sigtimedwait(&pipe_, nullptr, &now) == SIGPIPE) {
    }
  }

 private:
  sigset_t pipe_{};
  sigset_t before_{};
};

std::string errno_text(int err) {
  return std::strerror(err);
}

}  // namespace

stdout_sink::stdout_sink(std::string name, stdout_options options, int fd,
                         std::chrono::milliseconds stall)
    : name_(std::move(name)),
      options_(std::move(options)),
      fd_(fd),
      stall_(stall),
      log_(get_logger("sink." + name_)),
      messages_(options_.syslog) {}

boost::asio::awaitable<delivery> stdout_sink::deliver(std::span<const queued_event> batch) {
  co_return write_batch(batch);
}

delivery stdout_sink::write_batch(std::span<const queued_event> batch) {
  if (auto refused = build_lines(batch)) {
    return *refused;
  }
  const auto w = write_lines();
  syslog::release_if_large(text_);
  return answer(w, batch.size());
}

std::optional<delivery> stdout_sink::build_lines(std::span<const queued_event> batch) {
  text_.clear();
  if (options_.format == stdout_format::json) {
    // The canonical JSON escapes every control character: it is one line as it is.
    for (const auto& e : batch) {
      text_ += e.body;
      text_ += '\n';
    }
    return std::nullopt;
  }
  messages_.clear();
  if (auto bad = messages_.add_all(batch)) {
    return delivery::rejected(std::move(*bad));
  }
  messages_.frame_into(text_, true);
  return std::nullopt;
}

stdout_sink::written stdout_sink::write_lines() {
  sigpipe_blocked blocked;
  const auto deadline = clock::now() + stall_;
  written w;
  std::size_t from = 0;
  while (from < text_.size()) {
    // Whole lines up to PIPE_BUF bytes, or one longer line alone.
    std::size_t to = from;
    std::size_t lines = 0;
    while (to < text_.size()) {
      const auto end = text_.find('\n', to) + 1;
      if (lines > 0 && end - from > PIPE_BUF) {
        break;
      }
      to = end;
      ++lines;
    }
    w.error = write_chunk(std::string_view(text_).substr(from, to - from), deadline);
    if (w.error) {
      blocked.discard_pending();
      return w;
    }
    w.lines += lines;
    from = to;
  }
  return w;
}

std::optional<std::string> stdout_sink::write_chunk(std::string_view chunk,
                                                    clock::time_point deadline) {
  while (!chunk.empty()) {
    pollfd p{fd_, POLLOUT, 0};
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()).count();
    const int ready = ::poll(&p, 1, static_cast<int>(std::max<std::int64_t>(left, 0)));
    if (ready < 0 && errno == EINTR) {
      continue;
    }
    if (ready < 0) {
      return "waiting to write standard output: " + errno_text(errno);
    }
    if (ready == 0) {
      return "standard output is not being read (waited " + std::to_string(stall_.count()) + " ms)";
    }
    if ((p.revents & POLLNVAL) != 0) {
      return "standard output is closed";
    }
    const auto n = ::write(fd_, chunk.data(), chunk.size());
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
      continue;
    }
    if (n < 0 && errno == EPIPE) {
      return "standard output's reader has gone (EPIPE)";
    }
    if (n < 0) {
      return "writing standard output: " + errno_text(errno);
    }
    chunk.remove_prefix(static_cast<std::size_t>(n));
  }
  return std::nullopt;
}

delivery stdout_sink::answer(const written& w, std::size_t size) {
  counters_.lines += w.lines;
  if (!w.error) {
    if (std::exchange(failing_, false)) {
      log_->info("writing standard output again");
    }
    return delivery::delivered();
  }
  ++counters_.write_failures;
  if (!std::exchange(failing_, true)) {
    log_->warn("{}; will retry", *w.error);
  }
  auto d = delivery::retry(*w.error);
  if (w.lines > 0) {
    // The lines written are out: only the rest may be sent again.
    d.per_event.assign(size, outcome::retry);
    std::fill_n(d.per_event.begin(), w.lines, outcome::delivered);
  }
  return d;
}

}  // namespace qsanfwd::sinks
