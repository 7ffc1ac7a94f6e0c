#pragma once

// The simulator's state, shared by the files that make it up (not part of its interface):
//   routes.cpp     the REST API and auth answers, as the manual describes them;
//   control.cpp    the /_sim/ control API;
//   faults.cpp     the failures and hostile bodies it injects;
//   server.cpp     the wire: the shared HTTP server, and the faults that need the raw stream;
//   simulator.cpp  the public methods and the live log loop.
// Everything below `mu` is guarded by it; methods named *_locked and the request handlers
// expect it held.

#include <array>
#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "agent/core/logging.hpp"
#include "agent/core/time.hpp"
#include "agent/net/http_server.hpp"
#include "sim/array_state.hpp"
#include "sim/hostile.hpp"
#include "sim/simulator.hpp"

namespace qsanfwd::sim {

namespace http = boost::beast::http;
using request = http::request<http::string_body>;
using query_params = std::vector<std::pair<std::string, std::string>>;

/// An answer decided under the lock, written outside it.
struct reply {
  http::status status = http::status::ok;
  std::string body = "{}";
  std::optional<fault> injected;
  duration delay{0};
  bool endless = false;  ///< hostile_body::endless_chunked: `body` is not sent
};

reply error_reply(http::status status, std::string_view message);

struct simulator::impl : std::enable_shared_from_this<simulator::impl> {
  struct access_token {
    std::string user;
    std::int64_t expires;  ///< array clock
  };

  impl(boost::asio::io_context& io, options o)
      : io_(io),
        opts(std::move(o)),
        live_timer(io),
        book(opts.seed, opts.duplicate_ratio),
        array(opts.model, opts.serial),
        rng(opts.seed ^ 0x9E3779B97F4A7C15ULL),
        faults(opts.faults),
        hostile(opts.hostile),
        live_rate(opts.live_rate),
        started(std::chrono::steady_clock::now()),
        log(get_logger("qsan-sim")) {}

  boost::asio::io_context& io_;
  const options opts;
  std::optional<net::http_server> server;  // from start()
  boost::asio::steady_timer live_timer;

  mutable std::mutex mu;  // guards everything below
  std::uint16_t port = 0;
  bool stopped = false;
  log_book book;
  array_state array;
  std::mt19937_64 rng;
  fault_settings faults;
  std::deque<std::pair<fault, std::size_t>> forced;
  hostile_settings hostile;
  std::array<std::size_t, hostile_body_count> next_bodies{};  // send_next() counts
  std::uint64_t log_answers = 0;                              // total_mode::shrinking
  bool paused = false;
  double live_rate;
  std::unordered_map<std::string, access_token> access_tokens;
  std::unordered_map<std::string, std::deque<std::string>> refresh_by_user;
  std::unordered_map<std::string, std::string> refresh_owner;
  counters stats;
  std::chrono::steady_clock::time_point started;
  std::shared_ptr<spdlog::logger> log;
  std::atomic<std::int64_t> clock_offset_s{opts.clock_offset_s};  // set_clock_offset() moves it

  std::int64_t now() const { return unix_now() + clock_offset_s.load(); }

  // routes.cpp: takes the lock.
  reply handle(const request& req);
  reply unauthorized(std::string_view why);
  reply auth_api(http::verb method, std::string_view path, std::string_view body);
  reply login(const nlohmann::json& j);
  reply access_reply(const std::string& user, const std::optional<std::string>& refresh);
  bool authorized(std::string_view header) const;
  reply rest_api(const request& req, std::string_view path, const query_params& params);
  reply rest_answer(std::string_view path, const query_params& params);
  reply enclosure_info(std::string_view which, const query_params& params);
  reply log_list(const query_params& params);

  // faults.cpp
  std::optional<fault> draw_fault();
  std::optional<hostile_body> draw_body(std::string_view path);
  void make_hostile(reply& r, hostile_body body) const;

  // control.cpp
  reply control(http::verb method, std::string_view path, std::string_view body);
  std::optional<bool> control_action(std::string_view path, const nlohmann::json& j);
  std::optional<bool> control_log_action(std::string_view path, const nlohmann::json& j);
  std::optional<bool> control_fault_action(std::string_view path, const nlohmann::json& j);
  std::optional<bool> control_disk_action(std::string_view path, const nlohmann::json& j);
  std::optional<bool> control_enclosure_action(std::string_view path, const nlohmann::json& j);
  std::optional<bool> control_storage_action(std::string_view path, const nlohmann::json& j);
  std::optional<bool> control_host_action(std::string_view path, const nlohmann::json& j);
  void add_logs_locked(std::size_t n);
  bool add_log_locked(const log_line& line);
  counters stats_locked() const;
  void forget_tokens_locked();
  void set_hostile_locked(const hostile_settings& h);

  // server.cpp: on the io_context's thread.
  void close_all();
};

/// A request body as a JSON object ("" counts as {}), or nullopt.
std::optional<nlohmann::json> parse_body(std::string_view body);

/// Sends the endless chunked answer until a write fails (faults.cpp).
boost::asio::awaitable<void> send_endless(const simulator::impl& self, net::server_stream& stream);

/// Binds and starts accepting on the io_context (server.cpp). Throws on bind or certificate
/// errors.
void start_server(const std::shared_ptr<simulator::impl>& self);
/// Adds lines at the configured live rate until stop() (simulator.cpp).
void start_live_loop(const std::shared_ptr<simulator::impl>& self);

}  // namespace qsanfwd::sim
