#pragma once

#include "agent/core/event.hpp"
#include "agent/core/event_filter.hpp"
#include "agent/core/event_shape.hpp"
#include "config/object_reader.hpp"

namespace qsanfwd::config {

/// A sink's `match` and `exclude`: each one rule (an object) or several (an array, any of which
/// may hold), of `kind`, `severity` {`at_least`, `at_most`}, `type`, `device` (globs),
/// `component` (each a string or an array of strings) and `message` (a POSIX extended regular
/// expression).
event_filter read_event_filter(object_reader& sink);

/// A sink's `fields`, `rename` and `drop` (the devices' `fields` are added by the loader).
event_shape read_event_shape(object_reader& sink);

/// `fields`: static fields, names of letters, digits and `_` (not first a digit), at most 64,
/// so that every format can carry them (syslog SD-PARAMs, Loki labels, ECS labels).
field_list read_fields(object_reader& r);

}  // namespace qsanfwd::config
