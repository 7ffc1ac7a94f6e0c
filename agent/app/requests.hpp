#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace qsanfwd::app {

// Asking the agent to do something (`qsanfwd replay`): a request is a small JSON file in
// `<state_dir>/requests/`, written beside and renamed in whole, taken by the running agent at
// once (inotify) or by the next one to start, in the order written, and removed once done. It
// needs no listener on the network, and only who may write the state directory can ask.

std::filesystem::path requests_dir(const std::filesystem::path& state_dir);

/// Writes `request` (a JSON object) for the agent; returns its file. Throws std::runtime_error
/// naming the file when it cannot.
std::filesystem::path submit_request(const std::filesystem::path& state_dir,
                                     const nlohmann::json& request);

/// A request file as read.
struct agent_request {
  std::filesystem::path file;
  nlohmann::json body;  ///< an object; null when `error` says why the file is not a request
  std::string error;
};

/// The requests waiting, oldest first. A file that is not a JSON object of at most 64 KiB comes
/// with an error rather than stopping the others.
std::vector<agent_request> waiting_requests(const std::filesystem::path& state_dir);

/// Calls `take` with the waiting requests when started and whenever one arrives. Creates the
/// directory (0700). On the caller's io_context.
class request_watch {
 public:
  using handler = std::function<void(std::vector<agent_request>)>;

  request_watch(boost::asio::io_context& io, std::filesystem::path state_dir, handler take);
  ~request_watch();
  request_watch(const request_watch&) = delete;
  request_watch& operator=(const request_watch&) = delete;

  void start();
  void stop();

 private:
  void wait();

  std::filesystem::path state_dir_;
  handler take_;
  boost::asio::posix::stream_descriptor events_;
  std::vector<char> buffer_;
};

}  // namespace qsanfwd::app
