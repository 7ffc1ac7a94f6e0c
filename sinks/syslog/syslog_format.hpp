#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "agent/core/event.hpp"
#include "agent/core/queued_event.hpp"

namespace qsanfwd::sinks::syslog {

/// How an event becomes one syslog message.
enum class message_format { rfc5424, rfc3164, cef };

/// The header fields a sink configures; the rest comes from each event.
struct format_settings {
  message_format format = message_format::rfc5424;
  int facility = 16;     ///< 0..23; local0 is 16
  std::string hostname;  ///< empty: the event's device name
  std::string app_name = "qsan";
  std::string sd_id = "qsan@32473";  ///< a valid SD-ID (see is_valid_sd_name)
  bool bom = false;                  ///< put a UTF-8 BOM before MSG (RFC 5424 and CEF)
};

/// The facility code of a name (kern, user, mail, daemon, auth, syslog, lpr, news, uucp, cron,
/// authpriv, ftp, ntp, security, console, solaris-cron, local0..local7), or nullopt.
std::optional<int> parse_facility(std::string_view name);

/// Whether `name` may be an RFC 5424 SD-ID or PARAM-NAME: 1..32 printable US-ASCII characters
/// other than `=`, space, `]` and `"`.
bool is_valid_sd_name(std::string_view name);

/// A static field's name as an SD PARAM-NAME: cut to 32 bytes, every byte that is not printable
/// US-ASCII or is `=`, `]` or `"` written `_` (an empty name is `_`). A valid name stays as it is.
std::string sd_param_name(std::string_view name);

/// A static field's name as a CEF custom extension key (ArcSight's rule: vendor and product
/// first, then the name, alphanumeric only): `qsan`, then the name's ASCII letters and digits,
/// the first and each one after a dropped character uppercased (`rack_id` is `qsanRackId`).
/// Empty when the name holds no ASCII letter or digit: such a field is left out.
std::string cef_extension_key(std::string_view name);

/// `<PRI>1 TIMESTAMP HOSTNAME APP-NAME - MSGID [SD-ID params...] MSG` (RFC 5424).
///
/// PRI is facility × 8 + the event's severity; TIMESTAMP the event's time in UTC with `Z`, held
/// within the years 0000..9999 (as in RFC 3164 and CEF's rt).
/// HOSTNAME (at most 255), APP-NAME (48) and MSGID (32) keep printable US-ASCII only: any other
/// byte becomes `_`, longer values are cut, and an empty one is written `-`. MSGID is the log
/// type for log events, the component for health events and `agent` for agent events. The one
/// SD element carries device, event_id, kind, type, model, serial and, for health events,
/// component, component_id, attribute, previous and current, each only when not empty, then one
/// param per static field (its name made one by sd_param_name; a field named like a param above is
/// left out; an empty value is written `""`), with `"`, `\` and `]` escaped by a backslash. MSG is
/// the message as valid UTF-8 (invalid bytes become U+FFFD), after a BOM when asked; an empty
/// message leaves MSG out.
std::string format_rfc5424(const event& e, const format_settings& s);

/// `<PRI>Mmm dd hh:mm:ss HOSTNAME TAG: MSG` (RFC 3164, BSD syslog) for old receivers. It has no
/// place for structured fields: static fields are not written. The time
/// is UTC (the format has no zone); HOSTNAME is as in RFC 5424 without spaces; TAG is APP-NAME
/// cut to 32 alphanumeric characters (others become `_`). MSG is valid UTF-8.
std::string format_rfc3164(const event& e, const format_settings& s);

/// An ArcSight CEF record in the MSG of an RFC 5424 header (SD `-`):
/// `CEF:0|QSAN|<model or "storage array">|1|<kind>:<type>|<name>|<0..10>|<extensions>`.
/// Header fields escape `\` and `|`, and newlines become spaces; extension values escape `\`
/// and `=`, and newlines become `\n` (CR `\r`). The name is the message's first line, cut to
/// 512 bytes at a UTF-8 boundary. Extensions: rt (milliseconds), dvchost, deviceExternalId
/// (serial), externalId (event id), cat (kind), msg, and for health events cs1..cs5 with labels
/// component, componentId, attribute, previous, current; cs6 (label flags) the flags; then each
/// static field with a value as a custom extension keyed by cef_extension_key.
std::string format_cef(const event& e, const format_settings& s);

/// CEF's severity of a syslog severity: emergency 10, alert 9, critical 8, error 7, warning 5,
/// notice 3, info 2, debug 0.
int cef_severity(severity level);

/// The message of `e` in the configured format.
std::string format_message(const event& e, const format_settings& s);
/// format_message(e, s) appended to `out`. Returns where the text of MSG starts in `out`, the
/// part written as it is (out.size() when there is none, as for CEF, which escapes its own).
std::size_t append_message(std::string& out, const event& e, const format_settings& s);

/// `s` with every invalid UTF-8 sequence replaced by U+FFFD.
std::string valid_utf8(std::string_view s);

/// The longest prefix of `s` of at most `max_bytes` that does not cut a UTF-8 sequence.
std::string_view truncate_utf8(std::string_view s, std::size_t max_bytes);

/// RFC 6587 octet counting: `LEN SP MSG`. The message may hold newlines.
std::string frame_octet_counting(std::string_view message);
/// frame_octet_counting(message) appended to `out`.
void append_octet_counted(std::string& out, std::string_view message);

/// RFC 6587 non-transparent framing: the message with each LF written as `\n` (so one event is
/// one line), CR as `\r` and NUL as `\0`, then LF. From `msg_start` on (MSG's text, as
/// append_message gives it) a backslash is written `\\` too, so a receiver can tell a text's
/// own "\n" from an escaped LF; before it, SD-PARAM-VALUEs escape their backslashes already.
std::string frame_lf(std::string_view message, std::size_t msg_start = std::string_view::npos);
/// frame_lf(message, msg_start) appended to `out`.
void append_lf_framed(std::string& out, std::string_view message,
                      std::size_t msg_start = std::string_view::npos);

/// Frees `buffer` when it holds over 4 MiB, so that one batch of unusually large events does not
/// keep its memory for good.
void release_if_large(std::string& buffer);

/// The messages of a batch of events, formatted one after another into one buffer that is kept
/// from batch to batch, as is the event each is read into: a sink that formats every event it
/// sends allocates nothing per event once the buffers have grown.
class message_batch {
 public:
  explicit message_batch(format_settings s) : settings_(std::move(s)) {}

  /// Empties it; the buffers stay.
  void clear();
  /// Reads `json`, an event's canonical JSON, and appends its message. Throws
  /// std::invalid_argument as event_from_json does.
  void add(std::string_view json);
  /// Appends the message of a queued event: from its fields when known (a sink's shaped copy,
  /// whose body may have renamed keys), else read from its body as add(json).
  void add(const queued_event& q);
  /// add(q) for each event of `batch`, in order. Stops at an event that is not canonical JSON
  /// (no retry will ever format it) and returns why, naming its seq.
  std::optional<std::string> add_all(std::span<const queued_event> batch);

  std::size_t size() const { return ends_.size(); }
  std::string_view operator[](std::size_t i) const;
  /// Every message, in order, framed for a stream: by octet counting, or by LF when `lf`.
  void frame_into(std::string& out, bool lf) const;

 private:
  void append(const event& e);

  format_settings settings_;
  event read_;
  std::string text_;
  std::vector<std::size_t> ends_;
  std::vector<std::size_t> msg_starts_;  ///< where MSG's text starts, from the message's start
};

}  // namespace qsanfwd::sinks::syslog
