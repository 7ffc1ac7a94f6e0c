#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/tls_cert.hpp"

namespace qsanfwd::test {

/// A request as the recording server received it.
struct recorded_request {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  ///< names in lower case
  std::string body;                            ///< as received (still gzipped, if it was)
  int connection = 0;                          ///< which accepted connection, from 1
  std::chrono::steady_clock::time_point at;
  int status = 0;  ///< what the server answered

  std::string header(const std::string& lower_name) const {
    const auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

/// What the server answers to one request; by default a 200 that every format, Elasticsearch's
/// bulk included, takes as success.
struct scripted_response {
  scripted_response(int status_code = 200, std::string text = R"({"errors":false})",
                    std::vector<std::pair<std::string, std::string>> fields = {},
                    bool close_after = false)
      : status(status_code),
        body(std::move(text)),
        headers(std::move(fields)),
        close(close_after) {}

  int status;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  bool close;  ///< close the connection after answering
};

/// An HTTP/1.1 server on 127.0.0.1, port 0, on a thread of its own, that records every request
/// and answers from a script first, then with `answer` (the default response unless set). With a
/// certificate it speaks HTTPS only.
class recording_server {
 public:
  using answer_fn = std::function<scripted_response(const recorded_request&)>;

  explicit recording_server(std::optional<tls_cert> tls = std::nullopt, answer_fn answer = {});
  ~recording_server();
  recording_server(const recording_server&) = delete;
  recording_server& operator=(const recording_server&) = delete;

  std::uint16_t port() const;
  std::string url(const std::string& path = "") const;
  /// Answers the next requests with `r`, in the order given.
  void script(scripted_response r);
  std::vector<recorded_request> requests() const;
  /// Connections accepted, up to the last that sent a request.
  int connections() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// `data` gunzipped; throws when it is not gzip.
std::string gunzip(const std::string& data);

}  // namespace qsanfwd::test
