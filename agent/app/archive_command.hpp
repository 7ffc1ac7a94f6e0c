#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace qsanfwd::app {

/// What `qsanfwd verify-archive` is given.
struct verify_archive_options {
  std::vector<std::string> paths;  ///< the archive's files, in any order
  std::string key_file;            ///< the chain's key; empty: none
  std::string seals_file;          ///< the seals another sink received; empty: none
};

/// `qsanfwd verify-archive [--key-file FILE] [--seals FILE] PATH...`: checks the hash chain of a
/// file sink's archive (the file and its rotated, possibly gzipped, siblings, given in any
/// order), with the key of a keyed chain, and against the seals another sink received. Prints
/// the verdict to `out`, one line per finding, each starting with what it is: `intact`,
/// `tampered` (the chain breaks, or a sealed line differs: file and line number), `missing`
/// (lines the seals name that none of the files holds), `not chained` (lines without chain
/// fields: written without hash_chain), `not keyed`, `cannot check` (a keyed chain and no key)
/// or `unsealed`. Never prints a byte of the key. Returns exit_ok when intact with nothing else
/// to say, exit_failure otherwise or when a file cannot be read.
int verify_archive_command(const verify_archive_options& options, std::ostream& out);

}  // namespace qsanfwd::app
