#include "sinks/registry.hpp"

#include "sinks/file/file_options.hpp"

namespace qsanfwd::sinks {

const config::sink_type_table& sink_types() {
  static const config::sink_type_table table{
      {"file", [](config::object_reader& r) { return std::any(parse_file_options(r)); }},
  };
  return table;
}

}  // namespace qsanfwd::sinks
