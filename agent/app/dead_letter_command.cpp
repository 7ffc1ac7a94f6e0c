#include "agent/app/dead_letter_command.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <iostream>
#include <nlohmann/json.hpp>

#include "agent/app/command_support.hpp"
#include "agent/app/exit_codes.hpp"
#include "agent/core/logging.hpp"
#include "agent/core/time.hpp"
#include "agent/pipeline/dead_letter_file.hpp"
#include "agent/pipeline/dead_letters.hpp"
#include "agent/pipeline/pace.hpp"
#include "agent/pipeline/sink_answer.hpp"
#include "sinks/registry.hpp"

namespace qsanfwd::app {
namespace {

namespace asio = boost::asio;
using pipeline::dead_letter_replay;
using pipeline::replay_line;

/// A sink that answers retry is asked again this many times, then the replay stops (to be run
/// again): the user fixed the cause, so a sink still failing needs a look, not a long wait.
constexpr int attempts = 4;
constexpr auto longest_wait = std::chrono::seconds(10);

void print_summary(const config::sink_config& s, const pipeline::dead_letter_summary& sum) {
  std::cout << fmt::format("{}: {} dead letter(s) in {}", s.name, sum.events,
                           s.dead_letter_path.string());
  if (sum.in_replay > 0) {
    std::cout << fmt::format(" ({} in an interrupted replay: run replay to finish it)",
                             sum.in_replay);
  }
  std::cout << "\n";
  for (const auto& g : sum.reasons) {
    std::cout << fmt::format("  {:>8}  {}\n            refused {} .. {}\n", g.events, g.reason,
                             g.first, g.last);
  }
  if (sum.other_reasons > 0) {
    std::cout << fmt::format("  {:>8}  (other reasons)\n", sum.other_reasons);
  }
  if (sum.unreadable > 0) {
    std::cout << fmt::format("  {:>8}  lines that are not dead letters (cut or edited)\n",
                             sum.unreadable);
  }
}

nlohmann::ordered_json summary_json(const config::sink_config& s,
                                    const pipeline::dead_letter_summary& sum) {
  nlohmann::ordered_json reasons = nlohmann::ordered_json::array();
  for (const auto& g : sum.reasons) {
    reasons.push_back({{"reason", g.reason}, {"events", g.events}, {"first", g.first},
                       {"last", g.last}});
  }
  return {{"sink", s.name},          {"path", s.dead_letter_path.string()},
          {"events", sum.events},    {"in_replay", sum.in_replay},
          {"reasons", reasons},      {"other_reasons", sum.other_reasons},
          {"unreadable", sum.unreadable}};
}

int list(const config::agent_config& cfg, const dead_letter_options& d) {
  nlohmann::ordered_json all = nlohmann::ordered_json::array();
  for (const auto& s : cfg.sinks) {
    if (!d.sink.empty() && s.name != d.sink) {
      continue;
    }
    const auto sum = pipeline::summarise_dead_letters(s.dead_letter_path);
    if (d.json) {
      all.push_back(summary_json(s, sum));
    } else {
      print_summary(s, sum);
    }
  }
  if (d.json) {
    std::cout << all.dump(2) << "\n";
  }
  return exit_ok;
}

int drop(const config::sink_config& s, const dead_letter_options& d) {
  if (d.all == !d.reason.empty()) {
    std::cerr << "qsanfwd: dead-letter drop: give --reason TEXT or --all\n";
    return exit_usage;
  }
  const auto n = pipeline::drop_dead_letters(s.dead_letter_path, d.reason);
  std::cout << fmt::format("{}: {} dead letter(s) dropped from {}\n", s.name, n,
                           s.dead_letter_path.string());
  return exit_ok;
}

/// How a replay went.
struct replay_tally {
  std::int64_t delivered = 0;
  std::int64_t refused = 0;    ///< refused again: back in the file with the new reason
  std::int64_t put_back = 0;   ///< lines that are not dead letters, back as they were
  std::string stopped;         ///< why it stopped before the end: the sink's last answer
};

/// Re-offers one batch of lines read back; settles the replay up to what the sink settled.
class replayer {
 public:
  replayer(const config::sink_config& cfg, sinks::sink& target, dead_letter_replay& replay,
           replay_tally& tally)
      : cfg_(cfg), target_(target), replay_(replay), bucket_(cfg.pace), tally_(tally) {}

  asio::awaitable<bool> run() {
    while (tally_.stopped.empty()) {
      const auto lines = replay_.next(cfg_.batch.max_events, cfg_.batch.max_bytes);
      if (lines.empty()) {
        replay_.finish();
        break;
      }
      co_await offer(lines);
    }
    co_return tally_.stopped.empty();
  }

 private:
  asio::awaitable<void> offer(const std::vector<replay_line>& lines) {
    std::vector<queued_event> events;
    std::vector<std::size_t> line_of;  // each event's index in `lines`
    for (std::size_t i = 0; i < lines.size(); ++i) {
      if (lines[i].letter) {
        events.emplace_back(static_cast<std::int64_t>(events.size() + 1), lines[i].letter->event);
        line_of.push_back(i);
      }
    }
    std::span<const queued_event> rest(events);
    std::size_t lines_done = 0;
    for (int attempt = 1; !rest.empty(); ++attempt) {
      const auto d = co_await ask(rest);
      const auto s = pipeline::settle(d, rest.size());
      if (!s.rejected.empty()) {
        refuse(rest, s.rejected, d.reason.empty() ? "rejected by the destination" : d.reason);
      }
      tally_.delivered += static_cast<std::int64_t>(s.settled - s.rejected.size());
      rest = rest.subspan(s.settled);
      if (rest.empty()) {
        break;
      }
      // The lines before the first event still to go are done.
      settle(lines, lines_done, line_of[events.size() - rest.size()]);
      if (attempt == attempts) {
        tally_.stopped = d.reason.empty() ? "the sink asked to retry" : d.reason;
        co_return;
      }
      co_await wait(d.retry_after.value_or(std::chrono::seconds(1 << (attempt - 1))));
    }
    settle(lines, lines_done, lines.size());
  }

  asio::awaitable<sinks::delivery> ask(std::span<const queued_event> batch) {
    co_await wait_for_pace(batch.size());
    try {
      co_return co_await target_.deliver(batch);
    } catch (const std::exception& e) {
      co_return sinks::delivery::retry(std::string("sink failed: ") + e.what());
    }
  }

  /// Puts the lines [done, upto) that are not dead letters back as they were, and records that
  /// the replay is through them.
  void settle(const std::vector<replay_line>& lines, std::size_t& done, std::size_t upto) {
    if (upto <= done) {
      return;
    }
    std::string garbage;
    for (auto i = done; i < upto; ++i) {
      if (!lines[i].letter) {
        garbage += lines[i].line + "\n";
        ++tally_.put_back;
      }
    }
    append(garbage);
    replay_.settled_through(lines[upto - 1].end);
    done = upto;
  }

  void refuse(std::span<const queued_event> batch, const std::vector<std::size_t>& which,
              const std::string& reason) {
    append(pipeline::dead_letter_lines(cfg_.name, reason, unix_now(), batch, which));
    tally_.refused += static_cast<std::int64_t>(which.size());
  }

  void append(const std::string& lines) {
    if (lines.empty()) {
      return;
    }
    if (auto err = pipeline::append_dead_letters(cfg_.dead_letter_path, lines, *get_logger("cli"))) {
      throw std::runtime_error(*err);
    }
  }

  asio::awaitable<void> wait_for_pace(std::size_t events) {
    while (const auto ready = bucket_.wait_for(events, pipeline::pace::clock::now())) {
      asio::steady_timer t(co_await asio::this_coro::executor, *ready);
      co_await t.async_wait(asio::use_awaitable);
    }
    bucket_.spend(events, pipeline::pace::clock::now());
  }

  static asio::awaitable<void> wait(duration d) {
    asio::steady_timer t(co_await asio::this_coro::executor,
                         std::min<std::chrono::steady_clock::duration>(d, longest_wait));
    co_await t.async_wait(asio::use_awaitable);
  }

  const config::sink_config& cfg_;
  sinks::sink& target_;
  dead_letter_replay& replay_;
  pipeline::pace bucket_;
  replay_tally& tally_;
};

/// An interrupted replay first, then what was refused since; then closes the sink.
asio::awaitable<void> replay_all(const config::sink_config& s, sinks::sink& target,
                                 replay_tally& t) {
  for (bool more = true; more && t.stopped.empty();) {
    dead_letter_replay replay(s.dead_letter_path);
    more = replay.resumed();
    if (more) {
      std::cout << s.name << ": going on with the replay a kill interrupted\n";
    }
    replayer r(s, target, replay, t);
    co_await r.run();
  }
  co_await target.close();
}

int replay(const config::agent_config& cfg, const config::sink_config& s) {
  // The agent appends to a file sink's file itself: two writers would tear its lines and its
  // hash chain. Holding the state directory keeps the agent from starting meanwhile.
  std::unique_ptr<state_store> held;
  if (s.type == "file") {
    try {
      held = state_store::open(cfg.state_dir);
    } catch (const std::exception& e) {
      std::cerr << "qsanfwd: sink " << s.name << " writes a file the running agent writes too: "
                << "stop the agent to replay its dead letters (" << e.what() << ")\n";
      return exit_failure;
    }
  }
  asio::io_context io;
  const auto target = sinks::make_sink(s, io.get_executor());
  replay_tally t;
  std::exception_ptr failed;
  // Stopped when done: a sink may keep waits of its own armed until the io_context ends (the
  // Kafka producer's event pipe, the file sink's seal timer).
  asio::co_spawn(io, replay_all(s, *target, t), [&](std::exception_ptr e) {
    failed = e;
    io.stop();
  });
  io.run();
  if (failed) {
    std::rethrow_exception(failed);
  }
  std::cout << fmt::format("{}: {} delivered, {} refused again (back in {} with the new reason)",
                           s.name, t.delivered, t.refused, s.dead_letter_path.string());
  if (t.put_back > 0) {
    std::cout << fmt::format(", {} line(s) that are not dead letters put back", t.put_back);
  }
  std::cout << "\n";
  if (!t.stopped.empty()) {
    std::cout << fmt::format(
        "{}: stopped: the sink still fails ({}); the rest waits: run replay again once it "
        "takes events\n",
        s.name, t.stopped);
    return exit_failure;
  }
  return exit_ok;
}

}  // namespace

int dead_letter_command(const common_options& opts, const dead_letter_options& d) {
  const auto cfg = load_config(opts);
  if (!cfg) {
    return exit_usage;
  }
  const auto it = std::find_if(cfg->sinks.begin(), cfg->sinks.end(),
                               [&](const auto& s) { return s.name == d.sink; });
  if (!d.sink.empty() && it == cfg->sinks.end()) {
    std::cerr << "qsanfwd: no sink named \"" << d.sink << "\" in " << opts.config_file << "\n";
    return exit_usage;
  }
  try {
    if (d.action == "list") {
      return list(*cfg, d);
    }
    if (it == cfg->sinks.end()) {
      std::cerr << "qsanfwd: dead-letter " << d.action << ": --sink is required\n";
      return exit_usage;
    }
    return d.action == "drop" ? drop(*it, d) : replay(*cfg, *it);
  } catch (const std::exception& e) {
    std::cerr << "qsanfwd: dead-letter " << d.action << ": " << e.what() << "\n";
    return exit_failure;
  }
}

}  // namespace qsanfwd::app
