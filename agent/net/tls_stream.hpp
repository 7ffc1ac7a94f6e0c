#pragma once

#include <openssl/ssl.h>

#include <algorithm>
#include <boost/asio/buffer.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <cstddef>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

namespace qsanfwd::net {

/// The client side of TLS over a beast::tcp_stream, holding no buffer between operations.
///
/// Asio's ssl::stream keeps four 17 KiB buffers per connection for its life (two of its own,
/// two in a BIO pair): 1,000 arrays' idle keep-alive connections held 86 MiB of them. Here
/// OpenSSL talks to a BIO of ours: the room to read the peer's bytes into is allocated when a
/// read needs it, sized to what the socket holds (a small one while waiting for the peer to
/// speak, at most a record's worth), and freed once OpenSSL has taken it; what OpenSSL writes
/// is sent and freed before the operation completes; OpenSSL releases its own record buffers
/// when empty (SSL_MODE_RELEASE_BUFFERS). Nothing more than one read's worth of the peer's
/// bytes is ever held ahead of what OpenSSL consumed.
///
/// An AsyncStream for Beast (http::async_write, http::async_read, get_lowest_layer) and Asio
/// (async_write). One operation at a time: no read while a write is pending (HTTP/1.1 and
/// syslog clients never need both). Every wait on the socket is the tcp_stream's, so its
/// expires_after() deadline applies (beast::error::timeout). Errors are Asio's ssl::stream's:
/// OpenSSL's in asio::error::get_ssl_category() (a failed certificate check included), the
/// socket's, ssl::error::stream_truncated for a peer that closed without close_notify (mid-record
/// too) and asio::error::eof for one that sent it.
class tls_stream {
 public:
  using next_layer_type = boost::beast::tcp_stream;
  using executor_type = next_layer_type::executor_type;

  /// A client connection over `next` (connected) with `ctx`'s settings; throws
  /// boost::system::system_error when OpenSSL cannot make one.
  tls_stream(next_layer_type next, boost::asio::ssl::context& ctx);
  ~tls_stream();
  // OpenSSL's BIO points at this object.
  tls_stream(const tls_stream&) = delete;
  tls_stream& operator=(const tls_stream&) = delete;

  executor_type get_executor() { return next_.get_executor(); }
  next_layer_type& next_layer() { return next_; }
  SSL* native_handle() { return ssl_.get(); }

  /// Bytes this stream holds for OpenSSL (the peer's not yet taken, ours not yet sent): none
  /// between operations, except what the peer sent ahead (at most one read's worth).
  std::size_t held_bytes() const { return in_size_ + out_.size(); }

  /// Shakes hands as the client; completes with void(error_code).
  template <typename Token>
  auto async_handshake(Token&& token) {
    return start<void(boost::system::error_code)>(call_kind::handshake, {}, std::string(),
                                                  std::forward<Token>(token));
  }

  template <typename MutableBuffers, typename Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    return start<void(boost::system::error_code, std::size_t)>(
        call_kind::read, first_buffer(buffers), std::string(), std::forward<Token>(token));
  }

  /// Writes at most one record's worth (16 KiB) of `buffers`, gathered into one record when
  /// they are several (an HTTP header and its body).
  template <typename ConstBuffers, typename Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    std::string plain(std::min(boost::asio::buffer_size(buffers), max_write_bytes), '\0');
    boost::asio::buffer_copy(boost::asio::buffer(plain), buffers);
    return start<void(boost::system::error_code, std::size_t)>(
        call_kind::write, {}, std::move(plain), std::forward<Token>(token));
  }

 private:
  enum class call_kind { handshake, read, write };
  /// What an operation does after an OpenSSL call.
  enum class step { complete, send_then_complete, send_then_retry, receive_then_retry, retry };

  static constexpr std::size_t max_write_bytes = 16 * 1024;

  template <typename MutableBuffers>
  static boost::asio::mutable_buffer first_buffer(const MutableBuffers& buffers) {
    for (auto it = boost::asio::buffer_sequence_begin(buffers);
         it != boost::asio::buffer_sequence_end(buffers); ++it) {
      if (boost::asio::mutable_buffer b(*it); b.size() != 0) {
        return b;
      }
    }
    return {};
  }

  /// Makes one OpenSSL call of `kind` (reading into `data`, or writing it); says what the
  /// operation does next and sets `ec` and `n` for its completion.
  step perform(call_kind kind, boost::asio::mutable_buffer data, boost::system::error_code& ec,
               std::size_t& n);
  /// Room for the peer's next bytes, the previous room being all taken.
  boost::asio::mutable_buffer receive_room();
  void received(std::size_t n) { in_filled_ = n; }
  void sent();
  /// At the end of an operation: frees the room OpenSSL emptied; of one it left a little in
  /// (session tickets sent ahead), keeps that little only.
  void settle();
  /// A socket error as Asio's ssl::stream reports it.
  boost::system::error_code transport_error(const boost::system::error_code& ec) const;

  template <typename Signature, typename Token>
  auto start(call_kind kind, boost::asio::mutable_buffer target, std::string plain, Token&& token);

  template <typename Signature>
  struct op;
  friend struct tls_stream_bio;
  struct ssl_free {
    void operator()(SSL* s) const { SSL_free(s); }
  };

  next_layer_type next_;
  std::unique_ptr<SSL, ssl_free> ssl_;
  std::unique_ptr<unsigned char[]> in_;  ///< the peer's bytes, [in_taken_, in_filled_) not taken
  std::size_t in_size_ = 0;
  std::size_t in_taken_ = 0;
  std::size_t in_filled_ = 0;
  std::string out_;  ///< what OpenSSL wrote, to send
};

/// One operation: OpenSSL calls, and between them sends what OpenSSL wrote and receives what
/// it asks for, until the call is done or fails.
template <typename Signature>
struct tls_stream::op {
  using error_code = boost::system::error_code;
  enum class state { starting, sending, receiving, completing };

  op(tls_stream& stream, call_kind k, boost::asio::mutable_buffer into, std::string from)
      : s(stream), kind(k), target(into), plain(std::move(from)) {}

  tls_stream& s;
  call_kind kind;
  boost::asio::mutable_buffer target;  ///< a read's
  std::string plain;                   ///< a write's bytes, gathered
  state at = state::starting;
  bool waited = false;      ///< an asynchronous wait happened: completing inline is allowed
  bool final_send = false;  ///< the send in progress ends the operation
  error_code result;
  std::size_t transferred = 0;

  template <typename Self>
  void operator()(Self& self, error_code ec = {}, std::size_t n = 0) {
    switch (at) {
      case state::starting:
        break;
      case state::sending:
        s.sent();
        if (ec) {
          // An alert that could not be sent does not hide what it said.
          return finish(self, final_send && result ? result : s.transport_error(ec), 0);
        }
        if (final_send) {
          return finish(self, result, transferred);
        }
        break;
      case state::receiving:
        s.received(n);
        if (ec) {
          return finish(self, s.transport_error(ec), 0);
        }
        break;
      case state::completing:
        s.settle();
        if constexpr (std::is_same_v<Signature, void(error_code)>) {
          return self.complete(result);
        } else {
          return self.complete(result, transferred);
        }
    }
    auto next = step::retry;
    while (next == step::retry) {
      const auto data = kind == call_kind::write ? boost::asio::buffer(plain) : target;
      next = s.perform(kind, data, result, transferred);
    }
    switch (next) {
      case step::complete:
      case step::retry:
        return finish(self, result, transferred);
      case step::send_then_complete:
      case step::send_then_retry:
        final_send = next == step::send_then_complete;
        at = state::sending;
        waited = true;
        return boost::asio::async_write(s.next_, boost::asio::buffer(s.out_), std::move(self));
      case step::receive_then_retry:
        at = state::receiving;
        waited = true;
        return s.next_.async_read_some(s.receive_room(), std::move(self));
    }
  }

  template <typename Self>
  void finish(Self& self, error_code ec, std::size_t n) {
    result = ec;
    transferred = n;
    at = state::completing;
    if (waited) {
      return (*this)(self);
    }
    // Never complete inside the initiating call.
    waited = true;
    boost::asio::post(s.get_executor(), std::move(self));
  }
};

template <typename Signature, typename Token>
auto tls_stream::start(call_kind kind, boost::asio::mutable_buffer target, std::string plain,
                       Token&& token) {
  return boost::asio::async_compose<Token, Signature>(
      op<Signature>(*this, kind, target, std::move(plain)), token, next_);
}

}  // namespace qsanfwd::net
