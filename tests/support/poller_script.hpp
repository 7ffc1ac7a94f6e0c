#pragma once

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "agent/store/event_queue.hpp"
#include "agent/store/state_store.hpp"
#include "agent/store/write_thread.hpp"

namespace qsanfwd::test {

/// One step of a poller script (see tests/fuzz/README.md, "fuzz_log_poller", for the grammar).
struct script_step {
  enum class kind : std::uint8_t {
    write,   ///< a: lines (1..8), b: content seed, c: stamped 1 s late (0/1), d: twins of the first
    clock,   ///< a: seconds added to the array's clock (negative: set back)
    poll,    ///< one poll_once()
    drop,    ///< a: the ring drops its a oldest lines
    clear,   ///< the log is cleared
    mis,     ///< a: misbehaviour (0 all off, 1 pageNumber ignored, 2 haveNextPage always true,
             ///< 3 startTime ignored, 4 no total, 5 total constant 5, 6 total 3 too high,
             ///< 7 total 3 too low)
    fail,    ///< the a-th request from now (1..) fails
    inflow,  ///< before the a-th request of the next poll, b lines (seed c, late d) are written
    future,  ///< one line stamped a seconds ahead of the array's clock
  };
  kind what = kind::poll;
  std::int64_t a = 0;
  std::int64_t b = 0;
  std::int64_t c = 0;
  std::int64_t d = 0;
};

struct poller_script {
  int page_size = 3;
  bool newest_first = true;
  bool inclusive = true;
  std::vector<script_step> steps;
};

/// The fuzz input as a script: byte 0 the page size and orders, then one step per opcode byte
/// with its argument bytes. Any bytes are a valid script.
poller_script decode_script(std::span<const std::uint8_t> bytes);
/// The script as text, the form parse_script() reads: "page=2 newest inclusive | write 3 0 0 0;
/// poll".
std::string to_text(const poller_script& s);
/// Reads to_text()'s form; throws std::invalid_argument on anything else.
poller_script parse_script(std::string_view text);

/// A state store, its write thread and queue, shared by the scripts a process runs, each on a
/// device of its own.
class poller_bench {
 public:
  explicit poller_bench(const std::filesystem::path& state_dir);
  ~poller_bench();

  /// Runs `s` against a scripted array and a real log_poller, settles with clean polls, and
  /// checks the queue against the array's model. "" when every property holds, else what
  /// broke, with the script and what the agent said.
  std::string run(const poller_script& s);

 private:
  std::unique_ptr<state_store> store_;
  std::unique_ptr<event_queue> queue_;
  std::unique_ptr<write_thread> writer_;
  boost::asio::io_context io_;
  std::uint64_t devices_ = 0;
};

}  // namespace qsanfwd::test
