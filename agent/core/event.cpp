#include "agent/core/event.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <iterator>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <utility>

#include "agent/core/ids.hpp"
#include "agent/core/json_subset.hpp"
#include "agent/core/plain_run.hpp"
#include "agent/core/time.hpp"
#include "agent/core/utf8.hpp"
#include "agent/core/write_at.hpp"

namespace qsanfwd {

std::string_view to_string(event_kind k) {
  switch (k) {
    case event_kind::log:
      return "log";
    case event_kind::health:
      return "health";
    case event_kind::agent:
      return "agent";
  }
  return "log";
}

std::optional<event_kind> parse_event_kind(std::string_view name) {
  for (auto k : {event_kind::log, event_kind::health, event_kind::agent}) {
    if (to_string(k) == name) {
      return k;
    }
  }
  return std::nullopt;
}

namespace {

// The most bytes one byte of text is written as: a control character as `\u00XX`.
constexpr std::size_t max_escaped_bytes = 6;

// A string's text, escaped, without its quotes, written at `p`, which has room for
// max_escaped_bytes a byte of it; returns the end of what was written. Into a buffer sized
// once, not by appends: an append's capacity check and call were most of writing an event's
// short fields (the canonical JSON of every event is written once, on the write thread).
char* write_json_text(char* p, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  for (std::size_t i = 0; i < s.size();) {
    // Most of a log line needs no escaping: copy such runs whole (a drain profile showed the
    // character-by-character append).
    const auto run_end = static_cast<std::size_t>(
        plain_run_end<del_byte::escaped>(s.data() + i, s.data() + s.size()) - s.data());
    if (run_end > i) {
      p = write_text(p, s.substr(i, run_end - i));
      i = run_end;
      continue;
    }
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      const auto len = utf8_length(s.substr(i));
      if (len == 0) {
        p = write_literal(p, "\xEF\xBF\xBD");
        ++i;
      } else {
        p = write_text(p, s.substr(i, len));
        i += len;
      }
      continue;
    }
    const auto two = [&p](char escaped) {
      *p++ = '\\';
      *p++ = escaped;
    };
    switch (c) {
      case '"':
        two('"');
        break;
      case '\\':
        two('\\');
        break;
      case '\n':
        two('n');
        break;
      case '\r':
        two('r');
        break;
      case '\t':
        two('t');
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          p = write_literal(p, "\\u00");
          *p++ = hex[c >> 4];
          *p++ = hex[c & 0xf];
        } else {
          *p++ = static_cast<char>(c);
        }
    }
    ++i;
  }
  return p;
}

// A string field: `opening` is what comes before its text (,"key":" for all but the first).
template <std::size_t N>
char* write_field(char* p, const char (&opening)[N], std::string_view value) {
  p = write_json_text(write_literal(p, opening), value);
  *p++ = '"';
  return p;
}

template <std::size_t N>
char* write_optional(char* p, const char (&opening)[N], std::string_view value) {
  return value.empty() ? p : write_field(p, opening, value);
}

std::size_t fields_size(const field_list& fields) {
  std::size_t n = 0;
  for (const auto& [name, value] : fields) {
    n += name.size() + value.size() + 6;
  }
  return n;
}

void append_fields(std::string& out, const field_list& fields) {
  if (fields.empty()) {
    return;
  }
  out += ",\"fields\":{";
  for (const auto& [name, value] : fields) {
    if (out.back() != '{') {
      out += ',';
    }
    append_json_string(out, name);
    out += ':';
    append_json_string(out, value);
  }
  out += '}';
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
  const auto start = out.size();
  out.resize(start + 2 + max_escaped_bytes * s.size());
  char* p = out.data() + start;
  *p++ = '"';
  p = write_json_text(p, s);
  *p++ = '"';
  out.resize(static_cast<std::size_t>(p - out.data()));
}

event make_agent_event(std::string device, std::string host, std::string type, severity level,
                       std::string message) {
  event e;
  e.kind = event_kind::agent;
  e.device = std::move(device);
  e.host = std::move(host);
  e.timestamp = unix_now();
  e.type = std::move(type);
  e.severity = level;
  e.message = std::move(message);
  e.id = stable_id({e.device, "agent", e.type, std::to_string(e.timestamp)});
  return e;
}

std::string to_json(const event& e) {
  std::string out;
  append_json(out, e);
  return out;
}

void append_json(std::string& out, const event& e) {
  // Room for the keys and the fixed-size fields (under 300 bytes) and every byte of text
  // escaped at its longest, made once; the string is cut to what was written. It grows
  // geometrically when many events go into one buffer.
  const auto start = out.size();
  const auto text = e.id.size() + e.device.size() + e.host.size() + e.type.size() +
                    e.message.size() + e.model.size() + e.serial.size() + e.component.size() +
                    e.component_id.size() + e.attribute.size() + e.previous.size() +
                    e.current.size() + e.flags.size();
  const auto room = start + 384 + max_escaped_bytes * text;
  if (room > out.capacity()) {
    out.reserve(std::max(room + fields_size(e.fields), 2 * out.capacity()));
  }
  out.resize(room);
  char* p = out.data() + start;
  p = write_field(p, "{\"id\":\"", e.id);
  p = write_field(p, ",\"kind\":\"", to_string(e.kind));
  p = write_field(p, ",\"device\":\"", e.device);
  p = write_optional(p, ",\"host\":\"", e.host);
  p = write_literal(p, ",\"timestamp\":");
  p = std::to_chars(p, p + 24, e.timestamp).ptr;
  // Digits, '-', 'T', ':' and 'Z' need no escaping.
  p = write_literal(p, ",\"time\":\"");
  p = write_rfc3339_utc(p, e.timestamp);
  *p++ = '"';
  p = write_optional(p, ",\"type\":\"", e.type);
  p = write_field(p, ",\"severity\":\"", to_string(e.severity));
  p = write_field(p, ",\"message\":\"", e.message);
  p = write_optional(p, ",\"model\":\"", e.model);
  p = write_optional(p, ",\"serial\":\"", e.serial);
  p = write_optional(p, ",\"component\":\"", e.component);
  p = write_optional(p, ",\"component_id\":\"", e.component_id);
  p = write_optional(p, ",\"attribute\":\"", e.attribute);
  p = write_optional(p, ",\"previous\":\"", e.previous);
  p = write_optional(p, ",\"current\":\"", e.current);
  p = write_optional(p, ",\"flags\":\"", e.flags);
  out.resize(static_cast<std::size_t>(p - out.data()));
  append_fields(out, e.fields);
  out += '}';
}

namespace {

/// Fills an event from the SAX events of its canonical JSON, in any key order, ignoring unknown
/// keys and their values. Anything the DOM reader would answer differently or reject (a
/// repeated field, a value of the wrong type, an unknown kind or severity, a missing field, a
/// timestamp beyond int64) stops it: the DOM reader then gives the answer and the error.
class event_reader {
 public:
  explicit event_reader(event& e) : e_(e) {}

  /// Whether a whole event was read.
  bool finish() const { return done_ && (seen_ & required) == required; }

  // The SAX interface of nlohmann::json (json::sax_parse), as subset_json_reader calls it.
  bool null() { return skipping(); }
  bool boolean(bool /*b*/) { return skipping(); }
  bool number_integer(std::int64_t v) { return skipping() || timestamp(v); }
  bool number_unsigned(std::uint64_t u) {
    return skipping() ||
           (u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) &&
            timestamp(static_cast<std::int64_t>(u)));
  }
  bool string(std::string& s) { return in_fields() ? field_value(s) : skipping() || text(s); }
  bool start_object(std::size_t /*elements*/) { return open(true); }
  bool start_array(std::size_t /*elements*/) { return depth_ > 0 && open(false); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }
  bool key(std::string& k) {
    if (in_fields()) {
      return field_name(std::move(k));
    }
    return depth_ > 1 || field(k);
  }
  /// key() for subset_json_reader, without a copy of the key.
  bool key_view(std::string_view k) {
    if (in_fields()) {
      return field_name(std::string(k));
    }
    return depth_ > 1 || field(k);
  }

 private:
  enum field_bit : unsigned {
    id = 1u << 0,
    kind = 1u << 1,
    device = 1u << 2,
    host = 1u << 3,
    timestamp_bit = 1u << 4,
    type = 1u << 5,
    severity = 1u << 6,
    message = 1u << 7,
    model = 1u << 8,
    serial = 1u << 9,
    component = 1u << 10,
    component_id = 1u << 11,
    attribute = 1u << 12,
    previous = 1u << 13,
    current = 1u << 14,
    flags = 1u << 15,
    fields = 1u << 16,
  };
  static constexpr unsigned required = id | kind | device | timestamp_bit | severity | message;

  /// A scalar inside an ignored value, or as an ignored field's value. Any but a string inside
  /// `fields` stops the reader.
  bool skipping() const { return !in_fields() && (depth_ > 1 || (depth_ == 1 && slot_ == 0)); }

  /// Directly inside the `fields` object.
  bool in_fields() const { return depth_ == 2 && slot_ == fields; }

  bool open(bool object) {
    const bool fields_object = object && depth_ == 1 && slot_ == fields;
    if (done_ || (depth_ == 1 && slot_ != 0 && !fields_object) || in_fields()) {
      // A second top-level value, a container where a field is due, or one inside `fields`.
      return false;
    }
    ++depth_;
    return true;
  }

  /// A repeated name stops the reader: the DOM reader decides.
  bool field_name(std::string k) {
    for (const auto& [name, value] : e_.fields) {
      if (name == k) {
        return false;
      }
    }
    e_.fields.emplace_back(std::move(k), std::string());
    value_due_ = true;
    return true;
  }

  bool field_value(std::string& v) {
    if (!std::exchange(value_due_, false)) {
      return false;
    }
    e_.fields.back().second = std::move(v);
    return true;
  }

  bool close() {
    if (--depth_ == 0) {
      done_ = true;
    }
    return true;
  }

  /// The field the next value fills, 0 for an ignored key; a repeated field stops the reader.
  bool field(std::string_view k) {
    slot_ = bit_of(k);
    if ((seen_ & slot_) != 0) {
      return false;
    }
    seen_ |= slot_;
    return true;
  }

  // By length, then by one comparison: a loop over all seventeen names compared ~800
  // instructions an event under callgrind.
  static unsigned bit_of(std::string_view k) {
    const auto is = [k](std::string_view name, unsigned bit) { return k == name ? bit : 0u; };
    switch (k.size()) {
      case 2:
        return is("id", id);
      case 4:
        return k[0] == 'k' ? is("kind", kind) : k[0] == 'h' ? is("host", host) : is("type", type);
      case 5:
        return k[0] == 'm' ? is("model", model) : is("flags", flags);
      case 6:
        return k[0] == 'd' ? is("device", device) : k[0] == 's' ? is("serial", serial)
                                                                 : is("fields", fields);
      case 7:
        return k[0] == 'm' ? is("message", message) : is("current", current);
      case 8:
        return k[0] == 's' ? is("severity", severity) : is("previous", previous);
      case 9:
        return k[0] == 't'   ? is("timestamp", timestamp_bit)
               : k[1] == 'o' ? is("component", component)
                             : is("attribute", attribute);
      case 12:
        return is("component_id", component_id);
      default:
        return 0;
    }
  }

  bool timestamp(std::int64_t v) {
    if (depth_ != 1 || slot_ != timestamp_bit) {
      return false;
    }
    e_.timestamp = v;
    return true;
  }

  bool text(std::string& s) {
    if (depth_ != 1) {
      return false;
    }
    switch (slot_) {
      case kind:
        return set_kind(s);
      case severity:
        return set_severity(s);
      case timestamp_bit:
        return false;
      default:
        break;
    }
    std::string* to = target();
    if (to == nullptr) {
      return false;
    }
    // A swap, not a move: the reader's token then keeps a buffer too, so reading into an event
    // that has held one before allocates nothing.
    to->swap(s);
    return true;
  }

  std::string* target() {
    switch (slot_) {
      case id:
        return &e_.id;
      case device:
        return &e_.device;
      case host:
        return &e_.host;
      case type:
        return &e_.type;
      case message:
        return &e_.message;
      case model:
        return &e_.model;
      case serial:
        return &e_.serial;
      case component:
        return &e_.component;
      case component_id:
        return &e_.component_id;
      case attribute:
        return &e_.attribute;
      case previous:
        return &e_.previous;
      case current:
        return &e_.current;
      case flags:
        return &e_.flags;
      default:
        return nullptr;
    }
  }

  bool set_kind(std::string_view s) {
    const auto k = parse_event_kind(s);
    if (k) {
      e_.kind = *k;
    }
    return k.has_value();
  }

  bool set_severity(std::string_view s) {
    const auto v = parse_severity(s);
    if (v) {
      e_.severity = *v;
    }
    return v.has_value();
  }

  event& e_;
  int depth_ = 0;
  unsigned slot_ = 0;  ///< the field_bit of the value due at depth 1, 0 for an ignored key
  unsigned seen_ = 0;  ///< field_bits read
  bool done_ = false;
  bool value_due_ = false;  ///< inside `fields`: a name was read, its value not yet
};

/// Reads the layout append_json writes, and only that: its keys in its order, no white space,
/// no `fields`. Where event_reader goes through a SAX event per token, a key looked up by name
/// and a string decoded into a token first, this compares each expected key in place and
/// decodes each string straight into its field: reading back was over half of a syslog sink's
/// instructions per event. False on anything else (the event is then half filled): the caller
/// reads the text again with event_reader.
class canonical_event_reader {
 public:
  canonical_event_reader(std::string_view json, event& e)
      : p_(json.data()), end_(json.data() + json.size()), e_(e) {}

  bool run() {
    return key("{\"id\":") && text(e_.id) && key(",\"kind\":") && read_kind() &&
           key(",\"device\":") && text(e_.device) && optional(",\"host\":", e_.host) &&
           key(",\"timestamp\":") && timestamp() && (!key(",\"time\":") || view().has_value()) &&
           optional(",\"type\":", e_.type) && key(",\"severity\":") && read_severity() &&
           key(",\"message\":") && text(e_.message) && optional(",\"model\":", e_.model) &&
           optional(",\"serial\":", e_.serial) && optional(",\"component\":", e_.component) &&
           optional(",\"component_id\":", e_.component_id) &&
           optional(",\"attribute\":", e_.attribute) &&
           optional(",\"previous\":", e_.previous) && optional(",\"current\":", e_.current) &&
           optional(",\"flags\":", e_.flags) && key("}") && p_ == end_;
  }

 private:
  /// Whether `k` (a literal, so its comparison is a few instructions) is next; it is then passed.
  template <std::size_t N>
  bool key(const char (&k)[N]) {
    constexpr auto n = N - 1;
    if (static_cast<std::size_t>(end_ - p_) < n || std::memcmp(p_, k, n) != 0) {
      return false;
    }
    p_ += n;
    return true;
  }

  template <std::size_t N>
  bool optional(const char (&k)[N], std::string& to) {
    return !key(k) || text(to);
  }

  /// A string value into `to`: a run of plain bytes copied at once, anything else decoded as
  /// subset_json_reader decodes it.
  bool text(std::string& to) {
    if (p_ == end_ || *p_ != '"') {
      return false;
    }
    const char* run = ++p_;
    p_ = plain_run_end<del_byte::plain>(p_, end_);
    // clear() and append(): assign() goes through _M_replace, ~40 instructions a field more.
    to.clear();
    to.append(run, static_cast<std::size_t>(p_ - run));
    if (p_ != end_ && *p_ == '"') {
      ++p_;
      return true;
    }
    return json_subset_detail::read_string_rest(p_, end_, to);
  }

  /// A string value of plain bytes only, where it lies.
  std::optional<std::string_view> view() {
    if (p_ == end_ || *p_ != '"') {
      return std::nullopt;
    }
    const char* run = ++p_;
    p_ = plain_run_end<del_byte::plain>(p_, end_);
    if (p_ == end_ || *p_ != '"') {
      return std::nullopt;
    }
    return std::string_view(run, static_cast<std::size_t>(p_++ - run));
  }

  bool read_kind() {
    const auto v = view();
    const auto k = v ? parse_event_kind(*v) : std::nullopt;
    e_.kind = k.value_or(event_kind::log);
    return k.has_value();
  }

  bool read_severity() {
    const auto v = view();
    const auto level = v ? parse_severity(*v) : std::nullopt;
    e_.severity = level.value_or(severity::info);
    return level.has_value();
  }

  /// An integer as subset_json_reader takes one for the timestamp: no leading zero, no fraction
  /// or exponent (the next byte must be a comma), within int64.
  bool timestamp() {
    const char* digits = p_ != end_ && *p_ == '-' ? p_ + 1 : p_;
    if (digits == end_ || *digits < '0' || *digits > '9' ||
        (*digits == '0' && digits + 1 != end_ && digits[1] >= '0' && digits[1] <= '9')) {
      return false;
    }
    const auto [stop, ec] = std::from_chars(p_, end_, e_.timestamp);
    p_ = stop;
    return ec == std::errc{} && p_ != end_ && *p_ == ',';
  }

  const char* p_;
  const char* end_;
  event& e_;
};

}  // namespace

void clear_keeping_buffers(event& e) {
  for (auto* s : {&e.id, &e.device, &e.host, &e.type, &e.message, &e.model, &e.serial, &e.component,
                  &e.component_id, &e.attribute, &e.previous, &e.current, &e.flags}) {
    s->clear();
  }
  e.fields.clear();
  e.kind = event_kind::log;
  e.timestamp = 0;
  e.severity = severity::info;
}

event event_from_json(std::string_view json) {
  event e;
  event_from_json(json, e);
  return e;
}

void event_from_json(std::string_view json, event& into) {
  // Every sink reads each queued event back; nlohmann's lexer and DOM were most of a syslog
  // sink's time. The canonical JSON is read without either; anything else goes to the DOM
  // reader, which is the reference for what is accepted and for every error.
  clear_keeping_buffers(into);
  if (canonical_event_reader(json, into).run()) {
    return;
  }
  clear_keeping_buffers(into);
  event_reader reader(into);
  if (subset_json_reader(json, reader).run() && reader.finish()) {
    return;
  }
  into = detail::event_from_json_dom(json);
}

namespace {

field_list fields_from_dom(const nlohmann::ordered_json& j) {
  field_list out;
  const auto it = j.find("fields");
  if (it == j.end()) {
    return out;
  }
  if (!it->is_object()) {
    throw std::invalid_argument("event field fields is not an object");
  }
  for (const auto& [name, value] : it->items()) {
    if (!value.is_string()) {
      throw std::invalid_argument("event field fields." + name + " is not a string");
    }
    out.emplace_back(name, value.get<std::string>());
  }
  return out;
}

}  // namespace

event detail::event_from_json_dom(std::string_view json) {
  // Ordered: `fields` keeps the order it was written in.
  const auto j = nlohmann::ordered_json::parse(json, nullptr, false);
  if (!j.is_object()) {
    throw std::invalid_argument("event is not a JSON object");
  }
  auto str = [&](const char* key, bool required) -> std::string {
    const auto it = j.find(key);
    if (it == j.end()) {
      if (required) {
        throw std::invalid_argument(std::string("event field ") + key + " is missing");
      }
      return {};
    }
    if (!it->is_string()) {
      throw std::invalid_argument(std::string("event field ") + key + " is not a string");
    }
    return it->get<std::string>();
  };
  event e;
  e.id = str("id", true);
  const auto kind = parse_event_kind(str("kind", true));
  if (!kind) {
    throw std::invalid_argument("event field kind has an unknown value");
  }
  e.kind = *kind;
  e.device = str("device", true);
  e.host = str("host", false);
  const auto ts = j.find("timestamp");
  if (ts == j.end() || !ts->is_number_integer()) {
    throw std::invalid_argument("event field timestamp is missing or not an integer");
  }
  e.timestamp = ts->get<std::int64_t>();
  e.type = str("type", false);
  const auto sev = parse_severity(str("severity", true));
  if (!sev) {
    throw std::invalid_argument("event field severity has an unknown value");
  }
  e.severity = *sev;
  e.message = str("message", true);
  e.model = str("model", false);
  e.serial = str("serial", false);
  e.component = str("component", false);
  e.component_id = str("component_id", false);
  e.attribute = str("attribute", false);
  e.previous = str("previous", false);
  e.current = str("current", false);
  e.flags = str("flags", false);
  e.fields = fields_from_dom(j);
  return e;
}

}  // namespace qsanfwd
