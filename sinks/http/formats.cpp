#include "sinks/http/formats.hpp"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <utility>

#include "agent/core/event.hpp"
#include "agent/core/http_status.hpp"
#include "agent/core/json_dom_builder.hpp"
#include "agent/core/time.hpp"

namespace qsanfwd::sinks {
namespace {

using json = nlohmann::json;

// Appends `"key":"value"` (with a leading comma unless `first`).
void add_string(std::string& out, std::string_view key, std::string_view value,
                bool first = false) {
  if (!first) {
    out += ',';
  }
  append_json_string(out, key);
  out += ':';
  append_json_string(out, value);
}

// The space-separated words of `words` as JSON strings separated by commas.
void append_words(std::string& out, std::string_view words) {
  bool first = true;
  while (!words.empty()) {
    const auto end = std::min(words.find(' '), words.size());
    if (end > 0) {
      if (!std::exchange(first, false)) {
        out += ',';
      }
      append_json_string(out, words.substr(0, end));
    }
    words.remove_prefix(std::min(end + 1, words.size()));
  }
}

std::string_view host_of(const event& e) {
  return e.host.empty() ? e.device : e.host;
}

std::string nanoseconds(std::int64_t unix_seconds) {
  return std::to_string(unix_seconds) + "000000000";
}

void ndjson(std::string& out, std::span<const queued_event> events) {
  for (const auto& e : events) {
    out += e.body;
    out += '\n';
  }
}

void json_array(std::string& out, std::span<const queued_event> events) {
  out += '[';
  for (const auto& e : events) {
    out += e.body;
    out += ',';
  }
  out.back() = ']';
}

// A Splunk index name of a rendered template: lowercase letters, digits, `_` and `-` (any other
// byte becomes `_`), not starting with `_` or `-` (those are stripped), so that one event's
// field cannot make HEC refuse the whole request.
void sanitize_splunk_index(std::string& name) {
  for (auto& c : name) {
    const auto u = static_cast<unsigned char>(c);
    c = u < 0x80 && std::isalnum(u) != 0 ? static_cast<char>(std::tolower(u)) : c == '-' ? c : '_';
  }
  name.erase(0, std::min(name.find_first_not_of("_-"), name.size()));
}

// A template's value for each event of a batch: a constant one is rendered once, so that a sink
// without fields in its templates pays per event what it paid for a fixed string. A rendered
// value is `sanitize`d when given (a constant one was checked with the configuration).
class rendered {
 public:
  explicit rendered(const event_template& t, void (*sanitize)(std::string&) = nullptr)
      : template_(t), sanitize_(sanitize) {
    if (t.constant()) {
      t.render(event{}, value_);
    }
  }

  std::string_view operator()(const event& e) {
    if (!template_.constant()) {
      value_.clear();
      template_.render(e, value_);
      if (sanitize_ != nullptr) {
        sanitize_(value_);
      }
    }
    return value_;
  }

 private:
  const event_template& template_;
  void (*sanitize_)(std::string&);
  std::string value_;
};

// `"key":"value"` unless the value is empty.
void add_unless_empty(std::string& out, std::string_view key, std::string_view value) {
  if (!value.empty()) {
    add_string(out, key, value);
  }
}

// The names of the flat fields splunk_hec writes itself: a static field of one of these names
// is left out rather than repeated.
bool is_splunk_field(std::string_view name) {
  for (const std::string_view own :
       {"device", "kind", "severity", "type", "model", "serial", "flags"}) {
    if (name == own) {
      return true;
    }
  }
  return false;
}

void splunk_hec(std::string& out, std::span<const queued_event> events, const format_settings& s) {
  rendered source(s.source);
  rendered sourcetype(s.sourcetype);
  rendered index(s.index, sanitize_splunk_index);
  for (const auto& q : events) {
    const auto& e = q.fields();
    out += "{\"time\":" + std::to_string(e.timestamp);
    add_string(out, "host", host_of(e));
    add_unless_empty(out, "source", source(e));
    add_unless_empty(out, "sourcetype", sourcetype(e));
    add_unless_empty(out, "index", index(e));
    out += ",\"event\":";
    out += q.body;
    out += ",\"fields\":{";
    add_string(out, "device", e.device, true);
    add_string(out, "kind", to_string(e.kind));
    add_string(out, "severity", to_string(e.severity));
    for (const auto& [key, value] : {std::pair{"type", &e.type},
                                     {"model", &e.model},
                                     {"serial", &e.serial},
                                     {"flags", &e.flags}}) {
      if (!value->empty()) {
        add_string(out, key, *value);
      }
    }
    for (const auto& [name, value] : e.fields) {
      if (!is_splunk_field(name)) {
        add_string(out, name, value);
      }
    }
    out += "}}";
  }
}

// ECS event.kind: health changes are what a monitoring system alerts on.
std::string_view ecs_kind(event_kind k) {
  return k == event_kind::health ? "alert" : "event";
}

// An Elasticsearch index name of a rendered template: ASCII letters lowercased; `\/*?"<>| ,#:`
// and control bytes become `_`; leading `-`, `_` and `+` stripped; cut to 255 bytes; and
// `qsan` for what is left empty, `.` or `..`. One event's field then cannot make the bulk
// request fail (it could still name an index the user may not write: that item is refused).
void sanitize_index_name(std::string& name) {
  for (auto& c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f ||
        std::string_view("\\/*?\"<>| ,#:").find(c) != std::string_view::npos) {
      c = '_';
    } else if (u < 0x80) {
      c = static_cast<char>(std::tolower(u));
    }
  }
  name.erase(0, std::min(name.find_first_not_of("-_+"), name.size()));
  if (name.size() > 255) {
    name.resize(255);
  }
  if (name.empty() || name == "." || name == "..") {
    name = "qsan";
  }
}

// Whether two names are one ECS label: equal once each dot is read as `_`.
bool same_label(std::string_view a, std::string_view b) {
  const auto undotted = [](char c) { return c == '.' ? '_' : c; };
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [&](char x, char y) {
           return undotted(x) == undotted(y);
         });
}

// ECS `labels`: one keyword per static field. A dot in a name would make Elasticsearch nest an
// object under labels, which ECS forbids: it becomes `_`. A name that comes out as one written
// before it is left out, so the object has no repeated key.
void append_ecs_labels(std::string& out, const field_list& fields, std::string& scratch) {
  out += ",\"labels\":{";
  for (auto it = fields.begin(); it != fields.end(); ++it) {
    const auto& name = it->first;
    if (std::any_of(fields.begin(), it, [&](const auto& f) { return same_label(f.first, name); })) {
      continue;
    }
    scratch = name;
    std::replace(scratch.begin(), scratch.end(), '.', '_');
    add_string(out, scratch, it->second, it == fields.begin());
  }
  out += '}';
}

void elasticsearch(std::string& out, std::span<const queued_event> events,
                   const format_settings& s) {
  rendered index(s.index, sanitize_index_name);
  std::string scratch;
  for (const auto& q : events) {
    const auto& e = q.fields();
    out += "{\"create\":{";
    add_string(out, "_index", index(e), true);
    add_string(out, "_id", e.id);
    out += "}}\n{";
    add_string(out, "@timestamp", rfc3339_utc(e.timestamp), true);
    add_string(out, "message", e.message);
    out += ",\"event\":{";
    add_string(out, "id", e.id, true);
    add_string(out, "kind", ecs_kind(e.kind));
    out += ",\"severity\":" + std::to_string(static_cast<int>(e.severity));
    out += "},\"log\":{";
    add_string(out, "level", to_string(e.severity), true);
    out += "},\"host\":{";
    add_string(out, "name", host_of(e), true);
    out += "},\"observer\":{";
    add_string(out, "vendor", "QSAN", true);
    add_string(out, "name", e.device);
    if (!e.model.empty()) {
      add_string(out, "product", e.model);
    }
    if (!e.serial.empty()) {
      add_string(out, "serial_number", e.serial);
    }
    out += '}';
    if (!e.flags.empty()) {
      // ECS tags: a keyword list, one for each word of the flags.
      out += ",\"tags\":[";
      append_words(out, e.flags);
      out += ']';
    }
    if (!e.fields.empty()) {
      append_ecs_labels(out, e.fields, scratch);
    }
    out += ",\"qsan\":";
    out += q.body;
    out += "}\n";
  }
}

// A label value within Loki's default limit (max_label_value_length, 2048 bytes), cut where no
// UTF-8 sequence is: a longer value (an array's log type of any length, say) would make Loki
// refuse the whole push.
void cut_label_value(std::string& value) {
  constexpr std::size_t max = 2048;
  if (value.size() > max) {
    auto end = max;
    while (end > 0 && (static_cast<unsigned char>(value[end]) & 0xC0) == 0x80) {
      --end;
    }
    value.resize(end);
  }
}

void loki(std::string& out, std::span<const queued_event> events, const format_settings& s) {
  // Streams by their rendered label values, in order of first appearance, each keeping queue
  // order.
  struct stream {
    std::vector<std::string> values;  ///< one per label of s.labels
    std::vector<const queued_event*> members;
  };
  std::vector<stream> streams;
  std::vector<std::string> values(s.labels.size());
  for (const auto& q : events) {
    const auto& e = q.fields();
    for (std::size_t i = 0; i < values.size(); ++i) {
      values[i].clear();
      s.labels[i].second.render(e, values[i]);
      cut_label_value(values[i]);
    }
    auto it = std::find_if(streams.begin(), streams.end(),
                           [&](const stream& st) { return st.values == values; });
    if (it == streams.end()) {
      streams.push_back({values, {}});
      it = std::prev(streams.end());
    }
    it->members.push_back(&q);
  }
  out += "{\"streams\":[";
  for (const auto& st : streams) {
    out += "{\"stream\":{";
    const auto start = out.size();
    for (std::size_t i = 0; i < st.values.size(); ++i) {
      // Loki reads an empty value as no label at all.
      if (!st.values[i].empty()) {
        add_string(out, s.labels[i].first, st.values[i], out.size() == start);
      }
    }
    out += "},\"values\":[";
    for (const auto* q : st.members) {
      out += "[\"" + nanoseconds(q->fields().timestamp) + "\",";
      append_json_string(out, q->body);
      out += "],";
    }
    out.back() = ']';
    out += "},";
  }
  out.back() = ']';
  out += '}';
}

void otlp_attribute(std::string& out, std::string_view key, std::string_view value,
                    bool first = false) {
  out += first ? "{" : ",{";
  add_string(out, "key", key, true);
  out += ",\"value\":{";
  add_string(out, "stringValue", value, true);
  out += "}}";
}

void otlp_record(std::string& out, const event& e) {
  const auto time = nanoseconds(e.timestamp);
  out += "{\"timeUnixNano\":\"" + time + "\"";
  out += ",\"severityNumber\":" + std::to_string(otlp_severity_number(e.severity));
  add_string(out, "severityText", to_string(e.severity));
  out += ",\"body\":{";
  add_string(out, "stringValue", e.message, true);
  out += "},\"attributes\":[";
  otlp_attribute(out, "log.record.uid", e.id, true);
  otlp_attribute(out, "qsan.kind", to_string(e.kind));
  // OTLP JSON writes 64-bit integers as strings.
  out += R"(,{"key":"qsan.timestamp","value":{"intValue":")" + std::to_string(e.timestamp) + "\"}}";
  for (const auto& [key, value] : {std::pair{"qsan.type", &e.type},
                                   {"qsan.component", &e.component},
                                   {"qsan.component_id", &e.component_id},
                                   {"qsan.attribute", &e.attribute},
                                   {"qsan.previous", &e.previous},
                                   {"qsan.current", &e.current},
                                   {"qsan.flags", &e.flags}}) {
    if (!value->empty()) {
      otlp_attribute(out, key, *value);
    }
  }
  out += "]}";
}

// The resource attributes otlp writes itself: a static field of one of these names is left
// out rather than repeated (OTLP wants the keys of a resource unique).
bool is_otlp_resource_key(std::string_view name) {
  for (const std::string_view own :
       {"service.name", "qsan.device", "host.name", "device.manufacturer",
        "device.model.identifier", "device.id"}) {
    if (name == own) {
      return true;
    }
  }
  return false;
}

void otlp(std::string& out, std::span<const queued_event> events) {
  // One resource per device as the events describe it (static fields included: they say where
  // the device stands), in order of first appearance.
  struct resource {
    const event* first;  ///< the event whose device fields the resource shows
    std::vector<const event*> records;
  };
  const auto same_resource = [](const event& a, const event& b) {
    return a.device == b.device && host_of(a) == host_of(b) && a.model == b.model &&
           a.serial == b.serial && a.fields == b.fields;
  };
  std::vector<resource> resources;
  for (const auto& q : events) {
    const auto& e = q.fields();
    auto it = std::find_if(resources.begin(), resources.end(),
                           [&](const resource& r) { return same_resource(*r.first, e); });
    if (it == resources.end()) {
      resources.push_back({&e, {}});
      it = std::prev(resources.end());
    }
    it->records.push_back(&e);
  }
  out += "{\"resourceLogs\":[";
  for (const auto& [device, records] : resources) {
    out += "{\"resource\":{\"attributes\":[";
    otlp_attribute(out, "service.name", "qsan", true);
    otlp_attribute(out, "qsan.device", device->device);
    otlp_attribute(out, "host.name", host_of(*device));
    otlp_attribute(out, "device.manufacturer", "QSAN");
    if (!device->model.empty()) {
      otlp_attribute(out, "device.model.identifier", device->model);
    }
    if (!device->serial.empty()) {
      otlp_attribute(out, "device.id", device->serial);
    }
    for (const auto& [name, value] : device->fields) {
      if (!is_otlp_resource_key(name)) {
        otlp_attribute(out, name, value);
      }
    }
    out += "]},\"scopeLogs\":[{\"scope\":{\"name\":\"qsanfwd\"},\"logRecords\":[";
    for (const auto* e : records) {
      otlp_record(out, *e);
      out += ',';
    }
    out.back() = ']';
    out += "}]},";
  }
  out.back() = ']';
  out += '}';
}

void split_into(std::span<const queued_event> events, const format_settings& s,
                std::size_t max_bytes, std::vector<request_piece>& out) {
  auto body = encode_batch(events, s);
  if (body.size() <= max_bytes) {
    out.push_back({events, std::move(body), false});
    return;
  }
  if (events.size() == 1) {
    out.push_back({events, {}, true});
    return;
  }
  const auto half = events.size() / 2;
  split_into(events.first(half), s, max_bytes, out);
  split_into(events.subspan(half), s, max_bytes, out);
}

/// A string field of the answer as a reason quotes it: a bounded prefix, and for any other JSON
/// type only the name of the type, since the answer is the receiver's (or a proxy's) and may be
/// anything.
std::string answer_text(const nlohmann::json& object, std::string_view key) {
  constexpr std::size_t limit = 200;
  const auto it = object.find(key);
  if (it == object.end()) {
    return {};
  }
  if (!it->is_string()) {
    return std::string("(") + std::string(key) + " is a JSON " + it->type_name() + ")";
  }
  const auto& text = it->get_ref<const std::string&>();
  return text.size() <= limit ? text : text.substr(0, limit) + "...";
}

std::string item_reason(const nlohmann::json& item, int status) {
  std::string reason = "HTTP " + std::to_string(status);
  const auto error = item.find("error");
  if (error != item.end() && error->is_object()) {
    const auto type = answer_text(*error, "type");
    const auto text = answer_text(*error, "reason");
    reason += type.empty() ? "" : " " + type;
    reason += text.empty() ? "" : ": " + text;
  }
  return reason;
}

/// The json_dom_builder filter for a bulk answer: keeps what starts at most `kept_depth`
/// containers deep (deeper values, such as an error's caused_by chain, are dropped as they are
/// parsed), and stops past `max_values` values.
class bulk_answer_filter {
 public:
  bulk_answer_filter(int kept_depth, std::size_t max_values)
      : kept_depth_(kept_depth), max_values_(max_values) {}

  bool too_many_values() const { return values_ > max_values_; }

  void opening(int) const {}
  bool keep_key(int, const std::string&) const { return true; }
  json_keep keep(int depth, bool, bool) {
    if (depth > kept_depth_) {
      return json_keep::drop;
    }
    return ++values_ > max_values_ ? json_keep::stop : json_keep::keep;
  }

 private:
  int kept_depth_;
  std::size_t max_values_;
  std::size_t values_ = 0;
};

/// One item of the answer, `{"<action>": {"status": N, "error": {...}}}`; an item of any other
/// shape is rejected, so the event reaches the dead-letter file rather than being retried for
/// as long as the receiver answers so.
bulk_item read_bulk_item(const nlohmann::json& wrapped) {
  if (!wrapped.is_object() || wrapped.size() != 1 || !wrapped.begin()->is_object()) {
    return {outcome::rejected, "unreadable bulk answer item (not an object with one action)"};
  }
  const auto& item = *wrapped.begin();
  const auto status = item.find("status");
  if (status == item.end() || !status->is_number_integer() || *status < 100 || *status > 599) {
    return {outcome::rejected, "unreadable bulk answer item (no HTTP status)"};
  }
  const int code = status->get<int>();
  if (code == 409) {
    return {};
  }
  switch (classify_status(code)) {
    case status_class::success:
      return {};
    case status_class::retry:
      return {outcome::retry, item_reason(item, code)};
    default:
      return {outcome::rejected, item_reason(item, code)};
  }
}

}  // namespace

std::string_view content_type(http_format f) {
  return f == http_format::ndjson || f == http_format::elasticsearch ? "application/x-ndjson"
                                                                     : "application/json";
}

std::string encode_batch(std::span<const queued_event> events, const format_settings& s) {
  std::string out;
  if (events.empty()) {
    return out;
  }
  std::size_t bytes = 0;
  for (const auto& e : events) {
    bytes += e.body.size();
  }
  out.reserve(bytes + events.size() * 256);
  switch (s.format) {
    case http_format::ndjson:
      ndjson(out, events);
      break;
    case http_format::json_array:
      json_array(out, events);
      break;
    case http_format::splunk_hec:
      splunk_hec(out, events, s);
      break;
    case http_format::elasticsearch:
      elasticsearch(out, events, s);
      break;
    case http_format::loki:
      loki(out, events, s);
      break;
    case http_format::otlp:
      otlp(out, events);
      break;
  }
  return out;
}

std::vector<request_piece> split_batch(std::span<const queued_event> events,
                                       const format_settings& s, std::size_t max_bytes) {
  std::vector<request_piece> out;
  if (!events.empty()) {
    split_into(events, s, max_bytes, out);
  }
  return out;
}

std::string gzip(std::string_view data) {
  z_stream z{};
  // windowBits 15 + 16: a gzip header and trailer instead of zlib's.
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::runtime_error("zlib: deflateInit2 failed");
  }
  std::string out(deflateBound(&z, static_cast<uLong>(data.size())) + 32, '\0');
  // zlib's API is not const-correct: it never writes through next_in.
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  const auto written = z.total_out;
  deflateEnd(&z);
  if (rc != Z_STREAM_END) {
    throw std::runtime_error("zlib: deflate did not finish");
  }
  out.resize(written);
  return out;
}

int otlp_severity_number(severity level) {
  // OpenTelemetry Logs Data Model, "Appendix B: SeverityNumber example mappings", Syslog column:
  // Debug DEBUG(5), Informational INFO(9), Notice INFO2(10), Warning WARN(13), Error ERROR(17),
  // Critical ERROR2(18), Alert ERROR3(19), Emergency FATAL(21).
  switch (level) {
    case severity::debug:
      return 5;
    case severity::info:
      return 9;
    case severity::notice:
      return 10;
    case severity::warning:
      return 13;
    case severity::error:
      return 17;
    case severity::critical:
      return 18;
    case severity::alert:
      return 19;
    case severity::emergency:
      return 21;
  }
  return 0;
}

result<std::vector<bulk_item>> read_bulk_response(std::string_view body, std::size_t events) {
  // Only the first levels are read; deeper values (an error's caused_by chain, or junk) are
  // dropped as they are parsed so no nesting of the answer costs memory or recursion. An item
  // keeps a handful of values ({create: {status, error: {type, reason}}}): the bound leaves room
  // for a few dozen an item, and stops an answer of millions of items early.
  constexpr int kept_depth = 5;  // {items: [{create: {error: {type}}}]} and its values
  const std::size_t max_values = 64 + 32 * events;
  bulk_answer_filter filter(kept_depth, max_values);
  json_dom_builder builder(filter);
  const bool parsed = json::sax_parse(body, &builder);
  if (filter.too_many_values()) {
    return failure{"the bulk answer holds more than " + std::to_string(max_values) +
                   " values for " + std::to_string(events) + " events"};
  }
  const auto answer = parsed ? builder.take() : json();
  if (!answer.is_object()) {
    return failure{"the bulk answer is not a JSON object"};
  }
  const auto errors = answer.find("errors");
  if (errors != answer.end() && errors->is_boolean() && !errors->get<bool>()) {
    return std::vector<bulk_item>(events);
  }
  const auto items = answer.find("items");
  if (items == answer.end() || !items->is_array() || items->size() != events) {
    return failure{"the bulk answer does not hold one item per event (" + std::to_string(events) +
                   " sent)"};
  }
  std::vector<bulk_item> out;
  out.reserve(events);
  for (const auto& wrapped : *items) {
    out.push_back(read_bulk_item(wrapped));
  }
  return out;
}

}  // namespace qsanfwd::sinks
