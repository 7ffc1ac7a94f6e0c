#pragma once

#include <optional>
#include <string_view>

namespace qsanfwd {

/// Syslog severities (RFC 5424 section 6.2.1); the numeric value is the syslog code.
enum class severity : int {
  emergency = 0,
  alert = 1,
  critical = 2,
  error = 3,
  warning = 4,
  notice = 5,
  info = 6,
  debug = 7,
};

std::string_view to_string(severity s);
std::optional<severity> parse_severity(std::string_view name);

/// The severity of an array log line from its `type` (error, warning, info, access).
severity severity_of_log_type(std::string_view type);

}  // namespace qsanfwd
