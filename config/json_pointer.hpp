#pragma once

#include <string>
#include <string_view>

namespace qsanfwd::config {

/// `key` escaped as one JSON-pointer reference token (RFC 6901: "~" is "~0", "/" is "~1").
inline std::string pointer_token(std::string_view key) {
  std::string out;
  for (char c : key) {
    out += c == '~' ? "~0" : c == '/' ? "~1" : std::string(1, c);
  }
  return out;
}

}  // namespace qsanfwd::config
