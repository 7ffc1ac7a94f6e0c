#pragma once

#include "config/config.hpp"

namespace qsanfwd::sinks {

/// Every sink type the agent knows, by the config's `type`, with the parser of its options.
/// Registration is explicit, in registry.cpp: static self-registration gets dropped by linkers.
const config::sink_type_table& sink_types();

}  // namespace qsanfwd::sinks
