#include "config/object_reader.hpp"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <deque>
#include <iterator>
#include <limits>
#include <sstream>
#include <utility>

#include "config/json_pointer.hpp"
#include "config/read_file.hpp"

namespace qsanfwd::config {

namespace fs = std::filesystem;
using nlohmann::json;
using nlohmann::ordered_json;

struct object_reader::shared_state {
  json document;
  env_lookup env;
  fs::path base_dir;
  text_value_test is_text;
  secret_reading secrets = secret_reading::read;
  std::deque<json> typed_texts;  ///< untyped text read as a type; a deque keeps them in place
  ordered_json effective;
  std::vector<std::pair<std::string, secret>> secrets_read;  ///< by the JSON pointer of the key
};

namespace {

constexpr std::string_view comment_key = "_comment";

/// A value as an error message quotes it, cut short so a huge value keeps the message readable.
std::string describe(const json& value) {
  constexpr std::size_t limit = 80;
  std::string text = value.dump();
  if (text.size() > limit) {
    text.resize(limit);
    text += "...";
  }
  return text;
}

std::string format_number(double value) {
  char buffer[32];
  auto [end, ec] = std::to_chars(std::begin(buffer), std::end(buffer), value);
  return ec == std::errc{} ? std::string(buffer, end) : std::to_string(value);
}

/// Integral doubles print as integers in the effective config ("70", not "70.0").
ordered_json number_json(double value) {
  constexpr double limit = 9e15;  // well inside the range where doubles hold integers exactly
  if (value == static_cast<double>(static_cast<std::int64_t>(value)) && value < limit &&
      value > -limit) {
    return static_cast<std::int64_t>(value);
  }
  return value;
}

/// The name of a control byte as an error message gives it.
std::string control_name(unsigned char c) {
  switch (c) {
    case '\0':
      return "NUL";
    case '\t':
      return "TAB";
    case '\n':
      return "LF";
    case '\r':
      return "CR";
    case 0x1b:
      return "ESC";
    case 0x7f:
      return "DEL";
    default:
      break;
  }
  constexpr std::string_view hex = "0123456789abcdef";
  return std::string("0x") + hex[c >> 4] + hex[c & 0xf];
}

/// Refuses a value holding a C0 control byte or DEL. Values go into HTTP headers, syslog header
/// fields, URLs and file names, where a CR or LF would start a header or a line of the
/// attacker's choosing; no option needs one. The message names the byte and where it is, never
/// the value: it may be a secret.
void refuse_control_bytes(std::string_view text, const std::string& at) {
  const auto bad = std::find_if(text.begin(), text.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
  if (bad != text.end()) {
    throw config_error(at, "holds a control byte (" +
                               control_name(static_cast<unsigned char>(*bad)) + ") at offset " +
                               std::to_string(bad - text.begin()));
  }
}

bool valid_variable_name(std::string_view name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) {
    return false;
  }
  for (char c : name) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && c != '_') {
      return false;
    }
  }
  return true;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    out += out.empty() ? "" : ", ";
    out += item;
  }
  return out;
}

bool is_string(const json& v) {
  return v.is_string();
}
bool is_boolean(const json& v) {
  return v.is_boolean();
}
bool is_integer(const json& v) {
  return v.is_number_integer();
}
bool is_number(const json& v) {
  return v.is_number();
}
bool is_number_or_boolean(const json& v) {
  return v.is_number() || v.is_boolean();
}
bool is_array(const json& v) {
  return v.is_array();
}
bool is_object(const json& v) {
  return v.is_object();
}

}  // namespace

env_lookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    return value == nullptr ? std::nullopt : std::optional<std::string>(value);
  };
}

object_reader object_reader::open(json document, env_lookup env, fs::path base_dir,
                                  text_value_test is_text, secret_reading secrets) {
  if (!document.is_object()) {
    throw config_error("", "expected an object, got " + describe(document));
  }
  auto state = std::make_shared<shared_state>();
  state->document = std::move(document);
  state->env = std::move(env);
  state->base_dir = std::move(base_dir);
  state->is_text = std::move(is_text);
  state->secrets = secrets;
  state->effective = ordered_json::object();
  const json* root = &state->document;
  return object_reader(std::move(state), root, "");
}

object_reader::object_reader(std::shared_ptr<shared_state> state, const json* object,
                             std::string path)
    : state_(std::move(state)), object_(object), path_(std::move(path)) {}

std::string object_reader::path_of(std::string_view key) const {
  return path_ + "/" + pointer_token(key);
}

config_error object_reader::error(std::string_view key, std::string reason) const {
  return config_error(path_of(key), std::move(reason));
}

bool object_reader::has(std::string_view key) {
  if (std::find(known_.begin(), known_.end(), key) == known_.end()) {
    known_.emplace_back(key);
  }
  return object_->contains(std::string(key));
}

const json* object_reader::take(std::string_view key) {
  has(key);
  consumed_.emplace(key);
  auto it = object_->find(std::string(key));
  return it == object_->end() ? nullptr : &*it;
}

const json* object_reader::take_typed(std::string_view key, bool ok(const json&),
                                      std::string_view expected, bool is_secret) {
  const json* value = take(key);
  if (value != nullptr && !ok(*value)) {
    if (const json* typed = typed_text(key, *value, ok)) {
      return typed;
    }
    // A secret of the wrong type may still be the secret (a numeric password): never quote it.
    throw error(key, "expected " + std::string(expected) +
                         (is_secret ? std::string() : ", got " + describe(*value)));
  }
  return value;
}

const json* object_reader::typed_text(std::string_view key, const json& value,
                                      bool ok(const json&)) {
  if (!value.is_string() || !state_->is_text || !state_->is_text(path_of(key))) {
    return nullptr;
  }
  const auto& text = value.get_ref<const std::string&>();
  json typed = json::parse(text, nullptr, false);
  if (typed.is_discarded() || !ok(typed)) {
    typed = json::array();
    std::istringstream words(text);
    for (std::string word; words >> word;) {
      typed.push_back(word);
    }
  }
  if (!ok(typed)) {
    return nullptr;
  }
  return &state_->typed_texts.emplace_back(std::move(typed));
}

std::string object_reader::expand(std::string_view text, const std::string& at) const {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool reference = text[i] == '$' && i + 1 < text.size();
    if (reference && text[i + 1] == '$') {
      out += '$';
      ++i;
      continue;
    }
    if (!reference || text[i + 1] != '{') {
      out += text[i];
      continue;
    }
    // Messages quote neither the value nor the text inside ${...}: the value may be a secret.
    const auto close = text.find('}', i + 2);
    if (close == std::string_view::npos) {
      throw config_error(at, "unterminated \"${\" (write $$ for a literal $)");
    }
    const std::string_view inner = text.substr(i + 2, close - i - 2);
    const auto separator = inner.find(":-");
    const std::string name(inner.substr(0, separator));
    if (!valid_variable_name(name)) {
      throw config_error(at, "invalid variable name in \"${...}\" (write $$ for a literal $)");
    }
    const auto value = state_->env(name);
    if (separator != std::string_view::npos && (!value || value->empty())) {
      out += inner.substr(separator + 2);
    } else if (value) {
      out += *value;
    } else {
      throw config_error(at, "environment variable " + name + " is not set");
    }
    i = close;
  }
  refuse_control_bytes(out, at);
  return out;
}

std::string object_reader::string(std::string_view key) {
  auto value = optional_string(key);
  if (!value) {
    throw error(key, "required key is missing");
  }
  return *value;
}

std::string object_reader::string(std::string_view key, std::string_view fallback) {
  auto value = optional_string(key);
  if (!value) {
    record(key, std::string(fallback));
    return std::string(fallback);
  }
  return *value;
}

std::optional<std::string> object_reader::optional_string(std::string_view key) {
  const json* value = take_typed(key, is_string, "a string");
  if (value == nullptr) {
    return std::nullopt;
  }
  std::string text = expand(value->get_ref<const std::string&>(), path_of(key));
  record(key, text);
  return text;
}

secret object_reader::secret_value(std::string_view key) {
  auto value = optional_secret(key);
  if (!value) {
    throw error(key, "required key is missing");
  }
  return *std::move(value);
}

std::optional<secret> object_reader::optional_secret(std::string_view key) {
  const json* value = take_typed(key, is_string, "a string", true);
  if (value == nullptr) {
    return std::nullopt;
  }
  record(key, secret::mask);
  if (state_->secrets == secret_reading::skipped) {
    return secret(std::string());
  }
  return remember(key, secret(expand(value->get_ref<const std::string&>(), path_of(key))));
}

secret object_reader::remember(std::string_view key, secret value) {
  state_->secrets_read.emplace_back(path_of(key), value);
  return value;
}

std::vector<secret> object_reader::secrets_within() const {
  // An object is read to its end before the next one: its secrets are the last ones read. From
  // the end, so 10,000 devices do not scan each other's.
  const auto prefix = path_ + "/";
  const auto& read = state_->secrets_read;
  auto first = read.end();
  while (first != read.begin() && std::prev(first)->first.starts_with(prefix)) {
    --first;
  }
  std::vector<secret> out;
  for (auto it = first; it != read.end(); ++it) {
    out.push_back(it->second);
  }
  return out;
}

secret object_reader::secret_value_or_file(std::string_view key) {
  auto value = optional_secret_or_file(key);
  if (!value) {
    const std::string name(key);
    throw error(key, "required key is missing (give " + name + " or " + name + "_file)");
  }
  return *std::move(value);
}

std::optional<secret> object_reader::optional_secret_or_file(std::string_view key) {
  const std::string name(key);
  const std::string file_key = name + "_file";
  const bool inline_given = has(key);
  const bool file_given = has(file_key);
  if (inline_given && file_given) {
    throw error(file_key, "give either " + name + " or " + file_key + ", not both");
  }
  if (inline_given) {
    return optional_secret(key);
  }
  if (file_given) {
    const auto file = string(file_key);
    if (state_->secrets == secret_reading::skipped) {
      return secret(std::string());
    }
    return remember(file_key, secret(read_secret_file(file_key, file)));
  }
  return std::nullopt;
}

std::string object_reader::read_secret_file(std::string_view file_key,
                                            const std::string& file) const {
  fs::path where = file;
  if (where.is_relative() && !state_->base_dir.empty()) {
    where = state_->base_dir / where;
  }
  std::string why;
  auto content = read_whole_file(where, why);
  if (!content) {
    throw error(file_key, "cannot read " + where.string() + ": " + why);
  }
  while (!content->empty() && (content->back() == '\n' || content->back() == '\r')) {
    content->pop_back();
  }
  if (content->empty()) {
    throw error(file_key, where.string() + " is empty");
  }
  refuse_control_bytes(*content, path_of(file_key));
  return *content;
}

bool object_reader::boolean(std::string_view key, bool fallback) {
  const json* value = take_typed(key, is_boolean, "a boolean");
  const bool result = value == nullptr ? fallback : value->get<bool>();
  record(key, result);
  return result;
}

std::int64_t object_reader::integer(std::string_view key, std::int64_t min, std::int64_t max) {
  if (!has(key)) {
    take(key);
    throw error(key, "required key is missing");
  }
  return integer(key, min, max, min);
}

std::int64_t object_reader::integer(std::string_view key, std::int64_t min, std::int64_t max,
                                    std::int64_t fallback) {
  const json* value = take_typed(key, is_integer, "an integer");
  std::int64_t result = fallback;
  if (value != nullptr) {
    const bool too_big = value->is_number_unsigned() &&
                         value->get<std::uint64_t>() >
                             static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    result = too_big ? std::numeric_limits<std::int64_t>::max() : value->get<std::int64_t>();
    if (too_big || result < min || result > max) {
      throw error(key, "expected " + std::to_string(min) + ".." + std::to_string(max) + ", got " +
                           describe(*value));
    }
  }
  record(key, result);
  return result;
}

double object_reader::number(std::string_view key, double min, double max, double fallback) {
  const json* value = take_typed(key, is_number, "a number");
  const double result = value == nullptr ? fallback : value->get<double>();
  if (result < min || result > max) {
    const std::string got = value == nullptr ? format_number(result) : describe(*value);
    throw error(key, "expected " + format_number(min) + ".." + format_number(max) + ", got " + got);
  }
  record(key, number_json(result));
  return result;
}

duration object_reader::duration_value(std::string_view key, duration fallback, duration min) {
  const json* value = take(key);
  duration result = fallback;
  if (value != nullptr) {
    std::optional<duration> parsed;
    if (value->is_string()) {
      parsed = parse_duration(expand(value->get_ref<const std::string&>(), path_of(key)));
    } else if (value->is_number()) {
      parsed = parse_duration(value->dump());  // a JSON number is seconds, as in "1.5"
    }
    if (!parsed) {
      throw error(key,
                  "expected a duration such as \"500ms\", \"10s\", \"5m\", \"1h30m\" or a number "
                  "of seconds, at most " +
                      format_duration(max_duration) + ", got " + describe(*value));
    }
    if (*parsed < min) {
      throw error(key, "expected at least " + format_duration(min) + ", got " + describe(*value));
    }
    result = *parsed;
  }
  record(key, format_duration(result));
  return result;
}

std::string object_reader::one_of(std::string_view key,
                                  std::initializer_list<std::string_view> choices,
                                  std::string_view fallback) {
  std::string value = string(key, fallback);
  for (auto choice : choices) {
    if (value == choice) {
      return value;
    }
  }
  std::string listed;
  for (auto choice : choices) {
    listed += listed.empty() ? "" : ", ";
    listed += choice;
  }
  throw error(key, "expected one of " + listed + ", got " + json(value).dump());
}

std::vector<std::string> object_reader::string_list(std::string_view key) {
  const json* value = take_typed(key, is_array, "an array of strings");
  std::vector<std::string> result;
  if (value != nullptr) {
    for (std::size_t i = 0; i < value->size(); ++i) {
      const std::string at = path_of(key) + "/" + std::to_string(i);
      const json& item = (*value)[i];
      if (!item.is_string()) {
        throw config_error(at, "expected a string, got " + describe(item));
      }
      result.push_back(expand(item.get_ref<const std::string&>(), at));
    }
  }
  record(key, result);
  return result;
}

std::map<std::string, std::string> object_reader::string_map(std::string_view key) {
  const json* value = take_typed(key, is_object, "an object of strings");
  std::map<std::string, std::string> result;
  ordered_json effective = ordered_json::object();
  if (value != nullptr) {
    for (const auto& [name, item] : value->items()) {
      const std::string at = path_of(key) + "/" + pointer_token(name);
      if (!item.is_string()) {
        throw config_error(at, "expected a string, got " + describe(item));
      }
      result[name] = expand(item.get_ref<const std::string&>(), at);
      effective[name] = result[name];
    }
  }
  record(key, std::move(effective));
  return result;
}

object_reader object_reader::object(std::string_view key) {
  static const json empty = json::object();
  const json* value = take_typed(key, is_object, "an object");
  auto& node = state_->effective[ordered_json::json_pointer(path_of(key))];
  if (!node.is_object()) {
    node = ordered_json::object();
  }
  return object_reader(state_, value == nullptr ? &empty : value, path_of(key));
}

std::vector<object_reader> object_reader::array_of_objects(std::string_view key) {
  const json* value = take_typed(key, is_array, "an array of objects");
  record(key, ordered_json::array());
  std::vector<object_reader> result;
  if (value != nullptr) {
    for (std::size_t i = 0; i < value->size(); ++i) {
      const std::string at = path_of(key) + "/" + std::to_string(i);
      const json& item = (*value)[i];
      if (!item.is_object()) {
        throw config_error(at, "expected an object, got " + describe(item));
      }
      state_->effective[ordered_json::json_pointer(at)] = ordered_json::object();
      result.push_back(object_reader(state_, &item, at));
    }
  }
  return result;
}

std::vector<object_reader> object_reader::one_or_more_objects(std::string_view key) {
  const auto it = object_->find(std::string(key));
  if (it != object_->end() && it->is_object()) {
    return {object(key)};
  }
  return array_of_objects(key);
}

std::optional<json> object_reader::raw_value(std::string_view key) {
  const json* value = take(key);
  if (value == nullptr) {
    return std::nullopt;
  }
  if (const json* typed = typed_text(key, *value, is_number_or_boolean)) {
    value = typed;
  }
  json result = value->is_string()
                    ? json(expand(value->get_ref<const std::string&>(), path_of(key)))
                    : *value;
  record(key, ordered_json(result));
  return result;
}

std::optional<std::string> object_reader::environment(const std::string& name) const {
  return state_->env(name);
}

void object_reader::record(std::string_view key, ordered_json value) {
  state_->effective[ordered_json::json_pointer(path_of(key))] = std::move(value);
}

void object_reader::finish() const {
  for (const auto& [key, value] : object_->items()) {
    if (key != comment_key && !consumed_.contains(key)) {
      throw config_error(path_of(key), known_.empty()
                                           ? "unknown key (this object takes no keys)"
                                           : "unknown key (known: " + join(known_) + ")");
    }
  }
}

const ordered_json& object_reader::effective_document() const {
  return state_->effective;
}

}  // namespace qsanfwd::config
