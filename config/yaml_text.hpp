#pragma once

#include <cstddef>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "config/config_error.hpp"

namespace qsanfwd::config {

/// The deepest nesting of mappings and sequences a YAML configuration may have. The schema's
/// deepest value sits about six levels down; the bound keeps a runaway document from exhausting
/// the stack of yaml-cpp's recursive parser.
inline constexpr std::size_t max_yaml_depth = 64;

/// The most values a YAML document may expand to, counting each value an alias copies: aliases
/// of aliases grow exponentially ("a billion laughs"), text alone cannot. A configuration of
/// 10,000 devices written out in full holds some 300,000.
inline constexpr std::size_t max_yaml_values = 1'000'000;

/// A YAML configuration file read into the JSON tree the configuration's readers take, with the
/// line each value was written on, so an error found later by its JSON pointer names the line.
struct yaml_document {
  nlohmann::json value;
  std::string source;                         ///< the file's name, for messages
  std::map<std::string, std::size_t> lines;  ///< JSON pointer -> 1-based line

  /// The line of `pointer`, else of its nearest ancestor written in the file (a missing key's
  /// object; a value an alias or a merge key copied: the alias's line).
  std::size_t line_of(const std::string& pointer) const;

  /// `e` with this file's name and the line of its JSON pointer, when it is an error about a
  /// value of this document (not about another file, or the file as a whole).
  config_error locate(const config_error& e) const;
};

/// `text`, a YAML document, as JSON. Scalars map as YAML 1.2's core schema says, closer to JSON:
///   - quoted, literal (`|`) and folded (`>`) scalars, and any tagged `!!str`, are strings;
///   - plain `null`, `Null`, `NULL`, `~` and an empty value are null;
///   - plain `true`, `True`, `TRUE`, `false`, `False`, `FALSE` are booleans (`yes`, `no`, `on`
///     and `off` are strings, as in YAML 1.2);
///   - plain numbers in JSON's syntax (`10`, `-3`, `1.5`, `2e3`) are numbers; any other plain
///     scalar is a string (`0x1f`, `010`, `.inf` and `1h30m` included);
///   - other tags (`!!int`, `!custom`) are errors.
/// Keys are strings as written (a plain `1:` is the key "1"); a key that is a mapping or a
/// sequence is an error, so is a key repeated in one mapping. Anchors and aliases copy the
/// anchored value; the merge key `<<` (a mapping, or a list of mappings, usually aliases) adds
/// the keys the mapping does not set itself, the first listed winning. One document per file.
/// Syntax errors are config_errors naming `source`, the line and the column; the others name the
/// JSON pointer and the line.
yaml_document parse_yaml(std::string_view text, const std::string& source);

/// Whether `file` is read as YAML: its name ends in .yaml or .yml.
bool is_yaml_file(const std::filesystem::path& file);

}  // namespace qsanfwd::config
