#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "agent/core/event.hpp"

namespace qsanfwd {

/// An event as the queue holds it: its place in the queue and its canonical JSON. The event's
/// fields are parsed from the JSON on first use only, so a sink that writes the JSON as it is
/// (the file sink) never pays for parsing.
struct queued_event {
  queued_event() = default;
  queued_event(std::int64_t s, std::string b) : seq(s), body(std::move(b)) {}
  /// An event whose fields are known already (a sink's shaped copy of a queued event): `b` is
  /// what the sink writes as it is, `parsed` what it formats from.
  queued_event(std::int64_t s, std::string b, event parsed)
      : seq(s), body(std::move(b)), parsed_(std::move(parsed)) {}

  std::int64_t seq = 0;
  std::string body;
  /// The one sink this event is for (a replay, `qsanfwd replay --from`); empty: every sink.
  std::string only_for;

  /// Makes this event `s` for every sink, its fields unknown, its body kept for the caller to
  /// write into: a sink's lane reads each batch into the strings of the one before.
  void reuse(std::int64_t s) {
    seq = s;
    only_for.clear();
    parsed_.reset();
  }

  /// The event's fields. Throws std::invalid_argument when the body is not canonical JSON
  /// (never for what event_queue::append stored).
  const event& fields() const;
  /// Whether fields() needs no parsing: always so for a sink's shaped copy, whose body may have
  /// renamed keys. A sink that reads bodies into an event of its own (to allocate nothing) reads
  /// such an event's fields() instead.
  bool fields_known() const { return parsed_.has_value(); }

 private:
  mutable std::optional<event> parsed_;
};

}  // namespace qsanfwd
