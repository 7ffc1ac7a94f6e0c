// qsan-sim: a simulated QSAN array on the command line. See sim/README.md.
#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <iostream>

#include "agent/core/duration.hpp"
#include "agent/core/logging.hpp"
#include "sim/simulator.hpp"

namespace {

// The knobs of an array that misbehaves (issue 23); see sim/README.md.
void add_hostile_options(CLI::App& app, qsanfwd::sim::hostile_settings& h, std::string& total) {
  using qsanfwd::sim::hostile_body;
  const auto chance = [&](const char* flag, hostile_body b, const char* what) {
    app.add_option(flag, h.body_chance[static_cast<std::size_t>(b)], what)
        ->check(CLI::Range(0.0, 1.0));
  };
  app.add_flag("--ignore-page-number", h.ignore_page_number, "Every pageNumber gets page 1");
  app.add_flag("--always-next-page", h.always_next_page, "haveNextPage is always true");
  app.add_flag("--ignore-start-time", h.ignore_start_time, "The whole log, whatever startTime");
  app.add_option("--total", total, "What log answers say in total")
      ->check(CLI::IsMember({"exact", "missing", "constant", "shrinking"}))
      ->capture_default_str();
  app.add_option("--oversize-pages", h.oversize_pages, "Lines a page holds, times pageSize")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--max-log-lines", h.max_log_lines, "A log ring of this many lines (0: none)");
  app.add_option("--latin1-messages", h.latin1_ratio,
                 "Chance a generated line names a Latin-1 (not UTF-8) user")
      ->check(CLI::Range(0.0, 1.0));
  app.add_flag("--token-crlf", h.token_crlf, "Access tokens end in CR LF and a header");
  chance("--nested-timestamp", hostile_body::nested_timestamp,
         "Chance a log page leads with a deeply nested timestamp");
  chance("--huge-page", hostile_body::huge_page, "Chance a log page holds --huge-page-lines");
  chance("--endless-chunked", hostile_body::endless_chunked,
         "Chance a /rest/ answer is a chunked body that never ends");
  chance("--nested-health", hostile_body::nested_health,
         "Chance a health answer has a deeply nested ignored field");
  chance("--health-junk", hostile_body::health_junk,
         "Chance a health answer has --health-junk-mb of junk in an ignored field");
  app.add_option("--nesting-depth", h.nesting_depth, "Depth of the nested values")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--huge-page-lines", h.huge_page_lines, "Lines of a huge page")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--health-junk-mb", h.health_junk_mb, "Size of the junk")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
}

void add_fault_options(CLI::App& app, qsanfwd::sim::fault_settings& f, std::string& delay_for) {
  app.add_option("--fault-5xx", f.status_5xx, "Probability of a 500/503")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--fault-delay", f.delay, "Probability of a delayed answer")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--fault-truncate", f.truncate, "Probability of a truncated body")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--fault-reset", f.reset, "Probability of a connection reset")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--fault-delay-for", delay_for, "How long a delayed answer waits")
      ->capture_default_str();
  app.add_flag("--faults-on-auth", f.on_auth, "Faults also hit /auth/ requests");
}

}  // namespace

int main(int argc, char** argv) {
  using namespace qsanfwd;
  sim::options o;
  std::string order = "newest";
  std::string start_time = "inclusive";
  std::string delay_for = "20s";
  std::string level = "info";
  std::string total = "exact";
  CLI::App app{"qsan-sim: a simulated QSAN storage array speaking the REST API"};
  app.add_option("--listen", o.listen_address, "Address to listen on")->capture_default_str();
  app.add_option("--port", o.port, "Port, 0 for any free one")->capture_default_str();
  app.add_option("--cert", o.cert_file, "PEM certificate: serve HTTPS (with --key)");
  app.add_option("--key", o.key_file, "PEM private key");
  app.add_option("--user", o.user, "User name accepted by /auth/get")->capture_default_str();
  app.add_option("--password", o.password, "Password accepted by /auth/get")
      ->envname("QSAN_SIM_PASSWORD");
  app.add_option("--order", order, "Log list order")
      ->check(CLI::IsMember({"newest", "oldest"}))
      ->capture_default_str();
  app.add_option("--start-time", start_time, "Whether startTime itself is included")
      ->check(CLI::IsMember({"inclusive", "exclusive"}))
      ->capture_default_str();
  app.add_option("--backlog", o.backlog, "Log lines present at start")->capture_default_str();
  app.add_option("--backlog-per-second", o.backlog_per_second, "Backlog lines per second")
      ->capture_default_str();
  app.add_option("--live-rate", o.live_rate, "New log lines per second")->capture_default_str();
  app.add_option("--duplicate-ratio", o.duplicate_ratio, "Chance a line repeats the previous")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_option("--token-lifetime", o.access_token_lifetime_s, "Access token lifetime (s)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--max-refresh-tokens", o.max_refresh_tokens, "Refresh tokens per user")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--clock-offset", o.clock_offset_s, "Array clock minus ours (s)")
      ->capture_default_str();
  add_fault_options(app, o.faults, delay_for);
  app.add_flag("--ids-as-strings", o.ids_as_strings, "Send ids, slots and totals as strings");
  app.add_flag("--accept-bearer", o.accept_bearer, "Also accept 'Bearer <token>'");
  add_hostile_options(app, o.hostile, total);
  app.add_option("--seed", o.seed, "Seed of the random generator")->capture_default_str();
  app.add_option("--missing-endpoint", o.missing_endpoints,
                 "Answer 404 on this path, as an older firmware would (repeatable)");
  app.add_option("--model", o.model, "Model name")->capture_default_str();
  app.add_option("--serial", o.serial, "Serial number")->capture_default_str();
  app.add_option("--name", o.name, "Name in the simulator's own log")->capture_default_str();
  app.add_option("--log-level", level, "trace, debug, info, warn, error")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  const auto lvl = parse_log_level(level);
  const auto delay = parse_duration(delay_for);
  if (!lvl || !delay) {
    std::cerr << "qsan-sim: bad --log-level or --fault-delay-for\n";
    return 2;
  }
  init_logging(*lvl);
  o.newest_first = order == "newest";
  o.start_time_inclusive = start_time == "inclusive";
  o.faults.delay_for = *delay;
  o.hostile.total = *sim::parse_total_mode(total);
  try {
    boost::asio::io_context io;
    sim::simulator server(io, o);
    server.start();
    std::cout << server.base_url() << std::endl;
    boost::asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&server](const boost::system::error_code&, int) { server.stop(); });
    io.run();
  } catch (const std::exception& e) {
    std::cerr << "qsan-sim: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
