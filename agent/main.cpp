// The command line, and nothing else: each subcommand is a function in agent/app.
#include <malloc.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "agent/app/archive_command.hpp"
#include "agent/app/commands.hpp"
#include "agent/app/dead_letter_command.hpp"
#include "agent/app/demo.hpp"
#include "agent/app/exit_codes.hpp"
#include "agent/app/status_command.hpp"
#include "agent/core/duration.hpp"

#ifndef QSANFWD_VERSION
#define QSANFWD_VERSION "unknown"
#endif

namespace {

/// A drain allocates and frees a page's worth of events and strings for every page. glibc's
/// default gives the freed top of the heap back to the kernel past 128 KiB and faults it in
/// again on the next page (about a tenth of the agent's CPU in a drain); keeping what the peak
/// already needed costs no memory beyond that peak. `run` and `demo` both drain.
void keep_freed_memory() {
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
  mallopt(M_MMAP_THRESHOLD, 8 << 20);
}

/// Every command reads the configuration, so holds the arrays' passwords and the sinks' tokens
/// (`run` also the refresh tokens): no core file may carry them, and no other process of the
/// same user may read them through ptrace or /proc/<pid>/mem. Non-dumpable does both (and makes
/// /proc/<pid>/ root's); a core size of 0 covers a system whose suid_dumpable still writes one.
/// Failure is not fatal: a sandbox that forbids these calls forbids the dumps too.
void keep_secrets_out_of_core_dumps() {
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  const rlimit none{0, 0};
  ::setrlimit(RLIMIT_CORE, &none);
}

/// The parsed command line: every subcommand, and the options each fills in.
struct command_line {
  CLI::App cli{"qsanfwd: forwards logs and health events of QSAN storage arrays", "qsanfwd"};
  qsanfwd::app::common_options common;
  std::string device;
  bool status_json = false;
  bool resend_alarms = false;
  qsanfwd::app::demo_options demo_opts;
  std::string demo_duration;
  qsanfwd::app::verify_archive_options verify_opts;
  qsanfwd::app::dead_letter_options dead_letter;
  qsanfwd::app::replay_options replay_opts;
  qsanfwd::app::top_options top_opts;

  CLI::App* run = nullptr;
  CLI::App* check = nullptr;
  CLI::App* test = nullptr;
  CLI::App* logout = nullptr;
  CLI::App* status = nullptr;
  CLI::App* alarms = nullptr;
  CLI::App* demo = nullptr;
  CLI::App* verify = nullptr;
  CLI::App* dead_letter_cmd = nullptr;
  CLI::App* replay = nullptr;
  CLI::App* top = nullptr;
};

/// The subcommands that read a configuration file; --help lists them in the order added.
void add_config_commands(command_line& c) {
  const auto add_common = [&common = c.common](CLI::App* sub) {
    sub->add_option("-c,--config", common.config_file, "configuration file (JSON)")
        ->required()
        ->option_text("FILE");
    sub->add_option("--log-level", common.log_level,
                    "trace, debug, info, warn, error, critical or off; overrides the config");
  };

  // The commands that act on this agent's devices take its part of a shared inventory.
  const auto add_shard = [&common = c.common](CLI::App* sub) {
    sub->add_option_function<std::string>(
           "--shard",
           [&common](const std::string& text) {
             std::string why;
             common.shard = qsanfwd::config::parse_shard(text, why);
             if (!common.shard) {
               throw CLI::ValidationError("--shard", why);
             }
           },
           "this agent's devices: shard i of n agents (0..n-1) on one inventory; overrides "
           "the config's shard")
        ->option_text("I/N");
  };

  c.run = c.cli.add_subcommand("run", "run the agent (the daemon)");
  add_common(c.run);
  add_shard(c.run);
  c.check = c.cli.add_subcommand("check-config", "validate a config and print it, secrets masked");
  add_common(c.check);
  add_shard(c.check);

  c.test = c.cli.add_subcommand("test-connection",
                                "log in to each device, read a page of logs and health, summarise");
  add_common(c.test);
  add_shard(c.test);
  c.test->add_option("--device", c.device, "only this device");
  c.logout = c.cli.add_subcommand("logout", "revoke a device's stored refresh token and forget it");
  add_common(c.logout);
  c.logout->add_option("--device", c.device, "the device")->required();

  c.status = c.cli.add_subcommand(
      "status", "where each device and sink stands (read-only; works beside a running agent)");
  add_common(c.status);
  add_shard(c.status);
  c.status->add_option("--device", c.device, "only this device");
  c.status->add_flag("--json", c.status_json, "print JSON instead of text");

  c.alarms = c.cli.add_subcommand(
      "alarms", "the conditions raised and not cleared: failed parts, unreachable arrays, ...");
  add_common(c.alarms);
  add_shard(c.alarms);
  c.alarms->add_option("--device", c.device, "only this device");
  c.alarms->add_flag("--json", c.status_json, "print JSON instead of text");
  c.alarms->add_flag("--resend", c.resend_alarms,
                     "ask the agent to queue a summary event of each device's open alarms");

  c.top = c.cli.add_subcommand(
      "top", "a live view of a running agent: open alarms, devices and sinks, trouble first");
  auto* top_config = c.top->add_option("-c,--config", c.common.config_file,
                                       "configuration file: its http_api.listen is the agent's")
                         ->option_text("FILE");
  c.top->add_option("--url", c.top_opts.url, "the agent's HTTP API, e.g. http://127.0.0.1:9464")
      ->option_text("URL")
      ->excludes(top_config);
  c.top->add_option("--interval", c.top_opts.interval, "how often to read it (default 2s)")
      ->option_text("DURATION");
  c.top->add_flag("--once", c.top_opts.once,
                  "print one frame as text and exit (also when stdout is not a terminal)");

  c.replay = c.cli.add_subcommand(
      "replay", "send a sink again a range of a device's log, or what is still queued");
  add_common(c.replay);
  auto& r = c.replay_opts;
  c.replay->add_option("--sink", r.sink, "the sink")->required();
  c.replay->add_option("--device", r.device, "the device whose log to read again");
  c.replay->add_option("--from", r.from, "the range's first second: unix seconds or RFC 3339")
      ->option_text("TIME");
  c.replay->add_option("--to", r.to, "its last second (default: now)")->option_text("TIME");
  c.replay->add_flag("--from-queue", r.from_queue,
                     "every event still in the queue (kept while any sink has not passed it)");

  c.dead_letter_cmd = c.cli.add_subcommand(
      "dead-letter", "show a sink's refused events by reason, offer them again, or drop them");
  c.dead_letter_cmd->require_subcommand(1);
  auto& d = c.dead_letter;
  auto* list = c.dead_letter_cmd->add_subcommand("list", "the refused events, grouped by reason");
  add_common(list);
  list->add_option("--sink", d.sink, "only this sink");
  list->add_flag("--json", d.json, "print JSON instead of text");
  auto* replay = c.dead_letter_cmd->add_subcommand(
      "replay", "offer a sink's refused events to it again (resumable; run once the cause is fixed)");
  add_common(replay);
  replay->add_option("--sink", d.sink, "the sink")->required();
  auto* drop = c.dead_letter_cmd->add_subcommand("drop", "remove a sink's refused events");
  add_common(drop);
  drop->add_option("--sink", d.sink, "the sink")->required();
  drop->add_option("--reason", d.reason, "only those whose reason contains this text");
  drop->add_flag("--all", d.all, "every one of them");
}

/// The subcommands that need no configuration.
void add_standalone_commands(command_line& c) {
  c.demo = c.cli.add_subcommand(
      "demo", "watch the agent forward from an embedded simulated array (Ctrl-C ends it)");
  c.demo->add_option("--duration", c.demo_duration, "stop after this long, e.g. 30s");
  c.demo->add_option("--backlog", c.demo_opts.backlog, "log lines the array holds at start");
  c.demo->add_flag("--keep", c.demo_opts.keep,
                   "keep the temporary directory (state, events.jsonl) instead of removing it");

  c.verify = c.cli.add_subcommand(
      "verify-archive", "check the hash chain of a file sink's archive and its rotated files");
  c.verify->add_option("paths", c.verify_opts.paths, "the archive's files, in any order")
      ->required()
      ->option_text("PATH...");
  c.verify
      ->add_option("--key-file", c.verify_opts.key_file,
                   "the chain's key (the sink's key_file), to check a keyed chain")
      ->option_text("FILE");
  c.verify
      ->add_option("--seals", c.verify_opts.seals_file,
                   "the seals as another sink received them (JSON lines or syslog)")
      ->option_text("FILE");
}

int run_demo(command_line& c) {
  using namespace qsanfwd::app;
  if (!c.demo_duration.empty()) {
    const auto d = qsanfwd::parse_duration(c.demo_duration);
    if (!d) {
      std::cerr << "qsanfwd: --duration: expected e.g. 30s or 2m, got \"" << c.demo_duration
                << "\"\n";
      return exit_usage;
    }
    c.demo_opts.duration_limit = *d;
  }
  return demo_command(c.demo_opts);
}

/// Runs the one subcommand parsed (require_subcommand(1) saw to it that there is one).
int run_parsed(command_line& c) {
  using namespace qsanfwd::app;
  if (c.verify->parsed()) {
    return verify_archive_command(c.verify_opts, std::cout);
  }
  if (c.status->parsed()) {
    return status_command(c.common, c.device, c.status_json);
  }
  if (c.alarms->parsed()) {
    return alarms_command(c.common, c.device, c.status_json, c.resend_alarms);
  }
  if (c.run->parsed()) {
    return run_command(c.common);
  }
  if (c.demo->parsed()) {
    return run_demo(c);
  }
  if (c.test->parsed()) {
    return test_connection_command(c.common, c.device);
  }
  if (c.top->parsed()) {
    if (c.common.config_file.empty() && c.top_opts.url.empty()) {
      std::cerr << "qsanfwd top: give -c FILE (its http_api.listen) or --url\n";
      return exit_usage;
    }
    return top_command(c.common, c.top_opts);
  }
  if (c.replay->parsed()) {
    return replay_command(c.common, c.replay_opts);
  }
  if (c.dead_letter_cmd->parsed()) {
    for (auto* action : c.dead_letter_cmd->get_subcommands()) {
      c.dead_letter.action = action->get_name();
    }
    return dead_letter_command(c.common, c.dead_letter);
  }
  if (c.logout->parsed()) {
    return logout_command(c.common, c.device);
  }
  return check_config_command(c.common);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace qsanfwd::app;
  keep_secrets_out_of_core_dumps();
  keep_freed_memory();
  command_line c;
  c.cli.set_version_flag("--version", std::string("qsanfwd ") + QSANFWD_VERSION);
  c.cli.require_subcommand(1);
  add_config_commands(c);
  add_standalone_commands(c);
  try {
    c.cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = c.cli.exit(e);
    return code == 0 ? exit_ok : exit_usage;
  }
  return run_parsed(c);
}
