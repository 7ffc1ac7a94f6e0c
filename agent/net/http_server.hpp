#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace qsanfwd::net {

using http_request = boost::beast::http::request<boost::beast::http::string_body>;
using http_response = boost::beast::http::response<boost::beast::http::string_body>;

struct http_server_options {
  std::string name = "http_server";  ///< names the logger and begins every error message
  std::string host = "127.0.0.1";    ///< an IP address; a host name is refused
  std::uint16_t port = 0;            ///< 0: the system picks a free one (see port())
  std::string cert_file;             ///< PEM chain; with key_file the server speaks HTTPS only
  std::string key_file;
  std::size_t body_limit = 1U << 20U;  ///< a larger request body ends its connection
  /// For a whole request, the wait for it included: an idle keep-alive connection closes then.
  std::chrono::steady_clock::duration read_timeout = std::chrono::seconds(30);
  /// For a whole response, each write of a handler that took the stream, the TLS handshake
  /// and its shutdown.
  std::chrono::steady_clock::duration write_timeout = std::chrono::seconds(30);
  /// 0: no cap. At the cap a new connection closes the one that has waited longest for a
  /// request; when every connection is busy answering, the new one is closed instead.
  std::size_t max_connections = 0;
};

/// One connection as a handler sees it, for the answers no response object can give: bytes
/// of the handler's choosing (an endless chunked body), a pause, a reset. Made by the server;
/// valid during the handler's call.
class server_stream {
 public:
  server_stream(boost::beast::tcp_stream& tcp_layer,
                boost::beast::ssl_stream<boost::beast::tcp_stream>* tls,
                std::chrono::steady_clock::duration write_timeout, std::uint64_t id);

  /// Which connection this is: 1 for the server's first accepted, and on.
  std::uint64_t id() const { return id_; }
  /// Writes `data` as it is (through TLS when the server speaks it), within the write timeout.
  /// An error means the peer went, the deadline passed or the server stopped.
  boost::asio::awaitable<boost::system::error_code> write(boost::asio::const_buffer data);
  /// Waits `d`; false when the server stopped meanwhile.
  boost::asio::awaitable<bool> wait(std::chrono::steady_clock::duration d);
  /// Closes the connection with RST instead of FIN.
  void reset();
  /// Closes the connection; what is pending fails at once. The server's, on stop() or to make
  /// room.
  void close();

 private:
  boost::beast::tcp_stream& tcp_;
  boost::beast::ssl_stream<boost::beast::tcp_stream>* tls_;
  boost::asio::steady_timer timer_;
  std::chrono::steady_clock::duration write_timeout_;
  std::uint64_t id_;
  bool closed_ = false;
};

/// A handler's answer: the response to write, or nullopt when the handler took the stream
/// over (wrote what it chose, or reset it) and the connection is to end without more.
using handler_result = std::optional<http_response>;
/// Called for each request, on the server's executor, one at a time per connection. The
/// request may be taken apart (its body moved out). The server fills in Content-Length from
/// the body and keeps the connection alive when the request asks to, unless the response says
/// `Connection: close` (keep_alive(false)). An exception ends that connection (logged at warn).
using http_handler =
    std::function<boost::asio::awaitable<handler_result>(http_request&, server_stream&)>;

/// A small HTTP/1.1 server (keep-alive, optional TLS) of coroutines on one executor, which must
/// run on one thread (or be a strand): ops' API, the simulated array, the tests' receivers and
/// the benchmarks' each use one.
///
/// Errors: construction throws, std::system_error naming `name`, the address and the cause
/// when the host is not an IP address or the port cannot be bound, and Asio's system_error when
/// the certificate or key cannot be loaded. Nothing else throws: a failure on one connection (a
/// reset, a timeout, a malformed request, a body over the limit) closes it, logged at debug.
/// When accept fails for want of descriptors or memory (EMFILE, ENFILE), the longest idle
/// connection is closed and accepting waits 100 ms, doubling up to 1 s, rather than spin (said
/// at warn once, and once when it recovers).
class http_server {
 public:
  http_server(boost::asio::any_io_executor ex, http_server_options o, http_handler h);
  ~http_server();  ///< stop()
  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;

  /// Starts accepting.
  void start();
  /// Stops accepting and closes every connection, answered or not; on the executor, at once
  /// when called on its thread. Idempotent.
  void stop();
  std::uint16_t port() const;
  bool tls() const;

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace qsanfwd::net
