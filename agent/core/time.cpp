#include "agent/core/time.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
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

// Written digit by digit: snprintf's format parsing was most of the cost of every event's
// "time" field.
void format_rfc3339_utc(char (&buf)[rfc3339_size], std::int64_t unix_seconds) {
  using namespace std::chrono;
  const sys_seconds tp{seconds{four_digit_year_seconds(unix_seconds)}};
  const auto day = floor<days>(tp);
  const year_month_day ymd{day};
  const auto second_of_day = static_cast<unsigned>((tp - day).count());
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
}

}  // namespace

char* write_rfc3339_utc(char* out, std::int64_t unix_seconds) {
  // Events come in runs of one second (a page of a log, a batch of it), and a formatting sink
  // writes each event's time twice (its canonical JSON, then its message): the last second
  // written is kept per thread.
  thread_local std::optional<std::int64_t> last;
  thread_local char buf[rfc3339_size];
  if (unix_seconds != last) {
    format_rfc3339_utc(buf, unix_seconds);
    last = unix_seconds;
  }
  std::memcpy(out, buf, rfc3339_size);
  return out + rfc3339_size;
}

void append_rfc3339_utc(std::string& out, std::int64_t unix_seconds) {
  const auto start = out.size();
  out.resize(start + rfc3339_size);
  write_rfc3339_utc(out.data() + start, unix_seconds);
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

namespace {

/// The decimal number in `text[at, at + digits)`; nullopt unless all are digits.
std::optional<int> digits_at(std::string_view text, std::size_t at, std::size_t digits) {
  if (at + digits > text.size()) {
    return std::nullopt;
  }
  int v = 0;
  for (std::size_t i = at; i < at + digits; ++i) {
    if (text[i] < '0' || text[i] > '9') {
      return std::nullopt;
    }
    v = v * 10 + (text[i] - '0');
  }
  return v;
}

std::optional<std::int64_t> parse_unix_seconds(std::string_view text) {
  if (text.empty() || text.size() > 12) {
    return std::nullopt;
  }
  std::int64_t v = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    v = v * 10 + (c - '0');
  }
  return v;
}

/// "+hh:mm", "-hh:mm" or "Z"/"z" at the end of an RFC 3339 time, in seconds east of UTC.
std::optional<std::int64_t> utc_offset(std::string_view zone) {
  if (zone == "Z" || zone == "z") {
    return 0;
  }
  const auto h = digits_at(zone, 1, 2);
  const auto m = digits_at(zone, 4, 2);
  if (zone.size() != 6 || (zone[0] != '+' && zone[0] != '-') || zone[3] != ':' || !h || !m ||
      *h > 23 || *m > 59) {
    return std::nullopt;
  }
  const auto seconds = (*h * 60 + *m) * 60;
  return zone[0] == '+' ? seconds : -seconds;
}

}  // namespace

std::optional<std::int64_t> parse_time_argument(std::string_view text) {
  if (auto unix = parse_unix_seconds(text)) {
    return unix;
  }
  // YYYY-MM-DDThh:mm:ss, then an optional fraction, then the zone.
  const auto year = digits_at(text, 0, 4);
  const auto month = digits_at(text, 5, 2);
  const auto day = digits_at(text, 8, 2);
  const auto hour = digits_at(text, 11, 2);
  const auto minute = digits_at(text, 14, 2);
  const auto second = digits_at(text, 17, 2);
  if (!year || !month || !day || !hour || !minute || !second || text[4] != '-' ||
      text[7] != '-' || (text[10] != 'T' && text[10] != 't' && text[10] != ' ') ||
      text[13] != ':' || text[16] != ':' || *hour > 23 || *minute > 59 || *second > 60) {
    return std::nullopt;
  }
  std::size_t zone_at = 19;
  if (zone_at < text.size() && text[zone_at] == '.') {
    ++zone_at;
    while (zone_at < text.size() && text[zone_at] >= '0' && text[zone_at] <= '9') {
      ++zone_at;
    }
  }
  const auto offset = utc_offset(text.substr(zone_at));
  const std::chrono::year_month_day date{std::chrono::year{*year},
                                         std::chrono::month{static_cast<unsigned>(*month)},
                                         std::chrono::day{static_cast<unsigned>(*day)}};
  if (!offset || !date.ok()) {
    return std::nullopt;
  }
  const auto days = std::chrono::sys_days(date).time_since_epoch().count();
  // A leap second (":60") is read as the second after :59.
  return days * 86400 + (*hour * 60 + *minute) * 60 + *second - *offset;
}

std::int64_t unix_now() {
  using namespace std::chrono;
  return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace qsanfwd
