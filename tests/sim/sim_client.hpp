#pragma once

#include <boost/system/error_code.hpp>
#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "sim/simulator.hpp"

namespace qsanfwd::sim::test {

/// A simulator with `backlog` lines and no identical twins, so that tests can count lines.
inline options quiet(std::size_t backlog = 0) {
  options o;
  o.backlog = backlog;
  o.duplicate_ratio = 0;
  return o;
}

/// What a request got: an HTTP answer, or a transport error (reset, timeout).
struct response {
  unsigned status = 0;
  std::string body;
  std::string date;  ///< the Date header
  boost::system::error_code error;

  nlohmann::json json() const { return nlohmann::json::parse(body); }
};

/// What a raw read of an answer got: its first bytes as sent (status line, headers, framing)
/// and how many bytes arrived before the limit, the end or an error.
struct raw_response {
  std::string head;
  std::size_t bytes = 0;
  boost::system::error_code error;
};

/// A tiny synchronous HTTP(S) client for the simulator tests: one connection per request,
/// a deadline on every request. Its Beast code is compiled once, in sim_client.cpp: instantiated
/// in each test file it made them the slowest units of the build.
class client {
 public:
  explicit client(std::uint16_t port, std::optional<std::string> ca_file = std::nullopt)
      : port_(port), ca_file_(std::move(ca_file)) {}

  std::string token;  ///< sent as Authorization when not empty
  std::string authorization_prefix;

  enum class method { get, post };
  response request(method m, const std::string& target, const std::string& body,
                   std::chrono::milliseconds timeout);

  response get(const std::string& target,
               std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    return request(method::get, target, "", timeout);
  }
  response post(const std::string& target, const nlohmann::json& body,
                std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    return request(method::post, target, body.dump(), timeout);
  }

  /// A GET over plain HTTP whose answer is read as bytes, up to `limit`, then the connection
  /// closed: for answers no parser should hold (endless, huge).
  raw_response get_raw(const std::string& target, std::size_t limit,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10));

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

 private:
  std::uint16_t port_;
  std::optional<std::string> ca_file_;
};

}  // namespace qsanfwd::sim::test
