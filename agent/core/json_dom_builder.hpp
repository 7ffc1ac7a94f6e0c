#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace qsanfwd {

/// What a json_dom_builder's filter says of a value about to be built.
enum class json_keep { keep, drop, stop };

/// Builds a DOM from nlohmann::json::sax_parse's events, asking `Filter` what to keep, for
/// answers from the network. Linear in the text and without recursion: nlohmann's filtering
/// parser (json::parse with a callback) rescans a container each time an object in it ends,
/// quadratic in a long list of objects. `Filter` has:
///   - `void opening(int depth)`: a container starts `depth` containers deep (dropped ones
///     counted); may throw to stop at a nesting limit;
///   - `bool keep_key(int depth, const std::string& key)`: false drops the member's value;
///   - `json_keep keep(int depth, bool container, bool array)`: a value about to be built
///     `depth` kept containers deep; drop leaves it out (a container with all inside), stop
///     ends the parse (sax_parse returns false). It may throw instead.
template <typename Filter>
class json_dom_builder {
 public:
  using json = nlohmann::json;

  explicit json_dom_builder(Filter& filter) : filter_(filter) {}

  /// The DOM once sax_parse returned true.
  json take() { return std::move(root_); }

  // The SAX interface of nlohmann::json (json::sax_parse).
  bool null() { return add(json(nullptr)); }
  bool boolean(bool b) { return add(json(b)); }
  bool number_integer(json::number_integer_t v) { return add(json(v)); }
  bool number_unsigned(json::number_unsigned_t u) { return add(json(u)); }
  bool number_float(json::number_float_t d, const std::string&) { return add(json(d)); }
  bool string(std::string& v) { return add(json(std::move(v))); }
  bool binary(json::binary_t&) { return add(json()); }
  bool start_object(std::size_t) { return open(json::object()); }
  bool start_array(std::size_t) { return open(json::array()); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }
  bool key(std::string& k) {
    if (dropped_open_ == 0) {
      drop_next_ = !filter_.keep_key(depth(), k);
      key_ = std::move(k);
    }
    return true;
  }
  template <typename Exception>
  bool parse_error(std::size_t, const std::string&, const Exception&) {
    return false;
  }

 private:
  int depth() const { return static_cast<int>(open_.size()); }

  /// Whether the value starting now is dropped: inside a dropped container, under a dropped key,
  /// or refused by the filter. Stop ends the parse.
  json_keep verdict(bool container, bool array) {
    if (dropped_open_ > 0) {
      return json_keep::drop;
    }
    if (std::exchange(drop_next_, false)) {
      return json_keep::drop;
    }
    return filter_.keep(depth(), container, array);
  }

  bool open(json container) {
    filter_.opening(depth() + dropped_open_);
    const auto v = verdict(true, container.is_array());
    if (v == json_keep::drop) {
      ++dropped_open_;
      return true;
    }
    if (v == json_keep::stop) {
      return false;
    }
    open_.push_back(place(std::move(container)));
    return true;
  }

  bool close() {
    if (dropped_open_ > 0) {
      --dropped_open_;
    } else {
      open_.pop_back();
    }
    return true;
  }

  bool add(json value) {
    const auto v = verdict(false, false);
    if (v == json_keep::keep) {
      place(std::move(value));
    }
    return v != json_keep::stop;
  }

  /// Puts `value` where the parser is: the root, the end of the open array, or the member under
  /// the last key. Returns where it went (stable while it is the innermost open container).
  json* place(json value) {
    if (open_.empty()) {
      root_ = std::move(value);
      return &root_;
    }
    auto& parent = *open_.back();
    if (parent.is_array()) {
      parent.push_back(std::move(value));
      return &parent.back();
    }
    auto& member = parent[key_];
    member = std::move(value);
    return &member;
  }

  Filter& filter_;
  json root_;
  std::vector<json*> open_;  ///< the kept containers open, outermost first
  std::string key_;          ///< the key of the member whose value comes next
  bool drop_next_ = false;   ///< the filter dropped that key
  int dropped_open_ = 0;     ///< containers open inside a dropped value
};

}  // namespace qsanfwd
