#pragma once

#include "config/object_reader.hpp"
#include "sinks/syslog/syslog_format.hpp"

namespace qsanfwd::sinks {

/// How the stdout sink writes an event as its line.
enum class stdout_format { json, rfc5424, rfc3164, cef };

/// The stdout sink's options (`type: "stdout"`).
struct stdout_options {
  stdout_format format = stdout_format::json;
  /// For the syslog formats: facility and APP-NAME; HOSTNAME is the event's device.
  syslog::format_settings syslog;
};

/// Reads `format` (json, rfc5424, rfc3164, cef; json), and for the syslog formats only
/// `facility` (local0) and `app_name` (qsan). Throws config_error naming the key.
stdout_options parse_stdout_options(config::object_reader& r);

}  // namespace qsanfwd::sinks
