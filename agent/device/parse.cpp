#include "agent/device/parse.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>

#include "agent/core/json_dom_builder.hpp"
#include "agent/core/json_subset.hpp"
#include "agent/core/utf8.hpp"
#include "agent/device/rest_api.hpp"

namespace qsanfwd::device {
namespace {

using json = nlohmann::json;

/// Thrown inside this file only, turned into a failure at each parser's edge.
struct bad_field {
  std::string what;
};

// Limits on what one answer may hold. The manual's answers nest five levels at most and list a
// few hundred disks or a few thousand volumes; the limits sit far above that, and low enough that
// a hostile answer cannot run the stack (every walk over the DOM is recursive) or the heap dry.

/// Containers open at once.
constexpr int max_depth = 64;
/// Values kept of one answer (after unread members are dropped): ~100 bytes each at most.
constexpr std::size_t max_values = 100'000;
/// Elements of the list an answer is about (disks, pools, volumes, enclosures).
constexpr std::size_t max_items = 10'000;

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') {
    s.remove_prefix(1);
  }
  while (!s.empty() && s.back() == ' ') {
    s.remove_suffix(1);
  }
  return s;
}

const json* find(const json& obj, std::string_view key) {
  if (!obj.is_object()) {
    return nullptr;
  }
  if (auto it = obj.find(key); it != obj.end()) {
    return &*it;
  }
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (trim(it.key()) == key) {
      return &*it;
    }
  }
  return nullptr;
}

/// `s` as a quoted prefix of at most 64 bytes, control bytes, quotes and backslashes escaped: an
/// error message may quote what the array sent, never all of it.
std::string quoted_prefix(std::string_view s) {
  constexpr std::size_t limit = 64;
  std::string out = "\"";
  std::size_t i = 0;
  while (i < s.size() && i < limit) {
    const auto c = static_cast<unsigned char>(s[i]);
    const auto len = c < 0x80 ? 1 : utf8_length(s.substr(i));
    if (len == 0 || i + len > limit) {
      break;  // only whole characters: a cut sequence would be invalid UTF-8 in the log
    }
    if (c < 0x20 || c == 0x7f || c == '"' || c == '\\') {
      static constexpr char digits[] = "0123456789abcdef";
      out += c == '"' || c == '\\' ? std::string{'\\', static_cast<char>(c)}
                                    : std::string{'\\', 'x', digits[c >> 4], digits[c & 0xf]};
    } else {
      out.append(s, i, len);
    }
    i += len;
  }
  return out + (i < s.size() ? "\"..." : "\"");
}

/// A number as nlohmann writes it. dump() of a scalar is one bounded call, not a walk.
std::string number_text(const nlohmann::json& j) {
  return j.dump();
}

/// What an unexpected value is, for an error message: a scalar as (a bounded prefix of) its text,
/// a container by its type only.
std::string describe(const nlohmann::json& j) {
  if (j.is_string()) {
    return quoted_prefix(j.get_ref<const std::string&>());
  }
  if (j.is_number() || j.is_boolean() || j.is_null()) {
    return number_text(j);
  }
  return j.is_array() ? "an array" : "an object";
}

std::optional<std::int64_t> int_of_unsigned(std::uint64_t u) {
  // Above INT64_MAX it would wrap to a negative number: not an integer this agent can use.
  return u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())
             ? std::optional<std::int64_t>(static_cast<std::int64_t>(u))
             : std::nullopt;
}

std::optional<std::int64_t> int_of_double(double d) {
  // Converting a double outside the int64 range (or NaN) is undefined behaviour.
  constexpr double limit = 9223372036854775808.0;  // 2^63
  if (!(d >= -limit && d < limit)) {
    return std::nullopt;
  }
  return static_cast<std::int64_t>(d);
}

std::optional<std::int64_t> int_of_text(std::string_view text) {
  const auto s = trim(text);
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec == std::errc{} && p == s.data() + s.size() && !s.empty()) {
    return v;
  }
  return std::nullopt;
}

std::optional<std::int64_t> to_int(const json& j) {
  if (j.is_number_unsigned()) {
    return int_of_unsigned(j.get<std::uint64_t>());
  }
  if (j.is_number_integer()) {
    return j.get<std::int64_t>();
  }
  if (j.is_number_float()) {
    return int_of_double(j.get<double>());
  }
  if (j.is_string()) {
    return int_of_text(j.get_ref<const std::string&>());
  }
  return std::nullopt;
}

std::optional<double> to_double(const json& j) {
  if (j.is_number()) {
    return j.get<double>();
  }
  if (j.is_string()) {
    const auto s = trim(j.get_ref<const std::string&>());
    double v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc{} && p == s.data() + s.size() && !s.empty()) {
      return v;
    }
  }
  return std::nullopt;
}

/// `v` as an int, or nullopt when it does not fit (it would silently wrap: encId 2^32 is not 0).
std::optional<int> to_small_int(std::optional<std::int64_t> v) {
  if (!v || *v < std::numeric_limits<int>::min() || *v > std::numeric_limits<int>::max()) {
    return std::nullopt;
  }
  return static_cast<int>(*v);
}

std::string path_of(std::string_view parent, std::string_view key) {
  return std::string(parent) + (parent.empty() ? "" : ".") + std::string(key);
}

std::int64_t required_int(const json& obj, std::string_view key, std::string_view where) {
  const auto* f = find(obj, key);
  if (f == nullptr) {
    throw bad_field{"field " + path_of(where, key) + " is missing"};
  }
  const auto v = to_int(*f);
  if (!v) {
    throw bad_field{"field " + path_of(where, key) + " is not an integer: " + describe(*f)};
  }
  return *v;
}

std::optional<std::int64_t> optional_int(const json& obj, std::string_view key) {
  const auto* f = find(obj, key);
  return f == nullptr ? std::nullopt : to_int(*f);
}

std::optional<double> optional_double(const json& obj, std::string_view key) {
  const auto* f = find(obj, key);
  return f == nullptr ? std::nullopt : to_double(*f);
}

/// Strings and numbers both read as text ("id": 7 and "id": "7" are the same id); null and
/// containers as nothing.
std::string scalar_text(const json& j) {
  if (j.is_string()) {
    return j.get<std::string>();
  }
  if (j.is_number_integer()) {
    return std::to_string(j.get<std::int64_t>());
  }
  if (j.is_number_unsigned()) {
    return std::to_string(j.get<std::uint64_t>());
  }
  if (j.is_boolean() || j.is_number()) {
    return number_text(j);
  }
  return {};
}

std::string text(const json& obj, std::string_view key) {
  const auto* f = find(obj, key);
  return f == nullptr ? std::string() : scalar_text(*f);
}

std::string required_text(const json& obj, std::string_view key, std::string_view where) {
  const auto* f = find(obj, key);
  if (f == nullptr || !(f->is_string() || f->is_number())) {
    throw bad_field{"field " + path_of(where, key) +
                    (f == nullptr ? " is missing" : " is not a string")};
  }
  return text(obj, key);
}

bool flag(const json& obj, std::string_view key) {
  const auto* f = find(obj, key);
  if (f == nullptr) {
    return false;
  }
  if (f->is_boolean()) {
    return f->get<bool>();
  }
  if (f->is_string()) {
    return trim(f->get_ref<const std::string&>()) == "true";
  }
  return to_int(*f).value_or(0) != 0;
}

const json& required_array(const json& obj, std::string_view key, std::string_view where) {
  const auto* f = find(obj, key);
  if (f == nullptr || !f->is_array()) {
    throw bad_field{"field " + path_of(where, key) +
                    (f == nullptr ? " is missing" : " is not an array")};
  }
  return *f;
}

const json& optional_array(const json& obj, std::string_view key) {
  static const json empty = json::array();
  const auto* f = find(obj, key);
  return f != nullptr && f->is_array() ? *f : empty;
}

std::string item(std::string_view key, std::size_t i) {
  return std::string(key) + "[" + std::to_string(i) + "]";
}

/// What one answer's DOM keeps, and how much of it.
struct answer_shape {
  /// Every key its reader asks for, at any depth; members under other keys are dropped while
  /// they are parsed, so junk in a field nobody reads costs no memory.
  std::span<const std::string_view> keys;
  /// The key at the top whose array is the answer's list; empty for a list at the top.
  std::string_view list;
  std::size_t item_limit = max_items;
  /// The error when the list holds more than item_limit.
  std::string too_many_items;
};

/// The json_dom_builder filter for an answer_shape and max_depth / max_values: throws bad_field
/// past a limit; drops the members under keys no reader asks for as they are parsed.
class shape_filter {
 public:
  explicit shape_filter(const answer_shape& shape) : shape_(shape) {}

  void opening(int depth) const {
    if (depth >= max_depth) {
      throw bad_field{"the answer nests deeper than " + std::to_string(max_depth) + " levels"};
    }
  }

  bool keep_key(int depth, const std::string& key) {
    const auto k = trim(key);
    if (std::find(shape_.keys.begin(), shape_.keys.end(), k) == shape_.keys.end()) {
      return false;
    }
    if (depth == 1) {
      in_list_ = !shape_.list.empty() && k == shape_.list;
      items_ = 0;
    }
    return true;
  }

  json_keep keep(int depth, bool container, bool array) {
    if (++values_ > max_values) {
      throw bad_field{"the answer holds more than " + std::to_string(max_values) + " values"};
    }
    if (depth == 0) {
      in_list_ = shape_.list.empty() && array;
    } else {
      const int list_depth = shape_.list.empty() ? 1 : 2;
      if (depth == list_depth && in_list_ && ++items_ > shape_.item_limit) {
        throw bad_field{shape_.too_many_items};
      }
      if (++elements_[static_cast<std::size_t>(depth - 1)] > max_items) {
        throw bad_field{"an array or object in the answer holds more than " +
                        std::to_string(max_items) + " elements"};
      }
    }
    if (container) {
      elements_[static_cast<std::size_t>(depth)] = 0;
    }
    return json_keep::keep;
  }

 private:
  const answer_shape& shape_;
  bool in_list_ = false;
  std::size_t values_ = 0;
  std::size_t items_ = 0;
  std::array<std::size_t, max_depth> elements_{};  ///< of each open container, by depth
};

std::string too_many_items(std::string_view list) {
  return "field " + std::string(list.empty() ? "[]" : list) + " holds more than " +
         std::to_string(max_items) + " items";
}

/// Parses `body` as JSON within `shape` and hands it to `read`; every problem becomes a failure
/// naming `endpoint`.
template <typename T, typename F>
result<T> parse_with(std::string_view endpoint, std::string_view body, const answer_shape& shape,
                     F read) {
  try {
    shape_filter filter(shape);
    json_dom_builder builder(filter);
    if (!json::sax_parse(body, &builder)) {
      return failure{std::string(endpoint) + ": the answer is not valid JSON (" +
                     std::to_string(body.size()) + " bytes)"};
    }
    const auto doc = builder.take();
    return read(doc);
  } catch (const bad_field& e) {
    return failure{std::string(endpoint) + ": " + e.what};
  } catch (const json::exception& e) {
    return failure{std::string(endpoint) + ": unexpected JSON: " + e.what()};
  }
}

std::vector<sensor> sensors(const json& more, std::string_view key) {
  std::vector<sensor> out;
  for (const auto& s : optional_array(more, key)) {
    auto value = optional_double(s, "value");
    out.push_back(sensor{text(s, "name"), value, text(s, "status")});
  }
  return out;
}

std::optional<int> no_data_is_zero(const json& obj, std::string_view key) {
  const auto v = to_small_int(optional_int(obj, key));
  if (!v || *v == 0) {
    return std::nullopt;
  }
  return v;
}

/// Reads a `/rest/v1/log/list` page straight from the parser's events, without a DOM, for the
/// shape arrays send: an object whose `logs` is an array of objects with scalar fields, each
/// key spelled exactly and given once. Anything else (invalid JSON, a key with stray spaces, a
/// repeated key, a value of the wrong type, a missing field) stops it; the caller then reads
/// the page through the DOM, whose answer and error message are the reference.
class log_page_reader {
 public:
  log_page_reader(log_page& page, std::size_t page_size) : page_(page), page_size_(page_size) {}

  /// Whether the reader stopped because `logs` held more lines than the page size.
  bool too_many_lines() const { return too_many_lines_; }

  /// Whether the whole page was read; the page is then complete.
  bool finish() {
    if (!seen_logs_ || depth_ != 0 || skip_ != 0) {
      return false;
    }
    page_.total = total_.value_or(static_cast<std::int64_t>(page_.logs.size()));
    page_.total_given = total_.has_value();
    page_.have_next_page = next_page_;
    return true;
  }

  // The SAX interface of nlohmann::json (json::sax_parse).
  bool null() { return skip_ > 0 || null_value(); }
  bool boolean(bool b) { return skip_ > 0 || bool_value(b); }
  bool number_integer(std::int64_t v) { return skip_ > 0 || int_value(v); }
  bool number_unsigned(std::uint64_t u) { return skip_ > 0 || unsigned_value(u); }
  bool number_float(double d, const std::string& /*text*/) { return skip_ > 0 || double_value(d); }
  bool string(std::string& s) { return skip_ > 0 || string_value(s); }
  bool binary(json::binary_t& /*bytes*/) { return false; }
  bool start_object(std::size_t /*elements*/) { return open(false); }
  bool start_array(std::size_t /*elements*/) { return open(true); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }
  bool key(std::string& k) { return key_view(k); }
  /// key() for subset_json_reader, without a copy of the key.
  bool key_view(std::string_view k) {
    return skip_ > 0 || (depth_ == 1 ? page_key(k) : entry_key(k));
  }
  bool parse_error(std::size_t /*position*/, const std::string& /*token*/,
                   const nlohmann::detail::exception& /*error*/) {
    return false;
  }

 private:
  /// What the next value is: a page field, a field of a log line, or one that is ignored.
  enum class slot { other, logs, total, next_page, timestamp, type, message };

  // Depths: 1 inside the page, 2 inside `logs`, 3 inside one log line.
  bool open(bool array) {
    if (depth_ + skip_ >= max_depth) {
      return false;  // the DOM reader names the fault
    }
    if (skip_ > 0) {
      ++skip_;
      return true;
    }
    switch (depth_) {
      case 0:
        depth_ = 1;
        return !array;
      case 1:
        if (slot_ == slot::logs) {
          depth_ = 2;
          return array;
        }
        // An ignored field. A total or haveNextPage that is a container is left to the DOM
        // reader: it takes one as absent, unless it holds more than the DOM may keep.
        skip_ = 1;
        return slot_ == slot::other;
      case 2:
        if (page_.logs.size() >= page_size_) {
          too_many_lines_ = true;  // stop here: a hostile page may hold a million lines
          return false;
        }
        depth_ = 3;
        line_ = log_entry{};
        seen_ = 0;
        return !array;
      default:
        skip_ = 1;
        return slot_ == slot::other;
    }
  }

  bool close() {
    if (skip_ > 0) {
      --skip_;
      return true;
    }
    if (depth_ == 3) {
      if (seen_ != 7) {
        return false;
      }
      page_.logs.push_back(std::move(line_));
    }
    --depth_;
    return true;
  }

  // Names compared as string_views: std::string's compare with a C string measures the literal
  // and calls compare() for each of a line's three keys (~400 instructions a line).
  bool page_key(std::string_view k) {
    slot_ = k == "logs"           ? slot::logs
            : k == "total"        ? slot::total
            : k == "haveNextPage" ? slot::next_page
                                  : slot::other;
    if (slot_ == slot::other) {
      const auto t = trim(k);
      return t != "logs" && t != "total" && t != "haveNextPage";
    }
    bool& seen = slot_ == slot::logs ? seen_logs_ : slot_ == slot::total ? seen_total_ : seen_next_;
    return !std::exchange(seen, true);
  }

  bool entry_key(std::string_view k) {
    unsigned bit = 0;
    if (k == "timestamp") {
      slot_ = slot::timestamp, bit = 1;
    } else if (k == "type") {
      slot_ = slot::type, bit = 2;
    } else if (k == "message") {
      slot_ = slot::message, bit = 4;
    } else {
      slot_ = slot::other;
      const auto t = trim(k);
      return t != "timestamp" && t != "type" && t != "message";
    }
    if ((seen_ & bit) != 0) {
      return false;
    }
    seen_ |= bit;
    return true;
  }

  /// A scalar where a container is due (the page itself, or a log line) stops the reader.
  bool scalar_allowed() const { return depth_ == 1 || depth_ == 3; }

  bool null_value() {
    if (!scalar_allowed()) {
      return false;
    }
    if (slot_ == slot::total) {
      total_ = std::nullopt;
    }
    return slot_ == slot::other || slot_ == slot::total || slot_ == slot::next_page;
  }

  bool bool_value(bool b) {
    if (!scalar_allowed()) {
      return false;
    }
    if (slot_ == slot::next_page) {
      next_page_ = b;
    } else if (slot_ == slot::total) {
      total_ = std::nullopt;
    }
    return slot_ == slot::other || slot_ == slot::total || slot_ == slot::next_page;
  }

  bool int_value(std::optional<std::int64_t> v, const auto& as_text) {
    if (!scalar_allowed()) {
      return false;
    }
    switch (slot_) {
      case slot::other:
        return true;
      case slot::logs:
        return false;
      case slot::total:
        total_ = v;
        return true;
      case slot::next_page:
        next_page_ = v.value_or(0) != 0;
        return true;
      case slot::timestamp:
        line_.timestamp = v.value_or(0);
        return v.has_value();
      case slot::type:
        line_.type = as_text();
        return true;
      case slot::message:
        line_.message = as_text();
        return true;
    }
    return false;
  }

  bool int_value(std::int64_t v) {
    return int_value(v, [v] { return std::to_string(v); });
  }
  bool unsigned_value(std::uint64_t u) {
    // As text it reads as the DOM reader's text() makes it, through int64 (2^64-1 is "-1").
    return int_value(int_of_unsigned(u),
                     [u] { return std::to_string(static_cast<std::int64_t>(u)); });
  }
  bool double_value(double d) {
    // As text, a float reads as the DOM writes it.
    return int_value(int_of_double(d), [d] { return number_text(json(d)); });
  }

  /// Moves type and message out of `s`: both readers allow it, and a message may be megabytes.
  bool string_value(std::string& s) {
    if (!scalar_allowed()) {
      return false;
    }
    switch (slot_) {
      case slot::other:
        return true;
      case slot::logs:
        return false;
      case slot::total:
        total_ = int_of_text(s);
        return true;
      case slot::next_page:
        next_page_ = trim(s) == "true";
        return true;
      case slot::timestamp: {
        const auto v = int_of_text(s);
        line_.timestamp = v.value_or(0);
        return v.has_value();
      }
      case slot::type:
        line_.type = std::move(s);
        return true;
      case slot::message:
        line_.message = std::move(s);
        return true;
    }
    return false;
  }

  log_page& page_;
  std::size_t page_size_;
  bool too_many_lines_ = false;
  int depth_ = 0;
  int skip_ = 0;  ///< containers open inside an ignored value
  slot slot_ = slot::other;
  bool seen_logs_ = false;
  bool seen_total_ = false;
  bool seen_next_ = false;
  std::optional<std::int64_t> total_;
  bool next_page_ = false;
  log_entry line_;
  unsigned seen_ = 0;  ///< fields of line_ read: 1 timestamp, 2 type, 4 message
};

std::string too_many_lines(std::size_t page_size) {
  return "field logs holds more than " + std::to_string(page_size) +
         " lines, the pageSize asked for";
}

/// Whether `token` can go into an Authorization header as it is: visible ASCII only, so no CR,
/// LF or NUL can end the header or smuggle another.
bool header_safe(std::string_view token) {
  return std::all_of(token.begin(), token.end(), [](char c) { return c > ' ' && c < 0x7f; });
}

/// The error for a token that is not header_safe; the token itself is a secret, never shown.
std::string unsafe_token(std::string_view field) {
  return "field " + std::string(field) +
         " holds a control, space or non-ASCII byte, which no HTTP header may carry (not shown)";
}

constexpr std::string_view token_keys[] = {"accessToken", "expireTime", "refreshToken"};
constexpr std::string_view log_keys[] = {"logs",      "total", "haveNextPage",
                                         "timestamp", "type",  "message"};
constexpr std::string_view enclosure_number_keys[] = {"enclosureNumbers"};
constexpr std::string_view enclosure_keys[] = {
    "encId",       "info",      "sysHealth",   "modelName", "serialNumber", "moreInfo", "voltage",
    "temperature", "fanSpeed",  "psuStatus",   "cacheToFlash", "name",      "value",    "status"};
constexpr std::string_view disk_keys[] = {
    "disks",  "id",   "encID", "slot",          "health",      "status", "serial",  "model",
    "vendor", "type", "isSSD", "ssdLifeRemain", "temperature", "size",   "poolName"};
constexpr std::string_view pool_keys[] = {"pools",    "name",     "id",       "health",
                                          "status",   "totalSize", "usedSize", "raidsets",
                                          "raidSets", "raidLevel", "disks"};
constexpr std::string_view volume_keys[] = {"volumes", "id", "name", "health", "status", "poolID"};
constexpr std::string_view iscsi_session_keys[] = {
    "iscsi",         "ctrlID",   "sessions",   "id",       "TSIH",
    "initiatorName", "targetID", "targetName", "clientIP", "clientName"};
constexpr std::string_view replication_keys[] = {
    "tasks", "id", "source", "status", "destination", "no", "IP", "targetName", "Lun", "name"};
constexpr std::string_view snapshot_task_keys[] = {"tasks", "id", "usedSize", "totalSize"};

answer_shape shape_of(std::span<const std::string_view> keys, std::string_view list) {
  return answer_shape{keys, list, max_items, too_many_items(list)};
}

enclosure enclosure_of(const json& obj, const std::string& where) {
  enclosure e;
  const auto id = to_small_int(required_int(obj, "encId", where));
  if (!id) {
    throw bad_field{"field " + where + ".encId is out of range"};
  }
  e.enc_id = *id;
  const auto* info = find(obj, "info");
  if (info == nullptr || !info->is_object()) {
    throw bad_field{"field " + where + ".info is missing or not an object"};
  }
  e.sys_health = text(*info, "sysHealth");
  e.model_name = text(*info, "modelName");
  e.serial_number = text(*info, "serialNumber");
  if (const auto* more = find(*info, "moreInfo"); more != nullptr) {
    e.voltage = sensors(*more, "voltage");
    e.temperature = sensors(*more, "temperature");
    e.fan_speed = sensors(*more, "fanSpeed");
    e.psu_status = sensors(*more, "psuStatus");
    e.cache_to_flash = sensors(*more, "cacheToFlash");
  }
  return e;
}

/// The elements of a field that is a list of objects or one object (the manual's tables call
/// lists "object" and show arrays): a list as it is, an object as a list of one, anything else
/// as none.
std::vector<const json*> one_or_many(const json& obj, std::string_view key) {
  std::vector<const json*> out;
  const auto* f = find(obj, key);
  if (f != nullptr && f->is_array()) {
    for (const auto& x : *f) {
      out.push_back(&x);
    }
  } else if (f != nullptr && f->is_object()) {
    out.push_back(f);
  }
  return out;
}

const json& object_at(const json& j, const std::string& where) {
  if (!j.is_object()) {
    throw bad_field{"field " + where + " is not an object"};
  }
  return j;
}

void add_sessions(const json& ctrl, const std::string& where, int position,
                  std::vector<iscsi_session>& out) {
  const auto id = to_small_int(optional_int(ctrl, "ctrlID").value_or(position));
  if (!id) {
    throw bad_field{"field " + where + ".ctrlID is out of range"};
  }
  const auto& sessions = required_array(ctrl, "sessions", where);
  for (std::size_t i = 0; i < sessions.size(); ++i) {
    const auto at = where + "." + item("sessions", i);
    const auto& s = object_at(sessions[i], at);
    iscsi_session x;
    x.ctrl_id = *id;
    x.initiator_name = required_text(s, "initiatorName", at);
    if (x.initiator_name.empty()) {
      throw bad_field{"field " + at + ".initiatorName is empty"};
    }
    x.id = text(s, "id");
    x.tsih = text(s, "TSIH");
    x.target_id = text(s, "targetID");
    x.target_name = text(s, "targetName");
    x.client_ip = text(s, "clientIP");
    x.client_name = text(s, "clientName");
    out.push_back(std::move(x));
  }
}

replication_task replication_of(const json& t, const std::string& where) {
  replication_task x;
  x.id = required_text(t, "id", where);
  if (x.id.empty()) {
    throw bad_field{"field " + where + ".id is empty"};
  }
  x.source = text(t, "source");
  x.status = text(t, "status");
  const auto lines = one_or_many(t, "destination");
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const auto& d = object_at(*lines[i], where + "." + item("destination", i));
    auto no = text(d, "no");
    auto target = text(d, "targetName");
    x.destinations.push_back(replication_destination{
        no.empty() ? std::to_string(i) : no, text(d, "IP"),
        target.empty() ? text(d, "name") : target, text(d, "Lun"), text(d, "status")});
  }
  return x;
}

/// A raidset's member disk as text: its id, whether given as a string, a number or an object
/// that has one.
std::string member_text(const json& d) {
  return d.is_object() ? text(d, "id") : scalar_text(d);
}

}  // namespace

result<token_grant> parse_token_grant(std::string_view endpoint, std::string_view body) {
  return parse_with<token_grant>(endpoint, body, shape_of(token_keys, {}), [](const json& doc) {
    token_grant g;
    g.access_token = required_text(doc, "accessToken", "");
    if (g.access_token.empty()) {
      throw bad_field{"field accessToken is empty"};
    }
    g.expire_time = optional_int(doc, "expireTime").value_or(0);
    if (auto r = text(doc, "refreshToken"); !r.empty()) {
      g.refresh_token = std::move(r);
    }
    if (!header_safe(g.access_token)) {
      throw bad_field{unsafe_token("accessToken")};
    }
    if (g.refresh_token && !header_safe(*g.refresh_token)) {
      throw bad_field{unsafe_token("refreshToken")};
    }
    return g;
  });
}

result<log_page> parse_log_page(std::string_view body, std::size_t page_size) {
  // Most of the DOM reader's time went into nlohmann's lexer and into building the DOM (a map
  // per log line); pages in the usual shape are read without either.
  {
    log_page page;
    log_page_reader reader(page, page_size);
    if (subset_json_reader(body, reader).run() && reader.finish()) {
      return page;
    }
    if (reader.too_many_lines()) {
      return failure{std::string(rest::log_list) + ": " + too_many_lines(page_size)};
    }
  }
  // Floats, surrogate pairs, a byte-order mark, or something wrong with the page.
  {
    log_page page;
    log_page_reader reader(page, page_size);
    if (json::sax_parse(body, &reader) && reader.finish()) {
      return page;
    }
    if (reader.too_many_lines()) {
      return failure{std::string(rest::log_list) + ": " + too_many_lines(page_size)};
    }
  }
  return detail::parse_log_page_dom(body, page_size);
}

result<log_page> detail::parse_log_page_dom(std::string_view body, std::size_t page_size) {
  const answer_shape shape{log_keys, "logs", page_size, too_many_lines(page_size)};
  return parse_with<log_page>(rest::log_list, body, shape, [](const json& doc) {
    log_page page;
    const auto& logs = required_array(doc, "logs", "");
    page.logs.reserve(logs.size());
    for (std::size_t i = 0; i < logs.size(); ++i) {
      const auto where = item("logs", i);
      if (!logs[i].is_object()) {
        throw bad_field{"field " + where + " is not an object"};
      }
      page.logs.push_back(log_entry{required_int(logs[i], "timestamp", where),
                                    required_text(logs[i], "type", where),
                                    required_text(logs[i], "message", where)});
    }
    const auto total = optional_int(doc, "total");
    page.total = total.value_or(static_cast<std::int64_t>(page.logs.size()));
    page.total_given = total.has_value();
    page.have_next_page = flag(doc, "haveNextPage");
    return page;
  });
}

result<std::vector<int>> parse_enclosure_numbers(std::string_view body) {
  return parse_with<std::vector<int>>(
      rest::hardware_info, body, shape_of(enclosure_number_keys, "enclosureNumbers"),
      [](const json& doc) {
    std::vector<int> out;
    const auto& numbers = required_array(doc, "enclosureNumbers", "");
    for (std::size_t i = 0; i < numbers.size(); ++i) {
      const auto v = to_small_int(to_int(numbers[i]));
      if (!v) {
        throw bad_field{"field " + item("enclosureNumbers", i) + " is not an integer"};
      }
      out.push_back(*v);
    }
    return out;
  });
}

result<std::vector<enclosure>> parse_enclosures(std::string_view body) {
  return parse_with<std::vector<enclosure>>(
      rest::all_enclosures_info, body, shape_of(enclosure_keys, {}), [](const json& doc) {
        std::vector<enclosure> out;
        if (doc.is_array()) {
          for (std::size_t i = 0; i < doc.size(); ++i) {
            out.push_back(enclosure_of(doc[i], "[" + std::to_string(i) + "]"));
          }
        } else {
          // The manual shows a bare list; tolerate a single object too (the per-enclosure
          // endpoint).
          out.push_back(enclosure_of(doc, "[0]"));
        }
        return out;
      });
}

result<std::vector<disk>> parse_disks(std::string_view body) {
  const auto shape = shape_of(disk_keys, "disks");
  return parse_with<std::vector<disk>>(rest::disk_list, body, shape, [](const json& doc) {
    std::vector<disk> out;
    const auto& disks = required_array(doc, "disks", "");
    for (std::size_t i = 0; i < disks.size(); ++i) {
      const auto& d = disks[i];
      disk x;
      x.id = required_text(d, "id", item("disks", i));
      x.enc_id = text(d, "encID");
      x.slot = to_small_int(optional_int(d, "slot")).value_or(0);
      x.health = text(d, "health");
      x.status = text(d, "status");
      x.serial = text(d, "serial");
      x.model = text(d, "model");
      x.vendor = text(d, "vendor");
      x.type = text(d, "type");
      x.is_ssd = flag(d, "isSSD");
      x.ssd_life_remain = no_data_is_zero(d, "ssdLifeRemain");
      x.temperature = no_data_is_zero(d, "temperature");
      x.size_mb = optional_int(d, "size").value_or(0);
      x.pool_name = text(d, "poolName");
      out.push_back(std::move(x));
    }
    return out;
  });
}

result<std::vector<pool>> parse_pools(std::string_view body) {
  const auto shape = shape_of(pool_keys, "pools");
  return parse_with<std::vector<pool>>(rest::pool_list, body, shape, [](const json& doc) {
    std::vector<pool> out;
    const auto& pools = required_array(doc, "pools", "");
    for (std::size_t i = 0; i < pools.size(); ++i) {
      const auto& p = pools[i];
      pool x;
      x.name = required_text(p, "name", item("pools", i));
      x.id = text(p, "id");
      x.health = text(p, "health");
      x.status = text(p, "status");
      x.total_mb = optional_int(p, "totalSize").value_or(0);
      x.used_mb = optional_int(p, "usedSize").value_or(0);
      // The example spells it "raidsets", the table "raidSets".
      const auto& sets = find(p, "raidsets") != nullptr ? optional_array(p, "raidsets")
                                                        : optional_array(p, "raidSets");
      for (const auto& r : sets) {
        raidset s{text(r, "id"), text(r, "raidLevel"), text(r, "health"), text(r, "status"), {}};
        for (const auto& d : optional_array(r, "disks")) {
          s.disks.push_back(member_text(d));
        }
        x.raidsets.push_back(std::move(s));
      }
      out.push_back(std::move(x));
    }
    return out;
  });
}

result<std::vector<volume>> parse_volumes(std::string_view body) {
  const auto shape = shape_of(volume_keys, "volumes");
  return parse_with<std::vector<volume>>(rest::volume_list, body, shape, [](const json& doc) {
    std::vector<volume> out;
    const auto& volumes = required_array(doc, "volumes", "");
    for (std::size_t i = 0; i < volumes.size(); ++i) {
      const auto& v = volumes[i];
      out.push_back(volume{text(v, "id"), required_text(v, "name", item("volumes", i)),
                           text(v, "health"), text(v, "status"), text(v, "poolID")});
    }
    return out;
  });
}

result<std::vector<iscsi_session>> parse_iscsi_sessions(std::string_view body) {
  const auto shape = shape_of(iscsi_session_keys, "iscsi");
  return parse_with<std::vector<iscsi_session>>(
      rest::iscsi_session_list, body, shape, [](const json& doc) {
        std::vector<iscsi_session> out;
        const auto* list = find(doc, "iscsi");
        if (list != nullptr && list->is_object()) {
          add_sessions(*list, "iscsi", 0, out);
          return out;
        }
        const auto& ctrls = required_array(doc, "iscsi", "");
        for (std::size_t i = 0; i < ctrls.size(); ++i) {
          const auto where = item("iscsi", i);
          add_sessions(object_at(ctrls[i], where), where, static_cast<int>(i), out);
        }
        return out;
      });
}

result<std::vector<replication_task>> parse_replication_tasks(std::string_view body) {
  const auto shape = shape_of(replication_keys, "tasks");
  return parse_with<std::vector<replication_task>>(
      rest::replication_task_list, body, shape, [](const json& doc) {
        std::vector<replication_task> out;
        const auto& tasks = required_array(doc, "tasks", "");
        for (std::size_t i = 0; i < tasks.size(); ++i) {
          const auto where = item("tasks", i);
          out.push_back(replication_of(object_at(tasks[i], where), where));
        }
        return out;
      });
}

result<std::vector<snapshot_task>> parse_snapshot_tasks(std::string_view body) {
  const auto shape = shape_of(snapshot_task_keys, "tasks");
  return parse_with<std::vector<snapshot_task>>(
      rest::snapshot_task_list, body, shape, [](const json& doc) {
        std::vector<snapshot_task> out;
        const auto& tasks = required_array(doc, "tasks", "");
        for (std::size_t i = 0; i < tasks.size(); ++i) {
          const auto where = item("tasks", i);
          const auto& t = object_at(tasks[i], where);
          snapshot_task x;
          x.id = required_text(t, "id", where);
          if (x.id.empty()) {
            throw bad_field{"field " + where + ".id is empty"};
          }
          x.used_mb = optional_int(t, "usedSize").value_or(0);
          x.total_mb = optional_int(t, "totalSize").value_or(0);
          out.push_back(std::move(x));
        }
        return out;
      });
}

}  // namespace qsanfwd::device
