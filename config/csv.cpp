#include "config/csv.hpp"

#include "agent/core/utf8.hpp"
#include "config/config_error.hpp"

namespace qsanfwd::config {

namespace {

constexpr std::string_view csv_blanks = " \t";

std::string_view trim_blanks(std::string_view text) {
  const auto first = text.find_first_not_of(csv_blanks);
  if (first == std::string_view::npos) {
    return {};
  }
  return text.substr(first, text.find_last_not_of(csv_blanks) - first + 1);
}

/// Reads one record from `line`; `why` is set (and the cells are incomplete) when it is bad.
std::vector<std::string> split_record(std::string_view line, std::string& why) {
  std::vector<std::string> cells;
  std::size_t at = 0;
  while (true) {
    const auto start = line.find_first_not_of(csv_blanks, at);
    if (start != std::string_view::npos && line[start] == '"') {
      std::string cell;
      std::size_t i = start + 1;
      for (; i < line.size(); ++i) {
        if (line[i] != '"') {
          cell += line[i];
        } else if (i + 1 < line.size() && line[i + 1] == '"') {
          cell += '"';
          ++i;
        } else {
          break;
        }
      }
      if (i >= line.size()) {
        why = "cell " + std::to_string(cells.size() + 1) +
              ": the quote is not closed on this line (a value cannot hold a line break)";
        return cells;
      }
      cells.push_back(std::move(cell));
      at = line.find_first_not_of(csv_blanks, i + 1);
      if (at != std::string_view::npos && line[at] != ',') {
        why = "cell " + std::to_string(cells.size()) + ": text after the closing quote";
        return cells;
      }
    } else {
      const auto comma = line.find(',', at);
      cells.emplace_back(trim_blanks(line.substr(at, comma - at)));
      at = comma;
    }
    if (at == std::string_view::npos) {
      return cells;
    }
    ++at;  // past the comma
  }
}

}  // namespace

std::vector<csv_row> read_csv(std::string_view text, const std::string& source) {
  constexpr std::string_view bom = "\xEF\xBB\xBF";
  if (text.starts_with(bom)) {
    text.remove_prefix(bom.size());
  }
  std::vector<csv_row> rows;
  std::size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    const auto end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    if (line.ends_with('\r')) {
      line.remove_suffix(1);
    }
    const auto content = trim_blanks(line);
    if (content.empty() || content.starts_with('#')) {
      continue;
    }
    std::string why;
    // A spreadsheet may save Latin-1; the configuration and its messages are UTF-8.
    if (count_invalid_utf8(line) != 0) {
      why = "not UTF-8 (save the file as UTF-8 CSV)";
    }
    auto cells = why.empty() ? split_record(line, why) : std::vector<std::string>{};
    if (!why.empty()) {
      throw config_error::located(source, "line " + std::to_string(line_number), "", why);
    }
    rows.push_back({line_number, std::move(cells)});
  }
  return rows;
}

}  // namespace qsanfwd::config
