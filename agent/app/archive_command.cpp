#include "agent/app/archive_command.hpp"

#include <exception>
#include <ostream>

#include "agent/app/exit_codes.hpp"
#include "sinks/file/hash_chain.hpp"

namespace qsanfwd::app {
namespace {

void print_findings(const sinks::archive_report& r, std::ostream& out) {
  if (!r.intact) {
    out << "tampered: " << r.file.string() << ":" << r.line << ": " << r.problem << "\n";
  }
  if (r.key_needed) {
    out << "cannot check: " << r.file.string() << ":" << r.line
        << " and the lines after it are keyed (chain_hmac): give --key-file\n";
  }
  if (r.not_chained > 0) {
    out << "not chained: the first " << r.not_chained << " line(s) of " << r.order.front().string()
        << " have no chain fields (written before hash_chain was on, or stripped)\n";
  }
  if (r.not_keyed > 0) {
    out << "not keyed: the first " << r.not_keyed
        << " chained line(s) are chained without the key (written before key_file was set, or "
           "recomputed)\n";
  }
  for (const auto& p : r.seal_problems) {
    out << p << "\n";
  }
}

void print_intact(const sinks::archive_report& r, bool seals_given, std::ostream& out) {
  out << "intact: " << r.lines << " line(s) in " << r.order.size() << " file(s), oldest first:";
  for (const auto& f : r.order) {
    out << " " << f.string();
  }
  out << "\n";
  if (r.newest_seal) {
    out << "sealed: " << r.seals_checked << " seal(s) agree; the newest, at " << r.newest_seal->at
        << ", names line " << r.newest_seal->seq << " of " << r.last_seq << "\n";
  } else if (!seals_given) {
    out << "note: without --seals, lines cut off the end or files removed from the start "
           "cannot be seen\n";
  }
}

}  // namespace

int verify_archive_command(const verify_archive_options& options, std::ostream& out) {
  std::vector<std::filesystem::path> files(options.paths.begin(), options.paths.end());
  try {
    std::optional<sinks::chain_key> key;
    sinks::verify_options verify;
    if (!options.key_file.empty()) {
      key = sinks::read_chain_key(options.key_file);
      verify.key = &*key;
    }
    if (!options.seals_file.empty()) {
      verify.seals = sinks::read_seals(options.seals_file);
    }
    const auto report = sinks::verify_archive(files, verify);
    if (report.lines > 0 && report.not_chained == report.lines) {
      out << "not chained: none of the " << report.lines
          << " line(s) has chain fields: written without hash_chain, there is no chain to "
             "check (not evidence of tampering)\n";
      return exit_not_chained;
    }
    if (!report.ok()) {
      print_findings(report, out);
      return exit_failure;
    }
    print_intact(report, verify.seals.has_value(), out);
    return exit_ok;
  } catch (const std::exception& e) {
    out << "qsanfwd: verify-archive: " << e.what() << "\n";
    return exit_failure;
  }
}

}  // namespace qsanfwd::app
