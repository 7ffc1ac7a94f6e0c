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

progress_display::progress_display(std::FILE* out, std::optional<bool> terminal)
    : out_(out), terminal_(terminal.value_or(isatty(fileno(out)) == 1)) {}

void progress_display::update(const logs::progress& p) {
  const auto now = std::chrono::steady_clock::now();
  if (!terminal_) {
    auto& last = last_shown_[p.device];
    if (!p.done && now - last < std::chrono::seconds(5)) {
      return;
    }
    last = now;
    get_logger("logs")->info("{}: {} {}", p.device,
                             p.done ? "read" : "reading backlog:", describe_progress(p));
    return;
  }
  if (p.done) {
    draining_.erase(p.device);
    std::fprintf(out_, "\r\033[K%s: read the array's log: %s\n", p.device.c_str(),
                 describe_progress(p).c_str());
    show_live_line();
    return;
  }
  draining_[p.device] = p;
  if (now - line_shown_ >= std::chrono::milliseconds(200)) {
    line_shown_ = now;
    show_live_line();
  }
}

void progress_display::show_live_line() {
  if (draining_.empty()) {
    std::fflush(out_);
    return;
  }
  if (draining_.size() == 1) {
    const auto& [device, p] = *draining_.begin();
    std::fprintf(out_, "\r\033[K%s: reading the array's log: %s", device.c_str(),
                 describe_progress(p).c_str());
  } else {
    logs::progress sum;
    for (const auto& [device, p] : draining_) {
      sum.read += p.read;
      sum.total += p.total;
      sum.lines_per_second += p.lines_per_second;
    }
    std::fprintf(out_, "\r\033[Kreading %zu arrays' logs: %s", draining_.size(),
                 describe_progress(sum).c_str());
  }
  std::fflush(out_);
}

}  // namespace qsanfwd::app
