#include "config/yaml_text.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <algorithm>
#include <optional>
#include <sstream>
#include <utility>
#include <vector>

#include "config/json_pointer.hpp"

namespace qsanfwd::config {

using nlohmann::json;

namespace {

constexpr std::string_view core_tag_prefix = "tag:yaml.org,2002:";
constexpr std::string_view plain_tag = "?";   // yaml-cpp's tag of an untagged plain scalar
constexpr std::string_view quoted_tag = "!";  // ... of an untagged quoted or block scalar

std::string where_in_yaml(const std::string& pointer, std::size_t line) {
  return (pointer.empty() ? std::string("/") : pointer) + " (line " + std::to_string(line) + ")";
}

std::size_t line_number(const YAML::Mark& mark) {
  return mark.line < 0 ? 0 : static_cast<std::size_t>(mark.line) + 1;
}

/// "!!int" for the core schema's "tag:yaml.org,2002:int", as the user wrote it.
std::string written_tag(const std::string& tag) {
  return tag.starts_with(core_tag_prefix) ? "!!" + tag.substr(core_tag_prefix.size()) : tag;
}

bool is_string_tag(const std::string& tag) {
  return tag == quoted_tag || tag == std::string(core_tag_prefix) + "str";
}

/// Whether `text` is a number in JSON's syntax: no sign but "-", no leading zero, no "." at
/// either end, no hex, octal or infinity (YAML's core schema has them; JSON has not).
bool is_json_number(std::string_view text) {
  std::size_t i = 0;
  const auto digits = [&] {
    const std::size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      ++i;
    }
    return i > start;
  };
  if (i < text.size() && text[i] == '-') {
    ++i;
  }
  if (i < text.size() && text[i] == '0') {
    ++i;
  } else if (!digits()) {
    return false;
  }
  if (i < text.size() && text[i] == '.' && (++i, !digits())) {
    return false;
  }
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
      ++i;
    }
    if (!digits()) {
      return false;
    }
  }
  return i == text.size();
}

/// Builds the JSON tree from yaml-cpp's events with a stack of its own: no recursion here, and
/// the depth bound stops yaml-cpp's recursive parser early.
class yaml_to_json final : public YAML::EventHandler {
 public:
  explicit yaml_to_json(yaml_document& doc) : doc_(doc) {}

  void OnDocumentStart(const YAML::Mark& mark) override {
    if (documents_++ > 0) {
      fail("", line_number(mark), "a second YAML document (after \"---\"); give one per file");
    }
  }
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    place(json(nullptr), start_value(mark), anchor);
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    const auto pointer = start_value(mark);
    const auto it = anchors_.find(anchor);
    if (it == anchors_.end()) {
      fail(pointer, line_number(mark), "an alias of a value that contains it");
    }
    // Counted before the copy is made: the copy is what the bound is for.
    count(it->second.values, pointer, line_number(mark));
    add(json(it->second.value), pointer, it->second.values);
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& text) override {
    if (expects_key()) {
      take_key(mark, tag, text);
      if (anchor != 0) {
        anchors_[anchor] = {json(text), 1};  // an alias may name a key
      }
      return;
    }
    const auto pointer = start_value(mark);
    place(scalar(tag, text, pointer, line_number(mark)), pointer, anchor);
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value /*style*/) override {
    open(mark, tag, "seq", json::array(), anchor);
  }
  void OnSequenceEnd() override { close(); }

  void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value /*style*/) override {
    open(mark, tag, "map", json::object(), anchor);
  }
  void OnMapEnd() override { close(); }

 private:
  /// A mapping or a sequence being read.
  struct frame {
    json value;
    std::string pointer;
    YAML::anchor_t anchor = 0;
    std::size_t values = 1;          ///< itself and everything in it, aliases expanded
    std::optional<std::string> key;  ///< a mapping's key whose value comes next
    bool key_is_merge = false;
    std::size_t merge_line = 0;
    std::vector<json> merges;  ///< the mappings `<<` named, in order
  };

  struct anchored {
    json value;
    std::size_t values = 0;
  };

  [[noreturn]] void fail(const std::string& pointer, std::size_t line, std::string reason) const {
    throw config_error::located(doc_.source, where_in_yaml(pointer, line), pointer,
                               std::move(reason));
  }

  bool expects_key() const {
    return !stack_.empty() && stack_.back().value.is_object() && !stack_.back().key;
  }

  void take_key(const YAML::Mark& mark, const std::string& tag, const std::string& text) {
    auto& f = stack_.back();
    const std::string pointer = f.pointer + "/" + pointer_token(text);
    const auto line = line_number(mark);
    if (tag != plain_tag && !is_string_tag(tag)) {
      fail(pointer, line, "a key tagged " + written_tag(tag) + "; keys are strings");
    }
    f.key_is_merge = tag == plain_tag && text == "<<";
    if (f.value.contains(text) || (f.key_is_merge && f.merge_line != 0)) {
      fail(pointer, line, "duplicate key");
    }
    if (f.key_is_merge) {
      f.merge_line = line;
    } else {
      doc_.lines.emplace(pointer, line);
    }
    f.key = text;
  }

  /// The JSON pointer of the value that starts at `mark`; records its line when it is an item
  /// of a sequence (a mapping's value has its key's line).
  std::string start_value(const YAML::Mark& mark) {
    if (stack_.empty()) {
      doc_.lines.emplace("", line_number(mark));
      return "";
    }
    const auto& f = stack_.back();
    if (f.value.is_object()) {
      if (!f.key) {
        fail(f.pointer, line_number(mark), "a key that is not a string; keys are strings");
      }
      return f.pointer + "/" + pointer_token(*f.key);
    }
    std::string pointer = f.pointer + "/" + std::to_string(f.value.size());
    doc_.lines.emplace(pointer, line_number(mark));
    return pointer;
  }

  void open(const YAML::Mark& mark, const std::string& tag, std::string_view kind, json empty,
            YAML::anchor_t anchor) {
    auto pointer = start_value(mark);
    const auto line = line_number(mark);
    if (tag != plain_tag && tag != std::string(core_tag_prefix) + std::string(kind)) {
      fail(pointer, line, "unsupported tag " + written_tag(tag));
    }
    if (stack_.size() >= max_yaml_depth) {
      fail(pointer, line, "nested deeper than " + std::to_string(max_yaml_depth) + " levels");
    }
    count(1, pointer, line);
    auto& f = stack_.emplace_back();
    f.value = std::move(empty);
    f.pointer = std::move(pointer);
    f.anchor = anchor;
  }

  void close() {
    frame f = std::move(stack_.back());
    stack_.pop_back();
    for (const auto& merged : f.merges) {
      for (const auto& [key, value] : merged.items()) {
        if (!f.value.contains(key)) {
          f.value[key] = value;
          doc_.lines.emplace(f.pointer + "/" + pointer_token(key), f.merge_line);
        }
      }
    }
    if (f.anchor != 0) {
      anchors_[f.anchor] = {f.value, f.values};
    }
    add(std::move(f.value), f.pointer, f.values);
  }

  /// A scalar (or null) at `pointer`.
  void place(json value, const std::string& pointer, YAML::anchor_t anchor) {
    count(1, pointer, doc_.line_of(pointer));
    if (anchor != 0) {
      anchors_[anchor] = {value, 1};
    }
    add(std::move(value), pointer, 1);
  }

  void count(std::size_t values, const std::string& pointer, std::size_t line) {
    total_values_ += values;
    if (total_values_ > max_yaml_values) {
      fail(pointer, line,
           "the document expands to more than " + std::to_string(max_yaml_values) +
               " values (aliases copy what they name)");
    }
  }

  /// Puts a finished value into the collection being read, or makes it the document.
  void add(json value, const std::string& pointer, std::size_t values) {
    if (stack_.empty()) {
      doc_.value = std::move(value);
      return;
    }
    auto& f = stack_.back();
    f.values += values;
    if (f.value.is_array()) {
      f.value.push_back(std::move(value));
      return;
    }
    if (f.key_is_merge) {
      merge(f, std::move(value), pointer);
    } else {
      f.value[*f.key] = std::move(value);
    }
    f.key.reset();
  }

  void merge(frame& f, json value, const std::string& pointer) {
    const auto is_object = [](const json& v) { return v.is_object(); };
    if (value.is_object()) {
      f.merges.push_back(std::move(value));
    } else if (value.is_array() && std::all_of(value.begin(), value.end(), is_object)) {
      for (auto& m : value) {
        f.merges.push_back(std::move(m));
      }
    } else {
      fail(pointer, f.merge_line, "a merge key (<<) takes a mapping or a list of mappings");
    }
    f.key_is_merge = false;
  }

  json scalar(const std::string& tag, const std::string& text, const std::string& pointer,
              std::size_t line) const {
    if (is_string_tag(tag)) {
      return text;
    }
    if (tag != plain_tag) {
      fail(pointer, line,
           "unsupported tag " + written_tag(tag) + "; write the value plain, or quote a string");
    }
    if (text == "true" || text == "True" || text == "TRUE") {
      return true;
    }
    if (text == "false" || text == "False" || text == "FALSE") {
      return false;
    }
    if (!is_json_number(text)) {
      return text;
    }
    try {
      return json::parse(text);
    } catch (const json::exception&) {
      fail(pointer, line, "the number " + text + " is out of range");
    }
  }

  yaml_document& doc_;
  std::vector<frame> stack_;
  std::map<YAML::anchor_t, anchored> anchors_;
  std::size_t documents_ = 0;
  std::size_t total_values_ = 0;
};

}  // namespace

std::size_t yaml_document::line_of(const std::string& pointer) const {
  std::string at = pointer;
  for (;;) {
    if (const auto it = lines.find(at); it != lines.end()) {
      return it->second;
    }
    if (at.empty()) {
      return 0;
    }
    at.erase(at.rfind('/'));
  }
}

config_error yaml_document::locate(const config_error& e) const {
  if (!e.source().empty()) {
    return e;
  }
  return config_error::located(source, where_in_yaml(e.path(), line_of(e.path())), e.path(),
                               e.reason());
}

yaml_document parse_yaml(std::string_view text, const std::string& source) {
  yaml_document doc;
  doc.source = source;
  std::istringstream in{std::string(text)};
  try {
    YAML::Parser parser(in);
    yaml_to_json builder(doc);
    while (parser.HandleNextDocument(builder)) {
    }
  } catch (const YAML::Exception& e) {
    throw config_error::in_file(source, line_number(e.mark),
                                e.mark.column < 0 ? 0 : static_cast<std::size_t>(e.mark.column) + 1,
                                e.msg);
  }
  return doc;
}

bool is_yaml_file(const std::filesystem::path& file) {
  const auto extension = file.extension();
  return extension == ".yaml" || extension == ".yml";
}

}  // namespace qsanfwd::config
