#pragma once

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace qsanfwd::sim::test {

/// What a request got: an HTTP answer, or a transport error (reset, timeout).
struct response {
  unsigned status = 0;
  std::string body;
  boost::system::error_code error;

  nlohmann::json json() const { return nlohmann::json::parse(body); }
};

/// A tiny synchronous HTTP(S) client for the simulator tests: one connection per request,
/// a deadline on every request.
class client {
 public:
  explicit client(std::uint16_t port, std::optional<std::string> ca_file = std::nullopt)
      : port_(port), ca_file_(std::move(ca_file)) {}

  std::string token;  ///< sent as Authorization when not empty
  std::string authorization_prefix;

  response get(const std::string& target,
               std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    return request(boost::beast::http::verb::get, target, "", timeout);
  }
  response post(const std::string& target, const nlohmann::json& body,
                std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    return request(boost::beast::http::verb::post, target, body.dump(), timeout);
  }

  /// Logs in and keeps the access token; returns the whole answer.
  nlohmann::json login(bool offline = false, const std::string& password = "password") {
    const auto r =
        post("/auth/get", {{"user", "admin"}, {"password", password}, {"offlineAccess", offline}});
    auto j = r.status == 200 ? r.json() : nlohmann::json{{"status", r.status}};
    if (r.status == 200) {
      token = j["accessToken"];
    }
    return j;
  }

  response request(boost::beast::http::verb method, const std::string& target,
                   const std::string& body, std::chrono::milliseconds timeout) {
    namespace beast = boost::beast;
    namespace http = beast::http;
    boost::asio::io_context io;
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, "127.0.0.1");
    if (!token.empty()) {
      req.set(http::field::authorization, authorization_prefix + token);
    }
    if (method == http::verb::post) {
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
    }
    return out;
  }

 private:
  template <class Stream>
  static void exchange(boost::asio::io_context& io, Stream& stream,
                       const boost::asio::ip::tcp::endpoint& ep,
                       boost::beast::http::request<boost::beast::http::string_body>& req,
                       boost::beast::flat_buffer& buffer,
                       boost::beast::http::response<boost::beast::http::string_body>& res,
                       std::chrono::milliseconds timeout, boost::system::error_code& error) {
    namespace beast = boost::beast;
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

  template <class Stream>
  static void write_read(Stream& stream,
                         boost::beast::http::request<boost::beast::http::string_body>& req,
                         boost::beast::flat_buffer& buffer,
                         boost::beast::http::response<boost::beast::http::string_body>& res,
                         boost::system::error_code& error) {
    namespace http = boost::beast::http;
    http::async_write(stream, req, [&](boost::beast::error_code ec, std::size_t) {
      if (ec) {
        error = ec;
        return;
      }
      http::async_read(stream, buffer, res,
                       [&](boost::beast::error_code rec, std::size_t) { error = rec; });
    });
  }

  std::uint16_t port_;
  std::optional<std::string> ca_file_;
};

}  // namespace qsanfwd::sim::test
