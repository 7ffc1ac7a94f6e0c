#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace qsanfwd::config {

/// One record of a CSV file and the line it is on (1-based).
struct csv_row {
  std::size_t line = 0;
  std::vector<std::string> cells;
};

/// The records of CSV text (RFC 4180, comma-separated, LF or CRLF), for an inventory written by
/// a spreadsheet or a template. A cell in double quotes may hold commas and `""` for a quote,
/// but no line break (no value may hold one); spaces around an unquoted cell are trimmed. The
/// text must be UTF-8. Blank
/// lines, lines starting with `#` and a leading UTF-8 byte order mark are skipped. Throws
/// config_error naming `source` and the line.
std::vector<csv_row> read_csv(std::string_view text, const std::string& source);

}  // namespace qsanfwd::config
