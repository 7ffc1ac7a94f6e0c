#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace qsanfwd::config {

/// The whole content of `file`, or nullopt with `why` set to the reason ("is a directory" or
/// the system's message, e.g. "No such file or directory").
std::optional<std::string> read_whole_file(const std::filesystem::path& file, std::string& why);

}  // namespace qsanfwd::config
