#include "agent/core/time.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace qsanfwd {

std::int64_t four_digit_year_seconds(std::int64_t unix_seconds) {
  constexpr std::int64_t earliest = -62167219200;  // 0000-01-01T00:00:00Z
  constexpr std::int64_t latest = 253402300799;    // 9999-12-31T23:59:59Z
  return std::clamp(unix_seconds, earliest, latest);
}

std::string rfc3339_utc(std::int64_t unix_seconds) {
  using namespace std::chrono;
  const sys_seconds tp{seconds{four_digit_year_seconds(unix_seconds)}};
  const auto day = floor<days>(tp);
  const year_month_day ymd{day};
  const hh_mm_ss hms{tp - day};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf;
}

std::int64_t unix_now() {
  using namespace std::chrono;
  return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace qsanfwd
