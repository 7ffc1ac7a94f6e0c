#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <memory>

#include "config/config.hpp"
#include "sinks/sink.hpp"

namespace qsanfwd::sinks {

/// Every sink type the agent knows, by the config's `type`, with the parser of its options.
/// Registration is explicit, in registry.cpp: static self-registration gets dropped by linkers.
const config::sink_type_table& sink_types();

/// A new sink for `cfg`, whose `options` hold what the parser of its type returned. The type is
/// known (the loader checked it against sink_types()); an unknown one throws
/// std::invalid_argument listing the known ones.
std::unique_ptr<sink> make_sink(const config::sink_config& cfg, boost::asio::any_io_executor ex);

}  // namespace qsanfwd::sinks
