#include "agent/core/time.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>

namespace qsanfwd {

std::int64_t four_digit_year_seconds(std::int64_t unix_seconds) {
  constexpr std::int64_t earliest = -62167219200;  // 0000-01-01T00:00:00Z
  constexpr std::int64_t latest = 253402300799;    // 9999-12-31T23:59:59Z
  return std::clamp(unix_seconds, earliest, latest);
}

namespace {

// Writes `v` (below 10^width) as `width` decimal digits with leading zeros.
void put_digits(char* out, unsigned v, int width) {
  for (int i = width - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
}

}  // namespace

void append_rfc3339_utc(std::string& out, std::int64_t unix_seconds) {
  // Written digit by digit: snprintf's format parsing was most of the cost of every event's
  // "time" field.
  using namespace std::chrono;
  const sys_seconds tp{seconds{four_digit_year_seconds(unix_seconds)}};
  const auto day = floor<days>(tp);
  const year_month_day ymd{day};
  const auto second_of_day = static_cast<unsigned>((tp - day).count());
  char buf[rfc3339_size];
  put_digits(buf, static_cast<unsigned>(static_cast<int>(ymd.year())), 4);
  buf[4] = '-';
  put_digits(buf + 5, static_cast<unsigned>(ymd.month()), 2);
  buf[7] = '-';
  put_digits(buf + 8, static_cast<unsigned>(ymd.day()), 2);
  buf[10] = 'T';
  put_digits(buf + 11, second_of_day / 3600, 2);
  buf[13] = ':';
  put_digits(buf + 14, second_of_day / 60 % 60, 2);
  buf[16] = ':';
  put_digits(buf + 17, second_of_day % 60, 2);
  buf[19] = 'Z';
  out.append(buf, rfc3339_size);
}

std::string rfc3339_utc(std::int64_t unix_seconds) {
  std::string out;
  append_rfc3339_utc(out, unix_seconds);
  return out;
}

namespace {
constexpr const char* imf_fixdate = "%a, %d %b %Y %H:%M:%S GMT";
}  // namespace

std::optional<std::int64_t> parse_http_date(std::string_view value) {
  std::tm tm{};
  const std::string text(value);
  const char* end = ::strptime(text.c_str(), imf_fixdate, &tm);
  if (end == nullptr || *end != '\0') {
    return std::nullopt;
  }
  return static_cast<std::int64_t>(::timegm(&tm));
}

std::string http_date(std::int64_t unix_seconds) {
  const auto t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[40];
  const auto n = std::strftime(buf, sizeof buf, imf_fixdate, &tm);
  return std::string(buf, n);
}

std::int64_t unix_now() {
  using namespace std::chrono;
  return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace qsanfwd
