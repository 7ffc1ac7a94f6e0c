// The command line, and nothing else: each subcommand is a function in agent/app.
#include <malloc.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "agent/app/archive_command.hpp"
#include "agent/app/commands.hpp"
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

}  // namespace

int main(int argc, char** argv) {
  using namespace qsanfwd::app;
  keep_secrets_out_of_core_dumps();
  keep_freed_memory();
  CLI::App cli{"qsanfwd: forwards logs and health events of QSAN storage arrays", "qsanfwd"};
  cli.set_version_flag("--version", std::string("qsanfwd ") + QSANFWD_VERSION);
  cli.require_subcommand(1);

  common_options common;
  const auto add_common = [&common](CLI::App* sub) {
    sub->add_option("-c,--config", common.config_file, "configuration file (JSON)")
        ->required()
        ->option_text("FILE");
    sub->add_option("--log-level", common.log_level,
                    "trace, debug, info, warn, error, critical or off; overrides the config");
  };

  auto* run = cli.add_subcommand("run", "run the agent (the daemon)");
  add_common(run);
  auto* check =
      cli.add_subcommand("check-config", "validate a config and print it, secrets masked");
  add_common(check);

  std::string device;
  auto* test = cli.add_subcommand(
      "test-connection", "log in to each device, read a page of logs and health, summarise");
  add_common(test);
  test->add_option("--device", device, "only this device");
  auto* logout =
      cli.add_subcommand("logout", "revoke a device's stored refresh token and forget it");
  add_common(logout);
  logout->add_option("--device", device, "the device")->required();

  bool status_json = false;
  auto* status = cli.add_subcommand(
      "status", "where each device and sink stands (read-only; works beside a running agent)");
  add_common(status);
  status->add_flag("--json", status_json, "print JSON instead of text");

  demo_options demo_opts;
  std::string demo_duration;
  auto* demo = cli.add_subcommand(
      "demo", "watch the agent forward from an embedded simulated array (Ctrl-C ends it)");
  demo->add_option("--duration", demo_duration, "stop after this long, e.g. 30s");
  demo->add_option("--backlog", demo_opts.backlog, "log lines the array holds at start");

  std::vector<std::string> archive_paths;
  auto* verify = cli.add_subcommand(
      "verify-archive", "check the hash chain of a file sink's archive and its rotated files");
  verify->add_option("paths", archive_paths, "the archive's files, in any order")
      ->required()
      ->option_text("PATH...");

  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = cli.exit(e);
    return code == 0 ? exit_ok : exit_usage;
  }
  if (verify->parsed()) {
    return verify_archive_command(archive_paths, std::cout);
  }
  if (status->parsed()) {
    return status_command(common, status_json);
  }
  if (run->parsed()) {
    return run_command(common);
  }
  if (demo->parsed()) {
    if (!demo_duration.empty()) {
      const auto d = qsanfwd::parse_duration(demo_duration);
      if (!d) {
        std::cerr << "qsanfwd: --duration: expected e.g. 30s or 2m, got \"" << demo_duration
                  << "\"\n";
        return exit_usage;
      }
      demo_opts.duration_limit = *d;
    }
    return demo_command(demo_opts);
  }
  if (test->parsed()) {
    return test_connection_command(common, device);
  }
  if (logout->parsed()) {
    return logout_command(common, device);
  }
  return check_config_command(common);
}
