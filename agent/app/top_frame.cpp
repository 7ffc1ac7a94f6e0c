#include "agent/app/top_frame.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <set>
#include <tuple>
#include <utility>

#include "agent/core/time.hpp"
#include "agent/core/utf8.hpp"

namespace qsanfwd::app {
namespace {

using json = nlohmann::json;

constexpr std::string_view top_ellipsis = "\xE2\x80\xA6";  // U+2026, one column

// ---- Making text safe for a terminal ----

struct top_code_point {
  char32_t value = 0;
  std::size_t length = 1;  ///< in bytes
};

/// The code point at `i`; a byte that starts no well-formed sequence is U+FFFD of length 1.
top_code_point top_decode(std::string_view text, std::size_t i) {
  const auto b0 = static_cast<unsigned char>(text[i]);
  if (b0 < 0x80) {
    return {b0, 1};
  }
  const auto n = utf8_length(text.substr(i));
  if (n == 0) {
    return {0xFFFD, 1};
  }
  char32_t cp = b0 & (n == 2 ? 0x1FU : n == 3 ? 0x0FU : 0x07U);
  for (std::size_t k = 1; k < n; ++k) {
    cp = (cp << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3FU);
  }
  return {cp, n};
}

/// East Asian wide and fullwidth characters and emoji: two columns. A character missing here
/// counts one; the ones that print narrower than that (combining marks) make a line shorter
/// than counted, never longer.
bool top_is_wide(char32_t c) {
  static constexpr std::array<std::pair<char32_t, char32_t>, 30> wide{{
      {0x1100, 0x115F},   {0x231A, 0x231B},   {0x2329, 0x232A},   {0x23E9, 0x23F3},
      {0x25FD, 0x25FE},   {0x2614, 0x2615},   {0x2648, 0x2653},   {0x267F, 0x26FD},
      {0x2705, 0x2705},   {0x270A, 0x270B},   {0x2728, 0x2728},   {0x274C, 0x2757},
      {0x2795, 0x27BF},   {0x2B1B, 0x2B55},   {0x2E80, 0x303E},   {0x3041, 0x4DBF},
      {0x4E00, 0xA4CF},   {0xA960, 0xA97F},   {0xAC00, 0xD7A3},   {0xF900, 0xFAFF},
      {0xFE10, 0xFE19},   {0xFE30, 0xFE6F},   {0xFF00, 0xFF60},   {0xFFE0, 0xFFE6},
      {0x16FE0, 0x18AFF}, {0x1B000, 0x1B2FF}, {0x1F000, 0x1F2FF}, {0x1F300, 0x1F6FF},
      {0x1F7E0, 0x1FAFF}, {0x20000, 0x3FFFD},
  }};
  return std::any_of(wide.begin(), wide.end(),
                     [c](const auto& r) { return c >= r.first && c <= r.second; });
}

/// Characters that print nothing and may reorder or hide what follows: bidirectional
/// controls, zero-width characters, line and paragraph separators, interlinear annotation.
bool top_is_invisible(char32_t c) {
  return c == 0x061C || c == 0x00AD || (c >= 0x200B && c <= 0x200F) ||
         (c >= 0x2028 && c <= 0x202E) || (c >= 0x2060 && c <= 0x206F) || c == 0xFEFF ||
         (c >= 0xFFF9 && c <= 0xFFFB);
}

/// What an escape sequence introducer starts. The ESC or C1 byte itself is already skipped.
enum class top_escape { csi, string, other };

/// Skips the rest of an escape sequence starting at `i`; returns where the text resumes. A
/// string sequence (OSC, DCS, ...) without its terminator runs to the end, as on a terminal.
std::size_t top_skip_escape(std::string_view text, std::size_t i, top_escape kind) {
  const auto at = [&text](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  if (kind == top_escape::csi) {
    while (i < text.size() && at(i) >= 0x20 && at(i) <= 0x3F) {
      ++i;
    }
    return i < text.size() && at(i) >= 0x40 && at(i) <= 0x7E ? i + 1 : i;
  }
  if (kind == top_escape::string) {
    while (i < text.size()) {
      if (at(i) == 0x07) {
        return i + 1;
      }
      if (at(i) == 0x1B && i + 1 < text.size() && text[i + 1] == '\\') {
        return i + 2;
      }
      if (text.substr(i, 2) == "\xC2\x9C") {  // ST as UTF-8
        return i + 2;
      }
      ++i;
    }
    return i;
  }
  // ESC, intermediates, one final byte (ESC ( B, ESC 7, ESC c...).
  while (i < text.size() && at(i) >= 0x20 && at(i) <= 0x2F) {
    ++i;
  }
  return i < text.size() && at(i) >= 0x30 && at(i) <= 0x7E ? i + 1 : i;
}

/// What follows ESC: the kind of sequence, by its second byte.
top_escape top_escape_after_esc(char c) {
  if (c == '[') {
    return top_escape::csi;
  }
  if (c == ']' || c == 'P' || c == 'X' || c == '^' || c == '_') {
    return top_escape::string;
  }
  return top_escape::other;
}

/// An 8-bit (C1) introducer's kind.
top_escape top_escape_c1(char32_t c) {
  if (c == 0x9B) {
    return top_escape::csi;
  }
  if (c == 0x90 || c == 0x98 || c == 0x9D || c == 0x9E || c == 0x9F) {
    return top_escape::string;
  }
  return top_escape::other;
}

/// Appends text to a line of at most `width` columns, cutting with "…" at the first character
/// that does not fit.
class top_line_builder {
 public:
  explicit top_line_builder(std::size_t width) : width_(width) {}

  /// False once the line is full (the rest is dropped).
  bool add(std::string_view utf8, std::size_t columns) {
    if (full_) {
      return false;
    }
    if (columns_ + columns > width_) {
      out_.resize(fits_with_ellipsis_);
      if (width_ > 0) {
        out_ += top_ellipsis;
      }
      full_ = true;
      return false;
    }
    out_ += utf8;
    columns_ += columns;
    if (columns_ < width_) {
      fits_with_ellipsis_ = out_.size();
    }
    return true;
  }
  std::string take() { return std::move(out_); }

 private:
  std::size_t width_;
  std::size_t columns_ = 0;
  std::size_t fits_with_ellipsis_ = 0;  ///< bytes of out_ that leave a column for "…"
  bool full_ = false;
  std::string out_;
};

// ---- Reading the answer, each field as maybe missing or of another type ----

const json& top_empty_array() {
  static const json empty = json::array();
  return empty;
}

const json& top_member(const json& obj, const char* key) {
  static const json none;
  if (!obj.is_object()) {
    return none;
  }
  const auto it = obj.find(key);
  return it != obj.end() ? *it : none;
}

const json& top_array(const json& obj, const char* key) {
  if (!obj.is_object()) {
    return top_empty_array();
  }
  const auto it = obj.find(key);
  return it != obj.end() && it->is_array() ? *it : top_empty_array();
}

std::string top_string(const json& obj, const char* key) {
  if (!obj.is_object()) {
    return {};
  }
  const auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::optional<double> top_number(const json& obj, const char* key) {
  if (!obj.is_object()) {
    return std::nullopt;
  }
  const auto it = obj.find(key);
  if (it == obj.end() || !it->is_number()) {
    return std::nullopt;
  }
  return it->get<double>();
}

// ---- Numbers in a few columns ----

std::string top_rate(std::optional<double> v) {
  if (!v) {
    return "-";
  }
  const double x = std::max(0.0, *v);
  return x < 99.95      ? fmt::format("{:.1f}", x)
         : x < 99999.5  ? fmt::format("{:.0f}", x)
         : x < 9999.5e3 ? fmt::format("{:.0f}k", x / 1e3)
                        : fmt::format("{:.1e}", x);
}

std::string top_count(std::optional<double> v) {
  if (!v) {
    return "-";
  }
  const double x = std::max(0.0, *v);
  return x < 9999.5     ? fmt::format("{:.0f}", x)
         : x < 9999.5e3 ? fmt::format("{:.0f}k", x / 1e3)
         : x < 9999.5e6 ? fmt::format("{:.0f}M", x / 1e6)
                        : fmt::format("{:.0e}", x);
}

/// "42s", "5m", "3h", "12d".
std::string top_age(std::optional<double> seconds) {
  if (!seconds || std::isnan(*seconds)) {
    return "-";
  }
  const auto s = static_cast<std::int64_t>(std::clamp(*seconds, 0.0, 1e12));
  return s < 120      ? fmt::format("{}s", s)
         : s < 7200   ? fmt::format("{}m", s / 60)
         : s < 172800 ? fmt::format("{}h", s / 3600)
                      : fmt::format("{}d", s / 86400);
}

std::optional<double> top_difference(std::optional<double> a, std::optional<double> b) {
  if (!a || !b) {
    return std::nullopt;
  }
  return *a - *b;
}

// ---- Cells and lines ----

/// `text` made safe, cut to `width` columns and padded to them (on the left when `right`).
std::string top_cell(std::string_view text, std::size_t width, bool right = false) {
  auto safe = terminal_text(text, width);
  const std::string pad(width - terminal_columns(safe), ' ');
  return right ? pad + safe : safe + pad;
}

/// The widths of a frame's columns: the name and the last error take what is beyond 80.
struct top_layout {
  std::size_t width;
  std::size_t name;

  explicit top_layout(std::size_t w)
      : width(w), name(16 + std::min<std::size_t>(16, w > 80 ? (w - 80) / 4 : 0)) {}
};

/// One device or sink, as a row of the table.
struct top_row {
  /// Trouble first: 0 a device with a critical alarm, 1 one unreachable or whose login fails,
  /// 2 a sink retrying, 3 a device with other alarms, 4 the rest.
  int rank = 0;
  std::string name;
  std::string kind;
  std::string state;
  std::string rate;
  std::string backlog;
  std::string alarms;
  std::string error;
};

line_style top_row_style(int rank) {
  return rank <= 1 ? line_style::critical : rank <= 3 ? line_style::trouble : line_style::plain;
}

std::string top_row_text(const top_row& r, const top_layout& l) {
  std::string line = top_cell(r.kind, 4) + " " + top_cell(r.name, l.name) + " " +
                     top_cell(r.state, 12) + " " + top_cell(r.rate, 7, true) + " " +
                     top_cell(r.backlog, 11) + " " + top_cell(r.alarms, 3, true) + " ";
  return terminal_text(line + terminal_text(r.error, l.width), l.width);
}

std::set<std::string> top_critical_devices(const json& alarms) {
  std::set<std::string> out;
  for (const auto& a : alarms) {
    if (top_string(a, "severity") == "critical") {
      out.insert(top_string(a, "device"));
    }
  }
  return out;
}

top_row top_device_row(const json& d, const std::set<std::string>& critical) {
  top_row r;
  r.kind = "dev";
  r.name = top_string(d, "name");
  r.state = top_string(d, "state");
  const auto alarms = top_number(d, "alarms").value_or(0);
  r.rank = critical.count(r.name) != 0                             ? 0
           : r.state == "unreachable" || r.state == "login_failed" ? 1
           : alarms > 0                                            ? 3
                                                                   : 4;
  r.rate = top_rate(top_number(d, "lines_per_second"));
  const auto lag = top_number(d, "checkpoint_lag_seconds");
  r.backlog = lag ? "lag " + top_age(lag) : "-";
  r.alarms = alarms > 0 ? top_count(alarms) : "";
  r.error = top_string(d, "last_error");
  return r;
}

top_row top_sink_row(const json& s) {
  top_row r;
  r.kind = "sink";
  r.name = top_string(s, "name");
  r.state = top_string(s, "state");
  r.rank = r.state == "retrying" ? 2 : 4;
  r.rate = top_rate(top_number(s, "delivered_per_second"));
  const auto queued = top_number(s, "queue_events");
  const auto oldest = top_number(s, "oldest_age_seconds");
  r.backlog = top_count(queued) + (oldest ? " " + top_age(oldest) : "");
  r.error = top_string(s, "last_error");
  return r;
}

std::vector<top_row> top_rows(const json& status) {
  std::vector<top_row> rows;
  const auto critical = top_critical_devices(top_array(status, "alarms"));
  for (const auto& d : top_array(status, "devices")) {
    rows.push_back(top_device_row(d, critical));
  }
  for (const auto& s : top_array(status, "sinks")) {
    rows.push_back(top_sink_row(s));
  }
  std::stable_sort(rows.begin(), rows.end(), [](const top_row& a, const top_row& b) {
    return std::tie(a.rank, a.name, a.kind) < std::tie(b.rank, b.name, b.kind);
  });
  return rows;
}

std::string top_header(const json& status) {
  const json& summary = top_member(status, "summary");
  const auto n = [&summary](const char* key) { return top_count(top_number(summary, key)); };
  const auto up = top_difference(top_number(status, "now"), top_number(status, "started_at"));
  // The counts first: on a narrow terminal the version is what is cut.
  return fmt::format("alarms {} ({} critical)  devices down {}/{}  sinks failing {}/{}  up {}  v{}",
                     n("alarms"), n("critical"), n("devices_down"), n("devices"),
                     n("sinks_failing"), n("sinks"), top_age(up), top_string(status, "version"));
}

/// "CRIT", "ERR", "WARN": a severity in four columns.
std::string top_severity_tag(std::string severity) {
  if (severity == "critical") {
    return "CRIT";
  }
  if (severity == "error") {
    return "ERR";
  }
  std::transform(severity.begin(), severity.end(), severity.begin(),
                 [](char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c; });
  return severity.substr(0, 4);
}

std::string top_alarm_text(const json& a, const json& status, const top_layout& l) {
  const auto severity = top_severity_tag(top_string(a, "severity"));
  std::string what;
  for (const char* key : {"component", "component_id", "attribute"}) {
    const auto part = top_string(a, key);
    if (!part.empty()) {
      what += (what.empty() ? "" : " ") + part;
    }
  }
  const auto age = top_difference(top_number(status, "now"), top_number(a, "since"));
  std::string line = top_cell(severity, 4) + " " + top_cell(top_string(a, "device"), l.name) + " " +
                     top_cell(what, 20) + " " + top_cell(top_age(age), 4, true) + " ";
  return terminal_text(line + terminal_text(top_string(a, "message"), l.width), l.width);
}

/// The open alarms in at most `room` lines (the last one "… N more alarms" when they do not
/// all fit).
void top_alarm_lines(const json& status, const top_layout& l, std::size_t room,
                     std::vector<top_line>& out) {
  const auto& alarms = top_array(status, "alarms");
  if (alarms.empty()) {
    out.push_back({"no open alarms", line_style::plain});
    return;
  }
  const auto shown = alarms.size() <= room ? alarms.size() : room - 1;
  for (std::size_t i = 0; i < shown; ++i) {
    const bool critical = top_string(alarms[i], "severity") == "critical";
    out.push_back({top_alarm_text(alarms[i], status, l),
                   critical ? line_style::critical : line_style::trouble});
  }
  if (shown < alarms.size()) {
    out.push_back({fmt::format("{} {} more alarms", top_ellipsis, alarms.size() - shown),
                   line_style::trouble});
  }
}

void top_table_lines(const json& status, const top_layout& l, std::size_t room,
                     std::vector<top_line>& out) {
  const top_row heading{0, "NAME", "KIND", "STATE", "RATE/S", "QUEUE/LAG", "ALM", "LAST ERROR"};
  out.push_back({top_row_text(heading, l), line_style::heading});
  const auto rows = top_rows(status);
  const auto shown = rows.size() <= room ? rows.size() : (room == 0 ? 0 : room - 1);
  for (std::size_t i = 0; i < shown; ++i) {
    out.push_back({top_row_text(rows[i], l), top_row_style(rows[i].rank)});
  }
  if (shown < rows.size() && room > 0) {
    out.push_back(
        {fmt::format("{} {} more", top_ellipsis, rows.size() - shown), line_style::plain});
  }
}

/// The second line: where the numbers come from, or why they are old.
top_line top_source_line(const top_state& s) {
  if (!s.error.empty()) {
    return {fmt::format("numbers from {} ago; cannot reach {}: {}",
                        top_age(static_cast<double>(s.stale_seconds)), s.url, s.error),
            line_style::critical};
  }
  const auto now = top_number(*s.status, "now");
  const auto at =
      now ? rfc3339_utc(static_cast<std::int64_t>(std::clamp(*now, 0.0, 253402300799.0)))
          : std::string("?");
  return {fmt::format("{} at {}", s.url, at), line_style::plain};
}

std::vector<top_line> top_unreachable(const top_state& s) {
  if (s.error.empty()) {
    return {{"qsanfwd top", line_style::title},
            {"", line_style::plain},
            {fmt::format("reading {} {}", s.url, top_ellipsis), line_style::plain}};
  }
  return {{"qsanfwd top", line_style::title},
          {"", line_style::plain},
          {fmt::format("cannot reach the agent at {}", s.url), line_style::critical},
          {s.error, line_style::critical},
          {"", line_style::plain},
          {"is the agent running, with http_api.listen at this address?", line_style::plain}};
}

}  // namespace

std::string terminal_text(std::string_view text, std::size_t width) {
  top_line_builder line(width);
  std::size_t i = 0;
  while (i < text.size()) {
    const auto cp = top_decode(text, i);
    i += cp.length;
    if (cp.value == 0x1B) {
      const auto kind = i < text.size() ? top_escape_after_esc(text[i]) : top_escape::other;
      i = top_skip_escape(text, kind == top_escape::other ? i : i + 1, kind);
    } else if (cp.value >= 0x80 && cp.value <= 0x9F) {
      i = top_skip_escape(text, i, top_escape_c1(cp.value));
    } else if (cp.value == '\t' || cp.value == '\n' || cp.value == '\r' || cp.value == '\v' ||
               cp.value == '\f') {
      if (!line.add(" ", 1)) {
        break;
      }
    } else if (cp.value < 0x20 || cp.value == 0x7F || top_is_invisible(cp.value)) {
      continue;
    } else if (cp.value == 0xFFFD && cp.length == 1) {
      if (!line.add("\xEF\xBF\xBD", 1)) {
        break;
      }
    } else if (!line.add(text.substr(i - cp.length, cp.length), top_is_wide(cp.value) ? 2U : 1U)) {
      break;
    }
  }
  return line.take();
}

std::size_t terminal_columns(std::string_view text) {
  std::size_t columns = 0;
  for (std::size_t i = 0; i < text.size();) {
    const auto cp = top_decode(text, i);
    i += cp.length;
    columns += top_is_wide(cp.value) ? 2U : 1U;
  }
  return columns;
}

std::vector<top_line> render_top(const top_state& state, std::size_t width, std::size_t height) {
  std::vector<top_line> out;
  if (!state.status) {
    out = top_unreachable(state);
  } else {
    const top_layout layout(width);
    const auto& status = *state.status;
    out.push_back({top_header(status), line_style::title});
    out.push_back(top_source_line(state));
    out.push_back({"", line_style::plain});
    // The alarms take up to a third of what is left beside the five fixed lines; the table
    // the rest.
    const auto spare = height > 5 ? height - 5 : 0;
    top_alarm_lines(status, layout, std::max<std::size_t>(1, spare / 3), out);
    out.push_back({"", line_style::plain});
    const auto used = out.size() + 1;  // and the table's heading
    top_table_lines(status, layout, height > used ? height - used : 0, out);
  }
  if (out.size() > height) {
    out.resize(height);
  }
  for (auto& line : out) {
    line.text = terminal_text(line.text, width);
  }
  return out;
}

}  // namespace qsanfwd::app
