#pragma once

#include <boost/asio/io_context.hpp>
#include <string>
#include <vector>

#include "agent/store/event_queue.hpp"
#include "sinks/file/file_sink.hpp"
#include "sinks/file/hash_chain.hpp"
#include "tests/support/run_coroutine.hpp"

namespace qsanfwd::test {

/// Queued events numbered from..to-1, as the dispatcher would hand them over.
inline std::vector<queued_event> numbered_batch(int from, int to) {
  std::vector<queued_event> out;
  for (int i = from; i < to; ++i) {
    event e;
    e.id = "id-" + std::to_string(i);
    e.device = "array-01";
    e.timestamp = 1795915304 + i;
    e.message = "event " + std::to_string(i);
    out.emplace_back(i, to_json(e));
  }
  return out;
}

inline sinks::delivery deliver(sinks::file_sink& sink, const std::vector<queued_event>& batch) {
  boost::asio::io_context io;
  return run(io, sink.deliver(batch));
}

inline std::vector<std::string> lines_of(const std::filesystem::path& file) {
  std::vector<std::string> out;
  sinks::for_each_line(file, [&out](std::string_view line) {
    out.emplace_back(line);
    return true;
  });
  return out;
}

}  // namespace qsanfwd::test
