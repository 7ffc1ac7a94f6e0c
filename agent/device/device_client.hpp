#pragma once

#include <spdlog/logger.h>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "agent/core/backoff.hpp"
#include "agent/core/event.hpp"
#include "agent/core/secret.hpp"
#include "agent/net/http_connection.hpp"
#include "agent/net/tls_options.hpp"
#include "agent/device/log_reader.hpp"
#include "agent/device/model.hpp"

namespace qsanfwd::device {

/// Where a device's refresh token lives between runs (the state store in the agent, memory in
/// tests). Reusing it across restarts keeps the agent to one of the user's 10 refresh-token slots.
class token_vault {
 public:
  virtual ~token_vault() = default;
  virtual std::optional<std::string> load(const std::string& device) = 0;
  virtual void save(const std::string& device, const std::string& refresh_token) = 0;
  virtual void forget(const std::string& device) = 0;
};

enum class auth_scheme { raw, bearer };

struct client_settings {
  std::string name;  ///< the device's name in the config
  net::endpoint peer;
  net::tls_options tls;
  std::string username;
  secret password;
  auth_scheme scheme = auth_scheme::raw;
  duration timeout{15'000};
  /// The largest answer read (the device's max_response_bytes); a larger one is a failure.
  std::size_t max_response_bytes = 8 * 1024 * 1024;
  /// Log in with offlineAccess to get a refresh token. Off only where no token can be kept.
  bool offline_access = true;
  int max_attempts = 4;         ///< per call, for transient failures
  duration retry_initial{500};  ///< backoff between those attempts
  duration retry_max{30'000};
};

/// Whether the device answers, as the agent events report it.
enum class device_state { unknown, reachable, unreachable, login_failed };
std::string_view to_string(device_state s);

/// Counters for status and metrics.
struct client_counters {
  std::uint64_t requests = 0;
  std::uint64_t logins = 0;
  std::uint64_t refreshes = 0;
  std::uint64_t unauthorized = 0;
  std::uint64_t retries = 0;
  std::uint64_t failures = 0;
  std::uint64_t invalid_utf8 = 0;  ///< bytes of answers replaced with U+FFFD
};

/// The array's REST API with its session: logs in with offlineAccess, refreshes the access
/// token before its lifetime runs out, answers a 401 with one refresh, then a fresh login, and
/// retries transient failures with backoff. One call at a time (one keep-alive connection).
class device_client : public log_reader {
 public:
  using event_sink = std::function<void(event)>;

  device_client(boost::asio::any_io_executor ex, client_settings settings, token_vault& vault,
                event_sink on_agent_event);

  boost::asio::awaitable<result<log_page>> log_list(const log_query& q) override;
  boost::asio::awaitable<result<std::vector<int>>> enclosure_numbers();
  boost::asio::awaitable<result<std::vector<enclosure>>> enclosures();
  boost::asio::awaitable<result<std::vector<disk>>> disks();
  boost::asio::awaitable<result<std::vector<pool>>> pools();
  boost::asio::awaitable<result<std::vector<volume>>> volumes();
  boost::asio::awaitable<result<std::vector<iscsi_session>>> iscsi_sessions();
  boost::asio::awaitable<result<std::vector<replication_task>>> replication_tasks();
  boost::asio::awaitable<result<std::vector<snapshot_task>>> snapshot_tasks();

  /// Revokes the stored refresh token on the array and forgets it locally.
  boost::asio::awaitable<result<bool>> logout();

  /// The array's clock: the Date of its last answer that had one, moved on by the time since.
  /// Nullopt before such an answer.
  std::optional<std::int64_t> array_now() const override;
  bool answering() const override {
    return state_ != device_state::unreachable && state_ != device_state::login_failed;
  }
  const std::string& device_name() const override { return settings_.name; }
  const std::string& device_host() const override { return settings_.peer.host; }

  device_state state() const { return state_; }
  /// A previous run left this device's unreachable alarm open: the first contact that works
  /// reports it reachable again (which clears the alarm) instead of passing as no news.
  void expect_recovery() { recovery_due_ = true; }
  const client_counters& counters() const { return counters_; }
  const client_settings& settings() const { return settings_; }

 private:
  using clock = std::chrono::steady_clock;

  template <typename T, typename Parse>
  boost::asio::awaitable<result<T>> call(std::string target, Parse parse);
  boost::asio::awaitable<result<net::http_reply>> authorized_get(const std::string& target);
  boost::asio::awaitable<result<bool>> ensure_token();
  boost::asio::awaitable<result<bool>> refresh();
  boost::asio::awaitable<result<bool>> login();
  void accept_grant(const token_grant& grant, const net::http_reply& reply);
  void note_date(const net::http_reply& reply);
  result<bool> repair_text(const std::string& path, std::string& body);
  std::string authorization() const;
  void set_state(device_state next, const std::string& why);
  boost::asio::awaitable<void> pause(duration d);

  boost::asio::any_io_executor ex_;
  client_settings settings_;
  token_vault& vault_;
  event_sink on_agent_event_;
  std::shared_ptr<spdlog::logger> log_;
  net::http_connection conn_;
  backoff backoff_;

  std::string access_token_;
  clock::time_point refresh_at_{};
  std::optional<std::string> refresh_token_;
  bool vault_loaded_ = false;
  device_state state_ = device_state::unknown;
  bool recovery_due_ = false;
  std::set<std::string> unsupported_;  ///< endpoints answered 404: not asked again
  std::set<std::string> repairing_;    ///< endpoints whose last answer held invalid UTF-8
  struct clock_reading {
    std::int64_t array_time = 0;  ///< an answer's Date
    clock::time_point taken;      ///< when it came
  };
  std::optional<clock_reading> array_clock_;
  client_counters counters_;
};

/// How long to use an access token before refreshing it, from its lifetime as the array states it
/// (`expire_time` minus the array's own Date). Keeps a margin for clock resolution and latency.
duration token_use_period(std::int64_t lifetime_seconds);

}  // namespace qsanfwd::device
