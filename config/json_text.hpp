#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace qsanfwd::config {

/// `text` parsed as JSON. A syntax error is a config_error naming `source`, the line and the
/// column; a key repeated in one object is one naming its JSON pointer (nlohmann would keep the
/// last one silently).
nlohmann::json parse_json(std::string_view text, const std::string& source);

}  // namespace qsanfwd::config
