#include "agent/device/device_client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <nlohmann/json.hpp>

#include "agent/core/http_status.hpp"
#include "agent/core/logging.hpp"
#include "agent/core/time.hpp"
#include "agent/core/utf8.hpp"
#include "agent/device/parse.hpp"
#include "agent/device/rest_api.hpp"
#include "agent/net/tls.hpp"

namespace qsanfwd::device {
namespace asio = boost::asio;
namespace http = boost::beast::http;

namespace {

constexpr std::int64_t default_token_lifetime_s = 3600;  // the manual's 60 minutes
constexpr std::int64_t max_token_lifetime_s = 7 * 86400;

std::string snippet(const std::string& body) {
  constexpr std::size_t limit = 200;
  std::string s = body.size() > limit ? body.substr(0, limit) + "..." : body;
  for (auto& c : s) {
    if (static_cast<unsigned char>(c) < 0x20) {
      c = ' ';
    }
  }
  return s;
}

std::string path_of(const std::string& target) {
  return target.substr(0, target.find('?'));
}

}  // namespace

std::string_view to_string(device_state s) {
  switch (s) {
    case device_state::unknown:
      return "unknown";
    case device_state::reachable:
      return "reachable";
    case device_state::unreachable:
      return "unreachable";
    case device_state::login_failed:
      return "login_failed";
  }
  return "unknown";
}

duration token_use_period(std::int64_t lifetime_seconds) {
  // Both clocks tick in whole seconds, so a stated lifetime may be up to a second long.
  const auto usable = duration{std::max<std::int64_t>(lifetime_seconds - 1, 0) * 1000};
  constexpr duration margin{60'000};
  return usable < 2 * margin ? usable / 2 : usable - margin;
}

device_client::device_client(asio::any_io_executor ex, client_settings settings, token_vault& vault,
                             event_sink on_agent_event)
    : ex_(ex),
      settings_(std::move(settings)),
      vault_(vault),
      on_agent_event_(std::move(on_agent_event)),
      log_(get_logger("device")),
      conn_(ex, settings_.peer,
            settings_.peer.tls ? net::client_tls_context(settings_.tls) : nullptr,
            settings_.timeout, settings_.max_response_bytes),
      backoff_(settings_.retry_initial, settings_.retry_max) {
  if (settings_.peer.tls && !settings_.tls.verify && settings_.tls.pin_sha256.empty()) {
    log_->warn(
        "{}: TLS certificate verification is off (tls.verify: false); anyone on the path "
        "can read the array's password",
        settings_.name);
  }
}

std::string device_client::authorization() const {
  return settings_.scheme == auth_scheme::bearer ? "Bearer " + access_token_ : access_token_;
}

void device_client::note_date(const net::http_reply& reply) {
  if (const auto date = parse_http_date(reply.date)) {
    array_clock_ = clock_reading{*date, clock::now()};
  }
}

std::optional<std::int64_t> device_client::array_now() const {
  if (!array_clock_) {
    return std::nullopt;
  }
  const auto since = std::chrono::duration_cast<std::chrono::seconds>(clock::now() -
                                                                      array_clock_->taken);
  return array_clock_->array_time + since.count();
}

void device_client::accept_grant(const token_grant& grant, const net::http_reply& reply) {
  const auto array_now = parse_http_date(reply.date).value_or(unix_now());
  auto lifetime = grant.expire_time > 0 ? grant.expire_time - array_now : default_token_lifetime_s;
  lifetime = std::clamp<std::int64_t>(lifetime, 1, max_token_lifetime_s);
  access_token_ = grant.access_token;
  refresh_at_ = clock::now() + token_use_period(lifetime);
}

asio::awaitable<result<bool>> device_client::login() {
  nlohmann::json body{{"user", settings_.username},
                      {"password", settings_.password.reveal()},
                      {"offlineAccess", settings_.offline_access}};
  ++counters_.requests;
  auto reply =
      co_await conn_.request(http::verb::post, std::string(rest::auth_get), body.dump(), "");
  if (!reply) {
    co_return reply.error();
  }
  const auto cls = classify_status(reply->status);
  if (cls == status_class::unauthorized || cls == status_class::rejected ||
      cls == status_class::not_found) {
    failure f{"login as " + settings_.username + " refused: HTTP " + std::to_string(reply->status) +
                  " from " + std::string(rest::auth_get),
              failure_kind::permanent};
    set_state(device_state::login_failed, f.message);
    co_return f;
  }
  if (cls != status_class::success) {
    co_return failure{std::string(rest::auth_get) + ": HTTP " + std::to_string(reply->status)};
  }
  auto grant = parse_token_grant(rest::auth_get, reply->body);
  if (!grant) {
    // A grant the agent cannot use (a token with bytes no header may carry, a missing field)
    // will come back the same on a retry, and each login with offlineAccess may evict one of
    // the user's ten refresh tokens on the array: a failed login, tried again a poll later.
    failure f{"login as " + settings_.username + " failed: " + grant.error().message,
              failure_kind::permanent};
    set_state(device_state::login_failed, f.message);
    co_return f;
  }
  ++counters_.logins;
  accept_grant(*grant, *reply);
  if (grant->refresh_token) {
    refresh_token_ = grant->refresh_token;
    vault_.save(settings_.name, *refresh_token_);
  } else if (settings_.offline_access) {
    log_->warn("{}: the array gave no refresh token for an offlineAccess login", settings_.name);
  }
  log_->info("{}: logged in as {}", settings_.name, settings_.username);
  co_return true;
}

asio::awaitable<result<bool>> device_client::refresh() {
  nlohmann::json body{{"refreshToken", *refresh_token_}};
  ++counters_.requests;
  auto reply =
      co_await conn_.request(http::verb::post, std::string(rest::auth_refresh), body.dump(), "");
  if (!reply) {
    co_return reply.error();
  }
  const auto cls = classify_status(reply->status);
  if (cls == status_class::success) {
    auto grant = parse_token_grant(rest::auth_refresh, reply->body);
    if (!grant) {
      co_return grant.error();
    }
    ++counters_.refreshes;
    accept_grant(*grant, *reply);
    co_return true;
  }
  if (cls == status_class::retry) {
    co_return failure{std::string(rest::auth_refresh) + ": HTTP " + std::to_string(reply->status)};
  }
  // Revoked, evicted by an eleventh login elsewhere, or expired: only a login helps now.
  log_->info("{}: the stored refresh token was refused (HTTP {}); logging in afresh",
             settings_.name, reply->status);
  refresh_token_.reset();
  vault_.forget(settings_.name);
  co_return failure{"refresh token refused", failure_kind::permanent};
}

asio::awaitable<result<bool>> device_client::ensure_token() {
  if (!access_token_.empty() && clock::now() < refresh_at_) {
    co_return true;
  }
  if (!std::exchange(vault_loaded_, true)) {
    refresh_token_ = vault_.load(settings_.name);
  }
  if (refresh_token_) {
    auto r = co_await refresh();
    if (r || r.error().kind == failure_kind::transient) {
      co_return r;  // a network failure must not cost one of the user's ten login slots
    }
  }
  co_return co_await login();
}

asio::awaitable<result<net::http_reply>> device_client::authorized_get(const std::string& target) {
  for (int round = 0;; ++round) {
    auto token = co_await ensure_token();
    if (!token) {
      co_return token.error();
    }
    ++counters_.requests;
    auto reply = co_await conn_.request(http::verb::get, target, "", authorization());
    if (!reply || reply->status != 401 || round == 2) {
      co_return reply;
    }
    // The array forgot the token: first try a refresh, and if that token is refused too, log in.
    ++counters_.unauthorized;
    access_token_.clear();
    if (round == 1) {
      refresh_token_.reset();
    }
  }
}

template <typename T, typename Parse>
asio::awaitable<result<T>> device_client::call(std::string target, Parse parse) {
  const auto path = path_of(target);
  if (unsupported_.contains(path)) {
    co_return failure{path + " is not supported by this firmware", failure_kind::unsupported};
  }
  backoff_.reset();
  failure last;
  bool garbled = false;  // the array answered, but not with what the manual promises
  for (int attempt = 1; attempt <= settings_.max_attempts; ++attempt) {
    std::optional<duration> retry_after;
    garbled = false;
    auto reply = co_await authorized_get(target);
    if (!reply) {
      last = reply.error();
    } else {
      note_date(*reply);
      switch (classify_status(reply->status)) {
        case status_class::success: {
          auto repaired = repair_text(path, reply->body);
          auto parsed = repaired ? parse(reply->body) : result<T>(repaired.error());
          if (parsed) {
            set_state(device_state::reachable, "");
            co_return parsed;
          }
          last = parsed.error();  // a garbled answer may be a one-off: retry it
          garbled = true;
          break;
        }
        case status_class::not_found:
          unsupported_.insert(path);
          set_state(device_state::reachable, "");
          log_->warn("{}: {} answered 404: this firmware lacks it; not asking again until restart",
                     settings_.name, path);
          co_return failure{path + " is not supported by this firmware (HTTP 404)",
                            failure_kind::unsupported};
        case status_class::rejected:
          set_state(device_state::reachable, "");
          co_return failure{
              path + ": HTTP " + std::to_string(reply->status) + ": " + snippet(reply->body),
              failure_kind::permanent};
        case status_class::unauthorized:
        case status_class::retry:
          last = failure{path + ": HTTP " + std::to_string(reply->status)};
          retry_after = reply->retry_after;
          break;
      }
    }
    if (last.kind == failure_kind::permanent) {
      co_return last;  // the login was refused; set_state has reported it
    }
    if (attempt < settings_.max_attempts) {
      ++counters_.retries;
      auto wait = backoff_.next();
      if (retry_after) {
        wait = std::min(std::max(wait, *retry_after), settings_.retry_max);
      }
      log_->debug("{}: {} failed ({}); attempt {} of {} in {}", settings_.name, path, last.message,
                  attempt + 1, settings_.max_attempts, format_duration(wait));
      co_await pause(wait);
    }
  }
  ++counters_.failures;
  if (garbled) {
    set_state(device_state::reachable, "");  // it answers; its callers report what they lose
  } else {
    set_state(device_state::unreachable, last.message);
  }
  co_return last;
}

result<bool> device_client::repair_text(const std::string& path, std::string& body) {
  const auto invalid = count_invalid_utf8(body);
  if (invalid == 0) {
    if (repairing_.erase(path) > 0) {
      log_->info("{}: {} answers in valid UTF-8 again", settings_.name, path);
    }
    return true;
  }
  // Each stray byte becomes three: the repaired answer must still fit the limit that bounds
  // the agent's memory.
  if (body.size() + 2 * invalid > settings_.max_response_bytes) {
    return failure{path + ": the answer holds " + std::to_string(invalid) +
                   " bytes of invalid UTF-8, too many to repair within max_response_bytes (" +
                   std::to_string(settings_.max_response_bytes) + ")"};
  }
  repair_utf8(body);
  counters_.invalid_utf8 += invalid;
  if (repairing_.insert(path).second) {
    // Once per change, not per answer: a bad line is read again every cycle until it leaves
    // the array's log.
    log_->warn("{}: {} answered with {} bytes of invalid UTF-8; each reads as U+FFFD", settings_.name,
               path, invalid);
  }
  return true;
}

asio::awaitable<void> device_client::pause(duration d) {
  asio::steady_timer timer(ex_, d);
  co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
}

void device_client::set_state(device_state next, const std::string& why) {
  if (next == state_) {
    return;
  }
  const auto previous = std::exchange(state_, next);
  const bool recovery_due = std::exchange(recovery_due_, false);
  if (previous == device_state::unknown && next == device_state::reachable && !recovery_due) {
    return;  // first contact is not news
  }
  std::string message;
  auto level = severity::error;
  switch (next) {
    case device_state::reachable:
      level = severity::notice;
      message = "Device " + settings_.name + " is reachable again";
      log_->info("{}: reachable again", settings_.name);
      break;
    case device_state::unreachable:
      message = "Device " + settings_.name + " is unreachable: " + why;
      log_->warn("{}: unreachable: {}", settings_.name, why);
      break;
    case device_state::login_failed:
      message = "Device " + settings_.name + ": " + why;
      log_->error("{}: {}", settings_.name, why);
      break;
    case device_state::unknown:
      return;
  }
  if (on_agent_event_) {
    on_agent_event_(make_agent_event(settings_.name, settings_.peer.host,
                                     "device_" + std::string(to_string(next)), level,
                                     std::move(message)));
  }
}

asio::awaitable<result<log_page>> device_client::log_list(const log_query& q) {
  std::string target = std::string(rest::log_list) + "?startTime=" + std::to_string(q.start_time);
  for (const auto& t : q.types) {
    target += "&type[]=" + t;
  }
  target +=
      "&pageNumber=" + std::to_string(q.page_number) + "&pageSize=" + std::to_string(q.page_size);
  const auto page_size = static_cast<std::size_t>(std::max(q.page_size, 0));
  co_return co_await call<log_page>(std::move(target), [page_size](std::string_view body) {
    return parse_log_page(body, page_size);
  });
}

asio::awaitable<result<std::vector<int>>> device_client::enclosure_numbers() {
  co_return co_await call<std::vector<int>>(std::string(rest::hardware_info),
                                            parse_enclosure_numbers);
}

asio::awaitable<result<std::vector<enclosure>>> device_client::enclosures() {
  co_return co_await call<std::vector<enclosure>>(
      std::string(rest::all_enclosures_info) + "?moreInfo=true", parse_enclosures);
}

asio::awaitable<result<std::vector<disk>>> device_client::disks() {
  co_return co_await call<std::vector<disk>>(std::string(rest::disk_list), parse_disks);
}

asio::awaitable<result<std::vector<pool>>> device_client::pools() {
  co_return co_await call<std::vector<pool>>(std::string(rest::pool_list), parse_pools);
}

asio::awaitable<result<std::vector<volume>>> device_client::volumes() {
  co_return co_await call<std::vector<volume>>(std::string(rest::volume_list), parse_volumes);
}

asio::awaitable<result<std::vector<iscsi_session>>> device_client::iscsi_sessions() {
  co_return co_await call<std::vector<iscsi_session>>(std::string(rest::iscsi_session_list),
                                                      parse_iscsi_sessions);
}

asio::awaitable<result<std::vector<replication_task>>> device_client::replication_tasks() {
  co_return co_await call<std::vector<replication_task>>(std::string(rest::replication_task_list),
                                                         parse_replication_tasks);
}

asio::awaitable<result<std::vector<snapshot_task>>> device_client::snapshot_tasks() {
  co_return co_await call<std::vector<snapshot_task>>(std::string(rest::snapshot_task_list),
                                                      parse_snapshot_tasks);
}

asio::awaitable<result<bool>> device_client::logout() {
  if (!std::exchange(vault_loaded_, true)) {
    refresh_token_ = vault_.load(settings_.name);
  }
  if (!refresh_token_) {
    co_return false;  // nothing stored: nothing to revoke
  }
  nlohmann::json body{{"refreshToken", *refresh_token_}};
  // The manual does not say whether revoke needs an access token; send one when we can get it.
  std::string auth;
  if (auto t = co_await ensure_token(); t) {
    auth = authorization();
  }
  if (!refresh_token_) {
    co_return false;  // refused while refreshing: the array no longer knows it
  }
  ++counters_.requests;
  auto reply =
      co_await conn_.request(http::verb::post, std::string(rest::auth_revoke), body.dump(), auth);
  if (!reply) {
    co_return reply.error();
  }
  const auto cls = classify_status(reply->status);
  if (cls != status_class::success && cls != status_class::unauthorized) {
    co_return failure{std::string(rest::auth_revoke) + ": HTTP " + std::to_string(reply->status) +
                      ": " + snippet(reply->body)};
  }
  vault_.forget(settings_.name);
  refresh_token_.reset();
  access_token_.clear();
  co_return true;
}

}  // namespace qsanfwd::device
