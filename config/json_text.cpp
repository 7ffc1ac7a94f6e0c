#include "config/json_text.hpp"

#include <algorithm>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "config/config_error.hpp"
#include "config/json_pointer.hpp"

namespace qsanfwd::config {

using nlohmann::json;

namespace {

/// Tracks where the parser is so a repeated key in one object is an error with its path;
/// nlohmann would otherwise keep the last one silently.
class duplicate_key_guard {
 public:
  bool operator()(int /*depth*/, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
        frames_.push_back({});
        break;
      case json::parse_event_t::array_start:
        frames_.push_back({});
        frames_.back().array = true;
        break;
      case json::parse_event_t::key:
        frames_.back().key = parsed.get<std::string>();
        if (!frames_.back().keys.insert(frames_.back().key).second) {
          throw config_error(path(), "duplicate key");
        }
        break;
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end:
        frames_.pop_back();
        element_done();
        break;
      case json::parse_event_t::value:
        element_done();
        break;
    }
    return true;
  }

 private:
  struct frame {
    bool array = false;
    std::size_t index = 0;
    std::string key;
    std::set<std::string> keys;
  };

  void element_done() {
    if (!frames_.empty() && frames_.back().array) {
      ++frames_.back().index;
    }
  }

  std::string path() const {
    std::string out;
    for (const auto& f : frames_) {
      out += "/" + (f.array ? std::to_string(f.index) : pointer_token(f.key));
    }
    return out;
  }

  std::vector<frame> frames_;
};

}  // namespace

json parse_json(std::string_view text, const std::string& source) {
  duplicate_key_guard guard;
  try {
    return json::parse(text, std::ref(guard));
  } catch (const json::parse_error& e) {
    // e.byte is the 1-based offset of the last character read: the one that broke the syntax.
    const std::size_t at = std::min<std::size_t>(e.byte == 0 ? 0 : e.byte - 1, text.size());
    const std::string_view before = text.substr(0, at);
    const std::size_t line =
        1 + static_cast<std::size_t>(std::count(before.begin(), before.end(), '\n'));
    const auto line_start = before.rfind('\n');
    const std::size_t column = at - (line_start == std::string_view::npos ? 0 : line_start + 1) + 1;
    // Keep nlohmann's reason, not its "[json.exception...] parse error at ...:" prefix.
    std::string reason = e.what();
    const auto prefix_end = reason.find(": ", reason.find(']'));
    if (prefix_end != std::string::npos) {
      reason.erase(0, prefix_end + 2);
    }
    throw config_error::in_file(source, line, column, reason);
  } catch (const json::out_of_range& e) {
    // A number too large for a double (1e999): valid JSON syntax that nlohmann cannot hold, and
    // reported as out_of_range, without a position.
    std::string reason = e.what();
    if (const auto prefix_end = reason.find("] "); prefix_end != std::string::npos) {
      reason.erase(0, prefix_end + 2);
    }
    throw config_error::in_file(source, reason);
  }
}

}  // namespace qsanfwd::config
