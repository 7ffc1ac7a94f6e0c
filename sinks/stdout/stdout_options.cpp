#include "sinks/stdout/stdout_options.hpp"

#include <algorithm>

namespace qsanfwd::sinks {
namespace {

void read_syslog_header(config::object_reader& r, syslog::format_settings& s) {
  const auto facility = r.string("facility", "local0");
  const auto code = syslog::parse_facility(facility);
  if (!code) {
    throw r.error("facility",
                  "expected kern, user, mail, daemon, auth, syslog, lpr, news, uucp, "
                  "cron, authpriv, ftp, ntp, security, console, solaris-cron or "
                  "local0..local7, got \"" +
                      facility + "\"");
  }
  s.facility = *code;
  s.app_name = r.string("app_name", "qsan");
  // RFC 5424's APP-NAME: 1..48 printable US-ASCII characters.
  const bool printable = std::all_of(s.app_name.begin(), s.app_name.end(), [](char c) {
    return static_cast<unsigned char>(c) >= 33 && static_cast<unsigned char>(c) <= 126;
  });
  if (s.app_name.empty() || s.app_name.size() > 48 || !printable) {
    throw r.error("app_name",
                  "expected 1..48 printable US-ASCII characters without spaces, "
                  "got \"" +
                      s.app_name + "\"");
  }
}

}  // namespace

stdout_options parse_stdout_options(config::object_reader& r) {
  stdout_options o;
  const auto format = r.one_of("format", {"json", "rfc5424", "rfc3164", "cef"}, "json");
  if (format == "json") {
    for (const auto* key : {"facility", "app_name"}) {
      if (r.has(key)) {
        throw r.error(key, "applies to formats rfc5424, rfc3164 and cef only");
      }
    }
    return o;
  }
  o.format = format == "rfc5424"   ? stdout_format::rfc5424
             : format == "rfc3164" ? stdout_format::rfc3164
                                   : stdout_format::cef;
  o.syslog.format = o.format == stdout_format::rfc5424   ? syslog::message_format::rfc5424
                    : o.format == stdout_format::rfc3164 ? syslog::message_format::rfc3164
                                                         : syslog::message_format::cef;
  read_syslog_header(r, o.syslog);
  return o;
}

}  // namespace qsanfwd::sinks
