#include "bench/drain/footprint.hpp"

#include <algorithm>
#include <fstream>
#include <string>

namespace qsanfwd::bench {

void footprint::sample(pid_t pid) {
  const auto proc = "/proc/" + std::to_string(pid);
  std::ifstream status(proc + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("VmHWM:")) {
      const double mb = std::stod(line.substr(6)) / 1024.0;  // in kB
      peak_rss_mb = std::max(peak_rss_mb, mb);
      break;
    }
  }
  // Counted when pages are dirtied, so it includes what the page cache has not written yet.
  std::ifstream io(proc + "/io");
  while (std::getline(io, line)) {
    if (line.starts_with("write_bytes:")) {
      written_mb = std::stod(line.substr(12)) / (1024.0 * 1024.0);
      break;
    }
  }
}

}  // namespace qsanfwd::bench
