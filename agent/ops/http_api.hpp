#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "config/address.hpp"

namespace qsanfwd::ops {

/// What a route answers.
struct reply {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  /// Any other header fields (the status page's Content-Security-Policy).
  std::vector<std::pair<std::string, std::string>> headers = {};
};

/// Path ("/metrics") -> the function that answers GET on it, called on the io thread.
using routes = std::map<std::string, std::function<reply()>, std::less<>>;

/// The agent's small HTTP endpoint (`http_api.listen`): GET only, keep-alive, a deadline on
/// every read and write so an idle or slow client cannot hold a connection for ever. Query
/// strings are ignored; unknown paths are 404, other methods 405.
///
/// At most max_connections are open: one more closes the connection that has waited longest
/// for a request (or, when all are busy answering, the new one). When accept fails for want of
/// descriptors (EMFILE, ENFILE) it closes the longest idle connection and waits 100 ms, doubling
/// up to 1 s, before accepting again, rather than spinning on the queued connection.
class http_api {
 public:
  static constexpr std::size_t max_connections = 64;

  /// Binds `where` (port 0 picks a free port). Throws std::system_error naming the address
  /// when it cannot bind.
  http_api(boost::asio::any_io_executor ex, const config::host_port& where, routes r);
  ~http_api();
  http_api(const http_api&) = delete;
  http_api& operator=(const http_api&) = delete;

  /// Starts accepting on the executor.
  void start();
  /// Stops accepting and closes idle connections.
  void stop();
  std::uint16_t port() const;

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace qsanfwd::ops
