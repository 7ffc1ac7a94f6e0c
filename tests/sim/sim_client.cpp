#include "tests/sim/sim_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <algorithm>
#include <functional>
#include <type_traits>
#include <vector>

namespace qsanfwd::sim::test {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;

template <class Stream>
void write_read(Stream& stream, http::request<http::string_body>& req, beast::flat_buffer& buffer,
                http::response<http::string_body>& res, boost::system::error_code& error) {
  http::async_write(stream, req, [&](beast::error_code ec, std::size_t) {
    if (ec) {
      error = ec;
      return;
    }
    http::async_read(stream, buffer, res, [&](beast::error_code rec, std::size_t) { error = rec; });
  });
}

template <class Stream>
void exchange(boost::asio::io_context& io, Stream& stream, const boost::asio::ip::tcp::endpoint& ep,
              http::request<http::string_body>& req, beast::flat_buffer& buffer,
              http::response<http::string_body>& res, std::chrono::milliseconds timeout,
              boost::system::error_code& error) {
  auto& tcp = beast::get_lowest_layer(stream);
  tcp.expires_after(timeout);
  tcp.async_connect(ep, [&](beast::error_code ec) {
    if (ec) {
      error = ec;
      return;
    }
    if constexpr (!std::is_same_v<Stream, beast::tcp_stream>) {
      stream.async_handshake(boost::asio::ssl::stream_base::client, [&](beast::error_code hec) {
        if (hec) {
          error = hec;
          return;
        }
        write_read(stream, req, buffer, res, error);
      });
    } else {
      write_read(stream, req, buffer, res, error);
    }
  });
  io.run();
}

}  // namespace

response client::request(method m, const std::string& target, const std::string& body,
                         std::chrono::milliseconds timeout) {
  boost::asio::io_context io;
  const auto verb = m == method::post ? http::verb::post : http::verb::get;
  http::request<http::string_body> req{verb, target, 11};
  req.set(http::field::host, "127.0.0.1");
  if (!token.empty()) {
    req.set(http::field::authorization, authorization_prefix + token);
  }
  if (m == method::post) {
    req.set(http::field::content_type, "application/json");
    req.body() = body;
  }
  req.prepare_payload();
  const boost::asio::ip::tcp::endpoint ep(boost::asio::ip::make_address("127.0.0.1"), port_);
  response out;
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  if (ca_file_) {
    boost::asio::ssl::context ctx(boost::asio::ssl::context::tls_client);
    ctx.load_verify_file(*ca_file_);
    ctx.set_verify_mode(boost::asio::ssl::verify_peer);
    beast::ssl_stream<beast::tcp_stream> stream(io, ctx);
    stream.set_verify_callback(boost::asio::ssl::host_name_verification("127.0.0.1"));
    exchange(io, stream, ep, req, buffer, res, timeout, out.error);
  } else {
    beast::tcp_stream stream(io);
    exchange(io, stream, ep, req, buffer, res, timeout, out.error);
  }
  if (!out.error) {
    out.status = res.result_int();
    out.body = res.body();
    out.date = std::string(res[http::field::date]);
  }
  return out;
}

raw_response client::get_raw(const std::string& target, std::size_t limit,
                             std::chrono::milliseconds timeout) {
  boost::asio::io_context io;
  beast::tcp_stream stream(io);
  std::string request = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  if (!token.empty()) {
    request += "Authorization: " + authorization_prefix + token + "\r\n";
  }
  request += "Connection: close\r\n\r\n";
  raw_response out;
  std::vector<char> buffer(64 * 1024);
  std::function<void(beast::error_code, std::size_t)> on_read = [&](beast::error_code ec,
                                                                     std::size_t n) {
    const auto keep = std::min(n, std::size_t{4096} - std::min(out.head.size(), std::size_t{4096}));
    out.head.append(buffer.data(), keep);
    out.bytes += n;
    if (ec || out.bytes >= limit) {
      out.error = ec;
      return;
    }
    stream.async_read_some(boost::asio::buffer(buffer), on_read);
  };
  stream.expires_after(timeout);
  const boost::asio::ip::tcp::endpoint ep(boost::asio::ip::make_address("127.0.0.1"), port_);
  stream.async_connect(ep, [&](beast::error_code ec) {
    if (ec) {
      out.error = ec;
      return;
    }
    boost::asio::async_write(stream, boost::asio::buffer(request),
                             [&](beast::error_code wec, std::size_t) {
                               if (wec) {
                                 out.error = wec;
                                 return;
                               }
                               stream.async_read_some(boost::asio::buffer(buffer), on_read);
                             });
  });
  io.run();
  return out;
}

}  // namespace qsanfwd::sim::test
