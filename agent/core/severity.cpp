#include "agent/core/severity.hpp"

#include <array>

namespace qsanfwd {
namespace {
constexpr std::array<std::string_view, 8> names{"emergency", "alert",  "critical", "error",
                                                "warning",   "notice", "info",     "debug"};
}

std::string_view to_string(severity s) {
  return names.at(static_cast<std::size_t>(s));
}

std::optional<severity> parse_severity(std::string_view name) {
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) {
      return static_cast<severity>(i);
    }
  }
  return std::nullopt;
}

severity severity_of_log_type(std::string_view type) {
  if (type == "error") {
    return severity::error;
  }
  if (type == "warning") {
    return severity::warning;
  }
  if (type == "access") {
    return severity::notice;
  }
  return severity::info;
}

}  // namespace qsanfwd
