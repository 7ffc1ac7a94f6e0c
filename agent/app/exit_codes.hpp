#pragma once

namespace qsanfwd::app {

/// The process's exit status, a contract with systemd units and scripts.
enum exit_code : int {
  exit_ok = 0,
  exit_failure = 1,  ///< a run-time failure (state store locked, array unreachable, ...)
  exit_usage = 2,    ///< bad command line or bad configuration
  /// verify-archive: no line of the archive is chained (written without hash_chain), so there
  /// is nothing to verify; neither intact nor tampered.
  exit_not_chained = 3,
};

}  // namespace qsanfwd::app
