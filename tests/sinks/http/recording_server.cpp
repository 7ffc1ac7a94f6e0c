#include "tests/sinks/http/recording_server.hpp"

#include <zlib.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cctype>
#include <stdexcept>
#include <thread>

namespace qsanfwd::test {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
}

struct recording_server::impl {
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::optional<asio::ssl::context> tls;
  answer_fn answer;
  mutable std::mutex mutex;
  std::deque<scripted_response> script;
  std::vector<recorded_request> requests;
  int connections = 0;
  std::thread thread;

  scripted_response respond(recorded_request& req) {
    std::lock_guard lock(mutex);
    scripted_response r;
    if (!script.empty()) {
      r = std::move(script.front());
      script.pop_front();
    } else if (answer) {
      r = answer(req);
    }
    req.status = r.status;
    requests.push_back(req);
    return r;
  }

  template <typename Stream>
  asio::awaitable<void> serve(Stream& stream, int connection) {
    beast::flat_buffer buffer;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(1 << 30);
      auto [rec, n] = co_await http::async_read(stream, buffer, parser, use_tuple);
      if (rec) {
        co_return;
      }
      auto req = parser.release();
      recorded_request r;
      r.method = std::string(req.method_string());
      r.target = std::string(req.target());
      for (const auto& field : req) {
        std::string name(field.name_string());
        for (auto& c : name) {
          c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
        r.headers[name] = std::string(field.value());
      }
      r.body = std::move(req.body());
      r.connection = connection;
      r.at = std::chrono::steady_clock::now();
      const auto scripted = respond(r);
      http::response<http::string_body> res{static_cast<http::status>(scripted.status), 11};
      for (const auto& [name, value] : scripted.headers) {
        res.set(name, value);
      }
      res.body() = scripted.body;
      res.keep_alive(req.keep_alive() && !scripted.close);
      res.prepare_payload();
      auto [wec, written] = co_await http::async_write(stream, res, use_tuple);
      if (wec || !res.keep_alive()) {
        co_return;
      }
    }
  }

  asio::awaitable<void> session(tcp::socket socket, int connection) {
    if (!tls) {
      beast::tcp_stream stream(std::move(socket));
      co_await serve(stream, connection);
      boost::system::error_code ignored;
      stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
      co_return;
    }
    beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), *tls);
    auto [hec] = co_await stream.async_handshake(asio::ssl::stream_base::server, use_tuple);
    if (hec) {
      co_return;
    }
    co_await serve(stream, connection);
    co_await stream.async_shutdown(use_tuple);
  }

  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
      if (ec) {
        co_return;
      }
      int connection = 0;
      {
        std::lock_guard lock(mutex);
        connection = ++connections;
      }
      asio::co_spawn(io, session(std::move(socket), connection), asio::detached);
    }
  }
};

recording_server::recording_server(std::optional<tls_cert> tls, answer_fn answer)
    : impl_(std::make_unique<impl>()) {
  impl_->answer = std::move(answer);
  if (tls) {
    impl_->tls.emplace(asio::ssl::context::tls_server);
    impl_->tls->use_certificate_chain_file(tls->cert_file.string());
    impl_->tls->use_private_key_file(tls->key_file.string(), asio::ssl::context::pem);
  }
  const tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
  impl_->acceptor.open(ep.protocol());
  impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  impl_->acceptor.bind(ep);
  impl_->acceptor.listen();
  asio::co_spawn(impl_->io, impl_->accept_loop(), asio::detached);
  impl_->thread = std::thread([this] { impl_->io.run(); });
}

recording_server::~recording_server() {
  impl_->io.stop();
  impl_->thread.join();
}

std::uint16_t recording_server::port() const {
  return impl_->acceptor.local_endpoint().port();
}

std::string recording_server::url(const std::string& path) const {
  return std::string(impl_->tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(port()) +
         path;
}

void recording_server::script(scripted_response r) {
  std::lock_guard lock(impl_->mutex);
  impl_->script.push_back(std::move(r));
}

std::vector<recorded_request> recording_server::requests() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->requests;
}

int recording_server::connections() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->connections;
}

std::string gunzip(const std::string& data) {
  z_stream z{};
  if (inflateInit2(&z, 15 + 16) != Z_OK) {
    throw std::runtime_error("inflateInit2 failed");
  }
  std::string out;
  char chunk[16384];
  // zlib's API is not const-correct: it never writes through next_in.
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  int rc = Z_OK;
  while (rc == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(chunk);
    z.avail_out = sizeof chunk;
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(chunk, sizeof chunk - z.avail_out);
  }
  inflateEnd(&z);
  if (rc != Z_STREAM_END) {
    throw std::runtime_error("not a complete gzip stream");
  }
  return out;
}

}  // namespace qsanfwd::test
