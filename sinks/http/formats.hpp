#pragma once

// The bodies an HTTP sink sends: pure functions of a batch of canonical events, and the reading
// of Elasticsearch's bulk answer. No I/O here.

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "agent/core/queued_event.hpp"
#include "agent/core/result.hpp"
#include "agent/core/severity.hpp"
#include "sinks/http/http_options.hpp"
#include "sinks/sink.hpp"

namespace qsanfwd::sinks {

/// The Content-Type of a format's body.
std::string_view content_type(http_format f);

/// The request body for `events` (not empty, in queue order) in `s.format`. The static fields
/// (`event::fields`) travel in the canonical event wherever it is embedded, and besides:
/// - ndjson: each canonical event as stored, each followed by "\n";
/// - json_array: "[e1,e2,...]";
/// - splunk_hec: concatenated `{time, host, source, sourcetype, index, event, fields}` objects,
///   source, sourcetype and index rendered from their templates for each event and left out when
///   empty (a rendered index made a Splunk index name when the template is not constant),
///   `event` the canonical event, `fields` flat strings (device, kind, severity, type, model,
///   serial, flags when known, then each static field not named like one of those);
/// - elasticsearch: `_bulk` NDJSON, a `create` action with `_index` rendered for each event
///   (made an index name when the template is not constant) and `_id` = event id before each ECS
///   document (static fields as `labels`, dots in names as `_`), ending with "\n";
/// - loki: `{"streams":[...]}` with one stream per rendered label set of `s.labels` (a label
///   rendered empty is left out) in order of first appearance, values `[ns-timestamp string,
///   canonical event]` in queue order;
/// - otlp: OTLP/HTTP JSON logs, one resourceLogs per device and static fields (device fields and
///   static fields as resource attributes, a static field named like one of the device fields'
///   keys left out), 64-bit integers as strings.
std::string encode_batch(std::span<const queued_event> events, const format_settings& s);

/// One request's share of a batch.
struct request_piece {
  std::span<const queued_event> events;
  std::string body;
  bool too_large = false;  ///< a single event whose body alone exceeds max_bytes; not sent
};

/// `events` encoded as bodies of at most `max_bytes` each, in order, together covering every
/// event once: the whole batch when it fits, otherwise halves, recursively. A single event
/// that alone exceeds `max_bytes` comes back as a piece marked too_large.
std::vector<request_piece> split_batch(std::span<const queued_event> events,
                                       const format_settings& s, std::size_t max_bytes);

/// `data` compressed as one gzip member (RFC 1952), for `Content-Encoding: gzip`.
std::string gzip(std::string_view data);

/// The OpenTelemetry SeverityNumber of a syslog severity.
int otlp_severity_number(severity level);

/// One item of an Elasticsearch bulk answer.
struct bulk_item {
  outcome result = outcome::delivered;
  std::string reason;  ///< for retry and rejected: status, error type and reason
};

/// Reads the answer to a `_bulk` request of `events` actions, item by item: 2xx and 409
/// (already stored: the `_id` makes a retry harmless) are delivered, 408, 429 and 5xx retry,
/// the rest rejected, and so is an item of any other shape (no action, no status). Any answer
/// is safe to read: nesting beyond the fields read is dropped while parsing, and reasons quote
/// a bounded prefix of string fields (a field of another type is named by its type). A failure
/// when the answer is not a bulk answer for that many items.
result<std::vector<bulk_item>> read_bulk_response(std::string_view body, std::size_t events);

}  // namespace qsanfwd::sinks
