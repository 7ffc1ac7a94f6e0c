#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace qsanfwd::app {

/// `qsanfwd verify-archive PATH...`: checks the hash chain of a file sink's archive (the file
/// and its rotated, possibly gzipped, siblings, given in any order). Prints the verdict to
/// `out`: intact, or the first line changed, removed or inserted (file and line number).
/// Returns exit_ok when intact, exit_failure when not or when a file cannot be read.
int verify_archive_command(const std::vector<std::string>& paths, std::ostream& out);

}  // namespace qsanfwd::app
