#include "agent/app/progress_display.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdio>

#include "agent/core/logging.hpp"

namespace qsanfwd::app {
namespace {

std::string human_count(std::int64_t n) {
  char buf[32];
  if (n >= 1'000'000) {
    std::snprintf(buf, sizeof buf, "%.1fM", static_cast<double>(n) / 1e6);
  } else if (n >= 10'000) {
    std::snprintf(buf, sizeof buf, "%.0fk", static_cast<double>(n) / 1e3);
  } else {
    std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(n));
  }
  return buf;
}

}  // namespace

std::string describe_progress(const logs::progress& p) {
  std::string out = human_count(p.read) + " of " + human_count(p.total) + " lines";
  if (p.lines_per_second > 0) {
    out += " (" + human_count(std::llround(p.lines_per_second)) + "/s";
    if (!p.done && p.total > p.read) {
      const auto eta = static_cast<double>(p.total - p.read) / p.lines_per_second;
      out += ", ETA " + std::to_string(std::llround(std::ceil(eta))) + "s";
    }
    out += ")";
  }
  return out;
}

progress_display::progress_display() : terminal_(isatty(STDERR_FILENO) == 1) {}

void progress_display::update(const logs::progress& p) {
  const auto now = std::chrono::steady_clock::now();
  auto& last = last_shown_[p.device];
  const auto every = terminal_ ? std::chrono::milliseconds(200) : std::chrono::milliseconds(5000);
  if (!p.done && now - last < every) {
    return;
  }
  last = now;
  if (terminal_) {
    std::fprintf(stderr, "\r\033[K%s: reading the array's log: %s%s", p.device.c_str(),
                 describe_progress(p).c_str(), p.done ? "\n" : "");
    std::fflush(stderr);
  } else {
    get_logger("logs")->info("{}: {} {}", p.device,
                             p.done ? "read" : "reading backlog:", describe_progress(p));
  }
}

}  // namespace qsanfwd::app
