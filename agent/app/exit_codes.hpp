#pragma once

namespace qsanfwd::app {

/// The process's exit status, a contract with systemd units and scripts.
enum exit_code : int {
  exit_ok = 0,
  exit_failure = 1,  ///< a run-time failure (state store locked, array unreachable, ...)
  exit_usage = 2,    ///< bad command line or bad configuration
};

}  // namespace qsanfwd::app
