#pragma once

#include <filesystem>

namespace qsanfwd::test {

/// A fresh directory under $TMPDIR, removed with everything in it when the object dies.
class temp_dir {
 public:
  temp_dir();
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::filesystem::path& p) const { return path_ / p; }

 private:
  std::filesystem::path path_;
};

/// Writes `text` to `path`, replacing it.
void write_file(const std::filesystem::path& path, const std::string& text);
/// The whole content of `path`.
std::string read_file(const std::filesystem::path& path);

}  // namespace qsanfwd::test
