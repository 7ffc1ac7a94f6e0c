#include "sinks/syslog/syslog_format.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <utility>

#include "agent/core/plain_run.hpp"
#include "agent/core/time.hpp"
#include "agent/core/utf8.hpp"
#include "agent/core/write_at.hpp"

namespace qsanfwd::sinks::syslog {
namespace {

constexpr std::string_view bom_bytes = "\xEF\xBB\xBF";
constexpr std::string_view replacement_char = "\xEF\xBF\xBD";  // U+FFFD

constexpr std::size_t max_hostname = 255;
constexpr std::size_t max_app_name = 48;
constexpr std::size_t max_msgid = 32;
constexpr std::size_t max_tag = 32;
constexpr std::size_t max_cef_name = 512;

unsigned char byte_at(std::string_view s, std::size_t i) {
  return static_cast<unsigned char>(s[i]);
}

bool is_printable_ascii(unsigned char c) {
  return c >= 33 && c <= 126;
}

bool is_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return (c & 0x80) == 0; });
}

// An RFC 5424 message is written at a pointer into room made once for its longest form
// (agent/core/write_at.hpp), and the string cut to what was written.

// A header field of RFC 5424: printable US-ASCII, at most `max`, `-` when empty.
char* write_header_field(char* p, std::string_view value, std::size_t max) {
  if (value.empty()) {
    *p++ = '-';
    return p;
  }
  for (const char c : value.substr(0, max)) {
    *p++ = is_printable_ascii(static_cast<unsigned char>(c)) ? c : '_';
  }
  return p;
}

std::string header_field(std::string_view value, std::size_t max) {
  std::string out(std::max<std::size_t>(std::min(value.size(), max), 1), '-');
  write_header_field(out.data(), value, max);
  return out;
}

// `<PRI>`: the facility (0..23) and severity (0..7) make at most three digits.
constexpr std::size_t max_pri = 5;

char* write_pri(char* p, const event& e, const format_settings& s) {
  *p++ = '<';
  p = std::to_chars(p, p + 3, s.facility * 8 + static_cast<int>(e.severity)).ptr;
  *p++ = '>';
  return p;
}

void append_pri(std::string& out, const event& e, const format_settings& s) {
  char pri[max_pri];
  out.append(pri, write_pri(pri, e, s));
}

std::string_view hostname_of(const event& e, const format_settings& s) {
  return s.hostname.empty() ? std::string_view(e.device) : std::string_view(s.hostname);
}

std::string_view msgid_of(const event& e) {
  switch (e.kind) {
    case event_kind::log:
      return e.type;
    case event_kind::health:
      return e.component;
    case event_kind::agent:
      return "agent";
  }
  return {};
}

// The most bytes write_rfc5424_header writes.
constexpr std::size_t max_rfc5424_header =
    max_pri + 2 + rfc3339_size + 1 + max_hostname + 1 + max_app_name + 3 + max_msgid + 1;

// `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID ` with the trailing space.
char* write_rfc5424_header(char* p, const event& e, const format_settings& s) {
  p = write_pri(p, e, s);
  p = write_literal(p, "1 ");
  p = write_rfc3339_utc(p, e.timestamp);
  *p++ = ' ';
  p = write_header_field(p, hostname_of(e, s), max_hostname);
  *p++ = ' ';
  p = write_header_field(p, s.app_name, max_app_name);
  p = write_literal(p, " - ");
  p = write_header_field(p, msgid_of(e), max_msgid);
  *p++ = ' ';
  return p;
}

void append_rfc5424_header(std::string& out, const event& e, const format_settings& s) {
  const auto start = out.size();
  out.resize(start + max_rfc5424_header);
  char* end = write_rfc5424_header(out.data() + start, e, s);
  out.resize(static_cast<std::size_t>(end - out.data()));
}

// Appends `text` with each byte that `next_special` finds written as a backslash and the byte
// `escaped_as` gives for it, copying the runs between them whole.
template <typename NextSpecial, typename EscapedAs>
void append_escaped(std::string& out, std::string_view text, NextSpecial next_special,
                    EscapedAs escaped_as) {
  for (;;) {
    const auto special = next_special(text);
    out.append(text.substr(0, special));
    if (special == std::string_view::npos) {
      return;
    }
    out += '\\';
    out += escaped_as(text[special]);
    text.remove_prefix(special + 1);
  }
}

// Where the next byte SD-PARAM-VALUE escapes is (RFC 5424 6.3.3), by a table: find_first_of
// asked memchr of the three of them for every byte, ~15 instructions a byte under callgrind.
std::size_t next_sd_special(std::string_view text) {
  static constexpr auto special = [] {
    std::array<bool, 256> table{};
    table['"'] = table['\\'] = table[']'] = true;
    return table;
  }();
  const auto at = std::find_if(text.begin(), text.end(),
                               [](char c) { return special[static_cast<unsigned char>(c)]; });
  return at == text.end() ? std::string_view::npos : static_cast<std::size_t>(at - text.begin());
}

// Marks on the bytes of x that are not ASCII or that SD-PARAM-VALUE escapes, the lowest exact.
constexpr std::uint64_t sd_special_bytes(std::uint64_t x) {
  using namespace plain_run_detail;
  return (x & high) | zero_bytes(x ^ (ones * '"')) | zero_bytes(x ^ (ones * '\\')) |
         zero_bytes(x ^ (ones * ']'));
}

// Whether `text` is ASCII without a byte SD-PARAM-VALUE escapes, as most values are (ids,
// names, serials): eight bytes at a time. is_ascii and next_sd_special a byte at a time cost
// ~10 instructions a byte under callgrind, a quarter of a syslog sink's formatting. The last
// few bytes by a table: the eight-byte test on one byte at a time cost ~70 instructions more a
// value, most values being short (kind, type, device), six an event.
bool is_plain_sd_value(std::string_view text) {
  static constexpr auto plain = [] {
    std::array<bool, 256> table{};
    for (unsigned c = 0; c < 256; ++c) {
      table[c] = (sd_special_bytes(c) & 0x80) == 0;  // the lowest byte's mark
    }
    return table;
  }();
  const char* p = text.data();
  const char* const end = p + text.size();
  for (; end - p >= 8; p += 8) {
    std::uint64_t x = 0;
    std::memcpy(&x, p, 8);
    if (sd_special_bytes(x) != 0) {
      return false;
    }
  }
  for (; p != end; ++p) {
    if (!plain[static_cast<unsigned char>(*p)]) {
      return false;
    }
  }
  return true;
}

// The most bytes a byte of an SD-PARAM-VALUE or of MSG is written as: an invalid UTF-8 byte
// becomes U+FFFD, an escaped one two bytes.
constexpr std::size_t max_written_per_byte = 3;

// An SD-PARAM-VALUE, escaped.
char* write_sd_value(char* p, std::string_view value) {
  if (is_plain_sd_value(value)) {
    return write_text(p, value);
  }
  std::string repaired;
  if (!is_ascii(value)) {
    repaired = valid_utf8(value);
    value = repaired;
  }
  for (;;) {
    const auto special = next_sd_special(value);
    p = write_text(p, value.substr(0, special));
    if (special == std::string_view::npos) {
      return p;
    }
    *p++ = '\\';
    *p++ = value[special];
    value.remove_prefix(special + 1);
  }
}

// ` NAME="VALUE"` from the param's opening ` NAME="`, unless the value is empty.
template <std::size_t N>
char* write_sd_param(char* p, const char (&opening)[N], std::string_view value) {
  if (value.empty()) {
    return p;
  }
  p = write_sd_value(write_literal(p, opening), value);
  *p++ = '"';
  return p;
}

// The PARAM-NAMEs of the element's own params: a static field of one of these names is left out
// rather than repeated, so a receiver that reads the element as a map loses neither.
bool is_own_sd_param(std::string_view name) {
  for (const std::string_view own :
       {"device", "event_id", "kind", "type", "model", "serial", "component", "component_id",
        "attribute", "previous", "current", "flags"}) {
    if (name == own) {
      return true;
    }
  }
  return false;
}

// One param per static field, after the element's own; an empty value is written `""`. Out of
// line: inlined, it cost a sink without static fields ~60 instructions an event (0.2 %).
[[gnu::noinline]] char* write_static_sd_params(char* p, const field_list& fields) {
  for (const auto& [name, value] : fields) {
    const auto param = sd_param_name(name);
    if (is_own_sd_param(param)) {
      continue;
    }
    *p++ = ' ';
    p = write_literal(write_text(p, param), "=\"");
    p = write_sd_value(p, value);
    *p++ = '"';
  }
  return p;
}

// The most bytes write_static_sd_params writes: a name is cut to 32 bytes.
std::size_t static_sd_params_room(const field_list& fields) {
  std::size_t n = 0;
  for (const auto& [name, value] : fields) {
    n += 4 + 32 + max_written_per_byte * value.size();
  }
  return n;
}

char* write_structured_data(char* p, const event& e, const format_settings& s) {
  *p++ = '[';
  p = write_text(p, s.sd_id);
  p = write_sd_param(p, " device=\"", e.device);
  p = write_sd_param(p, " event_id=\"", e.id);
  p = write_sd_param(p, " kind=\"", to_string(e.kind));
  p = write_sd_param(p, " type=\"", e.type);
  p = write_sd_param(p, " model=\"", e.model);
  p = write_sd_param(p, " serial=\"", e.serial);
  if (e.kind == event_kind::health) {
    p = write_sd_param(p, " component=\"", e.component);
    p = write_sd_param(p, " component_id=\"", e.component_id);
    p = write_sd_param(p, " attribute=\"", e.attribute);
    p = write_sd_param(p, " previous=\"", e.previous);
    p = write_sd_param(p, " current=\"", e.current);
  }
  p = write_sd_param(p, " flags=\"", e.flags);
  if (!e.fields.empty()) {
    p = write_static_sd_params(p, e.fields);
  }
  *p++ = ']';
  return p;
}

// The most bytes write_structured_data writes for `e`.
std::size_t structured_data_room(const event& e, const format_settings& s) {
  constexpr std::size_t own_params = 12;
  constexpr std::size_t longest_param = 16;  // ` component_id="` and its closing `"`
  const auto values = e.device.size() + e.id.size() + to_string(e.kind).size() + e.type.size() +
                      e.model.size() + e.serial.size() + e.component.size() +
                      e.component_id.size() + e.attribute.size() + e.previous.size() +
                      e.current.size() + e.flags.size();
  return 2 + s.sd_id.size() + own_params * longest_param + max_written_per_byte * values +
         static_sd_params_room(e.fields);
}

// `s` with every invalid UTF-8 sequence written as U+FFFD: at most max_written_per_byte bytes
// a byte of it. Valid text is copied a run at a time, not a sequence at a time.
char* write_valid_utf8(char* p, std::string_view s) {
  std::size_t run = 0;
  for (auto bad = first_invalid_utf8(s, 0); bad < s.size(); bad = first_invalid_utf8(s, run)) {
    p = write_text(p, s.substr(run, bad - run));
    p = write_text(p, replacement_char);
    run = bad + 1;
  }
  return write_text(p, s.substr(run));
}

void append_valid_utf8(std::string& out, std::string_view s) {
  const auto start = out.size();
  out.resize(start + max_written_per_byte * s.size());
  char* end = write_valid_utf8(out.data() + start, s);
  out.resize(static_cast<std::size_t>(end - out.data()));
}

// RFC 5424 appended to `out`, into room made once. Returns where MSG's text starts in `out`
// (out.size() when there is none: an empty message leaves MSG out).
std::size_t append_rfc5424(std::string& out, const event& e, const format_settings& s) {
  const auto start = out.size();
  out.resize(start + max_rfc5424_header + structured_data_room(e, s) + 1 + bom_bytes.size() +
             max_written_per_byte * e.message.size());
  char* p = write_structured_data(write_rfc5424_header(out.data() + start, e, s), e, s);
  auto msg_start = static_cast<std::size_t>(p - out.data());
  if (!e.message.empty()) {
    *p++ = ' ';
    if (s.bom) {
      p = write_text(p, bom_bytes);
    }
    msg_start = static_cast<std::size_t>(p - out.data());
    p = write_valid_utf8(p, e.message);
  }
  out.resize(static_cast<std::size_t>(p - out.data()));
  return msg_start;
}

std::string cef_header_field(std::string_view value) {
  std::string out;
  for (const char c : valid_utf8(value)) {
    if (c == '\\' || c == '|') {
      out += '\\';
    }
    out += c == '\n' || c == '\r' ? ' ' : c;
  }
  return out;
}

void append_cef_extension(std::string& out, std::string_view key, std::string_view value) {
  if (value.empty()) {
    return;
  }
  if (out.back() != '|') {
    out += ' ';
  }
  out += key;
  out += '=';
  for (const char c : valid_utf8(value)) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else {
      if (c == '\\' || c == '=') {
        out += '\\';
      }
      out += c;
    }
  }
}

std::string cef_signature(const event& e) {
  std::string kind(to_string(e.kind));
  switch (e.kind) {
    case event_kind::health:
      return kind + ":" + e.component + ":" + e.attribute;
    case event_kind::log:
    case event_kind::agent:
      break;
  }
  return kind + ":" + e.type;
}

std::string cef_record(const event& e) {
  const std::string_view first_line = std::string_view(e.message).substr(0, e.message.find('\n'));
  std::string out = "CEF:0|QSAN|" + cef_header_field(e.model.empty() ? "storage array" : e.model) +
                    "|1|" + cef_header_field(cef_signature(e)) + "|" +
                    cef_header_field(truncate_utf8(first_line, max_cef_name)) + "|" +
                    std::to_string(cef_severity(e.severity)) + "|";
  append_cef_extension(out, "rt", std::to_string(four_digit_year_seconds(e.timestamp) * 1000));
  append_cef_extension(out, "dvchost", e.device);
  append_cef_extension(out, "deviceExternalId", e.serial);
  append_cef_extension(out, "externalId", e.id);
  append_cef_extension(out, "cat", to_string(e.kind));
  append_cef_extension(out, "msg", e.message);
  if (e.kind == event_kind::health) {
    const std::array<std::pair<std::string_view, const std::string*>, 5> custom{{
        {"component", &e.component},
        {"componentId", &e.component_id},
        {"attribute", &e.attribute},
        {"previous", &e.previous},
        {"current", &e.current},
    }};
    for (std::size_t i = 0; i < custom.size(); ++i) {
      const auto key = "cs" + std::to_string(i + 1);
      if (!custom[i].second->empty()) {
        append_cef_extension(out, key + "Label", custom[i].first);
        append_cef_extension(out, key, *custom[i].second);
      }
    }
  }
  if (!e.flags.empty()) {
    // cs1 to cs5 carry a health event's fields; flags take the sixth custom string.
    append_cef_extension(out, "cs6Label", "flags");
    append_cef_extension(out, "cs6", e.flags);
  }
  // No custom string is left for static fields: each is a custom extension of its own.
  for (const auto& [name, value] : e.fields) {
    const auto key = cef_extension_key(name);
    if (!key.empty()) {
      append_cef_extension(out, key, value);
    }
  }
  return out;
}

}  // namespace

std::optional<int> parse_facility(std::string_view name) {
  static constexpr std::array<std::pair<std::string_view, int>, 24> names{{
      {"kern", 0},          {"user", 1},    {"mail", 2},    {"daemon", 3},    {"auth", 4},
      {"syslog", 5},        {"lpr", 6},     {"news", 7},    {"uucp", 8},      {"cron", 9},
      {"authpriv", 10},     {"ftp", 11},    {"ntp", 12},    {"security", 13}, {"console", 14},
      {"solaris-cron", 15}, {"local0", 16}, {"local1", 17}, {"local2", 18},   {"local3", 19},
      {"local4", 20},       {"local5", 21}, {"local6", 22}, {"local7", 23},
  }};
  for (const auto& [n, code] : names) {
    if (n == name) {
      return code;
    }
  }
  return std::nullopt;
}

bool is_valid_sd_name(std::string_view name) {
  if (name.empty() || name.size() > 32) {
    return false;
  }
  for (std::size_t i = 0; i < name.size(); ++i) {
    const unsigned char c = byte_at(name, i);
    if (!is_printable_ascii(c) || c == '=' || c == ']' || c == '"') {
      return false;
    }
  }
  return true;
}

std::string sd_param_name(std::string_view name) {
  std::string out(name.substr(0, 32));
  for (auto& c : out) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (!is_printable_ascii(u) || c == '=' || c == ']' || c == '"') {
      c = '_';
    }
  }
  return out.empty() ? "_" : out;
}

std::string cef_extension_key(std::string_view name) {
  std::string out = "qsan";
  bool upper = true;  // the first letter, and one after each character dropped
  for (const char c : name) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u >= 0x80 || std::isalnum(u) == 0) {
      upper = true;
      continue;
    }
    out += std::exchange(upper, false) ? static_cast<char>(std::toupper(u)) : c;
  }
  return out.size() == 4 ? std::string() : out;
}

namespace {

// Where the next byte that LF framing escapes is: LF (the frame's end), CR and NUL, and in
// MSG, whose text is otherwise written as it is, the backslash that would make "\n" in the
// text look like an escaped LF. A table, as next_sd_special.
template <bool in_msg>
std::size_t next_lf_special(std::string_view text) {
  static constexpr auto special = [] {
    std::array<bool, 256> table{};
    table['\n'] = table['\r'] = table['\0'] = true;
    table['\\'] = in_msg;
    return table;
  }();
  const auto at = std::find_if(text.begin(), text.end(),
                               [](char c) { return special[static_cast<unsigned char>(c)]; });
  return at == text.end() ? std::string_view::npos : static_cast<std::size_t>(at - text.begin());
}

char lf_escape(char c) {
  return c == '\n' ? 'n' : c == '\r' ? 'r' : c == '\0' ? '0' : c;
}

}  // namespace

std::string format_rfc5424(const event& e, const format_settings& s) {
  std::string out;
  append_rfc5424(out, e, s);
  return out;
}

namespace {

// format_rfc3164 appended to `out`; returns where MSG's text starts (out.size() when none).
std::size_t append_rfc3164(std::string& out, const event& e, const format_settings& s) {
  static constexpr std::array<std::string_view, 12> months{
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  // rfc3339_utc gives "YYYY-MM-DDThh:mm:ssZ"; BSD syslog wants "Mmm dd hh:mm:ss" with the day
  // padded by a space.
  const auto t = rfc3339_utc(e.timestamp);
  const auto month = static_cast<std::size_t>(std::stoi(t.substr(5, 2)) - 1);
  const std::string day = t[8] == '0' ? " " + t.substr(9, 1) : t.substr(8, 2);
  std::string tag;
  for (std::size_t i = 0; i < s.app_name.size() && tag.size() < max_tag; ++i) {
    const unsigned char c = byte_at(s.app_name, i);
    tag += (c < 0x80 && std::isalnum(c) != 0) ? s.app_name[i] : '_';
  }
  append_pri(out, e, s);
  out += std::string(months[month]) + " " + day + " " + t.substr(11, 8) + " " +
         header_field(hostname_of(e, s), max_hostname) + " " + (tag.empty() ? "-" : tag) + ":";
  if (e.message.empty()) {
    return out.size();
  }
  out += ' ';
  const auto start = out.size();
  append_valid_utf8(out, e.message);
  return start;
}

}  // namespace

std::string format_rfc3164(const event& e, const format_settings& s) {
  std::string out;
  append_rfc3164(out, e, s);
  return out;
}

std::string format_cef(const event& e, const format_settings& s) {
  std::string out;
  append_rfc5424_header(out, e, s);
  out += "- ";
  if (s.bom) {
    out += bom_bytes;
  }
  out += cef_record(e);
  return out;
}

int cef_severity(severity level) {
  static constexpr std::array<int, 8> scale{10, 9, 8, 7, 5, 3, 2, 0};
  return scale[static_cast<std::size_t>(level)];
}

std::string format_message(const event& e, const format_settings& s) {
  std::string out;
  append_message(out, e, s);
  return out;
}

std::size_t append_message(std::string& out, const event& e, const format_settings& s) {
  switch (s.format) {
    case message_format::rfc3164:
      return append_rfc3164(out, e, s);
    case message_format::cef:
      // The CEF record escapes its own backslashes and newlines: no free text in it.
      out += format_cef(e, s);
      return out.size();
    case message_format::rfc5424:
      break;
  }
  return append_rfc5424(out, e, s);
}

std::string valid_utf8(std::string_view s) {
  std::string out;
  append_valid_utf8(out, s);
  return out;
}

std::string_view truncate_utf8(std::string_view s, std::size_t max_bytes) {
  if (s.size() <= max_bytes) {
    return s;
  }
  std::size_t end = max_bytes;
  // Step back over continuation bytes (at most three) to the start of the sequence that
  // crosses the limit.
  for (int steps = 0; steps < 3 && end > 0 && (byte_at(s, end) & 0xC0) == 0x80; ++steps) {
    --end;
  }
  return s.substr(0, end);
}

void release_if_large(std::string& buffer) {
  // A batch of unusually large events should not pin its memory for the sink's life.
  constexpr std::size_t max_kept = 4 << 20;
  if (buffer.capacity() > max_kept) {
    std::string().swap(buffer);
  }
}

std::string frame_octet_counting(std::string_view message) {
  std::string out;
  append_octet_counted(out, message);
  return out;
}

void append_octet_counted(std::string& out, std::string_view message) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, message.size()).ptr;
  out.append(digits, end);
  out += ' ';
  out += message;
}

std::string frame_lf(std::string_view message, std::size_t msg_start) {
  std::string out;
  append_lf_framed(out, message, msg_start);
  return out;
}

void append_lf_framed(std::string& out, std::string_view message, std::size_t msg_start) {
  const auto split = std::min(msg_start, message.size());
  append_escaped(out, message.substr(0, split), next_lf_special<false>, lf_escape);
  append_escaped(out, message.substr(split), next_lf_special<true>, lf_escape);
  out += '\n';
}

void message_batch::clear() {
  release_if_large(text_);
  text_.clear();
  ends_.clear();
  msg_starts_.clear();
}

void message_batch::add(std::string_view json) {
  event_from_json(json, read_);
  append(read_);
}

void message_batch::add(const queued_event& q) {
  if (q.fields_known()) {
    append(q.fields());
  } else {
    add(q.body);
  }
}

std::optional<std::string> message_batch::add_all(std::span<const queued_event> batch) {
  for (const auto& q : batch) {
    try {
      add(q);
    } catch (const std::invalid_argument& e) {
      return "event " + std::to_string(q.seq) + ": " + e.what();
    }
  }
  return std::nullopt;
}

void message_batch::append(const event& e) {
  const auto begin = text_.size();
  msg_starts_.push_back(append_message(text_, e, settings_) - begin);
  ends_.push_back(text_.size());
}

std::string_view message_batch::operator[](std::size_t i) const {
  const auto begin = i == 0 ? 0 : ends_[i - 1];
  return std::string_view(text_).substr(begin, ends_[i] - begin);
}

void message_batch::frame_into(std::string& out, bool lf) const {
  for (std::size_t i = 0; i < size(); ++i) {
    if (lf) {
      append_lf_framed(out, (*this)[i], msg_starts_[i]);
    } else {
      append_octet_counted(out, (*this)[i]);
    }
  }
}

}  // namespace qsanfwd::sinks::syslog
