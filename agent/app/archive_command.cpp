#include "agent/app/archive_command.hpp"

#include <exception>
#include <ostream>

#include "agent/app/exit_codes.hpp"
#include "sinks/file/hash_chain.hpp"

namespace qsanfwd::app {

int verify_archive_command(const std::vector<std::string>& paths, std::ostream& out) {
  std::vector<std::filesystem::path> files(paths.begin(), paths.end());
  try {
    const auto report = sinks::verify_archive(files);
    if (!report.intact) {
      out << "tampered: " << report.file.string() << ":" << report.line << ": " << report.problem
          << "\n";
      return exit_failure;
    }
    out << "intact: " << report.lines << " line(s) in " << report.order.size()
        << " file(s), oldest first:";
    for (const auto& f : report.order) {
      out << " " << f.string();
    }
    out << "\n";
    return exit_ok;
  } catch (const std::exception& e) {
    out << "qsanfwd: verify-archive: " << e.what() << "\n";
    return exit_failure;
  }
}

}  // namespace qsanfwd::app
