#include "agent/sim/simulator.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <charconv>
#include <cstdio>
#include <deque>
#include <future>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <stdexcept>
#include <tuple>
#include <unordered_map>

#include "agent/core/event.hpp"
#include "agent/core/logging.hpp"
#include "agent/core/time.hpp"
#include "agent/sim/array_state.hpp"
#include "agent/sim/hostile.hpp"

namespace qsanfwd::sim {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using json = nlohmann::json;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t max_request_body = 64U * 1024U * 1024U;

/// An answer decided under the lock, written outside it.
struct reply {
  http::status status = http::status::ok;
  std::string body = "{}";
  std::optional<fault> injected;
  duration delay{0};
  bool endless = false;  ///< hostile_body::endless_chunked: `body` is not sent
};

reply error_reply(http::status status, std::string_view message) {
  std::string body = "{\"error\":";
  append_json_string(body, message);
  body += '}';
  return {status, std::move(body), std::nullopt, duration{0}};
}

template <class Int>
std::optional<Int> parse_int(std::string_view s) {
  Int v{};
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size() || s.empty()) {
    return std::nullopt;
  }
  return v;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size()) {
      unsigned v = 0;
      const auto [end, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16);
      if (ec == std::errc{} && end == s.data() + i + 3) {
        out += static_cast<char>(v);
        i += 2;
      } else {
        out += s[i];
      }
    } else {
      out += s[i];
    }
  }
  return out;
}

using query_params = std::vector<std::pair<std::string, std::string>>;

query_params parse_query(std::string_view q) {
  query_params out;
  while (!q.empty()) {
    const auto amp = q.find('&');
    const auto part = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view{} : q.substr(amp + 1);
    if (part.empty()) {
      continue;
    }
    const auto eq = part.find('=');
    out.emplace_back(percent_decode(part.substr(0, eq)),
                     eq == std::string_view::npos ? "" : percent_decode(part.substr(eq + 1)));
  }
  return out;
}

bool is_rest_path(std::string_view path) {
  static constexpr std::string_view exact[] = {
      "/rest/v1/log/list",          "/rest/v1/hardware/info",     "/rest/v1/hardware/all/info",
      "/rest/v1/storage/pool/list", "/rest/v1/storage/disk/list", "/rest/v1/storage/volume/list",
      "/rest/v1/iscsi/target/list", "/rest/v1/iscsi/session/list"};
  for (const auto e : exact) {
    if (path == e) {
      return true;
    }
  }
  const auto middle = [&](std::string_view prefix, std::string_view suffix) {
    return path.size() > prefix.size() + suffix.size() && path.starts_with(prefix) &&
           path.ends_with(suffix) &&
           path.substr(prefix.size(), path.size() - prefix.size() - suffix.size()).find('/') ==
               std::string_view::npos;
  };
  return (middle("/rest/v1/hardware/", "/info") &&
          parse_int<int>(path.substr(18, path.size() - 23))) ||
         middle("/rest/v1/backup/", "/list");
}

bool is_auth_path(std::string_view path) {
  return path == "/auth/get" || path == "/auth/refresh" || path == "/auth/revoke";
}

std::string make_token(std::mt19937_64& rng) {
  const auto a = rng();
  const auto b = rng();
  char buf[40];
  std::snprintf(
      buf, sizeof buf, "%08llX-%04llX-%04llX-%04llX-%012llX",
      static_cast<unsigned long long>(a >> 32), static_cast<unsigned long long>((a >> 16) & 0xFFFF),
      static_cast<unsigned long long>(a & 0xFFFF), static_cast<unsigned long long>(b >> 48),
      static_cast<unsigned long long>(b & 0xFFFFFFFFFFFFULL));
  return buf;
}

void reset_connection(tcp::socket& socket) {
  // SO_LINGER with a zero timeout makes close() send RST instead of FIN.
  boost::system::error_code ec;
  socket.set_option(tcp::socket::linger(true, 0), ec);
  socket.close(ec);
}

}  // namespace

std::string_view to_string(fault f) {
  switch (f) {
    case fault::status_500:
      return "500";
    case fault::status_503:
      return "503";
    case fault::delay:
      return "delay";
    case fault::truncate:
      return "truncate";
    case fault::reset:
      return "reset";
  }
  return "500";
}

std::optional<fault> parse_fault(std::string_view name) {
  for (auto f :
       {fault::status_500, fault::status_503, fault::delay, fault::truncate, fault::reset}) {
    if (to_string(f) == name) {
      return f;
    }
  }
  return std::nullopt;
}

struct simulator::impl : std::enable_shared_from_this<simulator::impl> {
  struct access_token {
    std::string user;
    std::int64_t expires;  ///< array clock
  };
  struct connection {
    beast::tcp_stream* tcp;
    asio::steady_timer* delay;
  };

  impl(asio::io_context& io, options o)
      : io_(io),
        opts(std::move(o)),
        acceptor(io),
        live_timer(io),
        book(opts.seed, opts.duplicate_ratio),
        array(opts.model, opts.serial),
        rng(opts.seed ^ 0x9E3779B97F4A7C15ULL),
        faults(opts.faults),
        hostile(opts.hostile),
        live_rate(opts.live_rate),
        started(std::chrono::steady_clock::now()),
        log(get_logger("qsan-sim")) {}

  asio::io_context& io_;
  const options opts;
  std::optional<asio::ssl::context> ssl;
  tcp::acceptor acceptor;
  asio::steady_timer live_timer;

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
  std::uint64_t next_connection = 0;
  std::unordered_map<std::uint64_t, connection> connections;
  std::chrono::steady_clock::time_point started;
  std::shared_ptr<spdlog::logger> log;
  std::atomic<std::int64_t> clock_offset_s{opts.clock_offset_s};  // set_clock_offset() moves it

  std::int64_t now() const { return unix_now() + clock_offset_s.load(); }

  // --- requests -------------------------------------------------------------------------

  reply handle(const http::request<http::string_body>& req) {
    std::lock_guard lock(mu);
    const auto target = std::string_view(req.target());
    if (req.find("X-Injected") != req.end()) {
      ++stats.injected_headers;
    }
    const auto qmark = target.find('?');
    const auto path = target.substr(0, qmark);
    const auto params = parse_query(qmark == std::string_view::npos ? std::string_view{}
                                                                    : target.substr(qmark + 1));
    if (path.starts_with("/_sim/")) {
      return control(req.method(), path, req.body());
    }
    const bool rest = is_rest_path(path);
    const bool missing = std::find(opts.missing_endpoints.begin(), opts.missing_endpoints.end(),
                                   path) != opts.missing_endpoints.end();
    if ((!rest && !is_auth_path(path)) || missing) {
      ++stats.requests[missing ? std::string(path) : "other"];
      return error_reply(http::status::not_found, "no such API");
    }
    ++stats.requests[std::string(path)];
    const auto injected = rest || faults.on_auth ? draw_fault() : std::nullopt;
    if (injected) {
      ++stats.faults_injected;
      if (injected == fault::status_500 || injected == fault::status_503) {
        return error_reply(injected == fault::status_500 ? http::status::internal_server_error
                                                         : http::status::service_unavailable,
                           "simulated server trouble");
      }
      if (injected == fault::reset) {
        return {http::status::ok, {}, fault::reset, duration{0}};
      }
    }
    auto r = rest ? rest_api(req, path, params) : auth_api(req.method(), path, req.body());
    if (injected == fault::truncate) {
      r.body.resize(r.body.size() / 2);
    }
    r.injected = injected;
    r.delay = faults.delay_for;
    return r;
  }

  std::optional<fault> draw_fault() {
    if (!forced.empty()) {
      const auto f = forced.front().first;
      if (--forced.front().second == 0) {
        forced.pop_front();
      }
      return f;
    }
    const auto& s = faults;
    if (s.status_5xx + s.delay + s.truncate + s.reset <= 0) {
      return std::nullopt;
    }
    auto u = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
    if (u < s.status_5xx) {
      return u < s.status_5xx / 2 ? fault::status_500 : fault::status_503;
    }
    u -= s.status_5xx;
    for (const auto& [p, f] :
         {std::pair{s.delay, fault::delay}, std::pair{s.truncate, fault::truncate},
          std::pair{s.reset, fault::reset}}) {
      if (u < p) {
        return f;
      }
      u -= p;
    }
    return std::nullopt;
  }

  reply unauthorized(std::string_view why) {
    ++stats.unauthorized;
    return error_reply(http::status::unauthorized, why);
  }

  std::optional<json> parse_body(std::string_view body) {
    auto j = json::parse(body.empty() ? std::string_view("{}") : body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      return std::nullopt;
    }
    return j;
  }

  reply auth_api(http::verb method, std::string_view path, std::string_view body) {
    if (method != http::verb::post) {
      return error_reply(http::status::method_not_allowed, "use POST");
    }
    const auto j = parse_body(body);
    if (!j) {
      return error_reply(http::status::bad_request, "body must be a JSON object");
    }
    if (path == "/auth/get") {
      return login(*j);
    }
    // The manual spells the key with a trailing space; real clients send it either way.
    const auto key = j->contains("refreshToken") ? "refreshToken" : "refreshToken ";
    if (!j->contains(key) || !(*j)[key].is_string()) {
      return error_reply(http::status::bad_request, "refreshToken missing");
    }
    const auto token = (*j)[key].get<std::string>();
    const auto owner = refresh_owner.find(token);
    if (owner == refresh_owner.end()) {
      return unauthorized("refresh token invalid");
    }
    if (path == "/auth/refresh") {
      ++stats.refreshes;
      return access_reply(owner->second, std::nullopt);
    }
    auto& list = refresh_by_user[owner->second];
    list.erase(std::find(list.begin(), list.end(), token));
    refresh_owner.erase(owner);
    ++stats.revokes;
    return {};
  }

  reply login(const json& j) {
    if (!j.contains("user") || !j["user"].is_string() || !j.contains("password") ||
        !j["password"].is_string()) {
      return error_reply(http::status::bad_request, "user and password are required");
    }
    const auto offline = j.value("offlineAccess", false);
    // A wrong user or password answers 401, as for a bad token; nothing says which was wrong.
    if (j["user"] != opts.user || j["password"] != opts.password) {
      ++stats.failed_logins;
      return unauthorized("invalid user or password");
    }
    ++stats.logins;
    std::optional<std::string> refresh;
    if (offline) {
      ++stats.offline_logins;
      refresh = make_token(rng);
      auto& list = refresh_by_user[opts.user];
      list.push_back(*refresh);
      refresh_owner[*refresh] = opts.user;
      // The eleventh refresh token silently evicts the oldest, whoever holds it.
      while (list.size() > opts.max_refresh_tokens) {
        refresh_owner.erase(list.front());
        list.pop_front();
        ++stats.refresh_tokens_evicted;
      }
    }
    return access_reply(opts.user, refresh);
  }

  reply access_reply(const std::string& user, const std::optional<std::string>& refresh) {
    const auto t = now();
    std::erase_if(access_tokens, [t](const auto& kv) { return kv.second.expires <= t; });
    const auto token = make_token(rng);
    const auto expires = t + opts.access_token_lifetime_s;
    access_tokens[token] = {user, expires};
    // A client that copies this into its request sends a header of the array's choosing; the
    // token before it stays valid, so that such a client goes on working and is counted.
    const auto handed = hostile.token_crlf ? token + "\r\nX-Injected: qsan-sim" : token;
    json out = {{"accessToken", handed}, {"expireTime", expires}};
    if (refresh) {
      out["refreshToken"] = *refresh;
    }
    return {http::status::ok, out.dump(), std::nullopt, duration{0}};
  }

  bool authorized(std::string_view header) const {
    if (opts.accept_bearer && header.starts_with("Bearer ")) {
      header.remove_prefix(7);
    }
    const auto it = access_tokens.find(std::string(header));
    return it != access_tokens.end() && now() < it->second.expires;
  }

  reply rest_api(const http::request<http::string_body>& req, std::string_view path,
                 const query_params& params) {
    if (req.method() != http::verb::get) {
      return error_reply(http::status::method_not_allowed, "use GET");
    }
    const auto header = req.find(http::field::authorization);
    if (header == req.end()) {
      return unauthorized("access token missing");
    }
    if (!authorized(header->value())) {
      return unauthorized("access token expired or invalid");
    }
    auto r = rest_answer(path, params);
    if (r.status == http::status::ok) {
      if (const auto body = draw_body(path)) {
        ++stats.hostile_bodies[std::string(to_string(*body))];
        make_hostile(r, *body);
      }
    }
    return r;
  }

  reply rest_answer(std::string_view path, const query_params& params) {
    const bool strings = opts.ids_as_strings;
    const auto ok = [](std::string body) {
      return reply{http::status::ok, std::move(body), std::nullopt, duration{0}};
    };
    if (path == "/rest/v1/log/list") {
      return log_list(params);
    }
    if (path == "/rest/v1/hardware/info") {
      return ok(array.hardware_info(strings));
    }
    if (path.starts_with("/rest/v1/hardware/")) {
      return enclosure_info(path.substr(18, path.size() - 23), params);
    }
    if (path == "/rest/v1/storage/pool/list") {
      return ok(array.pool_list(strings));
    }
    if (path == "/rest/v1/storage/disk/list") {
      return ok(array.disk_list(strings));
    }
    if (path == "/rest/v1/storage/volume/list") {
      return ok(array.volume_list(strings));
    }
    if (path == "/rest/v1/iscsi/target/list") {
      return ok(array.iscsi_targets(strings));
    }
    if (path == "/rest/v1/iscsi/session/list") {
      return ok(array.iscsi_sessions());
    }
    const auto type = path.substr(16, path.size() - 21);  // /rest/v1/backup/{type}/list
    auto body = array.backup_list(type, strings);
    return body ? ok(std::move(*body)) : error_reply(http::status::not_found, "no such API");
  }

  std::optional<hostile_body> draw_body(std::string_view path) {
    for (std::size_t k = 0; k < hostile_body_count; ++k) {
      const auto kind = static_cast<hostile_body>(k);
      if (next_bodies[k] > 0 && hostile_body_applies(kind, path)) {
        --next_bodies[k];
        return kind;
      }
    }
    for (std::size_t k = 0; k < hostile_body_count; ++k) {
      const auto kind = static_cast<hostile_body>(k);
      const auto p = hostile.body_chance[k];
      // No draw for a chance of 0, so that seeds give the same faults as without this knob.
      if (p > 0 && hostile_body_applies(kind, path) &&
          std::uniform_real_distribution<double>(0.0, 1.0)(rng) < p) {
        return kind;
      }
    }
    return std::nullopt;
  }

  void make_hostile(reply& r, hostile_body body) const {
    switch (body) {
      case hostile_body::nested_timestamp:
        prepend_nested_line(r.body, hostile.nesting_depth);
        break;
      case hostile_body::huge_page:
        r.body = huge_log_page(hostile.huge_page_lines, now());
        break;
      case hostile_body::endless_chunked:
        r.body.clear();
        r.endless = true;
        break;
      case hostile_body::nested_health:
        insert_ignored_field(r.body, nested_array(hostile.nesting_depth));
        break;
      case hostile_body::health_junk:
        insert_ignored_field(r.body, junk_array(hostile.health_junk_mb << 20));
        break;
    }
  }

  reply enclosure_info(std::string_view which, const query_params& params) {
    bool more = false;
    for (const auto& [k, v] : params) {
      if (k == "moreInfo") {
        if (v != "true" && v != "false") {
          return error_reply(http::status::bad_request, "moreInfo must be true or false");
        }
        more = v == "true";
      }
    }
    const auto uptime =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started)
            .count();
    const auto enc = which == "all" ? std::nullopt : parse_int<int>(which);
    auto body = array.enclosure_info(enc, more, uptime + 680775, opts.ids_as_strings);
    if (!body) {
      return error_reply(http::status::bad_request, "no such enclosure");
    }
    return {http::status::ok, std::move(*body), std::nullopt, duration{0}};
  }

  reply log_list(const query_params& params) {
    log_query q;
    bool typed = false;
    for (const auto& [k, v] : params) {
      if (k == "startTime") {
        q.start_time = parse_int<std::int64_t>(v);
        if (!q.start_time) {
          return error_reply(http::status::bad_request, "startTime must be an integer");
        }
      } else if (k == "type[]" || k == "type") {
        if (!typed) {
          q.type_mask = 0;
          typed = true;
        }
        // An unknown type matches nothing rather than failing the request.
        if (const auto t = parse_log_type(v)) {
          q.type_mask |= 1U << static_cast<unsigned>(*t);
        }
      } else if (k == "pageNumber" || k == "pageSize") {
        const auto n = parse_int<std::size_t>(v);
        const std::size_t limit = k == "pageNumber" ? 1'000'000'000 : 10'000'000;
        if (!n || *n < 1 || *n > limit) {
          return error_reply(http::status::bad_request, k + " must be a positive integer");
        }
        (k == "pageNumber" ? q.page_number : q.page_size) = *n;
      }
    }
    if (hostile.ignore_page_number) {
      q.page_number = 1;
    }
    if (hostile.ignore_start_time) {
      q.start_time.reset();
    }
    reply r;
    r.body.clear();
    stats.log_lines_served += book.render_page(r.body, q,
                     {opts.newest_first, opts.start_time_inclusive, opts.ids_as_strings,
                      hostile.total, static_cast<std::size_t>(log_answers++),
                      hostile.always_next_page, hostile.oversize_pages});
    return r;
  }

  // --- control -----------------------------------------------------------------------------

  void add_logs_locked(std::size_t n) {
    const auto t = now();
    book.generate(n, t, t);
  }

  bool add_log_locked(const log_line& line) {
    const auto type = parse_log_type(line.type);
    if (!type) {
      return false;
    }
    book.add(line.timestamp, *type, line.message);
    return true;
  }

  counters stats_locked() const {
    auto c = stats;
    c.active_refresh_tokens = refresh_owner.size();
    c.log_lines = book.size();
    c.dropped_lines = book.dropped_count();
    return c;
  }

  void forget_tokens_locked() {
    access_tokens.clear();
    refresh_by_user.clear();
    refresh_owner.clear();
  }

  void set_hostile_locked(const hostile_settings& h) {
    check_hostile(h);
    hostile = h;
    book.set_latin1_ratio(h.latin1_ratio);
    book.set_capacity(h.max_log_lines);
  }

  static std::string lines_json(const std::vector<log_line>& lines) {
    std::string out = "{\"logs\":[";
    bool first = true;
    for (const auto& l : lines) {
      out += first ? "{\"timestamp\":" : ",{\"timestamp\":";
      first = false;
      out += std::to_string(l.timestamp);
      out += ",\"type\":";
      append_json_string(out, l.type);
      out += ",\"message\":";
      append_json_string(out, l.message);
      out += '}';
    }
    out += "]}";
    return out;
  }

  static json stats_json(const counters& c) {
    return {{"logins", c.logins},
            {"offlineLogins", c.offline_logins},
            {"failedLogins", c.failed_logins},
            {"refreshes", c.refreshes},
            {"revokes", c.revokes},
            {"unauthorized", c.unauthorized},
            {"faultsInjected", c.faults_injected},
            {"refreshTokensEvicted", c.refresh_tokens_evicted},
            {"activeRefreshTokens", c.active_refresh_tokens},
            {"logLines", c.log_lines},
            {"droppedLines", c.dropped_lines},
            {"logLinesServed", c.log_lines_served},
            {"requests", c.requests},
            {"hostileBodies", c.hostile_bodies},
            {"injectedHeaders", c.injected_headers}};
  }

  reply control(http::verb method, std::string_view path, std::string_view body) {
    if (method == http::verb::get && (path == "/_sim/ledger" || path == "/_sim/dropped")) {
      return {http::status::ok,
              lines_json(path == "/_sim/ledger" ? book.ledger() : book.dropped()), std::nullopt,
              duration{0}};
    }
    if (method == http::verb::get && path == "/_sim/stats") {
      return {http::status::ok, stats_json(stats_locked()).dump(), std::nullopt, duration{0}};
    }
    if (method != http::verb::post) {
      return error_reply(http::status::not_found, "no such control");
    }
    const auto j = parse_body(body);
    if (!j) {
      return error_reply(http::status::bad_request, "body must be a JSON object");
    }
    try {
      const auto done = control_action(path, *j);
      if (!done) {
        return error_reply(http::status::not_found, "no such control");
      }
      return *done ? reply{} : error_reply(http::status::not_found, "no such component");
    } catch (const json::exception& e) {
      return error_reply(http::status::bad_request, e.what());
    } catch (const std::invalid_argument& e) {
      return error_reply(http::status::bad_request, e.what());
    }
  }

  /// nullopt: unknown control path; false: unknown component. Throws json::exception on a
  /// missing or mistyped field.
  std::optional<bool> control_action(std::string_view path, const json& j) {
    const auto health = [&] { return j.at("health").get<std::string>(); };
    const auto status = [&] { return j.value("status", std::string()); };
    const auto id = [&] { return j.at("id").get<std::string>(); };
    if (path == "/_sim/logs") {
      add_logs_locked(j.value("count", std::size_t{0}));
      for (const auto& l : j.value("lines", json::array())) {
        if (!add_log_locked({l.value("timestamp", now()), l.at("type").get<std::string>(),
                             l.at("message").get<std::string>()})) {
          throw std::invalid_argument("unknown log type");
        }
      }
      return true;
    }
    if (path == "/_sim/live") {
      paused = j.value("paused", paused);
      live_rate = j.value("rate", live_rate);
      return true;
    }
    if (path == "/_sim/tokens/forget") {
      forget_tokens_locked();
      return true;
    }
    if (path == "/_sim/faults") {
      faults.status_5xx = j.value("status5xx", faults.status_5xx);
      faults.delay = j.value("delay", faults.delay);
      faults.truncate = j.value("truncate", faults.truncate);
      faults.reset = j.value("reset", faults.reset);
      faults.delay_for = duration{j.value("delayMs", faults.delay_for.count())};
      faults.on_auth = j.value("onAuth", faults.on_auth);
      return true;
    }
    if (path == "/_sim/fail-next") {
      const auto kind = parse_fault(j.at("kind").get<std::string>());
      if (!kind) {
        throw std::invalid_argument("kind must be 500, 503, delay, truncate or reset");
      }
      forced.emplace_back(*kind, j.value("count", std::size_t{1}));
      return true;
    }
    if (path == "/_sim/hostile") {
      auto h = hostile;
      update_hostile(h, j);
      set_hostile_locked(h);
      return true;
    }
    if (path == "/_sim/hostile/next") {
      const auto kind = parse_hostile_body(j.at("kind").get<std::string>());
      if (!kind) {
        throw std::invalid_argument("unknown hostile body");
      }
      next_bodies[static_cast<std::size_t>(*kind)] += j.value("count", std::size_t{1});
      return true;
    }
    if (path == "/_sim/log/clear") {
      book.clear();
      return true;
    }
    if (path == "/_sim/clock") {
      clock_offset_s = j.at("offset").get<std::int64_t>();
      return true;
    }
    if (path == "/_sim/disk/fail") {
      return array.set_disk_health(id(), "Failed", "Offline");
    }
    if (path == "/_sim/disk/restore") {
      return array.set_disk_health(id(), "Good", "Online");
    }
    if (path == "/_sim/disk/health") {
      return array.set_disk_health(id(), health(), status());
    }
    if (path == "/_sim/disk/pull" || path == "/_sim/disk/insert") {
      return array.set_disk_present(id(), path.ends_with("insert"));
    }
    if (path == "/_sim/disk/temperature") {
      return array.set_disk_temperature(id(), j.at("celsius").get<int>());
    }
    if (path == "/_sim/disk/ssd-life") {
      return array.set_ssd_life(id(), j.at("percent").get<int>());
    }
    const auto enc = [&] { return j.at("encId").get<int>(); };
    const auto name = [&] { return j.at("name").get<std::string>(); };
    if (path == "/_sim/psu") {
      return array.set_psu_status(enc(), name(), j.at("status").get<std::string>());
    }
    if (path == "/_sim/fan") {
      return array.set_fan(enc(), name(), j.at("rpm").get<int>(),
                           j.at("status").get<std::string>());
    }
    if (path == "/_sim/temperature") {
      return array.set_temperature(enc(), name(), j.at("celsius").get<int>(), status());
    }
    if (path == "/_sim/voltage") {
      return array.set_voltage(enc(), name(), j.at("volts").get<double>(),
                               j.at("status").get<std::string>());
    }
    if (path == "/_sim/cache-to-flash") {
      return array.set_cache_to_flash(enc(), name(), j.at("status").get<std::string>());
    }
    if (path == "/_sim/enclosure/detach" || path == "/_sim/enclosure/attach") {
      return array.set_enclosure_present(enc(), path == "/_sim/enclosure/attach");
    }
    if (path == "/_sim/pool") {
      return array.set_pool_health(name(), health(), status());
    }
    if (path == "/_sim/pool/used") {
      return array.set_pool_used(name(), j.at("percent").get<double>());
    }
    if (path == "/_sim/raidset") {
      return array.set_raidset_health(j.at("pool").get<std::string>(), j.at("id").get<int>(),
                                      health(), status());
    }
    if (path == "/_sim/volume") {
      return array.set_volume_health(name(), health(), status());
    }
    return std::nullopt;
  }

  // --- connections --------------------------------------------------------------------------

  std::optional<std::uint64_t> track(beast::tcp_stream& stream, asio::steady_timer& delay) {
    std::lock_guard lock(mu);
    if (stopped) {
      return std::nullopt;
    }
    connections.emplace(next_connection, connection{&stream, &delay});
    return next_connection++;
  }

  void untrack(std::uint64_t id) {
    std::lock_guard lock(mu);
    connections.erase(id);
  }

  // Runs on the io_context's thread, so no connection can be destroyed meanwhile.
  void close_all() {
    std::vector<connection> open;
    {
      std::lock_guard lock(mu);
      for (const auto& [id, c] : connections) {
        open.push_back(c);
      }
    }
    boost::system::error_code ec;
    acceptor.close(ec);
    live_timer.cancel();
    for (const auto& c : open) {
      c.delay->cancel();
      c.tcp->close();
    }
  }
};

namespace {

using impl_ptr = std::shared_ptr<simulator::impl>;

/// Sends the endless chunked answer until a write fails: the client went, or stop() closed the
/// socket. The same chunk goes out again and again, so this costs the simulator little.
template <class Stream>
asio::awaitable<void> send_endless(impl_ptr self, Stream& stream) {
  const auto head = endless_head(http_date(self->now()));
  const auto chunk = endless_chunk(self->now(), 64U * 1024U);
  auto& tcp = beast::get_lowest_layer(stream);
  tcp.expires_after(std::chrono::seconds(30));
  auto [ec, n] = co_await asio::async_write(stream, asio::buffer(head), use_tuple);
  while (!ec) {
    tcp.expires_after(std::chrono::seconds(30));
    std::tie(ec, n) = co_await asio::async_write(stream, asio::buffer(chunk), use_tuple);
  }
}

template <class Stream>
asio::awaitable<bool> serve_requests(impl_ptr self, Stream& stream, asio::steady_timer& delay) {
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(max_request_body);
    beast::get_lowest_layer(stream).expires_after(std::chrono::minutes(5));
    const auto [rec, rn] = co_await http::async_read(stream, buffer, parser, use_tuple);
    if (rec) {
      co_return false;
    }
    const auto req = parser.release();
    auto r = self->handle(req);
    if (r.injected == fault::reset) {
      reset_connection(beast::get_lowest_layer(stream).socket());
      co_return false;
    }
    if (r.injected == fault::delay) {
      delay.expires_after(r.delay);
      const auto [dec] = co_await delay.async_wait(use_tuple);
      if (dec) {
        co_return false;
      }
    }
    if (r.endless) {
      co_await send_endless(self, stream);
      co_return false;
    }
    http::response<http::string_body> res{r.status, req.version()};
    res.set(http::field::server, "qsan-sim");
    res.set(http::field::date, http_date(self->now()));
    res.set(http::field::content_type, "application/json");
    res.keep_alive(req.keep_alive());
    res.body() = std::move(r.body);
    res.prepare_payload();
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(30));
    const auto [wec, wn] = co_await http::async_write(stream, res, use_tuple);
    if (wec) {
      co_return false;
    }
    if (!res.keep_alive()) {
      co_return true;
    }
  }
}

struct tracked {
  impl_ptr self;
  std::uint64_t id;
  ~tracked() { self->untrack(id); }
};

asio::awaitable<void> session(impl_ptr self, tcp::socket socket) {
  boost::system::error_code ec;
  socket.set_option(tcp::no_delay(true), ec);
  asio::steady_timer delay(socket.get_executor());
  if (self->ssl) {
    beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), *self->ssl);
    const auto id = self->track(stream.next_layer(), delay);
    if (!id) {
      co_return;
    }
    const tracked guard{self, *id};
    stream.next_layer().expires_after(std::chrono::seconds(30));
    const auto [hec] = co_await stream.async_handshake(asio::ssl::stream_base::server, use_tuple);
    if (hec) {
      co_return;
    }
    if (co_await serve_requests(self, stream, delay)) {
      stream.next_layer().expires_after(std::chrono::seconds(5));
      co_await stream.async_shutdown(use_tuple);
    }
  } else {
    beast::tcp_stream stream(std::move(socket));
    const auto id = self->track(stream, delay);
    if (!id) {
      co_return;
    }
    const tracked guard{self, *id};
    if (co_await serve_requests(self, stream, delay)) {
      stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    }
  }
}

asio::awaitable<void> accept_loop(impl_ptr self) {
  for (;;) {
    auto [ec, socket] = co_await self->acceptor.async_accept(use_tuple);
    if (ec) {
      if (!self->acceptor.is_open()) {
        co_return;
      }
      // Out of descriptors or similar: wait a little rather than spin.
      asio::steady_timer pause(self->acceptor.get_executor(), std::chrono::milliseconds(50));
      co_await pause.async_wait(use_tuple);
      continue;
    }
    asio::co_spawn(self->acceptor.get_executor(), session(self, std::move(socket)), asio::detached);
  }
}

asio::awaitable<void> live_loop(impl_ptr self) {
  auto last = std::chrono::steady_clock::now();
  double carry = 0;
  for (;;) {
    self->live_timer.expires_after(std::chrono::milliseconds(100));
    co_await self->live_timer.async_wait(use_tuple);
    std::lock_guard lock(self->mu);
    if (self->stopped) {
      co_return;
    }
    const auto now = std::chrono::steady_clock::now();
    const auto elapsed = std::chrono::duration<double>(now - last).count();
    last = now;
    if (self->paused || self->live_rate <= 0) {
      carry = 0;
      continue;
    }
    // Lines of one tick share the array's current second, as on a busy array.
    carry += self->live_rate * elapsed;
    const auto n = static_cast<std::size_t>(carry);
    carry -= static_cast<double>(n);
    self->add_logs_locked(n);
  }
}

}  // namespace

simulator::simulator(asio::io_context& io, options o) {
  if (o.cert_file.empty() != o.key_file.empty()) {
    throw std::invalid_argument("cert_file and key_file go together");
  }
  if (o.access_token_lifetime_s < 1 || o.max_refresh_tokens < 1 || o.backlog_per_second <= 0) {
    throw std::invalid_argument(
        "access token lifetime, refresh token limit and backlog density must be positive");
  }
  check_hostile(o.hostile);
  impl_ = std::make_shared<impl>(io, std::move(o));
  impl_->set_hostile_locked(impl_->opts.hostile);  // nothing else holds impl_ yet
  if (impl_->opts.backlog > 0) {
    const auto now = impl_->now();
    const auto span = static_cast<double>(impl_->opts.backlog - 1) / impl_->opts.backlog_per_second;
    impl_->book.generate(impl_->opts.backlog, now - static_cast<std::int64_t>(span), now);
  }
}

simulator::~simulator() {
  stop();
}

void simulator::start() {
  auto& s = *impl_;
  if (!s.opts.cert_file.empty()) {
    s.ssl.emplace(asio::ssl::context::tls_server);
    s.ssl->use_certificate_chain_file(s.opts.cert_file);
    s.ssl->use_private_key_file(s.opts.key_file, asio::ssl::context::pem);
  }
  const tcp::endpoint ep(asio::ip::make_address(s.opts.listen_address), s.opts.port);
  s.acceptor.open(ep.protocol());
  s.acceptor.set_option(tcp::acceptor::reuse_address(true));
  s.acceptor.bind(ep);
  s.acceptor.listen(asio::socket_base::max_listen_connections);
  {
    std::lock_guard lock(s.mu);
    s.port = s.acceptor.local_endpoint().port();
  }
  asio::co_spawn(s.io_, accept_loop(impl_), asio::detached);
  asio::co_spawn(s.io_, live_loop(impl_), asio::detached);
  s.log->info("{}: simulated array listening on {}", s.opts.name, base_url());
}

void simulator::stop() {
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->stopped) {
      return;
    }
    impl_->stopped = true;
  }
  asio::post(impl_->io_, [self = impl_] { self->close_all(); });
}

std::uint16_t simulator::port() const {
  std::lock_guard lock(impl_->mu);
  return impl_->port;
}

std::string simulator::base_url() const {
  return std::string(impl_->opts.cert_file.empty() ? "http://" : "https://") +
         impl_->opts.listen_address + ":" + std::to_string(port());
}

std::int64_t simulator::array_now() const {
  return impl_->now();
}

void simulator::set_clock_offset(std::int64_t seconds) {
  impl_->clock_offset_s = seconds;
}

void simulator::add_logs(std::size_t n) {
  std::lock_guard lock(impl_->mu);
  impl_->add_logs_locked(n);
}

bool simulator::add_log(const log_line& line) {
  std::lock_guard lock(impl_->mu);
  return impl_->add_log_locked(line);
}

void simulator::pause_live(bool paused) {
  std::lock_guard lock(impl_->mu);
  impl_->paused = paused;
}

void simulator::set_live_rate(double lines_per_second) {
  std::lock_guard lock(impl_->mu);
  impl_->live_rate = lines_per_second;
}

std::vector<log_line> simulator::ledger() const {
  std::lock_guard lock(impl_->mu);
  return impl_->book.ledger();
}

std::vector<log_line> simulator::dropped() const {
  std::lock_guard lock(impl_->mu);
  return impl_->book.dropped();
}

void simulator::clear_log() {
  std::lock_guard lock(impl_->mu);
  impl_->book.clear();
}

std::size_t simulator::log_count() const {
  std::lock_guard lock(impl_->mu);
  return impl_->book.size();
}

void simulator::forget_tokens() {
  std::lock_guard lock(impl_->mu);
  impl_->forget_tokens_locked();
}

void simulator::set_faults(const fault_settings& f) {
  std::lock_guard lock(impl_->mu);
  impl_->faults = f;
}

void simulator::fail_next(fault kind, std::size_t n) {
  std::lock_guard lock(impl_->mu);
  if (n > 0) {
    impl_->forced.emplace_back(kind, n);
  }
}

void simulator::set_hostile(const hostile_settings& h) {
  std::lock_guard lock(impl_->mu);
  impl_->set_hostile_locked(h);
}

hostile_settings simulator::hostile() const {
  std::lock_guard lock(impl_->mu);
  return impl_->hostile;
}

void simulator::send_next(hostile_body kind, std::size_t n) {
  std::lock_guard lock(impl_->mu);
  impl_->next_bodies[static_cast<std::size_t>(kind)] += n;
}

counters simulator::stats() const {
  std::lock_guard lock(impl_->mu);
  return impl_->stats_locked();
}

bool simulator::set_disk_health(std::string_view id, std::string health, std::string status) {
  std::lock_guard lock(impl_->mu);
  return impl_->array.set_disk_health(id, std::move(health), std::move(status));
}

bool simulator::fail_disk(std::string_view id) {
  return set_disk_health(id, "Failed", "Offline");
}

bool simulator::restore_disk(std::string_view id) {
  return set_disk_health(id, "Good", "Online");
}

bool simulator::pull_disk(std::string_view id) {
  std::lock_guard lock(impl_->mu);
  return impl_->array.set_disk_present(id, false);
}

bool simulator::insert_disk(std::string_view id) {
  std::lock_guard lock(impl_->mu);
  return impl_->array.set_disk_present(id, true);
}

bool simulator::set_disk_temperature(std::string_view id, int celsius) {
  std::lock_guard lock(impl_->mu);
  return impl_->array.set_disk_temperature(id, celsius);
}

bool simulator::set_ssd_life(std::string_view id, int percent) {
  std::lock_guard lock(impl_->mu);
  return impl_->array.set_ssd_life(id, percent);
}

bool simulator::set_psu_status(int enc, std::string_view name, std::string status) {
  std::lock_guard lock(impl_->mu);
  return impl_->array.set_psu_status(enc, name, std::move(status));
}

bool simulator::set_fan(int enc, std::string_view name, int rpm, std::string status) {
  std::lock_guard lock(impl_->mu);
  return impl_->array.set_fan(enc, name, rpm, std::move(status));
}

bool simulator::set_temperature(int enc, std::string_view name, int celsius, std::string status) {
  std::lock_guard lock(impl_->mu);
  return impl_->array.set_temperature(enc, name, celsius, std::move(status));
}

bool simulator::set_voltage(int enc, std::string_view name, double volts, std::string status) {
  std::lock_guard lock(impl_->mu);
  return impl_->array.set_voltage(enc, name, volts, std::move(status));
}

bool simulator::set_cache_to_flash(int enc, std::string_view name, std::string status) {
  std::lock_guard lock(impl_->mu);
  return impl_->array.set_cache_to_flash(enc, name, std::move(status));
}

bool simulator::detach_enclosure(int enc) {
  std::lock_guard lock(impl_->mu);
  return impl_->array.set_enclosure_present(enc, false);
}

bool simulator::attach_enclosure(int enc) {
  std::lock_guard lock(impl_->mu);
  return impl_->array.set_enclosure_present(enc, true);
}

bool simulator::set_pool_used(std::string_view name, double percent) {
  std::lock_guard lock(impl_->mu);
  return impl_->array.set_pool_used(name, percent);
}

bool simulator::set_pool_health(std::string_view name, std::string health, std::string status) {
  std::lock_guard lock(impl_->mu);
  return impl_->array.set_pool_health(name, std::move(health), std::move(status));
}

bool simulator::set_raidset_health(std::string_view pool, int id, std::string health,
                                   std::string status) {
  std::lock_guard lock(impl_->mu);
  return impl_->array.set_raidset_health(pool, id, std::move(health), std::move(status));
}

bool simulator::set_volume_health(std::string_view name, std::string health, std::string status) {
  std::lock_guard lock(impl_->mu);
  return impl_->array.set_volume_health(name, std::move(health), std::move(status));
}

running_simulator::running_simulator(options o)
    : work_(io_.get_executor()), sim_(io_, std::move(o)) {
  sim_.start();
  thread_ = std::thread([this] { io_.run(); });
}

running_simulator::~running_simulator() {
  sim_.stop();
  // Handlers run in order on the one thread, and the work guard keeps it running: once this
  // marker runs, the closing has too. What is still in flight (a TLS shutdown) is dropped.
  std::promise<void> closed;
  asio::post(io_, [&closed] { closed.set_value(); });
  closed.get_future().wait();
  work_.reset();
  io_.stop();
  thread_.join();
}

}  // namespace qsanfwd::sim
