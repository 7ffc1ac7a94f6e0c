// `qsanfwd top`: a live view of a running agent, read from its GET /api/status every few
// seconds and drawn with plain ANSI escapes; or one frame as text (--once, or not a terminal).
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <iostream>
#include <string_view>

#include "agent/app/command_support.hpp"
#include "agent/app/commands.hpp"
#include "agent/app/exit_codes.hpp"
#include "agent/app/top_frame.hpp"
#include "agent/net/http_connection.hpp"
#include "config/address.hpp"

namespace qsanfwd::app {
namespace {

namespace asio = boost::asio;
using steady = std::chrono::steady_clock;

/// The largest status answer read: a thousand devices and their alarms take a few hundred KB.
constexpr std::size_t top_body_limit = 16 * 1024 * 1024;
constexpr duration top_min_interval{100};

/// The agent's status endpoint: where it is, and how to name it on screen.
struct top_target {
  net::endpoint ep;
  std::string url;
};

std::optional<top_target> top_target_of_url(const std::string& url) {
  const auto parts = config::parse_url(url);
  if (!parts || parts->tls()) {
    std::cerr << "qsanfwd top: --url: expected http://HOST:PORT (the agent's http_api.listen), "
                 "got \""
              << config::url_without_query(url) << "\"\n";
    return std::nullopt;
  }
  top_target t;
  t.ep.host = parts->host;
  t.ep.port = parts->port;
  t.ep.tls = false;
  t.ep.base_path = parts->base_path;
  t.url = config::url_without_query(url);
  return t;
}

/// The URL of the config's http_api.listen, as a client on this machine reaches it.
std::optional<std::string> top_url_of_config(const common_options& opts) {
  const auto cfg = load_config(opts);
  if (!cfg) {
    return std::nullopt;
  }
  const auto where = config::parse_host_port(cfg->http_api_listen, config::port_zero::allowed);
  if (!where) {
    std::cerr << "qsanfwd top: " << opts.config_file
              << " has no http_api.listen: top reads the agent's GET /api/status there. Set it "
                 "(e.g. \"http_api\": {\"listen\": \"127.0.0.1:9464\"}) and restart the agent, "
                 "or give --url\n";
    return std::nullopt;
  }
  if (where->port == 0) {
    std::cerr << "qsanfwd top: " << opts.config_file
              << ": http_api.listen has port 0 (any free port, picked at each start): give "
                 "--url with the port the agent's log names (\"HTTP API listening on ...\")\n";
    return std::nullopt;
  }
  // A wildcard address listens on loopback too.
  auto host = where->host;
  host = host == "0.0.0.0" ? "127.0.0.1" : host == "::" ? "::1" : host;
  return "http://" + net::authority(host, where->port);
}

/// Reads the status once into `state`; false (with state.error set) when that failed.
asio::awaitable<bool> top_fetch(net::http_connection& conn, top_state& state) {
  // Locals, not temporaries: GCC 12 destroys some temporaries of a co_await expression twice.
  const net::request_headers headers;
  std::string target = "/api/status";
  auto reply = co_await conn.request(boost::beast::http::verb::get, std::move(target),
                                     std::string(), headers);
  if (!reply) {
    state.error = reply.error().message;
    co_return false;
  }
  if (reply->status != 200) {
    state.error = "HTTP " + std::to_string(reply->status) + " for /api/status" +
                  (reply->status == 404 ? " (an agent older than this qsanfwd?)" : "");
    co_return false;
  }
  auto parsed = nlohmann::json::parse(reply->body, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    state.error = "the answer to /api/status is not a JSON object";
    co_return false;
  }
  state.status = std::move(parsed);
  state.error.clear();
  co_return true;
}

/// Writes all of `text` to `fd`, waiting when the descriptor is non-blocking and full.
void top_write(int fd, std::string_view text) {
  while (!text.empty()) {
    const auto n = ::write(fd, text.data(), text.size());
    if (n >= 0) {
      text.remove_prefix(static_cast<std::size_t>(n));
    } else if (errno == EAGAIN) {
      pollfd p{fd, POLLOUT, 0};
      ::poll(&p, 1, 1000);
    } else if (errno != EINTR) {
      return;  // the terminal is gone: nothing to draw on
    }
  }
}

/// Columns and rows of the terminal on `fd`; 80 x 24 when it does not say.
std::pair<std::size_t, std::size_t> top_terminal_size(int fd) {
  winsize ws{};
  if (::ioctl(fd, TIOCGWINSZ, &ws) != 0 || ws.ws_col == 0 || ws.ws_row == 0) {
    return {80, 24};
  }
  return {ws.ws_col, ws.ws_row};
}

std::string_view top_style(line_style s) {
  switch (s) {
    case line_style::title:
      return "\x1b[1m";
    case line_style::heading:
      return "\x1b[7m";
    case line_style::critical:
      return "\x1b[1;31m";
    case line_style::trouble:
      return "\x1b[33m";
    case line_style::plain:
      break;
  }
  return "";
}

/// The terminal while top draws on it: the alternate screen, the cursor hidden, keys read one at
/// a time without echo (Ctrl-C still interrupts; Ctrl-Z, which would leave the screen drawn
/// over the shell, does nothing). Everything is put back when it is destroyed, which the
/// command makes sure of on q, on SIGINT, SIGTERM or SIGHUP, and on an exception.
class top_terminal {
 public:
  top_terminal() {
    keys_ = ::isatty(STDIN_FILENO) == 1 && ::tcgetattr(STDIN_FILENO, &saved_) == 0;
    stdin_flags_ = ::fcntl(STDIN_FILENO, F_GETFL);
    if (keys_) {
      termios raw = saved_;
      raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO);
      raw.c_cc[VMIN] = 1;
      raw.c_cc[VTIME] = 0;
      raw.c_cc[VSUSP] = _POSIX_VDISABLE;
      ::tcsetattr(STDIN_FILENO, TCSANOW, &raw);
    }
    top_write(STDOUT_FILENO, "\x1b[?1049h\x1b[?25l\x1b[H\x1b[2J");
  }
  ~top_terminal() {
    top_write(STDOUT_FILENO, "\x1b[0m\x1b[?25h\x1b[?1049l");
    if (keys_) {
      ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
    }
    if (stdin_flags_ != -1) {
      ::fcntl(STDIN_FILENO, F_SETFL, stdin_flags_);
    }
  }
  top_terminal(const top_terminal&) = delete;
  top_terminal& operator=(const top_terminal&) = delete;

  bool reads_keys() const { return keys_; }

  /// Draws `lines` from the top left in one write, each line erased first (not after: an
  /// erase after a line that fills the width would take its last character) and what is below
  /// them cleared.
  void draw(const std::vector<top_line>& lines, std::size_t rows) {
    std::string out;
    for (std::size_t i = 0; i < lines.size(); ++i) {
      out += "\x1b[" + std::to_string(i + 1) + ";1H\x1b[2K";
      const auto style = top_style(lines[i].style);
      out += style;
      out += lines[i].text;
      out += style.empty() ? "" : "\x1b[0m";
    }
    if (lines.size() < rows) {
      out += "\x1b[" + std::to_string(lines.size() + 1) + ";1H\x1b[J";
    }
    top_write(STDOUT_FILENO, out);
  }

 private:
  bool keys_ = false;
  termios saved_{};
  int stdin_flags_ = -1;
};

/// The live view: polls, draws, and ends on q or a signal.
class top_session {
 public:
  top_session(asio::io_context& io, const top_target& target, duration interval, top_terminal& term)
      : io_(io),
        conn_(io.get_executor(), target.ep, nullptr, std::max(interval, duration{1000}),
              top_body_limit),
        interval_(interval),
        term_(term),
        timer_(io),
        signals_(io, SIGINT, SIGTERM, SIGHUP),
        resize_(io, SIGWINCH) {
    state_.url = target.url;
  }

  /// Starts its coroutines; an exception in one stops the loop and lands in `error`.
  void start(std::exception_ptr& error) {
    const auto stop_on_error = [this, &error](std::exception_ptr e) {
      if (e) {
        error = e;
        io_.stop();
      }
    };
    asio::co_spawn(io_, poll_loop(), stop_on_error);
    asio::co_spawn(io_, on_resize(), stop_on_error);
    if (term_.reads_keys()) {
      asio::co_spawn(io_, read_keys(), stop_on_error);
    }
    signals_.async_wait([this](boost::system::error_code ec, int) {
      if (!ec) {
        io_.stop();
      }
    });
  }

 private:
  asio::awaitable<void> poll_loop() {
    redraw();  // at once, not after the first answer or its timeout
    for (;;) {
      // Not `if (co_await ...)`: GCC 12 built that frame with a broken `this` (a crash at once).
      const bool answered = co_await top_fetch(conn_, state_);
      if (answered) {
        last_answer_ = steady::now();
      }
      redraw();
      timer_.expires_after(interval_);
      co_await timer_.async_wait(asio::use_awaitable);
    }
  }

  asio::awaitable<void> on_resize() {
    for (;;) {
      co_await resize_.async_wait(asio::use_awaitable);
      redraw();
    }
  }

  /// Reads what is typed, waiting for it through the reactor and reading it with read(2): asio
  /// reading would set O_NONBLOCK, which stdin shares with stdout on a terminal.
  asio::awaitable<void> read_keys() {
    const int fd = ::dup(STDIN_FILENO);
    if (fd < 0) {
      co_return;  // no keys: Ctrl-C still ends it
    }
    asio::posix::stream_descriptor in(io_, fd);
    for (;;) {
      co_await in.async_wait(asio::posix::descriptor_base::wait_read, asio::use_awaitable);
      char keys[64];
      const auto n = ::read(in.native_handle(), keys, sizeof keys);
      if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
        co_return;  // no more keys: Ctrl-C still ends it
      }
      if (std::string_view(keys, n > 0 ? static_cast<std::size_t>(n) : 0).find_first_of("qQ") !=
          std::string_view::npos) {
        io_.stop();
        co_return;
      }
    }
  }

  void redraw() {
    if (!state_.error.empty() && last_answer_) {
      state_.stale_seconds =
          std::chrono::duration_cast<std::chrono::seconds>(steady::now() - *last_answer_).count();
    }
    const auto [columns, rows] = top_terminal_size(STDOUT_FILENO);
    term_.draw(render_top(state_, columns, rows), rows);
  }

  asio::io_context& io_;
  net::http_connection conn_;
  duration interval_;
  top_terminal& term_;
  asio::steady_timer timer_;
  asio::signal_set signals_;
  asio::signal_set resize_;
  top_state state_;
  std::optional<steady::time_point> last_answer_;
};

int top_live(const top_target& target, duration interval) {
  std::exception_ptr error;
  {
    top_terminal term;
    asio::io_context io;
    top_session session(io, target, interval, term);
    session.start(error);
    io.run();
  }
  if (error) {
    std::rethrow_exception(error);
  }
  return exit_ok;
}

/// One frame as plain text on stdout, as wide as the terminal (80 when it is none), every row.
int top_once(const top_target& target, duration timeout) {
  asio::io_context io;
  net::http_connection conn(io.get_executor(), target.ep, nullptr, timeout, top_body_limit);
  top_state state;
  state.url = target.url;
  const bool ok = run_blocking(io, top_fetch(conn, state));
  const auto width = ::isatty(STDOUT_FILENO) == 1 ? top_terminal_size(STDOUT_FILENO).first : 80;
  for (const auto& line : render_top(state, width, SIZE_MAX)) {
    std::cout << line.text << "\n";
  }
  return ok ? exit_ok : exit_failure;
}

}  // namespace

int top_command(const common_options& opts, const top_options& top) {
  const auto interval = parse_duration(top.interval);
  if (!interval || *interval < top_min_interval) {
    std::cerr << "qsanfwd top: --interval: expected e.g. 2s or 500ms (at least 100ms), got \""
              << top.interval << "\"\n";
    return exit_usage;
  }
  auto url = top.url;
  if (url.empty()) {
    const auto from_config = top_url_of_config(opts);
    if (!from_config) {
      return exit_usage;
    }
    url = *from_config;
  }
  const auto target = top_target_of_url(url);
  if (!target) {
    return exit_usage;
  }
  try {
    if (top.once || ::isatty(STDOUT_FILENO) != 1) {
      return top_once(*target, std::max(*interval, duration{1000}));
    }
    return top_live(*target, *interval);
  } catch (const std::exception& e) {
    std::cerr << "qsanfwd top: " << e.what() << "\n";
    return exit_failure;
  }
}

}  // namespace qsanfwd::app
