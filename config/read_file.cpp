#include "config/read_file.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace qsanfwd::config {

std::optional<std::string> read_whole_file(const std::filesystem::path& file, std::string& why) {
  std::error_code ec;
  // Opening a directory succeeds on Linux; only the reads fail, with a less clear message.
  if (std::filesystem::is_directory(file, ec)) {
    why = "is a directory";
    return std::nullopt;
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    why = std::strerror(errno);
    return std::nullopt;
  }
  // rdbuf() rather than istreambuf_iterator: GCC 12 flags the latter with -Wnull-dereference.
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    why = "read error";
    return std::nullopt;
  }
  return std::move(text).str();
}

}  // namespace qsanfwd::config
