// libFuzzer target: the syslog formatter (RFC 5424, RFC 3164 and CEF) on an event and header
// settings built from the input, checking what the formats promise: the RFC 5424 header fields
// are printable US-ASCII within their length limits, structured data is well escaped, MSG is
// valid UTF-8, a CEF record is one line, and framing keeps its length and line promises.
#include "sinks/syslog/syslog_format.hpp"

#include <fuzzer/FuzzedDataProvider.h>

#include <array>
#include <cctype>

#include "tests/fuzz/fuzz_support.hpp"

namespace {

using namespace qsanfwd;
using namespace qsanfwd::sinks::syslog;
using fuzz::check;

constexpr std::string_view bom = "\xEF\xBB\xBF";

/// Reads a formatted message from the front, failing the run on anything unexpected.
class cursor {
 public:
  explicit cursor(std::string_view text) : all_(text), rest_(text) {}

  void expect(std::string_view s, std::string_view what) {
    check(rest_.starts_with(s), what, all_);
    rest_.remove_prefix(s.size());
  }
  bool take(std::string_view s) {
    if (!rest_.starts_with(s)) {
      return false;
    }
    rest_.remove_prefix(s.size());
    return true;
  }
  /// The text up to (not including) the next `stop`, which must come.
  std::string_view until(char stop, std::string_view what) {
    const auto at = rest_.find(stop);
    check(at != std::string_view::npos, what, all_);
    const auto field = rest_.substr(0, at);
    rest_.remove_prefix(at);
    return field;
  }
  char next(std::string_view what) {
    check(!rest_.empty(), what, all_);
    const char c = rest_.front();
    rest_.remove_prefix(1);
    return c;
  }
  std::string_view rest() const { return rest_; }
  std::string_view all() const { return all_; }

 private:
  std::string_view all_;
  std::string_view rest_;
};

bool all_printable_ascii(std::string_view s) {
  for (const char c : s) {
    const auto b = static_cast<unsigned char>(c);
    if (b < 33 || b > 126) {
      return false;
    }
  }
  return true;
}

bool digits(std::string_view s) {
  for (const char c : s) {
    if (c < '0' || c > '9') {
      return false;
    }
  }
  return !s.empty();
}

int number(std::string_view s) {
  int v = 0;
  for (const char c : s) {
    v = v * 10 + (c - '0');
  }
  return v;
}

void header_field(cursor& c, std::size_t max, std::string_view what) {
  const auto field = c.until(' ', what);
  check(!field.empty() && field.size() <= max && all_printable_ascii(field), what, c.all());
  c.expect(" ", what);
}

// FULL-DATE "T" PARTIAL-TIME "Z" of RFC 5424 (and RFC 3339), whole seconds.
void timestamp(cursor& c) {
  const auto t = c.until(' ', "no TIMESTAMP");
  const std::string_view bad = "TIMESTAMP is not YYYY-MM-DDThh:mm:ssZ";
  check(t.size() == 20 && t[4] == '-' && t[7] == '-' && t[10] == 'T' && t[13] == ':' &&
            t[16] == ':' && t[19] == 'Z',
        bad, c.all());
  check(digits(t.substr(0, 4)) && digits(t.substr(5, 2)) && digits(t.substr(8, 2)) &&
            digits(t.substr(11, 2)) && digits(t.substr(14, 2)) && digits(t.substr(17, 2)),
        bad, c.all());
  const int month = number(t.substr(5, 2));
  const int day = number(t.substr(8, 2));
  check(month >= 1 && month <= 12 && day >= 1 && day <= 31 && number(t.substr(11, 2)) < 24 &&
            number(t.substr(14, 2)) < 60 && number(t.substr(17, 2)) < 61,
        bad, c.all());
  c.expect(" ", "no space after TIMESTAMP");
}

void pri(cursor& c, const event& e, const format_settings& s) {
  c.expect("<", "no PRI");
  const auto value = c.until('>', "PRI not closed");
  check(digits(value) && value.size() <= 3 &&
            number(value) == s.facility * 8 + static_cast<int>(e.severity),
        "PRI is not facility * 8 + severity", c.all());
  c.expect(">", "PRI not closed");
}

void rfc5424_header(cursor& c, const event& e, const format_settings& s) {
  pri(c, e, s);
  c.expect("1 ", "no VERSION 1");
  timestamp(c);
  header_field(c, 255, "HOSTNAME is not 1..255 printable US-ASCII");
  header_field(c, 48, "APP-NAME is not 1..48 printable US-ASCII");
  c.expect("- ", "PROCID is not -");
  header_field(c, 32, "MSGID is not 1..32 printable US-ASCII");
}

// One SD-ELEMENT: `[` SD-ID *(SP PARAM-NAME `="` escaped value `"`) `]`.
void structured_data(cursor& c, const format_settings& s) {
  c.expect("[" + s.sd_id, "SD does not start with the SD-ID");
  while (!c.take("]")) {
    c.expect(" ", "no space before an SD-PARAM");
    const auto name = c.until('=', "SD-PARAM without =");
    check(is_valid_sd_name(name), "an invalid PARAM-NAME", c.all());
    c.expect("=\"", "PARAM-VALUE not quoted");
    for (char ch = c.next("PARAM-VALUE not closed"); ch != '"';
         ch = c.next("PARAM-VALUE not closed")) {
      check(ch != ']', "an unescaped ] in a PARAM-VALUE", c.all());
      if (ch == '\\') {
        const char escaped = c.next("a PARAM-VALUE ends in a backslash");
        check(escaped == '"' || escaped == '\\' || escaped == ']', "a stray backslash", c.all());
      }
    }
  }
}

void message(cursor& c, const event& e, const format_settings& s) {
  if (e.message.empty()) {
    check(c.rest().empty(), "text after SD for an empty message", c.all());
    return;
  }
  c.expect(" ", "no space before MSG");
  if (s.bom) {
    c.expect(bom, "no BOM before MSG");
  }
  check(!c.rest().empty(), "an empty MSG for a message", c.all());
}

void check_rfc5424(const event& e, const format_settings& s) {
  const auto text = format_rfc5424(e, s);
  check(fuzz::is_utf8(text), "RFC 5424 message is not UTF-8", text);
  cursor c(text);
  rfc5424_header(c, e, s);
  structured_data(c, s);
  message(c, e, s);
}

void check_rfc3164(const event& e, const format_settings& s) {
  static constexpr std::array<std::string_view, 12> months{
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const auto text = format_rfc3164(e, s);
  check(fuzz::is_utf8(text), "RFC 3164 message is not UTF-8", text);
  cursor c(text);
  pri(c, e, s);
  const auto month = c.until(' ', "no month");
  check(std::find(months.begin(), months.end(), month) != months.end(), "a bad month", text);
  c.expect(" ", "no space after the month");
  c.take(" ");  // a one-digit day is padded with a space
  const auto day = c.until(' ', "no day");
  check(digits(day) && number(day) >= 1 && number(day) <= 31, "a bad day", text);
  c.expect(" ", "no space after the day");
  const auto time = c.until(' ', "no time");
  check(time.size() == 8 && time[2] == ':' && time[5] == ':', "a bad time", text);
  c.expect(" ", "no space after the time");
  header_field(c, 255, "HOSTNAME is not 1..255 printable US-ASCII");
  const auto tag = c.until(':', "no TAG");
  check(tag == "-" || (!tag.empty() && tag.size() <= 32 &&
                       std::all_of(tag.begin(), tag.end(),
                                   [](char ch) { return ch == '_' || std::isalnum(ch) != 0; })),
        "TAG is not 1..32 alphanumerics", text);
  c.expect(":", "no colon after TAG");
  check(c.rest().empty() == e.message.empty(), "MSG missing or unexpected", text);
}

void check_cef(const event& e, const format_settings& s) {
  const auto text = format_cef(e, s);
  check(fuzz::is_utf8(text), "CEF message is not UTF-8", text);
  check(text.find_first_of("\r\n") == std::string::npos, "a CEF record spans lines", text);
  cursor c(text);
  rfc5424_header(c, e, s);
  c.expect("- ", "CEF's structured data is not -");
  if (s.bom) {
    c.expect(bom, "no BOM before the CEF record");
  }
  c.expect("CEF:0|QSAN|", "no CEF:0|QSAN| prefix");
  // Five more header fields (product, version, signature, name, severity) end in an unescaped |.
  std::string field;
  int ended = 0;
  while (ended < 5) {
    const char ch = c.next("a CEF header ends early");
    if (ch == '\\') {
      const char escaped = c.next("a CEF header field ends in a backslash");
      check(escaped == '\\' || escaped == '|', "a stray backslash in a CEF header", text);
      field += escaped;
    } else if (ch == '|') {
      ++ended;
      if (ended == 5) {
        check(digits(field) && number(field) <= 10, "CEF severity is not 0..10", text);
      }
      field.clear();
    } else {
      field += ch;
    }
  }
}

void check_helpers(std::string_view raw, std::size_t limit) {
  const auto valid = valid_utf8(raw);
  check(fuzz::is_utf8(valid), "valid_utf8 gave invalid UTF-8", valid);
  check(valid_utf8(valid) == valid, "valid_utf8 changed valid text", valid);
  const auto cut = truncate_utf8(valid, limit);
  check(cut.size() <= limit && valid.starts_with(cut) && fuzz::is_utf8(cut),
        "truncate_utf8 broke its promise", valid);
  check(cut.size() == valid.size() || cut.size() + 4 > limit, "truncate_utf8 cut too much", valid);
  const auto counted = frame_octet_counting(raw);
  check(counted == std::to_string(raw.size()) + " " + std::string(raw), "bad octet counting");
  const auto line = frame_lf(raw);
  check(line.find('\n') == line.size() - 1, "LF framing is not one line");
}

event event_of(FuzzedDataProvider& in) {
  event e;
  e.kind = static_cast<event_kind>(in.ConsumeIntegralInRange(0, 2));
  e.severity = static_cast<severity>(in.ConsumeIntegralInRange(0, 7));
  e.timestamp = in.ConsumeIntegral<std::int64_t>();
  for (auto* field : {&e.id, &e.device, &e.host, &e.type, &e.model, &e.serial, &e.component,
                      &e.component_id, &e.attribute, &e.previous, &e.current}) {
    *field = in.ConsumeRandomLengthString(300);
  }
  e.message = in.ConsumeRandomLengthString(4096);
  return e;
}

format_settings settings_of(FuzzedDataProvider& in) {
  format_settings s;
  s.format = static_cast<message_format>(in.ConsumeIntegralInRange(0, 2));
  s.facility = in.ConsumeIntegralInRange(0, 23);
  s.bom = in.ConsumeBool();
  s.hostname = in.ConsumeRandomLengthString(300);
  s.app_name = in.ConsumeRandomLengthString(64);
  // The syslog options parser refuses an invalid SD-ID, so the formatter never sees one.
  if (auto id = in.ConsumeRandomLengthString(40); is_valid_sd_name(id)) {
    s.sd_id = std::move(id);
  }
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  const auto s = settings_of(in);
  const auto e = event_of(in);
  check_rfc5424(e, s);
  check_rfc3164(e, s);
  check_cef(e, s);
  check(format_message(e, s) == (s.format == message_format::rfc3164 ? format_rfc3164(e, s)
                                 : s.format == message_format::cef   ? format_cef(e, s)
                                                                     : format_rfc5424(e, s)),
        "format_message does not pick the configured format");
  check_helpers(e.message, in.ConsumeIntegralInRange<std::size_t>(0, 600));
  return 0;
}
