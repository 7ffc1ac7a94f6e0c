#include "agent/app/demo.hpp"

#include <unistd.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <list>

#include "agent/app/collector.hpp"
#include "agent/app/command_support.hpp"
#include "agent/app/exit_codes.hpp"
#include "agent/core/logging.hpp"
#include "agent/core/time.hpp"
#include "agent/pipeline/delivery_thread.hpp"
#include "sim/simulator.hpp"
#include "agent/store/event_queue.hpp"
#include "sinks/registry.hpp"

namespace qsanfwd::app {
namespace asio = boost::asio;

namespace {

const char* colour_of(severity s) {
  switch (s) {
    case severity::emergency:
    case severity::alert:
    case severity::critical:
      return "\033[1;31m";
    case severity::error:
      return "\033[31m";
    case severity::warning:
      return "\033[33m";
    case severity::notice:
      return "\033[36m";
    default:
      return "";
  }
}

/// Prints each queued event as one readable line, coloured by severity on a terminal.
class live_view {
 public:
  explicit live_view(event_queue& queue) : queue_(queue), colour_(isatty(STDOUT_FILENO) == 1) {}

  void show_new() {
    for (;;) {
      const auto batch = queue_.read_after(cursor_, 500);
      if (batch.empty()) {
        return;
      }
      for (const auto& q : batch) {
        print(event_from_json(q.body));
        cursor_ = q.seq;
        ++shown_;
      }
    }
  }

  std::int64_t shown() const { return shown_; }

 private:
  void print(const event& e) const {
    const char* on = colour_ ? colour_of(e.severity) : "";
    const char* off = colour_ && *on != '\0' ? "\033[0m" : "";
    std::string message;  // one line per event, whatever the array wrote
    for (const char c : e.message) {
      message += c == '\n' ? std::string("\\n") : std::string(1, c);
    }
    std::printf("%s%s %-8s %-6s %-8s %s%s\n", on, rfc3339_utc(e.timestamp).c_str(),
                e.device.c_str(), std::string(to_string(e.kind)).c_str(),
                std::string(to_string(e.severity)).c_str(), message.c_str(), off);
    std::fflush(stdout);
  }

  event_queue& queue_;
  bool colour_;
  std::int64_t cursor_ = 0;
  std::int64_t shown_ = 0;
};

/// The demo's temporary directory, removed with all it holds when the demo ends (an exception
/// included) unless kept.
class demo_dir {
 public:
  explicit demo_dir(bool keep) : keep_(keep) {
    auto pattern = (std::filesystem::temp_directory_path() / "qsanfwd-demo-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      throw std::runtime_error("cannot create a temporary directory for the demo");
    }
    path_ = pattern;
  }
  ~demo_dir() {
    if (!keep_) {
      std::error_code ec;
      std::filesystem::remove_all(path_, ec);
    }
  }
  demo_dir(const demo_dir&) = delete;
  demo_dir& operator=(const demo_dir&) = delete;

  std::filesystem::path operator/(const std::filesystem::path& p) const { return path_ / p; }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  bool keep_;
};

std::string demo_config(const demo_dir& dir, std::uint16_t port) {
  return R"({
  "state_dir": ")" +
         (dir / "state").string() + R"(",
  "log_level": "warn",
  "devices": [ { "name": "array-01", "url": "http://127.0.0.1:)" +
         std::to_string(port) + R"(",
                 "username": "admin", "password": "password",
                 "logs": { "interval": "1s", "page_size": 100 },
                 "health": { "interval": "2s" } } ],
  "shutdown_timeout": "3s",
  "sinks": [ { "name": "archive", "type": "file", "path": ")" +
         (dir / "events.jsonl").string() + R"(" } ]
})";
}

void say(const std::string& text) {
  std::printf("%s[demo] %s%s\n", isatty(STDOUT_FILENO) == 1 ? "\033[1m" : "", text.c_str(),
              isatty(STDOUT_FILENO) == 1 ? "\033[0m" : "");
  std::fflush(stdout);
}

/// A scripted fault and its recovery on the simulated array; the health monitor, polling every
/// two seconds, reports both, so a newcomer sees a failure open and close.
void schedule_script(asio::io_context& io, sim::simulator& array,
                     std::list<asio::steady_timer>& timers) {
  const auto at = [&](std::chrono::seconds when, std::function<void()> what) {
    auto& t = timers.emplace_back(io, when);
    t.async_wait([what = std::move(what)](const boost::system::error_code& ec) {
      if (!ec) {
        what();
      }
    });
  };
  at(std::chrono::seconds(6), [&array] {
    say("failing disk e0d3 and PSU 2 of enclosure 0 on the simulated array; the db host's "
        "iSCSI session drops");
    array.fail_disk("e0d3");
    array.set_psu_status(0, "2", "Failed");
    array.drop_iscsi_session("iqn.1994-05.com.redhat:db-host");
  });
  at(std::chrono::seconds(16), [&array] {
    say("replacing disk e0d3 and PSU 2: they recover, and the db host logs in again");
    array.restore_disk("e0d3");
    array.set_psu_status(0, "2", "Good");
    array.restore_iscsi_session("iqn.1994-05.com.redhat:db-host");
  });
}

}  // namespace

int demo_command(const demo_options& opts) {
  // Ctrl-C while the demo starts is taken once it can stop cleanly (and remove its directory).
  const stop_signals held(stop_signals::held);
  init_logging(spdlog::level::warn);
  // Declared before the store and the agent: removed after they have closed their files.
  const demo_dir dir(opts.keep);
  sim::options so;
  so.backlog = opts.backlog;
  so.backlog_per_second = 4;
  so.live_rate = opts.live_rate;
  so.duplicate_ratio = 0.05;
  so.name = "demo-array";
  sim::running_simulator array(so);
  const auto cfg = config::parse_config(demo_config(dir, array.port()), sinks::sink_types());

  say("a simulated QSAN array listens on " + array.base_url() + " with " +
      std::to_string(opts.backlog) + " log lines and about " +
      std::to_string(static_cast<int>(opts.live_rate)) + " new lines per second");
  say("the agent keeps its state in " + (dir / "state").string());

  auto store = state_store::open(cfg.state_dir);
  event_queue queue(*store);
  live_view view(queue);
  asio::io_context io;
  collector agent(io, cfg, *store);
  pipeline::delivery_thread delivery(io.get_executor(), *store, cfg.sinks);
  delivery.start();
  agent.on_appended([&] {
    view.show_new();
    delivery.notify_appended();
  });
  agent.wait_for_room_with([&] { return delivery.wait_for_room(); });

  std::list<asio::steady_timer> timers;
  schedule_script(io, array.sim(), timers);
  asio::signal_set signals(io, SIGINT, SIGTERM);
  const auto finish = [&] {
    agent.stop();
    asio::co_spawn(io, delivery.stop(cfg.shutdown_timeout),
                   [&](const std::exception_ptr&) { io.stop(); });
  };
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (!ec) {
      finish();
    }
  });
  const stop_signals signals_taken(stop_signals::let_in);
  asio::steady_timer limit(io);
  if (opts.duration_limit.count() > 0) {
    limit.expires_after(opts.duration_limit);
    limit.async_wait([&](const boost::system::error_code& ec) {
      if (!ec) {
        finish();
      }
    });
  }
  agent.start();
  io.run();
  view.show_new();
  std::ifstream archive(dir / "events.jsonl");
  const auto written =
      std::count(std::istreambuf_iterator<char>(archive), std::istreambuf_iterator<char>(), '\n');
  say(std::to_string(view.shown()) + " events collected exactly once; the file sink holds " +
      std::to_string(written) + " of them in " + (dir / "events.jsonl").string() +
      " (the rest stay queued in " + (dir / "state").string() + ")");
  say(opts.keep ? "kept " + dir.path().string() + " (--keep): remove it when done"
                : "removing " + dir.path().string() + " (--keep keeps it)");
  return exit_ok;
}

}  // namespace qsanfwd::app
