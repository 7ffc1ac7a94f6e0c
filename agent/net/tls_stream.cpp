#include "agent/net/tls_stream.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>

#include <boost/asio/ssl/error.hpp>
#include <climits>
#include <cstring>

namespace qsanfwd::net {
namespace asio = boost::asio;
using error_code = boost::system::error_code;

namespace {

// While waiting for the peer to speak, a read holds this little; once bytes are there, room
// for what the socket holds, up to a record (16 KiB, its header and what encryption adds).
constexpr std::size_t least_room = 512;
constexpr std::size_t most_room = 17 * 1024;

error_code openssl_error(unsigned long code) {
  return {static_cast<int>(code), asio::error::get_ssl_category()};
}

}  // namespace

/// The BIO OpenSSL reads the peer's bytes from and writes its own to: the stream's buffers.
struct tls_stream_bio {
  static tls_stream& stream_of(BIO* b) { return *static_cast<tls_stream*>(BIO_get_data(b)); }

  static int write(BIO* b, const char* data, int length) {
    BIO_clear_retry_flags(b);
    stream_of(b).out_.append(data, static_cast<std::size_t>(length));
    return length;
  }

  static int read(BIO* b, char* data, int length) {
    BIO_clear_retry_flags(b);
    auto& s = stream_of(b);
    const auto n = std::min(s.in_filled_ - s.in_taken_, static_cast<std::size_t>(length));
    if (n == 0) {
      BIO_set_retry_read(b);  // OpenSSL says WANT_READ: the operation receives more
      return -1;
    }
    std::memcpy(data, s.in_.get() + s.in_taken_, n);
    s.in_taken_ += n;
    return static_cast<int>(n);
  }

  static long control(BIO*, int command, long, void*) { return command == BIO_CTRL_FLUSH ? 1 : 0; }

  static int create(BIO* b) {
    BIO_set_init(b, 1);
    return 1;
  }

  // Made once and kept for the process's life.
  static BIO_METHOD* method() {
    static BIO_METHOD* const made = [] {
      BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "tls_stream");
      if (m == nullptr || BIO_meth_set_write(m, &write) != 1 || BIO_meth_set_read(m, &read) != 1 ||
          BIO_meth_set_ctrl(m, &control) != 1 || BIO_meth_set_create(m, &create) != 1) {
        throw boost::system::system_error(openssl_error(ERR_get_error()), "BIO_meth_new");
      }
      return m;
    }();
    return made;
  }
};

tls_stream::tls_stream(next_layer_type next, asio::ssl::context& ctx)
    : next_(std::move(next)), ssl_(SSL_new(ctx.native_handle())) {
  if (!ssl_) {
    throw boost::system::system_error(openssl_error(ERR_get_error()), "SSL_new");
  }
  // Partial writes let a write complete a record at a time; a write retried after a read may
  // come from a moved buffer; OpenSSL's record buffers go while empty.
  SSL_set_mode(ssl_.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                               SSL_MODE_RELEASE_BUFFERS);
  BIO* bio = BIO_new(tls_stream_bio::method());
  if (bio == nullptr) {
    throw boost::system::system_error(openssl_error(ERR_get_error()), "BIO_new");
  }
  BIO_set_data(bio, this);
  SSL_set_bio(ssl_.get(), bio, bio);
  SSL_set_connect_state(ssl_.get());
}

tls_stream::~tls_stream() = default;

tls_stream::step tls_stream::perform(call_kind kind, asio::mutable_buffer data, error_code& ec,
                                     std::size_t& n) {
  ec = {};
  n = 0;
  const int length = static_cast<int>(std::min<std::size_t>(data.size(), INT_MAX));
  if (kind != call_kind::handshake && length == 0) {
    return step::complete;
  }
  const auto taken_before = in_taken_;
  ERR_clear_error();
  int r = 0;
  switch (kind) {
    case call_kind::handshake:
      r = SSL_connect(ssl_.get());
      break;
    case call_kind::read:
      r = SSL_read(ssl_.get(), data.data(), length);
      break;
    case call_kind::write:
      r = SSL_write(ssl_.get(), data.data(), length);
      break;
  }
  const int outcome = SSL_get_error(ssl_.get(), r);
  const auto code = ERR_get_error();
  ERR_clear_error();
  // Whatever the call wrote (a handshake message, an alert, a key update's answer) goes to
  // the peer before the operation completes.
  const auto then_complete = out_.empty() ? step::complete : step::send_then_complete;
  switch (outcome) {
    case SSL_ERROR_NONE:
      n = static_cast<std::size_t>(r);
      return then_complete;
    case SSL_ERROR_WANT_READ:
      if (!out_.empty()) {
        return step::send_then_retry;
      }
      if (in_taken_ == in_filled_) {
        return step::receive_then_retry;
      }
      if (in_taken_ != taken_before) {
        return step::retry;  // a record taken that was not for this call (a session ticket)
      }
      break;
    case SSL_ERROR_WANT_WRITE:
      // The BIO takes every write: nothing but what it took can be waiting.
      if (!out_.empty()) {
        return step::send_then_retry;
      }
      break;
    case SSL_ERROR_ZERO_RETURN:
      ec = asio::error::eof;  // the peer's close_notify
      return then_complete;
    case SSL_ERROR_SSL:
      ec = openssl_error(code);
      return then_complete;
    case SSL_ERROR_SYSCALL:
      ec = code == 0 ? error_code(asio::ssl::error::unspecified_system_error) : openssl_error(code);
      return then_complete;
    default:
      break;
  }
  ec = asio::ssl::error::unexpected_result;
  return then_complete;
}

asio::mutable_buffer tls_stream::receive_room() {
  error_code ec;
  const auto ready = next_.socket().available(ec);
  const auto size = std::clamp<std::size_t>(ec ? 0 : ready, least_room, most_room);
  in_ = std::make_unique_for_overwrite<unsigned char[]>(size);
  in_size_ = size;
  in_taken_ = 0;
  in_filled_ = 0;
  return asio::buffer(in_.get(), size);
}

void tls_stream::sent() {
  std::string().swap(out_);
}

void tls_stream::settle() {
  sent();
  const auto left = in_filled_ - in_taken_;
  if (left != 0 && left * 2 >= in_size_) {
    return;  // mostly the peer's next record, there to read: not worth a copy
  }
  std::unique_ptr<unsigned char[]> kept;
  if (left != 0) {
    kept = std::make_unique_for_overwrite<unsigned char[]>(left);
    std::memcpy(kept.get(), in_.get() + in_taken_, left);
  }
  in_ = std::move(kept);
  in_size_ = left;
  in_taken_ = 0;
  in_filled_ = left;
}

error_code tls_stream::transport_error(const error_code& ec) const {
  if (ec != asio::error::eof || (SSL_get_shutdown(ssl_.get()) & SSL_RECEIVED_SHUTDOWN) != 0) {
    return ec;
  }
  return asio::ssl::error::stream_truncated;  // the peer closed without close_notify
}

}  // namespace qsanfwd::net
