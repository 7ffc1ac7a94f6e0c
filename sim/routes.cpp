#include <algorithm>
#include <charconv>
#include <cstdio>

#include "agent/core/event.hpp"
#include "agent/device/rest_api.hpp"
#include "sim/simulator_impl.hpp"

// The REST API and auth answers, as the manual describes them (with the array's quirks the
// options ask for); control paths go on to control.cpp, injected failures come from faults.cpp.

namespace qsanfwd::sim {

using json = nlohmann::json;
namespace rest = device::rest;

namespace {

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

/// {enc} of /rest/v1/hardware/{enc}/info: the caller knows the path has that shape.
std::string_view enclosure_of(std::string_view path) {
  return path.substr(
      rest::enclosure_info_prefix.size(),
      path.size() - rest::enclosure_info_prefix.size() - rest::enclosure_info_suffix.size());
}

/// {type} of /rest/v1/backup/{type}/list.
std::string_view backup_type_of(std::string_view path) {
  return path.substr(
      rest::backup_list_prefix.size(),
      path.size() - rest::backup_list_prefix.size() - rest::backup_list_suffix.size());
}

bool is_rest_path(std::string_view path) {
  static constexpr std::string_view exact[] = {
      rest::log_list,  rest::hardware_info, rest::all_enclosures_info, rest::pool_list,
      rest::disk_list, rest::volume_list,   rest::iscsi_target_list,   rest::iscsi_session_list};
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
  return (middle(rest::enclosure_info_prefix, rest::enclosure_info_suffix) &&
          parse_int<int>(enclosure_of(path))) ||
         middle(rest::backup_list_prefix, rest::backup_list_suffix);
}

bool is_auth_path(std::string_view path) {
  return path == rest::auth_get || path == rest::auth_refresh || path == rest::auth_revoke;
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

}  // namespace

reply error_reply(http::status status, std::string_view message) {
  std::string body = "{\"error\":";
  append_json_string(body, message);
  body += '}';
  return {status, std::move(body), std::nullopt, duration{0}};
}

std::optional<json> parse_body(std::string_view body) {
  auto j = json::parse(body.empty() ? std::string_view("{}") : body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return std::nullopt;
  }
  return j;
}

reply simulator::impl::handle(const http::request<http::string_body>& req) {
  std::lock_guard lock(mu);
  const auto target = std::string_view(req.target());
  if (req.find("X-Injected") != req.end()) {
    ++stats.injected_headers;
  }
  const auto qmark = target.find('?');
  const auto path = target.substr(0, qmark);
  const auto params =
      parse_query(qmark == std::string_view::npos ? std::string_view{} : target.substr(qmark + 1));
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

reply simulator::impl::unauthorized(std::string_view why) {
  ++stats.unauthorized;
  return error_reply(http::status::unauthorized, why);
}

reply simulator::impl::auth_api(http::verb method, std::string_view path, std::string_view body) {
  if (method != http::verb::post) {
    return error_reply(http::status::method_not_allowed, "use POST");
  }
  const auto j = parse_body(body);
  if (!j) {
    return error_reply(http::status::bad_request, "body must be a JSON object");
  }
  if (path == rest::auth_get) {
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
  if (path == rest::auth_refresh) {
    ++stats.refreshes;
    return access_reply(owner->second, std::nullopt);
  }
  auto& list = refresh_by_user[owner->second];
  list.erase(std::find(list.begin(), list.end(), token));
  refresh_owner.erase(owner);
  ++stats.revokes;
  return {};
}

reply simulator::impl::login(const json& j) {
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

reply simulator::impl::access_reply(const std::string& user,
                                    const std::optional<std::string>& refresh) {
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

bool simulator::impl::authorized(std::string_view header) const {
  if (opts.accept_bearer && header.starts_with("Bearer ")) {
    header.remove_prefix(7);
  }
  const auto it = access_tokens.find(std::string(header));
  return it != access_tokens.end() && now() < it->second.expires;
}

reply simulator::impl::rest_api(const http::request<http::string_body>& req, std::string_view path,
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

reply simulator::impl::rest_answer(std::string_view path, const query_params& params) {
  const bool strings = opts.ids_as_strings;
  const auto ok = [](std::string body) {
    return reply{http::status::ok, std::move(body), std::nullopt, duration{0}};
  };
  if (path == rest::log_list) {
    return log_list(params);
  }
  if (path == rest::hardware_info) {
    return ok(array.hardware_info(strings));
  }
  if (path.starts_with(rest::enclosure_info_prefix)) {
    return enclosure_info(enclosure_of(path), params);
  }
  if (path == rest::pool_list) {
    return ok(array.pool_list(strings));
  }
  if (path == rest::disk_list) {
    return ok(array.disk_list(strings));
  }
  if (path == rest::volume_list) {
    return ok(array.volume_list(strings));
  }
  if (path == rest::iscsi_target_list) {
    return ok(array.iscsi_targets(strings));
  }
  if (path == rest::iscsi_session_list) {
    return ok(array.iscsi_sessions());
  }
  const auto type = backup_type_of(path);
  auto body = array.backup_list(type, strings);
  return body ? ok(std::move(*body)) : error_reply(http::status::not_found, "no such API");
}

reply simulator::impl::enclosure_info(std::string_view which, const query_params& params) {
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

reply simulator::impl::log_list(const query_params& params) {
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
  stats.log_lines_served += book.render_page(
      r.body, q,
      {opts.newest_first, opts.start_time_inclusive, opts.ids_as_strings, hostile.total,
       static_cast<std::size_t>(log_answers++), hostile.always_next_page, hostile.oversize_pages});
  return r;
}

}  // namespace qsanfwd::sim
